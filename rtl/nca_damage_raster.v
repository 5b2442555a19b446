// SPDX-License-Identifier: Apache-2.0
// nca_damage_raster - the wide core's erasure hit test: CIRCLE, HALF and SQUARE, one cell a
// clock along a raster scan of the grid, with no multiplier and one wide adder.
//
// Usage: pulse i_start for one clock with the command (i_op OP_CIRCLE / OP_HALF /
// OP_SQUARE, i_a, i_b, i_c, signed; a CIRCLE needs |a|, |b|, |c| < 2^21). A CIRCLE first
// squares a, b and c, shift and add, 22 clocks each; o_sq_done is high in the last of
// those 66 clocks, and the scan may start the clock after. HALF and SQUARE may start the
// scan the clock after i_start. The scan is the caller's: it gives the cell (i_x, i_y) in
// raster order from (0, 0), one a clock with i_step, i_last_x on the last cell of a row, and
// o_hit says, in the same clock, whether that cell is erased.
// CIRCLE: hit when d(x, y) = c^2 - (x-a)^2 - (y-b)^2 >= 0. d follows the scan in a
// register, so o_hit is its sign bit and the erase's write enables wait on no adder: a step
// right adds nx = -(2(x-a)+1), which then falls by 2; the end of a row adds ny = -(2(y-b)+1)
// to e = d(0, y), and nx starts again from 2a - 1. The squares go into e as they are made
// (-a^2, -b^2, +c^2: the multiplicand is loaded negated for a and b), through the same
// adder as the scan's steps; |d| < 2^44.
// HALF (i_a 0 left, 1 right, 2 top, other bottom) and SQUARE (x0 = a - c/2, c/2 rounded
// towards 0, x1 = x0 + c, the same in y with b; 32-bit sums) are one box x0 <= x < x1,
// y0 <= y < y1 whose bounds are clamped to 0..GRID_W (0..GRID_H) at i_start: the same cells
// for any 32-bit command, and compares of a few bits a clock.
`default_nettype none

module nca_damage_raster #(
    parameter GRID_W = 64,  // grid width in cells, 3..1024
    parameter GRID_H = 64   // grid height in cells, 3..1024
) (
    input  wire                        clk,
    input  wire                        i_rst,
    input  wire                        i_start,
    input  wire [3:0]                  i_op,
    input  wire [31:0]                 i_a,
    input  wire [31:0]                 i_b,
    input  wire [31:0]                 i_c,
    input  wire                        i_step,
    input  wire                        i_last_x,
    input  wire [$clog2(GRID_W)-1:0]   i_x,
    input  wire [$clog2(GRID_H)-1:0]   i_y,
    output wire                        o_sq_done,
    output wire                        o_hit
);
    generate
        if (GRID_W < 3 || GRID_W > 1024) begin : g_bad_grid_w
            nca_damage_raster_bad_GRID_W_3_to_1024 u_stop ();
        end
        if (GRID_H < 3 || GRID_H > 1024) begin : g_bad_grid_h
            nca_damage_raster_bad_GRID_H_3_to_1024 u_stop ();
        end
    endgenerate

    `include "nca_core_ops.vh"   // OP_*
    `include "nca_lt.vh"         // nca_lt(x, c): x < c as plain logic
    localparam W = GRID_W, H = GRID_H;
    localparam XW = $clog2(W), YW = $clog2(H);
    localparam VB = 22;          // bits of |a|, |b|, |c| the squarer takes (22 clocks each)
    localparam DW = 2 * VB + 1;  // d, e: |d| < 2^44
    localparam NW = VB + 2;      // nx, ny: |2(x-a)+1| < 2^22 + 2^11
    localparam [31:0] W32 = W, H32 = H;
    localparam signed [NW-1:0] TWO = 2;

    // ---- CIRCLE ----------------------------------------------------------------------
    reg               circ_r;
    reg signed [31:0] b_r, c_r;
    reg               sq_run_r;        // squaring a, b, c (a circle, before the scan)
    reg  [1:0]        sq_i_r;          // value being squared: 0 a, 1 b, 2 c
    reg  [4:0]        sq_bit_r;
    reg signed [DW-1:0] md_r;          // the multiplicand, +-|v| << bit
    reg  [VB-1:0]     mr_r;            // the multiplier, |v| >> bit
    reg signed [DW-1:0] d_r, e_r;      // d(x, y); d(0, y)
    reg signed [NW-1:0] nx0_r, nx_r, ny_r;   // 2a - 1; -(2(x-a)+1); -(2(y-b)+1)
    wire        sq_last = (sq_bit_r == 5'd21);
    assign o_sq_done = sq_run_r && sq_last && (sq_i_r == 2'd2);

    // the next value to square (b after a, c after b) and its multiplicand: -|v| for a and
    // b, +|v| for c, i.e. v or -v as the sign of v and the wanted sign differ
    wire signed [31:0] nv = (sq_i_r == 2'd0) ? b_r : c_r;
    wire               nv_neg = (sq_i_r == 2'd0);
    /* verilator lint_off UNUSEDSIGNAL */
    wire signed [31:0] a_neg = -$signed(i_a), nv_negd = -nv;
    /* verilator lint_on UNUSEDSIGNAL */
    wire [VB-1:0] a_abs = i_a[31] ? a_neg[VB-1:0] : i_a[VB-1:0];
    wire [VB-1:0] nv_abs = nv[31] ? nv_negd[VB-1:0] : nv[VB-1:0];
    wire signed [DW-1:0] a_md = !i_a[31] ? {{(DW-VB){a_neg[31]}}, a_neg[VB-1:0]} :
                                           {{(DW-VB){i_a[31]}}, i_a[VB-1:0]};
    wire signed [DW-1:0] nv_md = (nv[31] != nv_neg) ? {{(DW-VB){nv_negd[31]}}, nv_negd[VB-1:0]} :
                                                      {{(DW-VB){nv[31]}}, nv[VB-1:0]};

    // the one wide adder: squares into e, or a step of the scan (right: d + nx; a row's
    // end: e + ny)
    wire signed [DW-1:0] acc_a = (sq_run_r || i_last_x) ? e_r : d_r;
    wire signed [DW-1:0] acc_b = sq_run_r ? (mr_r[0] ? md_r : {DW{1'b0}}) :
                                 i_last_x ? {{(DW-NW){ny_r[NW-1]}}, ny_r} :
                                            {{(DW-NW){nx_r[NW-1]}}, nx_r};
    wire signed [DW-1:0] acc = acc_a + acc_b;

    // ---- HALF and SQUARE: one box, clamped ---------------------------------------------
    wire signed [31:0] c32 = i_c;
    // c/2 rounded towards 0: (c + 1) >> 1 for c < 0 (the shift rounds down), one incrementer
    wire signed [31:0] half_side = (c32 + {31'd0, c32[31]}) >>> 1;
    wire signed [31:0] sx0 = $signed(i_a) - half_side;
    wire signed [31:0] sy0 = $signed(i_b) - half_side;
    wire signed [31:0] sx1 = sx0 + c32;
    wire signed [31:0] sy1 = sy0 + c32;
    // v clamped to 0..m
    function [10:0] clamp;
        input [31:0] v;
        input [31:0] m;
        begin
            clamp = v[31] ? 11'd0 : nca_lt(m, v) ? m[10:0] : v[10:0];
        end
    endfunction
    wire half_l = (i_a == 32'd0), half_r = (i_a == 32'd1), half_t = (i_a == 32'd2);
    wire half_b = !half_l && !half_r && !half_t;
    wire half = (i_op == OP_HALF);
    /* verilator lint_off UNUSEDSIGNAL */
    wire [10:0] bx0 = half ? (half_r ? W32[11:1] : 11'd0) : clamp(sx0, W32);
    wire [10:0] bx1 = half ? (half_l ? W32[11:1] : W32[10:0]) : clamp(sx1, W32);
    wire [10:0] by0 = half ? (half_b ? H32[11:1] : 11'd0) : clamp(sy0, H32);
    wire [10:0] by1 = half ? (half_t ? H32[11:1] : H32[10:0]) : clamp(sy1, H32);
    /* verilator lint_on UNUSEDSIGNAL */
    reg  [XW:0] bx0_r, bx1_r;
    reg  [YW:0] by0_r, by1_r;
    wire [31:0] x32 = {{(32-XW){1'b0}}, i_x}, y32 = {{(32-YW){1'b0}}, i_y};
    wire box_hit = !nca_lt(x32, {{(31-XW){1'b0}}, bx0_r}) && nca_lt(x32, {{(31-XW){1'b0}}, bx1_r}) &&
                   !nca_lt(y32, {{(31-YW){1'b0}}, by0_r}) && nca_lt(y32, {{(31-YW){1'b0}}, by1_r});
    assign o_hit = circ_r ? !d_r[DW-1] : box_hit;

    always @(posedge clk) begin
        if (i_start) begin
            circ_r <= (i_op == OP_CIRCLE);
            b_r <= i_b;
            c_r <= i_c;
            bx0_r <= bx0[XW:0];
            bx1_r <= bx1[XW:0];
            by0_r <= by0[YW:0];
            by1_r <= by1[YW:0];
            sq_i_r <= 2'd0;
            sq_bit_r <= 5'd0;
            md_r <= a_md;
            mr_r <= a_abs;
            e_r <= {DW{1'b0}};
            nx0_r <= $signed({i_a[NW-2:0], 1'b1}) - TWO;           // 2a - 1
            ny_r <= $signed({i_b[NW-2:0], 1'b1}) - TWO;            // 2b - 1 = -(2(0-b)+1)
            nx_r <= $signed({i_a[NW-2:0], 1'b1}) - TWO;
        end else if (sq_run_r) begin
            e_r <= acc;
            md_r <= md_r <<< 1;
            mr_r <= mr_r >> 1;
            sq_bit_r <= sq_bit_r + 5'd1;
            if (sq_last) begin
                sq_bit_r <= 5'd0;
                sq_i_r <= sq_i_r + 2'd1;
                md_r <= nv_md;
                mr_r <= nv_abs;
                d_r <= acc;                // d(0, 0) = c^2 - a^2 - b^2 after c
            end
        end else if (i_step) begin
            d_r <= acc;
            if (i_last_x) begin
                e_r <= acc;
                ny_r <= ny_r - TWO;
                nx_r <= nx0_r;
            end else begin
                nx_r <= nx_r - TWO;
            end
        end
        if (i_rst)
            sq_run_r <= 1'b0;
        else if (i_start)
            sq_run_r <= (i_op == OP_CIRCLE);
        else if (o_sq_done)
            sq_run_r <= 1'b0;
    end
endmodule

`default_nettype wire

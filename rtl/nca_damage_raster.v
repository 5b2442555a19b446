// SPDX-License-Identifier: Apache-2.0
// nca_damage_raster - the wide core's erasure hit test: CIRCLE, HALF and SQUARE, one cell a
// clock along a raster scan of the grid, with no multiplier.
//
// Usage: pulse i_start for one clock with the command (i_op OP_CIRCLE / OP_HALF /
// OP_SQUARE, i_a, i_b, i_c; |a|, |b|, |c| < 2^21). A CIRCLE first squares a, b and c with
// a shift-add squarer, 22 clocks each; o_sq_done is high in the last of those 66 clocks,
// and the scan may start the clock after. HALF and SQUARE may start the scan the clock
// after i_start. The scan is the caller's: it gives the cell (i_x, i_y) in raster order
// from (0, 0), one a clock with i_step, i_last_x on the last cell of a row, and o_hit says,
// in the same clock, whether that cell is erased. o_hit is the sign bit of a register for a
// circle: d(x, y) = c^2 - (x-a)^2 - (y-b)^2 follows the scan, d -= 2(x-a)+1 a step right,
// and at the end of a row e (d at x = 0) -= 2(y-b)+1, so the erase's write enables wait on
// no adder (the sum-and-compare was the ECP5 builds' critical path); |d| < 2^44. HALF:
// i_a 0 left, 1 right, 2 top, other bottom half. SQUARE: the box x0 <= x < x1,
// y0 <= y < y1 with x0 = a - c/2, x1 = x0 + c (c/2 rounds towards 0), the same in y with b.
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
    output reg                         o_hit
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
    localparam W = GRID_W, H = GRID_H;
    localparam XW = $clog2(W), YW = $clog2(H);

    reg  [1:0]  kind_r;                // 0 circle, 1 half, 2 square
    reg signed [31:0] a_r, b_r, c_r;
    reg         sq_run_r;              // squaring a, b, c (a circle, before the scan)
    reg  [1:0]  sq_i_r;                // value being squared: 0 a, 1 b, 2 c
    reg  [4:0]  sq_bit_r;
    reg  [43:0] sq_acc_r;
    reg signed [44:0] d_r, e_r;        // d(x, y); d(0, y)
    reg signed [31:0] sqx0_r, sqx1_r, sqy0_r, sqy1_r;

    wire [31:0] sq_src = (sq_i_r == 2'd0) ? a_r : (sq_i_r == 2'd1) ? b_r : c_r;
    wire [31:0] sq_abs = sq_src[31] ? -sq_src : sq_src;
    /* verilator lint_off UNUSEDSIGNAL */
    wire [43:0] sq_term = {12'd0, sq_abs} << sq_bit_r;   // |v| < 2^21: no bits lost
    wire [43:0] sq_next = sq_acc_r + (sq_abs[sq_bit_r] ? sq_term : 44'd0);
    wire signed [43:0] xa2 = ($signed({{(44-XW){1'b0}}, i_x}) - {{12{a_r[31]}}, a_r}) <<< 1;
    wire signed [43:0] yb2 = ($signed({{(44-YW){1'b0}}, i_y}) - {{12{b_r[31]}}, b_r}) <<< 1;
    /* verilator lint_on UNUSEDSIGNAL */
    wire signed [44:0] sq_s45 = {1'b0, sq_next};
    wire        sq_last = (sq_bit_r == 5'd21);
    assign o_sq_done = sq_run_r && sq_last && (sq_i_r == 2'd2);

    wire signed [31:0] c32 = i_c;
    wire signed [31:0] half_side = c32[31] ? -((-c32) >>> 1) : (c32 >>> 1);
    wire signed [31:0] x0 = $signed(i_a) - half_side;
    wire signed [31:0] y0 = $signed(i_b) - half_side;

    wire signed [31:0] xs = $signed({{(32-XW){1'b0}}, i_x});
    wire signed [31:0] ys = $signed({{(32-YW){1'b0}}, i_y});
    always @* begin
        case (kind_r)
            2'd0: o_hit = !d_r[44];
            2'd1: o_hit = (a_r == 32'sd0) ? (xs < W / 2) :
                          (a_r == 32'sd1) ? (xs >= W / 2) :
                          (a_r == 32'sd2) ? (ys < H / 2) : (ys >= H / 2);
            default: o_hit = xs >= sqx0_r && xs < sqx1_r && ys >= sqy0_r && ys < sqy1_r;
        endcase
    end

    always @(posedge clk) begin
        if (i_start) begin
            kind_r <= (i_op == OP_CIRCLE) ? 2'd0 : (i_op == OP_HALF) ? 2'd1 : 2'd2;
            a_r <= i_a;
            b_r <= i_b;
            c_r <= i_c;
            sqx0_r <= x0;
            sqx1_r <= x0 + c32;
            sqy0_r <= y0;
            sqy1_r <= y0 + c32;
            sq_i_r <= 2'd0;
            sq_bit_r <= 5'd0;
            sq_acc_r <= 44'd0;
        end else if (sq_run_r) begin
            sq_acc_r <= sq_next;
            sq_bit_r <= sq_bit_r + 5'd1;
            if (sq_last) begin
                sq_acc_r <= 44'd0;
                sq_bit_r <= 5'd0;
                sq_i_r <= sq_i_r + 2'd1;
                if (sq_i_r == 2'd0) begin
                    e_r <= -sq_s45;                // -a^2
                end else if (sq_i_r == 2'd1) begin
                    e_r <= e_r - sq_s45;           // -a^2 - b^2
                end else begin
                    e_r <= e_r + sq_s45;           // d(0, 0) = c^2 - a^2 - b^2
                    d_r <= e_r + sq_s45;
                end
            end
        end else if (i_step) begin
            // (x+1-a)^2 = (x-a)^2 + 2(x-a) + 1, the same for y at the end of a row
            if (i_last_x) begin
                e_r <= e_r - {yb2[43], yb2} - 45'sd1;
                d_r <= e_r - {yb2[43], yb2} - 45'sd1;
            end else begin
                d_r <= d_r - {xa2[43], xa2} - 45'sd1;
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

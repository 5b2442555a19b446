// SPDX-License-Identifier: Apache-2.0
// nca_damage_serial - the compact core's erasure walker: HALF, SQUARE and CIRCLE hit tests
// on a serpentine walk of the grid, with one adder and no multiplier.
//
// Usage: pulse i_start for one clock with the command (i_op OP_HALF / OP_SQUARE /
// OP_CIRCLE, i_a, i_b, i_c; |a|, |b|, |c| < 2^17) while o_busy is low. A CIRCLE first walks
// from (a + c, b) to (0, 0): |a + c| + |b| + 4 clocks. Then every cell takes 5 clocks in a
// serpentine (right along row 0, left along row 1, ...): one registers its hit test, the
// next four (o_sub 0..3) raise o_erase when the cell (o_x, o_y) is hit, one write a clock
// of its four channel groups. o_last marks the walk's last clock; o_busy is low the clock
// after. In all: 5 x GRID_W x GRID_H clocks (+ |a + c| + |b| + 4 for a circle).
// HALF (i_a 0 left, 1 right, 2 top, else bottom) and SQUARE (side i_c, top-left corner
// (a - c/2, b - c/2)) are a box x0 <= x < x1, y0 <= y < y1, its bounds clamped to 0..64 at
// i_start. CIRCLE: hit when d(x, y) = c^2 - (x-a)^2 - (y-b)^2 >= 0, kept in dd_r as the walk
// goes: a step right is d -= 2(x-a)+1, left d += 2(x-1-a)+1, down d -= 2(y-b)+1, up
// d += 2(y-1-b)+1 (tx_r, ty_r hold 2(x-a)+1 or, walking left, 2(x-1-a)+1; likewise y). The
// walk to (0, 0) starts on the circle at (a + c, b), where d = 0, and walks x to 0
// (|a + c| clocks) and y to 0 (|b| clocks), pw_pos_r counting the way. |d| < 2^36 always.
`default_nettype none

module nca_damage_serial #(
    parameter GRID_W = 64,  // grid width in cells, 3..64
    parameter GRID_H = 64   // grid height in cells, 3..64
) (
    input  wire        clk,
    input  wire        i_rst,
    input  wire        i_start,
    input  wire [3:0]  i_op,
    input  wire [31:0] i_a,
    /* verilator lint_off UNUSEDSIGNAL */
    input  wire [31:0] i_b,              // bits 31:20 unused (|b| < 2^17)
    input  wire [31:0] i_c,              // bits 30:20 unused (|c| < 2^17; 31: side < 0)
    /* verilator lint_on UNUSEDSIGNAL */
    output wire        o_busy,
    output wire        o_erase,
    output wire [1:0]  o_sub,
    output wire [5:0]  o_x,
    output wire [5:0]  o_y,
    output wire        o_last
);
    generate
        if (GRID_W < 3 || GRID_W > 64) begin : g_bad_grid_w
            nca_damage_serial_bad_GRID_W_3_to_64 u_stop ();
        end
        if (GRID_H < 3 || GRID_H > 64) begin : g_bad_grid_h
            nca_damage_serial_bad_GRID_H_3_to_64 u_stop ();
        end
    endgenerate

    `include "nca_core_ops.vh"   // OP_*
    `include "nca_lt.vh"         // nca_lt(x, c): x < c as plain logic
    localparam [31:0] W32 = GRID_W, H32 = GRID_H;
    localparam [5:0] WM1 = W32[5:0] - 6'd1, HM1 = H32[5:0] - 6'd1;
    localparam [6:0] HW7 = W32[7:1], HH7 = H32[7:1];

    reg         busy_r, sq_r;            // walking; on the way to (0, 0) (a circle)
    reg  [5:0]  x_r, y_r;
    reg         circ_r;
    reg  [6:0]  bx0_r, bx1_r, by0_r, by1_r;   // 0..64
    reg  [1:0]  dsub_r;
    reg         ph_r, hit_r;             // the cell's hit registered, erasing
    reg signed [36:0] dd_r;              // d(x, y)
    reg signed [19:0] tx_r, ty_r;        // 2(x-a) + 1 (right; left: of x - 1), 2(y-b) + 1
                                         // (ty_r: b during the x walk)
    reg         dright_r;                // the serpentine goes right
    // the walk to (0, 0): phase 0 x setup, 1 x walk, 2 y setup, 3 y walk; pw_pos_r: x, then y
    reg  [1:0]  pw_ph_r;
    reg signed [19:0] pw_pos_r;
    reg         pw_dec_r;                // the walk goes left / up
    wire        pw_zero = (pw_pos_r == 20'sd0);
    wire        pw_gt0 = !pw_pos_r[19] && !pw_zero;
    wire        pw_step = sq_r && pw_ph_r[0] && !pw_zero;
    wire        last_x = dright_r ? (x_r == WM1) : (x_r == 6'd0);
    wire        y_last = (y_r == HM1);
    // dd_r + (neg ? -m : m) as one adder (the low bit carries neg in): the walk to (0, 0)
    // (phase 3: y), the serpentine (last_x: down)
    wire        dd_y = sq_r ? pw_ph_r[1] : last_x;
    wire        dd_neg = sq_r ? !pw_dec_r : (last_x || dright_r);
    wire [36:0] dd_m = dd_y ? {{17{ty_r[19]}}, ty_r} : {{17{tx_r[19]}}, tx_r};
    /* verilator lint_off UNUSEDSIGNAL */
    wire [37:0] dd_sum = {dd_r, 1'b1} + {dd_m ^ {37{dd_neg}}, dd_neg};
    /* verilator lint_on UNUSEDSIGNAL */
    // tx_r, ty_r +-2: the walk's steps (-2 walking left / up), setup (-2) and the end of a
    // walk (+2: back to 2(x-a)+1); the serpentine right +2, left -2, turning by 2 the other
    // way
    wire        tx_up = sq_r ? (pw_zero || !pw_dec_r) && pw_ph_r == 2'd1 : (dright_r ^ last_x);
    wire        ty_up = !(pw_step && pw_dec_r);
    wire signed [19:0] tx_next = tx_r + {{18{!tx_up}}, 2'b10};
    wire signed [19:0] ty_next = ty_r + {{18{!ty_up}}, 2'b10};

    // the command's box
    function [6:0] clamp7;   // v clamped to 0..64 (as far as a cell 0..63 can tell)
        input signed [19:0] v;
        begin
            clamp7 = v[19] ? 7'd0 : !nca_lt({12'd0, v}, 32'd65) ? 7'd64 : v[6:0];
        end
    endfunction
    wire signed [19:0] a20 = i_a[19:0];
    wire signed [19:0] b20 = i_b[19:0];
    wire signed [19:0] c20 = i_c[19:0];
    wire signed [19:0] sqx0 = a20 - (c20 >>> 1);   // c >= 0: c/2 rounds down
    wire signed [19:0] sqy0 = b20 - (c20 >>> 1);
    wire signed [19:0] sqx1 = sqx0 + c20;
    wire signed [19:0] sqy1 = sqy0 + c20;
    wire        half = (i_op == OP_HALF);
    wire        half_l = (i_a == 32'd0), half_r = (i_a == 32'd1), half_t = (i_a == 32'd2),
                half_b = !half_l && !half_r && !half_t;
    wire [6:0]  x0 = half ? (half_r ? HW7 : 7'd0) : i_c[31] ? 7'd64 : clamp7(sqx0); // side < 0
    wire [6:0]  x1 = half ? (half_l ? HW7 : 7'd64) : clamp7(sqx1);
    wire [6:0]  y0 = half ? (half_b ? HH7 : 7'd0) : clamp7(sqy0);
    wire [6:0]  y1 = half ? (half_t ? HH7 : 7'd64) : clamp7(sqy1);
    wire [6:0]  xs7 = {1'b0, x_r};
    wire [6:0]  ys7 = {1'b0, y_r};
    wire        hit = circ_r ? !dd_r[36] :
                      (xs7 >= bx0_r && xs7 < bx1_r && ys7 >= by0_r && ys7 < by1_r);

    assign o_busy = busy_r;
    assign o_erase = busy_r && !sq_r && ph_r && hit_r;
    assign o_sub = dsub_r;
    assign o_x = x_r;
    assign o_y = y_r;
    assign o_last = busy_r && !sq_r && ph_r && dsub_r == 2'd3 && last_x && y_last;

    always @(posedge clk) begin
        if (i_rst) begin
            busy_r <= 1'b0;
        end else if (i_start) begin
            busy_r <= 1'b1;
            sq_r <= (i_op == OP_CIRCLE);
            circ_r <= (i_op == OP_CIRCLE);
            bx0_r <= x0;
            bx1_r <= x1;
            by0_r <= y0;
            by1_r <= y1;
            x_r <= 6'd0;
            y_r <= 6'd0;
            dsub_r <= 2'd0;
            ty_r <= b20;
            tx_r <= {c20[18:0], 1'b1};
            pw_pos_r <= a20 + c20;
            pw_ph_r <= 2'd0;
            dd_r <= 37'sd0;
            dright_r <= 1'b1;
            ph_r <= 1'b0;
        end else if (busy_r && sq_r) begin
            // the walk from (a + c, b) to (0, 0): a setup clock (tx_r, ty_r to the left / up
            // form), a step a clock, a clock to end (back to 2(x-a)+1)
            if (!pw_ph_r[0]) begin
                pw_dec_r <= pw_gt0;
                pw_ph_r <= pw_ph_r + 2'd1;
                if (!pw_ph_r[1]) begin
                    if (pw_gt0)
                        tx_r <= tx_next;
                end else begin
                    ty_r <= pw_gt0 ? -20'sd1 : 20'sd1;
                end
            end else if (!pw_zero) begin
                dd_r <= dd_sum[37:1];
                pw_pos_r <= pw_pos_r + {{19{pw_dec_r}}, 1'b1};
                if (pw_ph_r[1])
                    ty_r <= ty_next;
                else
                    tx_r <= tx_next;
            end else if (!pw_ph_r[1]) begin
                if (pw_dec_r)
                    tx_r <= tx_next;
                pw_pos_r <= ty_r;
                pw_ph_r <= 2'd2;
            end else begin
                if (pw_dec_r)
                    ty_r <= ty_next;
                sq_r <= 1'b0;
            end
        end else if (busy_r) begin
            // per cell: a clock to register the hit test, then 4 erase clocks
            if (!ph_r) begin
                hit_r <= hit;
                ph_r <= 1'b1;
            end else begin
                dsub_r <= dsub_r + 2'd1;
                if (dsub_r == 2'd3) begin
                    ph_r <= 1'b0;
                    // serpentine: right, down, left, down, ...; tx_r steps +-2 with the
                    // walk and turns by 2 the other way at the end of a row
                    dd_r <= dd_sum[37:1];
                    tx_r <= tx_next;
                    if (last_x) begin
                        ty_r <= ty_next;
                        dright_r <= !dright_r;
                        y_r <= y_r + 6'd1;
                    end else begin
                        x_r <= dright_r ? x_r + 6'd1 : x_r - 6'd1;
                    end
                    if (last_x && y_last)
                        busy_r <= 1'b0;
                end
            end
        end
    end
endmodule

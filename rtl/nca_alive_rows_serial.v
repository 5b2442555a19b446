// SPDX-License-Identifier: Apache-2.0
// nca_alive_rows_serial - the compact core's alive mask (phases A and C): the 3x3 OR of a
// bitmap row, a 16-bit word at a time, 17 clocks a row.
//
// Usage: the caller counts i_cn 0..16 for row i_y (with i_y_prev / i_y_next / i_y_last of
// the grid, i_wrap the torus flag) and reads the bitmap word {o_raddr_y, o_raddr_q} at each
// count, its data on i_rdata one clock later (a synchronous RAM). Rows y-1, y, y+1 of word q
// are read at counts 3q..3q+2 (a row outside the grid: row y again, the OR does not change)
// and OR-ed in ac_acc_r; word q's 3x3 OR is ready once bit 0 of word q+1 is in: o_out with
// o_wq = q and o_mask (cells x >= GRID_W cleared) at count 9 (word 1), 12 (2), 13 (3) and 14
// (word 0, kept in ac_w0_r; its left neighbour on a torus is cell GRID_W-1). Count 16 acts as
// 0: nothing happens there. No reset: every count's registers are written before use.
`default_nettype none

module nca_alive_rows_serial #(
    parameter GRID_W = 64   // grid width in cells, 3..64
) (
    input  wire        clk,
    input  wire [3:0]  i_cn,
    input  wire [5:0]  i_y,
    input  wire [5:0]  i_y_prev,
    input  wire [5:0]  i_y_next,
    input  wire        i_y_last,
    input  wire        i_wrap,
    output wire [5:0]  o_raddr_y,
    output wire [1:0]  o_raddr_q,
    input  wire [15:0] i_rdata,
    output wire        o_out,
    output wire [1:0]  o_wq,
    output wire [15:0] o_mask
);
    generate
        if (GRID_W < 3 || GRID_W > 64) begin : g_bad_grid_w
            nca_alive_rows_serial_bad_GRID_W_3_to_64 u_stop ();
        end
    endgenerate

    localparam integer QL = (GRID_W - 1) / 16;       // the word of cell GRID_W-1
    localparam integer PL = (GRID_W - 1) % 16;       // its bit
    localparam [17:0] WRAPB = 18'd1 << (PL + 2);
    function [3:0] ac_rd;                       // read at count n: {word, row 0..2}
        input [3:0] n;
        case (n)
            4'd0: ac_rd = 4'b00_00;  4'd1: ac_rd = 4'b00_01;  4'd2: ac_rd = 4'b00_10;
            4'd3: ac_rd = 4'b01_00;  4'd4: ac_rd = 4'b01_01;  4'd5: ac_rd = 4'b01_10;
            4'd6: ac_rd = 4'b10_00;  4'd7: ac_rd = 4'b10_01;  4'd8: ac_rd = 4'b10_10;
            4'd9: ac_rd = 4'b11_00;  4'd10: ac_rd = 4'b11_01; 4'd11: ac_rd = 4'b11_10;
            default: ac_rd = 4'b00_00;
        endcase
    endfunction
    function [1:0] ac_wq;                       // word out at count n
        input [3:0] n;
        ac_wq = (n == 4'd9) ? 2'd1 : (n == 4'd12) ? 2'd2 : (n == 4'd13) ? 2'd3 : 2'd0;
    endfunction
    wire [3:0]  ac_rdn = ac_rd(i_cn);
    assign o_raddr_q = ac_rdn[3:2];
    wire [5:0]  ac_yu = (i_y == 6'd0 && !i_wrap) ? i_y : i_y_prev;
    wire [5:0]  ac_yd = (i_y_last && !i_wrap) ? i_y : i_y_next;
    assign o_raddr_y = (ac_rdn[1:0] == 2'd0) ? ac_yu : ac_rdn[1] ? ac_yd : i_y;
    reg  [15:0] ac_acc_r, ac_cur_r, ac_w0_r;
    reg         ac_r1_r, ac_p15_r, ac_last_r;
    wire        ac_first = (i_cn == 4'd1 || i_cn == 4'd4 || i_cn == 4'd7 || i_cn == 4'd10);
    wire        ac_done = (i_cn == 4'd3 || i_cn == 4'd6 || i_cn == 4'd9 || i_cn == 4'd12);
    wire [15:0] ac_v = ac_acc_r | i_rdata;     // the word's OR when ac_done
    assign o_out = (i_cn == 4'd9 || i_cn == 4'd12 || i_cn == 4'd13 || i_cn == 4'd14);
    wire [1:0]  wq = ac_wq(i_cn);
    assign o_wq = wq;
    wire        ac_lastb = (QL == 0) ? ac_cur_r[PL] : ac_last_r;
    wire        ac_l = (i_cn == 4'd9) ? ac_w0_r[15] : (i_cn == 4'd14) ? (i_wrap && ac_lastb) :
                       ac_p15_r;
    wire        ac_rb = (i_cn == 4'd14) ? ac_r1_r : (i_cn == 4'd13) ? 1'b0 : ac_v[0];
    wire [17:0] ac_ext = {ac_rb, ac_cur_r, ac_l} |
                         ((i_wrap && wq == QL[1:0] && ac_w0_r[0]) ? WRAPB : 18'd0);
    wire [15:0] ac_row = ac_ext[15:0] | ac_ext[16:1] | ac_ext[17:2];
    wire [63:0] vmask_ac = {{(64-GRID_W){1'b0}}, {GRID_W{1'b1}}};
    assign o_mask = ac_row & vmask_ac[16*wq +: 16];

    always @(posedge clk) begin
        ac_acc_r <= ac_first ? i_rdata : ac_v;
        if (ac_done || i_cn == 4'd13)
            ac_cur_r <= (i_cn == 4'd13) ? ac_w0_r : ac_v;
        if (i_cn == 4'd3)
            ac_w0_r <= ac_v;
        if (i_cn == 4'd6)
            ac_r1_r <= ac_v[0];
        if (o_out)
            ac_p15_r <= ac_cur_r[15];
        if (o_out && wq == QL[1:0])
            ac_last_r <= ac_cur_r[PL];
    end
endmodule

`default_nettype wire

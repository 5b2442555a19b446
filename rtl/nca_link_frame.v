// SPDX-License-Identifier: Apache-2.0
// nca_link_frame - READ_FRAME encoder: the RGBA8 frame of the grid (docs/fixed-point.md
// "Frame"), run-length coded as docs/protocol.md READ_FRAME says, straight from the core's
// READW port (no frame buffer).
//
// Usage: i_start with i_count = 1 runs a counting pass: o_done rises with o_len = 6 + the
// size of the RLE data in bytes (the READ_FRAME answer payload). i_start with i_count = 0 runs the same scan again and sends
// the data on o_valid/o_byte/i_ready, o_last with the last byte. The scan reads channels
// 0..3 of each cell, one word
// at a time, through o_rd_valid/o_rd_x/o_rd_y/o_rd_c (nca_core READW, accepted on
// i_rd_ready), takes each answer (i_rsp_word while i_rsp_valid, released at once with
// o_rsp_ready) and converts it.
// A run is greedy: zero cells (all four bytes 0) up to 128, or non-zero cells up to 128;
// a literal run is read a second time to send its bytes after its token. The grid must
// not change between the two passes. i_sf is SF (4..14). No multiplier. A word's pixel
// conversion (the shift up to Q14) takes one clock with SERIAL_CONV = 0 (a 16-bit shifter),
// 15 - SF clocks with SERIAL_CONV = 1 (a shift a clock: fewer LUTs, the iCE40 UP5K); a cell
// takes 4 x (the word read + the conversion + 1) + 2 clocks to classify, literal cells twice
// that (measured through nca_board at SF 11: 18 with the wide core and SERIAL_CONV 0, 38
// with the compact core and SERIAL_CONV 1; tools/bench_live.sh).
`default_nettype none

module nca_link_frame #(
    parameter GRID_W = 64,  // grid width in cells, 3..1024
    parameter GRID_H = 64,  // grid height in cells, 3..1024, GRID_W x GRID_H <= 16256
    parameter SERIAL_CONV = 0  // 1: bit-serial pixel conversion (fewer LUTs), 0: one clock
) (
    input  wire        clk,
    input  wire        i_rst,
    input  wire        i_start,
    input  wire        i_count,
    input  wire [3:0]  i_sf,
    output wire        o_rd_valid,
    output wire [$clog2(GRID_W)-1:0] o_rd_x,
    output wire [$clog2(GRID_H)-1:0] o_rd_y,
    output wire [1:0]  o_rd_c,
    input  wire        i_rd_ready,
    input  wire        i_rsp_valid,
    input  wire [15:0] i_rsp_word,
    output wire        o_rsp_ready,
    output wire        o_valid,
    output wire [7:0]  o_byte,
    input  wire        i_ready,
    output reg  [15:0] o_len,
    output wire        o_done,
    output wire        o_last
);
    generate
        if (SERIAL_CONV != 0 && SERIAL_CONV != 1) begin : g_bad_serial_conv
            nca_link_frame_bad_SERIAL_CONV_0_or_1 u_stop ();
        end
    endgenerate
    localparam XW = $clog2(GRID_W);
    localparam YW = $clog2(GRID_H);
    localparam [3:0] F_IDLE = 4'd0, F_RUN = 4'd1, F_REQ = 4'd2, F_WAIT = 4'd3, F_CONV = 4'd4,
                     F_BYTE = 4'd5, F_ACK = 4'd6, F_TOKEN = 4'd7, F_DONE = 4'd8;
    reg [3:0]    st_r;
    reg          count_r;       // counting pass
    reg [XW-1:0] x_r, sx_r;
    reg [YW-1:0] y_r, sy_r;
    reg          end_r;         // (x_r, y_r) is past the last cell
    reg [7:0]    n_r;           // cells in the run so far; sending: literal cells still to send
    reg          lit_r;         // the run is literal (non-zero cells)
    reg          emit_r;        // sending a literal run's bytes
    reg          nz_r;          // the cell has a non-zero byte
    reg [1:0]    ch_r;
    reg [15:0]   t_r;           // the word (0 if negative), shifted up to Q14
    reg          ov_r;          // a 1 was shifted out of t_r: the word is > 2^SF
    reg [3:0]    k_r;           // shifts left
    assign o_done = (st_r == F_DONE);
    assign o_rd_valid = (st_r == F_REQ);
    assign o_rd_x = x_r;
    assign o_rd_y = y_r;
    assign o_rd_c = ch_r;
    assign o_rsp_ready = (st_r == F_WAIT);

    // byte = round(clamp(s, 0, 2^SF) x 255 / 2^SF) = (t x 255 + 2^13) >> 14, t = s << (14 - SF);
    // s >= 2^SF (t >= 2^14, or bits shifted out) gives 255: no comparison with 2^SF
    /* verilator lint_off UNUSEDSIGNAL */
    wire [21:0] prod = {t_r[13:0], 8'd0} - {8'd0, t_r[13:0]} + 22'd8192;  // t < 2^14
    /* verilator lint_on UNUSEDSIGNAL */
    wire [7:0]  pix = (ov_r || t_r[15] || t_r[14]) ? 8'd255 : prod[21:14];
    wire [6:0]  n_m1 = n_r[6:0] - 7'd1;            // n - 1 (n is 1..128)
    wire [7:0]  tok = {lit_r, n_m1};               // 0x7F + n (literal) or n - 1 (zeros)
    assign o_valid = (st_r == F_TOKEN) || (st_r == F_BYTE && emit_r);
    assign o_byte = (st_r == F_TOKEN) ? tok : pix;
    // the last byte of the data: a zero run's token or the last byte of a literal run's last
    // cell, once the scan has passed the grid's last cell
    assign o_last = end_r && ((st_r == F_TOKEN && !lit_r) ||
                              (st_r == F_BYTE && emit_r && ch_r == 2'd3 && n_r == 8'd1));

    // the answer shifted up to Q14 at once (SERIAL_CONV = 0): the bits shifted out set ov
    wire [15:0] rsp_pos = i_rsp_word[15] ? 16'd0 : i_rsp_word;
    wire [3:0]  up = 4'd14 - i_sf;
    wire [31:0] rsp_up = {16'd0, rsp_pos} << up;

    wire last_x = (x_r == GRID_W[XW-1:0] - 1'b1);
    wire last_y = (y_r == GRID_H[YW-1:0] - 1'b1);

    always @(posedge clk) begin
        if (i_rst) begin
            st_r <= F_IDLE;
        end else begin
            case (st_r)
                F_IDLE, F_DONE: if (i_start) begin
                    count_r <= i_count;
                    x_r <= {XW{1'b0}};
                    y_r <= {YW{1'b0}};
                    end_r <= 1'b0;
                    n_r <= 8'd0;
                    emit_r <= 1'b0;
                    ch_r <= 2'd0;
                    nz_r <= 1'b0;
                    if (i_count)
                        o_len <= 16'd6;          // status, format, width, height
                    st_r <= F_RUN;
                end
                F_RUN: begin
                    // a visit is due unless the run ends here
                    if (emit_r) begin
                        if (n_r == 8'd0) begin
                            emit_r <= 1'b0;
                            st_r <= end_r ? F_DONE : F_RUN;
                        end else begin
                            st_r <= F_REQ;
                        end
                    end else if (n_r != 8'd0 && (end_r || n_r == 8'd128)) begin
                        st_r <= F_TOKEN;
                    end else begin
                        st_r <= F_REQ;
                    end
                end
                F_REQ: if (i_rd_ready)
                    st_r <= F_WAIT;
                F_WAIT: if (i_rsp_valid) begin
                    if (SERIAL_CONV == 1) begin
                        t_r <= rsp_pos;
                        ov_r <= 1'b0;
                        k_r <= up;
                        st_r <= F_CONV;
                    end else begin
                        t_r <= rsp_up[15:0];
                        ov_r <= |rsp_up[31:16];
                        st_r <= F_BYTE;
                    end
                end
                F_CONV: begin
                    if (k_r != 4'd0) begin
                        t_r <= {t_r[14:0], 1'b0};
                        ov_r <= ov_r || t_r[15];
                        k_r <= k_r - 4'd1;
                    end else begin
                        st_r <= F_BYTE;
                    end
                end
                F_BYTE: if (!emit_r || i_ready) begin
                    nz_r <= nz_r || (pix != 8'd0);
                    ch_r <= ch_r + 2'd1;
                    st_r <= (ch_r == 2'd3) ? F_ACK : F_REQ;
                end
                F_ACK: begin
                    // the cell is done: step on, or end the run before it
                    st_r <= F_RUN;
                    nz_r <= 1'b0;
                    if (emit_r) begin
                        n_r <= n_r - 8'd1;
                        x_r <= last_x ? {XW{1'b0}} : x_r + 1'b1;
                        if (last_x)
                            y_r <= y_r + 1'b1;
                    end else if (n_r == 8'd0 || nz_r == lit_r) begin
                        if (n_r == 8'd0) begin
                            lit_r <= nz_r;
                            sx_r <= x_r;
                            sy_r <= y_r;
                        end
                        n_r <= n_r + 8'd1;
                        x_r <= last_x ? {XW{1'b0}} : x_r + 1'b1;
                        if (last_x)
                            y_r <= last_y ? {YW{1'b0}} : y_r + 1'b1;
                        if (last_x && last_y)
                            end_r <= 1'b1;
                    end else begin
                        st_r <= F_TOKEN;
                    end
                end
                F_TOKEN: if (count_r || i_ready) begin
                    if (count_r) begin
                        o_len <= o_len + {6'd0, lit_r ? n_r : 8'd0, 2'b01};   // token + 4 n
                        n_r <= 8'd0;
                        st_r <= end_r ? F_DONE : F_RUN;
                    end else if (lit_r) begin
                        // send the literal cells: visit them again from the run's start
                        emit_r <= 1'b1;
                        x_r <= sx_r;
                        y_r <= sy_r;
                        st_r <= F_RUN;
                    end else begin
                        n_r <= 8'd0;
                        st_r <= end_r ? F_DONE : F_RUN;
                    end
                end
                default: st_r <= F_IDLE;
            endcase
        end
    end
endmodule

`default_nettype wire

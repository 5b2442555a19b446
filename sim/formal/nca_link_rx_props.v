// SPDX-License-Identifier: Apache-2.0
// nca_link_rx_props - properties of the link's packet receiver (nca_link_rx), proved with
// Yosys' own SAT solver by k-induction (`make -C sim formal`: unbounded, every input sequence
// from reset) on a small instance (MAX_LEN 3, TIMEOUT 3):
//   P1 it always returns to hunting: after TIMEOUT + 4 clocks without a byte, it is not
//      inside a packet (o_busy low);
//   P3 only requests are accepted: o_req rises with o_cmd bit 7 clear.
// P2, no packet with a bad CRC accepted (when o_req rises, the last o_len + 8 bytes in are
// A5 5A, o_cmd, o_seq, the length, the payload and the CRC-16/CCITT-FALSE of command..payload
// computed here on its own), is written but behind NCA_FORMAL_P2: Yosys' SAT (MiniSAT) does
// not finish it (a bounded check of 14 clocks ran past 500 s: a CRC over symbolic bytes);
// tb_link's robust test flips every bit of a packet instead.
// Usage: a formal wrapper, no ports of its own but the receiver's inputs (all free).
`default_nettype none

module nca_link_rx_props (
    input wire       clk,
    input wire       i_rst,
    input wire       i_valid,
    input wire [7:0] i_byte,
    input wire       i_hold,
    input wire       i_place,
    input wire [2:0] i_pos,
    input wire       i_req_ack
);
    localparam MAX_LEN = 3;
    localparam TIMEOUT = 3;
    /* verilator lint_off UNUSEDSIGNAL */
    wire        busy, hdr, pl_valid, req, drop;
    wire [7:0]  cmd, seq, pl_byte;
    wire [15:0] len;
    wire [2:0]  pl_k;
    wire [55:0] args;
    /* verilator lint_on UNUSEDSIGNAL */
    nca_link_rx #(.MAX_LEN(MAX_LEN), .TIMEOUT(TIMEOUT)) dut (
        .clk(clk), .i_rst(i_rst), .i_valid(i_valid), .i_byte(i_byte), .i_hold(i_hold),
        .i_place(i_place), .i_pos(i_pos), .o_busy(busy), .o_hdr(hdr), .o_cmd(cmd), .o_seq(seq),
        .o_len(len), .o_pl_valid(pl_valid), .o_pl_byte(pl_byte), .o_pl_k(pl_k), .o_args(args),
        .o_req(req), .i_req_ack(i_req_ack), .o_drop(drop));

    // the last 11 bytes in (w_r[0] the newest), clocks since the last byte, o_req a clock ago
    reg [7:0] w_r [0:10];
    reg [4:0] quiet_r;
    reg       req_q_r;
    integer i;
    always @(posedge clk) begin
        req_q_r <= req;
        if (i_valid) begin
            for (i = 10; i > 0; i = i - 1)
                w_r[i] <= w_r[i - 1];
            w_r[0] <= i_byte;
            quiet_r <= 5'd0;
        end else if (quiet_r != 5'd31) begin
            quiet_r <= quiet_r + 5'd1;
        end
    end

    function [15:0] crc_byte(input [15:0] c, input [7:0] b);
        integer k;
        reg [15:0] x;
        begin
            x = c ^ {b, 8'd0};
            for (k = 0; k < 8; k = k + 1)
                x = x[15] ? ((x << 1) ^ 16'h1021) : (x << 1);
            crc_byte = x;
        end
    endfunction

    // the packet of n payload bytes that ends at w_r[0] checks
    function good(input [1:0] n);
        reg [15:0] c;
        integer k, top;
        begin
            top = n + 7;
            c = 16'hFFFF;
            for (k = 10; k >= 2; k = k - 1)
                if (k <= top - 2)
                    c = crc_byte(c, w_r[k]);
            good = w_r[top] == 8'hA5 && w_r[top - 1] == 8'h5A && w_r[top - 2] == cmd &&
                   w_r[top - 3] == seq && w_r[top - 4] == {6'd0, n} && w_r[top - 5] == 8'd0 &&
                   w_r[1] == c[7:0] && w_r[0] == c[15:8];
        end
    endfunction

    wire rise = req && !req_q_r && !i_rst;
    always @* begin
        if (!i_rst && quiet_r > TIMEOUT + 4)
            assert (!busy);                                  // P1
`ifdef NCA_FORMAL_P2
        if (rise)
            assert (len <= MAX_LEN && good(len[1:0]));       // P2
`endif
        if (rise)
            assert (!cmd[7]);                                // P3
    end
endmodule

`default_nettype wire

// SPDX-License-Identifier: Apache-2.0
// nca_link_rx - packet receiver of the link (docs/protocol.md "Packet"): sync hunt,
// header, payload, CRC-16/CCITT-FALSE check, inter-byte timeout.
//
// Usage: bytes come in on i_valid/i_byte (at most one per clock; the UART gives one per
// 10 bit times); i_byte must hold until the next i_valid (nca_uart_rx's does: o_pl_byte is
// i_byte). After the 6 header bytes of a packet whose length is at most MAX_LEN,
// o_hdr pulses with o_cmd/o_seq/o_len valid; then every payload byte pulses o_pl_valid
// with o_pl_byte and its index o_pl_k (0..6, 7 for the 8th byte and all after it: no
// 16-bit index), and the first 7 payload bytes are also kept in o_args, byte k in bits
// [8p+7:8p] with p = (k + p0) mod 7: p0 = i_pos when i_place is high at the header (the
// caller places fields), else the request is right-aligned (p0 = 7 - min(n, 7) for n
// bytes). When the CRC checks and the command is a request (bit 7 clear), o_req rises and
// holds o_cmd/o_seq/o_len/o_args until i_req_ack. A packet with a bad CRC, an oversize
// length or a gap of more than TIMEOUT clocks between two of its bytes pulses o_drop
// instead and hunting restarts with the next byte (no packet buffer: a packet that began
// inside the dropped one is lost too; the host resends it). Packets with
// bit 7 set (answers, events) are ignored. While i_hold or o_req is high, new packets are
// not started (their bytes are ignored). o_busy: a packet is partly received.
`default_nettype none

module nca_link_rx #(
    parameter MAX_LEN = 4104,  // largest request payload in bytes, 1..65535
    parameter TIMEOUT = 48000  // inter-byte gap that drops a packet, clocks, 2..2^24
) (
    input  wire        clk,
    input  wire        i_rst,
    input  wire        i_valid,
    input  wire [7:0]  i_byte,
    input  wire        i_hold,
    input  wire        i_place,
    input  wire [2:0]  i_pos,
    output wire        o_busy,
    output reg         o_hdr,
    output reg  [7:0]  o_cmd,
    output reg  [7:0]  o_seq,
    output reg  [15:0] o_len,
    output reg         o_pl_valid,
    output wire [7:0]  o_pl_byte,
    output reg  [2:0]  o_pl_k,
    output reg  [55:0] o_args,
    output reg         o_req,
    input  wire        i_req_ack,
    output reg         o_drop
);
    `include "nca_link_ids.vh"   // SYNC0, SYNC1 (tools/gen_ids.py)
    generate
        if (MAX_LEN < 1 || MAX_LEN > 65535) begin : g_bad_max_len
            nca_link_rx_bad_MAX_LEN_1_to_65535 u_stop ();
        end
        if (TIMEOUT < 2 || TIMEOUT > 16777216) begin : g_bad_timeout
            nca_link_rx_bad_TIMEOUT_2_to_16777216 u_stop ();
        end
    endgenerate
    localparam TW = $clog2(TIMEOUT + 1);
    localparam IW = (MAX_LEN < 8) ? 4 : $clog2(MAX_LEN + 1);
    localparam [15:0] LEN_MASK = (IW >= 16) ? 16'hFFFF : (16'd1 << IW) - 16'd1;
    localparam [7:0]  LEN_HI_MASK = LEN_MASK[15:8];

    localparam [2:0] H_SYNC0 = 3'd0, H_SYNC1 = 3'd1, H_CMD = 3'd2, H_SEQ = 3'd3,
                     H_LEN0 = 3'd4, H_LEN1 = 3'd5, H_PAY = 3'd6, H_CRC = 3'd7;
    reg [2:0]    st_r;
    reg          crc_hi_r;      // in H_CRC: the low CRC byte has arrived
    reg          crc_lo_r;      // the low CRC byte matched (the CRC holds in H_CRC)
    reg [TW-1:0] gap_r;
    reg [IW-1:0] idx_r;         // payload byte index (a length <= MAX_LEN has IW bits)
    reg [2:0]    pos_r;         // byte of o_args the next payload byte goes to (0..6)
    wire [15:0]  crc;
    assign o_busy = (st_r != H_SYNC0) && (st_r != H_SYNC1);

    wire in_crc = i_valid && (st_r == H_CMD || st_r == H_SEQ || st_r == H_LEN0 ||
                              st_r == H_LEN1 || st_r == H_PAY);
    nca_crc16 u_crc (
        .clk(clk), .i_init(st_r == H_SYNC1), .i_valid(in_crc), .i_byte(i_byte), .o_crc(crc));

    wire [15:0] len_in = {i_byte, o_len[7:0]};
    assign o_pl_byte = i_byte;
    `include "nca_lt.vh"   // nca_lt(x, c): x < c as plain logic
    localparam MAX1I = MAX_LEN + 1;
    localparam [31:0] MAX1 = MAX1I;

    always @(posedge clk) begin
        o_hdr <= 1'b0;
        o_pl_valid <= 1'b0;
        o_drop <= 1'b0;
        if (i_rst) begin
            st_r <= H_SYNC0;
            o_req <= 1'b0;
            gap_r <= {TW{1'b0}};
        end else begin
            if (i_req_ack)
                o_req <= 1'b0;
            if (i_valid)
                gap_r <= {TW{1'b0}};
            else if (o_busy)
                gap_r <= gap_r + 1'b1;
            if (o_busy && !i_valid && gap_r == TIMEOUT[TW-1:0]) begin
                o_drop <= 1'b1;
                st_r <= H_SYNC0;
            end else if (i_valid) begin
                case (st_r)
                    H_SYNC0: if (i_byte == SYNC0 && !i_hold && !o_req)
                        st_r <= H_SYNC1;
                    H_SYNC1: if (i_byte == SYNC1)
                        st_r <= H_CMD;
                    else if (i_byte != SYNC0)
                        st_r <= H_SYNC0;
                    H_CMD: begin
                        o_cmd <= i_byte;
                        st_r <= H_SEQ;
                    end
                    H_SEQ: begin
                        o_seq <= i_byte;
                        st_r <= H_LEN0;
                    end
                    H_LEN0: begin
                        o_len[7:0] <= i_byte;
                        st_r <= H_LEN1;
                    end
                    H_LEN1: begin
                        // (bits IW and up are 0 in a packet that is not dropped)
                        o_len[15:8] <= i_byte & LEN_HI_MASK;
                        idx_r <= {IW{1'b0}};
                        crc_hi_r <= 1'b0;
                        o_args <= 56'd0;
                        pos_r <= i_place ? i_pos :
                                 (len_in[15:3] == 13'd0) ? 3'd7 - len_in[2:0] : 3'd0;
                        if (!nca_lt({16'd0, len_in}, MAX1)) begin
                            o_drop <= 1'b1;
                            st_r <= H_SYNC0;
                        end else begin
                            o_hdr <= 1'b1;
                            st_r <= (len_in == 16'd0) ? H_CRC : H_PAY;
                        end
                    end
                    H_PAY: begin
                        o_pl_valid <= 1'b1;
                        o_pl_k <= (idx_r[IW-1:3] == 0) ? idx_r[2:0] : 3'd7;
                        if (idx_r[IW-1:3] == 0 && idx_r[2:0] != 3'd7) begin
                            o_args[8*pos_r +: 8] <= i_byte;
                            pos_r <= (pos_r == 3'd6) ? 3'd0 : pos_r + 3'd1;
                        end
                        idx_r <= idx_r + 1'b1;
                        if (idx_r + 1'b1 == o_len[IW-1:0])
                            st_r <= H_CRC;
                    end
                    default: begin  // H_CRC, low byte first
                        crc_lo_r <= (i_byte == crc[7:0]);
                        crc_hi_r <= 1'b1;
                        if (crc_hi_r) begin
                            st_r <= H_SYNC0;
                            if (!crc_lo_r || i_byte != crc[15:8])
                                o_drop <= 1'b1;
                            else if (!o_cmd[7])
                                o_req <= 1'b1;
                        end
                    end
                endcase
            end
        end
    end
endmodule

`default_nettype wire

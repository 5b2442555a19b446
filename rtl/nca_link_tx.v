// SPDX-License-Identifier: Apache-2.0
// nca_link_tx - packet transmitter of the link (docs/protocol.md "Packet"): sync, header,
// payload pulled from the caller, CRC-16/CCITT-FALSE (low byte first).
//
// Usage: i_start (while o_busy is low) starts a packet; i_cmd/i_seq/i_len must hold until
// o_busy falls (they are not copied). The packet goes out byte by byte on o_valid/o_byte/
// i_ready (the UART transmitter). The payload bytes are pulled with o_pl_ready: a byte is
// taken in a clock where i_pl_valid && o_pl_ready (o_pl_ready depends combinationally on
// i_ready, never on i_pl_valid); the caller marks the last one with i_pl_last (no length
// counter here: the caller's byte indices know the end; the i_len bytes must be i_len, >= 1
// unless i_len is 0). o_busy falls in the clock after the last CRC byte was handed to the
// UART.
`default_nettype none

module nca_link_tx (
    input  wire        clk,
    input  wire        i_rst,
    input  wire        i_start,
    input  wire [7:0]  i_cmd,
    input  wire [7:0]  i_seq,
    input  wire [15:0] i_len,
    output wire        o_busy,
    input  wire        i_pl_valid,
    input  wire        i_pl_last,
    input  wire [7:0]  i_pl_byte,
    output wire        o_pl_ready,
    output reg         o_valid,
    output reg  [7:0]  o_byte,
    input  wire        i_ready
);
    `include "nca_link_ids.vh"   // SYNC0, SYNC1 (tools/gen_ids.py)
    localparam [3:0] T_IDLE = 4'd0, T_SYNC0 = 4'd1, T_SYNC1 = 4'd2, T_CMD = 4'd3,
                     T_SEQ = 4'd4, T_LEN0 = 4'd5, T_LEN1 = 4'd6, T_PAY = 4'd7,
                     T_CRC0 = 4'd8, T_CRC1 = 4'd9;
    reg [3:0]   st_r;
    wire [15:0] crc;
    assign o_busy = (st_r != T_IDLE);

    // o_valid/o_byte hold one byte for the UART; a new one is formed when it is taken
    wire free = !o_valid || i_ready;
    assign o_pl_ready = (st_r == T_PAY) && free;
    wire take_pl = o_pl_ready && i_pl_valid;
    reg  [7:0] nb;          // next byte of the header/CRC states
    always @* begin
        case (st_r)
            T_SYNC0: nb = SYNC0;
            T_SYNC1: nb = SYNC1;
            T_CMD:   nb = i_cmd;
            T_SEQ:   nb = i_seq;
            T_LEN0:  nb = i_len[7:0];
            T_LEN1:  nb = i_len[15:8];
            T_CRC0:  nb = crc[7:0];
            default: nb = crc[15:8];
        endcase
    end
    wire hdr_go = free && st_r != T_IDLE && st_r != T_PAY;
    nca_crc16 u_crc (
        .clk(clk), .i_init(st_r == T_IDLE), .i_valid((hdr_go && (st_r == T_CMD || st_r == T_SEQ || st_r == T_LEN0 || st_r == T_LEN1)) || take_pl),
        .i_byte(take_pl ? i_pl_byte : nb), .o_crc(crc));

    always @(posedge clk) begin
        if (i_rst) begin
            st_r <= T_IDLE;
            o_valid <= 1'b0;
        end else begin
            if (o_valid && i_ready)
                o_valid <= 1'b0;
            case (st_r)
                T_IDLE: if (i_start)
                    st_r <= T_SYNC0;
                T_PAY: if (take_pl) begin
                    o_valid <= 1'b1;
                    o_byte <= i_pl_byte;
                    if (i_pl_last)
                        st_r <= T_CRC0;
                end
                default: if (free) begin
                    o_valid <= 1'b1;
                    o_byte <= nb;
                    if (st_r == T_LEN1)
                        st_r <= (i_len == 16'd0) ? T_CRC0 : T_PAY;
                    else if (st_r == T_CRC1)
                        st_r <= T_IDLE;
                    else
                        st_r <= st_r + 4'd1;
                end
            endcase
        end
    end
endmodule

`default_nettype wire

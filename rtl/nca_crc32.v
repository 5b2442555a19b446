// SPDX-License-Identifier: Apache-2.0
// nca_crc32 - CRC-32 as zlib's crc32 (reflected poly 0xEDB88320, init and final xor
// 0xFFFFFFFF) of a byte stream, one bit per clock.
//
// Usage: i_init restarts (CRC of no bytes). A byte is taken on i_valid while o_busy is low
// and takes 8 clocks (o_busy high meanwhile), read from i_byte, which must hold until o_busy
// falls (no copy: a UART receiver's byte holds until the next one); o_crc is the final
// (xored) CRC of the bytes taken so far whenever o_busy is low ("123456789" -> 0xCBF43926).
// i_valid while busy is ignored; i_init wins over everything.
`default_nettype none

module nca_crc32 (
    input  wire        clk,
    input  wire        i_init,
    input  wire        i_valid,
    input  wire [7:0]  i_byte,
    output wire        o_busy,
    output wire [31:0] o_crc
);
    reg [31:0] crc_r;
    reg [3:0]  n_r;     // bits of i_byte left: bit 8 - n_r is next
    assign o_busy = (n_r != 4'd0);
    assign o_crc = ~crc_r;
    wire [2:0] bi = 3'd0 - n_r[2:0];    // 8 - n_r (n_r is 1..8)
    wire fb = crc_r[0] ^ i_byte[bi];

    always @(posedge clk) begin
        if (i_init) begin
            crc_r <= 32'hFFFFFFFF;
            n_r <= 4'd0;
        end else if (o_busy) begin
            crc_r <= {1'b0, crc_r[31:1]} ^ (fb ? 32'hEDB88320 : 32'h0);
            n_r <= n_r - 4'd1;
        end else if (i_valid) begin
            n_r <= 4'd8;
        end
    end
endmodule

`default_nettype wire

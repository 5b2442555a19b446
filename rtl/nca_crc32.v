// SPDX-License-Identifier: Apache-2.0
// nca_crc32 - CRC-32 as zlib's crc32 (reflected poly 0xEDB88320, init and final xor
// 0xFFFFFFFF) of a byte stream, one bit per clock.
//
// Usage: i_init restarts (CRC of no bytes). A byte is taken on i_valid while o_busy is low
// and takes 8 clocks (o_busy high meanwhile); o_crc is the final (xored) CRC of the bytes
// taken so far whenever o_busy is low ("123456789" -> 0xCBF43926). i_valid while busy is
// ignored; i_init wins over everything.
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
    reg [7:0]  sh_r;
    reg [3:0]  n_r;     // bits left of the byte in sh_r
    assign o_busy = (n_r != 4'd0);
    assign o_crc = ~crc_r;
    wire fb = crc_r[0] ^ sh_r[0];

    always @(posedge clk) begin
        if (i_init) begin
            crc_r <= 32'hFFFFFFFF;
            n_r <= 4'd0;
        end else if (o_busy) begin
            crc_r <= {1'b0, crc_r[31:1]} ^ (fb ? 32'hEDB88320 : 32'h0);
            sh_r <= {1'b0, sh_r[7:1]};
            n_r <= n_r - 4'd1;
        end else if (i_valid) begin
            sh_r <= i_byte;
            n_r <= 4'd8;
        end
    end
endmodule

`default_nettype wire

// SPDX-License-Identifier: Apache-2.0
// nca_crc16 - CRC-16/CCITT-FALSE (poly 0x1021, init 0xFFFF, MSB first, no final xor) of a
// byte stream, one byte per clock.
//
// Usage: i_init sets the register to 0xFFFF; i_valid adds i_byte. o_crc is the CRC of the
// bytes since the last i_init, one clock after the last i_valid ("123456789" -> 0x29B1).
// i_init wins over i_valid in the same clock.
`default_nettype none

module nca_crc16 (
    input  wire        clk,
    input  wire        i_init,
    input  wire        i_valid,
    input  wire [7:0]  i_byte,
    output reg  [15:0] o_crc
);
    function [15:0] crc_byte;
        input [15:0] c;
        input [7:0]  b;
        integer i;
        reg [15:0] r;
        begin
            r = c ^ {b, 8'h00};
            for (i = 0; i < 8; i = i + 1)
                r = r[15] ? ((r << 1) ^ 16'h1021) : (r << 1);
            crc_byte = r;
        end
    endfunction

    always @(posedge clk) begin
        if (i_init)
            o_crc <= 16'hFFFF;
        else if (i_valid)
            o_crc <= crc_byte(o_crc, i_byte);
    end
endmodule

`default_nettype wire

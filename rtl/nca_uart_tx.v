// SPDX-License-Identifier: Apache-2.0
// nca_uart_tx - UART transmitter, 8N1, LSB first, any CLK_HZ / BAUD ratio >= 4.
//
// Usage: o_ready is high while the transmitter is idle; a byte is taken on
// i_valid && o_ready and sent as start bit, 8 data bits, stop bit (10 bit times); o_ready
// rises again after the stop bit. o_tx idles high.
// Bit timing: a phase accumulator adds BAUD/g each clock modulo CLK_HZ/g
// (g = gcd(CLK_HZ, BAUD)) and ends a bit on every wrap, so every bit edge is within one
// clock of its ideal time and the error does not accumulate over the frame: the timing
// error is at most 1/CLK_HZ, i.e. BAUD/CLK_HZ of a bit (6.0% at 50 MHz / 3 Mbaud, 0 when
// BAUD divides CLK_HZ).
`default_nettype none

module nca_uart_tx #(
    parameter CLK_HZ = 48000000, // clock frequency in Hz, 1..2^31-1
    parameter BAUD   = 3000000   // bit rate in baud, 1..CLK_HZ/4
) (
    input  wire       clk,
    input  wire       i_rst,
    input  wire       i_valid,
    input  wire [7:0] i_byte,
    output wire       o_ready,
    output reg        o_tx
);
    `include "nca_gcd.vh"   // nca_gcd(a, b)
    localparam G = nca_gcd(CLK_HZ, BAUD);
    localparam D = CLK_HZ / G;       // accumulator modulus
    localparam N = BAUD / G;         // accumulator step
    localparam AW = $clog2(D + 1) + 1;

    generate
        if (CLK_HZ < 1) begin : g_bad_clk_hz
            nca_uart_tx_bad_CLK_HZ_at_least_1 u_stop ();
        end
        if (BAUD < 1 || BAUD * 4 > CLK_HZ) begin : g_bad_baud
            nca_uart_tx_bad_BAUD_1_to_CLK_HZ_over_4 u_stop ();
        end
    endgenerate

    reg [AW-1:0] acc_r;
    reg [3:0]    bit_r;   // 0 idle, 1 start, 2..9 data, 10 stop
    reg [7:0]    sh_r;
    wire [AW-1:0] acc_sum = acc_r + N[AW-1:0];
    wire          tick = (acc_sum >= D[AW-1:0]);
    assign o_ready = (bit_r == 4'd0);

    always @(posedge clk) begin
        if (i_rst) begin
            bit_r <= 4'd0;
            o_tx <= 1'b1;
            acc_r <= {AW{1'b0}};
        end else if (bit_r == 4'd0) begin
            acc_r <= {AW{1'b0}};
            if (i_valid) begin
                sh_r <= i_byte;
                o_tx <= 1'b0;
                bit_r <= 4'd1;
            end
        end else begin
            acc_r <= tick ? acc_sum - D[AW-1:0] : acc_sum;
            if (tick) begin
                bit_r <= (bit_r == 4'd10) ? 4'd0 : bit_r + 4'd1;
                if (bit_r == 4'd9 || bit_r == 4'd10) begin
                    o_tx <= 1'b1;
                end else begin
                    o_tx <= sh_r[0];
                    sh_r <= {1'b1, sh_r[7:1]};
                end
            end
        end
    end
endmodule

`default_nettype wire

// SPDX-License-Identifier: Apache-2.0
// nca_uart_rx - UART receiver, 8N1, LSB first, any CLK_HZ / BAUD ratio >= 4.
//
// Usage: i_rx is asynchronous (two synchronising flops inside). o_valid pulses for one
// clock with o_byte when a byte with a good stop bit has arrived (at the middle of its
// stop bit); o_ferr pulses instead when the stop bit is 0 (framing error; the receiver
// then waits for the line to go high before it hunts for the next start bit).
// A falling edge starts a byte; the line is sampled again in the middle of the start bit
// and a high level there is a false start (glitch), ignored. Data bits are sampled in
// their middle. Timing comes from a phase accumulator (step 2 BAUD/g modulo CLK_HZ/g,
// g = gcd(CLK_HZ, 2 BAUD)) restarted at the edge, which ticks every half bit (the edge
// and the samples pass the same synchroniser, so its delay cancels): every sample lies
// within 1 clock of its ideal point plus the edge uncertainty of 1 clock, with no drift
// over the frame. So the far end's bit rate may differ by up to (0.5 - 2 BAUD/CLK_HZ) / 9.5
// (4.6% at 16 clocks a bit, 2.6% at 4).
`default_nettype none

module nca_uart_rx #(
    parameter CLK_HZ = 48000000, // clock frequency in Hz, 1..2^31-1
    parameter BAUD   = 3000000   // bit rate in baud, 1..CLK_HZ/4
) (
    input  wire       clk,
    input  wire       i_rst,
    input  wire       i_rx,
    output reg        o_valid,
    output reg  [7:0] o_byte,
    output reg        o_ferr
);
    `include "nca_gcd.vh"   // nca_gcd(a, b)
    localparam G = nca_gcd(CLK_HZ, 2 * BAUD);
    localparam D = CLK_HZ / G;          // accumulator modulus
    localparam N = 2 * BAUD / G;        // accumulator step: one tick per half bit
    localparam AW = $clog2(D + 1) + 1;

    generate
        if (CLK_HZ < 1) begin : g_bad_clk_hz
            nca_uart_rx_bad_CLK_HZ_at_least_1 u_stop ();
        end
        if (BAUD < 1 || BAUD * 4 > CLK_HZ) begin : g_bad_baud
            nca_uart_rx_bad_BAUD_1_to_CLK_HZ_over_4 u_stop ();
        end
    endgenerate

    reg [1:0]    sync_r;        // synchroniser
    wire         rx = sync_r[1];
    reg [AW-1:0] acc_r;
    reg [4:0]    half_r;        // half-bit ticks since the edge
    reg [1:0]    st_r;          // 0 hunt, 1 in a byte, 2 wait for the line high
    reg [7:0]    sh_r;
    wire [AW-1:0] acc_sum = acc_r + N[AW-1:0];
    wire          tick = (acc_sum >= D[AW-1:0]);

    always @(posedge clk) begin
        sync_r <= {sync_r[0], i_rx};
        o_valid <= 1'b0;
        o_ferr <= 1'b0;
        if (i_rst) begin
            sync_r <= 2'b11;
            st_r <= 2'd0;
        end else begin
            case (st_r)
                2'd0: if (!rx) begin
                    acc_r <= {AW{1'b0}};
                    half_r <= 5'd0;
                    st_r <= 2'd1;
                end
                2'd1: begin
                    acc_r <= tick ? acc_sum - D[AW-1:0] : acc_sum;
                    if (tick) begin
                        half_r <= half_r + 5'd1;
                        if (half_r == 5'd0 && rx)
                            st_r <= 2'd0;                 // false start
                        if (half_r[0] == 1'b0 && half_r != 5'd0 && half_r != 5'd18)
                            sh_r <= {rx, sh_r[7:1]};      // data bits at 2, 4, .. 16
                        if (half_r == 5'd18) begin         // stop bit
                            if (rx) begin
                                o_valid <= 1'b1;
                                o_byte <= sh_r;
                                st_r <= 2'd0;
                            end else begin
                                o_ferr <= 1'b1;
                                st_r <= 2'd2;
                            end
                        end
                    end
                end
                default: if (rx)
                    st_r <= 2'd0;
            endcase
        end
    end
endmodule

`default_nettype wire

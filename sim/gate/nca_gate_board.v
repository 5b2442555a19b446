// SPDX-License-Identifier: Apache-2.0
// nca_gate_board - the gate-level iCEBreaker board (the netlist Yosys made for
// nca_top_icebreaker, as nextpnr placed it) behind nca_board's bench ports, so that the
// virtual board (sim/vboard.cpp, built with NCA_VBOARD_GATE) drives it like the RTL.
//
// Usage: clk is the core clock (sim/lint/SB_PLL40_PAD.v passes the pin through: the PLL is a Yosys
// blackbox); i_rst is the user button (held: reset, then nca_reset_sync's 2^RST_BITS clocks);
// o_in_reset is the board's reset (LED4), o_led_idle its idle LED (LED1); the UART pins as
// on the board. No latency of its own.
`default_nettype none

module nca_gate_board (
    input  wire clk,
    input  wire i_rst,
    input  wire i_uart_rx,
    output wire o_uart_tx,
    output wire o_led_idle,
    output wire o_in_reset
);
    /* verilator lint_off UNUSEDSIGNAL */
    wire ledr_n, ledg_n, led2, led3, led5;
    /* verilator lint_on UNUSEDSIGNAL */
    nca_top_icebreaker u_top (
        .CLK(clk), .BTN_N(!i_rst), .RX(i_uart_rx), .TX(o_uart_tx), .LEDR_N(ledr_n),
        .LEDG_N(ledg_n), .LED1(o_led_idle), .LED2(led2), .LED3(led3), .LED4(o_in_reset),
        .LED5(led5));
endmodule

`default_nettype wire

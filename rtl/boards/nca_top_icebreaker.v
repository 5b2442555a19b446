// SPDX-License-Identifier: Apache-2.0
// nca_top_icebreaker - iCEBreaker (iCE40 UP5K-SG48) top: PLL, power-on reset, pins, nca_board.
//
// Usage: constraints/icebreaker.pcf names the pins. The 12 MHz oscillator (pin 35) feeds an
// SB_PLL40_PAD that makes the core clock CLK_MHZ (12 bypasses the PLL). The core is held in
// reset until the PLL has locked and then for 2^RST_BITS more clocks, and again while BTN_N
// is pressed (both synchronised to the core clock first; reset leaves synchronously). The
// UART is the FT2232H's channel B (RX pin 6 = PC to FPGA, TX pin 9 = FPGA to PC). LEDs:
// green LEDG_N lit = idle, blinking (~3 Hz at 24 MHz) = running; red LEDR_N = error pulse;
// on the PMOD2 snap-off board LED1 idle, LED2 running, LED3 error, LED4 in reset, LED5
// heartbeat.
`default_nettype none

module nca_top_icebreaker #(
    parameter GRID_W   = 64,      // grid width in cells, see nca_core
    parameter GRID_H   = 64,      // grid height in cells, see nca_core
    parameter CHANNELS = 16,      // state channels per cell, 4..16
    parameter HIDDEN   = 128,     // largest hidden layer, 1..128
    parameter LANES    = 16,      // MAC lanes, power of two
    parameter CORE     = 1,       // core variant passed to nca_board: 1 nca_core_seq (SPRAM
                                  // grid, SB_MAC16 lanes; the one that fits), 0 nca_core
    parameter CLK_MHZ  = 24,      // core clock in MHz: 12 (no PLL), 18, 24, 27 or 30
    parameter BAUD     = 3000000, // UART rate in baud
    parameter BUILD_ID = 0,       // first 32 bits of the git commit, 0 for a dirty tree
    parameter RST_BITS = 10       // reset held 2^RST_BITS clocks after PLL lock, 2..24
) (
    input  wire CLK,     // 12 MHz oscillator, pin 35
    input  wire BTN_N,   // user button, low when pressed
    input  wire RX,      // UART from the PC
    output wire TX,      // UART to the PC
    output wire LEDR_N,  // red LED, low = lit
    output wire LEDG_N,  // green LED, low = lit
    output wire LED1,    // PMOD2 LEDs, high = lit
    output wire LED2,
    output wire LED3,
    output wire LED4,
    output wire LED5
);
    generate
        if (!(CLK_MHZ == 12 || CLK_MHZ == 18 || CLK_MHZ == 24 || CLK_MHZ == 27 ||
              CLK_MHZ == 30)) begin : g_bad_clk_mhz
            nca_top_icebreaker_bad_CLK_MHZ_12_18_24_27_or_30 u_stop ();
        end
        if (RST_BITS < 2 || RST_BITS > 24) begin : g_bad_rst_bits
            nca_top_icebreaker_bad_RST_BITS_2_to_24 u_stop ();
        end
    endgenerate

    // PLL settings for a 12 MHz reference: f = 12 * (DIVF + 1) / 2^DIVQ (icepll), VCO
    // 12 * (DIVF + 1) in 533..1066 MHz
    localparam [6:0] DIVF = (CLK_MHZ == 18) ? 7'd47 : (CLK_MHZ == 27) ? 7'd71 :
                            (CLK_MHZ == 30) ? 7'd79 : 7'd63;
    localparam [2:0] DIVQ = 3'd5;

    wire clk;
    wire pll_lock;
    generate
        if (CLK_MHZ == 12) begin : g_no_pll
            assign clk = CLK;
            assign pll_lock = 1'b1;
        end else begin : g_pll
            SB_PLL40_PAD #(
                .FEEDBACK_PATH("SIMPLE"),
                .DIVR(4'd0),
                .DIVF(DIVF),
                .DIVQ(DIVQ),
                .FILTER_RANGE(3'd1)
            ) u_pll (
                .PACKAGEPIN(CLK),
                .PLLOUTGLOBAL(clk),
                .EXTFEEDBACK(1'b0),
                .DYNAMICDELAY(8'd0),
                .LOCK(pll_lock),
                .BYPASS(1'b0),
                .RESETB(1'b1),
                .LATCHINPUTVALUE(1'b0),
                .SDI(1'b0),
                .SCLK(1'b0)
            );
        end
    endgenerate

    // ---- reset: PLL lock and the button, synchronised (nca_reset_sync) ---------------------
    wire rst;
    nca_reset_sync #(.RST_BITS(RST_BITS)) u_rst (
        .clk(clk), .i_lock(pll_lock), .i_btn(~BTN_N), .o_rst(rst));

    // ---- the board ------------------------------------------------------------------------
    wire led_idle, led_run, led_err, beat, beat2;
    nca_board #(
        .GRID_W(GRID_W), .GRID_H(GRID_H), .CHANNELS(CHANNELS), .HIDDEN(HIDDEN),
        .LANES(LANES), .CORE(CORE), .USE_SPRAM(1), .USE_MAC16(1), .FRAME_SERIAL(1),
        .CLK_HZ(CLK_MHZ * 1000000), .BAUD(BAUD), .BUILD_ID(BUILD_ID), .BOARD_ID(1)
    ) u_board (
        .clk(clk), .i_rst(rst), .i_uart_rx(RX), .o_uart_tx(TX),
        .o_led_idle(led_idle), .o_led_run(led_run), .o_led_err(led_err), .o_beat(beat),
        .o_beat2(beat2)
    );

    // ---- LEDs (the board's prescaler: beat ~3 Hz) ------------------------------------------
    assign LEDG_N = !(led_idle || (led_run && beat));
    assign LEDR_N = !led_err;
    assign LED1 = led_idle;
    assign LED2 = led_run;
    assign LED3 = led_err;
    assign LED4 = rst;
    assign LED5 = beat && beat2;
endmodule

`default_nettype wire

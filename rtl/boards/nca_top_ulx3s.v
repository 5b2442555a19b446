// SPDX-License-Identifier: Apache-2.0
// nca_top_ulx3s - ULX3S (ECP5 LFE5U-12F/25F/45F/85F) top: PLL, power-on reset, pins, nca_board.
//
// Usage: constraints/ulx3s_v20.lpf names the pins. The 25 MHz oscillator (clk_25mhz, G2)
// feeds an EHXPLLL that makes the core clock CLK_MHZ (25 bypasses the PLL). The core is held
// in reset until the PLL has locked and then for 2^RST_BITS more clocks, and again while
// FIRE1 (btn[1]) is pressed (both synchronised to the core clock first; reset leaves
// synchronously). The UART is the FT231X: ftdi_txd (M1) is PC to FPGA, ftdi_rxd (L4) is FPGA
// to PC. wifi_gpio0 is driven high so that the ESP32's firmware does not take the board over
// (an ESP32 that sees it low for a while resets the FPGA). LEDs: led[0] idle, led[1]
// running, led[2] error, led[6] in reset, led[7] heartbeat. BOARD_ID tells the host which
// device this build is for (2 = 25F, 3 = 85F, 4 = 45F; docs/protocol.md INFO).
`default_nettype none

module nca_top_ulx3s #(
    parameter GRID_W   = 64,      // grid width in cells, see nca_core
    parameter GRID_H   = 64,      // grid height in cells, see nca_core
    parameter CHANNELS = 16,      // state channels per cell, 4..16
    parameter HIDDEN   = 128,     // largest hidden layer, 1..128
    parameter LANES    = 64,      // MAC lanes, power of two
    parameter CORE     = 0,       // core variant passed to nca_board (0 = nca_core)
    parameter CLK_MHZ  = 25,      // core clock in MHz: 25 (no PLL), 20, 30, 35, 40, 45, 50, 60, 75
    parameter BAUD     = 3000000, // UART rate in baud
    parameter BUILD_ID = 0,       // first 32 bits of the git commit, 0 for a dirty tree
    parameter BOARD_ID = 3,       // INFO board byte: 2 ULX3S-25F, 3 ULX3S-85F, 4 ULX3S-45F
    parameter RST_BITS = 10       // reset held 2^RST_BITS clocks after PLL lock, 2..24
) (
    input  wire       clk_25mhz,   // 25 MHz oscillator, G2
    input  wire [1:1] btn,         // FIRE1, high when pressed
    input  wire       ftdi_txd,    // UART from the PC
    output wire       ftdi_rxd,    // UART to the PC
    output wire [7:0] led,         // high = lit
    output wire       wifi_gpio0   // ESP32 GPIO0: held high
);
    generate
        if (!(CLK_MHZ == 20 || CLK_MHZ == 25 || CLK_MHZ == 30 || CLK_MHZ == 35 || CLK_MHZ == 40 ||
              CLK_MHZ == 45 || CLK_MHZ == 50 || CLK_MHZ == 60 || CLK_MHZ == 75)) begin : g_bad_clk_mhz
            nca_top_ulx3s_bad_CLK_MHZ_20_25_30_35_40_45_50_60_or_75 u_stop ();
        end
        if (RST_BITS < 2 || RST_BITS > 24) begin : g_bad_rst_bits
            nca_top_ulx3s_bad_RST_BITS_2_to_24 u_stop ();
        end
        if (BOARD_ID < 2 || BOARD_ID > 4) begin : g_bad_board_id
            nca_top_ulx3s_bad_BOARD_ID_2_to_4 u_stop ();
        end
    endgenerate

    // EHXPLLL for a 25 MHz reference, feedback from CLKOP: f = 25 / CLKI_DIV * CLKFB_DIV,
    // VCO = f * CLKOP_DIV = 600 MHz (35 MHz: 595, 45 MHz: 585), PFD = 25 / CLKI_DIV >= 5 MHz
    // (values as ecppll gives; 35 and 45 MHz's with CLKOP_CPHASE = (CLKOP_DIV - 1) / 2 as
    // ecppll sets it)
    localparam CLKI_DIV  = (CLK_MHZ == 50 || CLK_MHZ == 75) ? 1 : 5;
    localparam CLKFB_DIV = (CLK_MHZ == 20) ? 4 : (CLK_MHZ == 30) ? 6 : (CLK_MHZ == 35) ? 7 :
                           (CLK_MHZ == 40) ? 8 : (CLK_MHZ == 45) ? 9 : (CLK_MHZ == 50) ? 2 :
                           (CLK_MHZ == 60) ? 12 : 3;
    localparam CLKOP_DIV = 600 / CLK_MHZ;
    localparam CLKOP_CPHASE = (CLK_MHZ == 20) ? 15 : (CLK_MHZ == 30) ? 9 : (CLK_MHZ == 35) ? 8 :
                              (CLK_MHZ == 40) ? 7 : (CLK_MHZ == 45) ? 6 : (CLK_MHZ == 50) ? 5 : 4;

    wire clk;
    wire pll_lock;
    generate
        if (CLK_MHZ == 25) begin : g_no_pll
            assign clk = clk_25mhz;
            assign pll_lock = 1'b1;
        end else begin : g_pll
            (* FREQUENCY_PIN_CLKI = "25" *)
            EHXPLLL #(
                .PLLRST_ENA("DISABLED"),
                .INTFB_WAKE("DISABLED"),
                .STDBY_ENABLE("DISABLED"),
                .DPHASE_SOURCE("DISABLED"),
                .OUTDIVIDER_MUXA("DIVA"),
                .OUTDIVIDER_MUXB("DIVB"),
                .OUTDIVIDER_MUXC("DIVC"),
                .OUTDIVIDER_MUXD("DIVD"),
                .CLKI_DIV(CLKI_DIV),
                .CLKOP_ENABLE("ENABLED"),
                .CLKOP_DIV(CLKOP_DIV),
                .CLKOP_CPHASE(CLKOP_CPHASE),
                .CLKOP_FPHASE(0),
                .FEEDBK_PATH("CLKOP"),
                .CLKFB_DIV(CLKFB_DIV)
            ) u_pll (
                .RST(1'b0),
                .STDBY(1'b0),
                .CLKI(clk_25mhz),
                .CLKOP(clk),
                .CLKFB(clk),
                .PHASESEL0(1'b0),
                .PHASESEL1(1'b0),
                .PHASEDIR(1'b1),
                .PHASESTEP(1'b1),
                .PHASELOADREG(1'b1),
                .PLLWAKESYNC(1'b0),
                .ENCLKOP(1'b0),
                .LOCK(pll_lock)
            );
        end
    endgenerate

    // ---- reset: PLL lock and the button, synchronised (nca_reset_sync) ---------------------
    wire rst;
    nca_reset_sync #(.RST_BITS(RST_BITS)) u_rst (
        .clk(clk), .i_lock(pll_lock), .i_btn(btn[1]), .o_rst(rst));

    // ---- the board ------------------------------------------------------------------------
    wire led_idle, led_run, led_err, beat, beat2;
    nca_board #(
        .GRID_W(GRID_W), .GRID_H(GRID_H), .CHANNELS(CHANNELS), .HIDDEN(HIDDEN),
        .LANES(LANES), .CORE(CORE), .CLK_HZ(CLK_MHZ * 1000000), .BAUD(BAUD),
        .BUILD_ID(BUILD_ID), .BOARD_ID(BOARD_ID)
    ) u_board (
        .clk(clk), .i_rst(rst), .i_uart_rx(ftdi_txd), .o_uart_tx(ftdi_rxd),
        .o_led_idle(led_idle), .o_led_run(led_run), .o_led_err(led_err), .o_beat(beat),
        .o_beat2(beat2)
    );

    // ---- LEDs (heartbeat from the board's ~3 Hz prescaler), ESP32 --------------------------
    assign led = {beat && beat2, rst, 3'b000, led_err, led_run, led_idle};
    assign wifi_gpio0 = 1'b1;
endmodule

`default_nettype wire

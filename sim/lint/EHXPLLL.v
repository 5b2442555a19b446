// SPDX-License-Identifier: Apache-2.0
// EHXPLLL - lint-only stand-in for the ECP5 PLL primitive (the ports and parameters
// rtl/boards/nca_top_ulx3s.v uses; no behaviour), so that Verilator can lint that top.
//
// Usage: `make -C sim lint` only; synthesis uses Yosys's own cell library instead.
`default_nettype none

/* verilator lint_off UNUSEDSIGNAL */
/* verilator lint_off UNUSEDPARAM */
module EHXPLLL #(
    parameter PLLRST_ENA = "DISABLED",      // reset input
    parameter INTFB_WAKE = "DISABLED",      // internal feedback at wake-up
    parameter STDBY_ENABLE = "DISABLED",    // standby input
    parameter DPHASE_SOURCE = "DISABLED",   // dynamic phase
    parameter OUTDIVIDER_MUXA = "DIVA",     // output muxes
    parameter OUTDIVIDER_MUXB = "DIVB",
    parameter OUTDIVIDER_MUXC = "DIVC",
    parameter OUTDIVIDER_MUXD = "DIVD",
    parameter CLKI_DIV = 1,                 // reference divider, 1..128
    parameter CLKOP_ENABLE = "ENABLED",     // CLKOP output
    parameter CLKOP_DIV = 8,                // CLKOP divider, 1..128
    parameter CLKOP_CPHASE = 0,             // CLKOP coarse phase
    parameter CLKOP_FPHASE = 0,             // CLKOP fine phase
    parameter FEEDBK_PATH = "CLKOP",        // feedback source
    parameter CLKFB_DIV = 1                 // feedback divider, 1..128
) (
    input  wire CLKI,
    input  wire CLKFB,
    input  wire PHASESEL1,
    input  wire PHASESEL0,
    input  wire PHASEDIR,
    input  wire PHASESTEP,
    input  wire PHASELOADREG,
    input  wire STDBY,
    input  wire PLLWAKESYNC,
    input  wire RST,
    input  wire ENCLKOP,
    output wire CLKOP,
    output wire LOCK
);
    assign CLKOP = CLKI;
    assign LOCK = !RST;
endmodule
/* verilator lint_on UNUSEDPARAM */
/* verilator lint_on UNUSEDSIGNAL */

`default_nettype wire

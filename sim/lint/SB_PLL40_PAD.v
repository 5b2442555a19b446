// SPDX-License-Identifier: Apache-2.0
// SB_PLL40_PAD - stand-in for the iCE40 PLL primitive (the ports and parameters the top
// uses): the pin passes through as the output clock, LOCK follows RESETB. For Verilator's
// lint of rtl/boards/nca_top_icebreaker.v, and for the gate-level bench (`make gatesim`),
// where Yosys' cell library has the PLL as a blackbox: cycle-based simulation has no
// frequencies, so the bench drives the pin at the core clock.
//
// Usage: `make -C sim lint` and `gate-vboard` only; synthesis uses Yosys's own cell library.
`default_nettype none

/* verilator lint_off UNUSEDSIGNAL */
/* verilator lint_off UNUSEDPARAM */
module SB_PLL40_PAD #(
    parameter FEEDBACK_PATH = "SIMPLE", // feedback mode
    parameter [3:0] DIVR = 4'd0,        // reference divider - 1
    parameter [6:0] DIVF = 7'd0,        // feedback divider - 1
    parameter [2:0] DIVQ = 3'd0,        // VCO divider, log2
    parameter [2:0] FILTER_RANGE = 3'd0 // loop filter range
) (
    input  wire       PACKAGEPIN,
    output wire       PLLOUTGLOBAL,
    input  wire       EXTFEEDBACK,
    input  wire [7:0] DYNAMICDELAY,
    output wire       LOCK,
    input  wire       BYPASS,
    input  wire       RESETB,
    input  wire       LATCHINPUTVALUE,
    input  wire       SDI,
    input  wire       SCLK
);
    assign PLLOUTGLOBAL = PACKAGEPIN;
    assign LOCK = RESETB;
endmodule
/* verilator lint_on UNUSEDPARAM */
/* verilator lint_on UNUSEDSIGNAL */

`default_nettype wire

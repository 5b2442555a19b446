// SPDX-License-Identifier: Apache-2.0
// SB_PLL40_PAD - a simulation stand-in for the iCE40 PLL in the gate-level bench: Yosys'
// cell library has it as a blackbox. The output is the input pin (the bench drives the pin
// at the core clock: cycle-based simulation has no frequencies) and LOCK is high. The ports
// and parameters are those of cells_sim.v, so the netlist binds to it unchanged; sim/Makefile
// renames the blackbox there.
`default_nettype none

module SB_PLL40_PAD (
    input  wire PACKAGEPIN,
    output wire PLLOUTCORE,
    output wire PLLOUTGLOBAL,
    input  wire EXTFEEDBACK,
    input  wire [7:0] DYNAMICDELAY,
    output wire LOCK,
    input  wire BYPASS,
    input  wire RESETB,
    input  wire LATCHINPUTVALUE,
    output wire SDO,
    input  wire SDI,
    input  wire SCLK
);
    parameter FEEDBACK_PATH = "SIMPLE";
    parameter DELAY_ADJUSTMENT_MODE_FEEDBACK = "FIXED";
    parameter DELAY_ADJUSTMENT_MODE_RELATIVE = "FIXED";
    parameter SHIFTREG_DIV_MODE = 1'b0;
    parameter FDA_FEEDBACK = 4'b0000;
    parameter FDA_RELATIVE = 4'b0000;
    parameter PLLOUT_SELECT = "GENCLK";
    parameter DIVR = 4'b0000;
    parameter DIVF = 7'b0000000;
    parameter DIVQ = 3'b000;
    parameter FILTER_RANGE = 3'b000;
    parameter ENABLE_ICEGATE = 1'b0;
    parameter TEST_MODE = 1'b0;
    parameter EXTERNAL_DIVIDE_FACTOR = 1;
    assign PLLOUTCORE = PACKAGEPIN;
    assign PLLOUTGLOBAL = PACKAGEPIN;
    assign LOCK = 1'b1;
    assign SDO = 1'b0;
    /* verilator lint_off UNUSEDSIGNAL */
    wire unused = &{1'b0, EXTFEEDBACK, DYNAMICDELAY, BYPASS, RESETB, LATCHINPUTVALUE, SDI, SCLK};
    /* verilator lint_on UNUSEDSIGNAL */
endmodule

`default_nettype wire

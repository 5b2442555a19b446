// SPDX-License-Identifier: Apache-2.0
// SB_MAC16 - lint-only stand-in for the iCE40 UP5K DSP block (the ports and parameters that
// rtl/nca_mac_lane.v uses; no behaviour), so that Verilator can lint the iCEBreaker top with
// USE_MAC16 = 1.
//
// Usage: `make -C sim lint` only; synthesis uses Yosys's own cell library, and
// `make -C sim mac16-equiv` checks nca_mac_lane against Yosys's simulation model.
`default_nettype none

/* verilator lint_off UNUSEDSIGNAL */
/* verilator lint_off UNUSEDPARAM */
module SB_MAC16 #(
    parameter [0:0] NEG_TRIGGER = 1'b0,              // clock edge
    parameter [0:0] C_REG = 1'b0,                    // input registers
    parameter [0:0] A_REG = 1'b0,
    parameter [0:0] B_REG = 1'b0,
    parameter [0:0] D_REG = 1'b0,
    parameter [0:0] TOP_8x8_MULT_REG = 1'b0,         // pipeline registers
    parameter [0:0] BOT_8x8_MULT_REG = 1'b0,
    parameter [0:0] PIPELINE_16x16_MULT_REG1 = 1'b0,
    parameter [0:0] PIPELINE_16x16_MULT_REG2 = 1'b0,
    parameter [1:0] TOPOUTPUT_SELECT = 2'b00,        // output and adder configuration
    parameter [1:0] TOPADDSUB_LOWERINPUT = 2'b00,
    parameter [0:0] TOPADDSUB_UPPERINPUT = 1'b0,
    parameter [1:0] TOPADDSUB_CARRYSELECT = 2'b00,
    parameter [1:0] BOTOUTPUT_SELECT = 2'b00,
    parameter [1:0] BOTADDSUB_LOWERINPUT = 2'b00,
    parameter [0:0] BOTADDSUB_UPPERINPUT = 1'b0,
    parameter [1:0] BOTADDSUB_CARRYSELECT = 2'b00,
    parameter [0:0] MODE_8x8 = 1'b0,
    parameter [0:0] A_SIGNED = 1'b0,
    parameter [0:0] B_SIGNED = 1'b0
) (
    input  wire        CLK,
    input  wire        CE,
    input  wire [15:0] C,
    input  wire [15:0] A,
    input  wire [15:0] B,
    input  wire [15:0] D,
    input  wire        AHOLD,
    input  wire        BHOLD,
    input  wire        CHOLD,
    input  wire        DHOLD,
    input  wire        IRSTTOP,
    input  wire        IRSTBOT,
    input  wire        ORSTTOP,
    input  wire        ORSTBOT,
    input  wire        OLOADTOP,
    input  wire        OLOADBOT,
    input  wire        ADDSUBTOP,
    input  wire        ADDSUBBOT,
    input  wire        OHOLDTOP,
    input  wire        OHOLDBOT,
    input  wire        CI,
    input  wire        ACCUMCI,
    input  wire        SIGNEXTIN,
    output wire [31:0] O,
    output wire        CO,
    output wire        ACCUMCO,
    output wire        SIGNEXTOUT
);
    assign O = 32'd0;
    assign CO = 1'b0;
    assign ACCUMCO = 1'b0;
    assign SIGNEXTOUT = 1'b0;
endmodule
/* verilator lint_on UNUSEDPARAM */
/* verilator lint_on UNUSEDSIGNAL */

`default_nettype wire

// SPDX-License-Identifier: Apache-2.0
// SB_SPRAM256KA - lint-only stand-in for the iCE40 UP5K single-port RAM (16K x 16), so that
// the iCEBreaker top with USE_SPRAM = 1 can be linted (behaviour: a plain RAM).
//
// Usage: `make -C sim lint` only; synthesis uses Yosys's own cell library instead.
`default_nettype none

/* verilator lint_off UNUSEDSIGNAL */
module SB_SPRAM256KA (
    input  wire [13:0] ADDRESS,
    input  wire [15:0] DATAIN,
    input  wire [3:0]  MASKWREN,
    input  wire        WREN,
    input  wire        CHIPSELECT,
    input  wire        CLOCK,
    input  wire        STANDBY,
    input  wire        SLEEP,
    input  wire        POWEROFF,
    output reg  [15:0] DATAOUT
);
    reg [15:0] mem [0:16383];
    always @(posedge CLOCK)
        if (CHIPSELECT) begin
            if (WREN)
                mem[ADDRESS] <= DATAIN;
            else
                DATAOUT <= mem[ADDRESS];
        end
endmodule
/* verilator lint_on UNUSEDSIGNAL */

`default_nettype wire

// SPDX-License-Identifier: Apache-2.0
// fit_seq_top - place-and-route harness for nca_core_seq on an iCE40 UP5K (sg48): the
// core's wide ports have no pins, so a 32-bit shift register on one pin drives all command
// inputs and the outputs are folded by XOR into one registered pin. Synthesis only (not
// part of the Verilator benches): it measures the core's LCs, EBR, SPRAM, DSP and Fmax
// with the harness adding about 35 FFs and an XOR tree.
`default_nettype none

module fit_seq_top (
    input  wire clk,
    input  wire i_rst,
    input  wire i_din,
    output reg  o_dout
);
    reg [31:0] sr_r;
    always @(posedge clk)
        sr_r <= {sr_r[30:0], i_din};
    wire [255:0] rsp_cell;
    wire         rdy, rsp_v, done;
    wire [31:0]  cyc, pre, act, steps;
    nca_core_seq #(.USE_SPRAM(1), .USE_MAC16(1), .WIDE_CELL(0)) u_core (
        .clk(clk), .i_rst(i_rst), .i_cmd_valid(sr_r[31]), .o_cmd_ready(rdy),
        .i_cmd_op(sr_r[3:0]), .i_cmd_a(sr_r), .i_cmd_b({sr_r[15:0], sr_r[31:16]}),
        .i_cmd_c(~sr_r), .i_cmd_cell({8{sr_r}}), .o_rsp_valid(rsp_v), .i_rsp_ready(sr_r[5]),
        .o_rsp_cell(rsp_cell), .o_step_done(done), .o_step_cycles(cyc), .o_pre_alive(pre),
        .o_active(act), .o_steps(steps));
    always @(posedge clk)
        o_dout <= ^rsp_cell ^ rdy ^ rsp_v ^ done ^ (^cyc) ^ (^pre) ^ (^act) ^ (^steps);
endmodule

`default_nettype wire

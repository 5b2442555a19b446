// SPDX-License-Identifier: Apache-2.0
// nca_mac_array_serial - the compact core's MAC array: 8 lanes (nca_mac_lane, on the UP5K
// its 8 SB_MAC16) that share one 16-bit operand and take one signed weight byte each, in a
// load chain that feeds the requant pipeline from lane 0.
//
// Usage: i_v for a clock adds i_a x (signed byte l of i_w) to lane l's accumulator (one
// clock later on o_acc0 for lane 0). i_ld (never with i_v) shifts the chain: lane l + 1
// moves into lane l and the bias i_bias (sign-extended) into lane 7. So 8 loads with the
// biases of lanes 0..7 in order start a group with each lane at its bias, and the 8 loads
// that start the next group bring lanes 0..7 to lane 0 one a clock: the requant reads every
// accumulator at o_acc0 (no 8:1 multiplexer). |acc| < 2^29 in the core's use (o_acc0 is 30
// bits). USE_MAC16 = 1 puts each lane in an SB_MAC16 (iCE40 UP5K).
`default_nettype none

module nca_mac_array_serial #(
    parameter USE_MAC16 = 0   // 1: SB_MAC16 primitives for the 8 lanes (iCE40 UP5K), 0: behavioural
) (
    input  wire        clk,
    input  wire        i_v,
    input  wire        i_ld,
    input  wire [24:0] i_bias,
    input  wire [15:0] i_a,
    input  wire [63:0] i_w,
    output wire [29:0] o_acc0
);
    generate
        if (USE_MAC16 != 0 && USE_MAC16 != 1) begin : g_bad_use_mac16
            nca_mac_array_serial_bad_USE_MAC16_0_or_1 u_stop ();
        end
    endgenerate

    wire [31:0] bias32 = {{7{i_bias[24]}}, i_bias};
    /* verilator lint_off UNUSEDSIGNAL */
    wire [255:0] acc_all;                // lane l's accumulator at bits 32l + 31:32l (31:30 of
                                         // lane 0 unused: |acc| < 2^29)
    /* verilator lint_on UNUSEDSIGNAL */
    wire [255:0] chain = {bias32, acc_all[255:32]};   // lane l loads chain[32l +: 32]
    assign o_acc0 = acc_all[29:0];
    genvar gl;
    generate
        for (gl = 0; gl < 8; gl = gl + 1) begin : g_lane
            wire signed [7:0]  wl = i_w[8*gl +: 8];
            wire signed [15:0] wl16 = {{8{wl[7]}}, wl};
            nca_mac_lane #(.USE_SB(USE_MAC16)) u_lane (
                .clk(clk), .i_v(i_v), .i_ld(i_ld), .i_c(chain[32*gl +: 32]), .i_a(i_a),
                .i_b(wl16), .o_acc(acc_all[32*gl +: 32]));
        end
    endgenerate
endmodule

// SPDX-License-Identifier: Apache-2.0
// nca_weights - run-time loaded weight, bias and shift memories of the MLP, laid out so
// that one read gives one operand per MAC lane.
//
// Usage: loads are single-clock writes (i_ld_valid) of one value; i_ld_sel picks the
// memory, i_ld_a/i_ld_b the indices, i_ld_data the value:
//   0 W1[j][i] (a = j, b = i, int8)     1 W2[k][j] (a = k, b = j, int8)
//   2 b1[j]    (a = j, int32, |b1| < 2^24)  3 s1[j] (a = j, 0..24)
//   4 b2[k]    (a = k, int32)           5 s2[k]    (a = k, 0..24)
// Layout (G = group of LANES hidden units, j = g*LANES + lane, I = i_ninputs):
//   W1 word g*I + i = {W1[g*LANES+LANES-1][i], ..., W1[g*LANES][i]}   (LANES x 8 bits)
//   W2 word g*CHANNELS + k = {W2[k][g*LANES+LANES-1], ..., W2[k][g*LANES]}
//   BS1 word g*DR + k = {s1, b1} (5 + 25 bits) of units r = 0..RQ-1 for lanes k*RQ + r
//   (the order the requant units drain a group in; DR = min(LANES, 4), RQ = LANES / DR).
// i_ninputs must be set (kernels configured) before W1 is loaded. Reads are synchronous
// (data one clock after the address); b2/s2 are registers, read combinationally.
`default_nettype none

module nca_weights #(
    parameter CHANNELS = 16,  // state channels, 4..16
    parameter HIDDEN   = 128, // largest hidden layer, units, 1..128
    parameter LANES    = 16   // MAC lanes, power of two, 1..128
) (
    input  wire                        clk,
    input  wire                        i_ld_valid,
    input  wire [2:0]                  i_ld_sel,
    input  wire [15:0]                 i_ld_a,
    input  wire [15:0]                 i_ld_b,
    /* verilator lint_off UNUSEDSIGNAL */
    input  wire [31:0]                 i_ld_data,   // upper bits unused by narrow fields
    input  wire [6:0]                  i_ninputs,
    input  wire [12:0]                 i_w1_raddr,  // g*I + i
    output wire [8*LANES-1:0]          o_w1,
    input  wire [10:0]                 i_w2_raddr,  // g*CHANNELS + k
    output wire [8*LANES-1:0]          o_w2,
    input  wire [7:0]                  i_bs1_raddr, // g*DR + k
    /* verilator lint_on UNUSEDSIGNAL */
    output wire [30*RQ-1:0]            o_bs1,
    output wire [25*CHANNELS-1:0]      o_b2,
    output wire [5*CHANNELS-1:0]       o_s2
);
    `include "nca_core_ops.vh"   // LD_* (tools/gen_ids.py)
    localparam LOG2_LANES = $clog2(LANES);
    localparam DR = (LANES < 4) ? LANES : 4;  // requant drain clocks per group
    localparam RQ = LANES / DR;               // requant units
    localparam LOG2_RQ = $clog2(RQ);
    localparam LOG2_DR = $clog2(DR);
    localparam GROUPS = (HIDDEN + LANES - 1) / LANES;  // groups of LANES hidden units
    localparam W1_DEPTH = (GROUPS * 4 * CHANNELS > 2) ? GROUPS * 4 * CHANNELS : 2;
    localparam W2_DEPTH = (GROUPS * CHANNELS > 2) ? GROUPS * CHANNELS : 2;
    localparam BS_DEPTH = (GROUPS * DR > 2) ? GROUPS * DR : 2;
    localparam BS_AW = $clog2(BS_DEPTH);
    localparam W1_AW = $clog2(W1_DEPTH);
    localparam [15:0] LANE_MASK = LANES[15:0] - 16'd1;
    localparam [15:0] RQ_MASK = RQ[15:0] - 16'd1;
    localparam W2_AW = $clog2(W2_DEPTH);

    generate
        if (CHANNELS < 4 || CHANNELS > 16) begin : g_bad_channels
            nca_weights_bad_CHANNELS_4_to_16 u_stop ();
        end
        if (HIDDEN < 1 || HIDDEN > 128) begin : g_bad_hidden
            nca_weights_bad_HIDDEN_1_to_128 u_stop ();
        end
        if (LANES < 1 || LANES > 128 || (1 << LOG2_LANES) != LANES) begin : g_bad_lanes
            nca_weights_bad_LANES_power_of_2_1_to_128 u_stop ();
        end
    endgenerate

    // index decode
    wire [15:0] j_w1 = i_ld_a;                           // W1: a = j
    wire [15:0] j_w2 = i_ld_b;                           // W2: b = j
    wire [15:0] g_w1 = j_w1 >> LOG2_LANES;
    wire [15:0] g_w2 = j_w2 >> LOG2_LANES;
    wire [15:0] l_w1 = j_w1 & LANE_MASK;
    wire [15:0] l_w2 = j_w2 & LANE_MASK;
    /* verilator lint_off UNUSEDSIGNAL */
    wire [31:0] w1_word = g_w1 * {9'd0, i_ninputs} + {16'd0, i_ld_b};
    wire [31:0] w2_word = g_w2 * CHANNELS + {16'd0, i_ld_a};
    /* verilator lint_on UNUSEDSIGNAL */

    // write data and enables: the value replicated to every lane (unit), the enables one-hot
    // by shifts (decoders in synthesis; a few operations a clock in a Verilated model)
    localparam [LANES-1:0] LANE_ONE = 1;
    localparam [6*RQ-1:0]  B1_ONE = 31, S1_ONE = 32;  // b1: 5-bit slices 0..4, s1: 5
    wire [8*LANES-1:0] wdata8 = {LANES{i_ld_data[7:0]}};
    wire [30*RQ-1:0]   wdata30 = {RQ{i_ld_data[4:0], i_ld_data[24:0]}};
    wire [15:0]        r_w1 = l_w1 & RQ_MASK;     // requant unit of lane l_w1
    wire [15:0]        k_w1 = l_w1 >> LOG2_RQ;    // its drain clock
    wire [LANES-1:0]   en_w1 = LANE_ONE << l_w1;  // lane of the value being loaded
    wire [LANES-1:0]   en_w2 = LANE_ONE << l_w2;
    wire [31:0]        bs_shift = ({16'd0, r_w1} << 2) + ({16'd0, r_w1} << 1);  // 6 x r_w1, no multiplier
    wire [6*RQ-1:0]    en_b1 = (i_ld_valid && i_ld_sel == LD_B1) ? B1_ONE << bs_shift : {(6*RQ){1'b0}};
    wire [6*RQ-1:0]    en_s1 = (i_ld_valid && i_ld_sel == LD_S1) ? S1_ONE << bs_shift : {(6*RQ){1'b0}};
    /* verilator lint_off UNUSEDSIGNAL */
    wire [31:0]        bs_word = ({16'd0, g_w1} << LOG2_DR) + {16'd0, k_w1};
    /* verilator lint_on UNUSEDSIGNAL */

    nca_ram_1r1w #(.WIDTH(8*LANES), .DEPTH(W1_DEPTH), .SLICE(8)) u_w1 (
        .clk(clk), .i_ren(1'b1), .i_raddr(i_w1_raddr[W1_AW-1:0]), .o_rdata(o_w1),
        .i_wen(en_w1 & {LANES{i_ld_valid && i_ld_sel == LD_W1}}),
        .i_waddr(w1_word[W1_AW-1:0]), .i_wdata(wdata8));
    nca_ram_1r1w #(.WIDTH(8*LANES), .DEPTH(W2_DEPTH), .SLICE(8)) u_w2 (
        .clk(clk), .i_ren(1'b1), .i_raddr(i_w2_raddr[W2_AW-1:0]), .o_rdata(o_w2),
        .i_wen(en_w2 & {LANES{i_ld_valid && i_ld_sel == LD_W2}}),
        .i_waddr(w2_word[W2_AW-1:0]), .i_wdata(wdata8));
    nca_ram_1r1w #(.WIDTH(30*RQ), .DEPTH(BS_DEPTH), .SLICE(5)) u_bs1 (
        .clk(clk), .i_ren(1'b1), .i_raddr(i_bs1_raddr[BS_AW-1:0]), .o_rdata(o_bs1),
        .i_wen(en_b1 | en_s1), .i_waddr(bs_word[BS_AW-1:0]), .i_wdata(wdata30));

    // layer-2 biases and shifts: CHANNELS registers each
    reg [24:0] b2_r [0:15];  // CHANNELS used (4-bit index)
    reg [4:0]  s2_r [0:15];
    always @(posedge clk) begin
        if (i_ld_valid && i_ld_sel == LD_B2 && {16'd0, i_ld_a} < CHANNELS)
            b2_r[i_ld_a[3:0]] <= i_ld_data[24:0];
        if (i_ld_valid && i_ld_sel == LD_S2 && {16'd0, i_ld_a} < CHANNELS)
            s2_r[i_ld_a[3:0]] <= i_ld_data[4:0];
    end
    genvar k;
    generate
        for (k = 0; k < CHANNELS; k = k + 1) begin : g_l2
            assign o_b2[25*k +: 25] = b2_r[k];
            assign o_s2[5*k +: 5] = s2_r[k];
        end
    endgenerate
endmodule

`default_nettype wire

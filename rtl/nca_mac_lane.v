// SPDX-License-Identifier: Apache-2.0
// nca_mac_lane - one multiply-accumulate lane of nca_core_seq: acc <= acc + a * b (signed
// 16 x 16 -> 32 bit), either behavioural or as an iCE40 SB_MAC16 with its accumulator.
//
// Usage: each clock, i_v accumulates i_a * i_b; i_ld (never with i_v) loads i_c (the
// core loads the bias: no adder outside the lane adds it); otherwise it holds. o_acc is the
// accumulator register (the sum one clock after i_v). USE_SB = 1 instantiates SB_MAC16
// (iCE40 UP5K, Yosys/nextpnr): hold, load through C:D (OLOAD), accumulate the 16 x 16
// product. `make -C sim mac16-equiv` checks both branches against each other with Yosys's
// SB_MAC16 simulation model.
`default_nettype none

module nca_mac_lane #(
    parameter USE_SB = 0  // 1: SB_MAC16 primitive (iCE40 UP5K), 0: behavioural
) (
    input  wire        clk,
    input  wire        i_v,
    input  wire        i_ld,
    input  wire [31:0] i_c,
    input  wire [15:0] i_a,
    input  wire [15:0] i_b,
    output wire [31:0] o_acc
);
    generate
        if (USE_SB != 0 && USE_SB != 1) begin : g_bad_use_sb
            nca_mac_lane_bad_USE_SB_0_or_1 u_stop ();
        end
    endgenerate

    generate
        if (USE_SB == 1) begin : g_sb
            wire hold = !(i_v || i_ld);
            /* verilator lint_off UNUSEDSIGNAL */
            wire co, aco, sxo;
            /* verilator lint_on UNUSEDSIGNAL */
            SB_MAC16 #(
                .NEG_TRIGGER(1'b0), .C_REG(1'b0), .A_REG(1'b0), .B_REG(1'b0), .D_REG(1'b0),
                .TOP_8x8_MULT_REG(1'b0), .BOT_8x8_MULT_REG(1'b0),
                .PIPELINE_16x16_MULT_REG1(1'b0), .PIPELINE_16x16_MULT_REG2(1'b0),
                .TOPOUTPUT_SELECT(2'b01), .TOPADDSUB_LOWERINPUT(2'b10),
                .TOPADDSUB_UPPERINPUT(1'b0), .TOPADDSUB_CARRYSELECT(2'b11),
                .BOTOUTPUT_SELECT(2'b01), .BOTADDSUB_LOWERINPUT(2'b10),
                .BOTADDSUB_UPPERINPUT(1'b0), .BOTADDSUB_CARRYSELECT(2'b00),
                .MODE_8x8(1'b0), .A_SIGNED(1'b1), .B_SIGNED(1'b1)
            ) u_mac (
                .CLK(clk), .CE(1'b1), .C(i_c[31:16]), .A(i_a), .B(i_b), .D(i_c[15:0]),
                .AHOLD(1'b0), .BHOLD(1'b0), .CHOLD(1'b0), .DHOLD(1'b0),
                .IRSTTOP(1'b0), .IRSTBOT(1'b0), .ORSTTOP(1'b0), .ORSTBOT(1'b0),
                .OLOADTOP(i_ld), .OLOADBOT(i_ld), .ADDSUBTOP(1'b0), .ADDSUBBOT(1'b0),
                .OHOLDTOP(hold), .OHOLDBOT(hold), .CI(1'b0), .ACCUMCI(1'b0),
                .SIGNEXTIN(1'b0), .O(o_acc), .CO(co), .ACCUMCO(aco), .SIGNEXTOUT(sxo));
        end else begin : g_beh
            wire signed [31:0] prod = $signed(i_a) * $signed(i_b);
            reg  signed [31:0] acc_r;
            always @(posedge clk)
                if (i_v)
                    acc_r <= acc_r + prod;
                else if (i_ld)
                    acc_r <= i_c;
            assign o_acc = acc_r;
        end
    endgenerate
endmodule

`default_nettype wire

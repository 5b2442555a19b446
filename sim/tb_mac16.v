// SPDX-License-Identifier: Apache-2.0
// tb_mac16 - nca_mac_lane's SB_MAC16 instance (USE_SB = 1, simulated with Yosys's iCE40
// cell model) against its behavioural branch: 200,000 clocks of random operands, hold,
// load and accumulate. Prints "tb_mac16: PASS"/"FAIL" (`make -C sim mac16-equiv`, Icarus).
`timescale 1ns / 1ps
`default_nettype none

module tb_mac16;
    reg         clk = 1'b0, v = 1'b0, ld = 1'b1;
    reg  [31:0] c = 32'd0;
    reg  [15:0] a = 16'd0, b = 16'd0;
    wire [31:0] acc_sb, acc_beh;
    nca_mac_lane #(.USE_SB(1)) u_sb (
        .clk(clk), .i_v(v), .i_ld(ld), .i_c(c), .i_a(a), .i_b(b), .o_acc(acc_sb));
    nca_mac_lane #(.USE_SB(0)) u_beh (
        .clk(clk), .i_v(v), .i_ld(ld), .i_c(c), .i_a(a), .i_b(b), .o_acc(acc_beh));
    integer i, bad = 0;
    initial begin
        #1 clk = 1'b1;
        #1 clk = 1'b0;
        for (i = 0; i < 200000; i = i + 1) begin
            a = $random;
            b = (i % 3 == 0) ? $random : {{8{a[3]}}, a[11:4]};  // full 16 bits or an int8
            v = ($random % 8) != 0;
            ld = !v && (($random % 4) == 0);
            c = $random;
            #1 clk = 1'b1;
            #1 clk = 1'b0;
            if (acc_sb !== acc_beh) begin
                bad = bad + 1;
                if (bad <= 4)
                    $display("tb_mac16: clock %0d: SB_MAC16 %h, behavioural %h", i, acc_sb, acc_beh);
            end
        end
        if (bad == 0)
            $display("tb_mac16: PASS");
        else
            $display("tb_mac16: FAIL (%0d clocks differ)", bad);
        $finish;
    end
endmodule

`default_nettype wire

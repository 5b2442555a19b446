// SPDX-License-Identifier: Apache-2.0
// nca_core_cfg - the configuration registers both cores share (OP_CFG, rtl/nca_core_ops.vh)
// and the step counter that the fire hash reads.
//
// Usage: i_we for one clock writes register i_a (CFG_HIDDEN, CFG_KERNELS, CFG_WRAP, CFG_FIRE,
// CFG_ALIVE, CFG_SF, CFG_SEED, CFG_STEPS) with i_b; the value is on its output the next
// clock. i_step_done adds 1 to the step counter (a core pulses it as a step ends; a CFG_STEPS
// write in the same clock wins, which the cores never ask for: they take commands only when
// idle). Reset values: hidden 1, kernels 1 (identity), zero boundary, fire 32768 (p = 0.5),
// alive threshold 0 with masking on, state fraction 11, seed 1, step 0. CFG_ALIVE's bit 16 is
// o_all: no alive masking, every cell active (the model flag ALL_ACTIVE). SEED_REG = 0 leaves the seed to the
// core (nca_core_seq's nca_hash_serial keeps it in its own shift register): o_seed is then 1.
`default_nettype none

module nca_core_cfg #(
    parameter SEED_REG = 1    // 1: o_seed is a register written by CFG_SEED, 0: no register
) (
    input  wire        clk,
    input  wire        i_rst,
    input  wire        i_we,
    input  wire [2:0]  i_a,
    input  wire [31:0] i_b,
    input  wire        i_step_done,
    output reg  [7:0]  o_hidden,
    output reg  [3:0]  o_kernels,
    output reg         o_wrap,
    output reg  [16:0] o_fire,
    output reg  [15:0] o_alive,
    output reg         o_all,
    output reg  [3:0]  o_sf,
    output wire [31:0] o_seed,
    output reg  [31:0] o_step
);
    generate
        if (SEED_REG != 0 && SEED_REG != 1) begin : g_bad_seed_reg
            nca_core_cfg_bad_SEED_REG_0_or_1 u_stop ();
        end
    endgenerate

    `include "nca_core_ops.vh"   // CFG_*
    reg [31:0] seed_r;
    assign o_seed = (SEED_REG == 1) ? seed_r : 32'd1;

    always @(posedge clk) begin
        if (i_rst) begin
            o_hidden <= 8'd1;
            o_kernels <= 4'd1;
            o_wrap <= 1'b0;
            o_fire <= 17'd32768;
            o_alive <= 16'd0;
            o_all <= 1'b0;
            o_sf <= 4'd11;
            seed_r <= 32'd1;
            o_step <= 32'd0;
        end else begin
            if (i_step_done)
                o_step <= o_step + 32'd1;
            if (i_we)
                case (i_a)
                    CFG_HIDDEN: o_hidden <= i_b[7:0];
                    CFG_KERNELS: o_kernels <= i_b[3:0];
                    CFG_WRAP: o_wrap <= i_b[0];
                    CFG_FIRE: o_fire <= i_b[16:0];
                    CFG_ALIVE: begin
                        o_alive <= i_b[15:0];
                        o_all <= i_b[16];
                    end
                    CFG_SF: o_sf <= i_b[3:0];
                    CFG_SEED: seed_r <= i_b;
                    default: o_step <= i_b;   // CFG_STEPS
                endcase
        end
    end
endmodule

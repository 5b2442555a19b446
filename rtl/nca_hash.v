// SPDX-License-Identifier: Apache-2.0
// nca_hash - the fire hash of docs/fixed-point.md: two ChaCha quarter-rounds over
// (seed, step, y:x, 0x9E3779B9), output a^b^c^d.
//
// Usage: present i_valid with i_seed/i_step/i_x/i_y; o_valid/o_hash/o_x follow exactly
// LATENCY = 2 clocks later (one quarter-round per pipeline stage, four 32-bit adds per
// stage). Fully pipelined: one new input every clock. i_x is carried along as a tag
// (o_x) so the caller can set the fire bit of the right cell. No multipliers.
`default_nettype none

module nca_hash #(
    parameter TAG_W = 16  // width of the carried tag i_x/o_x in bits, 1..16
) (
    input  wire             clk,
    input  wire             i_rst,
    input  wire             i_valid,
    input  wire [31:0]      i_seed,
    input  wire [31:0]      i_step,
    input  wire [15:0]      i_xc,    // cell x (mod 2^16)
    input  wire [15:0]      i_yc,    // cell y (mod 2^16)
    input  wire [TAG_W-1:0] i_x,     // tag, returned with the hash
    output reg              o_valid,
    output wire [31:0]      o_hash,
    output reg  [TAG_W-1:0] o_x
);
    generate
        if (TAG_W < 1 || TAG_W > 16) begin : g_bad_tag_w
            nca_hash_bad_TAG_W_1_to_16 u_stop ();
        end
    endgenerate

    // stage 1: first quarter-round
    wire [31:0] a0 = i_seed;
    wire [31:0] b0 = i_step;
    wire [31:0] c0 = {i_yc, i_xc};
    wire [31:0] d0 = 32'h9E3779B9;
    wire [31:0] a1 = a0 + b0;
    wire [31:0] d1x = d0 ^ a1;
    wire [31:0] d1 = {d1x[15:0], d1x[31:16]};          // rotl 16
    wire [31:0] c1 = c0 + d1;
    wire [31:0] b1x = b0 ^ c1;
    wire [31:0] b1 = {b1x[19:0], b1x[31:20]};          // rotl 12
    wire [31:0] a2 = a1 + b1;
    wire [31:0] d2x = d1 ^ a2;
    wire [31:0] d2 = {d2x[23:0], d2x[31:24]};          // rotl 8
    wire [31:0] c2 = c1 + d2;
    wire [31:0] b2x = b1 ^ c2;
    wire [31:0] b2 = {b2x[24:0], b2x[31:25]};          // rotl 7

    reg [31:0] sa_r, sb_r, sc_r, sd_r;
    reg        sv_r;
    reg [TAG_W-1:0] sx_r;

    // stage 2: second quarter-round
    wire [31:0] a3 = sa_r + sb_r;
    wire [31:0] d3x = sd_r ^ a3;
    wire [31:0] d3 = {d3x[15:0], d3x[31:16]};
    wire [31:0] c3 = sc_r + d3;
    wire [31:0] b3x = sb_r ^ c3;
    wire [31:0] b3 = {b3x[19:0], b3x[31:20]};
    wire [31:0] a4 = a3 + b3;
    wire [31:0] d4x = d3 ^ a4;
    wire [31:0] d4 = {d4x[23:0], d4x[31:24]};
    wire [31:0] c4 = c3 + d4;
    wire [31:0] b4x = b3 ^ c4;
    wire [31:0] b4 = {b4x[24:0], b4x[31:25]};

    reg [31:0] h_r;
    assign o_hash = h_r;

    always @(posedge clk) begin
        if (i_rst) begin
            sv_r    <= 1'b0;
            o_valid <= 1'b0;
        end else begin
            sv_r    <= i_valid;
            o_valid <= sv_r;
        end
        sa_r <= a2;
        sb_r <= b2;
        sc_r <= c2;
        sd_r <= d2;
        sx_r <= i_x;
        h_r  <= a4 ^ b4 ^ c4 ^ d4;
        o_x  <= sx_r;
    end
endmodule

`default_nettype wire

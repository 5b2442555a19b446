// SPDX-License-Identifier: Apache-2.0
// nca_p_word - one perception word of the spec from its 3x3 filter sum (docs/fixed-point.md
// "Perception"): the identity word itself, sat16(rshift_round(sum, 3)) for Sobel-x and
// Sobel-y, sat16(rshift_round(sum, 4)) for the Laplacian; rshift_round rounds half up.
//
// Usage: combinational. i_sum is a 21-bit sum as nca_perceive gives it (the identity word
// sign-extended), i_filt its physical filter (0 identity, 1 Sobel-x, 2 Sobel-y,
// 3 Laplacian); o_word is the int16 input of the MLP. nca_mlp rounds the one word it reads
// each clock with this, instead of nca_perceive rounding all 4 x CHANNELS of them.
`default_nettype none

module nca_p_word (
    input  wire [20:0] i_sum,
    input  wire [1:0]  i_filt,
    output reg  [15:0] o_word
);
    wire signed [21:0] s = {i_sum[20], i_sum};
    wire signed [21:0] r = (i_filt == 2'd3) ? ((s + 22'sd8) >>> 4) : ((s + 22'sd4) >>> 3);
    `include "nca_sat16.vh"  // nca_sat16(v): clamp to int16
    always @*
        o_word = (i_filt == 2'd0) ? i_sum[15:0] : nca_sat16({{12{r[21]}}, r});
endmodule

`default_nettype wire

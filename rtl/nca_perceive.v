// SPDX-License-Identifier: Apache-2.0
// nca_perceive - perception of one cell: identity, Sobel-x, Sobel-y and Laplacian of every
// channel over the 3x3 window, accumulated from the nine neighbour words one per clock.
//
// Usage: pulse i_clear (may coincide with nothing else) before a new cell, then give the
// nine neighbour words, each exactly once (the Sobel sums count on it, below), in any
// order, one per clock with i_valid, i_pos = (dy+1)*3+(dx+1)
// (0..8, row-major, y grows downwards) and i_word = all channels of that neighbour (0 for a
// neighbour outside a zero-boundary grid). One clock after the ninth word o_p holds the
// perception sums, 21-bit words in physical filter order: o_p[((f*CHANNELS)+c)*21 +: 21]
// for f = 0 identity (the word, sign-extended), 1 Sobel-x, 2 Sobel-y, 3 Laplacian (the 3x3
// sums before the spec's sat16(rshift_round(sum, 3 or 4)), docs/fixed-point.md
// "Perception", which nca_mlp applies to the one word it reads each clock: one rounder
// instead of 48); o_centre is the identity part (the cell's own word). The outputs stay
// valid until the next i_clear. Adds and shifts only, no multipliers.
`default_nettype none

module nca_perceive #(
    parameter CHANNELS = 16  // state channels, 4..16
) (
    input  wire                     clk,
    input  wire                     i_rst,
    input  wire                     i_clear,
    input  wire                     i_valid,
    input  wire [3:0]               i_pos,
    input  wire [16*CHANNELS-1:0]   i_word,
    output wire [84*CHANNELS-1:0]   o_p,
    output wire [16*CHANNELS-1:0]   o_centre
);
    generate
        if (CHANNELS < 4 || CHANNELS > 16) begin : g_bad_channels
            nca_perceive_bad_CHANNELS_4_to_16 u_stop ();
        end
    endgenerate

    localparam SW = 21;  // 3x3 sums: Sobel |sum| <= 8 x 32768, Laplacian <= 24 x 32768 < 2^20

    reg signed [SW-1:0] sx_r [0:CHANNELS-1];
    reg signed [SW-1:0] sy_r [0:CHANNELS-1];
    reg signed [SW-1:0] sl_r [0:CHANNELS-1];
    reg        [15:0]   id_r [0:CHANNELS-1];

    // kernel coefficients of this position: KX, KY (Sobel) in -2..2, KL in {1, 2, -12}
    wire [1:0] row = (i_pos < 4'd3) ? 2'd0 : (i_pos < 4'd6) ? 2'd1 : 2'd2;
    wire [1:0] col = (i_pos == 4'd0 || i_pos == 4'd3 || i_pos == 4'd6) ? 2'd0 :
                     (i_pos == 4'd1 || i_pos == 4'd4 || i_pos == 4'd7) ? 2'd1 : 2'd2;
    wire       centre = (i_pos == 4'd4);
    wire       row_lo = (row == 2'd0), row_mid = (row == 2'd1);
    wire       col_lo = (col == 2'd0), col_mid = (col == 2'd1);

    // A Sobel sum is one adder: a term of column -1 (Sobel-x) or row -1 (Sobel-y) is added
    // as ~t = -t - 1, and the sum starts from 3, the count of those terms, so it ends as
    // with a subtraction. Written as "acc - t" / "acc + t" in two branches, synthesis
    // built two carry chains and a select per sum (ECP5, 16 channels, this module alone:
    // 1,040 CCU2C + 2,326 LUT4 before, 688 + 1,712 after). The Laplacian's -12n stays
    // as it is: written as ~12n from 1, abc9 made its 3-way term select wider, not smaller.
    localparam [SW-1:0] SOBEL_INIT = 3;

    genvar gc;
    generate
        for (gc = 0; gc < CHANNELS; gc = gc + 1) begin : g_acc
            wire signed [SW-1:0] n = {{(SW-16){i_word[16*gc+15]}}, i_word[16*gc +: 16]};
            // Sobel-x: columns -1 / +1 with weight 1 (2 on the middle row)
            wire signed [SW-1:0] kx_term = row_mid ? (n <<< 1) : n;
            // Sobel-y: rows -1 / +1 with weight 1 (2 on the middle column)
            wire signed [SW-1:0] ky_term = col_mid ? (n <<< 1) : n;
            // Laplacian: corners 1, edges 2, centre -12
            wire signed [SW-1:0] kl_term = centre ? -((n <<< 3) + (n <<< 2)) :
                                           (row_mid || col_mid) ? (n <<< 1) : n;
            always @(posedge clk) begin
                if (i_rst || i_clear) begin
                    sx_r[gc] <= SOBEL_INIT;
                    sy_r[gc] <= SOBEL_INIT;
                    sl_r[gc] <= {SW{1'b0}};
                    id_r[gc] <= 16'd0;
                end else if (i_valid) begin
                    if (!col_mid)
                        sx_r[gc] <= sx_r[gc] + (kx_term ^ {SW{col_lo}});
                    if (!row_mid)
                        sy_r[gc] <= sy_r[gc] + (ky_term ^ {SW{row_lo}});
                    sl_r[gc] <= sl_r[gc] + kl_term;
                    if (centre)
                        id_r[gc] <= i_word[16*gc +: 16];
                end
            end
        end
    endgenerate

    genvar g;
    generate
        for (g = 0; g < CHANNELS; g = g + 1) begin : g_out
            assign o_p[(0*CHANNELS+g)*SW +: SW] = {{(SW-16){id_r[g][15]}}, id_r[g]};
            assign o_p[(1*CHANNELS+g)*SW +: SW] = sx_r[g];
            assign o_p[(2*CHANNELS+g)*SW +: SW] = sy_r[g];
            assign o_p[(3*CHANNELS+g)*SW +: SW] = sl_r[g];
            assign o_centre[16*g +: 16] = id_r[g];
        end
    endgenerate
endmodule

`default_nettype wire

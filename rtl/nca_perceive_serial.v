// SPDX-License-Identifier: Apache-2.0
// nca_perceive_serial - the compact core's perception data stage: the Sobel-x, Sobel-y and
// Laplacian sums of one channel from its 9 neighbour words, one word a clock, and the words
// to write (the sums shifted and saturated, the identity).
//
// Usage: i_issue with i_k (the neighbour 0..8 in the order (dy, dx) = (1, 1), (0, 1), (2, 1),
// (0, 0), (0, 2), (1, 0), (1, 2), (2, 0), (2, 2)), i_dy / i_dx (its offsets) and i_c (the
// channel) in the clock the word is asked for; i_word is that word one clock later (the
// data stage). i_k keeps counting after the last read. Writes, by the k of the arriving
// word: the previous channel's Laplacian (o_w_l at k 0), Sobel-y (o_w_y, 1), Sobel-x (o_w_x,
// 2) of channel o_wc (the last channel's: in the clocks after the reads), then this
// channel's identity (o_w_id, 3) and its column-0 copy (o_w_c0, 4) of channel o_c; o_wdata
// is the word to write. The centre and the dx = 1 column come first, so the previous
// channel's Sobel-y sum stays put for one more clock and the Sobel-x sum for three (their
// terms are 0 there): each sum is written from its own accumulator, no copies. The sums
// are twice the Sobel ones, so all three shift by 4 (rshift_round(v, 3) =
// rshift_round(2v, 4)) and start at the rounding constant 8.
`default_nettype none

module nca_perceive_serial (
    input  wire        clk,
    input  wire        i_rst,
    input  wire        i_issue,
    input  wire [3:0]  i_k,
    input  wire [1:0]  i_dy,
    input  wire [1:0]  i_dx,
    input  wire [3:0]  i_c,
    input  wire [15:0] i_word,
    output wire [3:0]  o_c,
    output wire [3:0]  o_wc,
    output wire        o_w_l,
    output wire        o_w_y,
    output wire        o_w_x,
    output wire        o_w_id,
    output wire        o_w_c0,
    output wire [15:0] o_wdata
);
    reg        pd_v, pd_last;
    reg [3:0]  pd_c;                    // channel of the arriving word
    reg [3:0]  pd_k;
    reg [1:0]  pd_dy, pd_dx;
    wire       pd_centre = (pd_k == 4'd0);
    wire signed [20:0] nbv = {{5{i_word[15]}}, i_word};
    reg  signed [20:0] acx_r, acy_r, acl_r;
    // kernel terms: KX = (dx-1) x (1 or 2 on the middle row), KY likewise, KL 1/2/-12; the
    // Sobel sums twice over, so all three are shifted by 4 (rshift_round(v, 3) =
    // rshift_round(2v, 4))
    wire signed [20:0] nbv2 = nbv <<< 1;
    wire signed [20:0] nbv4 = nbv <<< 2;
    // each term as magnitude and sign; acc + (neg ? -m : m) as one adder: the low bit of
    // {acc, 1} + {m ^ neg, neg} carries neg in
    wire [20:0] m_x = (pd_dx == 2'd1) ? 21'd0 : (pd_dy == 2'd1) ? nbv4 : nbv2;
    wire [20:0] m_y = (pd_dy == 2'd1) ? 21'd0 : (pd_dx == 2'd1) ? nbv4 : nbv2;
    // Laplacian: the centre's -12v as -16v - 1 (its bits inverted, no adder) + 4v + 1; the
    // other 8 terms add 1 each (carry in): the rounding constant 8
    wire [20:0] m_l = (pd_dy == 2'd1 && pd_dx == 2'd1) ? nbv4 :
                      (pd_dy == 2'd1 || pd_dx == 2'd1) ? nbv2 : nbv;
    wire        n_x = (pd_dx == 2'd0), n_y = (pd_dy == 2'd0);
    /* verilator lint_off UNUSEDSIGNAL */
    // the sums start at the rounding constant of their shift (8): rshift_round(v, n)
    // = (v + 2^(n-1)) >> n, so the write stage only shifts; each at its first non-zero term
    wire [21:0] s_x = {(pd_k == 4'd3) ? 21'd8 : acx_r, 1'b1} + {m_x ^ {21{n_x}}, n_x};
    wire [21:0] s_y = {(pd_k == 4'd1) ? 21'd8 : acy_r, 1'b1} + {m_y ^ {21{n_y}}, n_y};
    wire [21:0] s_l = {pd_centre ? {~nbv[16:0], 4'hF} : acl_r, 1'b1} + {m_l, 1'b1};
    /* verilator lint_on UNUSEDSIGNAL */
    reg  [15:0] cen_r;
    reg  [3:0]  wc_r;                    // channel of the sums being written
    reg         sums_r;                  // channel wc_r's sums are complete, not yet written
    // writes, by the k of the arriving word: the previous channel's Laplacian (k 0),
    // Sobel-y (1), Sobel-x (2) (the last channel's: in the clocks after the reads), then
    // this channel's identity (3) and, for cell x = 0, its column-0 copy (4), from cen_r
    wire        w_l = sums_r && (pd_k == 4'd0), w_y = sums_r && (pd_k == 4'd1),
                w_x = sums_r && (pd_k == 4'd2);
    wire        w_id = pd_v && (pd_k == 4'd3), w_c0 = pd_v && (pd_k == 4'd4);
    // a kernel sum (with its rounding constant) shifted by 4 and saturated
    /* verilator lint_off UNUSEDSIGNAL */
    wire signed [20:0] fsel = w_x ? acx_r : w_y ? acy_r : acl_r;
    /* verilator lint_on UNUSEDSIGNAL */
    wire signed [20:0] fsh = fsel >>> 4;
    wire [15:0] fsat = (fsh[20:15] == {6{fsh[20]}}) ? fsh[15:0] : fsh[20] ? 16'h8000 : 16'h7FFF;
    assign o_c = pd_c;
    assign o_wc = wc_r;
    assign o_w_l = w_l;
    assign o_w_y = w_y;
    assign o_w_x = w_x;
    assign o_w_id = w_id;
    assign o_w_c0 = w_c0;
    assign o_wdata = (w_id || w_c0) ? cen_r : fsat;

    always @(posedge clk) begin
        if (i_rst) begin
            pd_v <= 1'b0;
            sums_r <= 1'b0;
        end else begin
            pd_v <= i_issue;
            if (pd_k == 4'd2)
                sums_r <= 1'b0;
            if (pd_v && pd_last)
                sums_r <= 1'b1;
        end
        pd_dy <= i_dy;
        pd_c <= i_c;
        pd_dx <= i_dx;
        pd_k <= i_k;
        pd_last <= (i_k == 4'd8);
        if (pd_v) begin
            acx_r <= s_x[21:1];
            acy_r <= s_y[21:1];
            acl_r <= s_l[21:1];
            if (pd_centre)
                cen_r <= i_word;
            if (pd_last)
                wc_r <= pd_c;
        end
    end
endmodule

`default_nettype wire

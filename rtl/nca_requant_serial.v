// SPDX-License-Identifier: Apache-2.0
// nca_requant_serial - the compact core's requant / output pipeline, one accumulator a
// clock: layer 1 h = clamp(rshift_round(acc, s1), 0, 255), layer 2
// u = sat16(res + rshift_round(acc, s2)) (docs/fixed-point.md).
//
// Usage: i_v with i_i (the lane, passed along), i_acc (the accumulator, bias included,
// |acc| < 2^29) and i_shift ({s >= 16, s mod 16}, as the bias memory holds it) in one
// clock; the next clock o_i2 = i_i; two clocks later o_v with o_i, o_h (layer 1) and o_u (layer 2) for the
// residual i_res and the layer i_l2 of that clock (combinational from them: the caller
// reads the residual meanwhile). A new accumulator every clock. rshift_round(v, n) =
// (t + 1) >> 1 with t = 2v >> n (n = 0 too), and s + rshift_round(v, n) = (2s + t + 1) >> 1:
// one adder with the carry in set; t saturated to 19 bits changes no result (|2s| <= 2^16,
// h <= 255). The shift's first level (by 16) goes into stage 2's register (a 2:1
// multiplexer in the flip-flops' LUTs), the rest into stage 3.
`default_nettype none

module nca_requant_serial (
    input  wire        clk,
    input  wire        i_rst,
    input  wire        i_v,
    input  wire [2:0]  i_i,
    input  wire [29:0] i_acc,
    input  wire [4:0]  i_shift,
    input  wire        i_l2,
    input  wire [15:0] i_res,
    output wire [2:0]  o_i2,     // the lane in stage 2 (the caller reads its residual then)
    output reg         o_v,
    output reg  [2:0]  o_i,
    output wire [7:0]  o_h,
    output wire [15:0] o_u
);
    reg        rq2_v;
    reg [2:0]  rq2_i;
    assign o_i2 = rq2_i;
    reg [30:0] rq2_a;                       // 2acc, already shifted by 16 when s >= 16
    reg [3:0]  rq2_sh;
    reg [18:0] rq3_t;
    wire [30:0] rq_a2 = {i_acc, 1'b0};
    wire signed [30:0] rq_t = $signed(rq2_a) >>> rq2_sh;
    wire        rq_t_ok = (rq_t[30:18] == {13{rq_t[30]}});
    wire [18:0] rq_t19 = rq_t_ok ? rq_t[18:0] : {rq_t[30], {18{!rq_t[30]}}};
    /* verilator lint_off UNUSEDSIGNAL */
    wire [19:0] rq_sum = (i_l2 ? {{3{i_res[15]}}, i_res, 1'b0} : 20'd0) +
                         {rq3_t[18], rq3_t} + 20'd1;   // bit 0 unused
    /* verilator lint_on UNUSEDSIGNAL */
    assign o_h = rq_sum[19] ? 8'd0 : (rq_sum[18:9] != 10'd0) ? 8'd255 : rq_sum[8:1];
    assign o_u = (rq_sum[19:16] == 4'b0000 || rq_sum[19:16] == 4'b1111) ? rq_sum[16:1] :
                 rq_sum[19] ? 16'h8000 : 16'h7FFF;

    always @(posedge clk) begin
        if (i_rst) begin
            rq2_v <= 1'b0;
            o_v <= 1'b0;
        end else begin
            rq2_v <= i_v;
            o_v <= rq2_v;
        end
        rq2_i <= i_i;
        rq2_a <= i_shift[4] ? {{16{rq_a2[30]}}, rq_a2[30:16]} : rq_a2;
        rq2_sh <= i_shift[3:0];
        o_i <= rq2_i;
        rq3_t <= rq_t19;
    end
endmodule

`default_nettype wire

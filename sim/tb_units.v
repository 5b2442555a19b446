// SPDX-License-Identifier: Apache-2.0
// tb_units - bench wrapper: the unit-tested blocks side by side (nca_perceive, nca_mlp,
// nca_hash, nca_alive_row, and nca_core_seq's nca_hash_serial, nca_requant_serial,
// nca_alive_rows_serial, nca_perceive_serial, nca_mac_array_serial, nca_damage_serial
// (64x64 and 37x21) and nca_pending_fifo) with their ports brought out for tb_units.cpp.
//
// Usage: Verilator top only (no logic of its own); see tb_units.cpp.
`default_nettype none

module tb_units #(
    parameter CHANNELS = 16,  // state channels, 4..16
    parameter HIDDEN   = 128, // hidden units, 1..128
    parameter LANES    = 16,  // MAC lanes, power of two, 1..128
    parameter GRID_W   = 64   // alive-row width, cells, 3..1024
) (
    input  wire                     clk,
    input  wire                     i_rst,
    // perception
    input  wire                     i_pc_clear,
    input  wire                     i_pc_valid,
    input  wire [3:0]               i_pc_pos,
    input  wire [16*CHANNELS-1:0]   i_pc_word,
    output wire [84*CHANNELS-1:0]   o_pc_p,      // 21-bit filter sums
    output wire [64*CHANNELS-1:0]   o_pc_pw,     // the same through nca_p_word
    output wire [16*CHANNELS-1:0]   o_pc_centre,
    // MLP
    input  wire [3:0]               i_kernels,
    input  wire [7:0]               i_hidden,
    input  wire                     i_ld_valid,
    input  wire [2:0]               i_ld_sel,
    input  wire [15:0]              i_ld_a,
    input  wire [15:0]              i_ld_b,
    input  wire [31:0]              i_ld_data,
    input  wire                     i_p_we,
    input  wire                     i_p_bank,
    input  wire [84*CHANNELS-1:0]   i_p_vec,     // 21-bit filter sums
    input  wire                     i_start,
    input  wire                     i_bank,
    output wire                     o_busy,
    output wire [15:0]              o_mac_len,
    output wire                     o_u_valid,
    output wire [16*CHANNELS-1:0]   o_u,
    // hash
    input  wire                     i_h_valid,
    input  wire [31:0]              i_h_seed,
    input  wire [31:0]              i_h_step,
    input  wire [15:0]              i_h_x,
    input  wire [15:0]              i_h_y,
    output wire                     o_h_valid,
    output wire [31:0]              o_h_hash,
    output wire [15:0]              o_h_tag,
    // serial hash (nca_core_seq's)
    input  wire                     i_hs_seed_we,
    input  wire [16:0]              i_hs_fire,
    input  wire                     i_hs_start,
    input  wire [5:0]               i_hs_x,
    input  wire [5:0]               i_hs_y,
    input  wire                     i_hs_ack,
    output wire                     o_hs_busy,
    output wire                     o_hs_done,
    output wire [5:0]               o_hs_x,
    output wire                     o_hs_fire,
    // serial requant (nca_core_seq's)
    input  wire                     i_rq_v,
    input  wire [2:0]               i_rq_i,
    input  wire [29:0]              i_rq_acc,
    input  wire [4:0]               i_rq_shift,
    input  wire                     i_rq_l2,
    input  wire [15:0]              i_rq_res,
    output wire [2:0]               o_rq_i2,
    output wire                     o_rq_v,
    output wire [2:0]               o_rq_i,
    output wire [7:0]               o_rq_h,
    output wire [15:0]              o_rq_u,
    // serial alive rows (nca_core_seq's), at GRID_W (<= 64) and at 37 cells
    input  wire [3:0]               i_as_cn,
    input  wire [5:0]               i_as_y,
    input  wire [5:0]               i_as_y_prev,
    input  wire [5:0]               i_as_y_next,
    input  wire                     i_as_y_last,
    input  wire                     i_as_wrap,
    input  wire [15:0]              i_as_rdata,
    input  wire [15:0]              i_as37_rdata,
    output wire [7:0]               o_as_raddr,
    output wire [7:0]               o_as37_raddr,
    output wire                     o_as_out,
    output wire [1:0]               o_as_wq,
    output wire [15:0]              o_as_mask,
    output wire [15:0]              o_as37_mask,
    // serial perception (nca_core_seq's)
    input  wire                     i_ps_issue,
    input  wire [3:0]               i_ps_k,
    input  wire [1:0]               i_ps_dy,
    input  wire [1:0]               i_ps_dx,
    input  wire [3:0]               i_ps_c,
    input  wire [15:0]              i_ps_word,
    output wire [3:0]               o_ps_c,
    output wire [3:0]               o_ps_wc,
    output wire [4:0]               o_ps_w,      // {c0, id, x, y, l}
    output wire [15:0]              o_ps_wdata,
    // serial erasure walker (nca_core_seq's), 64x64 and 37x21
    input  wire                     i_dm_start,
    input  wire [3:0]               i_dm_op,
    input  wire [31:0]              i_dm_a,
    input  wire [31:0]              i_dm_b,
    input  wire [31:0]              i_dm_c,
    output wire [1:0]               o_dm_busy,   // {37x21, 64x64}, likewise below
    output wire [1:0]               o_dm_erase,
    output wire [1:0]               o_dm_last,
    output wire [3:0]               o_dm_sub,
    output wire [11:0]              o_dm_x,
    output wire [11:0]              o_dm_y,
    // MAC array (nca_core_seq's): 8 lanes in a load chain
    input  wire                     i_ma_v,
    input  wire                     i_ma_ld,
    input  wire [24:0]              i_ma_bias,
    input  wire [15:0]              i_ma_a,
    input  wire [63:0]              i_ma_w,
    output wire [29:0]              o_ma_acc0,
    // pending-update FIFO (nca_core_seq's), 65 slots
    input  wire                     i_ff_clear,
    input  wire                     i_ff_flush,
    input  wire                     i_ff_push,
    input  wire                     i_ff_pop,
    input  wire [5:0]               i_ff_tag_x,
    input  wire [5:0]               i_ff_tag_y,
    input  wire [5:0]               i_ff_x,
    input  wire [5:0]               i_ff_y,
    output wire [6:0]               o_ff_head,
    output wire [6:0]               o_ff_tail,
    output wire                     o_ff_flush,
    output wire                     o_ff_elig,
    // alive row
    input  wire [GRID_W-1:0]        i_ar_up,
    input  wire [GRID_W-1:0]        i_ar_mid,
    input  wire [GRID_W-1:0]        i_ar_dn,
    input  wire                     i_ar_wrap,
    output wire [GRID_W-1:0]        o_ar_row
);
    nca_perceive #(.CHANNELS(CHANNELS)) u_perceive (
        .clk(clk), .i_rst(i_rst), .i_clear(i_pc_clear), .i_valid(i_pc_valid),
        .i_pos(i_pc_pos), .i_word(i_pc_word), .o_p(o_pc_p), .o_centre(o_pc_centre));
    genvar gw;
    generate
        for (gw = 0; gw < 4 * CHANNELS; gw = gw + 1) begin : g_pw
            localparam [31:0] FILT = gw / CHANNELS;
            nca_p_word u_p_word (.i_sum(o_pc_p[21*gw +: 21]), .i_filt(FILT[1:0]),
                                 .o_word(o_pc_pw[16*gw +: 16]));
        end
    endgenerate
    nca_mlp #(.CHANNELS(CHANNELS), .HIDDEN(HIDDEN), .LANES(LANES)) u_mlp (
        .clk(clk), .i_rst(i_rst), .i_kernels(i_kernels), .i_hidden(i_hidden),
        .i_ld_valid(i_ld_valid), .i_ld_sel(i_ld_sel), .i_ld_a(i_ld_a), .i_ld_b(i_ld_b),
        .i_ld_data(i_ld_data), .i_p_we(i_p_we), .i_p_bank(i_p_bank), .i_p_vec(i_p_vec),
        .i_start(i_start), .i_bank(i_bank), .o_busy(o_busy), .o_mac_len(o_mac_len),
        .o_u_valid(o_u_valid), .o_u(o_u));
    nca_hash #(.TAG_W(16)) u_hash (
        .clk(clk), .i_rst(i_rst), .i_valid(i_h_valid), .i_seed(i_h_seed), .i_step(i_h_step),
        .i_xc(i_h_x), .i_yc(i_h_y), .i_x(i_h_x), .o_valid(o_h_valid), .o_hash(o_h_hash),
        .o_x(o_h_tag));
    nca_hash_serial u_hash_serial (
        .clk(clk), .i_rst(i_rst), .i_seed_we(i_hs_seed_we), .i_seed(i_h_seed),
        .i_fire(i_hs_fire), .i_step(i_h_step), .i_start(i_hs_start), .i_x(i_hs_x),
        .i_y(i_hs_y), .i_ack(i_hs_ack), .o_busy(o_hs_busy), .o_done(o_hs_done),
        .o_x(o_hs_x), .o_fire(o_hs_fire));
    nca_requant_serial u_requant_serial (
        .clk(clk), .i_rst(i_rst), .i_v(i_rq_v), .i_i(i_rq_i), .i_acc(i_rq_acc),
        .i_shift(i_rq_shift), .i_l2(i_rq_l2), .i_res(i_rq_res), .o_i2(o_rq_i2), .o_v(o_rq_v),
        .o_i(o_rq_i), .o_h(o_rq_h), .o_u(o_rq_u));
    /* verilator lint_off UNUSEDSIGNAL */
    wire       as37_out;   // the same schedule as the GRID_W instance
    wire [1:0] as37_wq;
    /* verilator lint_on UNUSEDSIGNAL */
    nca_alive_rows_serial #(.GRID_W(GRID_W > 64 ? 64 : GRID_W)) u_alive_serial (
        .clk(clk), .i_cn(i_as_cn), .i_y(i_as_y), .i_y_prev(i_as_y_prev),
        .i_y_next(i_as_y_next), .i_y_last(i_as_y_last), .i_wrap(i_as_wrap),
        .o_raddr_y(o_as_raddr[7:2]), .o_raddr_q(o_as_raddr[1:0]), .i_rdata(i_as_rdata),
        .o_out(o_as_out), .o_wq(o_as_wq), .o_mask(o_as_mask));
    nca_alive_rows_serial #(.GRID_W(37)) u_alive_serial37 (
        .clk(clk), .i_cn(i_as_cn), .i_y(i_as_y), .i_y_prev(i_as_y_prev),
        .i_y_next(i_as_y_next), .i_y_last(i_as_y_last), .i_wrap(i_as_wrap),
        .o_raddr_y(o_as37_raddr[7:2]), .o_raddr_q(o_as37_raddr[1:0]), .i_rdata(i_as37_rdata),
        .o_out(as37_out), .o_wq(as37_wq), .o_mask(o_as37_mask));
    nca_perceive_serial u_perceive_serial (
        .clk(clk), .i_rst(i_rst), .i_issue(i_ps_issue), .i_k(i_ps_k), .i_dy(i_ps_dy),
        .i_dx(i_ps_dx), .i_c(i_ps_c), .i_word(i_ps_word), .o_c(o_ps_c), .o_wc(o_ps_wc),
        .o_w_l(o_ps_w[0]), .o_w_y(o_ps_w[1]), .o_w_x(o_ps_w[2]), .o_w_id(o_ps_w[3]),
        .o_w_c0(o_ps_w[4]), .o_wdata(o_ps_wdata));
    genvar gd;
    generate
        for (gd = 0; gd < 2; gd = gd + 1) begin : g_damage
            nca_damage_serial #(.GRID_W(gd ? 37 : 64), .GRID_H(gd ? 21 : 64)) u_damage (
                .clk(clk), .i_rst(i_rst), .i_start(i_dm_start), .i_op(i_dm_op),
                .i_a(i_dm_a), .i_b(i_dm_b), .i_c(i_dm_c), .o_busy(o_dm_busy[gd]),
                .o_erase(o_dm_erase[gd]), .o_sub(o_dm_sub[2*gd +: 2]),
                .o_x(o_dm_x[6*gd +: 6]), .o_y(o_dm_y[6*gd +: 6]), .o_last(o_dm_last[gd]));
        end
    endgenerate
    nca_mac_array_serial u_mac_array (
        .clk(clk), .i_v(i_ma_v), .i_ld(i_ma_ld), .i_bias(i_ma_bias), .i_a(i_ma_a),
        .i_w(i_ma_w), .o_acc0(o_ma_acc0));
    nca_pending_fifo #(.SLOTS(65)) u_fifo (
        .clk(clk), .i_clear(i_ff_clear), .i_flush(i_ff_flush), .i_push(i_ff_push),
        .i_pop(i_ff_pop), .i_tag_x(i_ff_tag_x), .i_tag_y(i_ff_tag_y), .i_x(i_ff_x),
        .i_y(i_ff_y), .o_head(o_ff_head), .o_tail(o_ff_tail), .o_flush(o_ff_flush),
        .o_elig(o_ff_elig));
    nca_alive_row #(.GRID_W(GRID_W)) u_alive (
        .i_up(i_ar_up), .i_mid(i_ar_mid), .i_dn(i_ar_dn), .i_wrap(i_ar_wrap),
        .o_row(o_ar_row));
endmodule

`default_nettype wire

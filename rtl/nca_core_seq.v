// SPDX-License-Identifier: Apache-2.0
// nca_core_seq - the compact NCA core for an iCE40 UP5K: the same command interface and
// arithmetic as nca_core (docs/fixed-point.md, bit for bit), with a sequential datapath:
// the grid as 16-bit words in four SPRAMs, perception one word per clock, an 8-lane MAC
// array (the 8 SB_MAC16), weights in EBR, in-place update through a pending-write FIFO.
//
// Usage: exactly nca_core's ports, ops 0..12 and their semantics (see rtl/nca_core.v):
// one command per i_cmd_valid && o_cmd_ready (ready = idle); READ / READW answer with
// o_rsp_valid / o_rsp_cell until i_rsp_ready; STEP n pulses o_step_done after each step
// with o_step_cycles / o_pre_alive / o_active. WIDE_CELL = 0 drops READ and WRITE (the
// word ops READW / WRITEW move cells 16 bits at a time). Set CFG 1 (kernels) before LOAD
// and CFG 4 (T) before cells are written; run CLEAR once after reset. Latencies differ
// from nca_core: READ C + 1 clocks, READW 2, WRITE/SEED C, WRITEW 1 (C + 1 for the last
// channel), CLEAR 16,384, erasures 5 x W x H (+ |a + c| + |b| + 4 for a circle). Erasure
// arguments must satisfy |a|, |b|, |c| < 2^17 (the host allows 100,000; the link sends 16
// bits).
// The clocks of a step are exact (nca_cycles_step_seq, host/):
//   A  pre mask rows from the mature bitmap: 17 per row (torus: at least W x C + 1 in all,
//      the copy of row 0 into the row-0 RAM)
//   B  per row: 8 + the hash clocks: 1 + per pre-alive cell 1 + 64 (the nibble-serial fire
//      hash; its 64 are hidden when the cell before fired) + 1 when the last one fired; per active
//      cell: perception 9C + 6, commit 2 + (C + 3) per committed pending update, layer 1
//      G x (I + 9) + 8, layer 2 Q x (hidden + 13), 1 push (G = ceil(hidden/8), Q = ceil(C/8))
//      then the flush of the pending updates: 2 + (C + 3) each
//   C  keep = pre and post: 21 per row;  D  erase: 7 per row + 4 per cell not kept
// In place: an updated cell's new word waits in a FIFO (<= W + 1 cells) until the scan has
// perceived (x+1, y+1); for the torus, old words of row 0 and of column 0 are kept.
`default_nettype none

module nca_core_seq #(
    parameter GRID_W   = 64,  // grid width in cells, 3..64
    parameter GRID_H   = 64,  // grid height in cells, 3..64
    parameter CHANNELS = 16,  // state channels per cell, 4..16 (channel 3 is alpha)
    parameter HIDDEN   = 128, // largest hidden layer, 1..128
    parameter W1_WORDS = 768, // layer-1 weight words of 8 bytes: ceil(hidden/8) x inputs
                              // must not exceed it (768 = 12 EBR: 16 ch x 3 kernels x 128),
                              // 8..1024
    parameter USE_SPRAM = 0,  // 1: SB_SPRAM256KA primitives (iCE40 UP5K), 0: behavioural
    parameter USE_MAC16 = 0,  // 1: SB_MAC16 primitives for the 8 lanes (iCE40 UP5K; Yosys keeps
                              // the accumulators in LUTs otherwise), 0: behavioural
    parameter WIDE_CELL = 1   // 1: ops 9/10 (READ / WRITE of whole cells on the 16C-bit
                              // ports); 0: only the word ops 11/12 (o_rsp_cell above bit 15
                              // is 0, i_cmd_cell above bit 15 unused: no 16C-bit register)
) (
    input  wire                     clk,
    input  wire                     i_rst,
    input  wire                     i_cmd_valid,
    output wire                     o_cmd_ready,
    input  wire [3:0]               i_cmd_op,
    input  wire [31:0]              i_cmd_a,
    input  wire [31:0]              i_cmd_b,
    input  wire [31:0]              i_cmd_c,
    input  wire [16*CHANNELS-1:0]   i_cmd_cell,
    output wire                     o_rsp_valid,
    input  wire                     i_rsp_ready,
    output wire [16*CHANNELS-1:0]   o_rsp_cell,
    output reg                      o_step_done,
    output wire [31:0]              o_step_cycles,
    output wire [31:0]              o_pre_alive,
    output wire [31:0]              o_active,
    output wire [31:0]              o_steps
);
    localparam W = GRID_W;
    localparam H = GRID_H;
    localparam C = CHANNELS;
    localparam CW = 16 * C;
    localparam Q = (C + 7) / 8;                 // layer-2 groups of 8 outputs
    localparam FIFO_N = W + 1;                  // pending updates
    localparam [31:0] W2_BASE32 = W1_WORDS;
    localparam [10:0] W2_BASE = W2_BASE32[10:0];
    localparam [31:0] C32 = C, Q32 = Q, W32 = W, H32 = H, PL32 = 9 * C + 6;
    localparam [15:0] C16 = C32[15:0];
    localparam [15:0] PERC_LEN = PL32[15:0];   // perception clocks per cell
    localparam [15:0] Q16 = Q32[15:0];
    localparam [0:0] QM1 = Q16[0] ? 1'b0 : 1'b1;  // last layer-2 group (Q is 1 or 2)

    generate
        if (GRID_W < 3 || GRID_W > 64) begin : g_bad_grid_w
            nca_core_seq_bad_GRID_W_3_to_64 u_stop ();
        end
        if (GRID_H < 3 || GRID_H > 64) begin : g_bad_grid_h
            nca_core_seq_bad_GRID_H_3_to_64 u_stop ();
        end
        if (CHANNELS < 4 || CHANNELS > 16) begin : g_bad_channels
            nca_core_seq_bad_CHANNELS_4_to_16 u_stop ();
        end
        if (HIDDEN < 1 || HIDDEN > 128) begin : g_bad_hidden
            nca_core_seq_bad_HIDDEN_1_to_128 u_stop ();
        end
        if (W1_WORDS < 8 || W1_WORDS > 1024) begin : g_bad_w1_words
            nca_core_seq_bad_W1_WORDS_8_to_1024 u_stop ();
        end
        if (USE_SPRAM != 0 && USE_SPRAM != 1) begin : g_bad_use_spram
            nca_core_seq_bad_USE_SPRAM_0_or_1 u_stop ();
        end
        if (WIDE_CELL != 0 && WIDE_CELL != 1) begin : g_bad_wide_cell
            nca_core_seq_bad_WIDE_CELL_0_or_1 u_stop ();
        end
        if (USE_MAC16 != 0 && USE_MAC16 != 1) begin : g_bad_use_mac16
            nca_core_seq_bad_USE_MAC16_0_or_1 u_stop ();
        end
    endgenerate

    `include "nca_core_ops.vh"   // OP_*, CFG_*, LD_* (tools/gen_ids.py)
    localparam [4:0] S_IDLE = 5'd0, S_RSP = 5'd1, S_RD = 5'd2, S_WR = 5'd3, S_CLEAR = 5'd4,
                     S_DMG = 5'd6, S_A = 5'd7, S_BR = 5'd8, S_BH = 5'd9,
                     S_BW = 5'd10, S_BF = 5'd11, S_BP = 5'd12, S_CM0 = 5'd13, S_CM1 = 5'd14,
                     S_CMW = 5'd15, S_L1 = 5'd16, S_RQ = 5'd17, S_L2 = 5'd18, S_DR = 5'd19,
                     S_PUSH = 5'd20, S_C = 5'd21, S_D = 5'd22, S_DK = 5'd23, S_RW = 5'd24;
    // scratch RAM map (16-bit words): FIFO slot s word c at 16s + c (s <= 64), its tag at
    // 1040 + s, column-0 old words at 1120 + 16 slot + c, p at 1152 + 16 rank + c,
    // h[j] at 1216 + j/2 (byte j%2)
    localparam [10:0] A_TAG = 11'd1040, A_COL0 = 11'd1120, A_P = 11'd1152, A_H = 11'd1216;
    localparam [15:0] H16 = H32[15:0];
    localparam [5:0] HM1 = H16[5:0] - 6'd1;

    // ---- configuration -------------------------------------------------------------
    wire [7:0]  cfg_hidden;
    wire [3:0]  cfg_kernels;
    wire        cfg_wrap;
    wire [16:0] cfg_fire;
    wire [15:0] cfg_alive;
    wire        cfg_all;
    wire [3:0]  cfg_sf;
    wire [31:0] cfg_step;
    /* verilator lint_off UNUSEDSIGNAL */
    wire [31:0] cfg_seed_unused;         // 1: nca_hash_serial keeps the seed
    /* verilator lint_on UNUSEDSIGNAL */
    assign o_steps = cfg_step;

    reg [4:0]  st_r;
    wire       idle = (st_r == S_IDLE);
    assign o_cmd_ready = idle;
    wire       cmd = i_cmd_valid && idle;
    wire       in_step = (st_r >= S_A);     // (and S_RW, WRITEW's S_CMW: cyc_r unused then)
    `include "nca_lt.vh"   // nca_lt(x, c): x < c as plain logic
    wire       cmd_in_grid = nca_lt(i_cmd_a, W32) && nca_lt(i_cmd_b, H32);
    wire       cmd_ch_ok = nca_lt(i_cmd_c, C32);         // READW / WRITEW channel
    wire       cmd_ch_last = (i_cmd_c == C32 - 32'd1);
    wire       cmd_word_ok = cmd_in_grid && cmd_ch_ok;
    wire [5:0] cmd_x = i_cmd_a[5:0];
    wire [5:0] cmd_y = i_cmd_b[5:0];

    // derived model shape
    wire [2:0] nfilt = {2'b0, cfg_kernels[0]} + {2'b0, cfg_kernels[1]} +
                       {2'b0, cfg_kernels[2]} + {2'b0, cfg_kernels[3]};
    wire [6:0] n_in = (nfilt == 3'd1) ? C16[6:0] : (nfilt == 3'd2) ? 7'd2 * C16[6:0] :
                      (nfilt == 3'd3) ? 7'd3 * C16[6:0] : 7'd4 * C16[6:0];
    wire [4:0] n_grp = cfg_hidden[7:3] + {4'd0, cfg_hidden[2:0] != 3'd0};
    wire [1:0] rank_sy = 2'd1 + {1'b0, cfg_kernels[1]};
    wire [1:0] rank_lap = 2'd1 + {1'b0, cfg_kernels[1]} + {1'b0, cfg_kernels[2]};

    // ---- general registers -------------------------------------------------------------
    reg [15:0]  cnt_r;
    reg [5:0]   y_r, xc_r;              // row of A/B/C/D (and B: cell row); B: cell column
    reg [15:0]  cand_r;                 // word cand_q_r of the pre row (B) / kill row (D)
    reg [1:0]   cand_q_r;
    reg [1:0]   dsub_r;                 // phase D: channel group erased
    reg         bfire_r;                // phase B: cell xc_r fired, run it next
    reg [CW-1:0] cell_r;                // READ / WRITE cell (WIDE_CELL = 1 only)
    reg [15:0]  word_r;                 // READW word
    reg         rsp_w_r;                // the answer is READW's
    reg         ww_r;                   // S_CMW copies a WRITEW cell (scratch slot 0)
    assign o_rsp_cell = (WIDE_CELL == 1 && !rsp_w_r) ? cell_r : {{(CW-16){1'b0}}, word_r};
    assign o_rsp_valid = (st_r == S_RSP);
    reg         seed_op_r;
    reg [31:0]  steps_left_r;
    // per-step counts, as wide as they can get: cells <= 4096, clocks < 2^23 (1,700 a cell)
    reg [23:0]  cyc_r, step_cycles_r;
    reg [12:0]  npre_r, nact_r, pre_alive_r, active_r;
    assign o_step_cycles = {8'd0, step_cycles_r};
    assign o_pre_alive = {19'd0, pre_alive_r};
    assign o_active = {19'd0, active_r};

    wire [5:0] y_prev = (y_r == 6'd0) ? HM1 : y_r - 6'd1;
    wire [5:0] y_next = (y_r == HM1) ? 6'd0 : y_r + 6'd1;
    wire       y_last = (y_r == HM1);
    wire [63:0] vmask = {{(64-W){1'b0}}, {W{1'b1}}};
    wire [15:0] vmask16 = vmask[16*cand_q_r +: 16];
    localparam [31:0] NQM1_32 = (W + 15) / 16 - 1; // row words - 1
    localparam [1:0] NQM1 = NQM1_32[1:0];
    wire        cand_q_last = (cand_q_r == NQM1);

    function [3:0] ffs16;
        input [15:0] v;
        integer i;
        begin
            ffs16 = 4'd0;
            for (i = 15; i >= 0; i = i - 1)
                if (v[i])
                    ffs16 = i[3:0];
        end
    endfunction

    // ---- memories --------------------------------------------------------------------
    // grid: channel c of cell (x, y) at {c[3:2], y, x, c[1:0]}
    reg         g_en, g_we, g_all;
    reg  [15:0] g_addr, g_wdata;
    wire [15:0] g_rdata;
    nca_spram #(.USE_SB(USE_SPRAM)) u_grid (
        .clk(clk), .i_en(g_en), .i_we(g_we), .i_all(g_all), .i_addr(g_addr),
        .i_wdata(g_wdata), .o_rdata(g_rdata));
    function [15:0] gaddr;
        input [3:0] c;
        input [5:0] x;
        input [5:0] y;
        begin
            gaddr = {c[3:2], y, x, c[1:0]};
        end
    endfunction

    // bitmaps, row y = words {y, q}, bit 16q + b = cell x: mature (alpha > T) and pre/keep
    reg  [7:0]  mt_raddr, mt_waddr, pk_raddr, pk_waddr;
    reg  [15:0] mt_wen, mt_wdata, pk_wdata;
    reg         mt_we;
    reg  [5:0]  mt_x, mt_y;
    reg         pk_we;
    wire [15:0] mt_rdata, pk_rdata;
    nca_ram_1r1w #(.WIDTH(16), .DEPTH(256), .SLICE(1), .NO_COLLIDE(1)) u_mature (
        .clk(clk), .i_ren(st_r == S_A || st_r == S_C), .i_raddr(mt_raddr), .o_rdata(mt_rdata), .i_wen(mt_wen),
        .i_waddr(mt_waddr), .i_wdata(mt_wdata));
    nca_ram_1r1w #(.WIDTH(16), .DEPTH(256), .SLICE(16), .NO_COLLIDE(1)) u_prekeep (
        .clk(clk), .i_ren(st_r == S_BR || st_r == S_C || st_r == S_D), .i_raddr(pk_raddr), .o_rdata(pk_rdata), .i_wen(pk_we),
        .i_waddr(pk_waddr), .i_wdata(pk_wdata));

    // scratch (nca_scratch_serial): FIFO slots and tags, column-0 copies, p, h (the map above)
    reg  [10:0] sc_raddr, sc_waddr;
    reg  [1:0]  sc_wen;
    reg  [15:0] sc_wdata;
    wire [15:0] sc_rdata;
    nca_scratch_serial u_scratch (
        .clk(clk), .i_ren(!idle), .i_raddr(sc_raddr), .o_rdata(sc_rdata), .i_wen(sc_wen),
        .i_waddr(sc_waddr), .i_wdata(sc_wdata));

    // weights (nca_weights_serial): W1 word g*I + i and, from W1_WORDS on, W2 word 128q + j
    // in one 64-bit memory; biases and shifts in a 32-bit one (its map in the module)
    reg  [10:0] w_raddr;
    reg  [7:0]  b_raddr;
    wire [63:0] w_rdata;
    wire [29:0] b_rdata;
    nca_weights_serial #(.CHANNELS(CHANNELS), .HIDDEN(HIDDEN), .W1_WORDS(W1_WORDS)) u_weights (
        .clk(clk), .i_ld(cmd && i_cmd_op == OP_LOAD), .i_ld_sel(i_cmd_a[2:0]),
        .i_ld_a(i_cmd_b[31:16]), .i_ld_b(i_cmd_b[15:0]), .i_ld_data(i_cmd_c), .i_nfilt(nfilt),
        .i_n_in(n_in), .i_w_ren(st_r == S_L1 || st_r == S_L2), .i_w_raddr(w_raddr),
        .o_w_rdata(w_rdata), .i_b_ren(st_r == S_RQ || st_r == S_DR || st_r == S_BP),
        .i_b_raddr(b_raddr), .o_b_rdata(b_rdata));

    // ---- fire hash (phase B): nca_hash_serial, a nibble a clock, 64 clocks a cell (hidden
    // under the cell before when that one fired: a fired cell takes more)
    wire [3:0]  cand_b = ffs16(cand_r);
    wire [5:0]  cand_x = {cand_q_r, cand_b};
    wire [15:0] cand_clr = cand_r & ~(16'd1 << cand_b);
    wire        hbusy, hdone, fire;
    wire [5:0]  htag;                    // column of the cell hashed
    wire        hash_in = (st_r == S_BH) && !hbusy && (cand_r != 16'd0);
    nca_hash_serial u_hash (
        .clk(clk), .i_rst(i_rst),
        .i_seed_we(cmd && i_cmd_op == OP_CFG && i_cmd_a[2:0] == CFG_SEED), .i_seed(i_cmd_b),
        .i_fire(cfg_fire), .i_step(cfg_step), .i_start(hash_in), .i_x(cand_x), .i_y(y_r),
        .i_ack(st_r == S_BR || (st_r == S_BH && !hbusy)),
        .o_busy(hbusy), .o_done(hdone), .o_x(htag), .o_fire(fire));

    // ---- alive rows (phases A and C): nca_alive_rows_serial, a 16-bit word at a time (17
    // clocks a row, cnt 0..16)
    wire [3:0]  cn = cnt_r[3:0];                // cnt 16 acts as 0: nothing happens there
    wire [5:0]  rr_y;
    wire [1:0]  rr_q, wq;
    wire        ac_out;
    wire [15:0] mask_or, mask_word;
    nca_alive_rows_serial #(.GRID_W(GRID_W)) u_alive (
        .clk(clk), .i_cn(cnt_r[3:0]), .i_y(y_r), .i_y_prev(y_prev), .i_y_next(y_next),
        .i_y_last(y_last), .i_wrap(cfg_wrap), .o_raddr_y(rr_y), .o_raddr_q(rr_q),
        .i_rdata(mt_rdata), .o_out(ac_out), .o_wq(wq), .o_mask(mask_or));
    // no alive masking (CFG 4 bit 16): every cell of the grid, bits x >= GRID_W stay 0
    wire [63:0] grid_bits = {{(64-GRID_W){1'b0}}, {GRID_W{1'b1}}};
    assign mask_word = mask_or | ({16{cfg_all}} & grid_bits[16*wq +: 16]);

    // row-0 old words (torus, nca_row0_copy): {x, c}, copied during phase A (which does not
    // use the grid), one word a clock; row H-1 reads its lower neighbours there
    reg  [9:0]  r0_raddr;
    wire [5:0]  cp_x;
    wire [3:0]  cp_c;
    wire        cp_issue, cp_done;
    wire [15:0] r0_rdata;
    // phase A's last row is done (with the torus's row-0 copy): phase B starts
    wire        a_end = (st_r == S_A) && cnt_r == 16'd16 && y_last && !(cfg_wrap && !cp_done);
    nca_row0_copy #(.GRID_W(GRID_W), .CHANNELS(CHANNELS)) u_row0 (
        .clk(clk), .i_rst(i_rst), .i_run(st_r == S_A && cfg_wrap), .i_restart(a_end),
        .o_issue(cp_issue), .o_x(cp_x), .o_c(cp_c), .i_gword(g_rdata), .o_done(cp_done),
        .i_ren(st_r == S_BP && cfg_wrap && y_last), .i_raddr(r0_raddr), .o_rdata(r0_rdata));

    // ---- perception ------------------------------------------------------------------------
    reg [3:0]  cur_c;                    // channel being read
    reg [3:0]  pk_r;                     // k of the word being read (nca_neighbours_serial's order)
    wire       p_issue = (st_r == S_BP) && nca_lt({16'd0, cnt_r}, 32'd9 * C32);
    wire [1:0] pdy, pdx;
    wire [5:0] nb_x, nb_y;
    wire       nb_out, use_r0, use_c0;
    wire [15:0] nb_word;
    nca_neighbours_serial #(.GRID_W(GRID_W)) u_neighbours (
        .clk(clk), .i_clear(a_end), .i_cell(st_r == S_BF && bfire_r), .i_wrap(cfg_wrap),
        .i_k(pk_r), .i_x(xc_r), .i_y(y_r), .i_y_prev(y_prev), .i_y_next(y_next),
        .i_y_last(y_last), .o_dy(pdy), .o_dx(pdx), .o_nb_x(nb_x), .o_nb_y(nb_y),
        .o_zero(nb_out), .o_row0(use_r0), .o_col0(use_c0), .i_grid(g_rdata),
        .i_row0(r0_rdata), .i_scratch(sc_rdata), .o_word(nb_word));
    wire [3:0]  pd_c, wc_r;              // channel of the word arriving; of the sums written
    wire        w_l, w_y, w_x, w_id, w_c0;
    wire [15:0] p_wdata;
    nca_perceive_serial u_perceive (
        .clk(clk), .i_rst(i_rst), .i_issue(p_issue), .i_k(pk_r), .i_dy(pdy), .i_dx(pdx),
        .i_c(cur_c), .i_word(nb_word), .o_c(pd_c), .o_wc(wc_r), .o_w_l(w_l), .o_w_y(w_y),
        .o_w_x(w_x), .o_w_id(w_id), .o_w_c0(w_c0), .o_wdata(p_wdata));

    // ---- MAC array (nca_mac_array_serial): 8 lanes, each accumulator starting a group at its
    // bias; a load (rq1_ld) shifts the lanes' chain towards lane 0, where the requant reads
    reg         mac_v, mac_l2, hsel_r;
    reg         rq1_ld;                  // rq1: shift the chain, b_rdata's bias into lane 7
    reg  [1:0]  prank;                   // layer-1 input (rank, channel) being issued
    reg  [3:0]  pch;
    reg  [4:0]  grp_r;                   // layer-1 group
    reg  [3:0]  hg_r;                    // the group whose h the requant writes (the next
                                         // group's layer 1 starts under its last 3 writes)
    reg  [9:0]  grp_w1base;              // its first W1 word
    wire        grp_last = (grp_r == n_grp - 5'd1);
    reg  [0:0]  q_r;                     // layer-2 group
    wire [15:0] hw = {8'd0, hsel_r ? sc_rdata[15:8] : sc_rdata[7:0]};
    wire [29:0] acc0;                    // lane 0: lane rq1_i after rq1_i loads
    nca_mac_array_serial #(.USE_MAC16(USE_MAC16)) u_macs (
        .clk(clk), .i_v(mac_v), .i_ld(rq1_ld), .i_bias(b_rdata[24:0]),
        .i_a(mac_l2 ? hw : sc_rdata), .i_w(w_rdata), .o_acc0(acc0));

    // requant (layer 1) / output (layer 2) pipeline: 1 issue (rq1_*), 2 read the accumulator
    // (the bias is in it), 3 shift, 4 round and clamp or residual and sat16, and write
    // (nca_requant_serial: stages 2..4)
    reg        rq1_v;
    reg [2:0]  rq1_i;
    reg        rq_l2;                       // the pipeline works for layer 2
    wire       rq3_v;
    wire [2:0] rq2_i, rq3_i;
    wire [7:0] rq_h;
    wire [15:0] rq_u;
    nca_requant_serial u_requant (
        .clk(clk), .i_rst(i_rst), .i_v(rq1_v), .i_i(rq1_i),
        .i_acc(acc0),
        .i_shift(b_rdata[29:25]), .i_l2(rq_l2), .i_res(sc_rdata),
        .o_i2(rq2_i), .o_v(rq3_v), .o_i(rq3_i), .o_h(rq_h), .o_u(rq_u));

    // ---- pending-update FIFO: nca_pending_fifo keeps the ring of scratch slots and says when
    // the oldest update may be committed (cm_elig)
    reg [5:0]  cm_x, cm_y;                // the cell S_CMW writes (a FIFO head's, WRITEW's)
    wire [5:0] tag_x = sc_rdata[5:0];
    wire [5:0] tag_y = sc_rdata[11:6];
    wire [6:0] f_head, f_tail;
    wire       flush_r, cm_elig;
    nca_pending_fifo #(.SLOTS(FIFO_N)) u_fifo (
        .clk(clk), .i_clear(a_end), .i_flush(st_r == S_BF && !bfire_r && y_last),
        .i_push(st_r == S_PUSH), .i_pop(st_r == S_CMW && cnt_r == C16), .i_tag_x(tag_x),
        .i_tag_y(tag_y), .i_x(xc_r), .i_y(y_r), .o_head(f_head), .o_tail(f_tail),
        .o_flush(flush_r), .o_elig(cm_elig));
    wire [3:0] cm_c = cnt_r[3:0] - 4'd1;  // channel written at S_CMW clock cnt

    // ---- erasures (HALF, SQUARE, CIRCLE): nca_damage_serial walks the grid, 5 clocks a cell
    // (+ |a + c| + |b| + 4 first for a circle), and says which channel group of which cell
    // to erase each clock
    wire        dmg_erase, dmg_last;
    wire [1:0]  dmg_sub;
    wire [5:0]  dmg_x, dmg_y;
    /* verilator lint_off UNUSEDSIGNAL */
    wire        dmg_busy;                    // (st_r == S_DMG says as much)
    /* verilator lint_on UNUSEDSIGNAL */
    nca_damage_serial #(.GRID_W(GRID_W), .GRID_H(GRID_H)) u_damage (
        .clk(clk), .i_rst(i_rst),
        .i_start(cmd && (i_cmd_op == OP_CIRCLE || i_cmd_op == OP_HALF || i_cmd_op == OP_SQUARE)),
        .i_op(i_cmd_op), .i_a(i_cmd_a), .i_b(i_cmd_b), .i_c(i_cmd_c), .o_busy(dmg_busy),
        .o_erase(dmg_erase), .o_sub(dmg_sub), .o_x(dmg_x), .o_y(dmg_y), .o_last(dmg_last));

    // ---- memory port muxes -------------------------------------------------------------
    wire [15:0] wr_word = (seed_op_r || WIDE_CELL == 0) ? ((cnt_r[15:2] != 14'd0 || cnt_r[1:0] == 2'd3) ? (16'd1 << cfg_sf) : 16'd0)
                                    : cell_r[15:0];
    wire [15:0] mt_word = (st_r == S_CMW) ? sc_rdata : wr_word;   // alpha word written
    wire        mt_alive = ($signed(mt_word) > $signed(cfg_alive));
    wire [5:0]  dk_x = cand_x;
    wire        dk_any = (cand_r != 16'd0);
    always @* begin
        g_en = 1'b0;
        g_we = 1'b0;
        g_all = 1'b0;
        g_addr = 16'd0;
        g_wdata = 16'd0;
        mt_raddr = {rr_y, rr_q};
        mt_we = 1'b0;
        mt_x = xc_r;
        mt_y = y_r;
        // phase C: the pre word written next clock (word 3 when none: no read of the word
        // being written)
        pk_raddr = {y_r, (st_r != S_C) ? cand_q_r : (cn == 4'd8) ? 2'd1 : (cn == 4'd11) ? 2'd2 :
                         (cn == 4'd13) ? 2'd0 : 2'd3};
        pk_waddr = 8'd0;
        pk_we = 1'b0;
        pk_wdata = 16'd0;
        sc_raddr = 11'd0;
        sc_waddr = 11'd0;
        sc_wen = 2'b00;
        sc_wdata = 16'd0;
        r0_raddr = {nb_x, cur_c};
        w_raddr = 11'd0;
        b_raddr = 8'd0;
        case (st_r)
            S_IDLE: if (cmd && ((WIDE_CELL == 1 && cmd_in_grid && i_cmd_op == OP_READ) ||
                                (cmd_word_ok && i_cmd_op == OP_READW))) begin
                g_en = 1'b1;
                g_addr = gaddr((i_cmd_op == OP_READW) ? i_cmd_c[3:0] : 4'd0, cmd_x, cmd_y);
            end else if (cmd && cmd_word_ok && i_cmd_op == OP_WRITEW) begin
                // channels wait in scratch slot 0 (free between steps); S_CMW copies them
                sc_wen = 2'b11;
                sc_waddr = {7'd0, i_cmd_c[3:0]};
                sc_wdata = i_cmd_cell[15:0];
            end
            S_RD: begin
                g_en = nca_lt({16'd0, cnt_r}, C32);
                g_addr = gaddr(cnt_r[3:0], xc_r, y_r);
            end
            S_WR: begin
                g_en = 1'b1;
                g_we = 1'b1;
                g_addr = gaddr(cnt_r[3:0], xc_r, y_r);
                g_wdata = wr_word;
                mt_we = (cnt_r == 16'd3);
            end
            S_CLEAR: begin
                g_en = 1'b1;
                g_we = 1'b1;
                g_all = 1'b1;
                g_addr = {2'b00, cnt_r[13:0]};
                mt_we = (cnt_r[15:8] == 8'd0);
            end
            S_DMG: if (dmg_erase) begin
                g_en = 1'b1;
                g_we = 1'b1;
                g_all = 1'b1;
                g_addr = gaddr({2'b00, dmg_sub}, dmg_x, dmg_y);
                mt_we = 1'b1;
                mt_x = dmg_x;
                mt_y = dmg_y;
            end
            S_A: begin
                g_en = cp_issue;
                g_addr = gaddr(cp_c, cp_x, 6'd0);
                if (ac_out) begin
                    pk_we = 1'b1;
                    pk_waddr = {y_r, wq};
                    pk_wdata = mask_word;
                end
            end
            S_C: if (ac_out) begin
                pk_we = 1'b1;
                pk_waddr = {y_r, wq};
                pk_wdata = pk_rdata & mask_word;  // pre word wq, read at cnt - 1
            end
            S_BP: begin
                if (p_issue && !nb_out) begin
                    g_en = !use_r0 && !use_c0;
                    g_addr = gaddr(cur_c, nb_x, nb_y);
                end
                sc_raddr = A_COL0 + {6'd0, ~y_r[0], cur_c};
                b_raddr = {5'b11111, cnt_r[2:0]};    // b1[0..7] into the lanes
                if (w_id || (w_x && cfg_kernels[1]) || (w_y && cfg_kernels[2]) ||
                    (w_l && cfg_kernels[3]) || (w_c0 && xc_r == 6'd0))
                    sc_wen = 2'b11;
                sc_waddr = w_c0 ? A_COL0 + {6'd0, y_r[0], pd_c} :
                           w_id ? A_P + {7'd0, pd_c} :
                           A_P + {5'd0, w_x ? 2'd1 : w_y ? rank_sy : rank_lap, wc_r};
                sc_wdata = p_wdata;
            end
            S_CM0: sc_raddr = A_TAG + {4'd0, f_head};
            S_CMW: begin
                sc_raddr = {ww_r ? 7'd0 : f_head, cnt_r[3:0]};
                if (cnt_r != 16'd0) begin
                    g_en = 1'b1;
                    g_we = 1'b1;
                    g_addr = gaddr(cm_c, cm_x, cm_y);
                    g_wdata = sc_rdata;
                    mt_we = (cm_c == 4'd3);
                    mt_x = cm_x;
                    mt_y = cm_y;
                end
            end
            S_L1: begin
                sc_raddr = A_P + {5'd0, prank, pch};
                w_raddr = {1'b0, cnt_r[9:0] + grp_w1base};
            end
            S_L2: begin
                sc_raddr = A_H + {5'd0, cnt_r[6:1]};
                w_raddr = W2_BASE + {3'd0, q_r, cnt_r[6:0]};
            end
            S_RQ: b_raddr = cnt_r[3] ? {5'b01111, cnt_r[2:0]} : {1'b0, grp_r[3:0], cnt_r[2:0]};
            S_DR: begin
                b_raddr = {4'b1000, q_r, cnt_r[2:0]};
                sc_raddr = A_P + {7'd0, q_r, rq2_i};   // s of the lane at stage 3 next
            end
            S_PUSH: begin
                sc_wen = 2'b11;
                sc_waddr = A_TAG + {4'd0, f_tail};
                sc_wdata = {4'd0, y_r, xc_r};
            end
            S_DK: if (dk_any) begin
                g_en = 1'b1;
                g_we = 1'b1;
                g_all = 1'b1;
                g_addr = gaddr({2'b00, dsub_r}, dk_x, y_r);
                mt_we = 1'b1;
                mt_x = dk_x;
            end
            default: ;
        endcase
        // the mature bitmap's write port: a cell's bit (alive after SEED / WRITE / a commit,
        // 0 after an erasure), or 16 bits a clock for CLEAR
        mt_waddr = (st_r == S_CLEAR) ? cnt_r[7:0] : {mt_y, mt_x[5:4]};
        mt_wen = !mt_we ? 16'd0 : (st_r == S_CLEAR) ? 16'hFFFF : 16'd1 << mt_x[3:0];
        mt_wdata = ((st_r == S_WR || st_r == S_CMW) && mt_alive) ? 16'hFFFF : 16'd0;
        // the requant / output pipeline's write stage
        if (rq3_v) begin
            if (rq_l2) begin
                sc_wen = 2'b11;
                sc_waddr = {f_tail, q_r, rq3_i};
                sc_wdata = rq_u;
            end else begin
                sc_wen = rq3_i[0] ? 2'b10 : 2'b01;
                sc_waddr = A_H + {5'd0, hg_r, rq3_i[2:1]};
                sc_wdata = {rq_h, rq_h};
            end
        end
    end

    // ---- control -----------------------------------------------------------------------
    wire        step_last = (st_r == S_DK) && !dk_any && y_last && cand_q_last;
    nca_core_cfg #(.SEED_REG(0)) u_cfg (
        .clk(clk), .i_rst(i_rst), .i_we(cmd && i_cmd_op == OP_CFG), .i_a(i_cmd_a[2:0]),
        .i_b(i_cmd_b), .i_step_done(step_last), .o_hidden(cfg_hidden), .o_kernels(cfg_kernels),
        .o_wrap(cfg_wrap), .o_fire(cfg_fire), .o_alive(cfg_alive), .o_all(cfg_all), .o_sf(cfg_sf),
        .o_seed(cfg_seed_unused), .o_step(cfg_step));
    wire        l1_end = (cnt_r[6:0] == n_in), l2_end = (cnt_r[7:0] == cfg_hidden);

    always @(posedge clk) begin
        o_step_done <= 1'b0;
        if (i_rst) begin
            st_r <= S_IDLE;
            step_cycles_r <= 24'd0;
            pre_alive_r <= 13'd0;
            active_r <= 13'd0;
            mac_v <= 1'b0;
            rq1_v <= 1'b0;
            rq1_ld <= 1'b0;
        end else begin
            if (in_step)
                cyc_r <= cyc_r + 24'd1;
            // MAC issue -> data stage
            // (S_L1 / S_L2 count 0..n_in / hidden: every clock but the last issues)
            mac_v <= (st_r == S_L1 && !l1_end) || (st_r == S_L2 && !l2_end);
            mac_l2 <= (st_r == S_L2);
            hsel_r <= cnt_r[0];
            // requant / output pipeline
            rq1_v <= (st_r == S_RQ || st_r == S_DR) && cnt_r[15:3] == 13'd0;
            // 8 loads a group (the last layer-1 group 16: its words' biases, then b2[0..7])
            rq1_ld <= ((st_r == S_RQ || st_r == S_DR || st_r == S_BP) && cnt_r[15:3] == 13'd0) ||
                      (st_r == S_RQ && grp_last);
            rq1_i <= cnt_r[2:0];
            case (st_r)
                S_IDLE: if (cmd) begin
                    case (i_cmd_op)
                        OP_CFG: ;   // nca_core_cfg
                        OP_CLEAR: begin
                            cnt_r <= 16'd0;
                            st_r <= S_CLEAR;
                        end
                        OP_SEED, OP_WRITE: if (cmd_in_grid &&
                                               (WIDE_CELL == 1 || i_cmd_op == OP_SEED)) begin
                            cell_r <= i_cmd_cell;
                            seed_op_r <= (i_cmd_op == OP_SEED);
                            xc_r <= cmd_x;
                            y_r <= cmd_y;
                            cnt_r <= 16'd0;
                            st_r <= S_WR;
                        end
                        OP_CIRCLE, OP_HALF, OP_SQUARE:   // nca_damage_serial starts
                            st_r <= S_DMG;
                        OP_STEP: if (i_cmd_a != 32'd0) begin
                            steps_left_r <= i_cmd_a;
                            cyc_r <= 24'd0;
                            npre_r <= 13'd0;
                            nact_r <= 13'd0;
                            y_r <= 6'd0;
                            cnt_r <= 16'd0;
                            st_r <= S_A;
                        end
                        OP_READW: begin
                            rsp_w_r <= 1'b1;
                            word_r <= 16'd0;
                            st_r <= cmd_word_ok ? S_RW : S_RSP;
                        end
                        OP_WRITEW: if (cmd_word_ok && cmd_ch_last) begin
                            ww_r <= 1'b1;
                            cm_x <= cmd_x;
                            cm_y <= cmd_y;
                            cnt_r <= 16'd0;
                            st_r <= S_CMW;
                        end
                        OP_READ: if (WIDE_CELL == 1) begin
                            rsp_w_r <= 1'b0;
                            xc_r <= cmd_x;
                            y_r <= cmd_y;
                            cnt_r <= 16'd1;
                            if (cmd_in_grid) begin
                                st_r <= S_RD;
                            end else begin
                                cell_r <= {CW{1'b0}};
                                st_r <= S_RSP;
                            end
                        end
                        default: ;
                    endcase
                end
                S_RSP: if (i_rsp_ready)
                    st_r <= S_IDLE;
                S_RW: begin
                    word_r <= g_rdata;
                    st_r <= S_RSP;
                end
                S_RD: begin
                    cell_r <= {g_rdata, cell_r[CW-1:16]};
                    cnt_r <= cnt_r + 16'd1;
                    if (cnt_r == C16)
                        st_r <= S_RSP;
                end
                S_WR: begin
                    cell_r <= {16'd0, cell_r[CW-1:16]};
                    cnt_r <= cnt_r + 16'd1;
                    if (cnt_r == C16 - 16'd1)
                        st_r <= S_IDLE;
                end
                S_CLEAR: begin
                    cnt_r <= cnt_r + 16'd1;
                    if (cnt_r == 16'd16383)
                        st_r <= S_IDLE;
                end
                S_DMG: if (dmg_last)
                    st_r <= S_IDLE;
                // -- phase A: pre mask rows
                S_A: begin
                    cnt_r <= cnt_r + 16'd1;
                    if (cnt_r == 16'd16) begin
                        cnt_r <= 16'd0;
                        if (!y_last) begin
                            y_r <= y_r + 6'd1;
                        end else if (cfg_wrap && !cp_done) begin
                            cnt_r <= 16'd16;     // the row-0 copy is not done: wait
                        end else begin
                            y_r <= 6'd0;
                            st_r <= S_BR;
                            cand_q_r <= 2'd0;
                        end
                    end
                end
                // -- phase B: per row, pre row -> fire bits -> the active cells
                S_BR: begin   // read pre word cand_q_r (2 clocks)
                    cnt_r <= cnt_r + 16'd1;
                    bfire_r <= 1'b0;
                    if (cnt_r == 16'd1) begin
                        cand_r <= pk_rdata;
                        st_r <= S_BH;
                    end
                end
                // hash the pre cells in order; a fired cell runs at once (S_BF), the next
                // cell's hash starting in the same clock
                S_BH: if (!hbusy) begin   // (hdone is acknowledged here)
                    if (hdone && fire) begin
                        nact_r <= nact_r + 13'd1;
                        xc_r <= htag;
                        bfire_r <= 1'b1;
                        st_r <= S_BF;
                    end else if (!hash_in) begin
                        cnt_r <= 16'd0;
                        cand_q_r <= cand_q_r + 2'd1;
                        st_r <= cand_q_last ? S_BW : S_BR;
                    end
                    if (hash_in) begin       // (nca_hash_serial starts)
                        cand_r <= cand_clr;
                        npre_r <= npre_r + 13'd1;
                    end
                end
                S_BW: st_r <= S_BF;
                S_BF: begin
                    cnt_r <= 16'd0;
                    if (bfire_r) begin
                        bfire_r <= 1'b0;
                        cur_c <= 4'd0;
                        pk_r <= 4'd0;
                        st_r <= S_BP;
                    end else if (y_last) begin
                        st_r <= S_CM0;
                    end else begin
                        y_r <= y_r + 6'd1;
                        cand_q_r <= 2'd0;
                        st_r <= S_BR;
                    end
                end
                S_BP: begin
                    cnt_r <= cnt_r + 16'd1;
                    // k runs on after the reads (the last channel's sums go out at k 0..2)
                    pk_r <= (pk_r == 4'd8) ? 4'd0 : pk_r + 4'd1;
                    if (pk_r == 4'd8)
                        cur_c <= cur_c + 4'd1;
                    if (cnt_r == PERC_LEN - 16'd1)
                        st_r <= S_CM0;
                end
                // -- commit pending updates whose neighbours have all been perceived
                S_CM0: st_r <= S_CM1;
                S_CM1: begin
                    cnt_r <= 16'd0;
                    cm_x <= tag_x;
                    cm_y <= tag_y;
                    ww_r <= 1'b0;
                    // only the next state waits for cm_elig (a long path from the scratch
                    // RAM): the rest is set either way (unused by S_CMW / S_C; flushing
                    // commits do not look at y)
                    grp_r <= 5'd0;
                    grp_w1base <= 10'd0;
                    prank <= 2'd0;
                    pch <= 4'd0;
                    if (flush_r)
                        y_r <= 6'd0;
                    st_r <= cm_elig ? S_CMW : flush_r ? S_C : S_L1;
                end
                S_CMW: begin
                    cnt_r <= cnt_r + 16'd1;
                    if (cnt_r == C16) begin
                        st_r <= ww_r ? S_IDLE : S_CM0;
                    end
                end
                // -- layer 1: group of 8 units, I clocks, then requant
                S_L1: begin
                    cnt_r <= cnt_r + 16'd1;
                    if (pch == C16[3:0] - 4'd1) begin
                        pch <= 4'd0;
                        prank <= prank + 2'd1;
                    end else begin
                        pch <= pch + 4'd1;
                    end
                    if (l1_end) begin
                        cnt_r <= 16'd0;
                        rq_l2 <= 1'b0;
                        st_r <= S_RQ;
                    end
                end
                // 8 loads, then the next group (the last: 8 more loads, b2[0..7]); the
                // pipeline's last writes go on under the next group's first clocks
                S_RQ: begin
                    cnt_r <= cnt_r + 16'd1;
                    hg_r <= grp_r[3:0];
                    if (cnt_r == (grp_last ? 16'd15 : 16'd7)) begin
                        cnt_r <= 16'd0;
                        prank <= 2'd0;
                        pch <= 4'd0;
                        grp_w1base <= grp_w1base + {3'd0, n_in};
                        if (grp_last) begin
                            q_r <= 1'b0;
                            st_r <= S_L2;
                        end else begin
                            grp_r <= grp_r + 5'd1;
                            st_r <= S_L1;
                        end
                    end
                end
                // -- layer 2: 8 outputs, hidden clocks, then bias/shift/residual into the FIFO
                S_L2: begin
                    cnt_r <= cnt_r + 16'd1;
                    if (l2_end) begin
                        cnt_r <= 16'd0;
                        rq_l2 <= 1'b1;
                        st_r <= S_DR;
                    end
                end
                S_DR: begin
                    cnt_r <= cnt_r + 16'd1;
                    if (cnt_r == 16'd11) begin
                        cnt_r <= 16'd0;
                        if (q_r == QM1) begin
                            st_r <= S_PUSH;
                        end else begin
                            q_r <= q_r + 1'b1;
                            st_r <= S_L2;
                        end
                    end
                end
                S_PUSH: begin
                    st_r <= S_BH;
                end
                // -- phase C: keep = pre and post (post from the mature bitmap of v)
                S_C: begin
                    cnt_r <= cnt_r + 16'd1;
                    if (cnt_r == 16'd16) begin
                        cnt_r <= 16'd0;
                        if (y_last) begin
                            y_r <= 6'd0;
                            cand_q_r <= 2'd0;
                            st_r <= S_D;
                        end else begin
                            y_r <= y_r + 6'd1;
                        end
                    end
                end
                // -- phase D: erase the cells not kept (4 words per clock), clear their bits
                S_D: begin    // read keep word cand_q_r (2 clocks)
                    cnt_r <= cnt_r + 16'd1;
                    if (cnt_r == 16'd1) begin
                        cand_r <= ~pk_rdata & vmask16;
                        dsub_r <= 2'd0;
                        st_r <= S_DK;
                    end
                end
                S_DK: begin
                    if (dk_any) begin
                        dsub_r <= dsub_r + 2'd1;
                        if (dsub_r == 2'd3)
                            cand_r <= cand_clr;
                    end else if (!cand_q_last || !y_last) begin
                        if (cand_q_last)
                            y_r <= y_r + 6'd1;
                        cand_q_r <= cand_q_last ? 2'd0 : cand_q_r + 2'd1;
                        cnt_r <= 16'd0;
                        st_r <= S_D;
                    end
                end
                default: st_r <= S_IDLE;
            endcase
            if (step_last) begin
                o_step_done <= 1'b1;
                step_cycles_r <= cyc_r + 24'd1;
                pre_alive_r <= npre_r;
                active_r <= nact_r;
                cyc_r <= 24'd0;
                npre_r <= 13'd0;
                nact_r <= 13'd0;
                y_r <= 6'd0;
                cnt_r <= 16'd0;
                steps_left_r <= steps_left_r - 32'd1;
                st_r <= (steps_left_r == 32'd1) ? S_IDLE : S_A;
            end
        end
    end
endmodule

`default_nettype wire

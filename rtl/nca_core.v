// SPDX-License-Identifier: Apache-2.0
// nca_core - the NCA accelerator: a GRID_W x GRID_H grid of CHANNELS int16 words per cell
// in on-chip memory, stepped in place by the fixed-point rule of docs/fixed-point.md with
// a LANES-wide MAC array, sparsely (only cells alive before the update that fire run the MLP).
//
// Usage: one command per i_cmd_valid && o_cmd_ready handshake (o_cmd_ready is high only
// when the core is idle). i_cmd_op selects, i_cmd_a/b/c (32-bit, signed where it matters)
// and i_cmd_cell carry the arguments:
//   0 NOP
//   1 CFG     a = register, b = value: 0 hidden units (1..HIDDEN), 1 kernel bits (bit 0
//             set), 2 boundary (0 zero, 1 wrap), 3 fire threshold P (0..65536), 4 alive
//             threshold T (0..32767) in b[15:0], b[16] = 1: no alive masking (every cell
//             active, the model flag ALL_ACTIVE), 5 state_frac SF (4..14), 6 rng seed, 7 steps done
//   2 LOAD    a[2:0] = memory (nca_weights: 0 W1, 1 W2, 2 b1, 3 s1, 4 b2, 5 s2),
//             b = {index_a[15:0], index_b[15:0]}, c = value. Set CFG 1 (kernels) first.
//   3 CLEAR   every cell to 0 (GRID_W*GRID_H clocks)
//   4 SEED    cell (a, b): channels 3.. = 2^SF, 0..2 = 0 (one clock)
//   5 CIRCLE  erase (x-a)^2 + (y-b)^2 <= c^2    (66 + GRID_W*GRID_H clocks; |a|, |b|, |c| < 2^21)
//   6 HALF    erase a = 0 left, 1 right, 2 top, other bottom half (GRID_W*GRID_H clocks)
//   7 SQUARE  erase a - c/2 <= x < a - c/2 + c, same in y with b (same)
//   8 STEP    run a steps (a = 0: nothing); o_step_done pulses after each, with
//             o_step_cycles = clocks of that step and o_pre_alive / o_active its counts
//   9 READ    cell (a, b): o_rsp_valid with o_rsp_cell (channel c in bits 16c+15:16c)
//             until i_rsp_ready (0 for a cell outside the grid)
//  10 WRITE   cell (a, b) = i_cmd_cell (one clock)
//  11 READW   cell (a, b), channel c: o_rsp_valid with that word in o_rsp_cell[15:0] (the
//             other bits 0) until i_rsp_ready (0 outside the grid or for c >= CHANNELS)
//  12 WRITEW  cell (a, b), channel c = i_cmd_cell[15:0] (other bits unused); write channels
//             0..CHANNELS-1 of one cell in order: the cell (and its mature / non-zero bits)
//             changes, as with WRITE, when channel CHANNELS-1 is written (one clock each)
// READW / WRITEW move a cell 16 bits at a time (a link engine without 16C-bit registers);
// here READW is READ plus a word mux and WRITEW stages channels 0..C-2 in a register.
// SEED, WRITE and WRITEW outside the grid do nothing. CFG 4 (T) must be set before cells are
// written, and CLEAR must run once after reset: the core keeps a "mature" and a "non-zero"
// bit per cell.
// A step is four phases, each with a fixed schedule (exact cycle count: nca_cycles.c):
//   A  pre mask and fire bits, row by row: 7 clocks per row + 1 per pre-alive cell
//   B  the active cells in raster order, one slot each: max(MLP length, 16) clocks, with
//      the next cell's 3x3 read and perception and the previous cell's write-back hidden
//      under the MLP of the current one; 14 + 15 clocks of fill and drain
//   C  post mask of the intermediate grid, 4 clocks per row
//   D  commit: 2 clocks per row + 1 per cell to erase (pre and post false, word non-zero)
// The update is in place: an active cell's old word is kept in a line buffer (two rows
// plus row 0 for the torus) until no later perception needs it.
`default_nettype none

module nca_core #(
    parameter GRID_W   = 64,  // grid width in cells, 3..1024
    parameter GRID_H   = 64,  // grid height in cells, 3..1024 (GRID_W*GRID_H <= 2^20)
    parameter CHANNELS = 16,  // state channels per cell, 4..16 (channel 3 is alpha)
    parameter HIDDEN   = 128, // largest hidden layer the weight memory holds, 1..128
    parameter LANES    = 16   // parallel multiply-accumulate lanes, power of two, 1..128
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
    output reg  [31:0]              o_step_cycles,
    output reg  [31:0]              o_pre_alive,
    output reg  [31:0]              o_active,
    output wire [31:0]              o_steps
);
    localparam W = GRID_W;
    localparam H = GRID_H;
    localparam C = CHANNELS;
    localparam CW = 16 * C;
    localparam CELLS = W * H;
    localparam AW = $clog2(CELLS);
    localparam XW = $clog2(W);
    localparam YW = $clog2(H);

    generate
        if (GRID_W < 3 || GRID_W > 1024) begin : g_bad_grid_w
            nca_core_bad_GRID_W_3_to_1024 u_stop ();
        end
        if (GRID_H < 3 || GRID_H > 1024) begin : g_bad_grid_h
            nca_core_bad_GRID_H_3_to_1024 u_stop ();
        end
        if (GRID_W * GRID_H > 1048576) begin : g_bad_grid_w_x_grid_h
            nca_core_bad_GRID_W_x_GRID_H_at_most_1048576 u_stop ();
        end
        if (CHANNELS < 4 || CHANNELS > 16) begin : g_bad_channels
            nca_core_bad_CHANNELS_4_to_16 u_stop ();
        end
        if (HIDDEN < 1 || HIDDEN > 128) begin : g_bad_hidden
            nca_core_bad_HIDDEN_1_to_128 u_stop ();
        end
        if (LANES < 1 || LANES > 128 || (1 << $clog2(LANES)) != LANES) begin : g_bad_lanes
            nca_core_bad_LANES_power_of_2_1_to_128 u_stop ();
        end
    endgenerate

    `include "nca_core_ops.vh"   // OP_*, CFG_*, LD_* (tools/gen_ids.py)

    localparam [4:0] S_IDLE = 5'd0, S_RSP = 5'd1, S_CLEAR = 5'd2, S_DMG = 5'd3,
                     S_DSQ = 5'd19, S_A0 = 5'd4, S_A1 = 5'd5, S_A2 = 5'd6, S_A3 = 5'd7, S_AC = 5'd8,
                     S_AD = 5'd9, S_AW = 5'd10, S_B = 5'd11, S_C0 = 5'd12, S_C1 = 5'd13,
                     S_C2 = 5'd14, S_C3 = 5'd15, S_D0 = 5'd16, S_D1 = 5'd17, S_DK = 5'd18;

    // ---- configuration -------------------------------------------------------------
    wire [7:0]  cfg_hidden;
    wire [3:0]  cfg_kernels;
    wire        cfg_wrap;
    wire [16:0] cfg_fire;
    wire [15:0] cfg_alive;
    wire        cfg_all;
    wire [3:0]  cfg_sf;
    wire [31:0] cfg_seed;
    wire [31:0] cfg_step;
    assign o_steps = cfg_step;

    reg [4:0]  st_r;
    wire       idle = (st_r == S_IDLE);
    assign o_cmd_ready = idle;
    wire       cmd = i_cmd_valid && idle;
    wire       in_step = (st_r >= S_A0) && (st_r <= S_DK);

    // command coordinates
    wire [XW-1:0] cmd_x = i_cmd_a[XW-1:0];
    wire [YW-1:0] cmd_y = i_cmd_b[YW-1:0];
    wire          cmd_in_grid = (i_cmd_a < W) && (i_cmd_b < H);

    // ---- memories --------------------------------------------------------------------
    reg           g_en, g_we;
    reg [AW-1:0]  g_addr;
    reg [CW-1:0]  g_wdata;
    wire [CW-1:0] g_rdata;
    nca_grid_mem #(.WIDTH(CW), .CELLS(CELLS)) u_grid (
        .clk(clk), .i_en(g_en), .i_we(g_we), .i_addr(g_addr), .i_wdata(g_wdata),
        .o_rdata(g_rdata));
    reg           rsp_zero_r;  // READ outside the grid: answer 0
    reg           rsp_word_r;  // READW: one word, channel rsp_ch_r
    reg  [3:0]    rsp_ch_r;
    reg  [CW-17:0] wst_r;      // WRITEW: channels 0..C-2 staged
    integer       wk;
    wire          cmd_ch_ok = (i_cmd_c < C);
    wire          cmd_ch_last = (i_cmd_c == C - 1);
    reg  [15:0]   rsp_word;
    integer       rk;
    always @* begin
        rsp_word = 16'd0;
        for (rk = 0; rk < C; rk = rk + 1)
            if (rsp_ch_r == rk[3:0])
                rsp_word = g_rdata[16*rk +: 16];
    end
    assign o_rsp_cell = rsp_zero_r ? {CW{1'b0}} :
                        rsp_word_r ? {{(CW-16){1'b0}}, rsp_word} : g_rdata;
    assign o_rsp_valid = (st_r == S_RSP);

    // bitmaps, one row word each: [W-1:0] mature (alpha > T), [2W-1:W] non-zero,
    // [3W-1:2W] pre mask, [4W-1:3W] active (phase A/B) then post mask (phase C/D)
    reg            bm_ren, bm_we;
    reg [YW-1:0]   bm_raddr, bm_waddr;
    reg [4*W-1:0]  bm_wdata, bm_wmask;
    wire [4*W-1:0] bm_rdata;
    // mature + non-zero: bit write enables (single cells change); pre + active/post: whole
    // fields (written a row at a time)
    wire [2*W-1:0] bm_mn_q, bm_mn_d, bm_pa_d;
    // The mature / non-zero bitmap is written one clock after its write is decided
    // (bmw_*_r): its per-cell write enables, made from the state, the command and the erase
    // test, were the 25F's critical path into the LUT RAM's write port. A read of the row
    // whose write is pending in that clock gets the pending bits merged in (bmf_*_r), so
    // every read returns what it did with the write in place; the clocks are the same.
    reg [YW-1:0]   bmw_addr_r;
    reg [2*W-1:0]  bmw_mask_r, bmw_data_r, bmf_mask_r, bmf_data_r;
    always @(posedge clk) begin
        bmw_mask_r <= (bm_we && !i_rst) ? bm_wmask[2*W-1:0] : {2*W{1'b0}};
        bmw_addr_r <= bm_waddr;
        bmw_data_r <= bm_wdata[2*W-1:0];
        if (i_rst)
            bmf_mask_r <= {2*W{1'b0}};
        else if (bm_ren)
            bmf_mask_r <= (bm_raddr == bmw_addr_r) ? bmw_mask_r : {2*W{1'b0}};
        if (bm_ren)
            bmf_data_r <= bmw_data_r;
    end
    nca_ram_1r1w #(.WIDTH(2 * W), .DEPTH(H), .SLICE(1)) u_bitmap_mn (
        .clk(clk), .i_ren(bm_ren), .i_raddr(bm_raddr), .o_rdata(bm_mn_q),
        .i_wen(bmw_mask_r), .i_waddr(bmw_addr_r), .i_wdata(bmw_data_r));
    assign bm_mn_d = (bm_mn_q & ~bmf_mask_r) | (bmf_data_r & bmf_mask_r);
    nca_ram_1r1w #(.WIDTH(2 * W), .DEPTH(H), .SLICE(W)) u_bitmap_pa (
        .clk(clk), .i_ren(bm_ren), .i_raddr(bm_raddr), .o_rdata(bm_pa_d),
        .i_wen(bm_we ? {|bm_wmask[4*W-1:3*W], |bm_wmask[3*W-1:2*W]} : 2'b00),
        .i_waddr(bm_waddr), .i_wdata(bm_wdata[4*W-1:2*W]));
    assign bm_rdata = {bm_pa_d, bm_mn_d};
    wire [W-1:0] rd_mature = bm_rdata[W-1:0];
    wire [W-1:0] rd_nz = bm_rdata[2*W-1:W];
    wire [W-1:0] rd_pre = bm_rdata[3*W-1:2*W];
    wire [W-1:0] rd_act = bm_rdata[4*W-1:3*W];

    // ---- row / coordinate registers ----------------------------------------------------
    reg [YW-1:0]  y_r;            // row of phases A, C, D; damage/clear y
    reg [XW-1:0]  x_r;            // damage x
    reg [AW-1:0]  idx_r;          // clear / damage cell index
    reg [W-1:0]   up_r, mid_r, pre_r, cand_r, act_r, kill_r;
    reg [XW-1:0]  candx_r;        // lowest set bit of cand_r, found a clock ahead
    reg [H-1:0]   rowact_r;       // rows with an active cell this step
    reg [1:0]     dcnt_r;
    reg [31:0]    steps_left_r, cyc_r, npre_r, nact_r;

    wire [YW-1:0] y_prev = (y_r == {YW{1'b0}}) ? H[YW-1:0] - 1'b1 : y_r - 1'b1;
    wire [YW-1:0] y_next = (y_r == H[YW-1:0] - 1'b1) ? {YW{1'b0}} : y_r + 1'b1;
    wire          y_first = (y_r == {YW{1'b0}});
    wire          y_last = (y_r == H[YW-1:0] - 1'b1);

    // alive-mask row logic, shared by phases A and C
    wire [W-1:0] dn_row = (y_last && !cfg_wrap) ? {W{1'b0}} : rd_mature;
    wire [W-1:0] mask_or, mask_row;
    nca_alive_row #(.GRID_W(W)) u_alive (
        .i_up(up_r), .i_mid(mid_r), .i_dn(dn_row), .i_wrap(cfg_wrap), .o_row(mask_or));
    assign mask_row = mask_or | {W{cfg_all}};   // no alive masking: every cell

    // lowest set bit, 0 when none: a binary search in XW (YW) halvings, not a W-deep priority
    // chain (fewer LUT levels, and a few operations a clock in the Verilated vboard)
    localparam XP = 1 << XW, YP = 1 << YW;  // W, H up to a power of two
    function [XW-1:0] ffs_w;
        input [W-1:0] v;
        reg [XP-1:0] t;
        integer b;
        begin
            t = {XP{1'b0}};
            t[W-1:0] = v;
            ffs_w = {XW{1'b0}};
            for (b = XW - 1; b >= 0; b = b - 1)
                if ((t & ({XP{1'b1}} >> (XP - (1 << b)))) == {XP{1'b0}}) begin
                    ffs_w[b] = 1'b1;
                    t = t >> (1 << b);
                end
            if (v == {W{1'b0}})
                ffs_w = {XW{1'b0}};
        end
    endfunction
    function [YW-1:0] ffs_h;
        input [H-1:0] v;
        reg [YP-1:0] t;
        integer b;
        begin
            t = {YP{1'b0}};
            t[H-1:0] = v;
            ffs_h = {YW{1'b0}};
            for (b = YW - 1; b >= 0; b = b - 1)
                if ((t & ({YP{1'b1}} >> (YP - (1 << b)))) == {YP{1'b0}}) begin
                    ffs_h[b] = 1'b1;
                    t = t >> (1 << b);
                end
            if (v == {H{1'b0}})
                ffs_h = {YW{1'b0}};
        end
    endfunction
    function [W-1:0] onehot_w;
        input [XW-1:0] x;
        begin
            onehot_w = {{(W-1){1'b0}}, 1'b1} << x;
        end
    endfunction
    `include "nca_cell_addr.vh"   // cell_addr(x, y) = y * W + x
    // Where W is not a power of two, y * W is a multiplier (a MULT18X18D on the ECP5) and
    // Yosys shares one among the grid-address cases behind their select logic: the 36x36
    // build's critical path at f1cb311 ran from a CFG register through it into the grid
    // address. The result write's address (aw_r) and the kill phase's row base (yrow_r,
    // y_r * W a clock later: y_r is set two clocks before S_DK) are registers there, so the
    // command's address is the one product left. A power-of-two W keeps the concatenation.
    localparam W_POW2 = (W & (W - 1)) == 0;
    reg [AW-1:0] yrow_r;
    always @(posedge clk)
        yrow_r <= cell_addr({XW{1'b0}}, y_r);
    // which old-word line buffer holds row y: 0 row 0, 1 even rows, 2 odd rows
    function [1:0] lbuf;
        input [YW-1:0] y;
        begin
            lbuf = (y == {YW{1'b0}}) ? 2'd0 : y[0] ? 2'd2 : 2'd1;
        end
    endfunction
    function mature;
        /* verilator lint_off UNUSEDSIGNAL */
        input [CW-1:0] w;  // only channel 3 (alpha) is used
        /* verilator lint_on UNUSEDSIGNAL */
        input [15:0] t;
        begin
            mature = $signed(w[16*3 +: 16]) > $signed(t);
        end
    endfunction

    // ---- phase A: candidate scan and the fire hash -----------------------------------
    // The candidate's x is a flop (candx_r), found when cand_r is loaded: the lowest-set-bit
    // search then ends at a register, not in the hash's first quarter-round (the 25F's
    // critical path at b942f94: cand_r -> search -> three 32-bit adds -> sb_r). Same clocks.
    wire [XW-1:0] cand_x = candx_r;
    wire [W-1:0]  cand_rest = cand_r & ~onehot_w(cand_x);
    wire [XW-1:0] cand_nx = ffs_w((st_r == S_A3) ? mask_row : cand_rest);
    wire          hash_v;
    /* verilator lint_off UNUSEDSIGNAL */
    wire [31:0]   hash;    // fire uses the top 16 bits
    wire [15:0]   hash_x;  // tag, XW bits used
    /* verilator lint_on UNUSEDSIGNAL */
    nca_hash #(.TAG_W(16)) u_hash (
        .clk(clk), .i_rst(i_rst), .i_valid(st_r == S_AC), .i_seed(cfg_seed),
        .i_step(cfg_step), .i_xc({{(16-XW){1'b0}}, cand_x}), .i_yc({{(16-YW){1'b0}}, y_r}),
        .i_x({{(16-XW){1'b0}}, cand_x}), .o_valid(hash_v), .o_hash(hash), .o_x(hash_x));
    wire fire = ({1'b0, hash[31:16]} < cfg_fire);

    // ---- phase B: slots --------------------------------------------------------------
    reg [15:0]   sc_r;                 // clock within the slot
    reg          first_r, exh_r;       // find from the start / no more active cells
    reg [1:0]    mode_r;               // find: 0 none, 1 in the current row, 2 new row
    reg [XW-1:0] xn_r;                 // next x found in the current row
    reg [YW-1:0] yn_r;                 // next row
    reg [W-1:0]  actrow_r;             // active bits of row y_cur
    reg [XW-1:0] xc_r;                 // cell being found / perceived
    reg [YW-1:0] yc_r;
    reg          v_mac_r, v_wr_r;      // an MLP runs / a result is written this slot
    reg [XW-1:0] xm_r, xw_r;
    reg [YW-1:0] ym_r, yw_r;
    reg [AW-1:0] aw_r;                 // cell_addr(xw_r, yw_r), loaded with them
    reg          pbank_r, mbank_r;     // p bank of the next perception / of the MLP cell
    wire         will_find = (mode_r != 2'd0);
    wire [15:0]  mac_len;
    wire [15:0]  mac_slot = (mac_len > 16'd16) ? mac_len : 16'd16;
    wire [15:0]  slot_len_a = will_find ? 16'd14 : 16'd3;
    wire [15:0]  slot_len_b = (v_wr_r && slot_len_a < 16'd15) ? 16'd15 : slot_len_a;
    wire [15:0]  slot_len = (v_mac_r && slot_len_b < mac_slot) ? mac_slot : slot_len_b;
    wire         slot_end = (st_r == S_B) && (sc_r >= 16'd2) && (sc_r == slot_len - 16'd1);

    wire [W-1:0] above_x = ~({W{1'b1}} >> (W[XW:0] - 1'b1 - {1'b0, xc_r}));  // bits > xc_r
    wire [H-1:0] above_y = ~({H{1'b1}} >> (H[YW:0] - 1'b1 - {1'b0, yc_r}));  // rows > yc_r
    wire [W-1:0] in_row = first_r ? {W{1'b0}} : (actrow_r & above_x);
    wire [H-1:0] rows_left = first_r ? rowact_r : (rowact_r & above_y);

    // perception reads: neighbour k = sc - 3 (k = 0..8) of the cell (xc_r, yc_r), row by
    // row, each row centre column first, addressed from registers (nca_neighbour_addr:
    // its window and decode a clock ahead, from sc_r - 2; xc_r is set at sc 2, yc_r at sc 1)
    wire         nbw;                  // sc_r was in 2..10 (reads at 3..11)
    wire [1:0]   nb_dx, nb_dy;         // column, row 0..2 of the read
    wire [XW-1:0] nb_x;
    wire [YW-1:0] nb_y;
    wire [AW-1:0] nb_addr;
    wire         nb_out;
    wire [3:0]   nbq = sc_r[3:0] - 4'd2;  // the next clock's k (sc_r 2..10)
    nca_neighbour_addr #(.GRID_W(W), .GRID_H(H)) u_nb (
        .clk(clk), .i_rst(i_rst),
        .i_win((st_r == S_B) && !slot_end && (sc_r >= 16'd2) && (sc_r <= 16'd10)),
        .i_k(nbq), .i_xc(xc_r), .i_yc(yc_r), .i_wrap(cfg_wrap), .o_win(nbw),
        .o_dx(nb_dx), .o_dy(nb_dy), .o_x(nb_x), .o_y(nb_y), .o_addr(nb_addr), .o_out(nb_out));
    wire         nb_issue = nbw && will_find;

    // line buffers of old words of updated cells: row 0, even rows, odd rows
    reg [W-1:0]  ov0_r, ove_r, ovo_r;
    reg [YW-1:0] tag_e_r, tag_o_r;
    wire [CW-1:0] old_d;
    wire [1:0]   nb_sel = lbuf(nb_y);
    wire         nb_hit = (nb_sel == 2'd0) ? ov0_r[nb_x] :
                          (nb_sel == 2'd1) ? (tag_e_r == nb_y && ove_r[nb_x]) :
                                             (tag_o_r == nb_y && ovo_r[nb_x]);
    reg          nbd_v_r, nbd_out_r, nbd_hit_r;
    reg [3:0]    nbd_pos_r;
    wire [CW-1:0] nbd_word = nbd_out_r ? {CW{1'b0}} : nbd_hit_r ? old_d : g_rdata;
    wire         old_we = (st_r == S_B) && will_find && (sc_r == 16'd13);
    wire [CW-1:0] centre;
    wire [84*C-1:0] pvec;  // perception sums (nca_perceive), rounded in nca_mlp
    wire [CW-1:0] u_word;
    /* verilator lint_off UNUSEDSIGNAL */
    wire         u_valid, mlp_busy;  // the slot schedule knows when the MLP is done
    /* verilator lint_on UNUSEDSIGNAL */
    wire         wr_u = (st_r == S_B) && v_wr_r && (sc_r == 16'd14);
    // the written cell's mature and non-zero bits, registered the clock before wr_u: o_u
    // holds from 6 clocks after the MLP's last operation until the next cell's result,
    // and wr_u comes >= 14 clocks after that (a slot is >= o_mac_len clocks), so the
    // bitmap's write data waits on no comparator of the 256-bit word (the 25F's critical
    // path at 40 MHz ran from the state decode through g_wdata's compare into the bitmap)
    reg          u_mat_r, u_nz_r;
    always @(posedge clk)
        if ((st_r == S_B) && (sc_r == 16'd13)) begin
            u_mat_r <= mature(u_word, cfg_alive);
            u_nz_r <= (u_word != {CW{1'b0}});
        end

    // the three line buffers share one memory, {buffer, x} (buffer 0: row 0, 1: even rows,
    // 2: odd rows, as nb_sel): one write a clock and one read a clock is all they ever had,
    // and one memory of 3 x 2^XW words takes a third of the block RAMs of three and leaves
    // a 2-way select of the neighbour word instead of a 4-way one
    nca_ram_1r1w #(.WIDTH(CW), .DEPTH(3 << XW), .SLICE(CW)) u_old (
        .clk(clk), .i_ren(nb_issue), .i_raddr({nb_sel, nb_x}), .o_rdata(old_d),
        .i_wen(old_we), .i_waddr({lbuf(yc_r), xc_r}), .i_wdata(centre));

    nca_perceive #(.CHANNELS(C)) u_perceive (
        .clk(clk), .i_rst(i_rst), .i_clear((st_r == S_B) && sc_r == 16'd3),
        .i_valid(nbd_v_r), .i_pos(nbd_pos_r), .i_word(nbd_word), .o_p(pvec),
        .o_centre(centre));

    wire ld = cmd && (i_cmd_op == OP_LOAD);
    nca_mlp #(.CHANNELS(C), .HIDDEN(HIDDEN), .LANES(LANES)) u_mlp (
        .clk(clk), .i_rst(i_rst), .i_kernels(cfg_kernels), .i_hidden(cfg_hidden),
        .i_ld_valid(ld), .i_ld_sel(i_cmd_a[2:0]), .i_ld_a(i_cmd_b[31:16]),
        .i_ld_b(i_cmd_b[15:0]), .i_ld_data(i_cmd_c),
        .i_p_we(old_we), .i_p_bank(pbank_r), .i_p_vec(pvec),
        .i_start((st_r == S_B) && sc_r == 16'd0 && v_mac_r), .i_bank(mbank_r),
        .o_busy(mlp_busy), .o_mac_len(mac_len), .o_u_valid(u_valid), .o_u(u_word));

    // ---- damage hit test: nca_damage_raster, one cell a clock along phase S_DMG's scan ----
    wire dmg_hit, dmg_sq_done;
    wire dmg_last_x = (x_r == W[XW-1:0] - 1'b1);
    wire dmg_start = cmd && (i_cmd_op == OP_CIRCLE || i_cmd_op == OP_HALF ||
                             i_cmd_op == OP_SQUARE);
    nca_damage_raster #(.GRID_W(W), .GRID_H(H)) u_damage (
        .clk(clk), .i_rst(i_rst), .i_start(dmg_start), .i_op(i_cmd_op), .i_a(i_cmd_a),
        .i_b(i_cmd_b), .i_c(i_cmd_c), .i_step(st_r == S_DMG), .i_last_x(dmg_last_x),
        .i_x(x_r), .i_y(y_r), .o_sq_done(dmg_sq_done), .o_hit(dmg_hit));

    // seed word: channels 3.. = 2^SF
    reg [CW-1:0] seed_word;
    integer sc;
    always @* begin
        seed_word = {CW{1'b0}};
        for (sc = 3; sc < C; sc = sc + 1)
            seed_word[16*sc +: 16] = 16'd1 << cfg_sf;
    end

    // a written cell's mature and non-zero bits, tested on each source word and then
    // selected by the command (not tested on g_wdata's select: that put the 256-bit
    // select and the state decode in front of the bitmap's write data)
    wire [CW-1:0] ww_word = {i_cmd_cell[15:0], wst_r};   // WRITEW's last channel
    wire cmd_mat = (i_cmd_op == OP_SEED) ? mature(seed_word, cfg_alive) :
                   (i_cmd_op == OP_WRITEW) ? mature(ww_word, cfg_alive) :
                   mature(i_cmd_cell, cfg_alive);
    wire cmd_nz = (i_cmd_op == OP_SEED) ? (seed_word != {CW{1'b0}}) :
                  (i_cmd_op == OP_WRITEW) ? (ww_word != {CW{1'b0}}) :
                  (i_cmd_cell != {CW{1'b0}});

    // ---- memory port muxes -------------------------------------------------------------
    wire [XW-1:0] dk_x = ffs_w(kill_r);
    always @* begin
        g_en = 1'b0;
        g_we = 1'b0;
        g_addr = {AW{1'b0}};
        g_wdata = {CW{1'b0}};
        bm_ren = 1'b0;
        bm_raddr = {YW{1'b0}};
        bm_we = 1'b0;
        bm_waddr = {YW{1'b0}};
        bm_wdata = {4*W{1'b0}};
        bm_wmask = {4*W{1'b0}};
        case (st_r)
            S_IDLE: if (cmd && cmd_in_grid) begin
                g_addr = cell_addr(cmd_x, cmd_y);
                bm_waddr = cmd_y;
                if (i_cmd_op == OP_READ || i_cmd_op == OP_READW) begin
                    g_en = 1'b1;
                end else if (i_cmd_op == OP_SEED || i_cmd_op == OP_WRITE ||
                             (i_cmd_op == OP_WRITEW && cmd_ch_last)) begin
                    g_en = 1'b1;
                    g_we = 1'b1;
                    g_wdata = (i_cmd_op == OP_SEED) ? seed_word :
                              (i_cmd_op == OP_WRITEW) ? ww_word : i_cmd_cell;
                    bm_we = 1'b1;
                    bm_wmask[W-1:0] = onehot_w(cmd_x);
                    bm_wmask[2*W-1:W] = onehot_w(cmd_x);
                    bm_wdata[W-1:0] = cmd_mat ? onehot_w(cmd_x) : {W{1'b0}};
                    bm_wdata[2*W-1:W] = cmd_nz ? onehot_w(cmd_x) : {W{1'b0}};
                end
            end
            S_CLEAR: begin
                g_en = 1'b1;
                g_we = 1'b1;
                g_addr = idx_r;
                if ({{(32-AW){1'b0}}, idx_r} < H) begin
                    bm_we = 1'b1;
                    bm_waddr = idx_r[YW-1:0];
                    bm_wmask = {4*W{1'b1}};
                end
            end
            S_DMG: if (dmg_hit) begin
                g_en = 1'b1;
                g_we = 1'b1;
                g_addr = idx_r;
                bm_we = 1'b1;
                bm_waddr = y_r;
                bm_wmask[W-1:0] = onehot_w(x_r);
                bm_wmask[2*W-1:W] = onehot_w(x_r);
            end
            S_A0, S_C0: begin
                bm_ren = 1'b1;
                bm_raddr = y_prev;
            end
            S_A1, S_C1, S_D0: begin
                bm_ren = 1'b1;
                bm_raddr = y_r;
            end
            S_A2, S_C2: begin
                bm_ren = 1'b1;
                bm_raddr = y_next;
            end
            S_AW: begin
                bm_we = 1'b1;
                bm_waddr = y_r;
                bm_wmask[4*W-1:2*W] = {2*W{1'b1}};
                bm_wdata[3*W-1:2*W] = pre_r;
                bm_wdata[4*W-1:3*W] = act_r;
            end
            S_B: begin
                if (sc_r == 16'd0 && !exh_r && in_row == {W{1'b0}} &&
                    rows_left != {H{1'b0}}) begin
                    bm_ren = 1'b1;
                    bm_raddr = ffs_h(rows_left);
                end
                if (nb_issue && !nb_out) begin
                    g_en = 1'b1;
                    g_addr = nb_addr;
                end
                if (wr_u) begin
                    g_en = 1'b1;
                    g_we = 1'b1;
                    g_addr = W_POW2 ? cell_addr(xw_r, yw_r) : aw_r;
                    g_wdata = u_word;
                    bm_we = 1'b1;
                    bm_waddr = yw_r;
                    bm_wmask[W-1:0] = onehot_w(xw_r);
                    bm_wmask[2*W-1:W] = onehot_w(xw_r);
                    bm_wdata[W-1:0] = u_mat_r ? onehot_w(xw_r) : {W{1'b0}};
                    bm_wdata[2*W-1:W] = u_nz_r ? onehot_w(xw_r) : {W{1'b0}};
                end
            end
            S_C3: begin
                bm_we = 1'b1;
                bm_waddr = y_r;
                bm_wmask[4*W-1:3*W] = {W{1'b1}};
                bm_wdata[4*W-1:3*W] = mask_row;
            end
            S_D1: begin
                // kill = non-zero and not (pre and post): clear their mature / non-zero bits
                bm_we = 1'b1;
                bm_waddr = y_r;
                bm_wmask[W-1:0] = rd_nz & ~(rd_pre & rd_act);
                bm_wmask[2*W-1:W] = rd_nz & ~(rd_pre & rd_act);
            end
            S_DK: begin
                g_en = 1'b1;
                g_we = 1'b1;
                g_addr = W_POW2 ? cell_addr(dk_x, y_r) : yrow_r + {{(AW-XW){1'b0}}, dk_x};
            end
            default: ;
        endcase
    end

    // ---- control -----------------------------------------------------------------------
    wire [W-1:0] d1_kill = rd_nz & ~(rd_pre & rd_act);
    wire [W-1:0] dk_rest = kill_r & ~onehot_w(dk_x);
    wire         step_last = (st_r == S_D1 && y_last && d1_kill == {W{1'b0}}) ||
                             (st_r == S_DK && y_last && dk_rest == {W{1'b0}});
    nca_core_cfg #(.SEED_REG(1)) u_cfg (
        .clk(clk), .i_rst(i_rst), .i_we(cmd && i_cmd_op == OP_CFG), .i_a(i_cmd_a[2:0]),
        .i_b(i_cmd_b), .i_step_done(step_last), .o_hidden(cfg_hidden), .o_kernels(cfg_kernels),
        .o_wrap(cfg_wrap), .o_fire(cfg_fire), .o_alive(cfg_alive), .o_all(cfg_all), .o_sf(cfg_sf),
        .o_seed(cfg_seed), .o_step(cfg_step));

    always @(posedge clk) begin
        o_step_done <= 1'b0;
        if (i_rst) begin
            st_r <= S_IDLE;
            o_step_cycles <= 32'd0;
            o_pre_alive <= 32'd0;
            o_active <= 32'd0;
            v_mac_r <= 1'b0;
            v_wr_r <= 1'b0;
        end else begin
            if (in_step)
                cyc_r <= cyc_r + 32'd1;
            if (hash_v && fire) begin
                act_r[hash_x[XW-1:0]] <= 1'b1;
                nact_r <= nact_r + 32'd1;
            end
            case (st_r)
                S_IDLE: if (cmd) begin
                    case (i_cmd_op)
                        OP_CFG: ;   // nca_core_cfg
                        OP_CLEAR: begin
                            idx_r <= {AW{1'b0}};
                            st_r <= S_CLEAR;
                        end
                        OP_CIRCLE, OP_HALF, OP_SQUARE: begin
                            idx_r <= {AW{1'b0}};
                            x_r <= {XW{1'b0}};
                            y_r <= {YW{1'b0}};
                            st_r <= (i_cmd_op == OP_CIRCLE) ? S_DSQ : S_DMG;
                        end
                        OP_STEP: if (i_cmd_a != 32'd0) begin
                            steps_left_r <= i_cmd_a;
                            cyc_r <= 32'd0;
                            npre_r <= 32'd0;
                            nact_r <= 32'd0;
                            y_r <= {YW{1'b0}};
                            st_r <= S_A0;
                        end
                        OP_READ, OP_READW: begin
                            rsp_zero_r <= !cmd_in_grid ||
                                          (i_cmd_op == OP_READW && !cmd_ch_ok);
                            rsp_word_r <= (i_cmd_op == OP_READW);
                            rsp_ch_r <= i_cmd_c[3:0];
                            st_r <= S_RSP;
                        end
                        OP_WRITEW:
                            for (wk = 0; wk < C - 1; wk = wk + 1)
                                if (i_cmd_c == wk)
                                    wst_r[16*wk +: 16] <= i_cmd_cell[15:0];
                        default: ;
                    endcase
                end
                S_RSP: if (i_rsp_ready)
                    st_r <= S_IDLE;
                S_CLEAR: begin
                    idx_r <= idx_r + 1'b1;
                    if (idx_r == CELLS[AW-1:0] - 1'b1)
                        st_r <= S_IDLE;
                end
                S_DSQ: if (dmg_sq_done)
                    st_r <= S_DMG;
                S_DMG: begin
                    idx_r <= idx_r + 1'b1;
                    x_r <= dmg_last_x ? {XW{1'b0}} : x_r + 1'b1;
                    if (dmg_last_x)
                        y_r <= y_r + 1'b1;
                    if (dmg_last_x && y_last)
                        st_r <= S_IDLE;
                end
                // -- phase A: pre mask, fire bits, active bitmap
                S_A0: st_r <= S_A1;
                S_A1: begin
                    up_r <= (y_first && !cfg_wrap) ? {W{1'b0}} : rd_mature;
                    st_r <= S_A2;
                end
                S_A2: begin
                    mid_r <= rd_mature;
                    st_r <= S_A3;
                end
                S_A3: begin
                    pre_r <= mask_row;
                    cand_r <= mask_row;
                    candx_r <= cand_nx;
                    act_r <= {W{1'b0}};
                    dcnt_r <= 2'd0;
                    st_r <= (mask_row != {W{1'b0}}) ? S_AC : S_AD;
                end
                S_AC: begin
                    cand_r <= cand_rest;
                    candx_r <= cand_nx;
                    npre_r <= npre_r + 32'd1;
                    if (cand_rest == {W{1'b0}})
                        st_r <= S_AD;
                end
                S_AD: begin
                    dcnt_r <= dcnt_r + 2'd1;
                    if (dcnt_r == 2'd1)
                        st_r <= S_AW;
                end
                S_AW: begin
                    rowact_r[y_r] <= (act_r != {W{1'b0}});
                    if (y_last) begin
                        st_r <= S_B;
                        sc_r <= 16'd0;
                        first_r <= 1'b1;
                        exh_r <= 1'b0;
                        mode_r <= 2'd0;
                        v_mac_r <= 1'b0;
                        v_wr_r <= 1'b0;
                        pbank_r <= 1'b0;
                        ov0_r <= {W{1'b0}};
                        ove_r <= {W{1'b0}};
                        ovo_r <= {W{1'b0}};
                    end else begin
                        y_r <= y_r + 1'b1;
                        st_r <= S_A0;
                    end
                end
                // -- phase B: the active cells
                S_B: begin
                    sc_r <= slot_end ? 16'd0 : sc_r + 16'd1;
                    // find the next active cell
                    if (sc_r == 16'd0) begin
                        if (exh_r) begin
                            mode_r <= 2'd0;
                        end else if (in_row != {W{1'b0}}) begin
                            mode_r <= 2'd1;
                            xn_r <= ffs_w(in_row);
                        end else if (rows_left != {H{1'b0}}) begin
                            mode_r <= 2'd2;
                            yn_r <= ffs_h(rows_left);
                        end else begin
                            mode_r <= 2'd0;
                            exh_r <= 1'b1;
                        end
                    end
                    if (sc_r == 16'd1 && mode_r == 2'd2) begin
                        actrow_r <= rd_act;
                        yc_r <= yn_r;
                    end
                    if (sc_r == 16'd2 && will_find) begin
                        xc_r <= (mode_r == 2'd1) ? xn_r : ffs_w(actrow_r);
                        first_r <= 1'b0;
                    end
                    // old words of updated cells
                    if (old_we) begin
                        if (yc_r == {YW{1'b0}}) begin
                            ov0_r[xc_r] <= 1'b1;
                        end else if (!yc_r[0]) begin
                            tag_e_r <= yc_r;
                            ove_r <= ((tag_e_r == yc_r) ? ove_r : {W{1'b0}}) | onehot_w(xc_r);
                        end else begin
                            tag_o_r <= yc_r;
                            ovo_r <= ((tag_o_r == yc_r) ? ovo_r : {W{1'b0}}) | onehot_w(xc_r);
                        end
                    end
                    if (slot_end) begin
                        v_wr_r <= v_mac_r;
                        xw_r <= xm_r;
                        yw_r <= ym_r;
                        aw_r <= cell_addr(xm_r, ym_r);
                        v_mac_r <= will_find;
                        xm_r <= xc_r;
                        ym_r <= yc_r;
                        mbank_r <= pbank_r;
                        if (will_find)
                            pbank_r <= ~pbank_r;
                        mode_r <= 2'd0;
                        if (!will_find && !v_mac_r) begin
                            st_r <= S_C0;
                            y_r <= {YW{1'b0}};
                        end
                    end
                end
                // -- phase C: post mask into the active/post bitmap
                S_C0: st_r <= S_C1;
                S_C1: begin
                    up_r <= (y_first && !cfg_wrap) ? {W{1'b0}} : rd_mature;
                    st_r <= S_C2;
                end
                S_C2: begin
                    mid_r <= rd_mature;
                    st_r <= S_C3;
                end
                S_C3: begin
                    if (y_last) begin
                        y_r <= {YW{1'b0}};
                        st_r <= S_D0;
                    end else begin
                        y_r <= y_r + 1'b1;
                        st_r <= S_C0;
                    end
                end
                // -- phase D: commit (erase cells not alive before and after)
                S_D0: st_r <= S_D1;
                S_D1: begin
                    kill_r <= d1_kill;
                    if (d1_kill != {W{1'b0}})
                        st_r <= S_DK;
                    else if (!y_last) begin
                        y_r <= y_r + 1'b1;
                        st_r <= S_D0;
                    end
                end
                S_DK: begin
                    kill_r <= dk_rest;
                    if (dk_rest == {W{1'b0}} && !y_last) begin
                        y_r <= y_r + 1'b1;
                        st_r <= S_D0;
                    end
                end
                default: st_r <= S_IDLE;
            endcase
            if (step_last) begin
                o_step_done <= 1'b1;
                o_step_cycles <= cyc_r + 32'd1;
                o_pre_alive <= npre_r;
                o_active <= nact_r + ((hash_v && fire) ? 32'd1 : 32'd0);
                cyc_r <= 32'd0;
                npre_r <= 32'd0;
                nact_r <= 32'd0;
                y_r <= {YW{1'b0}};
                steps_left_r <= steps_left_r - 32'd1;
                st_r <= (steps_left_r == 32'd1) ? S_IDLE : S_A0;
            end
        end
    end

    // perception data stage
    always @(posedge clk) begin
        if (i_rst)
            nbd_v_r <= 1'b0;
        else
            nbd_v_r <= nb_issue;
        nbd_out_r <= nb_out;
        nbd_hit_r <= nb_hit;
        nbd_pos_r <= {1'b0, nb_dy, 1'b0} + {2'b0, nb_dy} + {2'b0, nb_dx};  // dy * 3 + dx
    end
endmodule

`default_nettype wire

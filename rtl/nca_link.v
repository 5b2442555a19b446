// SPDX-License-Identifier: Apache-2.0
// nca_link - the link engine of a board: UART, packet receiver and transmitter, and the
// command executor of docs/protocol.md (version 1), driving nca_core's command interface.
//
// Usage: i_uart_rx / o_uart_tx are the UART pins (8N1, BAUD). The o_cmd_* / i_rsp_* /
// i_step_* ports connect to nca_core's command interface (see rtl/nca_core.v), o_cmd_a
// zero-extended and o_cmd_c sign-extended to 32 bits (no command needs more: STEP n <= 2^24,
// coordinates and erasure arguments u16, LOAD values 24-bit signed); nothing else may drive
// the core. The executor serves one request at a time: a request
// with at most 16 payload bytes is acted on after its CRC checked; LOAD_MODEL and
// WRITE_STATE stream their payload into the core as it arrives (nca_link_model parses the
// model file, WRITE_STATE writes each word with the core's WRITEW when its 2 bytes are in).
// Answers and FRAME events are built on the fly: INFO's constants, READ_FRAME's header and
// STATS' clock total and drop count from a 512 x 8 memory (one EBR on the iCE40) read at the
// answer's byte index, the rest of STATS from a byte multiplexer, READ_STATE from the core's
// READW port (a word at a time), READ_FRAME through nca_link_frame in two passes (length,
// then data); no cell-wide registers or buffers. The same memory holds RUN's counters; one
// 8-bit adder updates every counter a byte at a time. While a request is being served
// (from its CRC check to the last byte of its answer) new packets are ignored: the host
// waits for the answer; its checks are registered in two steps, the clock after the
// request is taken (per check) and the clock after that (the status), and acted on a
// clock later. After a successful LOAD_MODEL and after SET 4 (alive
// threshold, bit 16 ALL_ACTIVE) every cell is read and written back word by word (about
// 7 x CHANNELS x GRID_W x GRID_H clocks through nca_board's command register) so that the
// core's mature bits follow the new threshold. o_idle: nothing to do (no request, not
// running, transmitter and UART idle); o_rx_busy: a packet is partly received; o_running:
// RUN in progress; o_error: one clock per dropped packet and per error answer.
`default_nettype none

module nca_link #(
    parameter GRID_W   = 64,       // grid width in cells, 3..128 (GRID_W x CHANNELS <= 2048)
    parameter GRID_H   = 64,       // grid height in cells, 3..1024 (GRID_W x GRID_H <= 16256)
    parameter CHANNELS = 16,       // state channels per cell, 4..16
    parameter HIDDEN   = 128,      // largest hidden layer, 1..128
    parameter LANES    = 16,       // MAC lanes of the core (reported by INFO), 1..65535
    parameter CORE     = 0,        // core variant (reported by INFO), 0..255
    parameter CLK_HZ   = 48000000, // clock frequency in Hz, >= 4 x BAUD
    parameter BAUD     = 3000000,  // UART bit rate in baud
    parameter BUILD_ID = 0,        // 32-bit build id (INFO)
    parameter BOARD_ID = 0,        // board code (INFO): 0 virtual, 1 iCEBreaker, 2..4 ULX3S
    parameter W1_WORDS = 0,        // layer-1 words of the core (nca_core_seq), 0: no limit
    parameter FRAME_SERIAL = 0     // READ_FRAME pixels: 1 bit-serial (fewer LUTs), 0 one clock
) (
    input  wire                   clk,
    input  wire                   i_rst,
    input  wire                   i_uart_rx,
    output wire                   o_uart_tx,
    output reg                    o_cmd_valid,
    input  wire                   i_cmd_ready,
    output reg  [3:0]             o_cmd_op,
    output reg  [24:0]            o_cmd_a,      // zero-extended to the core's 32 bits
    output reg  [31:0]            o_cmd_b,
    output reg  [23:0]            o_cmd_c,      // sign-extended to the core's 32 bits
    output wire [16*CHANNELS-1:0] o_cmd_cell,
    input  wire                   i_rsp_valid,
    output reg                    o_rsp_ready,
    /* verilator lint_off UNUSEDSIGNAL */
    input  wire [16*CHANNELS-1:0] i_rsp_cell,   // READW answers: only [15:0] is used
    /* verilator lint_on UNUSEDSIGNAL */
    input  wire                   i_step_done,
    input  wire [31:0]            i_step_cycles,
    /* verilator lint_off UNUSEDSIGNAL */
    input  wire [31:0]            i_pre_alive,  // counts of cells: only [CNTW-1:0] is used
    input  wire [31:0]            i_active,
    /* verilator lint_on UNUSEDSIGNAL */
    input  wire [31:0]            i_steps,
    output wire                   o_idle,
    output wire                   o_rx_busy,
    output wire                   o_running,
    output wire                   o_error
);
    localparam C = CHANNELS;
    localparam CW = 16 * C;
    localparam XW = $clog2(GRID_W);
    localparam YW = $clog2(GRID_H);
    localparam ROWB = GRID_W * C * 2;          // bytes of one row of state
    localparam MAX_RROWS = 65534 / ROWB;       // READ_STATE rows per answer
    localparam MAX_WROWS = 4096 / ROWB;        // WRITE_STATE rows per request
    localparam TIMEOUT = CLK_HZ / 1000;        // LINK_TIMEOUT: 1 ms
    localparam CNTW = $clog2(GRID_W * GRID_H + 1);   // bits of a count of cells
    localparam CB = 2 * C - 1;
    localparam [4:0] BLAST = CB[4:0];          // last byte of a cell
    localparam [15:0] W16 = GRID_W[15:0], H16 = GRID_H[15:0];

    generate
        if (GRID_W < 3) begin : g_bad_grid_w
            nca_link_bad_GRID_W_at_least_3 u_stop ();
        end
        if (GRID_H < 3 || GRID_H > 1024) begin : g_bad_grid_h
            nca_link_bad_GRID_H_3_to_1024 u_stop ();
        end
        if (ROWB > 4096) begin : g_bad_grid_w_x_channels_x
            nca_link_bad_GRID_W_x_CHANNELS_x_2_at_most_4096 u_stop ();
        end
        if (GRID_W * GRID_H > 16256) begin : g_bad_grid_w_x_grid_h
            nca_link_bad_GRID_W_x_GRID_H_at_most_16256 u_stop ();
        end
        if (C < 4 || C > 16) begin : g_bad_channels
            nca_link_bad_CHANNELS_4_to_16 u_stop ();
        end
        if (HIDDEN < 1 || HIDDEN > 128) begin : g_bad_hidden
            nca_link_bad_HIDDEN_1_to_128 u_stop ();
        end
        if (LANES < 1 || LANES > 65535) begin : g_bad_lanes
            nca_link_bad_LANES_1_to_65535 u_stop ();
        end
        if (CORE < 0 || CORE > 255) begin : g_bad_core
            nca_link_bad_CORE_0_to_255 u_stop ();
        end
        if (BOARD_ID < 0 || BOARD_ID > 255) begin : g_bad_board_id
            nca_link_bad_BOARD_ID_0_to_255 u_stop ();
        end
        if (BAUD < 1 || CLK_HZ < 4 * BAUD) begin : g_bad_baud
            nca_link_bad_BAUD_at_most_CLK_HZ_over_4 u_stop ();
        end
        if (TIMEOUT < 2) begin : g_bad_timeout
            nca_link_bad_TIMEOUT_at_least_2 u_stop ();
        end
    endgenerate

    // commands and status codes
    `include "nca_link_ids.vh"   // C_* commands, ST_* status, REG_* (tools/gen_ids.py)
    `include "nca_core_ops.vh"   // OP_*, CFG_* of the core
    `include "nca_link_rows.vh"   // K_* answer kinds (rows of nca_link_counters' memory)

    localparam [4:0] S_IDLE = 5'd0, S_DISP = 5'd1, S_CMD = 5'd2, S_WAITC = 5'd3,
                     S_ANS = 5'd4, S_SEND = 5'd5, S_RF_RD = 5'd6, S_RF_WT = 5'd7,
                     S_RF_WR = 5'd8, S_RS_ST = 5'd9, S_RS_RD = 5'd10, S_RS_BY = 5'd11,
                     S_FR_CNT = 5'd12, S_FR_HDR = 5'd13, S_FR_DATA = 5'd14,
                     S_RSTEP = 5'd15, S_RWAIT = 5'd16, S_WS = 5'd17, S_LM = 5'd18,
                     S_TXW = 5'd19, S_RCU = 5'd20, S_CHK = 5'd21, S_CHK2 = 5'd22;
    reg [4:0] st_r;

    // ---- UART and packet layer ---------------------------------------------------------
    wire       urx_valid;
    wire [7:0] urx_byte;
    /* verilator lint_off UNUSEDSIGNAL */
    wire       urx_ferr;    // a framing error costs its packet through the CRC
    /* verilator lint_on UNUSEDSIGNAL */
    nca_uart_rx #(.CLK_HZ(CLK_HZ), .BAUD(BAUD)) u_urx (
        .clk(clk), .i_rst(i_rst), .i_rx(i_uart_rx), .o_valid(urx_valid), .o_byte(urx_byte),
        .o_ferr(urx_ferr));

    reg         busy_req_r;     // serving a request: the receiver holds off
    wire        rx_hdr, rx_pl_valid, rx_req, rx_drop;
    wire [7:0]  rx_cmd, rx_seq, rx_pl_byte;
    wire [15:0] rx_len;
    wire [2:0]  rx_pl_k;            // payload byte index, 7: 7 or more
    wire [55:0] args;
    wire        rx_ack = rx_req && (st_r == S_IDLE || st_r == S_WS || st_r == S_LM);
    nca_link_rx #(.MAX_LEN(4104), .TIMEOUT(TIMEOUT)) u_rx (
        .clk(clk), .i_rst(i_rst), .i_valid(urx_valid), .i_byte(urx_byte), .i_hold(busy_req_r),
        .i_place(rx_cmd == C_LOAD_MODEL || rx_cmd == C_WRITE_STATE || rx_cmd == C_SET ||
                 rx_cmd == C_DAMAGE),
        .i_pos(rx_cmd == C_SET ? 3'd4 : rx_cmd == C_DAMAGE ? 3'd2 : 3'd3),
        .o_busy(o_rx_busy), .o_hdr(rx_hdr), .o_cmd(rx_cmd), .o_seq(rx_seq), .o_len(rx_len),
        .o_pl_valid(rx_pl_valid), .o_pl_byte(rx_pl_byte), .o_pl_k(rx_pl_k), .o_args(args),
        .o_req(rx_req), .i_req_ack(rx_ack), .o_drop(rx_drop));

    reg         tx_start;
    reg         ev_r;           // the packet to send is a FRAME event, not an answer
    reg  [7:0]  fseq_r;         // sequence number of the next FRAME event
    // command and sequence of the packet being sent: an answer's come from the request (the
    // receiver holds them while the request is served)
    wire [7:0]  ans_cmd = ev_r ? C_EVENT_FRAME : {1'b1, rx_cmd[6:0]};
    wire [7:0]  ans_seq = ev_r ? fseq_r : rx_seq;
    // payload length of the packet started: READ_FRAME's from the counting pass, the other
    // answers' from their kind (taken by the transmitter at tx_start only)
    reg  [15:0] ans_len;
    wire        tx_busy, tx_pl_ready;
    reg         tx_pl_valid, tx_pl_last;
    reg  [7:0]  tx_pl_byte;
    wire        utx_valid, utx_ready;
    wire [7:0]  utx_byte;
    nca_link_tx u_tx (
        .clk(clk), .i_rst(i_rst), .i_start(tx_start), .i_cmd(ans_cmd), .i_seq(ans_seq),
        .i_len(ans_len), .o_busy(tx_busy), .i_pl_valid(tx_pl_valid), .i_pl_last(tx_pl_last),
        .i_pl_byte(tx_pl_byte),
        .o_pl_ready(tx_pl_ready), .o_valid(utx_valid), .o_byte(utx_byte), .i_ready(utx_ready));
    nca_uart_tx #(.CLK_HZ(CLK_HZ), .BAUD(BAUD)) u_utx (
        .clk(clk), .i_rst(i_rst), .i_valid(utx_valid), .i_byte(utx_byte), .o_ready(utx_ready),
        .o_tx(o_uart_tx));
    wire pl_take = tx_pl_valid && tx_pl_ready;

    `include "nca_lt.vh"   // nca_lt(x, c): x < c as plain logic
    localparam H1I = GRID_H + 1, MAXR1I = MAX_RROWS + 1, MAXW1I = MAX_WROWS + 1;
    localparam [31:0] H1 = H1I, MAXR1 = MAXR1I, MAXW1 = MAXW1I;

    // ---- request fields (stable while serving: the receiver holds off) -----------------
    // args holds a request of n <= 7 payload bytes right-aligned (its last byte in [55:48]),
    // so the fields of different commands share bits; for LOAD_MODEL and WRITE_STATE it
    // holds bytes 0..3 (offset; first row, rows) in [55:24] from the 4th byte on
    // (SET from byte 4 and DAMAGE from byte 2 on, wrapping: the arguments of the core's
    // commands come from the same bits)
    wire [7:0]  a_kind = args[23:16];      // DAMAGE kind
    wire [7:0]  a_reg = args[39:32];       // SET register
    wire [15:0] a_mid = args[23:8];        // RUN k
    wire [15:0] a_lo = args[39:24];        // SEED x, DAMAGE a, first row
    wire [15:0] a_hi = args[55:40];        // SEED y, DAMAGE b, rows
    wire [31:0] a_val = args[55:24];       // STEP n, RUN steps, LOAD offset
    wire [31:0] s_val = {args[15:0], args[55:40]};   // SET value (DAMAGE c below)
    // READ_STATE / WRITE_STATE rows
    // first row + rows <= GRID_H on YW + 1 bits (first row < 2^YW, rows <= 2^YW)
    wire [YW+1:0] rows_end = {2'b00, a_lo[YW-1:0]} + {1'b0, a_hi[YW:0]};
    wire        rows_in = (a_hi != 16'd0) && (a_lo[15:YW] == 0) && (a_hi[15:YW+1] == 0) &&
                          nca_lt({{(30-YW){1'b0}}, rows_end}, H1);
    wire        rs_arg_ok = rows_in && nca_lt({16'd0, a_hi}, MAXR1);
    wire        ws_arg_ok = rows_in && nca_lt({16'd0, a_hi}, MAXW1);
    wire [15:0] rows_bytes = a_hi * ROWB[15:0];   // meaningful when in range
    wire        ws_len_ok = (rx_len == rows_bytes + 16'd4);
    wire        len_ge4 = (rx_len[15:2] != 14'd0);
    wire        ws_ok = len_ge4 && ws_arg_ok && ws_len_ok;
    wire        lm_len_ok = !nca_lt({16'd0, rx_len}, 32'd5) && nca_lt({16'd0, rx_len}, 32'd4101);

    // ---- state ---------------------------------------------------------------------------
    reg          running_r, model_ok_r, streamed_r;
    reg  [2:0]   status_r;
    reg  [2:0]   code_r;           // BAD_MODEL detail
    reg  [2:0]   kind_r;
    reg  [5:0]   idx_r;            // payload byte index of a fixed-layout answer (< 64)
    reg  [3:0]   sf_r;             // the core's SF (CFG 5 goes through here)
    reg  [XW-1:0] cx_r;
    reg  [YW-1:0] cy_r;
    reg  [4:0]   bi_r;             // byte in a cell (READ_STATE / WRITE_STATE / refresh)
    reg  [15:0]  word_r;           // a shift register: WRITE_STATE bytes, refresh copies
    reg          wr_pend_r;        // WRITE_STATE: a word is complete
    reg          feed_r;           // stream: LOAD_MODEL bytes to the parser / cells to write
    reg          lm_live_r, lm_start_r, rs_r;
    reg          run_fin_r;        // RUN with a step count
    reg          fr_start_r, fr_count_r;
    assign o_cmd_cell = {{(CW-16){1'b0}}, word_r};
    assign o_running = running_r;

    // ---- the model parser and the frame encoder ------------------------------------------
    wire        lm_cmd_valid;
    wire [3:0]  lm_cmd_op;
    wire [2:0]  lm_cmd_a;
    wire [23:0] lm_cmd_b, lm_cmd_c;
    wire [13:0] lm_pos;
    wire        lm_done;
    wire [2:0]  lm_err;
    nca_link_model #(.CHANNELS(C), .HIDDEN(HIDDEN), .W1_WORDS(W1_WORDS)) u_model (
        .clk(clk), .i_rst(i_rst), .i_start(lm_start_r),
        .i_valid(st_r == S_LM && rx_pl_valid && feed_r && rx_pl_k[2]),
        .i_byte(rx_pl_byte), .o_cmd_valid(lm_cmd_valid), .o_cmd_op(lm_cmd_op),
        .o_cmd_a(lm_cmd_a), .o_cmd_b(lm_cmd_b), .o_cmd_c(lm_cmd_c),
        .i_cmd_ready(i_cmd_ready && st_r == S_LM), .o_pos(lm_pos), .o_done(lm_done),
        .o_err(lm_err));

    wire        fr_rd_valid, fr_rsp_ready, fr_valid, fr_done, fr_last;
    wire [XW-1:0] fr_rd_x;
    wire [YW-1:0] fr_rd_y;
    wire [15:0] fr_len;
    wire [1:0]  fr_rd_c;
    wire [7:0]  fr_byte;
    wire        fr_active = (st_r == S_FR_CNT || st_r == S_FR_DATA || st_r == S_FR_HDR);
    nca_link_frame #(.GRID_W(GRID_W), .GRID_H(GRID_H), .SERIAL_CONV(FRAME_SERIAL)) u_frame (
        .clk(clk), .i_rst(i_rst), .i_start(fr_start_r), .i_count(fr_count_r), .i_sf(sf_r),
        .o_rd_valid(fr_rd_valid), .o_rd_x(fr_rd_x), .o_rd_y(fr_rd_y), .o_rd_c(fr_rd_c),
        .i_rd_ready(i_cmd_ready && fr_active), .i_rsp_valid(i_rsp_valid),
        .i_rsp_word(i_rsp_cell[15:0]), .o_rsp_ready(fr_rsp_ready), .o_valid(fr_valid),
        .o_byte(fr_byte), .i_ready(st_r == S_FR_DATA && tx_pl_ready), .o_len(fr_len),
        .o_done(fr_done), .o_last(fr_last));

    // ---- dispatch: the status of a request -------------------------------------------------
    reg       known, len_ok, arg_ok, need_model;
    always @* begin
        known = 1'b1;
        len_ok = (rx_len == 16'd0);
        arg_ok = 1'b1;
        need_model = 1'b0;
        case (rx_cmd)
            C_INFO, C_CLEAR, C_STOP, C_READ_FRAME, C_STATS: ;
            C_LOAD_MODEL: len_ok = lm_len_ok;
            C_SET: begin
                len_ok = (rx_len == 16'd5);
                // value <= 1, <= 65536, <= 32767 as bit tests (no carry chains)
                arg_ok = (a_reg == 8'd0) || (a_reg == 8'd1) ||
                         (a_reg == 8'd2 && s_val[31:1] == 31'd0) ||
                         (a_reg == 8'd3 && s_val[31:17] == 15'd0 &&
                          (!s_val[16] || s_val[15:0] == 16'd0)) ||
                         (a_reg == 8'd4 && s_val[31:17] == 15'd0 && !s_val[15]);  // T, bit 16 all
            end
            C_SEED: begin
                len_ok = (rx_len == 16'd4);
                arg_ok = nca_lt({16'd0, a_lo}, {16'd0, W16}) && nca_lt({16'd0, a_hi}, {16'd0, H16});
            end
            C_DAMAGE: begin
                len_ok = (rx_len == 16'd7);
                arg_ok = (a_kind[7:2] == 6'd0 && a_kind[1:0] != 2'd3) &&
                         (a_kind != 8'd1 || a_lo[15:2] == 14'd0);    // kind <= 2, half <= 3
            end
            C_STEP: begin
                len_ok = (rx_len == 16'd4);
                arg_ok = (a_val != 32'd0) && (a_val[31:25] == 7'd0) &&
                         (!a_val[24] || a_val[23:0] == 24'd0);   // 1..2^24
                need_model = 1'b1;
            end
            C_RUN: begin
                len_ok = (rx_len == 16'd6);
                arg_ok = (a_mid != 16'd0);
                need_model = 1'b1;
            end
            C_READ_STATE: begin
                len_ok = (rx_len == 16'd4);
                arg_ok = rs_arg_ok;
            end
            C_WRITE_STATE: begin
                len_ok = len_ge4 && (!ws_arg_ok || ws_len_ok);
                arg_ok = ws_arg_ok;
            end
            default: known = 1'b0;
        endcase
    end
    // the checks are registered in S_CHK, the clock after the request is taken, combined
    // into the status in S_CHK2 and acted on in S_DISP (timing: the decoding above ends at a
    // flip-flop, and so does the status, not at every register S_DISP sets). running_r,
    // streamed_r and model_ok_r do not change in S_CHK and S_CHK2.
    reg       known_r, len_ok_r, arg_ok_r, need_model_r, anytime_r, stream_r;
    always @(posedge clk) begin
        known_r <= known;
        len_ok_r <= len_ok;
        arg_ok_r <= arg_ok;
        need_model_r <= need_model;
        anytime_r <= (rx_cmd == C_INFO || rx_cmd == C_STATS || rx_cmd == C_STOP);
        stream_r <= (rx_cmd == C_LOAD_MODEL || rx_cmd == C_WRITE_STATE);
    end
    wire [2:0] disp_status = !known_r ? ST_BAD_CMD : !len_ok_r ? ST_BAD_LEN :
                             ((running_r && !anytime_r) || (stream_r && !streamed_r)) ? ST_BUSY :
                             !arg_ok_r ? ST_BAD_ARG : (need_model_r && !model_ok_r) ? ST_NO_MODEL :
                             ST_OK;
    reg [2:0] disp_r;

    // ---- the core's command port ---------------------------------------------------------
    always @* begin
        o_cmd_valid = 1'b0;
        o_cmd_op = OP_READW;
        o_cmd_a = {{(25-XW){1'b0}}, cx_r};
        o_cmd_b = {{(32-YW){1'b0}}, cy_r};
        o_cmd_c = {20'd0, bi_r[4:1]};
        o_rsp_ready = 1'b0;
        case (st_r)
            S_CMD: begin
                o_cmd_valid = 1'b1;
                // SEED x, DAMAGE a, STEP n (checked <= 2^24); SET value, SEED y, DAMAGE b;
                // DAMAGE c (unused arguments of the others are don't-cares)
                o_cmd_a = {(rx_cmd == C_STEP) ? args[48:40] : 9'd0, args[39:24]};
                o_cmd_b = {(rx_cmd == C_SET) ? args[15:0] : 16'd0, args[55:40]};
                o_cmd_c = {8'd0, args[15:0]};
                case (rx_cmd)
                    C_SET: begin
                        o_cmd_op = OP_CFG;
                        // REG_SEED -> CFG_SEED, REG_STEPS -> CFG_STEPS, 2..4 as they are
                        // (checked <= 4)
                        o_cmd_a = {22'd0, a_reg[2] || a_reg[2:1] == 2'd0,
                                   a_reg[1] || a_reg[2:1] == 2'd0, a_reg[0]};
                    end
                    C_CLEAR: o_cmd_op = OP_CLEAR;
                    C_SEED: o_cmd_op = OP_SEED;
                    C_DAMAGE: o_cmd_op = OP_CIRCLE + a_kind[3:0];   // CIRCLE, HALF, SQUARE
                    default: o_cmd_op = OP_STEP;
                endcase
            end
            S_RSTEP: begin
                o_cmd_valid = 1'b1;
                o_cmd_op = OP_STEP;
                o_cmd_a = 25'd1;
            end
            S_LM: begin
                o_cmd_valid = lm_cmd_valid;
                o_cmd_op = lm_cmd_op;
                o_cmd_a = {22'd0, lm_cmd_a};
                o_cmd_b = {8'd0, lm_cmd_b};
                o_cmd_c = lm_cmd_c;
            end
            S_WS: begin
                o_cmd_valid = wr_pend_r;
                o_cmd_op = OP_WRITEW;
            end
            S_RF_RD, S_RS_RD: o_cmd_valid = 1'b1;
            S_RF_WT: o_rsp_ready = i_rsp_valid;
            S_RF_WR: begin
                o_cmd_valid = 1'b1;
                o_cmd_op = OP_WRITEW;
            end
            S_RS_BY: o_rsp_ready = pl_take && bi_r[0];
            S_FR_CNT, S_FR_HDR, S_FR_DATA: begin
                o_cmd_valid = fr_rd_valid;
                o_cmd_a = {{(25-XW){1'b0}}, fr_rd_x};
                o_cmd_b = {{(32-YW){1'b0}}, fr_rd_y};
                o_cmd_c = {22'd0, fr_rd_c};
                o_rsp_ready = fr_rsp_ready;
            end
            default: ;
        endcase
    end
    wire cmd_take = o_cmd_valid && i_cmd_ready;
    wire [7:0] rsp_byte = bi_r[0] ? i_rsp_cell[15:8] : i_rsp_cell[7:0];   // READ_STATE

    // ---- counter memory (nca_link_counters): INFO's and READ_FRAME's constant bytes, STATS'
    // clock total and drop count, RUN's counters
    wire [7:0] cq_r;               // the answer's byte idx_r when cq_ok_r
    wire       cq_ok_r, run_pend_r, left_z_r, k_z_r;
    nca_link_counters #(.GRID_W(GRID_W), .GRID_H(GRID_H), .CHANNELS(CHANNELS),
        .HIDDEN(HIDDEN), .LANES(LANES), .CORE(CORE), .CLK_HZ(CLK_HZ), .BAUD(BAUD),
        .BUILD_ID(BUILD_ID), .BOARD_ID(BOARD_ID)) u_counters (
        .clk(clk), .i_rst(i_rst), .i_ans_addr({kind_r, idx_r + {5'd0, pl_take}}),
        .i_ans(st_r == S_SEND || st_r == S_FR_HDR), .o_q(cq_r), .o_q_ok(cq_ok_r),
        .i_step_done(i_step_done), .i_step_cycles(i_step_cycles), .i_drop(rx_drop),
        .i_rx_run(rx_pl_valid && rx_cmd == C_RUN && !running_r), .i_rx_k(rx_pl_k),
        .i_rx_byte(rx_pl_byte), .i_run_start(st_r == S_DISP && rx_cmd == C_RUN && disp_r == ST_OK),
        .i_run_step(st_r == S_RWAIT && i_cmd_ready), .o_run_busy(run_pend_r),
        .o_left_z(left_z_r), .o_k_z(k_z_r));

    // ---- answer bytes ----------------------------------------------------------------------
    // each table holds the whole answer payload, indexed by idx_r (byte 0: the status)
    wire [7:0] flags = {6'd0, running_r, model_ok_r};
    wire [7:0] st_byte = {5'd0, status_r};
    wire [8*29-1:0] stats = {8'd0, flags, {2{cq_r}}, 16'd0, {6{cq_r}},
                             {(32-CNTW){1'b0}}, i_active[CNTW-1:0],
                             {(32-CNTW){1'b0}}, i_pre_alive[CNTW-1:0],
                             i_step_cycles, i_steps, st_byte};
    reg  [7:0] fix_byte;
    always @* begin
        case (kind_r)
            K_CODE:  fix_byte = idx_r[0] ? {5'd0, code_r} : st_byte;
            K_INFO:  fix_byte = (idx_r == 6'd0) ? st_byte : (idx_r == 6'd6) ? flags : cq_r;
            K_STATS: fix_byte = stats[8*idx_r[4:0] +: 8];
            K_FHDR:  fix_byte = cq_r;
            default: fix_byte = st_byte;
        endcase
    end
    wire cx_last = (cx_r == GRID_W[XW-1:0] - 1'b1);
    wire cy_last = (cy_r == GRID_H[YW-1:0] - 1'b1);
    // READ_STATE: the last row (cy + 1 = first row + rows; the request is held)
    wire rs_last_row = ({1'b0, cy_r} + 1'b1 == rows_end[YW:0]);
    always @* begin
        tx_pl_valid = 1'b0;
        tx_pl_last = 1'b0;
        tx_pl_byte = 8'd0;
        case (st_r)
            S_SEND, S_FR_HDR: begin            // (the counter memory's byte is read)
                tx_pl_valid = cq_ok_r;
                tx_pl_byte = fix_byte;
                if (st_r == S_SEND)
                    tx_pl_last = (idx_r == ((kind_r == K_CODE) ? 6'd1 : (kind_r == K_INFO) ?
                                  6'd36 : (kind_r == K_STATS) ? 6'd28 : 6'd0));
            end
            S_RS_ST: tx_pl_valid = 1'b1;
            S_RS_BY: begin
                tx_pl_valid = i_rsp_valid;
                tx_pl_last = (bi_r == BLAST) && cx_last && rs_last_row;
                tx_pl_byte = rsp_byte;
            end
            S_FR_DATA: begin
                tx_pl_valid = fr_valid;
                tx_pl_last = fr_last;
                tx_pl_byte = fr_byte;
            end
            default: ;
        endcase
    end

    // ---- error LED pulse and idle ---------------------------------------------------------
    reg  err_ans;
    assign o_error = rx_drop || err_ans;
    assign o_idle = (st_r == S_IDLE) && !running_r && !rx_req && !tx_busy && !utx_valid &&
                    utx_ready;

    always @* begin
        case (kind_r)
            K_CODE:  ans_len = 16'd2;
            K_INFO:  ans_len = 16'd37;
            K_STATS: ans_len = 16'd29;
            K_FHDR:  ans_len = fr_len;
            default: ans_len = rs_r ? rows_bytes + 16'd1 : 16'd1;
        endcase
    end


    // answer helper
    task answer;
        input [2:0] status;
        input [2:0] kind;
        begin
            status_r <= status;
            kind_r <= kind;
            ev_r <= 1'b0;
            err_ans <= (status != ST_OK);
            rs_r <= 1'b0;
            st_r <= S_ANS;
        end
    endtask

    always @(posedge clk) begin
        tx_start <= 1'b0;
        fr_start_r <= 1'b0;
        lm_start_r <= 1'b0;
        err_ans <= 1'b0;
        if (i_rst) begin
            st_r <= S_IDLE;
            busy_req_r <= 1'b0;
            running_r <= 1'b0;
            model_ok_r <= 1'b0;
            streamed_r <= 1'b0;
            ev_r <= 1'b0;
            sf_r <= 4'd11;
            wr_pend_r <= 1'b0;
            lm_live_r <= 1'b0;
            feed_r <= 1'b0;
        end else begin
            if (cmd_take && o_cmd_op == OP_CFG && o_cmd_a[2:0] == CFG_SF)
                sf_r <= o_cmd_b[3:0];
            if (pl_take)
                idx_r <= idx_r + 6'd1;
            if (rx_ack)
                busy_req_r <= 1'b1;
            case (st_r)
                S_IDLE: if (!rx_req) begin
                    if (rx_hdr && !running_r && (rx_cmd == C_WRITE_STATE || rx_cmd == C_LOAD_MODEL)) begin
                        streamed_r <= 1'b1;
                        feed_r <= 1'b0;
                        wr_pend_r <= 1'b0;
                        st_r <= (rx_cmd == C_LOAD_MODEL) ? S_LM : S_WS;
                    end else if (running_r) begin
                        st_r <= S_RSTEP;
                    end
                end
                // -- streaming requests: their payload goes into the core as it arrives
                S_WS: begin
                    if (rx_drop) begin
                        streamed_r <= 1'b0;
                        st_r <= S_IDLE;
                    end
                    if (rx_pl_valid && rx_pl_k == 3'd3) begin
                        feed_r <= ws_ok;     // write the cells
                        cx_r <= {XW{1'b0}};
                        cy_r <= a_lo[YW-1:0];
                        bi_r <= 5'd0;
                    end
                    if (rx_pl_valid && rx_pl_k[2] && feed_r) begin
                        word_r <= {rx_pl_byte, word_r[15:8]};
                        if (bi_r[0])
                            wr_pend_r <= 1'b1;   // channel bi_r[4:1] until it is written
                        else
                            bi_r <= bi_r + 5'd1;
                    end
                    if (cmd_take) begin
                        wr_pend_r <= 1'b0;
                        bi_r <= (bi_r == BLAST) ? 5'd0 : bi_r + 5'd1;
                        if (bi_r == BLAST) begin
                            cx_r <= cx_last ? {XW{1'b0}} : cx_r + 1'b1;
                            if (cx_last)
                                cy_r <= cy_r + 1'b1;
                        end
                    end
                end
                S_LM: begin
                    if (rx_drop) begin
                        if (feed_r)
                            lm_live_r <= 1'b0;  // the parser ran ahead: the load is broken
                        streamed_r <= 1'b0;
                        st_r <= S_IDLE;
                    end
                    if (rx_pl_valid && rx_pl_k == 3'd3 && lm_len_ok) begin
                        if (a_val == 32'd0) begin
                            lm_start_r <= 1'b1;
                            lm_live_r <= 1'b1;
                            feed_r <= 1'b1;
                            model_ok_r <= 1'b0;
                        end else begin
                            feed_r <= lm_live_r && (a_val == {18'd0, lm_pos});
                        end
                    end
                end
                // -- dispatch
                S_CHK: st_r <= S_CHK2;
                S_CHK2: begin
                    disp_r <= disp_status;
                    st_r <= S_DISP;
                end
                S_DISP: begin
                    streamed_r <= 1'b0;
                    if (disp_r != ST_OK) begin
                        if (rx_cmd == C_LOAD_MODEL && disp_r != ST_BUSY)
                            lm_live_r <= 1'b0;
                        answer(disp_r, K_STATUS);
                    end else case (rx_cmd)
                        C_INFO: answer(ST_OK, K_INFO);
                        C_STATS: answer(ST_OK, K_STATS);
                        C_STOP: begin
                            running_r <= 1'b0;
                            answer(ST_OK, K_STATS);
                        end
                        C_RUN: begin
                            running_r <= 1'b1;
                            run_fin_r <= (a_val != 32'd0);
                            fseq_r <= 8'd0;
                            answer(ST_OK, K_STATUS);
                        end
                        C_WRITE_STATE: answer(ST_OK, K_STATUS);
                        C_LOAD_MODEL: begin
                            if (!feed_r || lm_err != 3'd0) begin
                                lm_live_r <= 1'b0;
                                status_r <= ST_BAD_MODEL;
                                code_r <= feed_r ? lm_err : 3'd5;
                                kind_r <= K_CODE;
                                ev_r <= 1'b0;
                                err_ans <= 1'b1;
                                st_r <= S_ANS;
                            end else if (lm_done) begin
                                lm_live_r <= 1'b0;
                                model_ok_r <= 1'b1;
                                cx_r <= {XW{1'b0}};
                                cy_r <= {YW{1'b0}};
                                bi_r <= 5'd0;
                                status_r <= ST_OK;
                                st_r <= S_RF_RD;  // the alive threshold may have changed
                            end else begin
                                answer(ST_OK, K_STATUS);
                            end
                        end
                        C_READ_STATE: begin
                            cx_r <= {XW{1'b0}};
                            cy_r <= a_lo[YW-1:0];
                            bi_r <= 5'd0;
                            answer(ST_OK, K_STATUS);
                            rs_r <= 1'b1;
                        end
                        C_READ_FRAME: begin
                            answer(ST_OK, K_STATUS);
                            fr_start_r <= 1'b1;
                            fr_count_r <= 1'b1;
                            st_r <= S_FR_CNT;
                        end
                        default: st_r <= S_CMD;  // SET, CLEAR, SEED, DAMAGE, STEP
                    endcase
                end
                S_CMD: if (i_cmd_ready)
                    st_r <= S_WAITC;
                S_WAITC: if (i_cmd_ready) begin
                    if (rx_cmd == C_SET && a_reg == 8'd4) begin
                        cx_r <= {XW{1'b0}};
                        cy_r <= {YW{1'b0}};
                        bi_r <= 5'd0;
                        status_r <= ST_OK;
                        st_r <= S_RF_RD;
                    end else if (rx_cmd == C_STEP) begin
                        answer(ST_OK, K_STATS);
                    end else begin
                        answer(ST_OK, K_STATUS);
                    end
                end
                // -- refresh: read and write back every cell
                S_RF_RD: if (i_cmd_ready)
                    st_r <= S_RF_WT;
                S_RF_WT: if (i_rsp_valid) begin   // the word of channel bi_r[4:1]
                    word_r <= i_rsp_cell[15:0];
                    st_r <= S_RF_WR;
                end
                S_RF_WR: if (i_cmd_ready) begin
                    bi_r <= (bi_r == BLAST - 5'd1) ? 5'd0 : bi_r + 5'd2;
                    st_r <= S_RF_RD;
                    if (bi_r == BLAST - 5'd1) begin
                        cx_r <= cx_last ? {XW{1'b0}} : cx_r + 1'b1;
                        if (cx_last)
                            cy_r <= cy_r + 1'b1;
                        if (cx_last && cy_last)
                            answer(ST_OK, K_STATUS);
                    end
                end
                // -- sending an answer
                S_ANS: begin
                    tx_start <= 1'b1;
                    idx_r <= 6'd0;
                    st_r <= rs_r ? S_RS_ST : S_SEND;
                end
                S_SEND: if (!tx_start && !tx_busy) begin
                    busy_req_r <= 1'b0;
                    st_r <= S_IDLE;
                end
                S_RS_ST: if (pl_take)
                    st_r <= S_RS_RD;
                S_RS_RD: if (i_cmd_ready)
                    st_r <= S_RS_BY;
                S_RS_BY: if (pl_take) begin
                    bi_r <= bi_r + 5'd1;
                    if (bi_r[0])
                        st_r <= S_RS_RD;             // the next word
                    if (bi_r == BLAST) begin
                        bi_r <= 5'd0;
                        cx_r <= cx_last ? {XW{1'b0}} : cx_r + 1'b1;
                        if (cx_last)
                            cy_r <= cy_r + 1'b1;
                        st_r <= (cx_last && rs_last_row) ? S_TXW : S_RS_RD;
                    end
                end
                // -- frames: count, then header and data
                S_FR_CNT: if (!fr_start_r && fr_done) begin
                    tx_start <= 1'b1;
                    kind_r <= K_FHDR;
                    idx_r <= 6'd0;
                    st_r <= S_FR_HDR;
                end
                S_FR_HDR: if (pl_take && idx_r == 6'd5) begin
                    fr_start_r <= 1'b1;
                    fr_count_r <= 1'b0;
                    st_r <= S_FR_DATA;
                end
                S_FR_DATA: if (!fr_start_r && fr_done)
                    st_r <= S_TXW;
                S_TXW: if (!tx_busy) begin
                    busy_req_r <= 1'b0;
                    if (ev_r)
                        fseq_r <= fseq_r + 8'd1;     // the event is out
                    st_r <= S_IDLE;
                end
                // -- RUN: one step at a time, a FRAME event every k steps
                S_RSTEP: if (i_cmd_ready)
                    st_r <= S_RWAIT;
                S_RWAIT: if (i_cmd_ready)
                    st_r <= S_RCU;               // the counter memory counts the step
                S_RCU: if (!run_pend_r) begin
                    if ((run_fin_r && left_z_r) || k_z_r) begin
                        if (run_fin_r && left_z_r)
                            running_r <= 1'b0;
                        ev_r <= 1'b1;
                        fr_start_r <= 1'b1;
                        fr_count_r <= 1'b1;
                        st_r <= S_FR_CNT;
                    end else begin
                        st_r <= S_IDLE;
                    end
                end
                default: st_r <= S_IDLE;
            endcase
            if (rx_ack)
                st_r <= S_CHK;
        end
    end
endmodule

`default_nettype wire

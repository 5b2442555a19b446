// SPDX-License-Identifier: Apache-2.0
// nca_board - a whole NCA board minus clocking: the link engine (UART, packets, command
// executor; docs/protocol.md) driving nca_core (CORE 0) or nca_core_seq (CORE 1) through a
// command register (nca_cmd_slice).
//
// Usage: clk is the core clock of CLK_HZ Hz, i_rst a synchronous active-high reset (hold
// it a few clocks after the clock is stable). i_uart_rx / o_uart_tx are the UART pins
// (8N1, BAUD, idle high). LEDs, high = lit: o_led_idle while nothing is going on (no
// request being served, not running, the core idle, the transmitter quiet), o_led_run
// while RUN is in progress, o_led_err for ~0.2 s after every dropped packet or error
// answer; o_beat is a free-running square wave of 1.5 to 3 Hz (2.9 Hz at 24 MHz) and
// o_beat2 one of twice that (heartbeat LEDs: one prescaler for every LED timer). Board
// tops (rtl/boards/) add the PLL, the reset and the pins. For simulation, dbg_rx_busy
// (Verilator public) tells that a packet is partly received.
`default_nettype none

module nca_board #(
    parameter GRID_W   = 64,       // grid width in cells, 3..128 (GRID_W x CHANNELS <= 2048)
    parameter GRID_H   = 64,       // grid height in cells, 3..1024 (GRID_W x GRID_H <= 16256)
    parameter CHANNELS = 16,       // state channels per cell, 4..16
    parameter HIDDEN   = 128,      // largest hidden layer the build holds, 1..128
    parameter LANES    = 16,       // MAC lanes, power of two, 1..128 (CORE 0; CORE 1 has 8)
    parameter CORE     = 0,        // core variant: 0 nca_core, 1 nca_core_seq with WIDE_CELL 0
                                   // (grid up to 64x64)
    parameter USE_SPRAM = 0,       // CORE 1: 1 SB_SPRAM256KA grid (iCE40 UP5K), 0 behavioural
    parameter USE_MAC16 = 0,       // CORE 1: 1 SB_MAC16 lanes (iCE40 UP5K), 0 behavioural
    parameter FRAME_SERIAL = 0,    // READ_FRAME pixels: 1 bit-serial (fewer LUTs, iCE40 UP5K),
                                   // 0 one clock a word (nca_link_frame SERIAL_CONV)
    parameter CLK_HZ   = 48000000, // core clock in Hz, >= 4 x BAUD
    parameter BAUD     = 3000000,  // UART bit rate in baud
    parameter BUILD_ID = 0,        // first 32 bits of the git commit, 0 for a dirty tree
    parameter BOARD_ID = 0         // INFO board code: 0 virtual, 1 iCEBreaker, 2..4 ULX3S
) (
    input  wire clk,
    input  wire i_rst,
    input  wire i_uart_rx,
    output wire o_uart_tx,
    output wire o_led_idle,
    output wire o_led_run,
    output reg  o_led_err,
    output wire o_beat,
    output wire o_beat2
);
    generate
        if (CORE != 0 && CORE != 1) begin : g_bad_core
            nca_board_bad_CORE_0_or_1 u_stop ();
        end
    endgenerate
    localparam CW = 16 * CHANNELS;
    localparam INFO_LANES = (CORE == 1) ? 8 : LANES;   // MAC lanes INFO reports
    // nca_core_seq's layer-1 memory: the Distill shape's 16 x 48 words (hidden 128, 3 filters
    // of 16 channels); LOAD_MODEL refuses (BAD_MODEL 3) a model whose layer 1 needs more
    localparam SEQ_W1_WORDS = 768;
    localparam BW = $clog2(CLK_HZ / 3);          // prescaler: 2^BW clocks, 1/3 to 2/3 s

    // the link's command (l_*) reaches the core (cmd_*) through nca_cmd_slice: a register,
    // so that no path runs from the link's decoding into the core's (the two are far apart
    // on the chip); only the first 16 bits of a cell carry a word (READW / WRITEW)
    wire          l_valid, l_ready, cmd_valid, cmd_ready, rsp_valid, rsp_ready, step_done;
    wire [3:0]    l_op, cmd_op;
    wire [24:0]   l_a25, cmd_a25;
    wire [23:0]   l_c24, cmd_c24;
    wire [31:0]   l_b, cmd_b, step_cycles, pre_alive, active, steps;
    wire [15:0]   cmd_word;
    wire [31:0]   cmd_a = {7'd0, cmd_a25};                 // the link's narrow arguments
    wire [31:0]   cmd_c = {{8{cmd_c24[23]}}, cmd_c24};
    /* verilator lint_off UNUSEDSIGNAL */
    wire [CW-1:0] l_cell;                                  // [15:0] only: WRITEW's word
    /* verilator lint_on UNUSEDSIGNAL */
    wire [CW-1:0] rsp_cell;
    wire [CW-1:0] cmd_cell = {{(CW-16){1'b0}}, cmd_word};
    wire          link_idle, rx_busy, error;
    wire          dbg_rx_busy /*verilator public_flat_rd*/;
    assign dbg_rx_busy = rx_busy;

    nca_link #(
        .GRID_W(GRID_W), .GRID_H(GRID_H), .CHANNELS(CHANNELS), .HIDDEN(HIDDEN),
        .LANES(INFO_LANES), .CORE(CORE), .CLK_HZ(CLK_HZ), .BAUD(BAUD), .BUILD_ID(BUILD_ID),
        .BOARD_ID(BOARD_ID), .W1_WORDS((CORE == 1) ? SEQ_W1_WORDS : 0),
        .FRAME_SERIAL(FRAME_SERIAL)
    ) u_link (
        .clk(clk), .i_rst(i_rst), .i_uart_rx(i_uart_rx), .o_uart_tx(o_uart_tx),
        .o_cmd_valid(l_valid), .i_cmd_ready(l_ready), .o_cmd_op(l_op), .o_cmd_a(l_a25),
        .o_cmd_b(l_b), .o_cmd_c(l_c24), .o_cmd_cell(l_cell), .i_rsp_valid(rsp_valid),
        .o_rsp_ready(rsp_ready), .i_rsp_cell(rsp_cell), .i_step_done(step_done),
        .i_step_cycles(step_cycles), .i_pre_alive(pre_alive), .i_active(active),
        .i_steps(steps), .o_idle(link_idle), .o_rx_busy(rx_busy), .o_running(o_led_run),
        .o_error(error));

    nca_cmd_slice #(.WIDTH(101)) u_slice (
        .clk(clk), .i_rst(i_rst), .i_valid(l_valid), .o_ready(l_ready),
        .i_data({l_op, l_a25, l_b, l_c24, l_cell[15:0]}), .o_valid(cmd_valid),
        .i_ready(cmd_ready), .o_data({cmd_op, cmd_a25, cmd_b, cmd_c24, cmd_word}));

    generate
        if (CORE == 1) begin : g_seq
            nca_core_seq #(
                .GRID_W(GRID_W), .GRID_H(GRID_H), .CHANNELS(CHANNELS), .HIDDEN(HIDDEN),
                .W1_WORDS(SEQ_W1_WORDS), .USE_SPRAM(USE_SPRAM), .USE_MAC16(USE_MAC16),
                .WIDE_CELL(0)
            ) u_core (
                .clk(clk), .i_rst(i_rst), .i_cmd_valid(cmd_valid), .o_cmd_ready(cmd_ready),
                .i_cmd_op(cmd_op), .i_cmd_a(cmd_a), .i_cmd_b(cmd_b), .i_cmd_c(cmd_c),
                .i_cmd_cell(cmd_cell), .o_rsp_valid(rsp_valid), .i_rsp_ready(rsp_ready),
                .o_rsp_cell(rsp_cell), .o_step_done(step_done), .o_step_cycles(step_cycles),
                .o_pre_alive(pre_alive), .o_active(active), .o_steps(steps));
        end else begin : g_par
            nca_core #(
                .GRID_W(GRID_W), .GRID_H(GRID_H), .CHANNELS(CHANNELS), .HIDDEN(HIDDEN),
                .LANES(LANES)
            ) u_core (
                .clk(clk), .i_rst(i_rst), .i_cmd_valid(cmd_valid), .o_cmd_ready(cmd_ready),
                .i_cmd_op(cmd_op), .i_cmd_a(cmd_a), .i_cmd_b(cmd_b), .i_cmd_c(cmd_c),
                .i_cmd_cell(cmd_cell), .o_rsp_valid(rsp_valid), .i_rsp_ready(rsp_ready),
                .o_rsp_cell(rsp_cell), .o_step_done(step_done), .o_step_cycles(step_cycles),
                .o_pre_alive(pre_alive), .o_active(active), .o_steps(steps));
        end
    endgenerate

    assign o_led_idle = link_idle && l_ready;   // no command in the slice, the core idle

    // LED timers: the error pulse lasts 4 to 5 periods of prescaler bit BW-4 (2^(BW-3)
    // clocks, 1/24 to 1/12 s; 0.18 to 0.22 s at 24 MHz)
    reg [BW-1:0] pre_r = {BW{1'b0}};   // free-running, also in reset
    reg          tick_r;        // bit BW-4 last clock
    reg [2:0]    err_cnt_r;
    assign o_beat = pre_r[BW-1];
    assign o_beat2 = pre_r[BW-2];
    always @(posedge clk) begin
        pre_r <= pre_r + 1'b1;
        tick_r <= pre_r[BW-4];
        if (i_rst) begin
            err_cnt_r <= 3'd0;
            o_led_err <= 1'b0;
        end else begin
            if (error)
                err_cnt_r <= 3'd5;
            else if (err_cnt_r != 3'd0 && tick_r && !pre_r[BW-4])
                err_cnt_r <= err_cnt_r - 3'd1;
            o_led_err <= error || (err_cnt_r != 3'd0);
        end
    end
endmodule

`default_nettype wire

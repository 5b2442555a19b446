// SPDX-License-Identifier: Apache-2.0
// nca_link_counters - the link engine's counter memory: INFO's and READ_FRAME's constant
// bytes, STATS' clock total and drop count, and RUN's counters, in one 512 x 8 memory (one
// EBR on the iCE40) with one 8-bit adder.
//
// Usage: the memory is addressed {row, byte} (rows K_INFO, K_STATS, K_FHDR, R_RUN of
// nca_link_rows.vh). Answers read it at i_ans_addr = {answer kind, byte index}: o_q is the
// byte the next clock, and o_q_ok says it is the one asked for while i_ans (the link is
// sending an answer from it) and no counter operation took the port. Counter operations
// are queued as pending flags and run one at a time, a byte a read clock and a write clock:
// i_step_done adds i_step_cycles to the clock total; i_drop adds 1 to the drop count
// (saturating at 0xFFFF); i_rx_run writes RUN's payload byte i_rx_byte at index i_rx_k
// (k 0..1, steps 2..5); i_run_start copies k to the frame count; i_run_step counts a RUN
// step: steps left - 1, then frame count - 1 (reloaded from k when it reaches 0). o_run_busy
// stays high until a step's counts are done; then o_left_z says no steps are left and
// o_k_z that a frame is due. After reset the total and drop count are cleared first.
`default_nettype none

module nca_link_counters #(
    parameter GRID_W   = 64,       // INFO: grid width in cells, 3..128
    parameter GRID_H   = 64,       // INFO: grid height in cells, 3..1024
    parameter CHANNELS = 16,       // INFO: state channels per cell, 4..16
    parameter HIDDEN   = 128,      // INFO: largest hidden layer, 1..128
    parameter LANES    = 16,       // INFO: MAC lanes of the core, 1..65535
    parameter CORE     = 0,        // INFO: core variant, 0..255
    parameter CLK_HZ   = 48000000, // INFO: clock frequency in Hz
    parameter BAUD     = 3000000,  // INFO: UART bit rate in baud
    parameter BUILD_ID = 0,        // INFO: 32-bit build id
    parameter BOARD_ID = 0         // INFO: board code, 0..255
) (
    input  wire        clk,
    input  wire        i_rst,
    input  wire [8:0]  i_ans_addr,
    input  wire        i_ans,
    output wire [7:0]  o_q,
    output wire        o_q_ok,
    input  wire        i_step_done,
    input  wire [31:0] i_step_cycles,
    input  wire        i_drop,
    input  wire        i_rx_run,
    input  wire [2:0]  i_rx_k,
    input  wire [7:0]  i_rx_byte,
    input  wire        i_run_start,
    input  wire        i_run_step,
    output wire        o_run_busy,
    output wire        o_left_z,
    output wire        o_k_z
);
    `include "nca_link_rows.vh"   // K_*, R_RUN
    localparam C = CHANNELS;
    // a 512 x 8 memory addressed {row, byte}; an 8-bit adder updates its counters a byte at
    // a time (a read clock, then a write clock), one operation at a time, requests queued as
    // pending flags. Row K_STATS holds the answer's bytes 17..22 (clock total) and 25..26
    // (drops), so that the answer reads them at its byte index; row R_RUN holds RUN's k
    // (bytes 0..1), steps left (2..5, from the request's payload as it arrives) and the steps
    // to the next frame (8..9, counting down from k).
    localparam [2:0] U_CLR = 3'd0, U_TOT = 3'd1, U_DROP = 3'd2, U_SAT = 3'd3, U_DECL = 3'd4,
                     U_DECK = 3'd5, U_COPY = 3'd6, U_RXW = 3'd7;
    reg  [7:0] cram [0:511];
    // INFO's and READ_FRAME's constant bytes (status and flags come from the executor)
    function [7:0] info_c;           // INFO's constant byte i
        input integer i;
        /* verilator lint_off UNUSEDSIGNAL */
        integer v;
        /* verilator lint_on UNUSEDSIGNAL */
        begin
            case (i)
                1: v = 'h4E;                 // "NCAB"
                2: v = 'h43;
                3: v = 'h41;
                4: v = 'h42;
                5: v = 1;                    // version
                7, 8: v = GRID_W >> (8 * (i - 7));
                9, 10: v = GRID_H >> (8 * (i - 9));
                11: v = C;
                12: v = HIDDEN;
                13, 14: v = LANES >> (8 * (i - 13));
                15, 16, 17, 18: v = CLK_HZ >> (8 * (i - 15));
                19, 20, 21, 22: v = BAUD >> (8 * (i - 19));
                23, 24, 25, 26: v = BUILD_ID >> (8 * (i - 23));
                27: v = BOARD_ID;
                28: v = CORE;
                default: v = 0;
            endcase
            info_c = v[7:0];
        end
    endfunction
    integer ci;
    initial begin
        for (ci = 0; ci < 37; ci = ci + 1)
            cram[{K_INFO, ci[5:0]}] = info_c(ci);
        cram[{K_FHDR, 6'd0}] = 8'd0;         // READ_FRAME: status OK, format 1, W, H
        cram[{K_FHDR, 6'd1}] = 8'd1;
        for (ci = 0; ci < 4; ci = ci + 1)
            cram[{K_FHDR, 6'd2 + ci[5:0]}] = info_c(7 + ci);
    end
    reg  [7:0] cq_r;               // read data
    reg        cq_ok_r;            // cq_r is the answer's byte idx_r
    reg        cu_busy_r, cu_ph_r, cu_c_r, cu_z_r;
    reg  [2:0] cu_op_r;
    reg  [3:0] cu_j_r;             // bytes of the operation done
    reg        clr_pend_r, tot_pend_r, drop_pend_r, sat_pend_r, rxw_pend_r, copy_pend_r;
    reg        run_pend_r;         // a RUN step's count: steps left - 1, frame count - 1
    reg        left_z_r, k_z_r;    // RUN: no steps left / a frame is due (after run_pend_r)
    // the operation's row, first byte, last j; the byte added: memory byte (use_q), source
    // byte, carry in
    reg  [2:0] u_row;
    reg  [5:0] u_base;
    reg  [3:0] u_last;
    reg        u_use_q, u_cin;
    reg  [7:0] u_src;
    always @* begin
        u_row = K_STATS;
        u_base = 6'd17;
        u_last = 4'd0;
        u_use_q = 1'b1;
        u_cin = 1'b0;
        u_src = 8'hFF;
        case (cu_op_r)
            U_CLR: begin                     // total and drops (and 23, 24) to 0
                u_last = 4'd9;
                u_use_q = 1'b0;
                u_src = 8'd0;
            end
            U_TOT: begin
                u_last = 4'd5;
                u_src = cu_j_r[2] ? 8'd0 : i_step_cycles[8*cu_j_r[1:0] +: 8];
            end
            U_DROP: begin
                u_base = 6'd25;
                u_last = 4'd1;
                u_src = 8'd0;
                u_cin = 1'b1;
            end
            U_SAT: begin                     // a wrapped drop count back to 0xFFFF
                u_base = 6'd25;
                u_last = 4'd1;
                u_use_q = 1'b0;
            end
            U_DECL: begin                    // steps left - 1 (+ 0xFFFFFFFF)
                u_row = R_RUN;
                u_base = 6'd2;
                u_last = 4'd3;
            end
            U_DECK: begin
                u_row = R_RUN;
                u_base = 6'd8;
                u_last = 4'd1;
            end
            U_COPY: begin                    // k to the frame count: read 0..1, write 8..9
                u_row = R_RUN;
                u_base = 6'd0;
                u_last = 4'd1;
                u_src = 8'd0;
            end
            default: begin                   // U_RXW: a RUN payload byte
                u_row = R_RUN;
                u_base = {3'd0, i_rx_k};
                u_use_q = 1'b0;
                u_src = i_rx_byte;
            end
        endcase
    end
    wire       j0 = (cu_j_r == 4'd0);
    wire [8:0] u_sum = {1'b0, u_use_q ? cq_r : 8'd0} + {1'b0, u_src} +
                       {8'd0, j0 ? u_cin : cu_c_r};
    wire       u_end = cu_busy_r && cu_ph_r && (cu_j_r == u_last);
    wire       u_zero = (j0 || cu_z_r) && (u_sum[7:0] == 8'd0);   // the field is 0 after it
    wire [5:0] cu_a = u_base + {2'd0, cu_j_r};
    wire [5:0] cw_a = (cu_op_r == U_COPY) ? {cu_a[5:4], 1'b1, cu_a[2:0]} : cu_a;
    wire [8:0] cr_addr = cu_busy_r ? {u_row, cu_a} : i_ans_addr;
    always @(posedge clk) begin
        if (cu_busy_r && cu_ph_r)
            cram[{u_row, cw_a}] <= u_sum[7:0];
        cq_r <= cram[cr_addr];
    end

    always @(posedge clk) begin
        cq_ok_r <= !cu_busy_r && i_ans;
        if (i_step_done)
            tot_pend_r <= 1'b1;
        if (i_drop)
            drop_pend_r <= 1'b1;
        if (i_rx_run)
            rxw_pend_r <= 1'b1;
        if (i_run_step)
            run_pend_r <= 1'b1;
        if (i_run_start)
            copy_pend_r <= 1'b1;
        if (i_rst) begin
            cu_busy_r <= 1'b0;
            clr_pend_r <= 1'b1;
            tot_pend_r <= 1'b0;
            drop_pend_r <= 1'b0;
            sat_pend_r <= 1'b0;
            rxw_pend_r <= 1'b0;
            copy_pend_r <= 1'b0;
            run_pend_r <= 1'b0;
        end else if (!cu_busy_r) begin
            // start the next operation, the earliest queued first
            cu_busy_r <= clr_pend_r || rxw_pend_r || copy_pend_r || tot_pend_r ||
                         drop_pend_r || sat_pend_r || run_pend_r;
            cu_ph_r <= 1'b0;
            cu_j_r <= 4'd0;
            if (clr_pend_r) begin
                clr_pend_r <= 1'b0;
                cu_op_r <= U_CLR;
            end else if (rxw_pend_r) begin
                rxw_pend_r <= 1'b0;
                cu_op_r <= U_RXW;
            end else if (copy_pend_r) begin
                copy_pend_r <= 1'b0;
                cu_op_r <= U_COPY;
            end else if (tot_pend_r) begin
                tot_pend_r <= 1'b0;
                cu_op_r <= U_TOT;
            end else if (drop_pend_r) begin
                drop_pend_r <= 1'b0;
                cu_op_r <= U_DROP;
            end else if (sat_pend_r) begin
                sat_pend_r <= 1'b0;
                cu_op_r <= U_SAT;
            end else begin
                cu_op_r <= U_DECL;           // run_pend_r stays set until the RUN ops end
            end
        end else begin
            cu_ph_r <= !cu_ph_r;
            if (cu_ph_r) begin
                cu_j_r <= cu_j_r + 4'd1;
                cu_c_r <= u_sum[8];
                cu_z_r <= u_zero;
            end
            if (u_end) begin
                cu_busy_r <= 1'b0;
                case (cu_op_r)
                    U_DROP: sat_pend_r <= u_sum[8];
                    U_DECL: begin
                        left_z_r <= u_zero;
                        cu_busy_r <= 1'b1;           // then the frame count
                        cu_op_r <= U_DECK;
                        cu_j_r <= 4'd0;
                    end
                    U_DECK: begin
                        k_z_r <= u_zero;
                        if (u_zero) begin            // reload k
                            cu_busy_r <= 1'b1;
                            cu_op_r <= U_COPY;
                            cu_j_r <= 4'd0;
                        end else begin
                            run_pend_r <= 1'b0;
                        end
                    end
                    U_COPY: run_pend_r <= 1'b0;
                    default: ;
                endcase
            end
        end
    end

    assign o_q = cq_r;
    assign o_q_ok = cq_ok_r;
    assign o_run_busy = run_pend_r;
    assign o_left_z = left_z_r;
    assign o_k_z = k_z_r;
endmodule

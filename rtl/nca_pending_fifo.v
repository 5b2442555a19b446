// SPDX-License-Identifier: Apache-2.0
// nca_pending_fifo - the compact core's pending-update FIFO: the ring of slots that hold
// updated cells until the scan no longer needs their old words, and the rule that says when
// the oldest may be written back.
//
// Usage: the slots themselves live in the core's scratch RAM (slot s at 16 s, its tag at
// 1040 + s); this block keeps the ring. i_clear empties it and ends a flush (a step's phase B
// starts); i_push appends the slot at o_tail, i_pop drops the one at o_head (at most one of
// the two a clock; both move one slot, wrapping after SLOTS - 1). o_elig (combinational)
// says that the oldest update, at cell (i_tag_x, i_tag_y) read from the head's tag, may be
// committed: the FIFO is not empty and either i_flush has been seen since i_clear (the scan
// is done) or the scan at (i_x, i_y), i_y > 0, has perceived (tag_x + 1, tag_y + 1), i.e.
// cell (tag_x, tag_y + 1) comes before (i_x, i_y): 64 tag_y + tag_x < 64 (i_y - 1) + i_x,
// one compare. No reset: the core clears it before each phase B.
`default_nettype none

module nca_pending_fifo #(
    parameter SLOTS = 65    // slots in the ring, 2..128 (the core: GRID_W + 1)
) (
    input  wire       clk,
    input  wire       i_clear,
    input  wire       i_flush,
    input  wire       i_push,
    input  wire       i_pop,
    input  wire [5:0] i_tag_x,
    input  wire [5:0] i_tag_y,
    input  wire [5:0] i_x,
    input  wire [5:0] i_y,
    output wire [6:0] o_head,
    output wire [6:0] o_tail,
    output wire       o_flush,
    output wire       o_elig
);
    generate
        if (SLOTS < 2 || SLOTS > 128) begin : g_bad_slots
            nca_pending_fifo_bad_SLOTS_2_to_128 u_stop ();
        end
    endgenerate

    localparam [31:0] SL32 = SLOTS - 1;
    localparam [6:0]  LAST = SL32[6:0];
    reg  [6:0] head_r, tail_r, count_r;
    reg        flush_r;
    assign o_head = head_r;
    assign o_tail = tail_r;
    assign o_flush = flush_r;
    assign o_elig = (count_r != 7'd0) &&
                    (flush_r || (i_y != 6'd0 && {i_tag_y, i_tag_x} < {i_y - 6'd1, i_x}));

    always @(posedge clk) begin
        if (i_clear) begin
            head_r <= 7'd0;
            tail_r <= 7'd0;
            count_r <= 7'd0;
            flush_r <= 1'b0;
        end else begin
            if (i_flush)
                flush_r <= 1'b1;
            if (i_push) begin
                tail_r <= (tail_r == LAST) ? 7'd0 : tail_r + 7'd1;
                count_r <= count_r + 7'd1;
            end else if (i_pop) begin
                head_r <= (head_r == LAST) ? 7'd0 : head_r + 7'd1;
                count_r <= count_r - 7'd1;
            end
        end
    end
endmodule

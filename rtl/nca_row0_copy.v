// SPDX-License-Identifier: Apache-2.0
// nca_row0_copy - the compact core's copy of grid row 0 for the torus: the old words of row 0
// that row H-1 reads as its lower neighbours after row 0 has been updated in place.
//
// Usage: while i_run (phase A on a torus), o_issue asks for grid word (o_x, row 0, channel
// o_c) one a clock, x-major, channels 0..CHANNELS-1; i_gword is that word one clock later (a
// synchronous RAM) and goes into the copy at {x, c}. o_done rises after the last word
// (GRID_W x CHANNELS clocks of i_run) and stays until i_restart (phase A ends) sets the copy
// up for the next step. Reads: i_ren / i_raddr = {x, c}, data on o_rdata the next clock.
`default_nettype none

module nca_row0_copy #(
    parameter GRID_W   = 64,  // grid width in cells, 3..64
    parameter CHANNELS = 16   // state channels, 4..16
) (
    input  wire        clk,
    input  wire        i_rst,
    input  wire        i_run,
    input  wire        i_restart,
    output wire        o_issue,
    output wire [5:0]  o_x,
    output wire [3:0]  o_c,
    input  wire [15:0] i_gword,
    output wire        o_done,
    input  wire        i_ren,
    input  wire [9:0]  i_raddr,
    output wire [15:0] o_rdata
);
    generate
        if (GRID_W < 3 || GRID_W > 64) begin : g_bad_grid_w
            nca_row0_copy_bad_GRID_W_3_to_64 u_stop ();
        end
        if (CHANNELS < 4 || CHANNELS > 16) begin : g_bad_channels
            nca_row0_copy_bad_CHANNELS_4_to_16 u_stop ();
        end
    endgenerate

    localparam [31:0] W32 = GRID_W, C32 = CHANNELS;
    localparam [5:0]  WM1 = W32[5:0] - 6'd1;
    localparam [3:0]  CM1 = C32[3:0] - 4'd1;
    reg  [5:0] x_r;                      // next word (x, c) to read
    reg  [3:0] c_r;
    reg  [9:0] w_r;                      // the word read last clock
    reg        v_r, done_r;
    assign o_issue = i_run && !done_r;
    assign o_x = x_r;
    assign o_c = c_r;
    assign o_done = done_r;

    always @(posedge clk) begin
        if (i_rst) begin
            x_r <= 6'd0;
            c_r <= 4'd0;
            done_r <= 1'b0;
            v_r <= 1'b0;
        end else begin
            v_r <= o_issue;
            w_r <= {x_r, c_r};
            if (o_issue) begin
                c_r <= (c_r == CM1) ? 4'd0 : c_r + 4'd1;
                if (c_r == CM1) begin
                    x_r <= x_r + 6'd1;
                    if (x_r == WM1)
                        done_r <= 1'b1;
                end
            end
            if (i_restart) begin
                x_r <= 6'd0;
                c_r <= 4'd0;
                done_r <= 1'b0;
            end
        end
    end

    nca_ram_1r1w #(.WIDTH(16), .DEPTH(1024), .SLICE(16), .NO_COLLIDE(1)) u_row0 (
        .clk(clk), .i_ren(i_ren), .i_raddr(i_raddr), .o_rdata(o_rdata), .i_wen(v_r),
        .i_waddr(w_r), .i_wdata(i_gword));
endmodule

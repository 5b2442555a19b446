// SPDX-License-Identifier: Apache-2.0
// nca_neighbours_serial - the compact core's perception read: where each of a cell's 9
// neighbour words comes from (the grid, a zero outside it, the torus's row-0 copy or a
// column-0 copy in the scratch memory), and the word that arrives.
//
// Usage: the core asks for the words of a channel in the order k = 0..8 (i_k): (dy, dx) =
// (1, 1), (0, 1), (2, 1), then (0, 0), (0, 2), (1, 0), (1, 2), (2, 0), (2, 2) of the cell
// (i_x, i_y) (with i_y_prev / i_y_next / i_y_last of the grid): the centre and the dx = 1
// column first, so the previous channel's Sobel-y sum stays put for one more clock and the
// Sobel-x sum for three (nca_perceive_serial writes each sum from its own accumulator).
// Combinationally: o_dy / o_dx, the neighbour's cell (o_nb_x, o_nb_y), and where to read
// it: o_zero (outside the grid, zero boundary: no read), o_row0 (row H-1's lower
// neighbours on a torus: the copy of row 0), o_col0 (column W-1's right neighbours of the
// row above on a torus, once column 0 of that row is updated: its copy), else the grid.
// One clock later (the reads' data) o_word is the word from i_grid, i_row0 or i_scratch as
// asked. i_cell (one clock, as a cell's perception starts) updates the column-0 bookkeeping:
// a copy of column 0 is made for the row of a cell in column 0 (one slot per row parity)
// and used by the cell in column W-1 of the next row when that slot still holds the row
// above; i_clear (phase B starts) forgets both slots.
`default_nettype none

module nca_neighbours_serial #(
    parameter GRID_W = 64   // grid width in cells, 3..64
) (
    input  wire        clk,
    input  wire        i_clear,
    input  wire        i_cell,
    input  wire        i_wrap,
    input  wire [3:0]  i_k,
    input  wire [5:0]  i_x,
    input  wire [5:0]  i_y,
    input  wire [5:0]  i_y_prev,
    input  wire [5:0]  i_y_next,
    input  wire        i_y_last,
    output wire [1:0]  o_dy,
    output wire [1:0]  o_dx,
    output wire [5:0]  o_nb_x,
    output wire [5:0]  o_nb_y,
    output wire        o_zero,
    output wire        o_row0,
    output wire        o_col0,
    input  wire [15:0] i_grid,
    input  wire [15:0] i_row0,
    input  wire [15:0] i_scratch,
    output wire [15:0] o_word
);
    generate
        if (GRID_W < 3 || GRID_W > 64) begin : g_bad_grid_w
            nca_neighbours_serial_bad_GRID_W_3_to_64 u_stop ();
        end
    endgenerate

    localparam [31:0] W32 = GRID_W;
    localparam [5:0]  WM1 = W32[5:0] - 6'd1;
    wire [1:0] dy = (i_k == 4'd0 || i_k == 4'd5 || i_k == 4'd6) ? 2'd1 :
                    (i_k == 4'd2 || i_k == 4'd7 || i_k == 4'd8) ? 2'd2 : 2'd0;
    wire [1:0] dx = (i_k == 4'd3 || i_k == 4'd5 || i_k == 4'd7) ? 2'd0 :
                    (i_k == 4'd4 || i_k == 4'd6 || i_k == 4'd8) ? 2'd2 : 2'd1;
    assign o_dy = dy;
    assign o_dx = dx;
    // the cell's neighbour columns / rows (wrapped) and edge flags
    wire [5:0] xm1 = (i_x == 6'd0) ? WM1 : i_x - 6'd1;
    wire [5:0] xp1 = (i_x == WM1) ? 6'd0 : i_x + 6'd1;
    wire       nx_lo = (dx == 2'd0) && (i_x == 6'd0);
    wire       nx_hi = (dx == 2'd2) && (i_x == WM1);
    wire       ny_lo = (dy == 2'd0) && (i_y == 6'd0);
    wire       ny_hi = (dy == 2'd2) && i_y_last;
    assign o_nb_x = (dx == 2'd0) ? xm1 : (dx == 2'd1) ? i_x : xp1;
    assign o_nb_y = (dy == 2'd0) ? i_y_prev : (dy == 2'd1) ? i_y : i_y_next;
    assign o_zero = !i_wrap && (nx_lo || nx_hi || ny_lo || ny_hi);
    assign o_row0 = i_wrap && ny_hi;

    // column-0 copies: one slot per row parity, valid bit and the row it holds
    reg  [1:0] c0v_r;
    reg  [5:0] c0tag0_r, c0tag1_r;
    reg        c0ok_r;                   // this cell reads its upper right words there
    wire [5:0] c0tag = i_y[0] ? c0tag0_r : c0tag1_r;  // slot of row y-1
    assign o_col0 = c0ok_r && (dx == 2'd2) && (dy == 2'd0);
    always @(posedge clk) begin
        if (i_clear)
            c0v_r <= 2'b00;
        if (i_cell) begin
            c0ok_r <= i_wrap && (i_x == WM1) && (i_y != 6'd0) && c0v_r[~i_y[0]] &&
                      (c0tag == i_y - 6'd1);
            if (i_x == 6'd0) begin
                c0v_r[i_y[0]] <= 1'b1;
                if (i_y[0])
                    c0tag1_r <= i_y;
                else
                    c0tag0_r <= i_y;
            end
        end
    end

    // the word arriving: 0 zero, 1 grid, 2 row 0, 3 column 0 (scratch)
    reg  [1:0] src_r;
    always @(posedge clk)
        src_r <= o_zero ? 2'd0 : o_row0 ? 2'd2 : o_col0 ? 2'd3 : 2'd1;
    assign o_word = (src_r == 2'd0) ? 16'd0 : (src_r == 2'd1) ? i_grid :
                    (src_r == 2'd2) ? i_row0 : i_scratch;
endmodule

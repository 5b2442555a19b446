// SPDX-License-Identifier: Apache-2.0
// nca_neighbour_addr - the wide core's perception reads: which neighbour of the cell
// (i_xc, i_yc) each of the nine reads fetches, and its grid address, from registers.
//
// Usage: i_win is high in the clock before read k's clock, with i_k = k (0..8): row by row
// (dy = 0, 1, 2 for y - 1, y, y + 1), each row centre column first (dx = 1, 0, 2 for x,
// x - 1, x + 1). In read k's clock o_win is high and o_dx, o_dy, o_x, o_y (the neighbour's
// column and row, wrapping at the edges), o_addr (y * GRID_W + x) and o_out (the neighbour
// is outside a zero-boundary grid, i_wrap low) describe it. i_xc and i_yc must hold from
// the clock before the first read to the last read: x +- 1, y +- 1 and the row bases are
// registered from them, so the address waits on no decode and no adder but, for a width
// that is not a power of two, the row base plus x (the 40x40 25F's critical path ran from
// the slot counter through the decode, x +- 1 and y * W + x into the memory's address).
`default_nettype none

module nca_neighbour_addr #(
    parameter GRID_W = 64,  // grid width in cells, 3..1024
    parameter GRID_H = 64   // grid height in cells, 3..1024 (GRID_W*GRID_H <= 2^20)
) (
    input  wire                                clk,
    input  wire                                i_rst,
    input  wire                                i_win,
    input  wire [3:0]                          i_k,
    input  wire [$clog2(GRID_W)-1:0]           i_xc,
    input  wire [$clog2(GRID_H)-1:0]           i_yc,
    input  wire                                i_wrap,
    output reg                                 o_win,
    output reg  [1:0]                          o_dx,
    output reg  [1:0]                          o_dy,
    output wire [$clog2(GRID_W)-1:0]           o_x,
    output wire [$clog2(GRID_H)-1:0]           o_y,
    output wire [$clog2(GRID_W*GRID_H)-1:0]    o_addr,
    output wire                                o_out
);
    generate
        if (GRID_W < 3 || GRID_W > 1024) begin : g_bad_grid_w
            nca_neighbour_addr_bad_GRID_W_3_to_1024 u_stop ();
        end
        if (GRID_H < 3 || GRID_H > 1024 || GRID_W * GRID_H > (1 << 20)) begin : g_bad_grid_h
            nca_neighbour_addr_bad_GRID_H_3_to_1024_cells_2_20 u_stop ();
        end
    endgenerate

    localparam W = GRID_W, H = GRID_H;
    localparam XW = $clog2(W), YW = $clog2(H), AW = $clog2(W * H);
    localparam W_POW2 = ((1 << XW) == W);

    `include "nca_cell_addr.vh"   // cell_addr(x, y) = y * W + x

    always @(posedge clk) begin
        o_win <= !i_rst && i_win;
        o_dy <= (i_k < 4'd3) ? 2'd0 : (i_k < 4'd6) ? 2'd1 : 2'd2;
        o_dx <= (i_k == 4'd0 || i_k == 4'd3 || i_k == 4'd6) ? 2'd1 :
                (i_k == 4'd1 || i_k == 4'd4 || i_k == 4'd7) ? 2'd0 : 2'd2;
    end

    reg [XW-1:0] xm1_r, xp1_r;         // i_xc - 1, i_xc + 1, wrapping
    reg [YW-1:0] ym1_r, yp1_r;         // i_yc - 1, i_yc + 1, wrapping
    reg [AW-1:0] rbm_r, rbc_r, rbp_r;  // their row bases (y * W)
    wire [YW-1:0] ym1 = (i_yc == {YW{1'b0}}) ? H[YW-1:0] - 1'b1 : i_yc - 1'b1;
    wire [YW-1:0] yp1 = (i_yc == H[YW-1:0] - 1'b1) ? {YW{1'b0}} : i_yc + 1'b1;
    always @(posedge clk) begin
        xm1_r <= (i_xc == {XW{1'b0}}) ? W[XW-1:0] - 1'b1 : i_xc - 1'b1;
        xp1_r <= (i_xc == W[XW-1:0] - 1'b1) ? {XW{1'b0}} : i_xc + 1'b1;
        ym1_r <= ym1;
        yp1_r <= yp1;
        rbm_r <= cell_addr({XW{1'b0}}, ym1);
        rbc_r <= cell_addr({XW{1'b0}}, i_yc);
        rbp_r <= cell_addr({XW{1'b0}}, yp1);
    end
    wire xlo = (o_dx == 2'd0) && (i_xc == {XW{1'b0}});
    wire xhi = (o_dx == 2'd2) && (i_xc == W[XW-1:0] - 1'b1);
    wire ylo = (o_dy == 2'd0) && (i_yc == {YW{1'b0}});
    wire yhi = (o_dy == 2'd2) && (i_yc == H[YW-1:0] - 1'b1);
    assign o_x = (o_dx == 2'd0) ? xm1_r : (o_dx == 2'd1) ? i_xc : xp1_r;
    assign o_y = (o_dy == 2'd0) ? ym1_r : (o_dy == 2'd1) ? i_yc : yp1_r;
    wire [AW-1:0] row = (o_dy == 2'd0) ? rbm_r : (o_dy == 2'd1) ? rbc_r : rbp_r;
    assign o_addr = W_POW2 ? cell_addr(o_x, o_y) : row + {{(AW-XW){1'b0}}, o_x};
    assign o_out = !i_wrap && (xlo || xhi || ylo || yhi);
endmodule

`default_nettype wire

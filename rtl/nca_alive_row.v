// SPDX-License-Identifier: Apache-2.0
// nca_alive_row - one row of an alive mask: OR of "alpha > T" bits over the 3x3
// neighbourhood (docs/fixed-point.md "The step", steps 1 and 3), all cells of a row at once.
//
// Usage: combinational. i_up, i_mid, i_dn are the mature bits (alpha word > T) of rows
// y-1, y, y+1 (bit x = cell x; give 0 for a row outside a zero-boundary grid, the wrapped
// row for a torus); o_row bit x = any mature cell in columns x-1..x+1 of the three rows,
// columns wrapping when i_wrap is 1 and reading as 0 outside otherwise.
`default_nettype none

module nca_alive_row #(
    parameter GRID_W = 64  // cells per row, 3..1024
) (
    input  wire [GRID_W-1:0] i_up,
    input  wire [GRID_W-1:0] i_mid,
    input  wire [GRID_W-1:0] i_dn,
    input  wire              i_wrap,
    output wire [GRID_W-1:0] o_row
);
    generate
        if (GRID_W < 3 || GRID_W > 1024) begin : g_bad_grid_w
            nca_alive_row_bad_GRID_W_3_to_1024 u_stop ();
        end
    endgenerate

    wire [GRID_W-1:0] v = i_up | i_mid | i_dn;            // vertical OR
    wire [GRID_W-1:0] from_left = {v[GRID_W-2:0], i_wrap & v[GRID_W-1]};  // bit x = v[x-1]
    wire [GRID_W-1:0] from_right = {i_wrap & v[0], v[GRID_W-1:1]};        // bit x = v[x+1]
    assign o_row = v | from_left | from_right;
endmodule

`default_nettype wire

// SPDX-License-Identifier: Apache-2.0
// nca_cell_addr.vh - cell_addr(x, y): a cell's word address in the grid memory, y * W + x.
//
// Usage: `include "nca_cell_addr.vh" inside a module body after its localparams W (the grid
// width), XW, YW (the widths of x and y) and AW (of an address) (no include guard: each
// including module needs its own copy). Combinational; a constant multiplier, so a power-of-
// two width is a concatenation.

function [AW-1:0] cell_addr;
    input [XW-1:0] x;
    input [YW-1:0] y;
    begin
        cell_addr = y * W[AW-1:0] + {{(AW-XW){1'b0}}, x};
    end
endfunction

// SPDX-License-Identifier: Apache-2.0
// nca_lt.vh - nca_lt(x, c): x < c (unsigned, 32 bits) written as plain logic.
//
// Usage: `include "nca_lt.vh" inside a module body (it declares one function there; no
// include guard, since each including module needs its own copy), callers pad both
// arguments to 32 bits. Combinational. Yosys maps a `<` to a carry chain, about one logic
// cell a bit even when c is a constant; with a constant c this loop folds to a few LUTs.
// Tools need the rtl/ folder on their include path (Verilator and Icarus -I; Yosys finds it
// beside the including file).

function nca_lt;
    input [31:0] x;
    input [31:0] c;
    integer i;
    reg l, e;
    begin
        l = 1'b0;
        e = 1'b1;
        for (i = 31; i >= 0; i = i - 1) begin
            l = l | (e & c[i] & !x[i]);
            e = e & (x[i] == c[i]);
        end
        nca_lt = l;
    end
endfunction

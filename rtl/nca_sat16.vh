// SPDX-License-Identifier: Apache-2.0
// nca_sat16.vh - nca_sat16(v): a signed value clamped to int16 (docs/fixed-point.md sat16).
//
// Usage: `include "nca_sat16.vh" inside a module body (it declares one function there; no
// include guard, since each including module needs its own copy); callers sign-extend v to
// 34 bits, the widest sum it takes (nca_mlp's residual). Combinational.

function [15:0] nca_sat16;
    input signed [33:0] v;
    begin
        if (v > 34'sd32767)
            nca_sat16 = 16'h7FFF;
        else if (v < -34'sd32768)
            nca_sat16 = 16'h8000;
        else
            nca_sat16 = v[15:0];
    end
endfunction

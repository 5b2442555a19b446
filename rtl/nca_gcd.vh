// SPDX-License-Identifier: Apache-2.0
// nca_gcd.vh - nca_gcd(a, b): the greatest common divisor of two positive integers, for
// elaboration-time constants (the UARTs' fractional bit dividers).
//
// Usage: `include "nca_gcd.vh" inside a module body (one constant function there, no
// include guard: each including module needs its own copy) and use it in a localparam.
// Tools need the rtl/ folder on their include path (as for nca_lt.vh).

function integer nca_gcd;
    input integer a0, b0;
    integer a, b, t;
    begin
        a = a0;
        b = b0;
        while (b != 0) begin
            t = a % b;
            a = b;
            b = t;
        end
        nca_gcd = a;
    end
endfunction

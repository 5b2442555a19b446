// SPDX-License-Identifier: Apache-2.0
// nca_ram_1r1w - behavioural simple dual-port RAM (one synchronous read port, one write
// port with a per-bit write mask); the generic on-chip memory of the core.
//
// Usage: o_rdata shows mem[i_raddr] one clock after i_ren (read-before-write: a read and
// a write of the same address in one clock return the old word). A write stores the bits
// of i_wdata whose i_wmask bit is 1. Yosys infers iCE40 SB_RAM40_4K (which has a per-bit
// MASK) or ECP5 DP16KD (per-byte enables; bit masks become read-modify-write-free splits
// into narrower blocks) from this description. No reset of the contents.
`default_nettype none

module nca_ram_1r1w #(
    parameter WIDTH = 16,  // word width in bits, 1..4096
    parameter DEPTH = 256  // words, 2..65536
) (
    input  wire                     clk,
    input  wire                     i_ren,
    input  wire [$clog2(DEPTH)-1:0] i_raddr,
    output reg  [WIDTH-1:0]         o_rdata,
    input  wire                     i_we,
    input  wire [$clog2(DEPTH)-1:0] i_waddr,
    input  wire [WIDTH-1:0]         i_wdata,
    input  wire [WIDTH-1:0]         i_wmask
);
    generate
        if (WIDTH < 1 || WIDTH > 4096 || DEPTH < 2 || DEPTH > 65536) begin : g_bad_params
            nca_illegal_parameter_set_ram u_stop ();
        end
    endgenerate

    reg [WIDTH-1:0] mem [0:DEPTH-1];
`ifndef VERILATOR
    integer b;
`endif

    always @(posedge clk) begin
        if (i_ren)
            o_rdata <= mem[i_raddr];
        if (i_we) begin
`ifdef VERILATOR
            // same behaviour; Verilator 5.006 cannot do delayed writes to array bits in loops
            mem[i_waddr] <= (mem[i_waddr] & ~i_wmask) | (i_wdata & i_wmask);
`else
            for (b = 0; b < WIDTH; b = b + 1)
                if (i_wmask[b])
                    mem[i_waddr][b] <= i_wdata[b];
`endif
        end
    end
endmodule

`default_nettype wire

// SPDX-License-Identifier: Apache-2.0
// nca_ram_1r1w - behavioural simple dual-port RAM (one synchronous read port, one write
// port with a write enable per SLICE bits); the generic on-chip memory of the core.
//
// Usage: o_rdata shows mem[i_raddr] one clock after i_ren (read-before-write: a read and
// a write of the same address in one clock return the old word). A write stores slice s
// of i_wdata (bits [s*SLICE +: SLICE]) where i_wen[s] is 1; no enable set = no write.
// Yosys infers iCE40 SB_RAM40_4K (per-bit MASK) or ECP5 DP16KD (byte enables) with the
// slices as write-enable groups. No reset of the contents.
// NO_COLLIDE = 1 is a promise of the caller that no clock reads (i_ren) the address it
// writes: synthesis then drops the read-before-write bypass logic (Yosys `no_rw_check`:
// about 2 x WIDTH FFs and WIDTH LUTs less on iCE40), and Verilator stops on a collision.
`default_nettype none

module nca_ram_1r1w #(
    parameter WIDTH = 16,  // word width in bits, 1..4096
    parameter DEPTH = 256, // words, 2..65536
    parameter SLICE = 16,  // bits per write enable, divides WIDTH
    parameter NO_COLLIDE = 0  // 1: never a read of the address written in that clock, 0..1
) (
    input  wire                     clk,
    input  wire                     i_ren,
    input  wire [$clog2(DEPTH)-1:0] i_raddr,
    output reg  [WIDTH-1:0]         o_rdata,
    input  wire [WIDTH/SLICE-1:0]   i_wen,
    input  wire [$clog2(DEPTH)-1:0] i_waddr,
    input  wire [WIDTH-1:0]         i_wdata
);
    localparam NS = WIDTH / SLICE;  // write-enable slices

    generate
        if (WIDTH < 1 || WIDTH > 4096) begin : g_bad_width
            nca_ram_1r1w_bad_WIDTH_1_to_4096 u_stop ();
        end
        if (DEPTH < 2 || DEPTH > 65536) begin : g_bad_depth
            nca_ram_1r1w_bad_DEPTH_2_to_65536 u_stop ();
        end
        if (SLICE < 1 || NS * SLICE != WIDTH) begin : g_bad_slice
            nca_ram_1r1w_bad_SLICE_a_divisor_of_WIDTH u_stop ();
        end
        if (NO_COLLIDE != 0 && NO_COLLIDE != 1) begin : g_bad_no_collide
            nca_ram_1r1w_bad_NO_COLLIDE_0_or_1 u_stop ();
        end
    endgenerate

`ifdef VERILATOR
    reg [WIDTH-1:0] mem [0:DEPTH-1];
    always @(posedge clk)
        if (NO_COLLIDE == 1 && i_ren && |i_wen && i_raddr == i_waddr) begin
            $display("%m: FAIL: read and write of address %0d in one clock", i_raddr);
            $stop;
        end
    // same behaviour; Verilator 5.006 cannot do delayed writes to array slices in loops. The
    // mask is made in the write's branch: no work on the clocks that do not write.
    function [WIDTH-1:0] slice_mask;
        input [NS-1:0] en;
        integer s;
        begin
            for (s = 0; s < NS; s = s + 1)
                slice_mask[s*SLICE +: SLICE] = {SLICE{en[s]}};
        end
    endfunction
    always @(posedge clk) begin
        if (i_ren)
            o_rdata <= mem[i_raddr];
        if (|i_wen)
            mem[i_waddr] <= (mem[i_waddr] & ~slice_mask(i_wen)) | (i_wdata & slice_mask(i_wen));
    end
`else
    generate
        if (NO_COLLIDE == 1) begin : g_nrw
            (* no_rw_check *) reg [WIDTH-1:0] mem [0:DEPTH-1];
            integer s;
            always @(posedge clk) begin
                if (i_ren)
                    o_rdata <= mem[i_raddr];
                for (s = 0; s < NS; s = s + 1)
                    if (i_wen[s])
                        mem[i_waddr][s*SLICE +: SLICE] <= i_wdata[s*SLICE +: SLICE];
            end
        end else begin : g_rbw
            reg [WIDTH-1:0] mem [0:DEPTH-1];
            integer s;
            always @(posedge clk) begin
                if (i_ren)
                    o_rdata <= mem[i_raddr];
                for (s = 0; s < NS; s = s + 1)
                    if (i_wen[s])
                        mem[i_waddr][s*SLICE +: SLICE] <= i_wdata[s*SLICE +: SLICE];
            end
        end
    endgenerate
`endif
endmodule

`default_nettype wire

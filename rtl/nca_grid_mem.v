// SPDX-License-Identifier: Apache-2.0
// nca_grid_mem - the cell grid: one word per cell holding all channels, one port.
//
// Usage: one access per clock on a single port (like the iCE40 SB_SPRAM256KA): i_en with
// i_we = 0 reads mem[i_addr] into o_rdata one clock later; i_en with i_we = 1 writes
// i_wdata. Word = channel c in bits [16c+15:16c], address = y * GRID_W + x.
// Mapping per family (the rest of the core only sees this port):
//  - behavioural (this file): an inferred single-port RAM (Verilator, Icarus, ECP5 EBR).
//  - iCE40 UP5K: 4 x SB_SPRAM256KA side by side = 64-bit x 16K words = 128 KB, exactly a
//    64x64x16 int16 grid; a 256-bit cell is then 4 beats of 64 bits at addresses
//    {cell, beat} (the wrapper holds a 4-beat shift register; 4 clocks per cell access).
//  - ECP5: DP16KD blocks cascaded to width 16*CHANNELS (a 64x64x16 grid = 128 KB = 57 of
//    the 208 EBR of an LFE5U-85F, too many for a 25F/45F: those take a 32x32 grid).
`default_nettype none

module nca_grid_mem #(
    parameter WIDTH = 256,  // bits per cell word = 16 * channels, 64..256
    parameter CELLS = 4096  // cells = GRID_W * GRID_H, 9..1048576
) (
    input  wire                     clk,
    input  wire                     i_en,
    input  wire                     i_we,
    input  wire [$clog2(CELLS)-1:0] i_addr,
    input  wire [WIDTH-1:0]         i_wdata,
    output reg  [WIDTH-1:0]         o_rdata
);
    generate
        if (WIDTH < 64 || WIDTH > 256) begin : g_bad_width
            nca_grid_mem_bad_WIDTH_64_to_256 u_stop ();
        end
        if (CELLS < 9 || CELLS > 1048576) begin : g_bad_cells
            nca_grid_mem_bad_CELLS_9_to_1048576 u_stop ();
        end
    endgenerate

    reg [WIDTH-1:0] mem [0:CELLS-1];

    always @(posedge clk) begin
        if (i_en) begin
            if (i_we)
                mem[i_addr] <= i_wdata;
            else
                o_rdata <= mem[i_addr];
        end
    end
endmodule

`default_nettype wire

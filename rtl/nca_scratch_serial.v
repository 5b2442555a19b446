// SPDX-License-Identifier: Apache-2.0
// nca_scratch_serial - the compact core's scratch memory: 1,280 16-bit words (the pending-
// update FIFO's slots and tags, the torus's column-0 copies, a cell's perception vector and
// hidden bytes) with a write enable per byte.
//
// Usage: one read and one write port, both synchronous: i_ren / i_raddr, data on o_rdata the
// next clock; i_wen (a bit per byte) / i_waddr / i_wdata. Words 0..1023 and 1024..1279 are
// two memories (4 EBR of 1024 x 4 and 1 EBR on the UP5K: a 2:1 read multiplexer instead of
// a 5:1 one); rd_hi_r remembers which one the last read was of. o_rdata holds between reads.
`default_nettype none

module nca_scratch_serial (
    input  wire        clk,
    input  wire        i_ren,
    input  wire [10:0] i_raddr,
    output wire [15:0] o_rdata,
    input  wire [1:0]  i_wen,
    input  wire [10:0] i_waddr,
    input  wire [15:0] i_wdata
);
    wire [15:0] rdata_lo, rdata_hi;
    reg         rd_hi_r;                 // the last read was of the upper memory
    always @(posedge clk)
        if (i_ren)
            rd_hi_r <= i_raddr[10];
    assign o_rdata = rd_hi_r ? rdata_hi : rdata_lo;
    nca_ram_1r1w #(.WIDTH(16), .DEPTH(1024), .SLICE(8), .NO_COLLIDE(1)) u_lo (
        .clk(clk), .i_ren(i_ren && !i_raddr[10]), .i_raddr(i_raddr[9:0]), .o_rdata(rdata_lo),
        .i_wen(i_waddr[10] ? 2'b00 : i_wen), .i_waddr(i_waddr[9:0]), .i_wdata(i_wdata));
    nca_ram_1r1w #(.WIDTH(16), .DEPTH(256), .SLICE(8), .NO_COLLIDE(1)) u_hi (
        .clk(clk), .i_ren(i_ren && i_raddr[10]), .i_raddr(i_raddr[7:0]), .o_rdata(rdata_hi),
        .i_wen(i_waddr[10] ? i_wen : 2'b00), .i_waddr(i_waddr[7:0]), .i_wdata(i_wdata));
endmodule

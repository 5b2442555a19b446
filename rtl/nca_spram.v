// SPDX-License-Identifier: Apache-2.0
// nca_spram - 64K x 16-bit single-port grid memory as four 16K x 16 banks: the four
// SB_SPRAM256KA of an iCE40 UP5K, or a behavioural model of them.
//
// Usage: one access per clock. i_en && !i_we reads word i_addr: o_rdata shows it one
// clock later and holds it until the next read. i_en && i_we writes i_wdata to word
// i_addr; with i_all it writes the same in-bank address i_addr[13:0] of all four banks
// at once (the core erases 4 words per clock that way). Bank = i_addr[15:14].
// USE_SB = 1 instantiates SB_SPRAM256KA (iCE40 UP5K only, Yosys/nextpnr); USE_SB = 0 is
// plain behavioural code for Verilator, Icarus and other families (Yosys `-spram` may
// map it). Read data during a write is not defined (as on the SPRAM); no reset.
`default_nettype none

module nca_spram #(
    parameter USE_SB = 0  // 1: SB_SPRAM256KA primitives (iCE40 UP5K), 0: behavioural
) (
    input  wire        clk,
    input  wire        i_en,
    input  wire        i_we,
    input  wire        i_all,
    input  wire [15:0] i_addr,
    input  wire [15:0] i_wdata,
    output wire [15:0] o_rdata
);
    generate
        if (USE_SB != 0 && USE_SB != 1) begin : g_bad_use_sb
            nca_spram_bad_USE_SB_0_or_1 u_stop ();
        end
    endgenerate

    reg  [1:0]  bank_r;       // bank of the last read
    wire [63:0] dout;
    always @(posedge clk)
        if (i_en && !i_we)
            bank_r <= i_addr[15:14];
    assign o_rdata = dout[16*bank_r +: 16];

    genvar b;
    generate
        for (b = 0; b < 4; b = b + 1) begin : g_bank
            wire sel = i_en && (i_all || i_addr[15:14] == b[1:0]);
            if (USE_SB == 1) begin : g_sb
                SB_SPRAM256KA u_ram (
                    .ADDRESS(i_addr[13:0]), .DATAIN(i_wdata), .MASKWREN(4'b1111),
                    .WREN(i_we), .CHIPSELECT(sel), .CLOCK(clk), .STANDBY(1'b0),
                    .SLEEP(1'b0), .POWEROFF(1'b1), .DATAOUT(dout[16*b +: 16]));
            end else begin : g_beh
                reg [15:0] mem [0:16383];
                reg [15:0] q_r;
                always @(posedge clk)
                    if (sel) begin
                        if (i_we)
                            mem[i_addr[13:0]] <= i_wdata;
                        else
                            q_r <= mem[i_addr[13:0]];
                    end
                assign dout[16*b +: 16] = q_r;
            end
        end
    endgenerate
endmodule

`default_nettype wire

// SPDX-License-Identifier: Apache-2.0
// nca_weights_serial - the compact core's weight store: OP_LOAD decoded into one 64-bit
// memory of W1 and W2 bytes (8 MAC lanes a word) and one of biases and shifts.
//
// Usage: i_ld for one clock with an OP_LOAD command (selector i_ld_sel LD_W1 / LD_W2 /
// LD_B1 / LD_S1 / LD_B2 / LD_S2, indices i_ld_a, i_ld_b, value i_ld_data), with i_nfilt /
// i_n_in of the configured kernel set (filters 1..4, 0 counting as 4; layer-1 inputs);
// loads out of range are dropped; a load is written the clock after i_ld. Reads are
// synchronous: i_w_ren / i_w_raddr, data on o_w_rdata the next clock; likewise i_b_ren /
// i_b_raddr / o_b_rdata.
// Memory map. W1 word g*I + i = 8 bytes (unit 8g + l in byte l; g*I without a multiplier,
// as (g x filters) x CHANNELS); W2 word W1_WORDS + 128 q + j = bytes of outputs 8q + l.
// B word j = {s1[j], b1[j + 8]}, word 128 + k = {s2[k], b2[k + 8]} (shift in bits 29:25,
// bias in 24:0); b1[0..7] at words 248..255, b2[0..7] at 120..127: a requant reads the
// shift of a lane and the bias of that lane in the next group together, and loads the
// bias into the lane's accumulator once it has read it (layer 1's first group: during the
// perception; layer 2's first group: 8 more reads after the last layer-1 group). W1 and W2
// share a memory (1,024 words by default: Yosys makes it 16 EBR of 1024 x 4, so no read
// multiplexer, nor a W1 / W2 one).
`default_nettype none

module nca_weights_serial #(
    parameter CHANNELS = 16,  // state channels, 4..16
    parameter HIDDEN   = 128, // largest hidden layer, 1..128
    parameter W1_WORDS = 768  // layer-1 words, 8..1024 (ceil(hidden/8) x inputs must fit)
) (
    input  wire            clk,
    input  wire            i_ld,
    input  wire [2:0]      i_ld_sel,
    input  wire [15:0]     i_ld_a,
    input  wire [15:0]     i_ld_b,
    /* verilator lint_off UNUSEDSIGNAL */
    input  wire [31:0]     i_ld_data,    // bits 31:25 unused
    /* verilator lint_on UNUSEDSIGNAL */
    input  wire [2:0]      i_nfilt,
    input  wire [6:0]      i_n_in,
    input  wire            i_w_ren,
    /* verilator lint_off UNUSEDSIGNAL */
    input  wire [10:0]     i_w_raddr,    // bits above the memory's depth unused
    /* verilator lint_on UNUSEDSIGNAL */
    output wire [63:0]     o_w_rdata,
    input  wire            i_b_ren,
    input  wire [7:0]      i_b_raddr,
    output wire [29:0]     o_b_rdata
);
    generate
        if (CHANNELS < 4 || CHANNELS > 16) begin : g_bad_channels
            nca_weights_serial_bad_CHANNELS_4_to_16 u_stop ();
        end
        if (HIDDEN < 1 || HIDDEN > 128) begin : g_bad_hidden
            nca_weights_serial_bad_HIDDEN_1_to_128 u_stop ();
        end
        if (W1_WORDS < 8 || W1_WORDS > 1024) begin : g_bad_w1_words
            nca_weights_serial_bad_W1_WORDS_8_to_1024 u_stop ();
        end
    endgenerate

    `include "nca_core_ops.vh"   // LD_*
    `include "nca_lt.vh"         // nca_lt(x, c): x < c as plain logic
    localparam WM_DEPTH = W1_WORDS + (CHANNELS + 7) / 8 * 128;   // W2 after W1
    localparam WMA = $clog2(WM_DEPTH);
    localparam [31:0] C32 = CHANNELS, HID32 = HIDDEN, W1W32 = W1_WORDS;
    localparam [10:0] C11 = C32[10:0], W2_BASE = W1W32[10:0];

    // W1 word (j / 8) * I + i without a multiplier: g x I = (g x filters) x C, a 4 x 3-bit
    // product, then a constant factor (a shift for C = 16); filters 0 counts as 4
    wire [3:0]  ld_g = i_ld_a[6:3];
    wire [2:0]  nf4 = (i_nfilt == 3'd0) ? 3'd4 : i_nfilt;
    wire [5:0]  ld_gf = ld_g * nf4;
    wire [10:0] ld_gi = {5'd0, ld_gf} * C11;
    wire [10:0] ld_w1a = ld_gi + {4'd0, i_ld_b[6:0]};
    wire        ld_a_hid = nca_lt({16'd0, i_ld_a}, HID32);
    wire        ld_a_ch = nca_lt({16'd0, i_ld_a}, C32);
    wire        ld_w1_ok = i_ld && i_ld_sel == LD_W1 && ld_a_hid && i_ld_b[15:7] == 9'd0 &&
                           i_ld_b[6:0] < i_n_in && nca_lt({21'd0, ld_w1a}, W1W32);
    wire        ld_w2_ok = i_ld && i_ld_sel == LD_W2 && ld_a_ch && nca_lt({16'd0, i_ld_b}, HID32);
    /* verilator lint_off UNUSEDSIGNAL */
    wire [10:0] w_waddr = ld_w1_ok ? ld_w1a : W2_BASE + {3'd0, i_ld_a[3], i_ld_b[6:0]};
    /* verilator lint_on UNUSEDSIGNAL */
    wire        ld_b1 = i_ld && (i_ld_sel == LD_B1 || i_ld_sel == LD_S1) && ld_a_hid;
    wire        ld_b2 = i_ld && (i_ld_sel == LD_B2 || i_ld_sel == LD_S2) && ld_a_ch;
    wire        ld_bias = (i_ld_sel == LD_B1 || i_ld_sel == LD_B2);

    // the decoded write is registered and lands the clock after the command (timing: the
    // address arithmetic and range tests end at a flip-flop, not at the memories' write
    // enables); a core starts reading the weights later than that
    reg         w_we_r = 1'b0, b_we_r = 1'b0;   // no write from configuration on
    reg         b_bias_r;
    reg  [2:0]  w_lane_r;
    reg  [WMA-1:0] w_waddr_r;
    reg  [7:0]  w_wdata_r, b_waddr_r;
    reg  [29:0] b_wdata_r;
    always @(posedge clk) begin
        w_we_r <= ld_w1_ok || ld_w2_ok;
        w_lane_r <= i_ld_a[2:0];
        w_waddr_r <= w_waddr[WMA-1:0];
        w_wdata_r <= i_ld_data[7:0];
        b_we_r <= ld_b1 || ld_b2;
        b_bias_r <= ld_bias;
        b_waddr_r <= ld_b2 ? (ld_bias ? {i_ld_a[3] ? 5'b10000 : 5'b01111, i_ld_a[2:0]}
                                      : {4'b1000, i_ld_a[3:0]})
                           : (ld_bias ? {{1'b0, i_ld_a[6:3]} - 5'd1, i_ld_a[2:0]}
                                      : {1'b0, i_ld_a[6:0]});
        b_wdata_r <= {i_ld_data[4:0], i_ld_data[24:0]};
    end

    nca_ram_1r1w #(.WIDTH(64), .DEPTH(WM_DEPTH), .SLICE(8), .NO_COLLIDE(1)) u_w (
        .clk(clk), .i_ren(i_w_ren), .i_raddr(i_w_raddr[WMA-1:0]), .o_rdata(o_w_rdata),
        .i_wen(w_we_r ? 8'd1 << w_lane_r : 8'd0),
        .i_waddr(w_waddr_r), .i_wdata({8{w_wdata_r}}));

    /* verilator lint_off UNUSEDSIGNAL */
    wire [31:0] b_rdata;                 // bits 31:30 unused
    /* verilator lint_on UNUSEDSIGNAL */
    assign o_b_rdata = b_rdata[29:0];
    nca_ram_1r1w #(.WIDTH(32), .DEPTH(256), .SLICE(1), .NO_COLLIDE(1)) u_bias (
        .clk(clk), .i_ren(i_b_ren), .i_raddr(i_b_raddr), .o_rdata(b_rdata),
        .i_wen(b_we_r ? (b_bias_r ? 32'h01FF_FFFF : 32'h3E00_0000) : 32'd0),
        .i_waddr(b_waddr_r), .i_wdata({2'b0, b_wdata_r}));
endmodule

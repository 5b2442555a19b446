// SPDX-License-Identifier: Apache-2.0
// nca_hash_serial - the fire hash of docs/fixed-point.md (nca_hash's two ChaCha
// quarter-rounds) a nibble a clock, for the compact core: 64 clocks a cell and no 32-bit
// adder or rotator, about a quarter of nca_hash's logic.
//
// Usage: i_start (while !o_busy) hashes (seed, i_step, i_x, i_y): i_x is taken then,
// i_step and i_y must hold until o_busy falls 64 clocks later. o_done then rises with
// o_fire = (hash >> 16) < i_fire and o_x = the column hashed, and stays until i_ack (which
// wins over a finishing hash in the same clock). The seed is this block's register:
// i_seed_we loads it (1 after reset); it rotates by 4 bits a clock through the first 8
// clocks of a hash and is back in place after them. Eight ops, 8 digits each: even ops
// a += b, d = rotl(d ^ a, 16 or 8), odd ops c += d, b = rotl(b ^ c, 12 or 7). The
// registers rotate right by 4 bits a clock (each op brings them back); a register's digit
// is read at a tap (its offset: rotations are offset changes, no rotator) and written back
// in place 4 bits below it. Offsets (a, c: 0): d 0, 16, 8, 24, 16 and b 0, 20, 13, 1, 26 as
// the ops go. Op 0 reads seed, step and the constant d0 a digit a clock and loads b and c
// meanwhile (no parallel load). Output a^b^c^d (its high half at fixed places of the
// registers).
`default_nettype none

module nca_hash_serial (
    input  wire        clk,
    input  wire        i_rst,
    input  wire        i_seed_we,
    input  wire [31:0] i_seed,
    input  wire [16:0] i_fire,   // fire threshold, 0..65536
    input  wire [31:0] i_step,
    input  wire        i_start,
    input  wire [5:0]  i_x,
    input  wire [5:0]  i_y,
    input  wire        i_ack,
    output wire        o_busy,
    output wire        o_done,
    output wire [5:0]  o_x,
    output wire        o_fire
);
    reg  [31:0] seed_r;
    reg  [31:0] ha_r, hb_r, hc_r, hd_r;
    reg  [2:0]  hop_r, hdg_r;            // op 0..7, digit 0..7
    reg         hcy_r;                   // the digit adder's carry
    reg         busy_r, done_r;
    reg  [5:0]  x_r;                     // column of the cell hashed
    assign o_busy = busy_r;
    assign o_done = done_r;
    assign o_x = x_r;

    localparam [31:0] HASH_D0 = 32'h9E3779B9;
    wire        h_op0 = (hop_r == 3'd0), h_even = !hop_r[0];
    wire [3:0]  h_seed = seed_r[3:0];   // the seed rotates by 4 a clock in op 0 (and back)
    wire [3:0]  h_step = i_step[4*hdg_r +: 4];
    wire [3:0]  h_d0 = HASH_D0[4*hdg_r +: 4];
    wire [3:0]  h_c0 = (hdg_r == 3'd0) ? x_r[3:0] : (hdg_r == 3'd1) ? {2'b00, x_r[5:4]} :
                       (hdg_r == 3'd4) ? i_y[3:0] : (hdg_r == 3'd5) ? {2'b00, i_y[5:4]} : 4'd0;
    wire [3:0]  h_btap = (hop_r[2:1] == 2'd0) ? hb_r[3:0] : (hop_r[2:1] == 2'd1) ? hb_r[23:20] :
                         (hop_r[2:1] == 2'd2) ? hb_r[16:13] : hb_r[4:1];
    wire [3:0]  h_dtap = (hop_r == 3'd3 || hop_r == 3'd4) ? hd_r[11:8] :
                         (hop_r == 3'd5 || hop_r == 3'd6) ? hd_r[27:24] : hd_r[19:16];
    wire [3:0]  h_x = h_op0 ? h_seed : h_even ? ha_r[3:0] : hc_r[3:0];
    wire [3:0]  h_y = h_op0 ? h_step : h_even ? h_btap : h_dtap;
    wire [3:0]  h_z = h_op0 ? h_d0 : h_even ? h_dtap : h_btap;
    wire [4:0]  h_sum = {1'b0, h_x} + {1'b0, h_y} + {4'd0, hcy_r && hdg_r != 3'd0};
    wire [3:0]  h_zx = h_z ^ h_sum[3:0];
    // rotated right by 4, the digits written back
    reg  [31:0] ha_next, hb_next, hc_next, hd_next;
    always @* begin
        ha_next = {ha_r[3:0], ha_r[31:4]};
        hb_next = {hb_r[3:0], hb_r[31:4]};
        hc_next = {hc_r[3:0], hc_r[31:4]};
        hd_next = {hd_r[3:0], hd_r[31:4]};
        if (h_even) begin
            ha_next[31:28] = h_sum[3:0];
            case (hop_r[2:1])
                2'd0: hd_next[31:28] = h_zx;
                2'd1: hd_next[15:12] = h_zx;
                2'd2: hd_next[7:4] = h_zx;
                default: hd_next[23:20] = h_zx;
            endcase
        end else begin
            hc_next[31:28] = h_sum[3:0];
            case (hop_r[2:1])
                2'd0: hb_next[31:28] = h_zx;
                2'd1: hb_next[19:16] = h_zx;
                2'd2: hb_next[12:9] = h_zx;
                default: hb_next = {h_zx[2:0], hb_r[0], hb_r[31:5], h_zx[3]};   // 29..31, 0
            endcase
        end
        if (h_op0) begin
            hb_next[31:28] = h_step;
            hc_next[31:28] = h_c0;
        end
    end
    wire [15:0] hash_hi = ha_r[31:16] ^ hb_r[25:10] ^ hc_r[31:16] ^ hd_r[15:0];
    assign o_fire = ({1'b0, hash_hi} < i_fire);

    always @(posedge clk) begin
        if (i_rst) begin
            seed_r <= 32'd1;
            busy_r <= 1'b0;
        end else begin
            if (busy_r) begin
                if (h_op0)
                    seed_r <= {seed_r[3:0], seed_r[31:4]};
                ha_r <= ha_next;
                hb_r <= hb_next;
                hc_r <= hc_next;
                hd_r <= hd_next;
                hcy_r <= h_sum[4];
                hdg_r <= hdg_r + 3'd1;
                if (hdg_r == 3'd7)
                    hop_r <= hop_r + 3'd1;
                if (hop_r == 3'd7 && hdg_r == 3'd7) begin
                    busy_r <= 1'b0;
                    done_r <= 1'b1;
                end
            end
            if (i_seed_we)
                seed_r <= i_seed;
            if (i_ack)
                done_r <= 1'b0;
            if (i_start) begin
                x_r <= i_x;
                hop_r <= 3'd0;
                hdg_r <= 3'd0;
                busy_r <= 1'b1;
                done_r <= 1'b0;
            end
        end
    end
endmodule

`default_nettype wire

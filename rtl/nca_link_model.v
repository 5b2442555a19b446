// SPDX-License-Identifier: Apache-2.0
// nca_link_model - LOAD_MODEL parser: takes the bytes of a model file
// (docs/model-format.md) in order, checks the header against the build, writes the weight
// memories of the core through CFG/LOAD commands as the bytes stream in, and checks the
// file's CRC-32.
//
// Usage: i_start (one clock) begins a new file. Then file bytes on i_valid/i_byte, at
// least 12 clocks apart, i_byte held until the next (the UART gives one per 10 bit times
// and holds it). Each byte is decoded in the clock after it (its checks and command
// registered) and processed in the clocks after that: when it completes a field that the
// core needs, o_cmd_valid rises with o_cmd_op (1 CFG, 2 LOAD) and o_cmd_a/b/c as
// nca_core's command interface takes them (narrowed: a 3 bits, b 24 bits zero-extended,
// c 24 bits sign-extended), until i_cmd_ready (the core is idle, so that is at once).
// Order: CFG 0 hidden, CFG 1 kernels, CFG 2 boundary, CFG 3 fire threshold, CFG 5 SF, CFG 4
// alive threshold with the flag ALL_ACTIVE in bit 16 (from the header: format version 1,
// or 2 with the flags byte 22), then LOAD s1, s2, W1, b1, W2, b2 by index. o_pos counts the bytes
// taken. o_done rises when the last CRC byte (the end the header's dimensions give) has
// been processed; bytes after that are an error. o_err is the first problem (docs/
// protocol.md BAD_MODEL codes: 2 channels != CHANNELS, 3 hidden outside 1..HIDDEN,
// 4 kernel bits (3 also: the layer-1 weights, ceil(hidden / 8) x inputs words, exceed W1_WORDS),
// 6 magic/version/header size/size field/boundary/P/SF/flags/T/shift/bias out of
// range or a byte past the end; at o_done a CRC mismatch is 1 and takes precedence).
// After a header error (o_err set before the body) no more commands are issued.
`default_nettype none

module nca_link_model #(
    parameter CHANNELS = 16,  // state channels of the build, 4..16
    parameter HIDDEN   = 128, // largest hidden layer of the build, 1..128
    parameter W1_WORDS = 0    // layer-1 words the core holds (nca_core_seq: ceil(hidden/8) x
                              // inputs must fit), 0: no such limit (nca_core), else 8..1024
) (
    input  wire        clk,
    input  wire        i_rst,
    input  wire        i_start,
    input  wire        i_valid,
    input  wire [7:0]  i_byte,
    output wire        o_cmd_valid,
    output wire [3:0]  o_cmd_op,
    output reg  [2:0]  o_cmd_a,
    output reg  [23:0] o_cmd_b,
    output reg  [23:0] o_cmd_c,
    input  wire        i_cmd_ready,
    output reg  [13:0] o_pos,
    output reg         o_done,
    output wire [2:0]  o_err
);
    `include "nca_core_ops.vh"   // OP_*, CFG_*, LD_* (tools/gen_ids.py)
    generate
        if (CHANNELS < 4 || CHANNELS > 16) begin : g_bad_channels
            nca_link_model_bad_CHANNELS_4_to_16 u_stop ();
        end
        if (HIDDEN < 1 || HIDDEN > 128) begin : g_bad_hidden
            nca_link_model_bad_HIDDEN_1_to_128 u_stop ();
        end
        if (W1_WORDS != 0 && (W1_WORDS < 8 || W1_WORDS > 1024)) begin : g_bad_w1_words
            nca_link_model_bad_W1_WORDS_0_or_8_to_1024 u_stop ();
        end
    endgenerate

    localparam [2:0] SEC_HDR = 3'd0, SEC_S1 = 3'd1, SEC_S2 = 3'd2, SEC_W1 = 3'd3,
                     SEC_B1 = 3'd4, SEC_W2 = 3'd5, SEC_B2 = 3'd6, SEC_CRC = 3'd7;
    reg [2:0]   sec_r;
    reg [7:0]   u_r;            // row: unit j (s1, W1, b1) or channel k (s2, W2, b2)
    reg [6:0]   v_r;            // column: input i (W1) or unit j (W2)
    reg [1:0]   bb_r;           // byte in a 32-bit word
    reg [31:0]  val_r;          // the last four bytes, the newest in [31:24]
    reg [7:0]   hid_r;
    reg [3:0]   ker_r;
    reg         v2_r;           // format version 2: byte 22 holds the flags
    reg         all_r;          // flag ALL_ACTIVE
    reg [16:0]  fsize_r;        // the size field, bit 16: >= 65536
    reg [2:0]   err_r;
    reg         pend_r;         // a byte is waiting to be processed
    reg         dead_r;         // header error: no more commands
    wire [7:0]  b = val_r[31:24];
    // the CRC-32 runs over the file's CRC field too: a file whose CRC matches leaves the
    // residue 0xDEBB20E3 in the register (0x2144DF1C after the final xor)
    wire [31:0] crc;
    wire        crc_busy;
    nca_crc32 u_crc (
        .clk(clk), .i_init(i_start), .i_valid(i_valid && !o_done),
        .i_byte(i_byte), .o_busy(crc_busy), .o_crc(crc));
    assign o_err = (o_done && crc != 32'h2144DF1C) ? 3'd1 : err_r;

    // inputs of layer 1 minus one: popcount(kernels) x CHANNELS - 1
    wire [2:0] nfilt = {2'b00, ker_r[0]} + {2'b00, ker_r[1]} + {2'b00, ker_r[2]} +
                       {2'b00, ker_r[3]};
    wire [6:0] i_last = (nfilt == 3'd1) ? CHANNELS[6:0] - 7'd1 :
                        (nfilt == 3'd2) ? 7'd2 * CHANNELS[6:0] - 7'd1 :
                        (nfilt == 3'd3) ? 7'd3 * CHANNELS[6:0] - 7'd1 : 7'd4 * CHANNELS[6:0] - 7'd1;
    wire [7:0] h_last = hid_r - 8'd1;
    wire [7:0] c_last = CHANNELS[7:0] - 8'd1;
    // a 32-bit bias within +-2^24: bits 31..24 all equal to bit 23... |b| < 2^24
    wire bias_ok = (val_r[31:23] == 9'h000) || (val_r[31:23] == 9'h1FF && val_r[22:0] != 23'd0);

    `include "nca_lt.vh"   // nca_lt(x, c): x < c as plain logic
    // the most groups of 8 hidden units whose layer-1 words fit W1_WORDS, by filter count:
    // the check is ceil(hidden / 8) <= GMAX(filters of the kernel byte), no multiplier
    localparam integer GM1 = (W1_WORDS == 0) ? 16 : W1_WORDS / CHANNELS;
    localparam integer GM2 = (W1_WORDS == 0) ? 16 : W1_WORDS / (2 * CHANNELS);
    localparam integer GM3 = (W1_WORDS == 0) ? 16 : W1_WORDS / (3 * CHANNELS);
    localparam integer GM4 = (W1_WORDS == 0) ? 16 : W1_WORDS / (4 * CHANNELS);
    wire [2:0]  nfilt_b = {2'b00, b[0]} + {2'b00, b[1]} + {2'b00, b[2]} + {2'b00, b[3]};
    wire [4:0]  groups = hid_r[7:3] + {4'd0, hid_r[2:0] != 3'd0};  // a hidden size > HIDDEN failed at byte 13
    wire [31:0] gmax = (nfilt_b == 3'd1) ? GM1 : (nfilt_b == 3'd2) ? GM2 :
                       (nfilt_b == 3'd3) ? GM3 : GM4;
    wire        w1_fits = !nca_lt(gmax, {27'd0, groups});
    localparam H1I = HIDDEN + 1;
    localparam [7:0] H1 = H1I[7:0];

    // the command (if any) of the pending byte, and its field checks (d_*: decoded here,
    // registered in the clock after the byte, so that the checks end at flip-flops)
    reg        need;            // issue a command for this byte
    reg        bad;             // field error of this byte
    reg [2:0]  bad_code;
    reg        is_cfg;
    reg [2:0]  d_a;
    reg [23:0] d_b, d_c;
    always @* begin
        need = 1'b0;
        bad = 1'b0;
        bad_code = 3'd6;
        is_cfg = 1'b0;
        d_a = CFG_HIDDEN;
        d_b = {u_r, 9'd0, v_r};        // v_r is 0 outside W1 / W2
        d_c = {{16{b[7]}}, b};         // s1 / s2 bytes are <= 24 when not bad
        case (sec_r)
            SEC_HDR: begin
                is_cfg = 1'b1;
                d_b = {16'd0, b};
                case (o_pos[7:0])          // < 188 in the header
                    8'd0: bad = (b != 8'h4E);   // "NCAM"
                    8'd1: bad = (b != 8'h43);
                    8'd2: bad = (b != 8'h41);
                    8'd3: bad = (b != 8'h4D);
                    8'd4: bad = (b != 8'd1 && b != 8'd2);    // version 1 or 2
                    8'd5: bad = (b != 8'd0);
                    8'd6: bad = (b != 8'd188);  // header size
                    8'd7: bad = (b != 8'd0);
                    8'd22: bad = (b[7:1] != 7'd0) || (b[0] && !v2_r);  // flags (v1: 0)
                    8'd12: begin
                        bad = (b != CHANNELS[7:0]);
                        bad_code = 3'd2;
                    end
                    8'd13: begin
                        bad = (b == 8'd0) || !nca_lt({24'd0, b}, {24'd0, H1});
                        bad_code = 3'd3;
                        need = 1'b1;            // CFG_HIDDEN, the default
                    end
                    8'd14: begin
                        bad = !b[0] || (b[7:4] != 4'd0) || !w1_fits;
                        bad_code = (!b[0] || (b[7:4] != 4'd0)) ? 3'd4 : 3'd3;
                        need = 1'b1;
                        d_a = CFG_KERNELS;
                    end
                    8'd15: begin
                        bad = (b[7:1] != 7'd0);
                        need = 1'b1;
                        d_a = CFG_WRAP;
                    end
                    8'd19: begin
                        bad = (val_r[31:17] != 15'd0) || (val_r[16] && val_r[15:0] != 16'd0);
                        need = 1'b1;
                        d_a = CFG_FIRE;
                        d_b = val_r[23:0];     // <= 65536 when not bad
                    end
                    8'd20: begin
                        bad = nca_lt({24'd0, b}, 32'd4) || !nca_lt({24'd0, b}, 32'd15);
                        need = 1'b1;
                        d_a = CFG_SF;
                    end
                    8'd25: begin
                        bad = b[7];
                        need = 1'b1;
                        d_a = CFG_ALIVE;
                        d_b = {7'd0, all_r, val_r[31:16]};
                    end
                    default: ;
                endcase
            end
            SEC_S1: begin
                bad = !nca_lt({24'd0, b}, 32'd25);
                need = 1'b1;
                d_a = LD_S1;
            end
            SEC_S2: begin
                bad = !nca_lt({24'd0, b}, 32'd25);
                need = 1'b1;
                d_a = LD_S2;
            end
            SEC_W1, SEC_W2: begin
                need = 1'b1;
                d_a = (sec_r == SEC_W1) ? LD_W1 : LD_W2;
            end
            SEC_B1, SEC_B2: begin
                need = (bb_r == 2'd3);
                bad = (bb_r == 2'd3) && !bias_ok;
                d_a = (sec_r == SEC_B1) ? LD_B1 : LD_B2;
                d_c = val_r[23:0];          // bits 31..23 equal when not bad
            end
            default: ;
        endcase
    end
    reg        dec_r;           // the pending byte is decoded: need_r .. o_cmd_c hold it
    reg        need_r, bad_r, cfg_r;
    reg [2:0]  code_r;
    assign o_cmd_valid = dec_r && need_r && !dead_r && !bad_r;
    assign o_cmd_op = cfg_r ? OP_CFG : OP_LOAD;
    // the pending byte is done (a CRC byte once the CRC-32 has taken it in)
    wire go = dec_r && (!o_cmd_valid || i_cmd_ready) && !(sec_r == SEC_CRC && crc_busy);
    always @(posedge clk) begin
        if (pend_r && !dec_r) begin
            need_r <= need;
            bad_r <= bad;
            code_r <= bad_code;
            cfg_r <= is_cfg;
            o_cmd_a <= d_a;
            o_cmd_b <= d_b;
            o_cmd_c <= d_c;
        end
        if (i_rst || i_start || go)
            dec_r <= 1'b0;
        else if (pend_r)
            dec_r <= 1'b1;
    end

    always @(posedge clk) begin
        if (i_rst || i_start) begin
            o_pos <= 14'd0;
            sec_r <= SEC_HDR;
            err_r <= 3'd0;
            pend_r <= 1'b0;
            dead_r <= 1'b0;
            o_done <= 1'b0;
            bb_r <= 2'd0;
            hid_r <= 8'd1;
            ker_r <= 4'd1;
            v2_r <= 1'b0;
            all_r <= 1'b0;
        end else begin
            if (i_valid) begin
                if (o_done) begin
                    if (err_r == 3'd0)
                        err_r <= 3'd6;                  // bytes past the end
                end else begin
                    val_r <= {i_byte, val_r[31:8]};
                    pend_r <= 1'b1;
                end
            end
            if (go) begin
                pend_r <= 1'b0;
                o_pos <= o_pos + 14'd1;
                if (bad_r && err_r == 3'd0) begin
                    err_r <= code_r;
                    if (sec_r == SEC_HDR)
                        dead_r <= 1'b1;
                end
                case (sec_r)
                    SEC_HDR: begin
                        if (o_pos[7:0] == 8'd4)
                            v2_r <= (b == 8'd2);
                        if (o_pos[7:0] == 8'd22)
                            all_r <= b[0];
                        if (o_pos[7:0] == 8'd11)
                            fsize_r <= {val_r[31:16] != 16'd0, val_r[15:0]};
                        if (o_pos[7:0] == 8'd13)
                            hid_r <= b;
                        if (o_pos[7:0] == 8'd14)
                            ker_r <= b[3:0];
                        if (o_pos[7:0] == 8'd187) begin
                            sec_r <= SEC_S1;
                            u_r <= 8'd0;
                            v_r <= 7'd0;
                        end
                    end
                    SEC_S1: begin
                        u_r <= (u_r == h_last) ? 8'd0 : u_r + 8'd1;
                        if (u_r == h_last)
                            sec_r <= SEC_S2;
                    end
                    SEC_S2: begin
                        u_r <= (u_r == c_last) ? 8'd0 : u_r + 8'd1;
                        v_r <= 7'd0;
                        if (u_r == c_last)
                            sec_r <= SEC_W1;
                    end
                    SEC_W1, SEC_W2: begin
                        if (v_r == ((sec_r == SEC_W1) ? i_last : h_last[6:0])) begin
                            v_r <= 7'd0;
                            u_r <= u_r + 8'd1;
                            if (u_r == ((sec_r == SEC_W1) ? h_last : c_last)) begin
                                u_r <= 8'd0;
                                sec_r <= sec_r + 3'd1;
                            end
                        end else begin
                            v_r <= v_r + 7'd1;
                        end
                    end
                    SEC_B1, SEC_B2: begin
                        bb_r <= bb_r + 2'd1;
                        if (bb_r == 2'd3) begin
                            u_r <= u_r + 8'd1;
                            if (u_r == ((sec_r == SEC_B1) ? h_last : c_last)) begin
                                u_r <= 8'd0;
                                v_r <= 7'd0;
                                sec_r <= sec_r + 3'd1;
                            end
                        end
                    end
                    default: begin  // SEC_CRC: the CRC-32 checks at o_done
                        bb_r <= bb_r + 2'd1;
                        if (bb_r == 2'd3) begin
                            o_done <= 1'b1;
                            if (fsize_r != {3'd0, o_pos + 14'd1} && err_r == 3'd0 && !bad_r)
                                err_r <= 3'd6;
                        end
                    end
                endcase
            end
        end
    end
endmodule

`default_nettype wire

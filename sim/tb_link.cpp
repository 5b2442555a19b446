// SPDX-License-Identifier: Apache-2.0
// tb_link.cpp - Verilator bench of rtl/nca_board.v (link engine + nca_core) over its UART
// pins, at bit level, against the C reference model. The host side uses the host library's
// CRC-16 and RLE decoder (nca_link.h); the bench frames packets itself so that it can also
// send malformed ones (false lengths, flipped bits). The board sees only the serial line.
//
// Tests (each prints "tb_link: NAME: PASS" or "... FAIL: why"):
//   info      INFO fields against the build
//   errors    BAD_CMD, BAD_LEN, BAD_ARG, NO_MODEL, STATS with no model
//   badmodel  LOAD_MODEL with a corrupted byte -> BAD_MODEL 1, STEP -> NO_MODEL; a chunk
//             out of order -> BAD_MODEL 5; a chunk lost to a flipped bit -> no answer, its
//             resend BAD_MODEL 5, a new load from 0 OK; wrong channels -> BAD_MODEL 2
//   load      LOAD_MODEL of +model in 4,096-byte chunks (last one answers OK, model usable)
//   grow      SET seed/steps, CLEAR, SEED, STEP with a DAMAGE in between to +steps steps;
//             READ_STATE of every row (in chunks of different sizes) bit for bit against
//             nca_step_fixed at checkpoints; STEP's STATS against the C model and the
//             cycle model; READ_FRAME against nca_frame_rgba
//   wstate    WRITE_STATE of random rows (a copy with a flipped bit first: unanswered, the
//             resend repairs), READ_STATE back, SET 4 and the steps that follow
//   garbage   random bytes, truncated packets, packets with flipped bits, oversize lengths;
//             then INFO must answer and STATS counts the drops
//   uart      glitches, a framing error inside a request, a host UART 3% fast and slow
//   soak      +soak=N mixed requests (INFO, STATS, SET, SEED, DAMAGE, READ_STATE of one
//             row, CLEAR, READ_FRAME), every answer's sequence number and content checked
//   run       RUN with FRAME events checked against the C model, BUSY while running,
//             INFO/STATS while running, STOP; then a RUN with a step count
// Plusargs: +model=FILE +steps=N (100) +soak=N (10000) +tests=a,b,c or a/b/c (default all)
// +light (grow reads back only the middle rows except at the end) +seed=N +quiet +trace (VCD to +vcd=FILE when built with TRACE=1).
// Exit 0 when every test passed.
#include <verilated.h>
#if VM_TRACE
#include <verilated_vcd_c.h>
#endif
#include "Vnca_board.h"

extern "C" {
#include "nca.h"
#include "nca_cycles.h"
#include "nca_link.h"
}
#include "nca_uart_line.h"

#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <string>
#include <vector>

#ifndef TB_GRID_W
#define TB_GRID_W 64
#endif
#ifndef TB_GRID_H
#define TB_GRID_H 64
#endif
#ifndef TB_CHANNELS
#define TB_CHANNELS 16
#endif
#ifndef TB_HIDDEN
#define TB_HIDDEN 128
#endif
#ifndef TB_CORE
#define TB_CORE 0   // 0 nca_core, 1 nca_core_seq (its cycle model)
#endif
#ifndef TB_LANES
#define TB_LANES 16
#endif
#ifndef TB_CLK_HZ
#define TB_CLK_HZ 48000000
#endif
#ifndef TB_BAUD
#define TB_BAUD 3000000
#endif

static const unsigned W = TB_GRID_W, H = TB_GRID_H, C = TB_CHANNELS;
static const size_t ROWB = (size_t)W * C * 2;

static VerilatedContext *ctx;
static Vnca_board *top;
#if VM_TRACE
static VerilatedVcdC *vcd;
#endif
static uint64_t cycle;
static bool quiet;
static int failures;

// ---- bytes on the wire ------------------------------------------------------------------
static const double BIT = (double)TB_CLK_HZ / TB_BAUD;  // clocks per bit
static UartLine uart(BIT);          // the host's UART (tx_scale, framing errors)
static uint64_t glitch_until;       // the host line is held low until this clock
static std::vector<uint8_t> rxbuf;  // bytes from the board

static void tick()
{
    top->clk = 0;
    top->eval();
#if VM_TRACE
    if (vcd)
        vcd->dump(ctx->time());
#endif
    ctx->timeInc(1);
    top->clk = 1;
    top->eval();
#if VM_TRACE
    if (vcd)
        vcd->dump(ctx->time());
#endif
    ctx->timeInc(1);
    cycle++;
    // the host's UART; glitch_until forces the line low
    top->i_uart_rx = uart.clock(cycle, top->o_uart_tx, rxbuf);
    if (cycle < glitch_until)
        top->i_uart_rx = 0;
}

static void run_clocks(uint64_t n)
{
    for (uint64_t i = 0; i < n; i++)
        tick();
}

// ---- packets ------------------------------------------------------------------------------
static std::vector<uint8_t> packet(uint8_t cmd, uint8_t seq, const std::vector<uint8_t> &pl,
                                   int len_override = -1)
{
    std::vector<uint8_t> p = {0xA5, 0x5A, cmd, seq};
    size_t n = len_override >= 0 ? (size_t)len_override : pl.size();
    p.push_back((uint8_t)n);
    p.push_back((uint8_t)(n >> 8));
    p.insert(p.end(), pl.begin(), pl.end());
    uint16_t c = nca_crc16(p.data() + 2, p.size() - 2);
    p.push_back((uint8_t)c);
    p.push_back((uint8_t)(c >> 8));
    return p;
}

struct Packet {
    uint8_t cmd, seq;
    std::vector<uint8_t> pl;
};
static size_t rx_pos;             // parse position in rxbuf
static unsigned rx_bad;           // answer packets that did not check

// takes the next complete packet out of rxbuf, if any
static bool next_packet(Packet &out)
{
    for (;;) {
        while (rx_pos + 1 < rxbuf.size() && !(rxbuf[rx_pos] == 0xA5 && rxbuf[rx_pos + 1] == 0x5A))
            rx_pos++;
        if (rx_pos + 6 > rxbuf.size())
            return false;
        size_t n = rxbuf[rx_pos + 4] | (rxbuf[rx_pos + 5] << 8);
        if (rx_pos + 8 + n > rxbuf.size())
            return false;
        uint16_t c = nca_crc16(&rxbuf[rx_pos + 2], 4 + n);
        uint16_t got = (uint16_t)(rxbuf[rx_pos + 6 + n] | (rxbuf[rx_pos + 7 + n] << 8));
        if (c != got) {
            rx_bad++;
            rx_pos++;
            continue;
        }
        out.cmd = rxbuf[rx_pos + 2];
        out.seq = rxbuf[rx_pos + 3];
        out.pl.assign(rxbuf.begin() + (long)rx_pos + 6, rxbuf.begin() + (long)(rx_pos + 6 + n));
        rx_pos += 8 + n;
        return true;
    }
}

static std::deque<Packet> events;   // FRAME events seen while waiting for answers
static uint8_t seq_no;
static std::string fail_msg;

static bool fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static bool fail(const char *fmt, ...)
{
    char buf[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    if (fail_msg.empty())
        fail_msg = buf;
    return false;
}

// clocks to allow for n bytes each way plus some
static uint64_t byte_clocks(size_t n) { return (uint64_t)((double)n * 10 * BIT * 1.5) + 5000; }

// sends a request and waits for its answer (payload with the status byte first)
static bool request(uint8_t cmd, const std::vector<uint8_t> &pl, std::vector<uint8_t> &ans,
                    uint64_t extra_clocks = 0, size_t ans_size_hint = 64)
{
    uint8_t seq = seq_no++;
    std::vector<uint8_t> p = packet(cmd, seq, pl);
    uart.txq.insert(uart.txq.end(), p.begin(), p.end());
    const uint64_t start = cycle;
    uint64_t limit = cycle + byte_clocks(p.size() + ans_size_hint + 16) + extra_clocks;
#if TB_CORE == 1
    // nca_core_seq: CLEAR 16,384 clocks, erasures 5 x W x H, a slower refresh
    limit += 2 * extra_clocks + 32768 + 40ull * TB_GRID_W * TB_GRID_H * TB_CHANNELS;
#endif
    while (cycle < limit) {
        run_clocks(64);
        Packet a;
        while (next_packet(a)) {
            if (a.cmd == 0xE0) {
                events.push_back(a);
                continue;
            }
            if (a.cmd != (cmd | 0x80) || a.seq != seq)
                return fail("answer cmd 0x%02X seq %u to request 0x%02X seq %u", a.cmd, a.seq,
                            cmd, seq);
            if (a.pl.empty())
                return fail("empty answer to 0x%02X", cmd);
            ans = a.pl;
            return true;
        }
    }
    return fail("no answer to request 0x%02X seq %u within %llu clocks", cmd, seq,
                (unsigned long long)(limit - start));
}

static bool expect_status(uint8_t cmd, const std::vector<uint8_t> &pl, uint8_t status,
                          std::vector<uint8_t> *ans_out = nullptr, uint64_t extra = 0)
{
    std::vector<uint8_t> ans;
    if (!request(cmd, pl, ans, extra))
        return false;
    if (ans[0] != status)
        return fail("request 0x%02X: status %u (detail %d), expected %u", cmd, ans[0],
                    ans.size() > 1 ? ans[1] : -1, status);
    if (ans_out)
        *ans_out = ans;
    return true;
}

// sends a corrupted copy of a request (one payload bit flipped): no answer may come
static bool send_corrupted(uint8_t cmd, const std::vector<uint8_t> &pl, size_t bit)
{
    std::vector<uint8_t> p = packet(cmd, seq_no++, pl);
    p[6 + (bit / 8) % pl.size()] ^= (uint8_t)(1u << (bit % 8));
    uart.txq.insert(uart.txq.end(), p.begin(), p.end());
    run_clocks(byte_clocks(p.size() + 64));
    Packet a;
    if (next_packet(a))
        return fail("an answer 0x%02X to a corrupted request 0x%02X", a.cmd, cmd);
    return true;
}

static void put16(std::vector<uint8_t> &v, unsigned x)
{
    v.push_back((uint8_t)x);
    v.push_back((uint8_t)(x >> 8));
}
static void put32(std::vector<uint8_t> &v, uint32_t x)
{
    put16(v, x & 0xFFFF);
    put16(v, x >> 16);
}
static uint32_t get32(const uint8_t *p) { return p[0] | (p[1] << 8) | (p[2] << 16) | ((uint32_t)p[3] << 24); }
static uint16_t get16(const uint8_t *p) { return (uint16_t)(p[0] | (p[1] << 8)); }

// ---- the reference ------------------------------------------------------------------------
static nca_model model;
static std::vector<uint8_t> model_file;
static nca_grid g;
static nca_workspace ws;
static bool model_loaded;
static uint64_t total_clocks;       // sum of the cycle model's step clocks
static uint32_t last_clocks, last_pre, last_active;

static void ref_steps(unsigned n)
{
    for (unsigned k = 0; k < n; k++) {
        nca_step_stats st;
#if TB_CORE == 1
        last_clocks = (uint32_t)nca_cycles_step_seq(&model, &g, nullptr);
#else
        last_clocks = (uint32_t)nca_cycles_step(&model, &g, TB_LANES, nullptr);
#endif
        total_clocks += last_clocks;
        nca_step_fixed(&model, &g, &ws, &st);
        last_pre = st.pre_alive;
        last_active = st.active;
    }
}

static bool check_stats(const std::vector<uint8_t> &ans, const char *what)
{
    if (ans.size() != 29)
        return fail("%s: STATS answer of %zu bytes", what, ans.size());
    const uint8_t *s = &ans[1];
    if (get32(s) != g.step)
        return fail("%s: board steps %u, C model %u", what, get32(s), g.step);
    if (g.step > 0 && (get32(s + 4) != last_clocks || get32(s + 8) != last_pre ||
                       get32(s + 12) != last_active))
        return fail("%s: last step clocks/pre/active %u %u %u, C %u %u %u", what, get32(s + 4),
                    get32(s + 8), get32(s + 12), last_clocks, last_pre, last_active);
    uint64_t tot = get32(s + 16) | ((uint64_t)get32(s + 20) << 32);
    if (tot != total_clocks)
        return fail("%s: total clocks %llu, cycle model %llu", what, (unsigned long long)tot,
                    (unsigned long long)total_clocks);
    if ((s[26] & 1) != (model_loaded ? 1 : 0))
        return fail("%s: flags 0x%02X", what, s[26]);
    return true;
}

static bool light;  // +light: intermediate checks read only the middle rows

// READ_STATE of every row (rows y0..y1-1 when given), in chunks of `chunk` rows (0: varying),
// against the C grid
static bool compare_state(const char *what, unsigned chunk = 0, unsigned y0 = 0,
                          unsigned y1 = H)
{
    const unsigned maxr = (unsigned)(65534 / ROWB);
    unsigned y = y0, k = 0;
    while (y < y1) {
        unsigned rows = chunk ? chunk : 1 + (k * 7) % maxr;
        k++;
        if (rows > maxr)
            rows = maxr;
        if (y + rows > y1)
            rows = y1 - y;
        std::vector<uint8_t> pl, ans;
        put16(pl, y);
        put16(pl, rows);
        if (!request(0x31, pl, ans, 0, rows * ROWB + 1))
            return false;
        if (ans[0] != 0 || ans.size() != 1 + rows * ROWB)
            return fail("%s: READ_STATE rows %u..%u: status %u, %zu bytes", what, y,
                        y + rows - 1, ans[0], ans.size());
        const int16_t *ref = g.s + (size_t)y * W * C;
        for (size_t i = 0; i < rows * W * C; i++) {
            int16_t v = (int16_t)get16(&ans[1 + 2 * i]);
            if (v != ref[i]) {
                size_t cell = i / C;
                return fail("%s: cell (%zu,%zu) channel %zu: board %d, C %d", what,
                            cell % W, y + cell / W, i % C, v, ref[i]);
            }
        }
        y += rows;
    }
    return true;
}

static bool rle_decode(const uint8_t *p, size_t n, std::vector<uint8_t> &rgba)
{
    nca_error err;
    rgba.assign((size_t)W * H * 4, 0xEE);
    if (nca_rle_decode(p, n, rgba.data(), (size_t)W * H, &err) != NCA_OK)
        return fail("RLE: %s", err.msg);
    return true;
}

static bool check_frame_payload(const std::vector<uint8_t> &pl, const char *what)
{
    if (pl.size() < 6 || pl[0] != 0 || pl[1] != 1 || get16(&pl[2]) != W || get16(&pl[4]) != H)
        return fail("%s: frame header wrong (%zu bytes)", what, pl.size());
    std::vector<uint8_t> got, ref((size_t)W * H * 4);
    if (!rle_decode(pl.data() + 6, pl.size() - 6, got))
        return false;
    nca_frame_rgba(&g, 0, ref.data());
    for (size_t i = 0; i < ref.size(); i++)
        if (got[i] != ref[i])
            return fail("%s: pixel (%zu,%zu) byte %zu: board %u, C %u", what, (i / 4) % W,
                        (i / 4) / W, i % 4, got[i], ref[i]);
    return true;
}

static bool read_frame(const char *what)
{
    std::vector<uint8_t> ans;
    if (!request(0x30, {}, ans, (uint64_t)W * H * 60, (size_t)W * H * 4 + 64))
        return false;
    return check_frame_payload(ans, what);
}

// ---- tests ----------------------------------------------------------------------------------
static bool t_info()
{
    std::vector<uint8_t> ans;
    if (!expect_status(0x01, {}, 0, &ans))
        return false;
    if (ans.size() != 37)
        return fail("INFO answer of %zu bytes", ans.size());
    const uint8_t *p = &ans[1];
    if (memcmp(p, "NCAB", 4) || p[4] != 1 || get16(p + 6) != W || get16(p + 8) != H ||
        p[10] != C || p[11] != TB_HIDDEN || get16(p + 12) != TB_LANES ||
        get32(p + 14) != TB_CLK_HZ || get32(p + 18) != TB_BAUD || p[26] != 0 || p[27] != TB_CORE)
        return fail("INFO fields wrong");
    for (int i = 28; i < 36; i++)
        if (p[i])
            return fail("INFO reserved byte %d = %u", i, p[i]);
    if ((p[5] & 1) != (model_loaded ? 1 : 0) || (p[5] & 2))
        return fail("INFO flags 0x%02X", p[5]);
    return true;
}

static bool t_errors()
{
    std::vector<uint8_t> pl;
    if (!expect_status(0x05, {}, 1) || !expect_status(0x00, {}, 1) || !expect_status(0x7F, {1, 2}, 1))
        return false;
    if (!expect_status(0x01, {0}, 2) || !expect_status(0x11, {1, 2, 3}, 2) ||
        !expect_status(0x03, {0, 0, 0, 0, 0, 0}, 2) || !expect_status(0x31, {0, 0, 1}, 2))
        return false;
    pl.clear();
    put16(pl, W);
    put16(pl, 0);
    if (!expect_status(0x11, pl, 3))  // SEED outside the grid
        return false;
    if (!expect_status(0x03, {5, 0, 0, 0, 0}, 3) || !expect_status(0x03, {2, 2, 0, 0, 0}, 3) ||
        !expect_status(0x03, {3, 1, 0, 1, 0}, 3) || !expect_status(0x03, {4, 0, 0x80, 0, 0}, 3))
        return false;
    if (!expect_status(0x12, {3, 0, 0, 0, 0, 0, 0}, 3) || !expect_status(0x12, {1, 4, 0, 0, 0, 0, 0}, 3))
        return false;
    pl.clear();
    put16(pl, H - 1);
    put16(pl, 2);
    if (!expect_status(0x31, pl, 3))  // rows past the end
        return false;
    pl.clear();
    put16(pl, 0);
    put16(pl, 0);
    if (!expect_status(0x31, pl, 3))
        return false;
    pl.clear();
    put32(pl, 0);
    if (!expect_status(0x20, pl, 3))  // STEP 0
        return false;
    pl.clear();
    put32(pl, 1);
    if (!model_loaded && !expect_status(0x20, pl, 5))
        return false;
    pl.clear();
    put16(pl, 0);
    put32(pl, 0);
    if (!expect_status(0x21, pl, 3))  // RUN k = 0
        return false;
    std::vector<uint8_t> ans;
    if (!expect_status(0x33, {}, 0, &ans) || ans.size() != 29)
        return fail("STATS answer wrong");
    if (!expect_status(0x22, {}, 0, &ans) || ans.size() != 29)  // STOP when not running
        return fail("STOP answer wrong");
    // WRITE_STATE: short, rows past the end, length not matching the rows
    if (!expect_status(0x32, {0, 0}, 2))
        return false;
    pl.clear();
    put16(pl, H);
    put16(pl, 1);
    pl.resize(4 + ROWB);
    if (!expect_status(0x32, pl, 3))
        return false;
    pl.clear();
    put16(pl, 0);
    put16(pl, 1);
    pl.resize(4 + ROWB - 2);
    if (!expect_status(0x32, pl, 2))
        return false;
    // LOAD_MODEL: no bytes after the offset
    if (!expect_status(0x02, {0, 0, 0, 0}, 2))
        return false;
    return true;
}

// final_status/final_code: the answer expected to the last chunk, or earlier for a header
// error (BAD_MODEL with a code other than 1 may come with any chunk)
static bool load_chunks(const std::vector<uint8_t> &file, uint8_t final_status, int final_code)
{
    for (size_t off = 0; off < file.size(); off += 4096) {
        size_t n = file.size() - off < 4096 ? file.size() - off : 4096;
        std::vector<uint8_t> pl, ans;
        put32(pl, (uint32_t)off);
        pl.insert(pl.end(), file.begin() + (long)off, file.begin() + (long)(off + n));
        if (!request(0x02, pl, ans, (uint64_t)W * H * 48))  // the last chunk rewrites the grid
            return false;
        bool last = off + n == file.size();
        uint8_t want = (last || (final_status == 6 && final_code != 1 && ans[0] == 6)) ?
                       final_status : 0;
        if (ans[0] != want)
            return fail("LOAD_MODEL chunk at %zu: status %u (detail %d), expected %u", off,
                        ans[0], ans.size() > 1 ? ans[1] : -1, want);
        if (ans[0] == 6 && (ans.size() != 2 || ans[1] != final_code))
            return fail("LOAD_MODEL: BAD_MODEL detail %d, expected %d",
                        ans.size() > 1 ? ans[1] : -1, final_code);
        if (ans[0] != 0)
            return true;
    }
    return true;
}

static bool t_load()
{
    if (!load_chunks(model_file, 0, 0))
        return false;
    model_loaded = true;
    return t_info();
}

static bool t_badmodel()
{
    std::vector<uint8_t> bad = model_file;
    bad[bad.size() / 2] ^= 0x10;  // in W2
    if (!load_chunks(bad, 6, 1))
        return false;
    model_loaded = false;
    std::vector<uint8_t> pl;
    put32(pl, 1);
    if (!expect_status(0x20, pl, 5))
        return false;
    // a chunk out of order
    pl.clear();
    put32(pl, 100);
    pl.insert(pl.end(), model_file.begin() + 100, model_file.begin() + 200);
    std::vector<uint8_t> ans;
    if (!expect_status(0x02, pl, 6, &ans) || ans.size() != 2 || ans[1] != 5)
        return fail("LOAD_MODEL out of order: detail %d", ans.size() > 1 ? ans[1] : -1);
    // a chunk lost to a flipped bit goes unanswered; its resend is out of order (5), so the
    // host starts again at offset 0
    {
        std::vector<uint8_t> c0, c1;
        put32(c0, 0);
        c0.insert(c0.end(), model_file.begin(), model_file.begin() + 4096);
        put32(c1, 4096);
        c1.insert(c1.end(), model_file.begin() + 4096, model_file.begin() + 8192);
        if (!expect_status(0x02, c0, 0) || !send_corrupted(0x02, c1, 8 * 1000 + 3))
            return false;
        if (!expect_status(0x02, c1, 6, &ans) || ans.size() != 2 || ans[1] != 5)
            return fail("LOAD_MODEL resent after a lost chunk: detail %d",
                        ans.size() > 1 ? ans[1] : -1);
        if (!load_chunks(model_file, 0, 0))
            return false;
        model_loaded = true;
        if (!t_info())
            return false;
    }
    // the wrong channel count
    model_loaded = false;
    bad = model_file;
    bad[12] = (uint8_t)(C - 1);
    if (!load_chunks(bad, 6, 2))
        return false;
    return t_info();
}

static uint32_t rng_state = 12345;
static uint32_t rnd()
{
    rng_state = rng_state * 1664525u + 1013904223u;
    return rng_state >> 8;
}

static bool set_reg(uint8_t reg, uint32_t v)
{
    std::vector<uint8_t> pl = {reg};
    put32(pl, v);
    return expect_status(0x03, pl, 0, nullptr, reg == 4 ? (uint64_t)W * H * 48 : 0);
}

static bool step(unsigned n, const char *what)
{
    std::vector<uint8_t> pl, ans;
    put32(pl, n);
    ref_steps(n);
    if (!expect_status(0x20, pl, 0, &ans, (uint64_t)n * (W * H * 600 + 20000)))
        return false;
    return check_stats(ans, what);
}

static bool damage(const nca_damage &d)
{
    std::vector<uint8_t> pl = {(uint8_t)d.kind};
    put16(pl, (unsigned)d.a);
    put16(pl, (unsigned)d.b);
    put16(pl, (unsigned)d.c);
    nca_grid_damage(&g, &d);
    return expect_status(0x12, pl, 0, nullptr, (uint64_t)W * H * 2 + 200);
}

static bool seed_cell(unsigned x, unsigned y)
{
    std::vector<uint8_t> pl;
    put16(pl, x);
    put16(pl, y);
    nca_error err;
    nca_grid_seed(&g, x, y, &err);
    return expect_status(0x11, pl, 0);
}

static bool clear_grid()
{
    nca_grid_clear(&g);
    return expect_status(0x10, {}, 0, nullptr, (uint64_t)W * H + 100);
}

static unsigned grow_steps = 100;

// the middle rows only with +light
static bool compare_mid(const char *what, unsigned chunk = 0)
{
    return light ? compare_state(what, chunk, H / 2 - 4, H / 2 + 4) : compare_state(what, chunk);
}

static bool t_grow()
{
    if (!set_reg(0, 7) || !set_reg(1, 0))
        return false;
    g.seed = 7;
    g.step = 0;
    if (!clear_grid() || !seed_cell(W / 2, H / 2) || !compare_mid("after seed"))
        return false;
    unsigned first = grow_steps * 6 / 10;
    if (!step(1, "step 1") || !compare_mid("after step 1", 3))
        return false;
    if (!step(first - 1, "first steps") || !compare_mid("before damage"))
        return false;
    if (!read_frame("frame before damage"))
        return false;
    nca_damage d = {NCA_DMG_CIRCLE, (int)W / 2, (int)H / 2 - (int)H / 8, (int)W / 6};
    if (!damage(d) || !compare_mid("after damage", 1))
        return false;
    if (!step(grow_steps - first, "last steps") || !compare_state("at the end"))
        return false;
    return read_frame("frame at the end");
}

static bool t_wstate()
{
    const unsigned maxw = (unsigned)(4096 / ROWB);
    unsigned y0 = H / 3, rows = maxw > 2 ? 2 : maxw;
    std::vector<uint8_t> pl;
    put16(pl, y0);
    put16(pl, rows);
    for (size_t i = 0; i < rows * W * C; i++) {
        int16_t v = (int16_t)((int)(rnd() % 4096) - 1024);
        if (i % C == 3 && (i / C) % 3 == 0)
            v = (int16_t)(model.alive_q + 1 + (int)(rnd() % 1000));  // some mature cells
        g.s[(size_t)y0 * W * C + i] = v;
        put16(pl, (uint16_t)v);
    }
    // a corrupted copy first: its cells may be written, but it is not answered, and the
    // resend puts the right words in place
    if (!send_corrupted(0x32, pl, 8 * 4 + 8 * ROWB / 2 + 5))
        return false;
    if (!expect_status(0x32, pl, 0) || !compare_state("after WRITE_STATE", 4))
        return false;
    // the last row alone, then steps from there
    pl.clear();
    put16(pl, H - 1);
    put16(pl, 1);
    for (size_t i = 0; i < W * C; i++) {
        int16_t v = (int16_t)((int)(rnd() % 2048));
        g.s[(size_t)(H - 1) * W * C + i] = v;
        put16(pl, (uint16_t)v);
    }
    if (!expect_status(0x32, pl, 0))
        return false;
    // SET 4 (alive threshold) to a new value and back: the board re-derives its mature bits
    if (!set_reg(4, 2000))
        return false;
    model.alive_q = 2000;
    if (!step(2, "steps with T = 2000"))
        return false;
    model.alive_q = (int16_t)get16(&model_file[24]);
    if (!set_reg(4, (uint32_t)model.alive_q) || !step(3, "steps after WRITE_STATE"))
        return false;
    return compare_state("after WRITE_STATE and steps");
}

static bool t_garbage()
{
    std::vector<uint8_t> ans;
    if (!expect_status(0x33, {}, 0, &ans))
        return false;
    unsigned drops0 = get16(&ans[1 + 24]);
    unsigned sent_bad = 0;
    for (int round = 0; round < 40; round++) {
        std::vector<uint8_t> junk;
        int kind = round % 4;
        if (kind == 0) {  // random bytes, some of them sync bytes
            int n = 20 + (int)(rnd() % 200);
            for (int i = 0; i < n; i++)
                junk.push_back(rnd() % 5 == 0 ? 0xA5 : (uint8_t)rnd());
        } else if (kind == 1) {  // truncated packet
            std::vector<uint8_t> pl;
            put16(pl, 0);
            put16(pl, 1);
            junk = packet(0x31, 0x77, pl);
            junk.resize(3 + rnd() % (junk.size() - 3));
            sent_bad++;
        } else if (kind == 2) {  // a packet with a flipped bit
            std::vector<uint8_t> pl = {2};
            put32(pl, rnd());
            junk = packet(0x03, 0x55, pl);
            size_t at = 2 + rnd() % (junk.size() - 2);
            junk[at] ^= (uint8_t)(1u << (rnd() % 8));
            sent_bad++;
        } else {  // oversize length
            junk = packet(0x01, 0x66, {}, 4105 + (int)(rnd() % 60000));
            sent_bad++;
        }
        uart.txq.insert(uart.txq.end(), junk.begin(), junk.end());
        // let it go out, then a gap longer than LINK_TIMEOUT
        while (uart.tx_busy())
            run_clocks(16);
        run_clocks(TB_CLK_HZ / 1000 + 200);
        Packet a;
        while (next_packet(a))
            if (a.cmd != 0xE0)
                return fail("garbage round %d got an answer 0x%02X", round, a.cmd);
        // every few rounds a real request must work at once
        if (round % 5 == 4 && !t_info())
            return false;
    }
    if (!t_info())
        return false;
    if (!expect_status(0x33, {}, 0, &ans))
        return false;
    unsigned drops = get16(&ans[1 + 24]) - drops0;
    if (drops < sent_bad * 8 / 10)
        return fail("STATS counts %u dropped packets, %u bad ones sent", drops, sent_bad);
    if (!quiet)
        printf("tb_link: garbage: %u bad packets sent, %u counted dropped\n", sent_bad, drops);
    return true;
}

// the UART: glitches shorter than half a bit, a byte with a low stop bit inside a packet,
// and (at 12 or more clocks a bit) a host clock 3% fast and 3% slow
static bool t_uart()
{
    std::vector<uint8_t> ans;
    if (!expect_status(0x33, {}, 0, &ans))
        return false;
    unsigned drops0 = get16(&ans[1 + 24]);
    for (int k = 0; k < 20; k++) {  // glitches, then an idle line
        glitch_until = cycle + 1 + (uint64_t)(BIT * 0.4) * (unsigned)(k % 2);
        run_clocks((uint64_t)(BIT * 3) + 2);
    }
    Packet a;
    if (next_packet(a))
        return fail("a packet 0x%02X after glitches", a.cmd);
    if (!t_info())
        return false;
    // a framing error in the middle of a request: the packet is lost, the next one works
    std::vector<uint8_t> p = packet(0x01, seq_no++, {});
    for (size_t i = 0; i < p.size(); i++)
        uart.txq.push_back((uint16_t)(p[i] | (i == 4 ? 0x100 : 0)));
    while (uart.tx_busy())
        run_clocks(16);
    run_clocks(TB_CLK_HZ / 1000 + 200);
    if (next_packet(a))
        return fail("an answer 0x%02X to a request with a framing error", a.cmd);
    if (!t_info() || !expect_status(0x33, {}, 0, &ans))
        return false;
    if (get16(&ans[1 + 24]) == drops0)
        return fail("the packet with a framing error was not counted as dropped");
    if (BIT >= 12) {
        const double scales[2] = {0.97, 1.03};
        for (double sc : scales) {
            uart.tx_scale = sc;
            bool ok = t_info() && expect_status(0x33, {}, 0, &ans);
            uart.tx_scale = 1.0;
            if (!ok)
                return fail("host UART %+.0f%%: %s", (sc - 1) * 100, fail_msg.c_str());
        }
    }
    return true;
}

static unsigned soak_n = 10000;

static bool t_soak()
{
    const char *names[] = {"INFO", "STATS", "SET", "SEED", "READ_STATE", "DAMAGE", "CLEAR",
                           "READ_FRAME", "BAD_ARG"};
    unsigned counts[9] = {0};
    for (unsigned i = 0; i < soak_n; i++) {
        unsigned r = rnd() % 100;
        int kind = r < 25 ? 0 : r < 45 ? 1 : r < 60 ? 2 : r < 75 ? 3 : r < 90 ? 4 : r < 95 ? 5 :
                   r < 97 ? 6 : r < 98 ? 7 : 8;
        counts[kind]++;
        bool ok = true;
        std::vector<uint8_t> pl, ans;
        switch (kind) {
        case 0:
            ok = t_info();
            break;
        case 1:
            ok = expect_status(0x33, {}, 0, &ans) && check_stats(ans, "soak STATS");
            break;
        case 2: {
            uint32_t v = rnd();
            ok = set_reg(0, v);
            g.seed = v;
            break;
        }
        case 3:
            ok = seed_cell(rnd() % W, rnd() % H);
            break;
        case 4: {
            unsigned y = rnd() % H;
            put16(pl, y);
            put16(pl, 1);
            ok = request(0x31, pl, ans, 0, ROWB + 1);
            if (ok && (ans[0] != 0 || ans.size() != 1 + ROWB))
                ok = fail("soak READ_STATE: status %u, %zu bytes", ans[0], ans.size());
            for (size_t k = 0; ok && k < W * C; k++)
                if ((int16_t)get16(&ans[1 + 2 * k]) != g.s[(size_t)y * W * C + k])
                    ok = fail("soak READ_STATE row %u word %zu differs", y, k);
            break;
        }
        case 5: {
            nca_damage d = {(nca_damage_kind)(rnd() % 3), (int)(rnd() % W), (int)(rnd() % H),
                            (int)(rnd() % 8)};
            if (d.kind == NCA_DMG_HALF)
                d.a = (int)(rnd() % 4);
            ok = damage(d);
            break;
        }
        case 6:
            ok = clear_grid();
            break;
        case 7:
            ok = read_frame("soak READ_FRAME");
            break;
        default:
            put16(pl, W + rnd() % 100);
            put16(pl, 0);
            ok = expect_status(0x11, pl, 3);
            break;
        }
        if (!ok)
            return fail("soak request %u (%s): %s", i, names[kind], fail_msg.c_str());
    }
    if (!compare_state("after the soak"))
        return false;
    // nothing lost or duplicated: no bytes beyond the last answer
    run_clocks(byte_clocks(64));
    Packet a;
    if (next_packet(a))
        return fail("an extra packet 0x%02X after the soak", a.cmd);
    if (!quiet) {
        printf("tb_link: soak: %u requests:", soak_n);
        for (int k = 0; k < 9; k++)
            printf(" %s %u", names[k], counts[k]);
        printf("\n");
    }
    return true;
}

static bool wait_event(Packet &ev, uint64_t clocks)
{
    uint64_t limit = cycle + clocks;
    while (cycle < limit) {
        if (!events.empty()) {
            ev = events.front();
            events.pop_front();
            return true;
        }
        run_clocks(64);
        Packet a;
        while (next_packet(a)) {
            if (a.cmd == 0xE0)
                events.push_back(a);
            else
                return fail("unexpected packet 0x%02X while running", a.cmd);
        }
    }
    return fail("no FRAME event within %llu clocks", (unsigned long long)clocks);
}

static bool t_run()
{
    // regrow from a seed so that frames change
    if (!clear_grid() || !seed_cell(W / 2, H / 2) || !set_reg(1, 0))
        return false;
    g.step = 0;
    const unsigned k = 3;
    std::vector<uint8_t> pl, ans;
    put16(pl, k);
    put32(pl, 0);
    if (!expect_status(0x21, pl, 0))
        return false;
    const uint64_t frame_clocks = (uint64_t)k * (W * H * 600 + 20000) + byte_clocks((size_t)W * H * 4 + 64) + (uint64_t)W * H * 120;
    unsigned frames = 0;
    for (unsigned f = 0; f < 4; f++) {
        Packet ev;
        if (!wait_event(ev, frame_clocks))
            return false;
        ref_steps(k);
        if (ev.seq != (uint8_t)f)
            return fail("FRAME event %u has sequence %u", f, ev.seq);
        if (!check_frame_payload(ev.pl, "FRAME event"))
            return false;
        frames++;
        if (f == 1) {  // requests while running
            std::vector<uint8_t> st;
            put32(st, 1);
            if (!expect_status(0x20, st, 4, nullptr, frame_clocks) ||
                !expect_status(0x10, {}, 4, nullptr, frame_clocks) ||
                !expect_status(0x21, pl, 4, nullptr, frame_clocks))
                return false;
            if (!request(0x01, {}, ans, frame_clocks) || ans[0] != 0 || !(ans[6] & 2))
                return fail("INFO while running: flags not running");
            if (!expect_status(0x33, {}, 0, &ans, frame_clocks) || !(ans[1 + 26] & 2))
                return fail("STATS while running: flags not running");
        }
    }
    // STOP: the answer's step count tells how far the board went
    if (!expect_status(0x22, {}, 0, &ans, frame_clocks))
        return false;
    uint32_t board_steps = get32(&ans[1]);
    // events sent before the answer
    unsigned extra = 0;
    while (!events.empty()) {
        Packet ev = events.front();
        events.pop_front();
        ref_steps(k);
        if (!check_frame_payload(ev.pl, "FRAME event before STOP"))
            return false;
        extra++;
    }
    if (board_steps < g.step || board_steps >= g.step + k)
        return fail("STOP after %u steps, %u frames of %u seen", board_steps, frames + extra, k);
    ref_steps(board_steps - g.step);
    if (!check_stats(ans, "STOP") || !t_info() || !compare_state("after RUN/STOP"))
        return false;
    // RUN with a step count: frames after 3, 6 and the last at 7
    pl.clear();
    put16(pl, 3);
    put32(pl, 7);
    if (!expect_status(0x21, pl, 0))
        return false;
    const unsigned at[3] = {3, 3, 1};
    for (unsigned f = 0; f < 3; f++) {
        Packet ev;
        if (!wait_event(ev, frame_clocks))
            return false;
        ref_steps(at[f]);
        if (ev.seq != f || !check_frame_payload(ev.pl, "FRAME event of a counted RUN"))
            return fail("counted RUN frame %u: %s", f, fail_msg.c_str());
    }
    if (!t_info())
        return false;
    Packet ev;
    run_clocks(frame_clocks / 2);
    if (next_packet(ev) || !events.empty())
        return fail("an event after the counted RUN ended");
    if (!expect_status(0x33, {}, 0, &ans) || !check_stats(ans, "after the counted RUN"))
        return false;
    if (!quiet)
        printf("tb_link: run: %u + %u frames, STOP after %u steps\n", frames, extra, board_steps);
    return true;
}

static const char *plusarg(const char *name)
{
    static std::vector<std::string> keep;
    keep.reserve(16);
    const char *v = ctx->commandArgsPlusMatch(name);
    if (!v || !*v)
        return nullptr;
    v += 1 + strlen(name);
    keep.push_back(*v == '=' ? v + 1 : v);
    return keep.back().c_str();
}

int main(int argc, char **argv)
{
    ctx = new VerilatedContext;
    ctx->commandArgs(argc, argv);
    top = new Vnca_board{ctx};
    const char *model_path = plusarg("model");
    if (!model_path)
        model_path = "weights/distill/ex3-regen-lizard.bin";
    if (const char *v = plusarg("steps"))
        grow_steps = (unsigned)strtoul(v, nullptr, 0);
    if (const char *v = plusarg("soak"))
        soak_n = (unsigned)strtoul(v, nullptr, 0);
    if (const char *v = plusarg("seed"))
        rng_state = (uint32_t)strtoul(v, nullptr, 0);
    const char *tests = plusarg("tests");
    std::string tlist = tests ? tests : "info,errors,badmodel,load,grow,wstate,garbage,uart,soak,run";
    quiet = ctx->commandArgsPlusMatch("quiet")[0] != 0;
    light = ctx->commandArgsPlusMatch("light")[0] != 0;
#if VM_TRACE
    const char *vcd_path = plusarg("vcd");
    if (ctx->commandArgsPlusMatch("trace")[0] && vcd_path) {
        ctx->traceEverOn(true);
        vcd = new VerilatedVcdC;
        top->trace(vcd, 99);
        vcd->open(vcd_path);
    }
#endif
    nca_error err;
    if (nca_model_load(model_path, &model, &err) != NCA_OK) {
        printf("tb_link: FAIL: %s\n", err.msg);
        return 1;
    }
    {
        FILE *f = fopen(model_path, "rb");
        if (!f) {
            printf("tb_link: FAIL: cannot open %s\n", model_path);
            return 1;
        }
        uint8_t buf[65536];
        size_t n = fread(buf, 1, sizeof buf, f);
        fclose(f);
        model_file.assign(buf, buf + n);
    }
    if (grow_steps < 4) {
        printf("tb_link: FAIL: +steps must be at least 4\n");
        return 1;
    }
    if (nca_grid_init(&g, &model, W, H, 1, 0, &err) != NCA_OK ||
        nca_workspace_init(&ws, &g, &err) != NCA_OK) {
        printf("tb_link: FAIL: %s\n", err.msg);
        return 1;
    }
    g.boundary = model.boundary;

    top->i_uart_rx = 1;
    top->i_rst = 1;
    run_clocks(4);
    top->i_rst = 0;
    run_clocks(TB_CLK_HZ / 1000 / 4);  // a quiet line first
    if (!top->o_led_idle) {
        printf("tb_link: FAIL: board not idle after reset\n");
        return 1;
    }

    struct Test {
        const char *name;
        bool (*fn)();
    } all[] = {{"info", t_info},   {"errors", t_errors},   {"badmodel", t_badmodel},
               {"load", t_load},   {"grow", t_grow},       {"wstate", t_wstate},
               {"garbage", t_garbage}, {"uart", t_uart},   {"soak", t_soak},
               {"run", t_run}};
    unsigned passed = 0, failed = 0;
    for (char &ch : tlist)  // "a,b" or "a/b" (make's $(call) splits at commas)
        if (ch == '/')
            ch = ',';
    std::string rest = "," + tlist + ",";
    for (const Test &t : all) {
        if (rest.find(std::string(",") + t.name + ",") == std::string::npos)
            continue;
        const bool needs_model = !strcmp(t.name, "grow") || !strcmp(t.name, "wstate") ||
                                 !strcmp(t.name, "soak") || !strcmp(t.name, "run");
        if (!model_loaded && needs_model) {
            // tests that need a model load it first
            fail_msg.clear();
            if (!t_load()) {
                printf("tb_link: %s: FAIL: loading the model: %s\n", t.name, fail_msg.c_str());
                failed++;
                continue;
            }
        }
        fail_msg.clear();
        uint64_t c0 = cycle;
        bool ok = t.fn();
        if (ok && uart.framing)
            ok = fail("%llu framing errors on the board's TX line",
                      (unsigned long long)uart.framing);
        if (ok && rx_bad)
            ok = fail("%u answer packets with a bad CRC", rx_bad);
        if (ok) {
            passed++;
            printf("tb_link: %s: PASS (%llu clocks)\n", t.name, (unsigned long long)(cycle - c0));
        } else {
            failed++;
            printf("tb_link: %s: FAIL: %s\n", t.name, fail_msg.c_str());
        }
        fflush(stdout);
    }
    printf("tb_link: %ux%u, %.2f clocks a bit: %u passed, %u failed, %llu clocks simulated\n", W, H,
           BIT, passed, failed, (unsigned long long)cycle);
    printf("tb_link: %s\n", failed ? "FAIL" : "PASS");
#if VM_TRACE
    if (vcd)
        vcd->close();
#endif
    nca_workspace_free(&ws);
    nca_grid_free(&g);
    top->final();
    delete top;
    return failed ? 1 : 0;
}

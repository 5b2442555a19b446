// SPDX-License-Identifier: Apache-2.0
// tb_link_bench.h - the harness of tb_link.cpp: nca_board over its UART pins at bit level,
// the bench's own packet framing (so that it can also send malformed packets), requests and
// their answers, and the C reference model the answers are checked against.
//
// Usage: struct LinkTests (tb_link.cpp) derives from LinkBench; tick() runs one clock with
// the host's UART; request() sends a packet and waits for its answer (FRAME events that
// arrive meanwhile queue in `events`); fail() records the first failure's text and returns
// false, so a test is `return step(...) && compare_state(...)`. The build's parameters come
// from the Verilated model (nca_board's are public): W, H, C, LANES, CORE, CLK_HZ, BAUD.
#ifndef TB_LINK_BENCH_H
#define TB_LINK_BENCH_H

#include "Vnca_board.h"
#include "Vnca_board_nca_board.h"
#include "nca_bench.h"
#include "nca_uart_line.h"

extern "C" {
#include "nca.h"
#include "nca_cycles.h"
#include "nca_link.h"
}

#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <string>
#include <vector>

using Board = Vnca_board_nca_board;
static constexpr unsigned W = Board::GRID_W, H = Board::GRID_H, C = Board::CHANNELS;
static constexpr unsigned HIDDEN = Board::HIDDEN, LANES = Board::LANES, CORE = Board::CORE;
static constexpr unsigned CLK_HZ = Board::CLK_HZ, BAUD = Board::BAUD;
static constexpr size_t ROWB = (size_t)W * C * 2;          // bytes of a row of state
static constexpr double BIT = (double)CLK_HZ / BAUD;       // clocks per bit

struct Packet {
    uint8_t cmd, seq;
    std::vector<uint8_t> pl;
};

struct LinkBench : NcaBench<Vnca_board> {
    LinkBench(int argc, char **argv) : NcaBench<Vnca_board>(argc, argv) {}
    ~LinkBench()
    {
        nca_workspace_free(&ws);
        nca_grid_free(&g);
    }
    bool quiet = false;

    // ---- bytes on the wire ------------------------------------------------------------------
    UartLine uart{BIT};          // the host's UART (tx_scale, framing errors)
    uint64_t glitch_until = 0;       // the host line is held low until this clock
    std::vector<uint8_t> rxbuf;  // bytes from the board

    void tick()
    {
        NcaBench<Vnca_board>::tick();
        // the host's UART; glitch_until forces the line low
        top->i_uart_rx = uart.clock(cycle, top->o_uart_tx, rxbuf);
        if (cycle < glitch_until)
            top->i_uart_rx = 0;
    }

    void run_clocks(uint64_t n)
    {
        for (uint64_t i = 0; i < n; i++)
            tick();
    }

    // ---- packets ------------------------------------------------------------------------------
    std::vector<uint8_t> packet(uint8_t cmd, uint8_t seq, const std::vector<uint8_t> &pl,
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

    size_t rx_pos = 0;             // parse position in rxbuf
    unsigned rx_bad = 0;           // answer packets that did not check

    // takes the next complete packet out of rxbuf, if any
    bool next_packet(Packet &out)
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

    std::deque<Packet> events;   // FRAME events seen while waiting for answers
    uint8_t seq_no = 0;
    std::string fail_msg;

    __attribute__((format(printf, 2, 3))) bool fail(const char *fmt, ...)
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
    uint64_t byte_clocks(size_t n) { return (uint64_t)((double)n * 10 * BIT * 1.5) + 5000; }
    // clocks to allow for the refresh after LOAD_MODEL and SET 4: every word read and
    // written back, about 7 clocks a word through nca_board's command slice
    uint64_t refresh_clocks() const { return (uint64_t)W * H * C * 8; }

    // sends a request and waits for its answer (payload with the status byte first)
    bool request(uint8_t cmd, const std::vector<uint8_t> &pl, std::vector<uint8_t> &ans,
                        uint64_t extra_clocks = 0, size_t ans_size_hint = 64)
    {
        uint8_t seq = seq_no++;
        std::vector<uint8_t> p = packet(cmd, seq, pl);
        uart.txq.insert(uart.txq.end(), p.begin(), p.end());
        const uint64_t start = cycle;
        uint64_t limit = cycle + byte_clocks(p.size() + ans_size_hint + 16) + extra_clocks;
        if (CORE == 1)   // nca_core_seq: CLEAR 16,384 clocks, erasures 5 x W x H, a slower refresh
            limit += 2 * extra_clocks + 32768 + 40ull * W * H * C;
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

    bool expect_status(uint8_t cmd, const std::vector<uint8_t> &pl, uint8_t status,
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
    bool send_corrupted(uint8_t cmd, const std::vector<uint8_t> &pl, size_t bit)
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

    void put16(std::vector<uint8_t> &v, unsigned x)
    {
        v.push_back((uint8_t)x);
        v.push_back((uint8_t)(x >> 8));
    }
    void put32(std::vector<uint8_t> &v, uint32_t x)
    {
        put16(v, x & 0xFFFF);
        put16(v, x >> 16);
    }
    uint32_t get32(const uint8_t *p) { return p[0] | (p[1] << 8) | (p[2] << 16) | ((uint32_t)p[3] << 24); }
    uint16_t get16(const uint8_t *p) { return (uint16_t)(p[0] | (p[1] << 8)); }

    // ---- the reference ------------------------------------------------------------------------
    nca_model model{};
    std::vector<uint8_t> model_file;
    nca_grid g{};
    nca_workspace ws{};
    bool model_loaded = false;
    uint64_t total_clocks = 0;       // sum of the cycle model's step clocks
    uint32_t last_clocks = 0, last_pre = 0, last_active = 0;

    void ref_steps(unsigned n)
    {
        for (unsigned k = 0; k < n; k++) {
            nca_step_stats st;
            last_clocks = (uint32_t)(CORE == 1 ? nca_cycles_step_seq(&model, &g, nullptr)
                                               : nca_cycles_step(&model, &g, LANES, nullptr));
            total_clocks += last_clocks;
            nca_step_fixed(&model, &g, &ws, &st);
            last_pre = st.pre_alive;
            last_active = st.active;
        }
    }

    bool check_stats(const std::vector<uint8_t> &ans, const char *what)
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

    bool light = false;  // +light: intermediate checks read only the middle rows

    // READ_STATE of every row (rows y0..y1-1 when given), in chunks of `chunk` rows (0: varying),
    // against the C grid
    bool compare_state(const char *what, unsigned chunk = 0, unsigned y0 = 0,
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

    bool rle_decode(const uint8_t *p, size_t n, std::vector<uint8_t> &rgba)
    {
        nca_error err;
        rgba.assign((size_t)W * H * 4, 0xEE);
        if (nca_rle_decode(p, n, rgba.data(), (size_t)W * H, &err) != NCA_OK)
            return fail("RLE: %s", err.msg);
        return true;
    }

    bool check_frame_payload(const std::vector<uint8_t> &pl, const char *what)
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

    bool read_frame(const char *what)
    {
        std::vector<uint8_t> ans;
        if (!request(0x30, {}, ans, (uint64_t)W * H * 60, (size_t)W * H * 4 + 64))
            return false;
        return check_frame_payload(ans, what);
    }
};

#endif

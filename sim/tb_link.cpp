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
//             resend BAD_MODEL 5, a new load from 0 OK; format version 2: flags checked
//             (BAD_MODEL 6), ALL_ACTIVE runs every cell; wrong channels -> BAD_MODEL 2
//   load      LOAD_MODEL of +model in 4,096-byte chunks (last one answers OK, model usable)
//   grow      SET seed/steps, CLEAR, SEED, STEP with a DAMAGE in between to +steps steps;
//             READ_STATE of every row (in chunks of different sizes) bit for bit against
//             nca_step_fixed at checkpoints; STEP's STATS against the C model and the
//             cycle model; READ_FRAME against nca_frame_rgba
//   wstate    WRITE_STATE of random rows (a copy with a flipped bit first: unanswered, the
//             resend repairs), READ_STATE back, SET 4 (T, then bit 16: every cell active)
//             and the steps that follow
//   garbage   random bytes, truncated packets, packets with flipped bits, oversize lengths;
//             then INFO must answer and STATS counts the drops
//   uart      glitches, a framing error inside a request, a host UART 3% fast and slow
//   soak      +soak=N mixed requests (INFO, STATS, SET, SEED, DAMAGE, READ_STATE of one
//             row, CLEAR, READ_FRAME), every answer's sequence number and content checked
//   run       RUN with FRAME events checked against the C model, BUSY while running,
//             INFO/STATS while running, STOP; then a RUN with a step count
//   robust    a model load cut off after each chunk (STEP: NO_MODEL), a SEED and a DAMAGE
//             cut at every length, every single-bit flip of a SEED, five requests back to
//             back (answers in order; the grid is what the answered ones made it), a host
//             that stops reading mid-frame; then INFO answers and READ_STATE of every row
//             equals the C model
// Plusargs: +model=FILE +steps=N (100) +soak=N (10000) +tests=a,b,c or a/b/c (default all)
// +light (grow reads back only the middle rows except at the end) +seed=N +quiet +trace (VCD to +vcd=FILE when built with TRACE=1).
// Exit 0 when every test passed. The harness (wire, packets, reference) is tb_link_bench.h.
#include "tb_link_bench.h"

#include <zlib.h>

struct LinkTests : LinkBench {
    using LinkBench::LinkBench;
    // ---- tests ----------------------------------------------------------------------------------
    bool t_info()
    {
        std::vector<uint8_t> ans;
        if (!expect_status(0x01, {}, 0, &ans))
            return false;
        if (ans.size() != 37)
            return fail("INFO answer of %zu bytes", ans.size());
        const uint8_t *p = &ans[1];
        if (memcmp(p, "NCAB", 4) || p[4] != 1 || get16(p + 6) != W || get16(p + 8) != H ||
            p[10] != C || p[11] != HIDDEN || get16(p + 12) != LANES ||
            get32(p + 14) != CLK_HZ || get32(p + 18) != BAUD || p[26] != 0 || p[27] != CORE)
            return fail("INFO fields wrong");
        for (int i = 28; i < 36; i++)
            if (p[i])
                return fail("INFO reserved byte %d = %u", i, p[i]);
        if ((p[5] & 1) != (model_loaded ? 1 : 0) || (p[5] & 2))
            return fail("INFO flags 0x%02X", p[5]);
        return true;
    }

    bool t_errors()
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
    bool load_chunks(const std::vector<uint8_t> &file, uint8_t final_status, int final_code)
    {
        for (size_t off = 0; off < file.size(); off += 4096) {
            size_t n = file.size() - off < 4096 ? file.size() - off : 4096;
            std::vector<uint8_t> pl, ans;
            put32(pl, (uint32_t)off);
            pl.insert(pl.end(), file.begin() + (long)off, file.begin() + (long)(off + n));
            if (!request(0x02, pl, ans, refresh_clocks()))  // the last chunk rewrites the grid
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

    bool t_load()
    {
        if (!load_chunks(model_file, 0, 0))
            return false;
        model_loaded = true;
        return t_info();
    }

    bool t_badmodel()
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
        // format version 2 (docs/model-format.md): the flags byte 22. Version 3, a version-1
        // file with byte 22 set and an unknown flag are header errors (BAD_MODEL 6); a
        // version-2 file with ALL_ACTIVE loads and runs every cell (no alive masking)
        auto with = [this](uint8_t ver, uint8_t flags) {
            std::vector<uint8_t> b = model_file;
            b[4] = ver;
            b[22] = flags;
            uint32_t crc = (uint32_t)crc32(crc32(0L, Z_NULL, 0), b.data(), (uInt)(b.size() - 4));
            for (int j = 0; j < 4; j++)
                b[b.size() - 4 + j] = (uint8_t)(crc >> (8 * j));
            return b;
        };
        model_loaded = false;
        if (!load_chunks(with(3, 0), 6, 6) || !load_chunks(with(1, 1), 6, 6) ||
            !load_chunks(with(2, 2), 6, 6) || !load_chunks(with(2, 1), 0, 0))
            return false;
        model_loaded = true;
        model.flags = NCA_FLAG_ALL_ACTIVE;
        g.seed = 3;
        g.step = 0;
        bool ok = set_reg(0, 3) && set_reg(1, 0) && clear_grid() && seed_cell(1, 1) &&
                  step(3, "version 2, every cell active") &&
                  compare_state("version 2, every cell active");
        model.flags = 0;
        if (!ok || !load_chunks(model_file, 0, 0))
            return false;
        // the compact core (CORE 1) holds ceil(hidden / 8) x inputs = 768 layer-1 words: a
        // model with all four kernels (64 inputs) and 128 hidden units needs 1,024: BAD_MODEL 3
        if (CORE == 1 && C == 16 && HIDDEN == 128) {
            model_loaded = false;
            bad = model_file;
            bad[14] = 0x0F;
            uint32_t crc = (uint32_t)crc32(crc32(0L, Z_NULL, 0), bad.data(), (uInt)(bad.size() - 4));
            for (int j = 0; j < 4; j++)
                bad[bad.size() - 4 + j] = (uint8_t)(crc >> (8 * j));
            if (!load_chunks(bad, 6, 3) || !load_chunks(model_file, 0, 0))
                return false;
            model_loaded = true;
        }
        // the wrong channel count
        model_loaded = false;
        bad = model_file;
        bad[12] = (uint8_t)(C - 1);
        if (!load_chunks(bad, 6, 2))
            return false;
        return t_info();
    }

    // sends raw bytes, lets the line go quiet for longer than the board's LINK_TIMEOUT and
    // fails if anything but a FRAME event came back
    bool send_unanswered(const std::vector<uint8_t> &bytes, const char *what)
    {
        uart.txq.insert(uart.txq.end(), bytes.begin(), bytes.end());
        while (uart.tx_busy())
            run_clocks(16);
        run_clocks(CLK_HZ / 1000 + 200);
        Packet a;
        while (next_packet(a))
            if (a.cmd != 0xE0)
                return fail("%s: an answer 0x%02X came back", what, a.cmd);
        return true;
    }

    // the receiver against what a line can do to it: a model load cut off after each chunk,
    // a packet cut at every length, every single-bit flip of a packet, requests back to back
    // with no idle between them, a host that stops reading in the middle of a frame; after
    // each a valid request is answered at once, and at the end the grid is exactly what the
    // accepted requests made it (READ_STATE of every row against the C model)
    bool t_robust()
    {
        std::vector<uint8_t> pl, ans;
        const size_t nchunks = (model_file.size() + 4095) / 4096;
        for (size_t k = 1; k < nchunks; k++) {  // chunks 0..k-1 of the model, then silence
            for (size_t c = 0; c < k; c++) {
                pl.clear();
                put32(pl, (uint32_t)(c * 4096));
                pl.insert(pl.end(), model_file.begin() + (long)(c * 4096),
                          model_file.begin() + (long)(c * 4096 + 4096));
                if (!expect_status(0x02, pl, 0))
                    return false;
            }
            run_clocks(CLK_HZ / 100);
            model_loaded = false;
            pl.clear();
            put32(pl, 1);
            if (!expect_status(0x20, pl, 5))  // NO_MODEL: a half-written model never runs
                return fail("STEP after a model load cut off after %zu of %zu chunks: %s", k,
                            nchunks, fail_msg.c_str());
        }
        if (!load_chunks(model_file, 0, 0))
            return false;
        model_loaded = true;
        if (!set_reg(0, 9) || !set_reg(1, 0))
            return false;
        g.seed = 9;
        g.step = 0;
        if (!clear_grid() || !seed_cell(W / 2, H / 2) || !step(6, "robust: growing"))
            return false;

        // a SEED and a DAMAGE packet cut at every length: nothing happens
        pl.clear();
        put16(pl, 1);
        put16(pl, 1);
        std::vector<uint8_t> seedp = packet(0x11, 0x40, pl);
        pl = {(uint8_t)NCA_DMG_CIRCLE};
        put16(pl, W / 2);
        put16(pl, H / 2);
        put16(pl, 3);
        std::vector<uint8_t> dmgp = packet(0x12, 0x41, pl);
        for (const std::vector<uint8_t> *p : {&seedp, &dmgp})
            for (size_t len = 1; len < p->size(); len++)
                if (!send_unanswered(std::vector<uint8_t>(p->begin(), p->begin() + (long)len),
                                     "a packet cut short"))
                    return false;
        if (!t_info())
            return false;
        // every single-bit flip of the SEED packet (sync, command, sequence, length, payload,
        // CRC): no answer, nothing happens
        for (size_t bit = 0; bit < seedp.size() * 8; bit++) {
            std::vector<uint8_t> q = seedp;
            q[bit / 8] ^= (uint8_t)(1u << (bit % 8));
            if (!send_unanswered(q, "a flipped bit"))
                return fail("bit %zu of %zu: %s", bit, seedp.size() * 8, fail_msg.c_str());
        }
        if (!t_info() || !compare_state("robust: after the cut and flipped packets"))
            return false;

        // five requests back to back, no idle between them: the board serves one request at
        // a time (docs/protocol.md), so a request that arrives while it is busy may be
        // dropped; the answers that come must be in order and OK, and the grid must be what
        // the answered ones made it
        const uint8_t s0 = seq_no;
        std::vector<uint8_t> burst, p;
        pl.clear();
        put16(pl, 2);
        put16(pl, 3);
        p = packet(0x11, s0, pl);  // SEED (2,3)
        burst.insert(burst.end(), p.begin(), p.end());
        pl.clear();
        put32(pl, 2);
        p = packet(0x20, (uint8_t)(s0 + 1), pl);  // STEP 2
        burst.insert(burst.end(), p.begin(), p.end());
        pl = {(uint8_t)NCA_DMG_SQUARE};
        put16(pl, W / 2 + 2);
        put16(pl, H / 2);
        put16(pl, 4);
        p = packet(0x12, (uint8_t)(s0 + 2), pl);  // DAMAGE square
        burst.insert(burst.end(), p.begin(), p.end());
        p = packet(0x33, (uint8_t)(s0 + 3), {});  // STATS
        burst.insert(burst.end(), p.begin(), p.end());
        p = packet(0x01, (uint8_t)(s0 + 4), {});  // INFO
        burst.insert(burst.end(), p.begin(), p.end());
        seq_no = (uint8_t)(s0 + 5);
        uart.txq.insert(uart.txq.end(), burst.begin(), burst.end());
        static const uint8_t req_cmd[5] = {0x11, 0x20, 0x12, 0x33, 0x01};
        const uint64_t limit = cycle + byte_clocks(burst.size() + 200) +
                               6ull * (W * H * 600 + 20000) + 40ull * W * H * C + 100000;
        int next = 0;  // answers must come in request order
        unsigned answered = 0;
        while (cycle < limit) {
            run_clocks(64);
            Packet a;
            while (next_packet(a)) {
                int k = (int)(uint8_t)(a.seq - s0);
                if (k < next || k > 4 || a.cmd != (req_cmd[k] | 0x80) || a.pl.empty() ||
                    a.pl[0] != 0)
                    return fail("back to back: answer 0x%02X seq %u status %d out of order or "
                                "not OK", a.cmd, a.seq, a.pl.empty() ? -1 : a.pl[0]);
                next = k + 1;
                answered |= 1u << k;
                nca_error err;
                if (k == 0) {
                    nca_grid_seed(&g, 2, 3, &err);
                } else if (k == 1) {
                    ref_steps(2);
                } else if (k == 2) {
                    nca_damage d = {NCA_DMG_SQUARE, (int)W / 2 + 2, (int)H / 2, 4};
                    nca_grid_damage(&g, &d);
                } else if (k == 3 && !check_stats(a.pl, "back to back: STATS")) {
                    return false;
                }
            }
        }
        if (!(answered & 1))
            return fail("back to back: not even the first request was answered");
        if (!quiet)
            printf("tb_link: robust: back to back: answered %s%s%s%s%s\n",
                   answered & 1 ? "SEED " : "", answered & 2 ? "STEP " : "",
                   answered & 4 ? "DAMAGE " : "", answered & 8 ? "STATS " : "",
                   answered & 16 ? "INFO" : "");
        if (!t_info() || !compare_state("robust: after the burst"))
            return false;

        // a host that stops reading half way through a frame: the rest of the answer is lost
        // to it; the board goes on, and the next request is answered
        p = packet(0x30, seq_no++, {});
        uart.txq.insert(uart.txq.end(), p.begin(), p.end());
        const size_t start = rxbuf.size();
        while (rxbuf.size() < start + 64)  // the frame is coming
            run_clocks(64);
        do {  // the host reads no more of it: every byte from here on is lost to it
            rxbuf.resize(rx_pos);
            run_clocks(CLK_HZ / 1000);
        } while (rxbuf.size() > rx_pos || uart.rx_busy());
        return t_info() && read_frame("robust: a frame read in full") &&
               compare_state("robust: at the end");
    }

    uint32_t rng_state = 12345;
    uint32_t rnd()
    {
        rng_state = rng_state * 1664525u + 1013904223u;
        return rng_state >> 8;
    }

    bool set_reg(uint8_t reg, uint32_t v)
    {
        std::vector<uint8_t> pl = {reg};
        put32(pl, v);
        return expect_status(0x03, pl, 0, nullptr, reg == 4 ? refresh_clocks() : 0);
    }

    bool step(unsigned n, const char *what)
    {
        std::vector<uint8_t> pl, ans;
        put32(pl, n);
        ref_steps(n);
        if (!expect_status(0x20, pl, 0, &ans, (uint64_t)n * (W * H * 600 + 20000)))
            return false;
        return check_stats(ans, what);
    }

    bool damage(const nca_damage &d)
    {
        std::vector<uint8_t> pl = {(uint8_t)d.kind};
        put16(pl, (unsigned)d.a);
        put16(pl, (unsigned)d.b);
        put16(pl, (unsigned)d.c);
        nca_grid_damage(&g, &d);
        return expect_status(0x12, pl, 0, nullptr, (uint64_t)W * H * 2 + 200);
    }

    bool seed_cell(unsigned x, unsigned y)
    {
        std::vector<uint8_t> pl;
        put16(pl, x);
        put16(pl, y);
        nca_error err;
        nca_grid_seed(&g, x, y, &err);
        return expect_status(0x11, pl, 0);
    }

    bool clear_grid()
    {
        nca_grid_clear(&g);
        return expect_status(0x10, {}, 0, nullptr, (uint64_t)W * H + 100);
    }

    unsigned grow_steps = 100;

    // the middle rows only with +light
    bool compare_mid(const char *what, unsigned chunk = 0)
    {
        return light ? compare_state(what, chunk, H / 2 - 4, H / 2 + 4) : compare_state(what, chunk);
    }

    bool t_grow()
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

    bool t_wstate()
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
        // SET 4 bit 16: no alive masking (the model flag ALL_ACTIVE), and back
        if (!set_reg(4, (1u << 16) | 2000u))
            return false;
        model.flags = NCA_FLAG_ALL_ACTIVE;
        bool all_ok = step(2, "steps with every cell active");
        model.flags = 0;
        if (!all_ok || !compare_state("after steps with every cell active"))
            return false;
        model.alive_q = (int16_t)get16(&model_file[24]);
        if (!set_reg(4, (uint32_t)model.alive_q) || !step(3, "steps after WRITE_STATE"))
            return false;
        return compare_state("after WRITE_STATE and steps");
    }

    bool t_garbage()
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
            if (!send_unanswered(junk, "garbage"))
                return fail("round %d: %s", round, fail_msg.c_str());
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
    bool t_uart()
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
        run_clocks(CLK_HZ / 1000 + 200);
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

    unsigned soak_n = 10000;

    bool t_soak()
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

    bool wait_event(Packet &ev, uint64_t clocks)
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

    bool t_run()
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

    // the tests named by +tests (all by default), in the table's order
    int run()
    {
        std::string model_arg = arg("model");
        const char *model_path = model_arg.empty() ? "weights/distill/ex3-regen-lizard.bin"
                                                   : model_arg.c_str();
        grow_steps = (unsigned)arg_ul("steps", grow_steps);
        soak_n = (unsigned)arg_ul("soak", soak_n);
        rng_state = (uint32_t)arg_ul("seed", rng_state);
        std::string tlist = arg("tests");
        if (tlist.empty())
            tlist = "info,errors,badmodel,load,grow,wstate,garbage,uart,soak,run";
        quiet = flag("quiet");
        light = flag("light");
        if (!trace_from_plusargs()) {
            printf("tb_link: FAIL: cannot open +vcd=%s\n", arg("vcd").c_str());
            return 1;
        }
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
        run_clocks(CLK_HZ / 1000 / 4);  // a quiet line first
        if (!top->o_led_idle) {
            printf("tb_link: FAIL: board not idle after reset\n");
            return 1;
        }

        struct Test {
            const char *name;
            bool (LinkTests::*fn)();
        } all[] = {{"info", &LinkTests::t_info},       {"errors", &LinkTests::t_errors},
                   {"badmodel", &LinkTests::t_badmodel}, {"load", &LinkTests::t_load},
                   {"grow", &LinkTests::t_grow},       {"wstate", &LinkTests::t_wstate},
                   {"garbage", &LinkTests::t_garbage}, {"uart", &LinkTests::t_uart},
                   {"soak", &LinkTests::t_soak},       {"run", &LinkTests::t_run},
                   {"robust", &LinkTests::t_robust}};
        unsigned passed = 0, failed = 0;
        for (char &ch : tlist)  // "a,b" or "a/b" (make's $(call) splits at commas)
            if (ch == '/')
                ch = ',';
        std::string rest = "," + tlist + ",";
        for (const Test &t : all) {
            if (rest.find(std::string(",") + t.name + ",") == std::string::npos)
                continue;
            const bool needs_model = !strcmp(t.name, "grow") || !strcmp(t.name, "wstate") ||
                                     !strcmp(t.name, "soak") || !strcmp(t.name, "run") ||
                                     !strcmp(t.name, "robust");
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
            bool ok = (this->*t.fn)();
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
        return failed ? 1 : 0;
    }
};

int main(int argc, char **argv)
{
    LinkTests t(argc, argv);
    return t.run();
}

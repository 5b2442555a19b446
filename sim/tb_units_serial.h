// SPDX-License-Identifier: Apache-2.0
// tb_units_serial.h - the unit benches of nca_core_seq's serial blocks (nca_hash_serial,
// nca_requant_serial, nca_alive_rows_serial, nca_mac_array_serial, nca_damage_serial,
// nca_pending_fifo, nca_perceive_serial), each against the C model or the rule it
// implements; tb_units.cpp runs them. Each returns 0 on success, 1 (with a FAIL line) not.
#ifndef TB_UNITS_SERIAL_H
#define TB_UNITS_SERIAL_H

#include "tb_units_bench.h"

struct SerialTests : UnitBench {
    using UnitBench::UnitBench;

    // nca_hash_serial: random seeds, steps, cells and thresholds; 64 clocks busy, then o_done
    // with the fire bit of nca_hash; o_done stays until acknowledged; the seed register is
    // back in place after each hash (the next hash uses it unchanged)
    int test_hash_serial(int n)
    {
        top->i_hs_seed_we = 0;
        top->i_hs_start = 0;
        top->i_hs_ack = 0;
        uint32_t seed = 0;
        for (int t = 0; t < n; t++) {
            if (t % 16 == 0) {  // a new seed now and then, through the load port
                seed = rnd() ^ (rnd() << 16);
                top->i_h_seed = seed;
                top->i_hs_seed_we = 1;
                tick();
                top->i_hs_seed_we = 0;
            }
            uint32_t step = rnd() % 4 ? rnd() % 5000 : rnd() ^ (rnd() << 16);
            uint32_t x = rnd() & 63, y = rnd() & 63;
            uint32_t fire = rnd() % 8 ? 32768 : rnd() % 65537;
            top->i_h_step = step;
            top->i_h_seed = rnd();  // not loaded: the block keeps its own seed
            top->i_hs_fire = fire;
            top->i_hs_x = x;
            top->i_hs_y = y;
            top->i_hs_start = 1;
            tick();
            top->i_hs_start = 0;
            top->i_hs_x = rnd() & 63;  // taken at the start; y must hold
            int clocks = 0;
            while (top->o_hs_busy && clocks < 100) {
                tick();
                clocks++;
            }
            uint32_t h = nca_hash(seed, step, x, y);
            bool want = (h >> 16) < fire;
            if (clocks != 64 || !top->o_hs_done || top->o_hs_x != x || top->o_hs_fire != want) {
                printf("tb_units: FAIL: hash_serial(%u,%u,%u,%u) fire %u: %d clocks, done %d, x %u, "
                       "fire %d (C %d)\n", seed, step, x, y, fire, clocks, top->o_hs_done,
                       top->o_hs_x, top->o_hs_fire, want);
                return 1;
            }
            tick();
            if (!top->o_hs_done) {
                printf("tb_units: FAIL: hash_serial: o_done fell before i_ack\n");
                return 1;
            }
            top->i_hs_ack = 1;
            tick();
            top->i_hs_ack = 0;
            if (top->o_hs_done) {
                printf("tb_units: FAIL: hash_serial: o_done stayed after i_ack\n");
                return 1;
            }
        }
        printf("tb_units: hash_serial: %d random cells match nca_hash's fire bit (64 clocks)\n", n);
        return 0;
    }

    // nca_requant_serial: an accumulator a clock (|acc| < 2^29, shifts 0..24), both layers;
    // each result two clocks later, checked against nca_rshift_round / clamp / nca_sat16 with
    // the layer and residual given in its output clock
    int test_requant_serial(int n)
    {
        struct In {
            int32_t acc;
            unsigned sh, lane;
            bool l2;
            int16_t res;
        };
        std::deque<In> q;
        int checked = 0;
        for (int t = 0; t < n + 3; t++) {
            bool issue = t < n && rnd() % 8 != 0;  // a gap now and then
            In in = {rnd_range(-(1 << 29) + 1, (1 << 29) - 1), rnd() % 25, rnd() & 7, (rnd() & 1) != 0,
                     (int16_t)rnd()};
            if (rnd() % 4 == 0)  // small values: the rounding and the clamps' edges
                in.acc = rnd_range(-4096, 4096);
            top->i_rq_v = issue;
            top->i_rq_i = in.lane;
            top->i_rq_acc = (uint32_t)in.acc & 0x3FFFFFFFu;
            top->i_rq_shift = ((in.sh >= 16) << 4) | (in.sh & 15);
            if (issue)
                q.push_back(in);
            tick();
            top->i_rq_v = 0;
            if (top->o_rq_v) {
                In e = q.front();
                q.pop_front();
                top->i_rq_l2 = e.l2;
                top->i_rq_res = (uint16_t)e.res;
                top->eval();
                int32_t v = nca_rshift_round(e.acc, e.sh);
                unsigned h = v < 0 ? 0 : v > 255 ? 255 : (unsigned)v;
                uint16_t u = (uint16_t)nca_sat16((int64_t)e.res + v);
                if (top->o_rq_i != e.lane || (!e.l2 && top->o_rq_h != h) ||
                    (e.l2 && top->o_rq_u != u)) {
                    printf("tb_units: FAIL: requant_serial(acc %d, s %u, layer %d, res %d): lane %u "
                           "(%u), h %u (C %u), u %d (C %d)\n", e.acc, e.sh, e.l2 ? 2 : 1, e.res,
                           top->o_rq_i, e.lane, top->o_rq_h, h, (int16_t)top->o_rq_u, (int16_t)u);
                    return 1;
                }
                checked++;
            }
        }
        if (checked == 0 || !q.empty()) {
            printf("tb_units: FAIL: requant_serial: %d results, %zu missing (latency is not 2)\n",
                   checked, q.size());
            return 1;
        }
        printf("tb_units: requant_serial: %d random accumulators match the C model (latency 2)\n",
               checked);
        return 0;
    }

    // nca_alive_rows_serial at 64 and 37 cells: random bitmaps of 8 rows (bits past the width
    // 0, as the core keeps them), zero and torus; each row counted 0..16 with the bitmap read
    // one clock after its address, as the core's RAM answers; every word's mask against the
    // 3x3 OR computed here
    int test_alive_serial(int n)
    {
        enum { AH = 8 };
        const int widths[2] = {64, 37};
        for (int t = 0; t < n; t++) {
            uint16_t bm[2][AH][4];
            int dens = rnd_range(1, 40);
            int wrap = rnd() & 1;
            for (int w = 0; w < 2; w++)
                for (int y = 0; y < AH; y++)
                    for (int q = 0; q < 4; q++) {
                        bm[w][y][q] = 0;
                        for (int b = 0; b < 16; b++)
                            if (16 * q + b < widths[w] && (int)(rnd() % 100) < dens)
                                bm[w][y][q] |= (uint16_t)(1u << b);
                    }
            top->i_as_wrap = wrap;
            for (int y = 0; y < AH; y++) {
                top->i_as_y = y;
                top->i_as_y_prev = y == 0 ? AH - 1 : y - 1;
                top->i_as_y_next = y == AH - 1 ? 0 : y + 1;
                top->i_as_y_last = y == AH - 1;
                unsigned addr[2] = {0, 0};
                uint16_t got[2][4];
                int seen[4] = {0, 0, 0, 0};
                for (int cn = 0; cn <= 16; cn++) {
                    top->i_as_cn = cn;
                    top->i_as_rdata = bm[0][(addr[0] >> 2) % AH][addr[0] & 3];
                    top->i_as37_rdata = bm[1][(addr[1] >> 2) % AH][addr[1] & 3];
                    top->eval();
                    if (top->o_as_out) {
                        got[0][top->o_as_wq] = top->o_as_mask;
                        got[1][top->o_as_wq] = top->o_as37_mask;
                        seen[top->o_as_wq]++;
                    }
                    addr[0] = top->o_as_raddr;
                    addr[1] = top->o_as37_raddr;
                    tick();
                }
                for (int q = 0; q < 4; q++)
                    if (seen[q] != 1) {
                        printf("tb_units: FAIL: alive_serial: word %d out %d times in a row\n", q,
                               seen[q]);
                        return 1;
                    }
                for (int w = 0; w < 2; w++)
                    for (int x = 0; x < 64; x++) {
                        int a = 0;
                        for (int dy = -1; dy <= 1 && x < widths[w]; dy++)
                            for (int dx = -1; dx <= 1; dx++) {
                                int yy = y + dy, xx = x + dx;
                                if (yy < 0 || yy >= AH || xx < 0 || xx >= widths[w]) {
                                    if (!wrap)
                                        continue;
                                    yy = (yy + AH) % AH;
                                    xx = (xx + widths[w]) % widths[w];
                                }
                                a |= (bm[w][yy][xx / 16] >> (xx % 16)) & 1;
                            }
                        if (((got[w][x / 16] >> (x % 16)) & 1) != a) {
                            printf("tb_units: FAIL: alive_serial: width %d %s, row %d cell %d: rtl %d, "
                                   "expected %d\n", widths[w], wrap ? "wrap" : "zero", y, x,
                                   (got[w][x / 16] >> (x % 16)) & 1, a);
                            return 1;
                        }
                    }
            }
        }
        printf("tb_units: alive_serial: %d random 8-row bitmaps, widths 64 and 37, match the 3x3 "
               "rule\n", n);
        return 0;
    }

    // nca_mac_array_serial: groups of random length (idle clocks between MACs), full-range
    // 16-bit operands and weight bytes, 25-bit biases; 8 loads start each group at its biases,
    // and the 8 loads of the next group bring every lane's sum to lane 0 in order, checked
    // against the sums kept here
    int test_mac_array(int n)
    {
        int64_t acc[8], next[8];
        for (int l = 0; l < 8; l++) {
            next[l] = rnd_range(-(1 << 24), (1 << 24) - 1);
            top->i_ma_ld = 1;
            top->i_ma_bias = (uint32_t)next[l] & 0x1FFFFFFu;
            tick();
        }
        top->i_ma_ld = 0;
        for (int t = 0; t < n; t++) {
            memcpy(acc, next, sizeof acc);
            int macs = rnd_range(0, 100);   // |acc| < 2^24 + 100 x 2^22 < 2^29
            for (int k = 0; k < macs;) {
                bool v = rnd() % 5 != 0;
                int16_t a = (int16_t)rnd();
                uint64_t w = ((uint64_t)rnd() << 32) | rnd();
                top->i_ma_v = v;
                top->i_ma_a = (uint16_t)a;
                top->i_ma_w = w;
                tick();
                if (!v)
                    continue;
                for (int l = 0; l < 8; l++)
                    acc[l] += (int64_t)a * (int8_t)(w >> (8 * l));
                k++;
            }
            top->i_ma_v = 0;
            for (int l = 0; l < 8; l++) {
                top->eval();
                int32_t got = (int32_t)(top->o_ma_acc0 << 2) >> 2;
                if (got != acc[l]) {
                    printf("tb_units: FAIL: mac_array: group %d (%d MACs), lane %d: rtl %d, "
                           "expected %lld\n", t, macs, l, got, (long long)acc[l]);
                    return 1;
                }
                next[l] = rnd_range(-(1 << 24), (1 << 24) - 1);
                top->i_ma_ld = 1;
                top->i_ma_bias = (uint32_t)next[l] & 0x1FFFFFFu;
                tick();
            }
            top->i_ma_ld = 0;
        }
        printf("tb_units: mac_array: %d random groups of up to 100 MACs match, each lane read at "
               "lane 0 in order\n", n);
        return 0;
    }

    // nca_damage_serial at 64x64 and 37x21: random HALF, SQUARE and CIRCLE commands (centres
    // and corners off the grid too, negative sides and radii); each cell it erases (its four
    // channel groups in order, once) against nca_damage_hits, and its clocks against
    // 5 W H (+ |a + c| + |b| + 4 for a circle)
    int test_damage_serial(int n)
    {
        const unsigned gw[2] = {64, 37}, gh[2] = {64, 21};
        for (int t = 0; t < n; t++) {
            nca_damage d;
            d.kind = (nca_damage_kind)(rnd() % 3);
            d.a = d.kind == NCA_DMG_HALF ? rnd_range(0, 5) : rnd_range(-80, 140);
            d.b = rnd_range(-80, 140);
            d.c = rnd_range(-4, 70);
            top->i_dm_op = d.kind == NCA_DMG_CIRCLE ? NCA_OP_CIRCLE
                           : d.kind == NCA_DMG_HALF ? NCA_OP_HALF : NCA_OP_SQUARE;
            top->i_dm_a = (uint32_t)d.a;
            top->i_dm_b = (uint32_t)d.b;
            top->i_dm_c = (uint32_t)d.c;
            top->i_dm_start = 1;
            tick();
            top->i_dm_start = 0;
            std::vector<int> subs[2] = {std::vector<int>(64 * 64, 0), std::vector<int>(37 * 21, 0)};
            long clocks[2] = {0, 0};
            bool done[2] = {false, false};
            for (long k = 0; !(done[0] && done[1]); k++) {
                if (k > 5 * 64 * 64 + 1000) {
                    printf("tb_units: FAIL: damage_serial: no end (kind %d a %d b %d c %d)\n",
                           d.kind, d.a, d.b, d.c);
                    return 1;
                }
                top->eval();
                for (int g = 0; g < 2; g++) {
                    bool busy = (top->o_dm_busy >> g) & 1;
                    if (done[g]) {
                        if (busy || ((top->o_dm_erase >> g) & 1)) {
                            printf("tb_units: FAIL: damage_serial: %ux%u busy after its last "
                                   "clock\n", gw[g], gh[g]);
                            return 1;
                        }
                        continue;
                    }
                    if (!busy) {
                        printf("tb_units: FAIL: damage_serial: %ux%u not busy at clock %ld\n",
                               gw[g], gh[g], clocks[g]);
                        return 1;
                    }
                    clocks[g]++;
                    if ((top->o_dm_erase >> g) & 1) {
                        unsigned x = (top->o_dm_x >> (6 * g)) & 63, y = (top->o_dm_y >> (6 * g)) & 63;
                        int sub = (top->o_dm_sub >> (2 * g)) & 3;
                        if (x >= gw[g] || y >= gh[g] || subs[g][y * gw[g] + x] != sub) {
                            printf("tb_units: FAIL: damage_serial: %ux%u erases (%u, %u) group %d "
                                   "out of order\n", gw[g], gh[g], x, y, sub);
                            return 1;
                        }
                        subs[g][y * gw[g] + x]++;
                    }
                    done[g] = (top->o_dm_last >> g) & 1;
                }
                tick();
            }
            for (int g = 0; g < 2; g++) {
                long want = 5L * gw[g] * gh[g];
                if (d.kind == NCA_DMG_CIRCLE)
                    want += labs((long)d.a + d.c) + labs((long)d.b) + 4;
                if (clocks[g] != want) {
                    printf("tb_units: FAIL: damage_serial: %ux%u kind %d a %d b %d c %d: %ld "
                           "clocks, expected %ld\n", gw[g], gh[g], d.kind, d.a, d.b, d.c,
                           clocks[g], want);
                    return 1;
                }
                for (unsigned y = 0; y < gh[g]; y++)
                    for (unsigned x = 0; x < gw[g]; x++) {
                        int want_sub = nca_damage_hits(&d, gw[g], gh[g], x, y) ? 4 : 0;
                        if (subs[g][y * gw[g] + x] != want_sub) {
                            printf("tb_units: FAIL: damage_serial: %ux%u kind %d a %d b %d c %d: "
                                   "cell (%u, %u) erased %d groups, expected %d\n", gw[g], gh[g],
                                   d.kind, d.a, d.b, d.c, x, y, subs[g][y * gw[g] + x], want_sub);
                            return 1;
                        }
                    }
            }
        }
        printf("tb_units: damage_serial: %d random erasures on 64x64 and 37x21 match "
               "nca_damage_hits and the clock formula\n", n);
        return 0;
    }

    // nca_pending_fifo (65 slots): random clears, pushes, pops and flushes, long runs of pushes
    // (the ring wraps) and pops; head and tail against a queue kept here, and the commit rule
    // against its meaning: not empty, and flushing or cell (tag_x + 1, tag_y + 1) perceived by a
    // raster scan now at (x, y) (index 64 row + column, up to and including the scan's cell)
    int test_fifo(int n)
    {
        enum { SLOTS = 65 };
        unsigned head = 0, tail = 0, count = 0;
        bool flush = false;
        top->i_ff_clear = 1;
        tick();
        for (int t = 0; t < n; t++) {
            int bias = (t / 300) % 3;    // runs that fill, drain or hover
            unsigned r = rnd() % 100;
            bool clear = r < 1;
            bool push = !clear && count < SLOTS && (rnd() % 100) < (bias == 0 ? 70u : bias == 1 ? 25u : 50u);
            bool pop = !clear && !push && count > 0 && (rnd() & 1);
            bool fl = (rnd() % 100) < 3;
            top->i_ff_clear = clear;
            top->i_ff_push = push;
            top->i_ff_pop = pop;
            top->i_ff_flush = fl;
            unsigned tx = rnd() % 64, ty = rnd() % 64, x = rnd() % 64, y = rnd() % 64;
            if (rnd() & 1) {   // near the boundary of the rule
                ty = y == 0 ? 0 : y - 1;
                tx = (x + rnd_range(-2, 2)) & 63;
            }
            top->i_ff_tag_x = tx;
            top->i_ff_tag_y = ty;
            top->i_ff_x = x;
            top->i_ff_y = y;
            top->eval();
            bool elig = count != 0 && (flush || 64 * (ty + 1) + tx + 1 <= 64 * y + x);
            if (top->o_ff_head != head || top->o_ff_tail != tail || top->o_ff_flush != flush ||
                top->o_ff_elig != elig) {
                printf("tb_units: FAIL: fifo: clock %d: head %u tail %u flush %u elig %u, expected "
                       "%u %u %u %u (tag (%u, %u), scan (%u, %u), %u queued)\n", t, top->o_ff_head,
                       top->o_ff_tail, top->o_ff_flush, top->o_ff_elig, head, tail, flush, elig, tx,
                       ty, x, y, count);
                return 1;
            }
            tick();
            if (clear) {
                head = tail = count = 0;
                flush = false;
                continue;
            }
            flush = flush || fl;
            if (push) {
                tail = (tail + 1) % SLOTS;
                count++;
            } else if (pop) {
                head = (head + 1) % SLOTS;
                count--;
            }
        }
        top->i_ff_clear = top->i_ff_push = top->i_ff_pop = top->i_ff_flush = 0;
        printf("tb_units: fifo: %d random clocks (the ring wrapped) match the queue and the commit "
               "rule\n", n);
        return 0;
    }

    // nca_perceive_serial: random 3x3 windows of C channels fed as nca_core_seq does (channel
    // by channel, its 9 words in the core's order, each word one clock after it is asked for,
    // then 6 clocks more); the words it writes (identity, Sobel x, y, Laplacian of each channel)
    // against nca_perceive
    void perc_dydx(int k, int *dy, int *dx)  // nca_core_seq's neighbour order
    {
        *dy = (k == 0 || k == 5 || k == 6) ? 1 : (k == 2 || k == 7 || k == 8) ? 2 : 0;
        *dx = (k == 3 || k == 5 || k == 7) ? 0 : (k == 4 || k == 6 || k == 8) ? 2 : 1;
    }

    int test_perception_serial(int n)
    {
        static nca_model m;
        nca_grid g;
        if (window_init(&m, &g))
            return 1;
        for (int t = 0; t < n; t++) {
            for (int i = 0; i < 9 * C; i++)
                g.s[i] = (rnd() % 5 == 0) ? 0 : rnd_word();
            int16_t got[4][C];
            int seen[4][C];
            memset(seen, 0, sizeof seen);
            int prev = -1;  // the word asked for last clock: 9 c + k, or -1
            for (int cnt = 0; cnt < 9 * C + 6; cnt++) {
                int k = cnt % 9, c = cnt / 9, issue = cnt < 9 * C, dy, dx;
                perc_dydx(k, &dy, &dx);
                top->i_ps_issue = issue;
                top->i_ps_k = k;
                top->i_ps_dy = dy;
                top->i_ps_dx = dx;
                top->i_ps_c = c & 15;
                if (prev >= 0) {
                    int pc = prev / 9, pdy, pdx;
                    perc_dydx(prev % 9, &pdy, &pdx);
                    top->i_ps_word = (uint16_t)g.s[(pdy * 3 + pdx) * C + pc];
                } else {
                    top->i_ps_word = rnd();  // no word in flight: ignored
                }
                top->eval();
                unsigned w = top->o_ps_w;
                for (int f = 0; f < 4; f++) {  // l, y, x, id
                    if (!((w >> f) & 1))
                        continue;
                    int ch = f == 3 ? top->o_ps_c : top->o_ps_wc;
                    int slot = f == 3 ? 0 : f == 2 ? 1 : f == 1 ? 2 : 3;  // nca_perceive's order
                    got[slot][ch] = (int16_t)top->o_ps_wdata;
                    seen[slot][ch]++;
                }
                prev = issue ? cnt : -1;
                tick();
            }
            int16_t p[NCA_MAX_INPUTS];
            nca_perceive(&m, &g, 1, 1, p);
            for (int f = 0; f < 4; f++)
                for (int c = 0; c < C; c++)
                    if (seen[f][c] != 1 || got[f][c] != p[f * C + c]) {
                        printf("tb_units: FAIL: perception_serial %d filter %d channel %d: %d writes, "
                               "rtl %d, C %d\n", t, f, c, seen[f][c], got[f][c], p[f * C + c]);
                        return 1;
                    }
        }
        nca_grid_free(&g);
        printf("tb_units: perception_serial: %d random windows match nca_perceive (9C + 6 clocks)\n",
               n);
        return 0;
    }
};

#endif

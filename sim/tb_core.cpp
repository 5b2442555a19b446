// SPDX-License-Identifier: Apache-2.0
// tb_core.cpp - Verilator bench of rtl/nca_core.v against the C reference model: loads a
// real model through the command interface, seeds, runs steps with damage events and a
// few random cell writes, and after every step compares the full state bit for bit with
// nca_step_fixed, the pre-alive/active counts with its stats and the clock count with
// nca_cycles_step. Plusargs: +model=FILE +steps=N (default 320) +seed=N (rng seed of the
// fire hash, default 1) +wrap (torus boundary) +dense=K (then K steps from a grid of
// mature random cells) +trace (per-step lines; VCD of the first
// two steps to +vcd=FILE when built with --trace) +quiet. Prints PASS/FAIL, exit 1 on failure.
// Built with -DTB_SEQ it tests rtl/nca_core_seq.v (same ports) against nca_cycles_step_seq.
// The grid, channels, hidden size, lanes and WIDE_CELL come from the Verilated model
// (sim/nca_bench.vlt makes the core's parameters public).
// The word ops READW / WRITEW are checked too: every 8th step's state is read with READW,
// every other random write and every third dense write go through WRITEW, plus the edge
// cases (outside the grid, a channel >= CHANNELS, a cell half written). A core built with
// WIDE_CELL = 0 (no READ / WRITE) is driven with the word ops for everything.
#include "nca_bench.h"
#ifdef TB_SEQ
#include "Vnca_core_seq.h"
#include "Vnca_core_seq_nca_core_seq.h"
typedef Vnca_core_seq Vtop;
typedef Vnca_core_seq_nca_core_seq Params;
static constexpr unsigned LANES = 8;   // nca_core_seq's MAC array
static constexpr unsigned WIDE_CELL = Params::WIDE_CELL;
static constexpr unsigned W1_WORDS = Params::W1_WORDS;  // layer 1: ceil(hidden/8) x inputs
#else
#include "Vnca_core.h"
#include "Vnca_core_nca_core.h"
typedef Vnca_core Vtop;
typedef Vnca_core_nca_core Params;
static constexpr unsigned LANES = Params::LANES;
static constexpr unsigned WIDE_CELL = 1;
static constexpr unsigned W1_WORDS = 0;  // no such limit
#endif
static constexpr unsigned GRID_W = Params::GRID_W, GRID_H = Params::GRID_H;
static constexpr unsigned CHANNELS = Params::CHANNELS, HIDDEN = Params::HIDDEN;

extern "C" {
#include "nca.h"
#include "nca_cycles.h"
#include "nca_ids.h"
}

#include <cstdio>
#include <cstdlib>
#include <cmath>
#include <cstring>
#include <string>
#include <vector>

// 32-bit word k of a cell port: a VlWide array above 64 bits (5..16 channels), a QData for 4
static inline uint32_t word32(const QData &d, int k) { return (uint32_t)(d >> (32 * k)); }
template <std::size_t N> static inline uint32_t word32(const VlWide<N> &d, int k) { return d[k]; }
static inline void put32(QData &d, int k, uint32_t v)
{
    d = (d & ~(0xFFFFFFFFull << (32 * k))) | ((QData)v << (32 * k));
}
template <std::size_t N> static inline void put32(VlWide<N> &d, int k, uint32_t v) { d[k] = v; }

// the clocks of a step by the cycle model of this core
static uint64_t cycles_step(const nca_model *m, const nca_grid *g, nca_cycle_report *r)
{
#ifdef TB_SEQ
    return nca_cycles_step_seq(m, g, r);
#else
    return nca_cycles_step(m, g, LANES, r);
#endif
}

// step-done events seen while clocking
struct StepEvent {
    uint32_t cycles, pre, act;
};

struct CoreBench : NcaBench<Vtop> {
    using NcaBench<Vtop>::NcaBench;
    bool trace = false;

    // step-done events seen while clocking
    std::vector<StepEvent> events;

    void tick()
    {
        NcaBench<Vtop>::tick();
        if (top->o_step_done)
            events.push_back({top->o_step_cycles, top->o_pre_alive, top->o_active});
    }

    void set_cell(const int16_t *w)
    {
        for (int c = 0; c < CHANNELS; c += 2) {
            uint32_t lo = (uint16_t)w[c], hi = c + 1 < CHANNELS ? (uint16_t)w[c + 1] : 0;
            put32(top->i_cmd_cell, c / 2, lo | (hi << 16));
        }
    }

    // issue one command, wait for it to be accepted
    void command(int op, uint32_t a = 0, uint32_t b = 0, uint32_t c = 0,
                        const int16_t *cell = nullptr)
    {
        top->i_cmd_valid = 1;
        top->i_cmd_op = op;
        top->i_cmd_a = a;
        top->i_cmd_b = b;
        top->i_cmd_c = c;
        if (cell)
            set_cell(cell);
        int guard = 0;
        while (!top->o_cmd_ready) {
            tick();
            if (++guard > 100000000) {
                fprintf(stderr, "tb_core: FAIL: core never became ready\n");
                exit(1);
            }
        }
        tick();
        top->i_cmd_valid = 0;
    }

    void wait_idle()
    {
        while (!top->o_cmd_ready)
            tick();
    }

    void read_cell(unsigned x, unsigned y, int16_t *out)
    {
        command(NCA_OP_READ, x, y);
        while (!top->o_rsp_valid)
            tick();
        for (int c = 0; c < CHANNELS; c++)
            out[c] = (int16_t)(word32(top->o_rsp_cell, c / 2) >> (16 * (c & 1)));
        top->i_rsp_ready = 1;
        tick();
        top->i_rsp_ready = 0;
    }

    // READW: one channel; checks that the bits above the word are 0
    int16_t read_word(unsigned x, unsigned y, unsigned c)
    {
        command(NCA_OP_READW, x, y, c);
        while (!top->o_rsp_valid)
            tick();
        uint32_t w0 = word32(top->o_rsp_cell, 0);
        for (int k = 1; k < (CHANNELS + 1) / 2; k++)
            if (word32(top->o_rsp_cell, k) != 0)
                w0 |= 0x10000u;
        if (w0 >> 16) {
            printf("tb_core: FAIL: READW (%u,%u) channel %u: bits above 15 set\n", x, y, c);
            exit(1);
        }
        top->i_rsp_ready = 1;
        tick();
        top->i_rsp_ready = 0;
        return (int16_t)(uint16_t)w0;
    }

    // READ (whole cell) or C x READW
    void read_any(unsigned x, unsigned y, int16_t *out, bool words)
    {
        if (words || !WIDE_CELL) {
            for (unsigned c = 0; c < CHANNELS; c++)
                out[c] = read_word(x, y, c);
        } else {
            read_cell(x, y, out);
        }
    }

    // WRITEW of channels first..last-1, junk above bit 15 (must be ignored)
    void write_words(unsigned x, unsigned y, const int16_t *w, unsigned first, unsigned last)
    {
        for (unsigned c = first; c < last; c++) {
            for (int k = 0; k < (CHANNELS + 1) / 2; k++)
                put32(top->i_cmd_cell, k, 0xBEEF0000u ^ (uint32_t)(k * 0x01010101u));
            put32(top->i_cmd_cell, 0, 0xDEAD0000u | (uint16_t)w[c]);
            command(NCA_OP_WRITEW, x, y, c);
        }
    }

    // WRITE (whole cell) or C x WRITEW
    void write_any(unsigned x, unsigned y, const int16_t *w, bool words)
    {
        if (words || !WIDE_CELL) {
            write_words(x, y, w, 0, CHANNELS);
            wait_idle();
        } else {
            command(NCA_OP_WRITE, x, y, 0, w);
        }
    }

    void load_model(const nca_model *m, unsigned wrap, uint32_t seed)
    {
        const unsigned I = nca_model_inputs(m), H = m->hidden, C = m->channels;
        command(NCA_OP_CFG, NCA_CFG_HIDDEN, H);
        command(NCA_OP_CFG, NCA_CFG_KERNELS, m->kernels);
        command(NCA_OP_CFG, NCA_CFG_WRAP, wrap);
        command(NCA_OP_CFG, NCA_CFG_FIRE, m->fire_q);
        command(NCA_OP_CFG, NCA_CFG_ALIVE, (uint32_t)m->alive_q |
                (m->flags & NCA_FLAG_ALL_ACTIVE ? 1u << 16 : 0u));
        command(NCA_OP_CFG, NCA_CFG_SF, m->state_frac);
        command(NCA_OP_CFG, NCA_CFG_SEED, seed);
        command(NCA_OP_CFG, NCA_CFG_STEPS, 0);
        for (unsigned j = 0; j < H; j++)
            for (unsigned i = 0; i < I; i++)
                command(NCA_OP_LOAD, NCA_LD_W1, (j << 16) | i, (uint32_t)(int32_t)m->w1[j * I + i]);
        for (unsigned k = 0; k < C; k++)
            for (unsigned j = 0; j < H; j++)
                command(NCA_OP_LOAD, NCA_LD_W2, (k << 16) | j, (uint32_t)(int32_t)m->w2[k * H + j]);
        for (unsigned j = 0; j < H; j++) {
            command(NCA_OP_LOAD, NCA_LD_B1, j << 16, (uint32_t)m->b1[j]);
            command(NCA_OP_LOAD, NCA_LD_S1, j << 16, m->shift1[j]);
        }
        for (unsigned k = 0; k < C; k++) {
            command(NCA_OP_LOAD, NCA_LD_B2, k << 16, (uint32_t)m->b2[k]);
            command(NCA_OP_LOAD, NCA_LD_S2, k << 16, m->shift2[k]);
        }
    }

    // value of +name=VALUE (copied: Verilator returns a shared buffer), nullptr when absent
    int compare_grid(const nca_grid *g, unsigned step)
    {
        int16_t w[CHANNELS];
        int bad = 0;
        const bool words = (step % 8 == 1);
        for (unsigned y = 0; y < g->height; y++)
            for (unsigned x = 0; x < g->width; x++) {
                read_any(x, y, w, words);
                const int16_t *ref = g->s + ((size_t)y * g->width + x) * g->channels;
                for (unsigned c = 0; c < g->channels; c++)
                    if (w[c] != ref[c]) {
                        printf("tb_core: FAIL: after step %u cell (%u,%u) channel %u: rtl %d, C %d\n",
                               step, x, y, c, w[c], ref[c]);
                        if (++bad >= 8)
                            return 1;
                        break;
                    }
            }
        return bad;
    }

    void apply_damage(nca_grid *g, const nca_damage *d)
    {
        nca_grid_damage(g, d);
        int op = d->kind == NCA_DMG_CIRCLE ? NCA_OP_CIRCLE : d->kind == NCA_DMG_HALF ? NCA_OP_HALF : NCA_OP_SQUARE;
        command(op, (uint32_t)d->a, (uint32_t)d->b, (uint32_t)d->c);
        wait_idle();
    }

    // reset pulse, inputs idle
    void reset()
    {
        top->i_rst = 1;
        top->i_cmd_valid = 0;
        top->i_rsp_ready = 0;
        tick();
        tick();
        top->i_rst = 0;
        tick();
    }

    // one STEP of the core against nca_step_fixed and the cycle model; 0 when equal
    int step_once(const nca_model *m, nca_grid *g, nca_workspace *ws, const char *what)
    {
        nca_cycle_report rep;
        uint64_t pred = cycles_step(m, g, &rep);
        nca_step_stats st;
        nca_step_fixed(m, g, ws, &st);
        events.clear();
        command(NCA_OP_STEP, 1);
        wait_idle();
        if (events.size() != 1 || events[0].cycles != pred || events[0].pre != st.pre_alive ||
            events[0].act != st.active) {
            printf("tb_core: FAIL: %s: rtl %u cycles pre %u active %u, model %llu, C %u %u\n",
                   what, events.empty() ? 0u : events[0].cycles,
                   events.empty() ? 0u : events[0].pre, events.empty() ? 0u : events[0].act,
                   (unsigned long long)pred, st.pre_alive, st.active);
            return 1;
        }
        if (compare_grid(g, g->step)) {
            printf("tb_core: FAIL: %s: state differs\n", what);
            return 1;
        }
        return 0;
    }

    // +sweep=N: N random step configurations of this build (the grid, channels and lanes are
    // the build's): kernel subset, hidden 1..HIDDEN, boundary, fire rate 0.5 or 1, alive
    // masking on or off, SF/HF, random weights and a random start; each runs +sweep_steps
    // steps (default 4) compared with the C model word for word, its counts and clocks with
    // the cycle model. +sweep_seed=S (default 1) makes the draw; the same S, the same sweep.
    int run_sweep(unsigned n)
    {
        const unsigned W = GRID_W, H = GRID_H, steps = (unsigned)arg_ul("sweep_steps", 4);
        uint64_t r = 0x9E3779B97F4A7C15ull * (arg_ul("sweep_seed", 1) + 1);
        auto next = [&r]() {  // xorshift64*
            r ^= r >> 12;
            r ^= r << 25;
            r ^= r >> 27;
            return (uint32_t)((r * 0x2545F4914F6CDD1Dull) >> 32);
        };
        auto unif = [&next]() { return (next() + 0.5) / 4294967296.0; };
        auto normal = [&unif]() { return sqrt(-2.0 * log(unif())) * cos(6.283185307179586 * unif()); };
        nca_error err;
        static nca_model m;
        static nca_model_f mf;
        unsigned counts[2][2] = {{0, 0}, {0, 0}};  // [all active][fire always]
        reset();
        for (unsigned k = 0, tries = 0; k < n; k++) {
            nca_qparams q;
            nca_qparams_default(&q);
            memset(&mf, 0, sizeof mf);
            mf.channels = CHANNELS;
            mf.kernels = NCA_K_IDENTITY | (next() % 8) << 1;
            mf.hidden = k == 0 ? HIDDEN : k == 1 ? 1 : 1 + next() % HIDDEN;
            mf.inputs = (unsigned)__builtin_popcount(mf.kernels) * CHANNELS;
            if (W1_WORDS && (mf.hidden + 7) / 8 > W1_WORDS / mf.inputs)  // the build's capacity
                mf.hidden = W1_WORDS / mf.inputs * 8;
            const double s1 = 1.5 / sqrt((double)mf.inputs), s2 = 0.02 + 0.5 * unif();
            for (unsigned i = 0; i < mf.hidden * mf.inputs; i++)
                mf.w1[i] = (float)(s1 * normal());
            for (unsigned j = 0; j < mf.hidden; j++)
                mf.b1[j] = (float)(0.1 * normal());
            for (unsigned i = 0; i < CHANNELS * mf.hidden; i++)
                mf.w2[i] = (float)(s2 * normal() / sqrt((double)mf.hidden));
            for (unsigned c = 0; c < CHANNELS; c++)
                mf.b2[c] = (float)(0.01 * normal());
            q.state_frac = 9 + next() % 6;   // 9..14
            q.hid_frac = 4 + next() % 5;     // 4..8
            q.boundary = next() % 2;
            q.fire_rate = next() % 2 ? 1.0 : 0.5;
            q.alive_threshold = 0.3 * unif();
            q.flags = next() % 2 ? NCA_FLAG_ALL_ACTIVE : 0;
            if (nca_quantize(&mf, &q, &m, &err) != NCA_OK) {
                // the formats cannot hold these weights (e.g. a large w2 at SF 14, HF 4):
                // draw this configuration again
                if (++tries > 1000) {
                    printf("tb_core: FAIL: sweep %u: %s\n", k, err.msg);
                    return 1;
                }
                k--;
                continue;
            }
            counts[q.flags != 0][m.fire_q == NCA_FIRE_ALWAYS]++;
            const uint32_t seed = next();
            nca_grid g;
            nca_workspace ws;
            if (nca_grid_init(&g, &m, W, H, seed, 0, &err) != NCA_OK ||
                nca_workspace_init(&ws, &g, &err) != NCA_OK) {
                printf("tb_core: FAIL: %s\n", err.msg);
                return 1;
            }
            g.boundary = m.boundary;
            load_model(&m, m.boundary, seed);
            g.step = next() % 1000;  // the fire hash's step input
            command(NCA_OP_CFG, NCA_CFG_STEPS, g.step);
            command(NCA_OP_CLEAR);
            wait_idle();
            // start: a seed cell, or random words on a random share of the cells (some mature)
            const unsigned share = next() % 4;  // 0: seed cell only, else share/4 of the cells
            const unsigned one = 1u << m.state_frac;
            if (share == 0) {
                unsigned x = next() % W, y = next() % H;
                nca_grid_seed(&g, x, y, &err);
                command(NCA_OP_SEED, x, y);
            } else {
                for (unsigned y = 0; y < H; y++)
                    for (unsigned x = 0; x < W; x++) {
                        if (next() % 4 >= share)
                            continue;
                        int16_t w[CHANNELS];
                        for (unsigned c = 0; c < CHANNELS; c++)
                            w[c] = (int16_t)((int32_t)(next() % (2 * one)) - (int32_t)one);
                        memcpy(g.s + ((size_t)y * W + x) * CHANNELS, w, sizeof w);
                        write_any(x, y, w, (x + y) % 2 == 0);
                    }
            }
            char what[160];
            for (unsigned t = 0; t < steps; t++) {
                snprintf(what, sizeof what,
                         "sweep %u (kernels 0x%x hidden %u %s fire %u %s SF %u HF %u) step %u", k,
                         m.kernels, m.hidden, m.boundary ? "wrap" : "zero", m.fire_q,
                         m.flags ? "all-active" : "masked", m.state_frac, m.hid_frac, t + 1);
                if (step_once(&m, &g, &ws, what))
                    return 1;
            }
            if (!flag("quiet"))
                printf("tb_core: sweep %2u: kernels 0x%x hidden %3u %s fire %5u %-10s SF %2u HF %u:"
                       " %u steps equal\n", k, m.kernels, m.hidden, m.boundary ? "wrap" : "zero",
                       m.fire_q, m.flags ? "all-active" : "masked", m.state_frac, m.hid_frac,
                       steps);
            nca_workspace_free(&ws);
            nca_grid_free(&g);
        }
        printf("tb_core: sweep of %u configurations on %ux%u, %d channels, LANES=%u: masked "
               "%u + %u deterministic, all-active %u + %u deterministic\n", n, W, H, CHANNELS,
               LANES, counts[0][0], counts[0][1], counts[1][0], counts[1][1]);
        printf("tb_core: PASS\n");
        return 0;
    }

    int run()
    {
        if (arg_ul("sweep", 0))
            return run_sweep((unsigned)arg_ul("sweep", 0));
        std::string model_arg = arg("model");
        const char *model_path = model_arg.empty() ? "weights/distill/ex3-regen-lizard.bin"
                                                   : model_arg.c_str();
        const unsigned steps = (unsigned)arg_ul("steps", 320);
        const uint32_t seed = (uint32_t)arg_ul("seed", 1);
        trace = flag("trace");
        const bool quiet = flag("quiet");
        const bool wrap = flag("wrap");
        if (!trace_from_plusargs()) {
            printf("tb_core: FAIL: cannot open +vcd=%s\n", arg("vcd").c_str());
            return 1;
        }

        nca_error err;
        static nca_model m;
        if (nca_model_load(model_path, &m, &err) != NCA_OK) {
            printf("tb_core: FAIL: %s\n", err.msg);
            return 1;
        }
        if (m.channels != CHANNELS || m.hidden > HIDDEN) {
            printf("tb_core: FAIL: model %ux%u does not fit the core (%d channels, %d hidden)\n",
                   m.channels, m.hidden, CHANNELS, HIDDEN);
            return 1;
        }
        nca_grid g;
        if (nca_grid_init(&g, &m, GRID_W, GRID_H, seed, 0, &err) != NCA_OK) {
            printf("tb_core: FAIL: %s\n", err.msg);
            return 1;
        }
        g.boundary = wrap ? NCA_BOUNDARY_WRAP : NCA_BOUNDARY_ZERO;
        nca_workspace ws;
        if (nca_workspace_init(&ws, &g, &err) != NCA_OK) {
            printf("tb_core: FAIL: %s\n", err.msg);
            return 1;
        }

        reset();
        load_model(&m, wrap, seed);
        command(NCA_OP_CLEAR);
        wait_idle();
        const unsigned W = GRID_W, H = GRID_H;
        if (nca_grid_seed(&g, W / 2, H / 2, &err) != NCA_OK) {
            printf("tb_core: FAIL: %s\n", err.msg);
            return 1;
        }
        command(NCA_OP_SEED, W / 2, H / 2);
        {  // outside the grid: WRITE and SEED do nothing, READ answers 0
            int16_t w[CHANNELS];
            for (int c = 0; c < CHANNELS; c++)
                w[c] = (int16_t)(1000 + c);
            write_any(W, 0, w, false);
            write_any(0, H, w, false);
            write_any(W, 1, w, true);
            write_any(2, H + 5, w, true);
            command(NCA_OP_SEED, W + 3, H + 3);
            read_any(W + 1, 2, w, false);
            for (int c = 0; c < CHANNELS; c++)
                if (w[c] != 0) {
                    printf("tb_core: FAIL: READ outside the grid gave %d\n", w[c]);
                    return 1;
                }
            read_any(1, H, w, true);
            for (int c = 0; c < CHANNELS; c++)
                if (w[c] != 0) {
                    printf("tb_core: FAIL: READW outside the grid gave %d\n", w[c]);
                    return 1;
                }
            // a cell half written by WRITEW is unchanged until its last channel
            for (int c = 0; c < CHANNELS; c++)
                w[c] = (int16_t)(3000 - 77 * c);
            write_words(1, 2, w, 0, CHANNELS - 1);
            wait_idle();
            for (unsigned c = 0; c < CHANNELS; c++)
                if (read_word(1, 2, c) != 0) {
                    printf("tb_core: FAIL: WRITEW changed the cell before its last channel\n");
                    return 1;
                }
            write_words(1, 2, w, CHANNELS - 1, CHANNELS);
            wait_idle();
            int16_t r[CHANNELS];
            read_any(1, 2, r, false);
            if (memcmp(r, w, sizeof r) != 0 || (CHANNELS < 16 && read_word(1, 2, CHANNELS) != 0)) {
                printf("tb_core: FAIL: WRITEW / READW of cell (1,2) (or READW of channel %d)\n",
                       CHANNELS);
                return 1;
            }
            memset(w, 0, sizeof w);  // back to 0, as the C model's grid
            write_any(1, 2, w, true);
        }
        {  // erasure edge cases on a few written cells: each half, a square with a negative
           // side, a circle with a negative radius, boxes over the edges, a far circle
            const nca_damage probes[] = {
                {NCA_DMG_HALF, NCA_HALF_LEFT, 0, 0},   {NCA_DMG_HALF, NCA_HALF_TOP, 0, 0},
                {NCA_DMG_HALF, NCA_HALF_BOTTOM, 0, 0}, {NCA_DMG_HALF, 7, 0, 0},
                {NCA_DMG_SQUARE, 5, 5, -4},            {NCA_DMG_CIRCLE, 1, 1, -2},
                {NCA_DMG_SQUARE, (int)W - 2, (int)H + 1, 7},
                {NCA_DMG_SQUARE, -65000, 3, 130001},
                {NCA_DMG_CIRCLE, -100000, (int)H / 2, 100001},
                // nca_core_seq walks from (a + c, b) to (0, 0): left and down, a long walk
                {NCA_DMG_CIRCLE, (int)W + 70, -30, -75},
                {NCA_DMG_CIRCLE, 90000, -40000, 98500},
            };
            const unsigned px[] = {0, W - 1, 0, W - 1, W / 2 - 1, W / 2, 1, W - 2};
            const unsigned py[] = {0, 0, H - 1, H - 1, H / 2 - 1, H / 2, H - 2, 1};
            for (const nca_damage &d : probes) {
                for (unsigned k = 0; k < 8; k++) {
                    int16_t w[CHANNELS];
                    for (int c = 0; c < CHANNELS; c++)
                        w[c] = (int16_t)(100 * k + c + 1);
                    memcpy(g.s + ((size_t)py[k] * W + px[k]) * CHANNELS, w, sizeof w);
                    write_any(px[k], py[k], w, (k & 1) != 0);
                }
                apply_damage(&g, &d);
                if (compare_grid(&g, 0)) {
                    printf("tb_core: FAIL: erasure kind %d (%d, %d, %d)\n", d.kind, d.a, d.b, d.c);
                    return 1;
                }
            }
            command(NCA_OP_CLEAR);  // back to the seeded grid
            wait_idle();
            memset(g.s, 0, (size_t)W * H * CHANNELS * sizeof *g.s);
            if (nca_grid_seed(&g, W / 2, H / 2, &err) != NCA_OK) {
                printf("tb_core: FAIL: %s\n", err.msg);
                return 1;
            }
            command(NCA_OP_SEED, W / 2, H / 2);
        }
        if (compare_grid(&g, 0))
            return 1;

        // damage schedule, scaled to the run: circle, half, square, then random cell writes
        struct Event {
            unsigned step;
            nca_damage d;
        };
        std::vector<Event> dmg = {
            {steps * 3 / 8, {NCA_DMG_CIRCLE, (int)W / 2, (int)H / 2 - (int)H / 8, (int)W / 8}},
            {steps * 5 / 8, {NCA_DMG_HALF, NCA_HALF_RIGHT, 0, 0}},
            {steps * 6 / 8, {NCA_DMG_SQUARE, (int)W / 2, (int)H / 2 + (int)H / 8, (int)W / 5}},
            {steps * 6 / 8 + 2, {NCA_DMG_CIRCLE, -(int)W / 4, (int)H + 7, (int)W}},
            {steps * 6 / 8 + 4, {NCA_DMG_SQUARE, -3, (int)H - 2, 9}},
        };
        const unsigned write_step = steps * 7 / 8;
        uint32_t rng = 12345u ^ seed;

        uint64_t sum_useful = 0, sum_cycles = 0, sum_active = 0;
        unsigned ss_steps = 0;
        uint64_t t0 = cycle;
        const unsigned multi = steps >= 8 ? 3 : 0;  // the last steps run as one STEP command
        for (unsigned s = 0; s < steps - multi; s++) {
            for (const Event &e : dmg)
                if (e.step == s && s > 0)
                    apply_damage(&g, &e.d);
            if (s == write_step) {
                for (int k = 0; k < 24; k++) {  // random cells, random words (mature or not)
                    int16_t w[CHANNELS];
                    rng = rng * 1664525u + 1013904223u;
                    unsigned x = (rng >> 8) % W, y = (rng >> 20) % H;
                    for (int c = 0; c < CHANNELS; c++) {
                        rng = rng * 1664525u + 1013904223u;
                        w[c] = (int16_t)((int32_t)(rng >> 16) % 4096 - 1024);
                    }
                    memcpy(g.s + ((size_t)y * W + x) * CHANNELS, w, sizeof w);
                    write_any(x, y, w, (k & 1) != 0);
                }
            }
            if (trace) {  // the cells that will run the MLP this step
                printf("step %u active:", s);
                for (unsigned y = 0; y < H; y++)
                    for (unsigned x = 0; x < W; x++) {
                        int pre = 0;
                        for (int dy = -1; dy <= 1; dy++)
                            for (int dx = -1; dx <= 1; dx++) {
                                int yy = (int)y + dy, xx = (int)x + dx;
                                if (wrap) {
                                    yy = (yy + (int)H) % (int)H;
                                    xx = (xx + (int)W) % (int)W;
                                } else if (yy < 0 || xx < 0 || yy >= (int)H || xx >= (int)W)
                                    continue;
                                pre |= g.s[((size_t)yy * W + (size_t)xx) * CHANNELS + 3] > m.alive_q;
                            }
                        if (pre && nca_fires(m.fire_q, g.seed, g.step, x, y))
                            printf(" (%u,%u)", x, y);
                    }
                printf("\n");
            }
            nca_cycle_report rep;
            uint64_t pred = cycles_step(&m, &g, &rep);
            nca_step_stats st;
            nca_step_fixed(&m, &g, &ws, &st);
            events.clear();
            command(NCA_OP_STEP, 1);
            wait_idle();
            if (events.size() != 1) {
                printf("tb_core: FAIL: step %u: %zu step-done pulses\n", s, events.size());
                return 1;
            }
            const StepEvent &ev = events[0];
            if (trace || (!quiet && s % 40 == 0))
                printf("step %3u: pre-alive %4u active %4u alive %4u cycles %7u (model %7llu, "
                       "A %llu B %llu C %llu D %llu) util %.3f\n",
                       s, st.pre_alive, st.active, st.alive, ev.cycles, (unsigned long long)pred,
                       (unsigned long long)rep.phase_a, (unsigned long long)rep.phase_b,
                       (unsigned long long)rep.phase_c, (unsigned long long)rep.phase_d,
                       nca_cycles_utilisation(&rep, LANES));
            if (ev.pre != st.pre_alive || ev.act != st.active) {
                printf("tb_core: FAIL: step %u: rtl pre-alive %u active %u, C %u %u\n", s, ev.pre,
                       ev.act, st.pre_alive, st.active);
                return 1;
            }
            if (ev.cycles != pred) {
                printf("tb_core: FAIL: step %u: rtl %u cycles, cycle model %llu\n", s, ev.cycles,
                       (unsigned long long)pred);
                return 1;
            }
            if (compare_grid(&g, s + 1))
                return 1;
            // steady state: the last quarter before the damage (grown, undisturbed)
            if (s >= steps / 4 && s < steps * 3 / 8) {
                sum_useful += rep.useful_macs;
                sum_cycles += rep.total;
                sum_active += rep.active;
                ss_steps++;
            }
            if (s == 1)
                trace_close();   // the VCD of the first two steps
        }
        // the last steps as one command: one step-done pulse and cycle count per step
        if (multi) {
            std::vector<uint64_t> preds;
            for (unsigned k = 0; k < multi; k++) {
                preds.push_back(cycles_step(&m, &g, nullptr));
                nca_step_fixed(&m, &g, &ws, nullptr);
            }
            events.clear();
            command(NCA_OP_STEP, multi);
            wait_idle();
            if (events.size() != multi) {
                printf("tb_core: FAIL: STEP %u gave %zu step-done pulses\n", multi, events.size());
                return 1;
            }
            for (unsigned k = 0; k < multi; k++)
                if (events[k].cycles != preds[k]) {
                    printf("tb_core: FAIL: multi-step %u: rtl %u cycles, model %llu\n", k,
                           events[k].cycles, (unsigned long long)preds[k]);
                    return 1;
                }
            if (compare_grid(&g, steps))
                return 1;
        }
        // dense: every cell mature (random words, alpha in (T, 1.0]), fire rate as the model
        const unsigned dense = (unsigned)arg_ul("dense", 0);
        for (unsigned k = 0; k < dense; k++) {
            if (k == 0) {
                for (unsigned y = 0; y < H; y++)
                    for (unsigned x = 0; x < W; x++) {
                        int16_t w[CHANNELS];
                        for (int c = 0; c < CHANNELS; c++) {
                            rng = rng * 1664525u + 1013904223u;
                            w[c] = (int16_t)((int32_t)(rng >> 16) % 2048);
                        }
                        w[3] = (int16_t)(m.alive_q + 1 + (int)((rng >> 8) % (uint32_t)(2048 - m.alive_q)));
                        memcpy(g.s + ((size_t)y * W + x) * CHANNELS, w, sizeof w);
                        write_any(x, y, w, (x + y) % 3 == 0);
                    }
            }
            nca_cycle_report rep;
            uint64_t pred = cycles_step(&m, &g, &rep);
            nca_step_stats st;
            nca_step_fixed(&m, &g, &ws, &st);
            events.clear();
            command(NCA_OP_STEP, 1);
            wait_idle();
            if (events.size() != 1 || events[0].cycles != pred || events[0].act != st.active ||
                compare_grid(&g, steps + k + 1)) {
                printf("tb_core: FAIL: dense step %u (rtl %u cycles, model %llu)\n", k,
                       events.empty() ? 0u : events[0].cycles, (unsigned long long)pred);
                return 1;
            }
            printf("tb_core: dense step %u: pre-alive %u active %u, %u clocks (model %llu), "
                   "MAC utilisation %.3f\n", k, st.pre_alive, st.active, events[0].cycles,
                   (unsigned long long)pred, nca_cycles_utilisation(&rep, LANES));
        }
        if (top->o_steps != steps + dense) {
            printf("tb_core: FAIL: core counts %u steps, expected %u\n", top->o_steps, steps + dense);
            return 1;
        }
        printf("tb_core: %ux%u LANES=%d %s boundary, %u steps (damage at %u %u %u, writes at %u), "
               "%llu clocks simulated\n",
               W, H, LANES, wrap ? "wrap" : "zero", steps, dmg[0].step, dmg[1].step, dmg[2].step,
               write_step, (unsigned long long)(cycle - t0));
        if (ss_steps)
            printf("tb_core: steady state (steps %u..%u): %.1f active cells, %.0f clocks/step, "
                   "MAC utilisation %.3f\n",
                   steps / 4, steps * 3 / 8 - 1, (double)sum_active / ss_steps,
                   (double)sum_cycles / ss_steps,
                   (double)sum_useful / ((double)LANES * (double)sum_cycles));
        printf("tb_core: PASS\n");
        nca_workspace_free(&ws);
        nca_grid_free(&g);
        return 0;
    }
};

int main(int argc, char **argv)
{
    CoreBench b(argc, argv);
    return b.run();
}

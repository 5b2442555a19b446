// SPDX-License-Identifier: Apache-2.0
// tb_units_bench.h - the harness of the unit benches (tb_units.cpp, tb_units_serial.h): the
// tb_units model, its random numbers and the packing of 16-bit lanes into Verilator ports.
// LANES, CHANNELS and HIDDEN come from the Verilated model (sim/nca_bench.vlt).
#ifndef TB_UNITS_BENCH_H
#define TB_UNITS_BENCH_H

#include "nca_bench.h"
#include "Vtb_units.h"
#include "Vtb_units_tb_units.h"

extern "C" {
#include "nca.h"
#include "nca_cycles.h"
#include "nca_ids.h"
}

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <string>
#include <vector>

static constexpr unsigned LANES = Vtb_units_tb_units::LANES;
enum { C = Vtb_units_tb_units::CHANNELS, HID = Vtb_units_tb_units::HIDDEN, GW = 64 };

struct UnitBench : NcaBench<Vtb_units> {
    using NcaBench<Vtb_units>::NcaBench;
    uint64_t rng_state = 1;
    bool trace = false;

    uint32_t rnd()
    {
        rng_state ^= rng_state << 13;
        rng_state ^= rng_state >> 7;
        rng_state ^= rng_state << 17;
        return (uint32_t)(rng_state >> 16);
    }
    int32_t rnd_range(int32_t lo, int32_t hi) { return lo + (int32_t)(rnd() % (uint32_t)(hi - lo + 1)); }

    // pack/unpack 16-bit lanes of a wide Verilator vector (32-bit words)
    template <typename T> void put16(T &vec, int idx, int16_t v)
    {
        uint32_t &w = vec[idx / 2];
        int sh = 16 * (idx & 1);
        w = (w & ~(0xFFFFu << sh)) | ((uint32_t)(uint16_t)v << sh);
    }
    template <typename T> int16_t get16(const T &vec, int idx)
    {
        return (int16_t)(vec[idx / 2] >> (16 * (idx & 1)));
    }

    // 21-bit lanes (perception sums: nca_perceive's o_p, nca_mlp's i_p_vec), sign-extended
    template <typename T> void put21(T &vec, int idx, int32_t v)
    {
        for (int b = 0; b < 21; b++) {
            const int at = 21 * idx + b;
            const uint32_t bit = 1u << (at % 32);
            vec[at / 32] = ((uint32_t)v >> b & 1u) ? (vec[at / 32] | bit) : (vec[at / 32] & ~bit);
        }
    }
    template <typename T> int32_t get21(const T &vec, int idx)
    {
        uint32_t v = 0;
        for (int b = 0; b < 21; b++) {
            const int at = 21 * idx + b;
            v |= (vec[at / 32] >> (at % 32) & 1u) << b;
        }
        return (int32_t)(v << 11) >> 11;
    }
    // the perception word of a 21-bit sum of physical filter f (docs/fixed-point.md)
    static int16_t p_word(int32_t sum, int f)
    {
        return f == 0 ? (int16_t)sum : nca_sat16(nca_rshift_round(sum, f == 3 ? 4 : 3));
    }

    // the same for ports of 64 bits or less (Verilator QData)
    void put16(uint64_t &w, int idx, int16_t v)
    {
        int sh = 16 * idx;
        w = (w & ~(0xFFFFull << sh)) | ((uint64_t)(uint16_t)v << sh);
    }
    int16_t get16(const uint64_t &w, int idx) { return (int16_t)(w >> (16 * idx)); }

    int16_t rnd_word()
    {
        switch (rnd() % 4) {
        case 0: return (int16_t)rnd();                        // full range
        case 1: return (int16_t)rnd_range(-32768, -32000);     // near the rails
        case 2: return (int16_t)rnd_range(32000, 32767);
        default: return (int16_t)rnd_range(-4096, 4096);       // typical states
        }
    }

    // a model with every kernel and a 3x3 zero-boundary grid: one cell's window, for nca_perceive
    int window_init(nca_model *m, nca_grid *g)
    {
        memset(m, 0, sizeof *m);
        m->channels = C;
        m->hidden = 1;
        m->kernels = NCA_K_ALL;
        nca_error err;
        if (nca_grid_init(g, m, 3, 3, 1, 0, &err) != NCA_OK) {
            printf("tb_units: FAIL: %s\n", err.msg);
            return 1;
        }
        g->boundary = NCA_BOUNDARY_ZERO;
        return 0;
    }
};

#endif

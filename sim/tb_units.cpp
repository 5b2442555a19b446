// SPDX-License-Identifier: Apache-2.0
// tb_units.cpp - randomized unit benches of the RTL blocks against the C reference model:
//   perception  nca_perceive + nca_p_word vs C nca_perceive (all four filters, saturating
//               inputs)
//   MLP         nca_mlp (MAC array, ReLU/requant, residual) vs C nca_mlp on random models
//               (random hidden size, kernel set, full-range weights, biases and shifts),
//               cells back to back, and its cycle count vs nca_cycles_mac_len
//   hash        nca_hash vs C nca_hash, one input per clock
//   alive rows  nca_alive_row vs the 3x3 rule of docs/fixed-point.md (zero and wrap)
//   and nca_core_seq's serial blocks (hash, requant, alive rows, perception, MAC array,
//   erasure walker, pending-update FIFO) against the C model or the rule they implement
// Plusargs: +seed=N (default 1) +trace. Prints PASS/FAIL, exit 1 on failure. The serial
// blocks' benches are in tb_units_serial.h, the harness in tb_units_bench.h.
#include "tb_units_serial.h"

struct UnitTests : SerialTests {
    using SerialTests::SerialTests;

    int test_perception(int n)
    {
        static nca_model m;
        nca_grid g;
        if (window_init(&m, &g))
            return 1;
        for (int t = 0; t < n; t++) {
            for (int i = 0; i < 9 * C; i++)
                g.s[i] = (rnd() % 5 == 0) ? 0 : rnd_word();
            top->i_pc_clear = 1;
            tick();
            top->i_pc_clear = 0;
            int order[9] = {0, 1, 2, 3, 4, 5, 6, 7, 8};
            for (int i = 8; i > 0; i--) {
                int j = (int)(rnd() % (uint32_t)(i + 1)), tmp = order[i];
                order[i] = order[j];
                order[j] = tmp;
            }
            for (int k = 0; k < 9; k++) {
                top->i_pc_valid = 1;
                top->i_pc_pos = order[k];
                for (int c = 0; c < C; c++)
                    put16(top->i_pc_word, c, g.s[order[k] * C + c]);
                tick();
            }
            top->i_pc_valid = 0;
            tick();
            int16_t p[NCA_MAX_INPUTS];
            nca_perceive(&m, &g, 1, 1, p);
            for (int i = 0; i < 4 * C; i++) /* the sums through nca_p_word, as nca_mlp reads them */
                if (get16(top->o_pc_pw, i) != p[i]) {
                    printf("tb_units: FAIL: perception %d input %d: rtl %d (sum %d), C %d\n", t,
                           i, get16(top->o_pc_pw, i), get21(top->o_pc_p, i), p[i]);
                    return 1;
                }
        }
        nca_grid_free(&g);
        printf("tb_units: perception: %d random windows match nca_perceive\n", n);
        return 0;
    }

    void load(int sel, unsigned a, unsigned b, int32_t v)
    {
        top->i_ld_valid = 1;
        top->i_ld_sel = sel;
        top->i_ld_a = a;
        top->i_ld_b = b;
        top->i_ld_data = (uint32_t)v;
        tick();
        top->i_ld_valid = 0;
    }

    void random_model(nca_model *m, unsigned hidden, unsigned kernels)
    {
        memset(m, 0, sizeof *m);
        m->channels = C;
        m->hidden = (uint8_t)hidden;
        m->kernels = (uint8_t)kernels;
        const unsigned I = nca_model_inputs(m);
        const int realistic = rnd() % 2;  // shifts that keep h inside 0..255 most of the time
        for (unsigned j = 0; j < hidden; j++) {
            for (unsigned i = 0; i < I; i++)
                m->w1[j * I + i] = (int8_t)rnd();
            m->b1[j] = rnd_range(-(1 << 24) + 1, (1 << 24) - 1);
            m->shift1[j] = (uint8_t)(realistic ? rnd_range(16, 24) : rnd_range(0, 24));
        }
        for (unsigned k = 0; k < C; k++) {
            for (unsigned j = 0; j < hidden; j++)
                m->w2[k * hidden + j] = (int8_t)rnd();
            m->b2[k] = rnd_range(-(1 << 24) + 1, (1 << 24) - 1);
            m->shift2[k] = (uint8_t)(realistic ? rnd_range(4, 14) : rnd_range(0, 24));
        }
    }

    int test_mlp(int models, int cells)
    {
        static nca_model m;
        for (int t = 0; t < models; t++) {
            unsigned hidden;
            switch (t % 4) {
            case 0: hidden = HID; break;
            case 1: hidden = (unsigned)rnd_range(1, LANES < HID ? LANES : HID); break;  // G = 1
            default: hidden = (unsigned)rnd_range(1, HID); break;
            }
            unsigned kernels = t == 0 ? 0x7u : (1u | ((rnd() % 8) << 1));
            random_model(&m, hidden, kernels);
            const unsigned I = nca_model_inputs(&m);
            top->i_kernels = kernels;
            top->i_hidden = hidden;
            tick();
            for (unsigned j = 0; j < hidden; j++)
                for (unsigned i = 0; i < I; i++)
                    load(0, j, i, m.w1[j * I + i]);
            for (unsigned k = 0; k < C; k++)
                for (unsigned j = 0; j < hidden; j++)
                    load(1, k, j, m.w2[k * hidden + j]);
            for (unsigned j = 0; j < hidden; j++) {
                load(2, j, 0, m.b1[j]);
                load(3, j, 0, m.shift1[j]);
            }
            for (unsigned k = 0; k < C; k++) {
                load(4, k, 0, m.b2[k]);
                load(5, k, 0, m.shift2[k]);
            }
            const unsigned want_len = nca_cycles_mac_len(&m, LANES);
            if (top->o_mac_len != want_len) {
                printf("tb_units: FAIL: MLP model %d: o_mac_len %u, cycle model %u\n", t,
                       top->o_mac_len, want_len);
                return 1;
            }
            // physical filter of each rank
            int phys[4], nf = 0;
            for (int f = 0; f < 4; f++)
                if (kernels & (1u << f))
                    phys[nf++] = f;
            // cells back to back: perception sums (physical layout: the identity words, then
            // 3x3 sums over their whole range, saturating ones included), expected u
            std::vector<std::vector<int32_t>> pv(cells, std::vector<int32_t>(4 * C));
            std::deque<std::vector<int16_t>> expect;
            for (int n = 0; n < cells; n++) {
                int16_t pc[NCA_MAX_INPUTS];
                int32_t ds[NCA_MAX_CHANNELS];
                for (int i = 0; i < 4 * C; i++) {
                    const int sh = i < C ? 0 : i < 3 * C ? 3 : 4;
                    if (i < C)
                        pv[n][i] = (rnd() % 3 == 0) ? rnd_word() : rnd_range(-3000, 3000);
                    else if (rnd() % 8 == 0) /* the 3x3 sums' full range */
                        pv[n][i] = rnd_range(i < 3 * C ? -8 * 32768 : -24 * 32768,
                                             i < 3 * C ? 8 * 32767 : 24 * 32767);
                    else
                        pv[n][i] = (rnd() % 3 == 0) ? rnd_word() * (1 << sh) + rnd_range(-8, 8)
                                                    : rnd_range(-3000, 3000) << sh;
                }
                for (int r = 0; r < nf; r++)
                    for (int c = 0; c < C; c++)
                        pc[r * C + c] = p_word(pv[n][phys[r] * C + c], phys[r]);
                nca_mlp(&m, pc, ds);
                std::vector<int16_t> u(C);
                for (int c = 0; c < C; c++)
                    u[c] = nca_sat16((int64_t)pc[c] + ds[c]);
                expect.push_back(u);
            }
            auto write_p = [&](int n) {
                top->i_p_we = 1;
                top->i_p_bank = n & 1;
                for (int i = 0; i < 4 * C; i++)
                    put21(top->i_p_vec, i, pv[n][i]);
            };
            write_p(0);
            tick();
            top->i_p_we = 0;
            int started = 0, done = 0, since = 0;
            uint64_t busy = 0, guard = 0;
            while (done < cells) {
                top->i_start = 0;
                top->i_p_we = 0;
                if (!top->o_busy && started < cells) {
                    top->i_start = 1;
                    top->i_bank = started & 1;
                    started++;
                    since = 0;
                } else if (started < cells && started >= 1 && ++since == 13) {
                    // the next cell's p into the bank of the cell before the running one, at the
                    // clock the core does it (the previous cell's result needs its bank 4 clocks)
                    write_p(started);
                }
                tick();
                busy += top->o_busy;
                if (top->o_u_valid) {
                    const std::vector<int16_t> &u = expect.front();
                    for (int c = 0; c < C; c++)
                        if (get16(top->o_u, c) != u[c]) {
                            printf("tb_units: FAIL: MLP model %d (H=%u K=%u) cell %d channel %d: "
                                   "rtl %d, C %d\n", t, hidden, kernels, done, c,
                                   get16(top->o_u, c), u[c]);
                            return 1;
                        }
                    expect.pop_front();
                    done++;
                }
                if (++guard > 10000000) {
                    printf("tb_units: FAIL: MLP model %d hangs\n", t);
                    return 1;
                }
            }
            top->i_start = 0;
            if (busy != (uint64_t)want_len * cells) {
                printf("tb_units: FAIL: MLP model %d: busy %llu clocks for %d cells, expected %u each\n",
                       t, (unsigned long long)busy, cells, want_len);
                return 1;
            }
            if (trace)
                printf("  model %d: H=%u K=%u I=%u mac_len %u ok\n", t, hidden, kernels, I, want_len);
        }
        printf("tb_units: MLP (LANES=%d, C=%d, hidden<=%d): %d random models x %d cells match "
               "nca_mlp, cycles = nca_cycles_mac_len\n", LANES, C, HID, models, cells);
        return 0;
    }

    int test_hash(int n)
    {
        struct In {
            uint32_t seed, step, x, y;
        };
        std::deque<In> q;
        int checked = 0;
        for (int t = 0; t < n + 2; t++) {
            In in = {rnd() ^ (rnd() << 16), rnd() % 8 ? rnd() % 5000 : rnd() ^ (rnd() << 16),
                     rnd() & 0xFFFF, rnd() & 0xFFFF};
            top->i_h_valid = t < n;
            top->i_h_seed = in.seed;
            top->i_h_step = in.step;
            top->i_h_x = in.x;
            top->i_h_y = in.y;
            if (t < n)
                q.push_back(in);
            tick();
            if (top->o_h_valid) {
                In e = q.front();
                q.pop_front();
                uint32_t h = nca_hash(e.seed, e.step, e.x, e.y);
                if (top->o_h_hash != h || top->o_h_tag != e.x) {
                    printf("tb_units: FAIL: hash(%u,%u,%u,%u): rtl %08x, C %08x\n", e.seed, e.step,
                           e.x, e.y, top->o_h_hash, h);
                    return 1;
                }
                checked++;
            }
        }
        top->i_h_valid = 0;
        if (checked != n) {
            printf("tb_units: FAIL: hash: %d of %d results (latency is not 2)\n", checked, n);
            return 1;
        }
        printf("tb_units: hash: %d random inputs match nca_hash (latency 2)\n", n);
        return 0;
    }

    int test_alive(int n)
    {
        for (int t = 0; t < n; t++) {
            uint8_t rows[3][GW];
            int dens = rnd_range(1, 30);
            for (int r = 0; r < 3; r++)
                for (int x = 0; x < GW; x++)
                    rows[r][x] = (int)(rnd() % 100) < dens;
            int wrap = rnd() & 1;
            uint64_t up = 0, mid = 0, dn = 0;
            for (int x = 0; x < GW; x++) {
                up |= (uint64_t)rows[0][x] << x;
                mid |= (uint64_t)rows[1][x] << x;
                dn |= (uint64_t)rows[2][x] << x;
            }
            top->i_ar_up = up;
            top->i_ar_mid = mid;
            top->i_ar_dn = dn;
            top->i_ar_wrap = wrap;
            top->eval();
            uint64_t got = top->o_ar_row;
            for (int x = 0; x < GW; x++) {
                int a = 0;
                for (int r = 0; r < 3; r++)
                    for (int dx = -1; dx <= 1; dx++) {
                        int xx = x + dx;
                        if (xx < 0 || xx >= GW) {
                            if (!wrap)
                                continue;
                            xx = (xx + GW) % GW;
                        }
                        a |= rows[r][xx];
                    }
                if ((int)((got >> x) & 1) != a) {
                    printf("tb_units: FAIL: alive row %d cell %d: rtl %d, spec %d\n", t, x,
                           (int)((got >> x) & 1), a);
                    return 1;
                }
            }
        }
        printf("tb_units: alive rows: %d random rows match the 3x3 rule (zero and wrap)\n", n);
        return 0;
    }

    int run()
    {
        rng_state = arg_ul("seed", 1) * 0x9E3779B97F4A7C15ull + 1;
        trace = flag("trace");
        top->i_rst = 1;
        tick();
        tick();
        top->i_rst = 0;
        tick();
        int bad = test_hash(5000) || test_hash_serial(2000) || test_requant_serial(20000) ||
                  test_alive_serial(300) || test_perception_serial(2000) || test_damage_serial(60) ||
                  test_mac_array(500) || test_fifo(30000) || test_alive(3000) ||
                  test_perception(3000) ||
                  test_mlp(20, 6);
        printf("tb_units: %s\n", bad ? "FAIL" : "PASS");
        return bad;
    }
};

int main(int argc, char **argv)
{
    UnitTests b(argc, argv);
    return b.run();
}

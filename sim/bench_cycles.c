/* SPDX-License-Identifier: Apache-2.0 */
/*
 * bench_cycles.c - clocks per step of a core configuration on a real model, from the cycle
 * model (sim/nca_cycles.c), which `make sim` proves equal to the Verilated RTL on every step
 * (tb_core, both cores). For tools/bench_boards.sh (`make bench`).
 *
 * usage: bench_cycles MODEL CORE LANES WxH [curve]
 *   CORE 0: nca_core with LANES MAC lanes; 1: nca_core_seq (8 lanes, LANES ignored).
 * With "curve" it prints one line per step of the growth instead, steps 0..199:
 *   STEP ACTIVE CLOCKS SECONDS
 * SECONDS being the C model's own time for that step (nca_step_fixed, one thread), for the
 * plot of tools/bench_plot.py.
 * Grows MODEL from one seed cell in the centre (rng seed 1, zero boundary unless the model
 * says wrap) as tb_core does and prints two lines, "grown" (the mean of steps 80..119: the
 * grown pattern before tb_core's first damage) and "dense" (one step from a grid of random
 * mature cells):
 *   CASE active=A clocks=N useful_macs=M [c_seconds=T]
 * with A and N and M the means over the steps (T: the C model's time for the dense step, the
 * mean of 20 runs of it from the same state). Exit 1 with one line on stderr on an error.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "nca.h"
#include "nca_cycles.h"

enum { FIRST = 80, LAST = 119, CURVE = 200, DENSE_RUNS = 20 };

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static uint64_t clocks(const nca_model *m, const nca_grid *g, unsigned core, unsigned lanes,
                       nca_cycle_report *r)
{
    return core ? nca_cycles_step_seq(m, g, r) : nca_cycles_step(m, g, lanes, r);
}

static int run(const char *path, unsigned core, unsigned lanes, unsigned w, unsigned h,
               int curve, nca_error *err)
{
    nca_model m;
    nca_grid g;
    nca_workspace ws;
    if (nca_model_load(path, &m, err) != NCA_OK)
        return 1;
    if (nca_grid_init(&g, &m, w, h, 1, 0, err) != NCA_OK)
        return 1;
    int rc = 1;
    g.boundary = m.boundary;
    if (nca_workspace_init(&ws, &g, err) != NCA_OK)
        goto free_grid;
    if (nca_grid_seed(&g, w / 2, h / 2, err) != NCA_OK)
        goto free_ws;
    /* the growth: each step's clocks from the cycle model, then the C model's own step */
    double act = 0, clk = 0, macs = 0;
    const unsigned nsteps = curve ? CURVE : LAST + 1;
    for (unsigned s = 0; s < nsteps; s++) {
        nca_cycle_report rep;
        uint64_t n = clocks(&m, &g, core, lanes, &rep);
        double t0 = now();
        nca_step_fixed(&m, &g, &ws, NULL);
        if (curve) {
            printf("%u %u %llu %.9f\n", s, rep.active, (unsigned long long)n, now() - t0);
        } else if (s >= FIRST) {
            act += rep.active;
            clk += (double)n;
            macs += (double)rep.useful_macs;
        }
    }
    if (curve) {
        rc = 0;
        goto free_ws;
    }
    const double k = LAST - FIRST + 1;
    printf("grown active=%.1f clocks=%.0f useful_macs=%.0f\n", act / k, clk / k, macs / k);
    /* dense: every cell mature (random words, alpha in (T, 1.0]) */
    uint32_t rng = 12345u;
    const unsigned C = m.channels;
    for (size_t i = 0; i < (size_t)w * h; i++) {
        for (unsigned c = 0; c < C; c++) {
            rng = rng * 1664525u + 1013904223u;
            g.s[i * C + c] = (int16_t)((int32_t)(rng >> 16) % 2048);
        }
        g.s[i * C + 3] = (int16_t)(m.alive_q + 1 + (int)((rng >> 8) % (uint32_t)(2048 - m.alive_q)));
    }
    nca_cycle_report rep;
    uint64_t n = clocks(&m, &g, core, lanes, &rep);
    /* the C model's time of this step: the mean of DENSE_RUNS runs from the same state */
    const size_t words = (size_t)w * h * C;
    int16_t *s0 = malloc(words * sizeof *s0);
    if (!s0) {
        fprintf(stderr, "bench_cycles: out of memory\n");
        goto free_ws;
    }
    memcpy(s0, g.s, words * sizeof *s0);
    const uint32_t step0 = g.step;
    double t = 0;
    for (unsigned r = 0; r < DENSE_RUNS; r++) {
        memcpy(g.s, s0, words * sizeof *s0);
        g.step = step0;
        double t0 = now();
        nca_step_fixed(&m, &g, &ws, NULL);
        t += now() - t0;
    }
    free(s0);
    printf("dense active=%u clocks=%llu useful_macs=%llu c_seconds=%.6f\n", rep.active,
           (unsigned long long)n, (unsigned long long)rep.useful_macs, t / DENSE_RUNS);
    rc = 0;
free_ws:
    nca_workspace_free(&ws);
free_grid:
    nca_grid_free(&g);
    return rc;
}

int main(int argc, char **argv)
{
    unsigned w, h;
    int curve = argc == 6 && !strcmp(argv[5], "curve");
    if ((argc != 5 && !curve) || sscanf(argv[4], "%ux%u", &w, &h) != 2) {
        fprintf(stderr, "usage: bench_cycles MODEL CORE(0|1) LANES WxH [curve]\n");
        return 1;
    }
    unsigned core = (unsigned)strtoul(argv[2], NULL, 10);
    unsigned lanes = (unsigned)strtoul(argv[3], NULL, 10);
    if (core > 1 || lanes == 0 || w < 3 || h < 3) {
        fprintf(stderr, "bench_cycles: CORE must be 0 or 1, LANES >= 1, the grid >= 3x3\n");
        return 1;
    }
    nca_error err;
    if (run(argv[1], core, lanes, w, h, curve, &err)) {
        fprintf(stderr, "bench_cycles: %s\n", err.msg);
        return 1;
    }
    return 0;
}

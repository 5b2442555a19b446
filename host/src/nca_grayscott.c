/* SPDX-License-Identifier: Apache-2.0 */
/* nca_grayscott.c - the Gray-Scott reference solver (nca_grayscott.h). */
#include "nca_grayscott.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

void nca_gs_params_default(nca_gs_params *p)
{
    p->da = 0.1;
    p->db = 0.05;
    p->alpha = 0.06230;
    p->gamma = 0.06268;
    p->dt = 1.0;
}

nca_status nca_gs_init(nca_gs *g, unsigned width, unsigned height, nca_error *err)
{
    memset(g, 0, sizeof *g);
    if (width < 3 || height < 3 || width > NCA_MAX_GRID || height > NCA_MAX_GRID)
        return nca_fail(err, NCA_E_ARG, "grid %ux%u out of range 3..%u per side", width, height,
                        NCA_MAX_GRID);
    size_t n = (size_t)width * height;
    g->width = width;
    g->height = height;
    g->a = calloc(n, sizeof *g->a);
    g->b = calloc(n, sizeof *g->b);
    g->la = calloc(n, sizeof *g->la);
    g->lb = calloc(n, sizeof *g->lb);
    if (!g->a || !g->b || !g->la || !g->lb) {
        nca_gs_free(g);
        return nca_fail(err, NCA_E_NOMEM, "out of memory for a %ux%u field", width, height);
    }
    return NCA_OK;
}

void nca_gs_free(nca_gs *g)
{
    free(g->a);
    free(g->b);
    free(g->la);
    free(g->lb);
    g->a = g->b = g->la = g->lb = NULL;
}

/* splitmix64: the seeded generator of the initial conditions */
static uint64_t next64(uint64_t *s)
{
    uint64_t z = (*s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

static double uniform(uint64_t *s) /* [0, 1) with 53 bits */
{
    return (double)(next64(s) >> 11) * 0x1.0p-53;
}

static unsigned below(uint64_t *s, unsigned n) /* 0..n-1 */
{
    return (unsigned)(uniform(s) * n);
}

static double clip01(double v)
{
    return v < 0.0 ? 0.0 : v > 1.0 ? 1.0 : v;
}

nca_status nca_gs_initial(nca_gs *g, nca_gs_family family, uint64_t seed, nca_error *err)
{
    if (family != NCA_GS_IC_TRAIN && family != NCA_GS_IC_TEST)
        return nca_fail(err, NCA_E_ARG, "unknown initial-condition family %d", (int)family);
    const unsigned W = g->width, H = g->height;
    size_t n = (size_t)W * H;
    uint64_t s = seed ^ (family == NCA_GS_IC_TEST ? 0x7E57000000000000ull : 0);
    for (size_t i = 0; i < n; i++) {
        g->a[i] = 1.0;
        g->b[i] = 0.0;
    }
    unsigned squares = family == NCA_GS_IC_TRAIN ? 3 + below(&s, 4) : 3;
    for (unsigned q = 0; q < squares; q++) {
        unsigned side = family == NCA_GS_IC_TRAIN ? 8 + below(&s, 9) : 16;
        unsigned x0 = below(&s, W), y0 = below(&s, H);
        for (unsigned dy = 0; dy < side; dy++)
            for (unsigned dx = 0; dx < side; dx++) {
                size_t i = (size_t)((y0 + dy) % H) * W + (x0 + dx) % W;
                if (family == NCA_GS_IC_TRAIN) {
                    g->a[i] = 0.5;
                    g->b[i] = 0.25;
                } else {
                    double b = 0.5 * uniform(&s);
                    g->a[i] = 1.0 - b;
                    g->b[i] = b;
                }
            }
    }
    if (family == NCA_GS_IC_TRAIN)
        for (size_t i = 0; i < n; i++) {
            g->a[i] = clip01(g->a[i] + 0.02 * uniform(&s) - 0.01);
            g->b[i] = clip01(g->b[i] + 0.02 * uniform(&s) - 0.01);
        }
    g->step = 0;
    return NCA_OK;
}

void nca_gs_laplacian(const double *u, unsigned width, unsigned height, double *out)
{
    for (unsigned y = 0; y < height; y++) {
        const double *up = u + (size_t)((y + height - 1) % height) * width;
        const double *mid = u + (size_t)y * width;
        const double *dn = u + (size_t)((y + 1) % height) * width;
        for (unsigned x = 0; x < width; x++) {
            unsigned l = (x + width - 1) % width, r = (x + 1) % width;
            double corners = up[l] + up[r] + dn[l] + dn[r];
            double edges = up[x] + dn[x] + mid[l] + mid[r];
            out[(size_t)y * width + x] = (corners + 2.0 * edges - 12.0 * mid[x]) * 0.25;
        }
    }
}

nca_status nca_gs_step(nca_gs *g, const nca_gs_params *p, nca_error *err)
{
    size_t n = (size_t)g->width * g->height;
    nca_gs_laplacian(g->a, g->width, g->height, g->la);
    nca_gs_laplacian(g->b, g->width, g->height, g->lb);
    int finite = 1;
    for (size_t i = 0; i < n; i++) {
        double a = g->a[i], b = g->b[i], ab2 = a * b * b;
        double na = a + p->dt * (p->da * g->la[i] - ab2 + p->alpha * (1.0 - a));
        double nb = b + p->dt * (p->db * g->lb[i] + ab2 - (p->gamma + p->alpha) * b);
        finite &= isfinite(na) && isfinite(nb);
        g->a[i] = na;
        g->b[i] = nb;
    }
    g->step++;
    if (!finite)
        return nca_fail(err, NCA_E_RANGE, "field not finite after step %llu (unstable parameters)",
                        (unsigned long long)g->step);
    return NCA_OK;
}

static int16_t word(double v, unsigned sf)
{
    double w = floor(ldexp(v, (int)sf) + 0.5);
    return (int16_t)(w < -32768.0 ? -32768.0 : w > 32767.0 ? 32767.0 : w);
}

nca_status nca_gs_to_grid(const nca_gs *g, nca_grid *grid, nca_error *err)
{
    if (grid->width != g->width || grid->height != g->height || grid->channels < 2)
        return nca_fail(err, NCA_E_ARG, "grid %ux%ux%u cannot hold a %ux%u field", grid->width,
                        grid->height, grid->channels, g->width, g->height);
    size_t n = (size_t)g->width * g->height;
    unsigned C = grid->channels;
    memset(grid->s, 0, n * C * sizeof *grid->s);
    for (size_t i = 0; i < n; i++) {
        grid->s[i * C] = word(g->a[i], grid->state_frac);
        grid->s[i * C + 1] = word(g->b[i], grid->state_frac);
    }
    if (grid->f)
        nca_grid_s_to_f(grid);
    grid->step = (uint32_t)g->step;
    return NCA_OK;
}

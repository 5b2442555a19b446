/* SPDX-License-Identifier: Apache-2.0 */
/* test_step.c - the fixed-point step against the spec (docs/fixed-point.md), and its twin. */
#include "test_util.h"

#include "nca_backend.h"

#include <math.h>

static int16_t *cell(nca_grid *g, unsigned x, unsigned y)
{
    return g->s + ((size_t)y * g->width + x) * g->channels;
}

static unsigned nonzero_cells(const nca_grid *g)
{
    unsigned n = 0;
    for (size_t i = 0; i < (size_t)g->width * g->height; i++)
        for (unsigned c = 0; c < g->channels; c++)
            if (g->s[i * g->channels + c]) {
                n++;
                break;
            }
    return n;
}

/* ---- perception ---------------------------------------------------------- */

/* nca_perceive, checked against the step's fastest kernel on this CPU */
static void perceive(const nca_model *m, const nca_grid *g, unsigned x, unsigned y, int16_t *p)
{
    int16_t fast[NCA_MAX_INPUTS];
    nca_perceive(m, g, x, y, p);
    memset(fast, 0x5A, sizeof fast);
    nca_perceive_fast(m, g, x, y, nca_cpu_simd(), fast);
    assert_memory_equal(fast, p, nca_model_inputs(m) * sizeof p[0]);
}

static void test_perceive_filters(void **state)
{
    (void)state;
    nca_model *m = tu_load_regen_lizard();
    m->kernels = NCA_K_ALL; /* identity, Sobel-x, Sobel-y, Laplacian: p[f * 16 + c] */
    nca_grid g;
    tu_grid(&g, m, 9, 7, 1, 0);
    for (unsigned y = 0; y < 7; y++)
        for (unsigned x = 0; x < 9; x++) {
            cell(&g, x, y)[0] = (int16_t)(64 * x); /* ramp in x */
            cell(&g, x, y)[1] = (int16_t)(32 * y); /* ramp in y, y grows downwards */
            cell(&g, x, y)[2] = 1000;              /* constant */
        }
    cell(&g, 4, 3)[5] = 1000; /* impulse */
    int16_t p[NCA_MAX_INPUTS];
    perceive(m, &g, 4, 3, p);
    assert_int_equal(p[0], 256);     /* identity */
    assert_int_equal(p[1], 96);
    assert_int_equal(p[5], 1000);
    assert_int_equal(p[16 + 0], 64); /* (1+2+1) * 2 * 64 / 8 */
    assert_int_equal(p[16 + 1], 0);
    assert_int_equal(p[32 + 0], 0);
    assert_int_equal(p[32 + 1], 32); /* positive: the dy = +1 row has the + weights */
    assert_int_equal(p[48 + 0], 0);  /* Laplacian of a ramp */
    assert_int_equal(p[48 + 1], 0);
    assert_int_equal(p[48 + 2], 0);
    assert_int_equal(p[48 + 5], -750); /* -12 * 1000 / 16 */
    assert_int_equal(p[16 + 5], 0);
    /* the impulse seen from its neighbours: cross-correlation, rows dy, columns dx */
    perceive(m, &g, 3, 3, p); /* impulse at dx = +1 */
    assert_int_equal(p[16 + 5], 250);
    assert_int_equal(p[32 + 5], 0);
    assert_int_equal(p[48 + 5], 125);
    perceive(m, &g, 5, 3, p); /* impulse at dx = -1 */
    assert_int_equal(p[16 + 5], -250);
    perceive(m, &g, 4, 2, p); /* impulse at dy = +1 */
    assert_int_equal(p[32 + 5], 250);
    assert_int_equal(p[16 + 5], 0);
    perceive(m, &g, 3, 2, p); /* impulse at dx = +1, dy = +1 */
    assert_int_equal(p[16 + 5], 125);
    assert_int_equal(p[32 + 5], 125);
    assert_int_equal(p[48 + 5], 63); /* 1000 / 16 = 62.5, half rounds up */
    perceive(m, &g, 5, 4, p);    /* impulse at dx = -1, dy = -1 */
    assert_int_equal(p[16 + 5], -125);
    assert_int_equal(p[32 + 5], -125);
    assert_int_equal(p[48 + 5], 63);

    /* boundary zero: outside is 0; boundary wrap: the torus */
    perceive(m, &g, 0, 0, p);
    assert_int_equal(p[16 + 2], 375);  /* (2 + 1) * 1000 / 8: only dx = +1, dy >= 0 inside */
    assert_int_equal(p[32 + 2], 375);
    assert_int_equal(p[48 + 2], -437); /* (5 - 12) * 1000 / 16 = -437.5, half rounds up */
    g.boundary = NCA_BOUNDARY_WRAP;
    perceive(m, &g, 0, 0, p);
    assert_int_equal(p[16 + 2], 0);
    assert_int_equal(p[32 + 2], 0);
    assert_int_equal(p[48 + 2], 0);
    /* the x ramp wraps from 512 back to 0: at x = 0 the left neighbour is x = 8 */
    assert_int_equal(p[16 + 0], (4 * (64 - 512)) / 8);
    perceive(m, &g, 8, 6, p); /* bottom-right corner sees the top row */
    assert_int_equal(p[32 + 1], (4 * (0 - 160)) / 8);
    nca_grid_free(&g);
    free(m);
}

static void test_perceive_rounding_and_saturation(void **state)
{
    (void)state;
    nca_model *m = tu_load_regen_lizard();
    m->kernels = NCA_K_ALL;
    nca_grid g;
    tu_grid(&g, m, 5, 5, 1, 0);
    for (unsigned y = 0; y < 5; y++)
        for (unsigned x = 0; x < 5; x++) {
            cell(&g, x, y)[0] = x < 2 ? INT16_MIN : INT16_MAX; /* a full-scale edge */
            cell(&g, x, y)[1] = (x == 2 && y == 2) ? INT16_MIN : INT16_MAX;
        }
    int16_t p[NCA_MAX_INPUTS];
    perceive(m, &g, 2, 2, p);
    assert_int_equal(p[16 + 0], INT16_MAX);   /* 4 * 65535 / 8 = 32767.5 -> 32768 -> sat */
    assert_int_equal(p[48 + 1], INT16_MAX);   /* (12 * 32767 + 12 * 32768) / 16 -> sat */
    for (unsigned y = 0; y < 5; y++)
        for (unsigned x = 0; x < 5; x++) {
            cell(&g, x, y)[0] = x < 3 ? INT16_MAX : INT16_MIN;
            cell(&g, x, y)[1] = (x == 2 && y == 2) ? INT16_MAX : INT16_MIN;
        }
    perceive(m, &g, 2, 2, p);
    assert_int_equal(p[16 + 0], -32767);    /* -32767.5 rounds up, no saturation needed */
    assert_int_equal(p[48 + 1], INT16_MIN); /* -49151.25 -> sat */
    /* identity-only and identity+Laplacian layouts */
    m->kernels = NCA_K_IDENTITY | NCA_K_LAPLACE;
    cell(&g, 2, 2)[7] = 160;
    perceive(m, &g, 2, 2, p);
    assert_int_equal(p[7], 160);
    assert_int_equal(p[16 + 7], -120);
    nca_grid_free(&g);
    free(m);
}

/* every channel count, kernel set and boundary: the fast perception equals nca_perceive at
 * every cell of a small grid of random words, full-range ones included */
static void test_perceive_fast_shapes(void **state)
{
    (void)state;
    nca_model *m = tu_load_regen_lizard();
    tu_rng r = {77};
    for (unsigned C = 4; C <= NCA_MAX_CHANNELS; C++)
        for (unsigned k = 0; k < 8; k++) {
            m->channels = (uint8_t)C;
            m->kernels = (uint8_t)(NCA_K_IDENTITY | k << 1);
            nca_grid g;
            tu_grid(&g, m, 5, 4, 1, 0);
            g.boundary = (uint8_t)(k % 2 ? NCA_BOUNDARY_WRAP : NCA_BOUNDARY_ZERO);
            for (size_t i = 0; i < tu_words(&g); i++)
                g.s[i] = (int16_t)(tu_next(&r) % 3 ? tu_range(&r, -4096, 4096)
                                                   : tu_range(&r, INT16_MIN, INT16_MAX));
            int16_t p[NCA_MAX_INPUTS];
            for (unsigned y = 0; y < 4; y++)
                for (unsigned x = 0; x < 5; x++)
                    perceive(m, &g, x, y, p);
            nca_grid_free(&g);
        }
    free(m);
}

/* ---- the MLP ------------------------------------------------------------- */

static int64_t rsr(int64_t v, unsigned sh)
{
    if (sh == 0)
        return v;
    int64_t n = v + ((int64_t)1 << (sh - 1)), d = (int64_t)1 << sh;
    return n >= 0 ? n / d : -((-n + d - 1) / d);
}

/* docs/fixed-point.md "Layer 1" and "Layer 2", in 64-bit arithmetic */
static void ref_mlp(const nca_model *m, const int16_t *p, int32_t *ds)
{
    const unsigned I = nca_model_inputs(m);
    int64_t h[NCA_MAX_HIDDEN];
    for (unsigned j = 0; j < m->hidden; j++) {
        int64_t acc = m->b1[j];
        for (unsigned i = 0; i < I; i++)
            acc += (int64_t)m->w1[j * I + i] * p[i];
        int64_t v = rsr(acc, m->shift1[j]);
        h[j] = v < 0 ? 0 : v > 255 ? 255 : v;
    }
    for (unsigned k = 0; k < m->channels; k++) {
        int64_t acc = m->b2[k];
        for (unsigned j = 0; j < m->hidden; j++)
            acc += (int64_t)m->w2[k * m->hidden + j] * h[j];
        ds[k] = (int32_t)rsr(acc, m->shift2[k]);
    }
}

static void random_model(nca_model *m, tu_rng *r)
{
    m->channels = (uint8_t)tu_range(r, 4, 16);
    m->hidden = (uint8_t)tu_range(r, 1, 128);
    m->kernels = (uint8_t)(NCA_K_IDENTITY | (tu_next(r) & 0xE));
    const unsigned I = nca_model_inputs(m);
    for (unsigned j = 0; j < m->hidden; j++) {
        m->shift1[j] = (uint8_t)tu_range(r, 0, 24);
        m->b1[j] = (int32_t)tu_range(r, -(NCA_BIAS_LIMIT - 1), NCA_BIAS_LIMIT - 1);
        for (unsigned i = 0; i < I; i++)
            m->w1[j * I + i] = (int8_t)tu_range(r, -128, 127);
    }
    for (unsigned k = 0; k < m->channels; k++) {
        m->shift2[k] = (uint8_t)tu_range(r, 0, 24);
        m->b2[k] = (int32_t)tu_range(r, -(NCA_BIAS_LIMIT - 1), NCA_BIAS_LIMIT - 1);
        for (unsigned j = 0; j < m->hidden; j++)
            m->w2[k * m->hidden + j] = (int8_t)tu_range(r, -128, 127);
    }
}

/* nca_mlp, and the fast MLP packed for each kernel the CPU has, one cell and in batches of
 * every size (the other rows are other perceptions: p with its words rotated), all against
 * ref_mlp */
static void check_mlp(const nca_model *m, const int16_t *p, int32_t *ds)
{
    const unsigned n_in = nca_model_inputs(m);
    int32_t want[NCA_MAX_CHANNELS], got[NCA_MAX_CHANNELS];
    static nca_mlp_pack pk; /* 25 KB, 32-byte aligned: not on the test's stack */
    static int16_t rows[NCA_MLP_BATCH][NCA_MAX_INPUTS];
    static int32_t rows_want[NCA_MLP_BATCH][NCA_MAX_CHANNELS], rows_got[NCA_MLP_BATCH][NCA_MAX_CHANNELS];
    ref_mlp(m, p, want);
    nca_mlp(m, p, ds);
    assert_memory_equal(ds, want, m->channels * sizeof ds[0]);
    for (unsigned r = 0; r < NCA_MLP_BATCH; r++) {
        for (unsigned i = 0; i < n_in; i++)
            rows[r][i] = p[(i + r) % n_in];
        ref_mlp(m, rows[r], rows_want[r]);
    }
    for (int simd = NCA_SIMD_NONE; simd <= (int)nca_cpu_simd(); simd++) {
        nca_mlp_pack_init(&pk, m, (nca_simd)simd);
        assert_int_equal(pk.simd, simd);
        memset(got, 0x5A, sizeof got);
        nca_mlp_packed(&pk, p, got);
        assert_memory_equal(got, want, m->channels * sizeof got[0]);
        for (unsigned n = 1; n <= NCA_MLP_BATCH; n++) {
            memset(rows_got, 0x5A, sizeof rows_got);
            nca_mlp_packed_batch(&pk, n, (const int16_t(*)[NCA_MAX_INPUTS])rows, rows_got);
            for (unsigned r = 0; r < n; r++)
                assert_memory_equal(rows_got[r], rows_want[r], m->channels * sizeof got[0]);
        }
    }
}

static void test_mlp_matches_spec(void **state)
{
    (void)state;
    if (nca_cpu_simd() < NCA_SIMD_AVX512)
        print_message("this CPU lacks %s: the faster MLP kernels are not exercised here\n",
                      nca_cpu_simd() == NCA_SIMD_NONE ? "AVX2 and AVX-512 VNNI" : "AVX-512 VNNI");
    nca_model *m = tu_load_regen_lizard();
    tu_rng r = {2024};
    int16_t p[NCA_MAX_INPUTS];
    int32_t ds[NCA_MAX_CHANNELS];
    unsigned nonzero = 0;
    for (int t = 0; t < 400; t++) { /* the real model on state-like perceptions */
        for (unsigned i = 0; i < 48; i++)
            p[i] = (int16_t)tu_range(&r, -4096, 4096);
        check_mlp(m, p, ds);
        nonzero += ds[0] != 0;
    }
    assert_true(nonzero > 100);
    nca_error e = {""};
    for (int t = 0; t < 300; t++) { /* random legal models, full-range inputs */
        random_model(m, &r);
        assert_int_equal(nca_model_validate(m, &e), NCA_OK);
        for (unsigned i = 0; i < nca_model_inputs(m); i++)
            p[i] = (int16_t)tu_range(&r, INT16_MIN, INT16_MAX);
        check_mlp(m, p, ds);
    }
    free(m);
}

/* The widths table: the extremes of every sum stay exact (UBSan watches for overflow). */
static void test_mlp_extremes(void **state)
{
    (void)state;
    nca_model *m = tu_load_regen_lizard();
    m->kernels = NCA_K_ALL;
    m->channels = 16;
    m->hidden = 128;
    int16_t p[NCA_MAX_INPUTS];
    int32_t ds[NCA_MAX_CHANNELS];
    for (int sign = -1; sign <= 1; sign += 2) {
        memset(m->w1, sign < 0 ? 0x80 : 0x7F, sizeof m->w1);
        memset(m->w2, sign < 0 ? 0x80 : 0x7F, sizeof m->w2);
        for (unsigned j = 0; j < 128; j++) {
            m->b1[j] = NCA_BIAS_LIMIT - 1;
            m->shift1[j] = (uint8_t)(j % 25);
        }
        for (unsigned k = 0; k < 16; k++) {
            m->b2[k] = sign * (NCA_BIAS_LIMIT - 1);
            m->shift2[k] = (uint8_t)(k % 2 ? 0 : 24 - k);
        }
        for (unsigned i = 0; i < 64; i++)
            p[i] = INT16_MIN;
        check_mlp(m, p, ds);
        for (unsigned i = 0; i < 64; i++)
            p[i] = INT16_MAX;
        check_mlp(m, p, ds);
    }
    free(m);
}

/* ---- the step: independent dense implementation --------------------------- */

static int mature(const nca_model *m, const int16_t *s, const nca_grid *g, int x, int y)
{
    const int W = (int)g->width, H = (int)g->height;
    if (g->boundary == NCA_BOUNDARY_WRAP) {
        x = (x % W + W) % W;
        y = (y % H + H) % H;
    } else if (x < 0 || y < 0 || x >= W || y >= H) {
        return 0;
    }
    return s[((size_t)y * (size_t)W + (size_t)x) * g->channels + 3] > m->alive_q;
}

static int alive3x3(const nca_model *m, const int16_t *s, const nca_grid *g, int x, int y)
{
    for (int dy = -1; dy <= 1; dy++)
        for (int dx = -1; dx <= 1; dx++)
            if (mature(m, s, g, x + dx, y + dy))
                return 1;
    return 0;
}

/* docs/fixed-point.md "The step", computing the MLP for every cell (no skipping). */
static void dense_step(const nca_model *m, nca_grid *g, nca_step_stats *st)
{
    const unsigned W = g->width, H = g->height, C = g->channels;
    const size_t n = (size_t)W * H;
    int16_t *v = calloc(n * C, sizeof *v);
    uint8_t *pre = calloc(n, 1);
    assert_non_null(v);
    assert_non_null(pre);
    nca_step_stats s = {0, 0, 0};
    for (unsigned y = 0; y < H; y++)
        for (unsigned x = 0; x < W; x++) {
            size_t i = (size_t)y * W + x;
            int16_t p[NCA_MAX_INPUTS];
            int32_t ds[NCA_MAX_CHANNELS];
            nca_perceive(m, g, x, y, p);
            nca_mlp(m, p, ds);
            pre[i] = (uint8_t)alive3x3(m, g->s, g, (int)x, (int)y);
            int fire = nca_fires(m->fire_q, g->seed, g->step, x, y);
            s.pre_alive += pre[i];
            s.active += pre[i] && fire;
            for (unsigned c = 0; c < C; c++) {
                int16_t old = g->s[i * C + c];
                v[i * C + c] = !pre[i] ? 0 : fire ? nca_sat16((int64_t)old + ds[c]) : old;
            }
        }
    for (unsigned y = 0; y < H; y++)
        for (unsigned x = 0; x < W; x++) {
            size_t i = (size_t)y * W + x;
            int keep = pre[i] && alive3x3(m, v, g, (int)x, (int)y);
            s.alive += (uint32_t)keep;
            for (unsigned c = 0; c < C; c++)
                g->s[i * C + c] = keep ? v[i * C + c] : 0;
        }
    g->step++;
    *st = s;
    free(pre);
    free(v);
}

static void test_step_equals_dense_spec(void **state)
{
    (void)state;
    nca_model *m = tu_load_regen_lizard();
    const nca_damage dmg = {NCA_DMG_CIRCLE, 20, 20, 5};
    for (unsigned lv = 0; lv <= 2 * (unsigned)nca_cpu_simd() + 1; lv++) {
        const unsigned b = lv % 2; /* each kernel with each boundary rule */
        nca_grid ga, gd;
        nca_workspace ws;
        tu_grid(&ga, m, 40, 40, 17 + b, 0);
        tu_grid(&gd, m, 40, 40, 17 + b, 0);
        ga.boundary = gd.boundary = (uint8_t)b;
        tu_workspace(&ws, &ga);
        ws.simd_max = (nca_simd)(lv / 2);
        /* the centre, and two seeds on the edges so the boundary rule matters */
        const unsigned seeds[3][2] = {{20, 20}, {1, 38}, {39, 0}};
        nca_error e = {""};
        for (int k = 0; k < 3; k++) {
            assert_int_equal(nca_grid_seed(&ga, seeds[k][0], seeds[k][1], &e), NCA_OK);
            assert_int_equal(nca_grid_seed(&gd, seeds[k][0], seeds[k][1], &e), NCA_OK);
        }
        uint32_t max_alive = 0, sum_active = 0;
        for (unsigned t = 0; t < 60; t++) {
            if (t == 30) {
                nca_grid_damage(&ga, &dmg);
                nca_grid_damage(&gd, &dmg);
            }
            nca_step_stats sa, sd;
            memset(&sa, 0xFF, sizeof sa);
            nca_step_fixed(m, &ga, &ws, &sa);
            dense_step(m, &gd, &sd);
            if (memcmp(ga.s, gd.s, tu_words(&ga) * sizeof *ga.s) != 0) {
                size_t i = 0;
                while (ga.s[i] == gd.s[i])
                    i++;
                fail_msg("kernel %u boundary %u step %u: cell (%zu,%zu) channel %zu: %d, dense spec %d",
                         lv / 2, b, t + 1, (i / 16) % 40, i / 16 / 40, i % 16, ga.s[i], gd.s[i]);
            }
            assert_int_equal(sa.pre_alive, sd.pre_alive);
            assert_int_equal(sa.active, sd.active);
            assert_int_equal(sa.alive, sd.alive);
            assert_int_equal(ga.step, t + 1);
            max_alive = sa.alive > max_alive ? sa.alive : max_alive;
            sum_active += sa.active;
        }
        /* it grew (the comparison is not between two empty grids) */
        assert_true(max_alive > 100);
        assert_true(sum_active > 1000);
        nca_workspace_free(&ws);
        nca_grid_free(&ga);
        nca_grid_free(&gd);
    }
    free(m);
}

static void test_empty_grid_stays_empty(void **state)
{
    (void)state;
    nca_model *m = tu_load_regen_lizard();
    nca_grid g;
    nca_workspace ws;
    tu_grid(&g, m, 16, 12, 3, 0);
    tu_workspace(&ws, &g);
    for (int t = 0; t < 20; t++) {
        nca_step_stats st;
        nca_step_fixed(m, &g, &ws, &st);
        assert_int_equal(st.pre_alive, 0);
        assert_int_equal(st.active, 0);
        assert_int_equal(st.alive, 0);
    }
    assert_int_equal(nonzero_cells(&g), 0);
    assert_int_equal(g.step, 20);
    /* immature content (alpha <= T everywhere) is erased by one step */
    for (size_t i = 0; i < tu_words(&g); i++)
        g.s[i] = (int16_t)((i % 16 == 3) ? m->alive_q - (int)(i % 5) : (int)(i % 200) - 100);
    nca_step_fixed(m, &g, &ws, NULL);
    assert_int_equal(nonzero_cells(&g), 0);
    nca_workspace_free(&ws);
    nca_grid_free(&g);
    free(m);
}

static void test_seed_first_step_stays_local(void **state)
{
    (void)state;
    nca_model *m = tu_load_regen_lizard();
    nca_error e = {""};
    for (uint32_t seed = 1; seed <= 6; seed++) {
        nca_grid g;
        nca_workspace ws;
        tu_grid(&g, m, 24, 20, seed, 0);
        tu_workspace(&ws, &g);
        const unsigned sx = 3 + 3 * seed, sy = 4 + seed;
        assert_int_equal(nca_grid_seed(&g, sx, sy, &e), NCA_OK);
        assert_int_equal(cell(&g, sx, sy)[3], 1 << m->state_frac);
        assert_int_equal(cell(&g, sx, sy)[2], 0);
        nca_step_stats st;
        nca_step_fixed(m, &g, &ws, &st);
        assert_int_equal(st.pre_alive, 9);
        unsigned fires = 0;
        for (int dy = -1; dy <= 1; dy++)
            for (int dx = -1; dx <= 1; dx++)
                fires += (unsigned)nca_fires(m->fire_q, seed, 0, sx + (unsigned)dx,
                                             sy + (unsigned)dy);
        assert_int_equal(st.active, fires);
        assert_true(st.alive <= 9);
        for (unsigned y = 0; y < 20; y++)
            for (unsigned x = 0; x < 24; x++) {
                int near = abs((int)x - (int)sx) <= 1 && abs((int)y - (int)sy) <= 1;
                if (near)
                    continue;
                for (unsigned c = 0; c < 16; c++)
                    if (cell(&g, x, y)[c])
                        fail_msg("seed %u: cell (%u,%u) non-zero after one step", seed, x, y);
            }
        assert_true(nonzero_cells(&g) >= 1); /* the seed itself survives */
        nca_workspace_free(&ws);
        nca_grid_free(&g);
    }
    /* seeding outside the grid is refused */
    nca_grid g;
    tu_grid(&g, m, 8, 8, 1, 0);
    assert_int_equal(nca_grid_seed(&g, 8, 0, &e), NCA_E_ARG);
    assert_one_line(&e);
    assert_int_equal(nca_grid_seed(&g, 0, 8, &e), NCA_E_ARG);
    nca_grid_free(&g);
    free(m);
}

/* The masks on hand-made states with fire_q = 0 (no cell runs the MLP). */
static void test_alive_masks(void **state)
{
    (void)state;
    nca_model *m = tu_load_regen_lizard();
    m->fire_q = 0;
    nca_grid g;
    nca_workspace ws;
    tu_grid(&g, m, 12, 10, 1, 0);
    tu_workspace(&ws, &g);
    /* a mature cell keeps itself and its immature 3x3 neighbours, forever */
    cell(&g, 5, 5)[3] = (int16_t)(m->alive_q + 1);
    cell(&g, 5, 5)[9] = -77;
    cell(&g, 6, 6)[0] = 123; /* immature, next to it */
    cell(&g, 7, 7)[0] = 456; /* immature, two away: erased */
    cell(&g, 2, 2)[3] = m->alive_q; /* alpha == T is not mature: erased */
    nca_step_stats st;
    for (int t = 0; t < 5; t++) {
        nca_step_fixed(m, &g, &ws, &st);
        assert_int_equal(st.active, 0);
        assert_int_equal(st.pre_alive, 9);
        assert_int_equal(st.alive, 9);
    }
    assert_int_equal(cell(&g, 5, 5)[3], m->alive_q + 1);
    assert_int_equal(cell(&g, 5, 5)[9], -77);
    assert_int_equal(cell(&g, 6, 6)[0], 123);
    assert_int_equal(cell(&g, 7, 7)[0], 0);
    assert_int_equal(cell(&g, 2, 2)[3], 0);
    assert_int_equal(nonzero_cells(&g), 2);
    /* a mature cell on the edge: wrap keeps the opposite edge's neighbour, zero does not */
    nca_grid_clear(&g);
    cell(&g, 0, 4)[3] = 1000;
    cell(&g, 11, 4)[1] = 9;
    nca_step_fixed(m, &g, &ws, &st);
    assert_int_equal(cell(&g, 11, 4)[1], 0);
    assert_int_equal(st.pre_alive, 6);
    g.boundary = NCA_BOUNDARY_WRAP;
    cell(&g, 11, 4)[1] = 9;
    nca_step_fixed(m, &g, &ws, &st);
    assert_int_equal(cell(&g, 11, 4)[1], 9);
    assert_int_equal(st.pre_alive, 9);
    nca_workspace_free(&ws);
    nca_grid_free(&g);
    free(m);
}

/* Without alive masking (NCA_FLAG_ALL_ACTIVE) every cell is active: nothing is erased, every
 * firing cell runs the MLP, also on an all-zero grid and at a zero boundary; the float twin
 * alike. With fire_q = 65536 (deterministic) every cell fires. */
static void test_all_active(void **state)
{
    (void)state;
    nca_model *m = tu_load_regen_lizard();
    m->flags = NCA_FLAG_ALL_ACTIVE;
    m->fire_q = NCA_FIRE_ALWAYS;
    nca_grid g;
    nca_workspace ws;
    tu_grid(&g, m, 11, 7, 1, 0);
    tu_workspace(&ws, &g);
    cell(&g, 3, 3)[0] = 777;        /* immature and far from any mature cell: kept */
    cell(&g, 9, 1)[3] = -2000;      /* negative alpha: kept */
    nca_step_stats st;
    nca_step_fixed(m, &g, &ws, &st);
    assert_int_equal(st.pre_alive, 77);
    assert_int_equal(st.active, 77);
    assert_int_equal(st.alive, 77);
    /* the grid is the dense spec applied to every cell: compare with one MLP by hand */
    nca_grid ref;
    tu_grid(&ref, m, 11, 7, 1, 0);
    cell(&ref, 3, 3)[0] = 777;
    cell(&ref, 9, 1)[3] = -2000;
    for (unsigned y = 0; y < 7; y++)
        for (unsigned x = 0; x < 11; x++) {
            int16_t p[NCA_MAX_INPUTS];
            int32_t ds[NCA_MAX_CHANNELS];
            nca_perceive(m, &ref, x, y, p);
            nca_mlp(m, p, ds);
            for (unsigned c = 0; c < m->channels; c++)
                assert_int_equal(cell(&g, x, y)[c],
                                 nca_sat16((int64_t)cell(&ref, x, y)[c] + ds[c]));
        }
    /* the same model with masking on erases the lone immature cells of this grid */
    nca_grid_clear(&g);
    cell(&g, 3, 3)[0] = 777;
    m->flags = 0;
    nca_step_fixed(m, &g, &ws, &st);
    assert_int_equal(st.pre_alive, 0);
    assert_int_equal(nonzero_cells(&g), 0);
    /* float twin: every cell updated and kept */
    m->flags = NCA_FLAG_ALL_ACTIVE;
    nca_model_f *mf = malloc(sizeof *mf);
    assert_non_null(mf);
    nca_model_dequantize(m, mf);
    assert_true(mf->all_active);
    nca_grid gf;
    nca_workspace wsf;
    tu_grid(&gf, m, 11, 7, 1, 1);
    tu_workspace(&wsf, &gf);
    gf.f[(3 * 11 + 3) * m->channels] = 0.4f;
    nca_step_float(mf, &gf, &wsf, &st);
    assert_int_equal(st.pre_alive, 77);
    assert_int_equal(st.alive, 77);
    unsigned nz = 0;
    for (size_t i = 0; i < 77; i++)
        nz += gf.f[i * m->channels + 4] != 0.0f;
    assert_true(nz > 70); /* the biases moved the empty cells too: none was erased */
    nca_workspace_free(&wsf);
    nca_grid_free(&gf);
    free(mf);
    nca_grid_free(&ref);
    nca_workspace_free(&ws);
    nca_grid_free(&g);
    free(m);
}

/* Saturating updates, and a cell kept only if alive before and after. */
static void test_update_saturates_and_post_mask(void **state)
{
    (void)state;
    nca_model *m = tu_load_regen_lizard();
    m->fire_q = NCA_FIRE_ALWAYS;
    memset(m->w1, 0, sizeof m->w1);
    memset(m->w2, 127, sizeof m->w2);
    for (unsigned j = 0; j < m->hidden; j++) {
        m->b1[j] = NCA_BIAS_LIMIT - 1;
        m->shift1[j] = 0;
    }
    for (unsigned k = 0; k < m->channels; k++) {
        m->b2[k] = NCA_BIAS_LIMIT - 1;
        m->shift2[k] = 0;
    }
    nca_error e = {""};
    assert_int_equal(nca_model_validate(m, &e), NCA_OK);
    nca_grid g;
    nca_workspace ws;
    tu_grid(&g, m, 10, 10, 1, 0);
    tu_workspace(&ws, &g);
    assert_int_equal(nca_grid_seed(&g, 4, 4, &e), NCA_OK);
    nca_step_stats st;
    nca_step_fixed(m, &g, &ws, &st);
    assert_int_equal(st.active, 9);
    assert_int_equal(st.alive, 9);
    for (unsigned y = 3; y <= 5; y++)
        for (unsigned x = 3; x <= 5; x++)
            for (unsigned c = 0; c < 16; c++)
                assert_int_equal(cell(&g, x, y)[c], INT16_MAX);
    assert_int_equal(nonzero_cells(&g), 9);
    /* the opposite drive: every updated alpha goes negative, nothing is alive after */
    for (unsigned k = 0; k < m->channels; k++)
        m->b2[k] = -(NCA_BIAS_LIMIT - 1);
    memset(m->w2, 0x80, sizeof m->w2);
    nca_step_fixed(m, &g, &ws, &st);
    assert_int_equal(st.pre_alive, 25);
    assert_int_equal(st.active, 25);
    assert_int_equal(st.alive, 0);
    assert_int_equal(nonzero_cells(&g), 0);
    nca_workspace_free(&ws);
    nca_grid_free(&g);
    free(m);
}

/* With wrap and every cell firing, the step commutes with a cyclic shift of the grid. */
static void test_wrap_shift_equivariance(void **state)
{
    (void)state;
    nca_model *m = tu_load_regen_lizard();
    m->fire_q = NCA_FIRE_ALWAYS; /* the hash is the only position-dependent part */
    m->boundary = NCA_BOUNDARY_WRAP;
    const unsigned W = 23, H = 17, dx = 21, dy = 15;
    nca_grid a, b, z;
    nca_workspace wa, wb, wz;
    tu_grid(&a, m, W, H, 5, 0);
    tu_grid(&b, m, W, H, 5, 0);
    tu_grid(&z, m, W, H, 5, 0);
    z.boundary = NCA_BOUNDARY_ZERO;
    tu_workspace(&wa, &a);
    tu_workspace(&wb, &b);
    tu_workspace(&wz, &z);
    nca_error e = {""};
    assert_int_equal(nca_grid_seed(&a, 3, 4, &e), NCA_OK);
    assert_int_equal(nca_grid_seed(&z, 3, 4, &e), NCA_OK);
    assert_int_equal(nca_grid_seed(&b, (3 + dx) % W, (4 + dy) % H, &e), NCA_OK);
    for (int t = 0; t < 25; t++) {
        nca_step_fixed(m, &a, &wa, NULL);
        nca_step_fixed(m, &b, &wb, NULL);
        nca_step_fixed(m, &z, &wz, NULL);
        for (unsigned y = 0; y < H; y++)
            for (unsigned x = 0; x < W; x++)
                if (memcmp(cell(&b, (x + dx) % W, (y + dy) % H), cell(&a, x, y),
                           16 * sizeof(int16_t)) != 0)
                    fail_msg("step %d: shifted run differs at (%u,%u)", t + 1, x, y);
    }
    /* the pattern reached the edges, where wrap and zero differ */
    unsigned edge = 0;
    for (unsigned x = 0; x < W; x++)
        edge += cell(&a, x, 0)[3] != 0 || cell(&a, x, H - 1)[3] != 0;
    assert_true(edge > 0);
    assert_memory_not_equal(a.s, z.s, tu_words(&a) * sizeof *a.s);
    nca_workspace_free(&wa);
    nca_workspace_free(&wb);
    nca_workspace_free(&wz);
    nca_grid_free(&a);
    nca_grid_free(&b);
    nca_grid_free(&z);
    free(m);
}

static void run_seeded(const nca_model *m, nca_grid *g, uint32_t seed, unsigned steps)
{
    nca_workspace ws;
    nca_error e = {""};
    tu_grid(g, m, 32, 32, seed, 0);
    tu_workspace(&ws, g);
    assert_int_equal(nca_grid_seed(g, 16, 16, &e), NCA_OK);
    for (unsigned t = 0; t < steps; t++)
        nca_step_fixed(m, g, &ws, NULL);
    nca_workspace_free(&ws);
}

static void test_determinism(void **state)
{
    (void)state;
    nca_model *m = tu_load_regen_lizard();
    nca_grid a, b, c;
    run_seeded(m, &a, 7, 50);
    run_seeded(m, &b, 7, 50);
    run_seeded(m, &c, 8, 50);
    assert_int_equal(a.step, 50);
    assert_true(nonzero_cells(&a) > 50);
    assert_memory_equal(a.s, b.s, tu_words(&a) * sizeof *a.s);
    assert_memory_not_equal(a.s, c.s, tu_words(&a) * sizeof *a.s);
    nca_grid_free(&a);
    nca_grid_free(&b);
    nca_grid_free(&c);
    free(m);
}

/* The float32 twin (TF semantics, dequantised weights) stays close to the fixed step. */
static void test_float_twin_close(void **state)
{
    (void)state;
    nca_model *m = tu_load_model(TU_PERSIST_LIZARD);
    nca_model_f *mf = malloc(sizeof *mf);
    assert_non_null(mf);
    nca_model_dequantize(m, mf);
    const unsigned W = 72, H = 72;
    nca_grid gs, gf;
    nca_workspace wss, wsf;
    nca_error e = {""};
    tu_grid(&gs, m, W, H, 1, 0);
    tu_grid(&gf, m, W, H, 1, 1);
    tu_workspace(&wss, &gs);
    tu_workspace(&wsf, &gf);
    assert_non_null(wsf.fnext);
    assert_int_equal(nca_grid_seed(&gs, W / 2, H / 2, &e), NCA_OK);
    assert_int_equal(nca_grid_seed(&gf, W / 2, H / 2, &e), NCA_OK);
    nca_step_stats ss, sf;
    for (int t = 0; t < 100; t++) {
        nca_step_fixed(m, &gs, &wss, &ss);
        nca_step_float(mf, &gf, &wsf, &sf);
    }
    assert_int_equal(gf.step, 100);
    assert_true(ss.alive > 300); /* a grown lizard, not an empty grid */
    assert_true(sf.alive > 300);
    /* MSE of channels 0..3 (real values), with the float state as the "target" */
    nca_target t = {W, H, malloc((size_t)W * H * 4 * sizeof(float))};
    float *rgba = malloc((size_t)W * H * 4 * sizeof(float));
    assert_non_null(t.rgba);
    assert_non_null(rgba);
    for (size_t i = 0; i < (size_t)W * H; i++)
        for (unsigned c = 0; c < 4; c++) {
            t.rgba[i * 4 + c] = gf.f[i * 16 + c];
            rgba[i * 4 + c] = (float)ldexp(gs.s[i * 16 + c], -(int)m->state_frac);
        }
    double mse = nca_mse_rgba(rgba, &t);
    print_message("float twin vs fixed after 100 steps: RGBA MSE %.6f (alive %u vs %u)\n", mse,
                  ss.alive, sf.alive);
    assert_true(mse < 0.01);
    assert_true(nca_mse_rgba(t.rgba, &t) == 0.0);
    free(rgba);
    free(t.rgba);
    nca_workspace_free(&wss);
    nca_workspace_free(&wsf);
    nca_grid_free(&gs);
    nca_grid_free(&gf);
    free(mf);
    free(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_perceive_filters),
        cmocka_unit_test(test_perceive_rounding_and_saturation),
        cmocka_unit_test(test_perceive_fast_shapes),
        cmocka_unit_test(test_mlp_matches_spec),
        cmocka_unit_test(test_mlp_extremes),
        cmocka_unit_test(test_empty_grid_stays_empty),
        cmocka_unit_test(test_seed_first_step_stays_local),
        cmocka_unit_test(test_alive_masks),
        cmocka_unit_test(test_all_active),
        cmocka_unit_test(test_update_saturates_and_post_mask),
        cmocka_unit_test(test_step_equals_dense_spec),
        cmocka_unit_test(test_wrap_shift_equivariance),
        cmocka_unit_test(test_determinism),
        cmocka_unit_test(test_float_twin_close),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

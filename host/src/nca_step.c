/* SPDX-License-Identifier: Apache-2.0 */
/* nca_step.c - one NCA step: the fixed-point spec (docs/fixed-point.md) and its float twin. */
#include "nca.h"
#include "nca_fixed.h"
#include "nca_x86.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>


/* 3x3 kernels, [dy][dx] with dy, dx in -1..1 stored at +1; cross-correlation. */
static const int8_t k_sobel_x[3][3] = {{-1, 0, 1}, {-2, 0, 2}, {-1, 0, 1}};
static const int8_t k_sobel_y[3][3] = {{-1, -2, -1}, {0, 0, 0}, {1, 2, 1}};
static const int8_t k_laplace[3][3] = {{1, 2, 1}, {2, -12, 2}, {1, 2, 1}};
/* log2 of each kernel's divisor: sobel /8, laplace /16 */
enum { SOBEL_SHIFT = 3, LAPLACE_SHIFT = 4 };

int32_t nca_rshift_round(int64_t v, unsigned sh)
{
    return nca_fx_rshift_round(v, sh);
}

int16_t nca_sat16(int64_t v)
{
    return (int16_t)(v > INT16_MAX ? INT16_MAX : v < INT16_MIN ? INT16_MIN : v);
}

static inline uint32_t rotl32(uint32_t v, unsigned r)
{
    return (v << r) | (v >> (32 - r));
}

/* Two ChaCha quarter-rounds over (seed, step, y:x, golden ratio); output a^b^c^d.
 * Adds, xors and fixed rotations only: cheap in LUTs, no multiplier. */
uint32_t nca_hash(uint32_t seed, uint32_t step, uint32_t x, uint32_t y)
{
    uint32_t a = seed, b = step, c = ((y & 0xFFFFu) << 16) | (x & 0xFFFFu), d = 0x9E3779B9u;
    for (int r = 0; r < 2; r++) {
        a += b; d ^= a; d = rotl32(d, 16);
        c += d; b ^= c; b = rotl32(b, 12);
        a += b; d ^= a; d = rotl32(d, 8);
        c += d; b ^= c; b = rotl32(b, 7);
    }
    return a ^ b ^ c ^ d;
}

int nca_fires(uint32_t fire_q, uint32_t seed, uint32_t step, uint32_t x, uint32_t y)
{
    return (nca_hash(seed, step, x, y) >> 16) < fire_q;
}

/* Neighbour coordinate with the boundary rule; returns -1 outside a zero-padded grid. */
static inline int nb(int v, int d, int n, int wrap)
{
    int r = v + d;
    if (r >= 0 && r < n)
        return r;
    if (!wrap)
        return -1;
    return r < 0 ? r + n : r - n;
}

/* The nine neighbour cells of (x, y), n[3 * (dy + 1) + dx + 1]; a neighbour outside a
 * zero-boundary grid is the zero cell. */
static void neighbours(const nca_grid *g, unsigned x, unsigned y, const int16_t *zero,
                       const int16_t **n)
{
    const int W = (int)g->width, H = (int)g->height, wrap = g->boundary == NCA_BOUNDARY_WRAP;
    for (int dy = -1; dy <= 1; dy++) {
        int yy = nb((int)y, dy, H, wrap);
        for (int dx = -1; dx <= 1; dx++) {
            int xx = nb((int)x, dx, W, wrap);
            *n++ = (yy < 0 || xx < 0) ? zero
                                      : g->s + ((size_t)yy * (size_t)W + (size_t)xx) * g->channels;
        }
    }
}

/* The kernels written out (k_sobel_x, k_sobel_y, k_laplace above) over the nine neighbour
 * words, channels innermost so that the compiler vectorises each filter. */
static void perceive_words(const nca_model *m, unsigned C, const int16_t *const *n, int16_t *p)
{
    const int16_t *a = n[0], *b = n[1], *c3 = n[2], *d = n[3], *e = n[4], *f = n[5], *gg = n[6],
                  *h = n[7], *i9 = n[8];
    unsigned o = 0;
    if (m->kernels & NCA_K_IDENTITY)
        for (unsigned c = 0; c < C; c++)
            p[o++] = e[c];
    if (m->kernels & NCA_K_SOBEL_X)
        for (unsigned c = 0; c < C; c++) {
            int32_t v = (c3[c] - a[c]) + 2 * (f[c] - d[c]) + (i9[c] - gg[c]);
            p[o++] = nca_sat16(nca_fx_rshift_round(v, SOBEL_SHIFT));
        }
    if (m->kernels & NCA_K_SOBEL_Y)
        for (unsigned c = 0; c < C; c++) {
            int32_t v = (gg[c] - a[c]) + 2 * (h[c] - b[c]) + (i9[c] - c3[c]);
            p[o++] = nca_sat16(nca_fx_rshift_round(v, SOBEL_SHIFT));
        }
    if (m->kernels & NCA_K_LAPLACE)
        for (unsigned c = 0; c < C; c++) {
            int32_t v = (a[c] + c3[c] + gg[c] + i9[c]) + 2 * (b[c] + d[c] + f[c] + h[c]) - 12 * e[c];
            p[o++] = nca_sat16(nca_fx_rshift_round(v, LAPLACE_SHIFT));
        }
}

void nca_perceive(const nca_model *m, const nca_grid *g, unsigned x, unsigned y, int16_t *p)
{
    const int16_t zero[NCA_MAX_CHANNELS] = {0};
    const int16_t *n[9];
    neighbours(g, x, y, zero, n);
    perceive_words(m, g->channels, n, p);
}

#if NCA_X86
NCA_TARGET_512 static void perceive_words_512(const nca_model *m, unsigned C,
                                            const int16_t *const *n, int16_t *p);
#endif

void nca_perceive_fast(const nca_model *m, const nca_grid *g, unsigned x, unsigned y,
                       nca_simd simd, int16_t *p)
{
    const int16_t zero[NCA_MAX_CHANNELS] = {0};
    const int16_t *n[9];
    neighbours(g, x, y, zero, n);
#if NCA_X86
    if (simd == NCA_SIMD_AVX512) {
        perceive_words_512(m, g->channels, n, p);
        return;
    }
#endif
    (void)simd;
    perceive_words(m, g->channels, n, p);
}

#if NCA_X86
/* perceive_words with the C <= 16 channels of a cell in one vector of int32 (AVX-512): the
 * same sums, nca_rshift_round by a constant shift > 0, and vpmovsdw's saturation to int16,
 * which is nca_sat16 */
NCA_TARGET_512 static inline __m512i rsr_const_512(__m512i v, unsigned sh)
{
    return _mm512_add_epi32(_mm512_srai_epi32(v, sh),
                            _mm512_and_si512(_mm512_srai_epi32(v, sh - 1), _mm512_set1_epi32(1)));
}

NCA_TARGET_512 static void perceive_words_512(const nca_model *m, unsigned C,
                                            const int16_t *const *n, int16_t *p)
{
    const __mmask16 k = (__mmask16)((1u << C) - 1u);
    __m512i v[9];
    for (unsigned i = 0; i < 9; i++)
        v[i] = _mm512_cvtepi16_epi32(_mm256_maskz_loadu_epi16(k, n[i]));
    unsigned o = 0;
    if (m->kernels & NCA_K_IDENTITY) {
        _mm256_mask_storeu_epi16(p + o, k, _mm512_cvtepi32_epi16(v[4]));
        o += C;
    }
    if (m->kernels & NCA_K_SOBEL_X) {
        __m512i t = _mm512_add_epi32(_mm512_sub_epi32(v[2], v[0]), _mm512_sub_epi32(v[8], v[6]));
        t = _mm512_add_epi32(t, _mm512_slli_epi32(_mm512_sub_epi32(v[5], v[3]), 1));
        _mm256_mask_storeu_epi16(p + o, k, _mm512_cvtsepi32_epi16(rsr_const_512(t, SOBEL_SHIFT)));
        o += C;
    }
    if (m->kernels & NCA_K_SOBEL_Y) {
        __m512i t = _mm512_add_epi32(_mm512_sub_epi32(v[6], v[0]), _mm512_sub_epi32(v[8], v[2]));
        t = _mm512_add_epi32(t, _mm512_slli_epi32(_mm512_sub_epi32(v[7], v[1]), 1));
        _mm256_mask_storeu_epi16(p + o, k, _mm512_cvtsepi32_epi16(rsr_const_512(t, SOBEL_SHIFT)));
        o += C;
    }
    if (m->kernels & NCA_K_LAPLACE) {
        __m512i corners = _mm512_add_epi32(_mm512_add_epi32(v[0], v[2]), _mm512_add_epi32(v[6], v[8]));
        __m512i edges = _mm512_add_epi32(_mm512_add_epi32(v[1], v[3]), _mm512_add_epi32(v[5], v[7]));
        __m512i t = _mm512_add_epi32(corners, _mm512_slli_epi32(edges, 1));
        t = _mm512_sub_epi32(t, _mm512_mullo_epi32(_mm512_set1_epi32(12), v[4]));
        _mm256_mask_storeu_epi16(p + o, k, _mm512_cvtsepi32_epi16(rsr_const_512(t, LAPLACE_SHIFT)));
    }
}
#endif

void nca_mlp(const nca_model *m, const int16_t *p, int32_t *ds)
{
    const unsigned n_in = nca_model_inputs(m), H = m->hidden, C = m->channels;
    uint8_t h[NCA_MAX_HIDDEN];
    for (unsigned j = 0; j < H; j++) {
        const int8_t *w = m->w1 + (size_t)j * n_in;
        int32_t acc = m->b1[j];
        for (unsigned i = 0; i < n_in; i++)
            acc += (int32_t)w[i] * (int32_t)p[i];
        int32_t v = nca_fx_rshift_round(acc, m->shift1[j]);
        h[j] = (uint8_t)(v < 0 ? 0 : v > 255 ? 255 : v);
    }
    for (unsigned k = 0; k < C; k++) {
        const int8_t *w = m->w2 + (size_t)k * H;
        int32_t acc = m->b2[k];
        for (unsigned j = 0; j < H; j++)
            acc += (int32_t)w[j] * (int32_t)h[j];
        ds[k] = nca_fx_rshift_round(acc, m->shift2[k]);
    }
}

nca_status nca_workspace_init(nca_workspace *ws, const nca_grid *g, nca_error *err)
{
    size_t cells = (size_t)g->width * g->height;
    memset(ws, 0, sizeof *ws);
    ws->cells = cells;
    ws->next = malloc(cells * g->channels * sizeof *ws->next);
    ws->fnext = g->f ? malloc(cells * g->channels * sizeof *ws->fnext) : NULL;
    ws->pre = malloc(cells);
    ws->post = malloc(cells);
    ws->tmp = malloc(cells);
    ws->mlp = aligned_alloc(32, sizeof *ws->mlp);
    if (!ws->next || (g->f && !ws->fnext) || !ws->pre || !ws->post || !ws->tmp || !ws->mlp) {
        nca_workspace_free(ws);
        return nca_fail(err, NCA_E_NOMEM, "out of memory for a %ux%u step workspace", g->width,
                        g->height);
    }
    ws->simd_max = NCA_SIMD_AVX512;
    return NCA_OK;
}

void nca_workspace_free(nca_workspace *ws)
{
    free(ws->next);
    free(ws->fnext);
    free(ws->pre);
    free(ws->post);
    free(ws->tmp);
    free(ws->mlp);
    memset(ws, 0, sizeof *ws);
}

/* out[y][x] = OR of mature[] over the 3x3 neighbourhood (boundary rule), separable;
 * on entry tmp holds mature[y][x] (1 if that cell's alpha is above the threshold). */
static void dilate3x3(int W, int H, int wrap, uint8_t *tmp, uint8_t *out)
{
    for (int y = 0; y < H; y++) /* horizontal pass into out */
        for (int x = 0; x < W; x++) {
            uint8_t a = 0;
            for (int d = -1; d <= 1; d++) {
                int xx = nb(x, d, W, wrap);
                if (xx >= 0)
                    a |= tmp[(size_t)y * (size_t)W + (size_t)xx];
            }
            out[(size_t)y * (size_t)W + (size_t)x] = a;
        }
    memcpy(tmp, out, (size_t)W * (size_t)H);
    for (int y = 0; y < H; y++) /* vertical pass back into out */
        for (int x = 0; x < W; x++) {
            uint8_t a = 0;
            for (int d = -1; d <= 1; d++) {
                int yy = nb(y, d, H, wrap);
                if (yy >= 0)
                    a |= tmp[(size_t)yy * (size_t)W + (size_t)x];
            }
            out[(size_t)y * (size_t)W + (size_t)x] = a;
        }
}

/* alive mask of an int16 grid: any alpha word > thr in the 3x3; all ones for a model
 * without alive masking (NCA_FLAG_ALL_ACTIVE) */
static void alive_mask(const int16_t *s, unsigned C, int W, int H, int wrap, int16_t thr,
                       int all, uint8_t *tmp, uint8_t *out)
{
    if (all) {
        memset(out, 1, (size_t)W * (size_t)H);
        return;
    }
    for (size_t i = 0; i < (size_t)W * (size_t)H; i++)
        tmp[i] = s[i * C + 3] > thr;
    dilate3x3(W, H, wrap, tmp, out);
}

/* the same on the float twin */
static void alive_mask_f(const float *s, unsigned C, int W, int H, int wrap, float thr,
                         int all, uint8_t *tmp, uint8_t *out)
{
    if (all) {
        memset(out, 1, (size_t)W * (size_t)H);
        return;
    }
    for (size_t i = 0; i < (size_t)W * (size_t)H; i++)
        tmp[i] = s[i * C + 3] > thr;
    dilate3x3(W, H, wrap, tmp, out);
}

#if NCA_X86
/* next[at[r]] += ds[r] for n cells with nca_sat16, a cell's C <= 16 channels in one vector of
 * int32 (the sum cannot overflow: |ds| < 2^25, NCA_BIAS_LIMIT + 128 * 128 * 255) */
NCA_TARGET_512 static void add_sat16_512(int16_t *next, unsigned C, unsigned n,
                                       const int32_t (*ds)[NCA_MAX_CHANNELS], const size_t *at)
{
    const __mmask16 k = (__mmask16)((1u << C) - 1u);
    for (unsigned r = 0; r < n; r++) {
        int16_t *o = next + at[r] * C;
        const __m512i v = _mm512_add_epi32(_mm512_cvtepi16_epi32(_mm256_maskz_loadu_epi16(k, o)),
                                           _mm512_loadu_si512(ds[r]));
        _mm256_mask_storeu_epi16(o, k, _mm512_cvtsepi32_epi16(v));
    }
}
#endif

/* the MLP on n gathered perceptions, each result added to its cell of ws->next */
static void update_cells(nca_workspace *ws, unsigned C, unsigned n,
                         const int16_t (*p)[NCA_MAX_INPUTS], int32_t (*ds)[NCA_MAX_CHANNELS],
                         const size_t *at)
{
    nca_mlp_packed_batch(ws->mlp, n, p, ds);
#if NCA_X86
    if (ws->mlp->simd == NCA_SIMD_AVX512) {
        add_sat16_512(ws->next, C, n, (const int32_t(*)[NCA_MAX_CHANNELS])ds, at);
        return;
    }
#endif
    for (unsigned r = 0; r < n; r++) {
        int16_t *o = ws->next + at[r] * C;
        for (unsigned c = 0; c < C; c++)
            o[c] = nca_sat16((int64_t)o[c] + ds[r][c]);
    }
}

void nca_step_fixed(const nca_model *m, nca_grid *g, nca_workspace *ws, nca_step_stats *st)
{
    const unsigned C = g->channels;
    const int W = (int)g->width, H = (int)g->height, wrap = g->boundary == NCA_BOUNDARY_WRAP;
    const size_t n = (size_t)W * (size_t)H;
    nca_step_stats s = {0, 0, 0};
    uint8_t *post = ws->post;

    nca_mlp_pack_init(ws->mlp, m, ws->simd_max);
    const int all = (m->flags & NCA_FLAG_ALL_ACTIVE) != 0;
    alive_mask(g->s, C, W, H, wrap, m->alive_q, all, ws->tmp, ws->pre);
    memcpy(ws->next, g->s, n * C * sizeof *g->s);
    /* the active cells' perceptions are gathered in batches for the MLP */
    NCA_ALIGN32 int16_t p[NCA_MLP_BATCH][NCA_MAX_INPUTS];
    int32_t ds[NCA_MLP_BATCH][NCA_MAX_CHANNELS];
    size_t at[NCA_MLP_BATCH];
    unsigned nb_cells = 0;
    for (int y = 0; y < H; y++)
        for (int x = 0; x < W; x++) {
            size_t i = (size_t)y * (size_t)W + (size_t)x;
            if (!ws->pre[i])
                continue; /* dead before the update: result is 0 */
            s.pre_alive++;
            if (!nca_fires(m->fire_q, g->seed, g->step, (uint32_t)x, (uint32_t)y))
                continue; /* does not fire: unchanged */
            s.active++;
            nca_perceive_fast(m, g, (unsigned)x, (unsigned)y, ws->mlp->simd, p[nb_cells]);
            at[nb_cells++] = i;
            if (nb_cells == NCA_MLP_BATCH) {
                update_cells(ws, C, nb_cells, p, ds, at);
                nb_cells = 0;
            }
        }
    if (nb_cells)
        update_cells(ws, C, nb_cells, p, ds, at);
    /* post-update alive mask on the intermediate grid; keep cells alive in both */
    alive_mask(ws->next, C, W, H, wrap, m->alive_q, all, ws->tmp, post);
    for (size_t i = 0; i < n; i++) {
        if (ws->pre[i] && post[i]) {
            memcpy(g->s + i * C, ws->next + i * C, C * sizeof *g->s);
            s.alive++;
        } else {
            memset(g->s + i * C, 0, C * sizeof *g->s);
        }
    }
    g->step++;
    if (st)
        *st = s;
}

/* ---- float32 twin: the TF notebook's step on the dequantised weights ----
 * Dense: every firing cell is updated, alive or not (as tf.Variable code does). */
void nca_step_float(const nca_model_f *mf, nca_grid *g, nca_workspace *ws, nca_step_stats *st)
{
    const unsigned C = g->channels, n_in = mf->inputs, Hd = mf->hidden;
    const int W = (int)g->width, H = (int)g->height, wrap = g->boundary == NCA_BOUNDARY_WRAP;
    const size_t n = (size_t)W * (size_t)H;
    const uint32_t fire_q = (uint32_t)(mf->fire * 65536.0f + 0.5f);
    nca_step_stats s = {0, 0, 0};
    float *next = ws->fnext;
    const float *x0 = g->f;
    const int8_t(*ks[3])[3] = {k_sobel_x, k_sobel_y, k_laplace};
    const unsigned kbit[3] = {NCA_K_SOBEL_X, NCA_K_SOBEL_Y, NCA_K_LAPLACE};
    const float kdiv[3] = {8.0f, 8.0f, 16.0f};

    alive_mask_f(x0, C, W, H, wrap, mf->alive, mf->all_active, ws->tmp, ws->pre);
    memcpy(next, x0, n * C * sizeof *next);
    for (int y = 0; y < H; y++)
        for (int x = 0; x < W; x++) {
            size_t i = (size_t)y * (size_t)W + (size_t)x;
            s.pre_alive += ws->pre[i];
            if (!nca_fires(fire_q, g->seed, g->step, (uint32_t)x, (uint32_t)y))
                continue;
            s.active += ws->pre[i];
            float win[3][3][NCA_MAX_CHANNELS];
            for (int dy = -1; dy <= 1; dy++)
                for (int dx = -1; dx <= 1; dx++) {
                    int yy = nb(y, dy, H, wrap), xx = nb(x, dx, W, wrap);
                    for (unsigned c = 0; c < C; c++)
                        win[dy + 1][dx + 1][c] =
                            (yy < 0 || xx < 0) ? 0.0f
                                               : x0[((size_t)yy * (size_t)W + (size_t)xx) * C + c];
                }
            float p[NCA_MAX_INPUTS];
            unsigned q = 0;
            if (mf->kernels & NCA_K_IDENTITY)
                for (unsigned c = 0; c < C; c++)
                    p[q++] = win[1][1][c];
            for (unsigned f = 0; f < 3; f++) {
                if (!(mf->kernels & kbit[f]))
                    continue;
                for (unsigned c = 0; c < C; c++) {
                    float acc = 0.0f;
                    for (int a = 0; a < 3; a++)
                        for (int b = 0; b < 3; b++)
                            acc += (float)ks[f][a][b] * win[a][b][c];
                    p[q++] = acc / kdiv[f];
                }
            }
            float h[NCA_MAX_HIDDEN];
            for (unsigned j = 0; j < Hd; j++) {
                const float *w = mf->w1 + (size_t)j * n_in;
                float acc = mf->b1[j];
                for (unsigned k = 0; k < n_in; k++)
                    acc += w[k] * p[k];
                h[j] = acc > 0.0f ? acc : 0.0f;
                if (ws->pre[i] && h[j] > ws->hidden_max) /* a cell whose update is kept */
                    ws->hidden_max = h[j];
            }
            float *o = next + i * C;
            for (unsigned k = 0; k < C; k++) {
                const float *w = mf->w2 + (size_t)k * Hd;
                float acc = mf->b2[k];
                for (unsigned j = 0; j < Hd; j++)
                    acc += w[j] * h[j];
                o[k] += acc;
            }
        }
    alive_mask_f(next, C, W, H, wrap, mf->alive, mf->all_active, ws->tmp, ws->post);
    for (size_t i = 0; i < n; i++) {
        if (ws->pre[i] && ws->post[i]) {
            memcpy(g->f + i * C, next + i * C, C * sizeof *next);
            s.alive++;
        } else {
            memset(g->f + i * C, 0, C * sizeof *next);
        }
    }
    g->step++;
    if (st)
        *st = s;
}

/* SPDX-License-Identifier: Apache-2.0 */
/* nca_mlp_fast.c - the per-cell MLP of the spec on a packed copy of the weights, with an
 * AVX2 kernel where the CPU has one: the same integers as nca_mlp, bit for bit.
 *
 * Layer 1 runs across hidden units: the weights are stored as int16 pairs
 * w1p[i/2][j] = {W1[j][i], W1[j][i+1]}, so one vpmaddwd multiplies a broadcast input pair by
 * eight hidden units' weight pairs and adds each pair into an int32 (exact: |w p| <= 2^22).
 * Layer 2 does the same across channels with hidden pairs. Integer addition is associative,
 * so the order of the sums does not change a bit of the result; the requant and ReLU are
 * nca_mlp's own (nca_rshift_round). Layer 2 takes every hidden pair, zero or not: skipping
 * the pairs that the ReLU zeroed (about half) cost more in mispredicted branches than it saved
 * (measured 2026-12-05: 1,060 -> 1,510 steps/s on a dense 64x64 grid, 4,900 -> 5,750 growing
 * the lizard, without the skip). */
#include "nca.h"
#include "nca_fixed.h"

#include <string.h>

#if defined(__GNUC__) && (defined(__x86_64__) || defined(__i386__))
#define NCA_MLP_X86 1
#include <immintrin.h>
#endif

enum { HBLK = 32, CBLK = 8 }; /* hidden units per layer-1 block, channels per vector */

static unsigned round_up(unsigned v, unsigned m)
{
    return (v + m - 1) / m * m;
}

int nca_cpu_has_simd(void)
{
#if NCA_MLP_X86
    return __builtin_cpu_supports("avx2") ? 1 : 0;
#else
    return 0;
#endif
}

void nca_mlp_pack_init(nca_mlp_pack *pk, const nca_model *m, int simd)
{
    const unsigned n_in = nca_model_inputs(m), H = m->hidden, C = m->channels;
    pk->model = m;
    pk->simd = simd && nca_cpu_has_simd();
    pk->in_pairs = (n_in + 1) / 2;
    pk->h_pad = round_up(H, HBLK);
    pk->h_pairs = (H + 1) / 2;
    pk->c_pad = round_up(C, CBLK);
    if (!pk->simd)
        return; /* the scalar path reads the model itself */
    memset(pk->b1, 0, sizeof pk->b1);
    memset(pk->sh1, 0, sizeof pk->sh1);
    memset(pk->sh1m, 0, sizeof pk->sh1m);
    memset(pk->rm1, 0, sizeof pk->rm1);
    for (unsigned j = 0; j < H; j++) { /* requant of unit j: see mlp_avx2 */
        pk->b1[j] = m->b1[j];
        pk->sh1[j] = m->shift1[j];
        pk->sh1m[j] = m->shift1[j] ? m->shift1[j] - 1 : 0;
        pk->rm1[j] = m->shift1[j] ? 1 : 0;
    }
    memset(pk->w1p, 0, sizeof pk->w1p);
    memset(pk->w2p, 0, sizeof pk->w2p);
    for (unsigned j = 0; j < H; j++)
        for (unsigned i = 0; i < n_in; i++)
            pk->w1p[((i / 2) * pk->h_pad + j) * 2 + i % 2] = m->w1[(size_t)j * n_in + i];
    for (unsigned k = 0; k < C; k++)
        for (unsigned j = 0; j < H; j++)
            pk->w2p[((j / 2) * pk->c_pad + k) * 2 + j % 2] = m->w2[(size_t)k * H + j];
}

/* two int16 values as the one int32 a vpmaddwd broadcast needs: lo in bits 0..15 */
static inline int32_t pair32(int16_t lo, int16_t hi)
{
    return (int32_t)((uint32_t)(uint16_t)lo | (uint32_t)(uint16_t)hi << 16);
}

#if NCA_MLP_X86
__attribute__((target("avx2"))) static void mlp_avx2(const nca_mlp_pack *pk, const int16_t *p,
                                                     int32_t *ds)
{
    const nca_model *m = pk->model;
    const unsigned C = m->channels, n_in = nca_model_inputs(m);
    int32_t pp[NCA_MAX_INPUTS / 2];
    for (unsigned ip = 0; ip < pk->in_pairs; ip++)
        pp[ip] = pair32(p[2 * ip], 2 * ip + 1 < n_in ? p[2 * ip + 1] : 0);

    /* layer 1: HBLK hidden units (four vectors of eight int32) at a time, then the bias,
     * nca_rshift_round (floor(v / 2^sh) + bit sh-1 of v, sh 0..31) and the ReLU to uint8,
     * stored as int16 so that layer 2 broadcasts each hidden pair with one load; the padding
     * units are 0 (zero weights and bias), the odd unit's partner among them */
    NCA_ALIGN32 int16_t h16[NCA_MAX_HIDDEN];
    const __m256i zero = _mm256_setzero_si256();
    const __m256i u8max = _mm256_set1_epi32(255);
    for (unsigned j0 = 0; j0 < pk->h_pad; j0 += HBLK) {
        __m256i a[HBLK / 8];
        for (unsigned q = 0; q < HBLK / 8; q++)
            a[q] = zero;
        const int16_t *w = pk->w1p + (size_t)j0 * 2;
        for (unsigned ip = 0; ip < pk->in_pairs; ip++, w += pk->h_pad * 2) {
            const __m256i b = _mm256_set1_epi32(pp[ip]);
            const __m256i *wv = (const __m256i *)(const void *)w;
            for (unsigned q = 0; q < HBLK / 8; q++)
                a[q] = _mm256_add_epi32(a[q], _mm256_madd_epi16(_mm256_load_si256(wv + q), b));
        }
        __m256i r[HBLK / 8];
        for (unsigned q = 0; q < HBLK / 8; q++) {
            const unsigned j = j0 + 8 * q;
            const __m256i v = _mm256_add_epi32(a[q], _mm256_load_si256((const void *)(pk->b1 + j)));
            const __m256i sh = _mm256_load_si256((const void *)(pk->sh1 + j));
            const __m256i shm = _mm256_load_si256((const void *)(pk->sh1m + j));
            const __m256i rnd = _mm256_and_si256(_mm256_srav_epi32(v, shm),
                                                 _mm256_load_si256((const void *)(pk->rm1 + j)));
            r[q] = _mm256_add_epi32(_mm256_srav_epi32(v, sh), rnd);
            r[q] = _mm256_min_epi32(_mm256_max_epi32(r[q], zero), u8max);
        }
        for (unsigned q = 0; q < HBLK / 8; q += 2) /* 16 units a store, in order */
            _mm256_store_si256((__m256i *)(void *)(h16 + j0 + 8 * q),
                               _mm256_permute4x64_epi64(_mm256_packs_epi32(r[q], r[q + 1]), 0xD8));
    }

    /* layer 2: eight channels a vector, two hidden units a vpmaddwd */
    __m256i c0 = _mm256_setzero_si256(), c1 = c0;
    const int16_t *w = pk->w2p;
    for (unsigned jp = 0; jp < pk->h_pairs; jp++, w += pk->c_pad * 2) {
        int32_t hp;
        memcpy(&hp, h16 + 2 * jp, sizeof hp);
        const __m256i b = _mm256_set1_epi32(hp);
        const __m256i *wv = (const __m256i *)(const void *)w;
        c0 = _mm256_add_epi32(c0, _mm256_madd_epi16(_mm256_load_si256(wv), b));
        if (pk->c_pad > CBLK)
            c1 = _mm256_add_epi32(c1, _mm256_madd_epi16(_mm256_load_si256(wv + 1), b));
    }
    int32_t acc[2 * CBLK];
    _mm256_storeu_si256((__m256i *)(void *)(acc + 0), c0);
    _mm256_storeu_si256((__m256i *)(void *)(acc + 8), c1);
    for (unsigned k = 0; k < C; k++)
        ds[k] = nca_fx_rshift_round(m->b2[k] + acc[k], m->shift2[k]);
}
#endif

void nca_mlp_packed(const nca_mlp_pack *pk, const int16_t *p, int32_t *ds)
{
#if NCA_MLP_X86
    if (pk->simd) {
        mlp_avx2(pk, p, ds);
        return;
    }
#endif
    nca_mlp(pk->model, p, ds);
}

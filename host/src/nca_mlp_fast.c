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
 * the lizard, without the skip).
 *
 * The AVX-512 VNNI kernel runs four cells at a time, so that each weight vector it loads
 * serves four cells and four independent sums hide the latency of the fused multiply-adds:
 * layer 1 with vpdpwssd on the same int16 pairs (sixteen hidden units a vector), layer 2
 * with vpdpbusd, which multiplies four unsigned bytes (the hidden units, 0..255 after the
 * ReLU) by four signed weight bytes and adds the four products into an int32: the weights
 * are stored as quads w2q[j/4][k] = {W2[k][j..j+3]}, sixteen channels a vector. Neither
 * instruction saturates, so the sums are those of nca_mlp. */
#include "nca.h"
#include "nca_fixed.h"
#include "nca_x86.h"

#include <string.h>


enum { HBLK = 32, CBLK = 8 }; /* hidden units per layer-1 block, channels per vector */

static unsigned round_up(unsigned v, unsigned m)
{
    return (v + m - 1) / m * m;
}

nca_simd nca_cpu_simd(void)
{
#if NCA_X86
    if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
        __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512vnni"))
        return NCA_SIMD_AVX512;
    if (__builtin_cpu_supports("avx2"))
        return NCA_SIMD_AVX2;
#endif
    return NCA_SIMD_NONE;
}

/* the requant table of n units (of cap, the rest 0): bias, shift, shift - 1 (0 at shift 0),
 * round bit mask (see mlp_avx2) */
static void requant_table(int32_t *b, int32_t *sh, int32_t *shm, int32_t *rm, size_t cap,
                          unsigned n, const int32_t *bias, const uint8_t *shift)
{
    memset(b, 0, cap * sizeof *b);
    memset(sh, 0, cap * sizeof *sh);
    memset(shm, 0, cap * sizeof *shm);
    memset(rm, 0, cap * sizeof *rm);
    for (unsigned j = 0; j < n; j++) {
        b[j] = bias[j];
        sh[j] = shift[j];
        shm[j] = shift[j] ? shift[j] - 1 : 0;
        rm[j] = shift[j] ? 1 : 0;
    }
}

void nca_mlp_pack_init(nca_mlp_pack *pk, const nca_model *m, nca_simd max)
{
    const unsigned n_in = nca_model_inputs(m), H = m->hidden, C = m->channels;
    const nca_simd cpu = nca_cpu_simd();
    pk->model = m;
    pk->simd = max < cpu ? max : cpu;
    pk->in_pairs = (n_in + 1) / 2;
    pk->h_pad = round_up(H, HBLK);
    pk->h_pairs = (H + 1) / 2;
    pk->c_pad = round_up(C, CBLK);
    if (pk->simd == NCA_SIMD_NONE)
        return; /* the scalar path reads the model itself */
    requant_table(pk->b1, pk->sh1, pk->sh1m, pk->rm1, NCA_MAX_HIDDEN, H, m->b1, m->shift1);
    memset(pk->w1p, 0, (size_t)pk->in_pairs * pk->h_pad * 2 * sizeof pk->w1p[0]);
    for (unsigned j = 0; j < H; j++)
        for (unsigned i = 0; i < n_in; i++)
            pk->w1p[((i / 2) * pk->h_pad + j) * 2 + i % 2] = m->w1[(size_t)j * n_in + i];
    if (pk->simd == NCA_SIMD_AVX2) {
        memset(pk->w2p, 0, sizeof pk->w2p);
        for (unsigned k = 0; k < C; k++)
            for (unsigned j = 0; j < H; j++)
                pk->w2p[((j / 2) * pk->c_pad + k) * 2 + j % 2] = m->w2[(size_t)k * H + j];
        return;
    }
    requant_table(pk->b2, pk->sh2, pk->sh2m, pk->rm2, NCA_MAX_CHANNELS, C, m->b2, m->shift2);
    memset(pk->w2q, 0, (size_t)pk->h_pad * NCA_MAX_CHANNELS);
    for (unsigned k = 0; k < C; k++)
        for (unsigned j = 0; j < H; j++)
            pk->w2q[((j / 4) * NCA_MAX_CHANNELS + k) * 4 + j % 4] = m->w2[(size_t)k * H + j];
}

/* two int16 values as the one int32 a vpmaddwd broadcast needs: lo in bits 0..15 */
static inline int32_t pair32(int16_t lo, int16_t hi)
{
    return (int32_t)((uint32_t)(uint16_t)lo | (uint32_t)(uint16_t)hi << 16);
}

#if NCA_X86
NCA_TARGET_AVX2 static void mlp_avx2(const nca_mlp_pack *pk, const int16_t *p,
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

#if NCA_X86
enum { NB = 4 }; /* cells a pass of the AVX-512 kernel */
_Static_assert(NCA_MAX_CHANNELS == 16, "the AVX-512 layer 2 holds every channel in one vector");
_Static_assert(NCA_MLP_BATCH % NB == 0, "a full batch is whole passes");

/* nca_rshift_round of sixteen int32 lanes by per-lane shifts (0..31) */
NCA_TARGET_VNNI static inline __m512i rsr_512(__m512i v, const int32_t *sh, const int32_t *shm,
                                             const int32_t *rm)
{
    const __m512i rnd = _mm512_and_si512(_mm512_srav_epi32(v, _mm512_loadu_si512(shm)),
                                         _mm512_loadu_si512(rm));
    return _mm512_add_epi32(_mm512_srav_epi32(v, _mm512_loadu_si512(sh)), rnd);
}

/* layer 1 for hidden units j0 .. j0 + 16 NQ - 1 of NB cells: bias, products, requant, ReLU
 * to 0..255, stored as bytes; NQ is a constant where this is inlined */
NCA_TARGET_VNNI static inline __attribute__((always_inline)) void
l1_512(const nca_mlp_pack *pk, const int32_t (*pp)[NCA_MAX_INPUTS / 2],
       uint8_t (*h8)[NCA_MAX_HIDDEN], unsigned j0, const unsigned NQ)
{
    __m512i a[NB][4];
    for (unsigned c = 0; c < NB; c++)
        for (unsigned q = 0; q < NQ; q++)
            a[c][q] = _mm512_loadu_si512(pk->b1 + j0 + 16 * q);
    const int16_t *w = pk->w1p + (size_t)j0 * 2;
    for (unsigned ip = 0; ip < pk->in_pairs; ip++, w += pk->h_pad * 2) {
        __m512i wv[4];
        for (unsigned q = 0; q < NQ; q++)
            wv[q] = _mm512_loadu_si512(w + 32 * q);
        for (unsigned c = 0; c < NB; c++) {
            const __m512i b = _mm512_set1_epi32(pp[c][ip]);
            for (unsigned q = 0; q < NQ; q++)
                a[c][q] = _mm512_dpwssd_epi32(a[c][q], wv[q], b);
        }
    }
    const __m512i zero = _mm512_setzero_si512(), u8max = _mm512_set1_epi32(255);
    for (unsigned c = 0; c < NB; c++)
        for (unsigned q = 0; q < NQ; q++) {
            const unsigned j = j0 + 16 * q;
            __m512i r = rsr_512(a[c][q], pk->sh1 + j, pk->sh1m + j, pk->rm1 + j);
            r = _mm512_min_epi32(_mm512_max_epi32(r, zero), u8max);
            _mm_storeu_si128((__m128i *)(void *)(h8[c] + j), _mm512_cvtepi32_epi8(r));
        }
}

/* NB cells: pp[c] holds cell c's inputs as int16 pairs (the odd input's partner 0) */
NCA_TARGET_VNNI static void mlp_512(const nca_mlp_pack *pk, const int32_t (*pp)[NCA_MAX_INPUTS / 2],
                                   int32_t (*ds)[NCA_MAX_CHANNELS])
{
    _Alignas(64) uint8_t h8[NB][NCA_MAX_HIDDEN];
    unsigned j0 = 0;
    for (; j0 + 64 <= pk->h_pad; j0 += 64)
        l1_512(pk, pp, h8, j0, 4);
    if (j0 < pk->h_pad) /* h_pad is a multiple of HBLK = 32 */
        l1_512(pk, pp, h8, j0, 2);

    /* layer 2: two sums a cell (even and odd quads of hidden units) */
    __m512i s[NB][2];
    for (unsigned c = 0; c < NB; c++)
        s[c][0] = s[c][1] = _mm512_setzero_si512();
    const int8_t *w = pk->w2q;
    for (unsigned j = 0; j < pk->h_pad; j += 8, w += 2 * 4 * NCA_MAX_CHANNELS) {
        const __m512i w0 = _mm512_loadu_si512(w), w1 = _mm512_loadu_si512(w + 64);
        for (unsigned c = 0; c < NB; c++) {
            int32_t q0, q1;
            memcpy(&q0, h8[c] + j, sizeof q0);
            memcpy(&q1, h8[c] + j + 4, sizeof q1);
            s[c][0] = _mm512_dpbusd_epi32(s[c][0], _mm512_set1_epi32(q0), w0);
            s[c][1] = _mm512_dpbusd_epi32(s[c][1], _mm512_set1_epi32(q1), w1);
        }
    }
    const __m512i b2 = _mm512_loadu_si512(pk->b2);
    for (unsigned c = 0; c < NB; c++) {
        const __m512i v = _mm512_add_epi32(_mm512_add_epi32(s[c][0], s[c][1]), b2);
        _mm512_storeu_si512(ds[c], rsr_512(v, pk->sh2, pk->sh2m, pk->rm2));
    }
}
#endif

void nca_mlp_packed(const nca_mlp_pack *pk, const int16_t *p, int32_t *ds)
{
#if NCA_X86
    if (pk->simd == NCA_SIMD_AVX512) {
        NCA_ALIGN32 int16_t rows[1][NCA_MAX_INPUTS];
        int32_t out[1][NCA_MAX_CHANNELS];
        memcpy(rows[0], p, nca_model_inputs(pk->model) * sizeof p[0]);
        nca_mlp_packed_batch(pk, 1, (const int16_t(*)[NCA_MAX_INPUTS])rows, out);
        memcpy(ds, out[0], pk->model->channels * sizeof ds[0]);
        return;
    }
    if (pk->simd == NCA_SIMD_AVX2) {
        mlp_avx2(pk, p, ds);
        return;
    }
#endif
    nca_mlp(pk->model, p, ds);
}

void nca_mlp_packed_batch(const nca_mlp_pack *pk, unsigned n,
                          const int16_t (*p)[NCA_MAX_INPUTS], int32_t (*ds)[NCA_MAX_CHANNELS])
{
#if NCA_X86
    if (pk->simd == NCA_SIMD_AVX512) {
        const unsigned n_in = nca_model_inputs(pk->model);
        for (unsigned r0 = 0; r0 < n; r0 += NB) {
            const unsigned k = n - r0 < NB ? n - r0 : NB;
            int32_t pp[NB][NCA_MAX_INPUTS / 2];
            int32_t out[NB][NCA_MAX_CHANNELS];
            for (unsigned c = 0; c < NB; c++) {
                pp[c][pk->in_pairs - 1] = 0; /* the odd input's partner */
                if (c < k)
                    memcpy(pp[c], p[r0 + c], n_in * sizeof p[0][0]);
                else
                    memset(pp[c], 0, pk->in_pairs * sizeof pp[0][0]);
            }
            mlp_512(pk, (const int32_t(*)[NCA_MAX_INPUTS / 2])pp, k == NB ? ds + r0 : out);
            if (k < NB)
                memcpy(ds + r0, out, k * sizeof out[0]);
        }
        return;
    }
#endif
    for (unsigned r = 0; r < n; r++)
        nca_mlp_packed(pk, p[r], ds[r]);
}

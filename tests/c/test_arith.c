/* SPDX-License-Identifier: Apache-2.0 */
/* test_arith.c - the integer primitives of the spec: rounding shift, saturation, fire hash. */
#include "test_util.h"

#include <math.h>

/* ---- nca_rshift_round ---------------------------------------------------- */

/* floor(n / d) for d > 0, exactly, in 64 bits */
static int64_t floor_div(int64_t n, int64_t d)
{
    int64_t q = n / d;
    if (n % d != 0 && n < 0)
        q--;
    return q;
}

/* docs/fixed-point.md: rshift_round(v, n) = n == 0 ? v : floor((v + 2^(n-1)) / 2^n) */
static int64_t ref_rshift_round(int64_t v, unsigned sh)
{
    if (sh == 0)
        return v;
    return floor_div(v + ((int64_t)1 << (sh - 1)), (int64_t)1 << sh);
}

static void check_rshift(int64_t v, unsigned sh)
{
    int64_t want = ref_rshift_round(v, sh);
    assert_true(want >= INT32_MIN && want <= INT32_MAX); /* callers keep to int32 results */
    int32_t got = nca_rshift_round(v, sh);
    if ((int64_t)got != want)
        fail_msg("nca_rshift_round(%lld, %u) = %d, expected %lld", (long long)v, sh, got,
                 (long long)want);
}

static void test_rshift_round_examples(void **state)
{
    (void)state;
    /* round half up (towards +inf), including for negatives */
    assert_int_equal(nca_rshift_round(5, 1), 3);   /* 2.5 -> 3 */
    assert_int_equal(nca_rshift_round(-5, 1), -2); /* -2.5 -> -2 */
    assert_int_equal(nca_rshift_round(-6, 1), -3);
    assert_int_equal(nca_rshift_round(-7, 1), -3); /* -3.5 -> -3 */
    assert_int_equal(nca_rshift_round(-9, 2), -2); /* -2.25 -> -2 */
    assert_int_equal(nca_rshift_round(-10, 2), -2); /* -2.5 -> -2 */
    assert_int_equal(nca_rshift_round(-11, 2), -3); /* -2.75 -> -3 */
    assert_int_equal(nca_rshift_round(3, 3), 0);
    assert_int_equal(nca_rshift_round(4, 3), 1);
    assert_int_equal(nca_rshift_round(-4, 3), 0);
    assert_int_equal(nca_rshift_round(-5, 3), -1);
    assert_int_equal(nca_rshift_round(0, 0), 0);
    assert_int_equal(nca_rshift_round(-123456, 0), -123456);
    assert_int_equal(nca_rshift_round(INT32_MAX, 0), INT32_MAX);
    assert_int_equal(nca_rshift_round(INT32_MIN, 0), INT32_MIN);
}

static void test_rshift_round_edges(void **state)
{
    (void)state;
    /* shifts 0..31: the spec uses 0..24; from 32 on the library's int64 arithmetic can
     * overflow near INT64_MIN, outside anything the step produces */
    unsigned n = 0;
    for (unsigned sh = 0; sh <= 31; sh++) {
        const int64_t one = (int64_t)1 << sh, half = sh ? one / 2 : 0;
        /* around every multiple and every half-way point of small quotients */
        for (int64_t k = -5; k <= 5; k++)
            for (int64_t d = -2; d <= 2; d++) {
                check_rshift(k * one + d, sh);
                check_rshift(k * one + half + d, sh);
                check_rshift(k * one - half + d, sh);
                n += 3;
            }
        /* the ends of the int32 result range */
        check_rshift((int64_t)INT32_MIN * one, sh);
        check_rshift((int64_t)INT32_MIN * one - half, sh);
        check_rshift((int64_t)INT32_MAX * one, sh);
        check_rshift((int64_t)INT32_MAX * one + half - 1, sh);
        n += 4;
    }
    assert_true(n > 1000);
}

static void test_rshift_round_random(void **state)
{
    (void)state;
    tu_rng r = {0x0123456789ABCDEFULL};
    unsigned n = 0;
    for (unsigned sh = 0; sh <= 31; sh++) {
        const int64_t lim = (int64_t)1 << (30 + sh);
        for (int i = 0; i < 4000; i++) {
            /* wide values and small ones (where rounding matters most) */
            check_rshift(tu_range(&r, -lim, lim - 1), sh);
            check_rshift(tu_range(&r, -((int64_t)64 << sh), (int64_t)64 << sh), sh);
            n += 2;
        }
    }
    /* the widths the spec actually uses: 3x3 sums (20 bit) >> 3, 4; acc1 (30 bit) >> 0..24 */
    for (int i = 0; i < 200000; i++) {
        check_rshift(tu_range(&r, -(1 << 19), (1 << 19) - 1), 3 + (unsigned)(i & 1));
        check_rshift(tu_range(&r, -(1 << 29), (1 << 29) - 1), (unsigned)(i % 25));
        n += 2;
    }
    assert_int_equal(n, 32u * 8000u + 400000u);
}

/* ---- nca_sat16 ------------------------------------------------------------- */

/* the extremes of int64 give the exact result, with no overflow (UBSan watches) */
static void test_rshift_round_no_overflow(void **state)
{
    (void)state;
    assert_int_equal(nca_rshift_round(INT64_MIN, 40), -(1 << 23));
    assert_int_equal(nca_rshift_round(INT64_MAX, 40), 1 << 23);
    assert_int_equal(nca_rshift_round(INT64_MIN + 1, 63), -1);
    assert_int_equal(nca_rshift_round(INT64_MAX, 63), 1);
}

static void test_sat16(void **state)
{
    (void)state;
    assert_int_equal(nca_sat16(0), 0);
    assert_int_equal(nca_sat16(1), 1);
    assert_int_equal(nca_sat16(-1), -1);
    assert_int_equal(nca_sat16(32767), 32767);
    assert_int_equal(nca_sat16(32768), 32767);
    assert_int_equal(nca_sat16(-32768), -32768);
    assert_int_equal(nca_sat16(-32769), -32768);
    assert_int_equal(nca_sat16(65535), 32767);
    assert_int_equal(nca_sat16(65536), 32767);
    assert_int_equal(nca_sat16(-65536), -32768);
    assert_int_equal(nca_sat16(INT32_MAX), 32767);
    assert_int_equal(nca_sat16(INT32_MIN), -32768);
    assert_int_equal(nca_sat16(INT64_MAX), 32767);
    assert_int_equal(nca_sat16(INT64_MIN), -32768);
    assert_int_equal(nca_sat16((int64_t)1 << 40), 32767);
    tu_rng r = {42};
    for (int i = 0; i < 100000; i++) {
        int64_t v = tu_range(&r, -100000, 100000);
        int64_t want = v > 32767 ? 32767 : v < -32768 ? -32768 : v;
        assert_int_equal((int64_t)nca_sat16(v), want);
    }
}

/* ---- the fire hash --------------------------------------------------------- */

static uint32_t rotl(uint32_t v, unsigned r)
{
    return (v << r) | (v >> (32 - r));
}

/* Written from the pseudo-code in docs/fixed-point.md "Stochastic update", not from the C. */
static uint32_t spec_hash(uint32_t seed, uint32_t step, uint32_t x, uint32_t y)
{
    uint32_t a = seed, b = step, c = ((y % 65536u) << 16) | (x % 65536u), d = 0x9E3779B9u;
    for (int i = 0; i < 2; i++) {
        a += b; d ^= a; d = rotl(d, 16);
        c += d; b ^= c; b = rotl(b, 12);
        a += b; d ^= a; d = rotl(d, 8);
        c += d; b ^= c; b = rotl(b, 7);
    }
    return a ^ b ^ c ^ d;
}

static void test_hash_matches_spec_text(void **state)
{
    (void)state;
    tu_rng r = {7};
    for (int i = 0; i < 200000; i++) {
        uint32_t s = (uint32_t)tu_next(&r), t = (uint32_t)tu_next(&r);
        uint32_t x = (uint32_t)tu_next(&r), y = (uint32_t)tu_next(&r);
        if (i & 1) { /* mostly grid-sized coordinates and small steps */
            x &= 1023;
            y &= 1023;
            t &= 0xFFFF;
        }
        assert_int_equal(nca_hash(s, t, x, y), spec_hash(s, t, x, y));
    }
}

static void test_hash_deterministic_and_coordinate_wrap(void **state)
{
    (void)state;
    for (uint32_t s = 0; s < 4; s++)
        for (uint32_t t = 0; t < 50; t += 7)
            for (uint32_t y = 0; y < 40; y += 3)
                for (uint32_t x = 0; x < 40; x += 3) {
                    uint32_t h = nca_hash(s, t, x, y);
                    assert_int_equal(h, nca_hash(s, t, x, y));
                    /* only x mod 2^16 and y mod 2^16 enter the hash */
                    assert_int_equal(h, nca_hash(s, t, x + 65536u, y));
                    assert_int_equal(h, nca_hash(s, t, x, y + 3u * 65536u));
                }
    /* every argument matters */
    assert_int_not_equal(nca_hash(1, 0, 0, 0), nca_hash(2, 0, 0, 0));
    assert_int_not_equal(nca_hash(1, 0, 0, 0), nca_hash(1, 1, 0, 0));
    assert_int_not_equal(nca_hash(1, 0, 0, 0), nca_hash(1, 0, 1, 0));
    assert_int_not_equal(nca_hash(1, 0, 0, 0), nca_hash(1, 0, 0, 1));
    assert_int_not_equal(nca_hash(1, 0, 1, 0), nca_hash(1, 0, 0, 1)); /* x, y not symmetric */
}

/* Pinned outputs: the RTL and the trainer implement this hash bit for bit, so any change to
 * it must be deliberate (update the spec, these values and every implementation together). */
static const struct {
    uint32_t seed, step, x, y, hash;
} golden[] = {
    /* seed, step, x, y, hash (pinned from nca_step.c; spec_hash agrees) */
    {0x00000000u, 0u, 0u, 0u, 0x600154B9u},
    {0x00000001u, 0u, 0u, 0u, 0xC036AF03u},
    {0x00000001u, 0u, 1u, 0u, 0x1C30CA2Du},
    {0x00000001u, 0u, 0u, 1u, 0x792CF8FFu},
    {0x00000001u, 1u, 0u, 0u, 0xA1CFDA26u},
    {0x00000001u, 0u, 32u, 32u, 0x2A0B3955u},
    {0x00000001u, 999u, 63u, 63u, 0x79610FE3u},
    {0x00000002u, 0u, 0u, 0u, 0x63927D72u},
    {0x0000002Au, 7u, 3u, 5u, 0xA16ADCB8u},
    {0xFFFFFFFFu, 4294967295u, 65535u, 65535u, 0xF6A18D10u},
    {0xDEADBEEFu, 123456u, 1023u, 1023u, 0x51A1B346u},
    {0x00000001u, 100u, 71u, 71u, 0x15068039u},
    {0x00003039u, 1u, 36u, 36u, 0x30C33BCAu},
    {0x80000000u, 2147483648u, 32768u, 32768u, 0xDF2DC062u},
    {0x00000007u, 65535u, 1u, 2u, 0xD3DC96A4u},
    {0x00000003u, 3u, 3u, 3u, 0x500C8170u},
    {0x00000000u, 1u, 0u, 0u, 0x6C79DF1Eu},
    {0x00000000u, 0u, 1u, 0u, 0x6511355Du},
    {0x00000000u, 0u, 0u, 1u, 0x9B6F61D2u},
    {0x00000001u, 5u, 64u, 0u, 0xB94F3584u},
};

static void test_hash_golden(void **state)
{
    (void)state;
    size_t n = sizeof golden / sizeof golden[0];
    assert_true(n >= 16);
    for (size_t i = 0; i < n; i++) {
        uint32_t h = nca_hash(golden[i].seed, golden[i].step, golden[i].x, golden[i].y);
        if (h != golden[i].hash)
            fail_msg("nca_hash(%u, %u, %u, %u) = 0x%08x, pinned 0x%08x", golden[i].seed,
                     golden[i].step, golden[i].x, golden[i].y, h, golden[i].hash);
        assert_int_equal(nca_fires(32768, golden[i].seed, golden[i].step, golden[i].x,
                                   golden[i].y),
                         (golden[i].hash >> 16) < 32768);
    }
}

enum { SW = 64, SH = 64, ST = 100 };

/* fire bits over the 64x64x100 (x, y, step) sweep, [t][y][x] */
static uint8_t *fire_sweep(uint32_t fire_q, uint32_t seed)
{
    uint8_t *b = malloc((size_t)SW * SH * ST);
    assert_non_null(b);
    for (uint32_t t = 0; t < ST; t++)
        for (uint32_t y = 0; y < SH; y++)
            for (uint32_t x = 0; x < SW; x++)
                b[((size_t)t * SH + y) * SW + x] = (uint8_t)nca_fires(fire_q, seed, t, x, y);
    return b;
}

static double fraction(const uint8_t *b)
{
    size_t n = (size_t)SW * SH * ST, k = 0;
    for (size_t i = 0; i < n; i++)
        k += b[i];
    return (double)k / (double)n;
}

/* Pearson correlation of bit pairs (b[i], b[i + off]) over the cells where both exist. */
static double corr(const uint8_t *b, int dx, int dy, int dt)
{
    double sa = 0, sb = 0, sab = 0, saa = 0, sbb = 0, n = 0;
    for (int t = 0; t + dt < ST; t++)
        for (int y = 0; y + dy < SH; y++)
            for (int x = 0; x + dx < SW; x++) {
                double a = b[((size_t)t * SH + (size_t)y) * SW + (size_t)x];
                double c = b[((size_t)(t + dt) * SH + (size_t)(y + dy)) * SW + (size_t)(x + dx)];
                sa += a; sb += c; sab += a * c; saa += a * a; sbb += c * c; n += 1;
            }
    double cov = sab / n - (sa / n) * (sb / n);
    double va = saa / n - (sa / n) * (sa / n), vb = sbb / n - (sb / n) * (sb / n);
    assert_true(va > 0 && vb > 0);
    return cov / sqrt(va * vb);
}

static double corr2(const uint8_t *a, const uint8_t *b)
{
    double sa = 0, sb = 0, sab = 0, n = (double)SW * SH * ST;
    for (size_t i = 0; i < (size_t)SW * SH * ST; i++) {
        sa += a[i]; sb += b[i]; sab += (double)(a[i] & b[i]);
    }
    double ma = sa / n, mb = sb / n;
    return (sab / n - ma * mb) / sqrt(ma * (1 - ma) * mb * (1 - mb));
}

static void test_fire_statistics(void **state)
{
    (void)state;
    const uint32_t seeds[3] = {1, 2, 0xDEADBEEFu};
    uint8_t *bits[3];
    for (int k = 0; k < 3; k++) {
        bits[k] = fire_sweep(32768, seeds[k]);
        double f = fraction(bits[k]);
        double cx = corr(bits[k], 1, 0, 0), cy = corr(bits[k], 0, 1, 0);
        double cd = corr(bits[k], 1, 1, 0), ct = corr(bits[k], 0, 0, 1);
        print_message("seed %u: fire %.4f corr x %+.4f y %+.4f diag %+.4f step %+.4f\n",
                      seeds[k], f, cx, cy, cd, ct);
        assert_true(fabs(f - 0.5) <= 0.01);
        assert_true(fabs(cx) < 0.02);
        assert_true(fabs(cy) < 0.02);
        assert_true(fabs(cd) < 0.02);
        assert_true(fabs(ct) < 0.02);
    }
    /* runs with neighbouring seeds are independent too */
    double cs = corr2(bits[0], bits[1]);
    print_message("seed 1 vs 2: corr %+.4f\n", cs);
    assert_true(fabs(cs) < 0.02);
    for (int k = 0; k < 3; k++)
        free(bits[k]);

    /* other rates come out as asked */
    const uint32_t qs[3] = {6554, 16384, 52429}; /* 0.1, 0.25, 0.8 */
    for (int k = 0; k < 3; k++) {
        uint8_t *b = fire_sweep(qs[k], 5);
        assert_true(fabs(fraction(b) - qs[k] / 65536.0) <= 0.01);
        free(b);
    }
}

static void test_fire_extremes(void **state)
{
    (void)state;
    tu_rng r = {99};
    for (int i = 0; i < 300000; i++) {
        uint32_t s = (uint32_t)tu_next(&r), t = (uint32_t)tu_next(&r);
        uint32_t x = (uint32_t)tu_next(&r) & 0xFFFF, y = (uint32_t)tu_next(&r) & 0xFFFF;
        assert_false(nca_fires(0, s, t, x, y));
        assert_true(nca_fires(NCA_FIRE_ALWAYS, s, t, x, y));
        /* threshold semantics: fire iff hash >> 16 < P */
        uint32_t top = nca_hash(s, t, x, y) >> 16;
        assert_false(nca_fires(top, s, t, x, y));
        assert_true(nca_fires(top + 1, s, t, x, y));
    }
    /* the full sweep too, for the exact extremes */
    uint8_t *never = fire_sweep(0, 1), *always = fire_sweep(NCA_FIRE_ALWAYS, 1);
    assert_true(fraction(never) == 0.0);
    assert_true(fraction(always) == 1.0);
    free(never);
    free(always);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rshift_round_examples),
        cmocka_unit_test(test_rshift_round_no_overflow),
        cmocka_unit_test(test_rshift_round_edges),
        cmocka_unit_test(test_rshift_round_random),
        cmocka_unit_test(test_sat16),
        cmocka_unit_test(test_hash_matches_spec_text),
        cmocka_unit_test(test_hash_deterministic_and_coordinate_wrap),
        cmocka_unit_test(test_hash_golden),
        cmocka_unit_test(test_fire_statistics),
        cmocka_unit_test(test_fire_extremes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

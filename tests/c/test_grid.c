/* SPDX-License-Identifier: Apache-2.0 */
/* test_grid.c - grids, damage, state files, frames and PNG I/O. */
#include "test_util.h"

#include "nca_backend.h"

#include <fcntl.h>
#include <math.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

static void test_grid_init_limits(void **state)
{
    (void)state;
    nca_model *m = tu_load_regen_lizard();
    nca_grid g;
    nca_error e = {""};
    const unsigned bad[5][2] = {{2, 10}, {10, 2}, {0, 0}, {1025, 8}, {8, 1025}};
    for (int k = 0; k < 5; k++) {
        e.msg[0] = '\0';
        assert_int_equal(nca_grid_init(&g, m, bad[k][0], bad[k][1], 1, 0, &e), NCA_E_ARG);
        assert_one_line(&e);
        assert_null(g.s);
        assert_null(g.f);
    }
    const unsigned good[3][2] = {{3, 3}, {1024, 3}, {7, 5}};
    for (int k = 0; k < 3; k++) {
        assert_int_equal(nca_grid_init(&g, m, good[k][0], good[k][1], 99, k == 2, &e), NCA_OK);
        assert_int_equal(g.width, good[k][0]);
        assert_int_equal(g.height, good[k][1]);
        assert_int_equal(g.channels, 16);
        assert_int_equal(g.state_frac, 11);
        assert_int_equal(g.seed, 99);
        assert_int_equal(g.step, 0);
        for (size_t i = 0; i < tu_words(&g); i++)
            assert_int_equal(g.s[i], 0);
        if (k == 2) {
            assert_non_null(g.f);
            assert_int_equal(nca_grid_seed(&g, 6, 4, &e), NCA_OK);
            const size_t c0 = ((size_t)4 * 7 + 6) * 16;
            assert_true(g.f[c0 + 2] == 0.0f && g.f[c0 + 3] == 1.0f && g.f[c0 + 15] == 1.0f);
            nca_grid_clear(&g);
            assert_int_equal(g.s[c0 + 3], 0);
            assert_true(g.f[c0 + 3] == 0.0f);
        } else {
            assert_null(g.f);
        }
        nca_grid_free(&g);
        assert_null(g.s);
        nca_grid_free(&g); /* twice is harmless */
    }
    free(m);
}

/* ---- damage -------------------------------------------------------------- */

static void test_damage_parse(void **state)
{
    (void)state;
    nca_damage d;
    nca_error e = {""};
    assert_int_equal(nca_damage_parse("circle:10,20,5", &d, &e), NCA_OK);
    assert_int_equal(d.kind, NCA_DMG_CIRCLE);
    assert_int_equal(d.a, 10);
    assert_int_equal(d.b, 20);
    assert_int_equal(d.c, 5);
    assert_int_equal(nca_damage_parse("circle:-3,-4,0", &d, &e), NCA_OK);
    assert_int_equal(d.a, -3);
    assert_int_equal(d.b, -4);
    assert_int_equal(d.c, 0);
    assert_int_equal(nca_damage_parse("square:36,36,12", &d, &e), NCA_OK);
    assert_int_equal(d.kind, NCA_DMG_SQUARE);
    assert_int_equal(d.c, 12);
    const char *sides[4] = {"half:left", "half:right", "half:top", "half:bottom"};
    const int side_v[4] = {NCA_HALF_LEFT, NCA_HALF_RIGHT, NCA_HALF_TOP, NCA_HALF_BOTTOM};
    for (int k = 0; k < 4; k++) {
        assert_int_equal(nca_damage_parse(sides[k], &d, &e), NCA_OK);
        assert_int_equal(d.kind, NCA_DMG_HALF);
        assert_int_equal(d.a, side_v[k]);
    }
    const char *bad[] = {"",           "circle:1,2",     "half:middle",   "square:a,b,c",
                         "circle:1,2,-3", "square:1,2,-1", "circle:1,2,3,4", "circle:1,2,3x",
                         "circle:",    "circle",         "half:",         "half:LEFT",
                         "half:left ", "triangle:1,2,3", "circle:1;2;3",  "square:1,,3",
                         "circle:99999999999,1,1", "CIRCLE:1,2,3", ":1,2,3", "square:1,2"};
    const size_t nbad = sizeof bad / sizeof bad[0];
    for (size_t k = 0; k < nbad; k++) {
        nca_damage out = {NCA_DMG_SQUARE, 111, 222, 333};
        memset(e.msg, 0, sizeof e.msg);
        if (nca_damage_parse(bad[k], &out, &e) == NCA_OK)
            fail_msg("damage spec '%s' accepted", bad[k]);
        assert_one_line(&e);
        assert_int_equal(out.a, 111); /* untouched */
        assert_int_equal(out.c, 333);
    }
    assert_int_equal(nbad, 20);
}

static unsigned count_hits(const nca_damage *d, unsigned w, unsigned h)
{
    unsigned n = 0;
    for (unsigned y = 0; y < h; y++)
        for (unsigned x = 0; x < w; x++)
            n += (unsigned)(nca_damage_hits(d, w, h, x, y) != 0);
    return n;
}

static void test_damage_geometry(void **state)
{
    (void)state;
    nca_damage d = {NCA_DMG_CIRCLE, 10, 10, 3};
    assert_int_equal(count_hits(&d, 32, 32), 29); /* lattice points with dx^2 + dy^2 <= 9 */
    assert_true(nca_damage_hits(&d, 32, 32, 13, 10));
    assert_false(nca_damage_hits(&d, 32, 32, 13, 11)); /* 9 + 1 > 9 */
    assert_true(nca_damage_hits(&d, 32, 32, 12, 12));  /* 4 + 4 <= 9 */
    d = (nca_damage){NCA_DMG_CIRCLE, 10, 10, 0};
    assert_int_equal(count_hits(&d, 32, 32), 1);
    d = (nca_damage){NCA_DMG_CIRCLE, 0, 0, 2}; /* clipped by the corner */
    assert_int_equal(count_hits(&d, 32, 32), 6);
    d = (nca_damage){NCA_DMG_CIRCLE, -10, -10, 3}; /* entirely outside */
    assert_int_equal(count_hits(&d, 32, 32), 0);
    d = (nca_damage){NCA_DMG_CIRCLE, 5, 5, 100000}; /* everything, no overflow */
    assert_int_equal(count_hits(&d, 9, 7), 63);

    /* halves of an odd-sized grid: left/top get the smaller part (x < W/2) */
    const unsigned want[4] = {3 * 5, 4 * 5, 7 * 2, 7 * 3};
    for (int s = 0; s < 4; s++) {
        d = (nca_damage){NCA_DMG_HALF, s, 0, 0};
        assert_int_equal(count_hits(&d, 7, 5), want[s]);
    }
    d = (nca_damage){NCA_DMG_HALF, NCA_HALF_LEFT, 0, 0};
    assert_true(nca_damage_hits(&d, 7, 5, 2, 0));
    assert_false(nca_damage_hits(&d, 7, 5, 3, 0));
    d = (nca_damage){NCA_DMG_HALF, NCA_HALF_BOTTOM, 0, 0};
    assert_false(nca_damage_hits(&d, 7, 5, 0, 1));
    assert_true(nca_damage_hits(&d, 7, 5, 0, 2));
    d = (nca_damage){NCA_DMG_HALF, NCA_HALF_RIGHT, 0, 0};
    assert_int_equal(count_hits(&d, 64, 64), 32 * 64);

    /* squares: X - S/2 <= x < X - S/2 + S */
    d = (nca_damage){NCA_DMG_SQUARE, 10, 10, 4};
    assert_int_equal(count_hits(&d, 32, 32), 16);
    assert_true(nca_damage_hits(&d, 32, 32, 8, 8));
    assert_true(nca_damage_hits(&d, 32, 32, 11, 11));
    assert_false(nca_damage_hits(&d, 32, 32, 12, 11));
    assert_false(nca_damage_hits(&d, 32, 32, 7, 8));
    d = (nca_damage){NCA_DMG_SQUARE, 10, 10, 5}; /* 5/2 = 2: x in [8, 13) */
    assert_int_equal(count_hits(&d, 32, 32), 25);
    assert_true(nca_damage_hits(&d, 32, 32, 12, 12));
    assert_false(nca_damage_hits(&d, 32, 32, 13, 12));
    d = (nca_damage){NCA_DMG_SQUARE, 0, 0, 4}; /* clipped: [-2, 2) */
    assert_int_equal(count_hits(&d, 32, 32), 4);
    d = (nca_damage){NCA_DMG_SQUARE, 10, 10, 0};
    assert_int_equal(count_hits(&d, 32, 32), 0);
}

static void test_grid_damage_zeroes_exactly_the_hits(void **state)
{
    (void)state;
    nca_model *m = tu_load_regen_lizard();
    nca_grid g;
    tu_grid(&g, m, 20, 15, 1, 1);
    for (size_t i = 0; i < tu_words(&g); i++) {
        g.s[i] = (int16_t)(i % 1000 + 1);
        g.f[i] = 0.25f;
    }
    const nca_damage ds[3] = {{NCA_DMG_CIRCLE, 7, 6, 4}, {NCA_DMG_HALF, NCA_HALF_TOP, 0, 0},
                              {NCA_DMG_SQUARE, 18, 13, 6}};
    for (int k = 0; k < 3; k++) {
        nca_grid_damage(&g, &ds[k]);
        for (unsigned y = 0; y < 15; y++)
            for (unsigned x = 0; x < 20; x++) {
                int hit = 0;
                for (int j = 0; j <= k; j++)
                    hit |= nca_damage_hits(&ds[j], 20, 15, x, y);
                for (unsigned c = 0; c < 16; c++) {
                    size_t i = ((size_t)y * 20 + x) * 16 + c;
                    assert_int_equal(g.s[i], hit ? 0 : (int16_t)(i % 1000 + 1));
                    assert_true(g.f[i] == (hit ? 0.0f : 0.25f));
                }
            }
    }
    nca_grid_free(&g);
    free(m);
}

/* ---- state files --------------------------------------------------------- */

static uint8_t *read_all(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    uint8_t *buf = malloc(1 << 20);
    assert_non_null(buf);
    *len = fread(buf, 1, 1 << 20, f);
    fclose(f);
    return buf;
}

/* Replaces path by a new file (a fresh inode: no ext4 flush-on-truncate stalls). */
static void write_all(const char *path, const uint8_t *buf, size_t len)
{
    unlink(path);
    FILE *f = fopen(path, "wbx");
    assert_non_null(f);
    assert_int_equal(fwrite(buf, 1, len, f), len);
    assert_int_equal(fclose(f), 0);
}

static void test_state_round_trip(void **state)
{
    (void)state;
    nca_model *m = tu_load_regen_lizard();
    nca_grid a, b;
    nca_error e = {""};
    tu_grid(&a, m, 13, 9, 0xCAFEF00Du, 0);
    tu_rng r = {5};
    for (size_t i = 0; i < tu_words(&a); i++)
        a.s[i] = (int16_t)tu_range(&r, INT16_MIN, INT16_MAX);
    a.step = 123456;
    a.boundary = NCA_BOUNDARY_WRAP;
    char p1[256], p2[256];
    tu_tmpname(p1, sizeof p1, "state");
    tu_tmpname(p2, sizeof p2, "state");
    assert_int_equal(nca_state_save(p1, &a, &e), NCA_OK);

    size_t len;
    uint8_t *raw = read_all(p1, &len);
    assert_int_equal(len, 24 + 2 * tu_words(&a) + 4);
    assert_memory_equal(raw, "NCAS", 4);
    assert_int_equal(raw[4] | raw[5] << 8, 1);
    assert_int_equal(raw[6] | raw[7] << 8, 13);
    assert_int_equal(raw[8] | raw[9] << 8, 9);
    assert_int_equal(raw[10], 16);
    assert_int_equal(raw[11], 11);

    tu_grid(&b, m, 13, 9, 1, 1); /* with a float twin: filled from the words */
    assert_int_equal(nca_state_load(p1, &b, &e), NCA_OK);
    assert_memory_equal(a.s, b.s, tu_words(&a) * sizeof *a.s);
    assert_int_equal(b.step, 123456);
    assert_int_equal(b.seed, 0xCAFEF00Du);
    assert_int_equal(b.boundary, NCA_BOUNDARY_WRAP);
    for (size_t i = 0; i < tu_words(&b); i++)
        assert_true(b.f[i] == (float)ldexp(a.s[i], -11));
    /* saving the loaded grid gives the same bytes */
    assert_int_equal(nca_state_save(p2, &b, &e), NCA_OK);
    size_t len2;
    uint8_t *raw2 = read_all(p2, &len2);
    assert_int_equal(len2, len);
    assert_memory_equal(raw, raw2, len);
    free(raw2);
    nca_grid_free(&b);

    /* a grid of another size, channel count or format refuses the file, untouched */
    const unsigned sizes[3][2] = {{12, 9}, {13, 10}, {9, 13}};
    for (int k = 0; k < 3; k++) {
        tu_grid(&b, m, sizes[k][0], sizes[k][1], 1, 0);
        e.msg[0] = '\0';
        assert_int_equal(nca_state_load(p1, &b, &e), NCA_E_FORMAT);
        assert_one_line(&e);
        assert_non_null(strstr(e.msg, "13x9"));
        for (size_t i = 0; i < tu_words(&b); i++)
            assert_int_equal(b.s[i], 0);
        assert_int_equal(b.step, 0);
        nca_grid_free(&b);
    }
    nca_model *m2 = tu_load_regen_lizard();
    m2->state_frac = 10;
    tu_grid(&b, m2, 13, 9, 1, 0);
    assert_int_equal(nca_state_load(p1, &b, &e), NCA_E_FORMAT);
    assert_one_line(&e);
    nca_grid_free(&b);
    m2->channels = 12;
    m2->state_frac = 11;
    tu_grid(&b, m2, 13, 9, 1, 0);
    assert_int_equal(nca_state_load(p1, &b, &e), NCA_E_FORMAT);
    assert_one_line(&e);
    nca_grid_free(&b);
    free(m2);

    /* corrupt files: every truncation, flips, trailing bytes, a missing file */
    tu_grid(&b, m, 13, 9, 1, 0);
    unsigned rejected = 0;
    for (size_t n = 0; n < len; n += (n < 40 ? 1 : 17)) {
        write_all(p2, raw, n);
        e.msg[0] = '\0';
        if (nca_state_load(p2, &b, &e) == NCA_OK)
            fail_msg("state truncated to %zu bytes accepted", n);
        assert_one_line(&e);
        rejected++;
    }
    for (size_t i = 0; i < len; i += 7) {
        raw[i] ^= 0x10;
        write_all(p2, raw, len);
        raw[i] ^= 0x10;
        e.msg[0] = '\0';
        if (nca_state_load(p2, &b, &e) == NCA_OK)
            fail_msg("state with byte %zu flipped accepted", i);
        assert_one_line(&e);
        rejected++;
    }
    /* header fields broken with a matching CRC: only the named checks can catch them */
    uint8_t *bad = malloc(len);
    assert_non_null(bad);
    for (int k = 0; k < 5; k++) {
        memcpy(bad, raw, len);
        if (k == 0)
            bad[3] = 'X'; /* magic "NCAX" */
        else if (k < 3)
            bad[4] = (uint8_t)(k + 1); /* version 2, 3 */
        else if (k == 3)
            bad[20] = 7; /* boundary mode 7 */
        else
            bad[22] = 1; /* a reserved byte */
        uint32_t crc = (uint32_t)crc32(crc32(0L, Z_NULL, 0), bad, (uInt)(len - 4));
        for (int j = 0; j < 4; j++)
            bad[len - 4 + j] = (uint8_t)(crc >> (8 * j));
        write_all(p2, bad, len);
        e.msg[0] = '\0';
        if (nca_state_load(p2, &b, &e) == NCA_OK)
            fail_msg("state with broken header field %d accepted", k);
        assert_one_line(&e);
    }
    free(bad);
    uint8_t *longer = malloc(len + 1);
    assert_non_null(longer);
    memcpy(longer, raw, len);
    longer[len] = 0;
    write_all(p2, longer, len + 1);
    assert_int_equal(nca_state_load(p2, &b, &e), NCA_E_FORMAT);
    assert_one_line(&e);
    free(longer);
    for (size_t i = 0; i < tu_words(&b); i++)
        assert_int_equal(b.s[i], 0); /* nothing was ever loaded */
    assert_true(rejected > 100);
    unlink(p2);
    assert_int_equal(nca_state_load(p2, &b, &e), NCA_E_IO);
    assert_one_line(&e);
    nca_grid_free(&b);

    free(raw);
    unlink(p1);
    nca_grid_free(&a);
    free(m);
}

/* ---- frames and PNG ------------------------------------------------------ */

static void test_frame_rgba(void **state)
{
    (void)state;
    nca_model *m = tu_load_regen_lizard();
    nca_grid g;
    tu_grid(&g, m, 4, 3, 1, 1);
    const int16_t one = 1 << 11;
    /* (word, byte) pairs per the spec: clamp(s, 0, 2^SF) * 255 / 2^SF, rounded half up */
    const int16_t words[12] = {0, one, -1, INT16_MIN, (int16_t)(one + 1), INT16_MAX, one / 2,
                               1, 4, 5, (int16_t)(one - 4), (int16_t)(one - 5)};
    const uint8_t bytes[12] = {0, 255, 0, 0, 255, 255, 128, 0, 0, 1, 255, 254};
    /* 4/2048*255 = 0.498 -> 0; 5/2048*255 = 0.62 -> 1; (2044)/2048*255 = 254.5 -> 255 */
    for (unsigned i = 0; i < 12; i++)
        for (unsigned c = 0; c < 16; c++)
            g.s[i * 16 + c] = c < 4 ? words[(i + c) % 12] : 777;
    uint8_t px[12 * 4];
    memset(px, 0xAB, sizeof px);
    nca_frame_rgba(&g, 0, px);
    for (unsigned i = 0; i < 12; i++)
        for (unsigned c = 0; c < 4; c++)
            if (px[i * 4 + c] != bytes[(i + c) % 12])
                fail_msg("word %d -> byte %u, expected %u", words[(i + c) % 12], px[i * 4 + c],
                         bytes[(i + c) % 12]);
    /* the float twin's frame: clamp to [0, 1], x 255, round */
    const float fv[6] = {0.0f, 1.0f, -0.5f, 3.0f, 0.5f, 0.1f};
    const uint8_t fb[6] = {0, 255, 0, 255, 128, 26};
    for (unsigned i = 0; i < 12; i++)
        for (unsigned c = 0; c < 16; c++)
            g.f[i * 16 + c] = fv[(i + c) % 6];
    nca_frame_rgba(&g, 1, px);
    for (unsigned i = 0; i < 12; i++)
        for (unsigned c = 0; c < 4; c++)
            assert_int_equal(px[i * 4 + c], fb[(i + c) % 6]);
    /* s <-> f conversions */
    g.f[0] = 0.5f;
    g.f[1] = -100.0f;
    g.f[2] = 100.0f;
    g.f[3] = 1.0f / 4096.0f; /* half a unit: rounds away from zero */
    nca_grid_f_to_s(&g);
    assert_int_equal(g.s[0], 1024);
    assert_int_equal(g.s[1], INT16_MIN);
    assert_int_equal(g.s[2], INT16_MAX);
    assert_int_equal(g.s[3], 1);
    nca_grid_s_to_f(&g);
    assert_true(g.f[0] == 0.5f);
    assert_true(g.f[2] == 32767.0f / 2048.0f);
    nca_grid_free(&g);
    free(m);
}

static void test_png_round_trip(void **state)
{
    (void)state;
    const unsigned w = 13, h = 7;
    uint8_t *img = malloc(w * h * 4);
    assert_non_null(img);
    tu_rng r = {77};
    for (unsigned i = 0; i < w * h * 4; i++)
        img[i] = (uint8_t)tu_next(&r);
    img[0] = 0;
    img[3] = 255;
    char p[256];
    tu_tmpname(p, sizeof p, "png");
    nca_error e = {""};
    assert_int_equal(nca_png_write(p, img, w, h, &e), NCA_OK);
    uint8_t *back = NULL;
    unsigned bw = 0, bh = 0;
    assert_int_equal(nca_png_read(p, &back, &bw, &bh, &e), NCA_OK);
    assert_int_equal(bw, w);
    assert_int_equal(bh, h);
    assert_memory_equal(back, img, w * h * 4);
    free(back);

    /* not a PNG, a truncated PNG, a missing file: errors with one line */
    size_t len;
    uint8_t *raw = read_all(p, &len);
    write_all(p, raw, len / 2);
    back = NULL;
    e.msg[0] = '\0';
    assert_int_not_equal(nca_png_read(p, &back, &bw, &bh, &e), NCA_OK);
    assert_one_line(&e);
    assert_null(back);
    write_all(p, (const uint8_t *)"hello, not a png\n", 17);
    e.msg[0] = '\0';
    assert_int_not_equal(nca_png_read(p, &back, &bw, &bh, &e), NCA_OK);
    assert_one_line(&e);
    assert_null(back);
    unlink(p);
    e.msg[0] = '\0';
    assert_int_not_equal(nca_png_read(p, &back, &bw, &bh, &e), NCA_OK);
    assert_one_line(&e);
    e.msg[0] = '\0';
    assert_int_not_equal(nca_png_write("/nonexistent-dir/x.png", img, w, h, &e), NCA_OK);
    assert_one_line(&e);
    free(raw);
    free(img);
}

/* Saves replace a file whole or not at all (nca_write_file): a save that cannot write keeps
 * the good file that was there and leaves no PATH.part; a good one leaves no PATH.part. */
static void test_saves_are_atomic(void **state)
{
    (void)state;
    nca_model *m = tu_load_regen_lizard();
    nca_grid g;
    tu_grid(&g, m, 9, 7, 3, 0);
    nca_error e = {""};
    char p[256], part[300];
    tu_tmpname(p, sizeof p, "atomic");
    snprintf(part, sizeof part, "%s.part", p);
    assert_int_equal(nca_state_save(p, &g, &e), NCA_OK);
    assert_int_equal(access(part, F_OK), -1);
    size_t good_len;
    uint8_t *good = read_all(p, &good_len);
    uint8_t rgba[9 * 7 * 4] = {0};
    /* PATH.part cannot be created (a directory of that name): every writer fails with one
     * line and the file keeps its bytes */
    assert_int_equal(mkdir(part, 0700), 0);
    g.step = 1234;
    e.msg[0] = '\0';
    assert_int_not_equal(nca_state_save(p, &g, &e), NCA_OK);
    assert_one_line(&e);
    e.msg[0] = '\0';
    assert_int_not_equal(nca_png_write(p, rgba, 9, 7, &e), NCA_OK);
    assert_one_line(&e);
    e.msg[0] = '\0';
    assert_int_not_equal(nca_model_save(p, m, &e), NCA_OK);
    assert_one_line(&e);
    size_t len;
    uint8_t *now = read_all(p, &len);
    assert_int_equal(len, good_len);
    assert_memory_equal(now, good, len);
    free(now);
    assert_int_equal(rmdir(part), 0);
    /* and once it can, the new state replaces the old */
    assert_int_equal(nca_state_save(p, &g, &e), NCA_OK);
    assert_int_equal(access(part, F_OK), -1);
    now = read_all(p, &len);
    assert_int_equal(len, good_len);
    assert_memory_not_equal(now, good, len);
    free(now);
    free(good);
    unlink(p);
    nca_grid_free(&g);
    free(m);
}

/* A save to a pipe (nca-host --save-state /dev/stdout | ...) or through a symbolic link
 * (/dev/stdout itself is one) is written in place: the same bytes as a file save, no
 * PATH.part beside it, and the link is still a link. */
static void test_save_to_pipe(void **state)
{
    (void)state;
    nca_model *m = tu_load_regen_lizard();
    nca_grid g;
    tu_grid(&g, m, 9, 7, 3, 0);
    nca_error e = {""};
    char p[256], fifo[300], part[320], link[300];
    tu_tmpname(p, sizeof p, "pipe");
    snprintf(fifo, sizeof fifo, "%s.fifo", p);
    snprintf(link, sizeof link, "%s.link", p);
    snprintf(part, sizeof part, "%s.part", fifo);
    assert_int_equal(nca_state_save(p, &g, &e), NCA_OK);
    size_t good_len;
    uint8_t *good = read_all(p, &good_len);
    assert_true(good_len < 4096);  /* fits the pipe's buffer: no reader thread needed */
    assert_int_equal(mkfifo(fifo, 0600), 0);
    int rd = open(fifo, O_RDONLY | O_NONBLOCK);
    assert_true(rd >= 0);
    assert_int_equal(nca_state_save(fifo, &g, &e), NCA_OK);
    assert_int_equal(access(part, F_OK), -1);
    uint8_t got[4096];
    ssize_t n = read(rd, got, sizeof got);
    close(rd);
    assert_int_equal(n, (ssize_t)good_len);
    assert_memory_equal(got, good, good_len);
    /* through a link to a regular file: the file gets the bytes, the link stays */
    char lpart[320];
    snprintf(lpart, sizeof lpart, "%s.part", link);
    assert_int_equal(symlink(fifo, link), 0);
    unlink(fifo);
    assert_int_equal(nca_state_save(link, &g, &e), NCA_OK);  /* dangling: makes the target */
    assert_int_equal(access(lpart, F_OK), -1);
    struct stat lb;
    assert_int_equal(lstat(link, &lb), 0);
    assert_true(S_ISLNK(lb.st_mode));
    size_t len;
    uint8_t *now = read_all(fifo, &len);
    assert_int_equal(len, good_len);
    assert_memory_equal(now, good, len);
    free(now);
    /* a directory is refused with one line, as before */
    e.msg[0] = '\0';
    assert_int_not_equal(nca_state_save("/tmp", &g, &e), NCA_OK);
    assert_one_line(&e);
    free(good);
    unlink(link);
    unlink(fifo);
    unlink(p);
    nca_grid_free(&g);
    free(m);
}

static void test_target_load(void **state)
{
    (void)state;
    char path[4096];
    tu_path(path, sizeof path, "weights/targets/lizard.png");
    uint8_t *img = NULL;
    unsigned w = 0, h = 0;
    nca_error e = {""};
    assert_int_equal(nca_png_read(path, &img, &w, &h, &e), NCA_OK);
    assert_true(w <= 72 && h <= 72 && w >= 16 && h >= 16);
    nca_target t;
    assert_int_equal(nca_target_load(path, 72, 72, &t, &e), NCA_OK);
    assert_int_equal(t.width, 72);
    assert_int_equal(t.height, 72);
    const unsigned ox = (72 - w) / 2, oy = (72 - h) / 2;
    unsigned opaque = 0;
    for (unsigned y = 0; y < 72; y++)
        for (unsigned x = 0; x < 72; x++) {
            const float *o = t.rgba + ((size_t)y * 72 + x) * 4;
            int inside = x >= ox && x < ox + w && y >= oy && y < oy + h;
            if (!inside) {
                assert_true(o[0] == 0 && o[1] == 0 && o[2] == 0 && o[3] == 0);
                continue;
            }
            const uint8_t *p = img + ((size_t)(y - oy) * w + (x - ox)) * 4;
            assert_true(fabsf(o[3] - p[3] / 255.0f) < 1e-6f);
            for (int c = 0; c < 3; c++) /* premultiplied */
                assert_true(fabsf(o[c] - p[c] / 255.0f * (p[3] / 255.0f)) < 1e-6f);
            opaque += p[3] > 128;
        }
    assert_true(opaque > 100);
    /* MSE against itself is 0, against an empty grid the mean of squares */
    float *zero = calloc((size_t)72 * 72 * 4, sizeof *zero);
    assert_non_null(zero);
    assert_true(nca_mse_rgba(t.rgba, &t) == 0.0);
    double sq = 0;
    for (size_t i = 0; i < (size_t)72 * 72 * 4; i++)
        sq += (double)t.rgba[i] * t.rgba[i];
    assert_true(fabs(nca_mse_rgba(zero, &t) - sq / (72.0 * 72 * 4)) < 1e-12);
    free(zero);
    nca_target_free(&t);
    assert_null(t.rgba);
    /* a grid smaller than the image is refused */
    e.msg[0] = '\0';
    assert_int_equal(nca_target_load(path, w - 1, h, &t, &e), NCA_E_ARG);
    assert_one_line(&e);
    assert_null(t.rgba);
    free(img);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_grid_init_limits),
        cmocka_unit_test(test_damage_parse),
        cmocka_unit_test(test_damage_geometry),
        cmocka_unit_test(test_grid_damage_zeroes_exactly_the_hits),
        cmocka_unit_test(test_state_round_trip),
        cmocka_unit_test(test_frame_rgba),
        cmocka_unit_test(test_png_round_trip),
        cmocka_unit_test(test_saves_are_atomic),
        cmocka_unit_test(test_save_to_pipe),
        cmocka_unit_test(test_target_load),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

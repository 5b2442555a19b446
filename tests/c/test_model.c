/* SPDX-License-Identifier: Apache-2.0 */
/* test_model.c - the model file format: round trip, validation, corruption, import. */
#include "test_util.h"

#include <math.h>
#include <zlib.h>

static const char *const distill_models[4] = {
    "weights/distill/ex1-grow-lizard.bin", "weights/distill/ex2-persist-lizard.bin",
    "weights/distill/ex3-regen-lizard.bin", "weights/distill/ex3-regen-planarian.bin"};

/* byte offsets of the Distill shape (C 16, H 128, I 48), docs/model-format.md */
enum {
    OFF_SHIFT1 = 188,
    OFF_SHIFT2 = OFF_SHIFT1 + 128,
    OFF_W1 = OFF_SHIFT2 + 16,
    OFF_B1 = OFF_W1 + 128 * 48,
    OFF_W2 = OFF_B1 + 4 * 128,
    OFF_B2 = OFF_W2 + 16 * 128,
    OFF_CRC = OFF_B2 + 4 * 16
};

static void put32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

/* Rewrites the CRC of a len-byte model image (the last 4 bytes). */
static void fix_crc(uint8_t *buf, size_t len)
{
    put32(buf + len - 4, (uint32_t)crc32(crc32(0L, Z_NULL, 0), buf, (uInt)(len - 4)));
}

static void test_distill_models_shape_and_size(void **state)
{
    (void)state;
    for (int k = 0; k < 4; k++) {
        size_t len;
        uint8_t *raw = tu_read_file(distill_models[k], &len);
        nca_model *m = tu_load_model(distill_models[k]);
        assert_int_equal(len, TU_DISTILL_SIZE);
        assert_int_equal(nca_model_file_size(m), TU_DISTILL_SIZE);
        assert_int_equal(m->channels, 16);
        assert_int_equal(m->hidden, 128);
        assert_int_equal(m->kernels, NCA_K_IDENTITY | NCA_K_SOBEL_X | NCA_K_SOBEL_Y);
        assert_int_equal(nca_model_filters(m), 3);
        assert_int_equal(nca_model_inputs(m), 48);
        assert_int_equal(m->boundary, NCA_BOUNDARY_ZERO);
        assert_int_equal(m->fire_q, 32768);
        assert_int_equal(m->state_frac, 11);
        assert_int_equal(m->hid_frac, 7);
        assert_int_equal(m->alive_q, 204); /* floor(0.1 * 2^11) */
        assert_true(strlen(m->name) > 0);
        nca_error e = {""};
        assert_int_equal(nca_model_validate(m, &e), NCA_OK);
        free(m);
        free(raw);
    }
}

static void test_serialize_round_trip(void **state)
{
    (void)state;
    for (int k = 0; k < 4; k++) {
        size_t len, out_len = 0;
        uint8_t *raw = tu_read_file(distill_models[k], &len);
        nca_model *m = malloc(sizeof *m);
        uint8_t *buf = malloc(len + 64);
        assert_non_null(m);
        assert_non_null(buf);
        nca_error e = {""};
        assert_int_equal(nca_model_parse(raw, len, m, &e), NCA_OK);
        memset(buf, 0xEE, len + 64);
        assert_int_equal(nca_model_serialize(m, buf, len + 64, &out_len, &e), NCA_OK);
        assert_int_equal(out_len, len);
        assert_memory_equal(buf, raw, len);
        assert_int_equal(buf[len], 0xEE); /* nothing written past the model */

        /* exact capacity works, one byte less is refused without writing */
        assert_int_equal(nca_model_serialize(m, buf, len, &out_len, &e), NCA_OK);
        memset(buf, 0xEE, len);
        e.msg[0] = '\0';
        assert_int_equal(nca_model_serialize(m, buf, len - 1, &out_len, &e), NCA_E_ARG);
        assert_one_line(&e);
        for (size_t i = 0; i < len; i++)
            assert_int_equal(buf[i], 0xEE);

        /* through a file */
        char tmp[256];
        tu_tmpname(tmp, sizeof tmp, "model");
        assert_int_equal(nca_model_save(tmp, m, &e), NCA_OK);
        FILE *f = fopen(tmp, "rb");
        assert_non_null(f);
        size_t n = fread(buf, 1, len + 64, f);
        fclose(f);
        unlink(tmp);
        assert_int_equal(n, len);
        assert_memory_equal(buf, raw, len);

        /* the parsed model survives a second parse of its own serialisation */
        nca_model *m2 = malloc(sizeof *m2);
        assert_non_null(m2);
        assert_int_equal(nca_model_parse(buf, n, m2, &e), NCA_OK);
        assert_memory_equal(m2, m, sizeof *m);
        free(m2);
        free(buf);
        free(m);
        free(raw);
    }
}

/* A model that differs from a valid one in one field; index -> what is broken. */
static const char *break_field(nca_model *m, int i)
{
    switch (i) {
    case 0: m->channels = 3; return "channels 3";
    case 1: m->channels = 17; return "channels 17";
    case 2: m->channels = 0; return "channels 0";
    case 3: m->hidden = 0; return "hidden 0";
    case 4: m->hidden = 129; return "hidden 129";
    case 5: m->kernels = NCA_K_SOBEL_X | NCA_K_SOBEL_Y; return "kernels without identity";
    case 6: m->kernels = 0; return "kernels 0";
    case 7: m->kernels = NCA_K_IDENTITY | 0x10; return "kernel bit 4";
    case 8: m->kernels = 0x87; return "kernel bit 7";
    case 9: m->boundary = 2; return "boundary 2";
    case 10: m->fire_q = 65537; return "fire_q 65537";
    case 11: m->fire_q = 0xFFFFFFFFu; return "fire_q 2^32-1";
    case 12: m->state_frac = 3; return "state_frac 3";
    case 13: m->state_frac = 15; return "state_frac 15";
    case 14: m->hid_frac = 16; return "hid_frac 16";
    case 15: m->alive_q = -1; return "alive_q -1";
    case 16: m->alive_q = INT16_MIN; return "alive_q -32768";
    case 17: m->shift1[0] = 25; return "shift1[0] 25";
    case 18: m->shift1[m->hidden - 1] = 25; return "shift1[H-1] 25";
    case 19: m->shift2[0] = 25; return "shift2[0] 25";
    case 20: m->shift2[m->channels - 1] = 255; return "shift2[C-1] 255";
    case 21: m->b1[0] = NCA_BIAS_LIMIT; return "b1[0] 2^24";
    case 22: m->b1[m->hidden - 1] = -NCA_BIAS_LIMIT; return "b1[H-1] -2^24";
    case 23: m->b2[0] = NCA_BIAS_LIMIT; return "b2[0] 2^24";
    case 24: m->b2[m->channels - 1] = -NCA_BIAS_LIMIT; return "b2[C-1] -2^24";
    case 25: m->b1[3] = INT32_MIN; return "b1[3] INT32_MIN";
    case 26: m->name[2] = '\n'; return "name with a newline";
    case 27: m->desc[0] = 0x7f; return "desc with DEL";
    case 28: memset(m->name, 'x', sizeof m->name); return "name without terminator";
    case 29: m->flags = 0x02; return "flags bit 1";
    case 30: m->flags = 0xFF; return "flags 0xFF";
    default: return NULL;
    }
}

static void test_validate_rejects_each_field(void **state)
{
    (void)state;
    nca_model *good = tu_load_regen_lizard(), *m = malloc(sizeof *m);
    assert_non_null(m);
    int n = 0;
    for (int i = 0;; i++) {
        memcpy(m, good, sizeof *m);
        const char *what = break_field(m, i);
        if (!what)
            break;
        nca_error e = {""};
        nca_status st = nca_model_validate(m, &e);
        if (st == NCA_OK)
            fail_msg("validate accepted %s", what);
        assert_true(st == NCA_E_RANGE || st == NCA_E_FORMAT);
        if (!tu_one_line(&e))
            fail_msg("%s: message '%s' is not one line", what, e.msg);
        /* serialising a bad model is refused too, without writing */
        uint8_t *buf = malloc(TU_DISTILL_SIZE * 2);
        assert_non_null(buf);
        size_t len = 12345;
        memset(buf, 0x5A, TU_DISTILL_SIZE * 2);
        assert_int_not_equal(nca_model_serialize(m, buf, TU_DISTILL_SIZE * 2, &len, &e), NCA_OK);
        assert_int_equal(len, 12345);
        assert_int_equal(buf[0], 0x5A);
        free(buf);
        n++;
    }
    assert_int_equal(n, 31);
    free(m);
    free(good);
}

/* Format version 2: a model with flags is written as version 2 with the flags in byte 22, a
 * model without as version 1 (its bytes unchanged); both read back equal. */
static void test_flags_version(void **state)
{
    (void)state;
    nca_model *m = tu_load_regen_lizard(), *back = malloc(sizeof *back);
    uint8_t *buf = malloc(TU_DISTILL_SIZE);
    assert_non_null(back);
    assert_non_null(buf);
    nca_error e = {""};
    size_t len;
    for (unsigned flags = 0; flags <= NCA_FLAG_ALL_ACTIVE; flags++) {
        m->flags = (uint8_t)flags;
        assert_int_equal(nca_model_serialize(m, buf, TU_DISTILL_SIZE, &len, &e), NCA_OK);
        assert_int_equal(buf[4], flags ? 2 : 1);
        assert_int_equal(buf[22], flags);
        memset(back, 0x3C, sizeof *back);
        assert_int_equal(nca_model_parse(buf, len, back, &e), NCA_OK);
        assert_int_equal(back->flags, flags);
        assert_memory_equal(back->w1, m->w1, sizeof m->w1);
        /* version 1 with the byte set is a reserved byte, not a flag */
        if (flags) {
            buf[4] = 1;
            uint32_t crc = (uint32_t)crc32(crc32(0L, Z_NULL, 0), buf, (uInt)(len - 4));
            for (int j = 0; j < 4; j++)
                buf[len - 4 + j] = (uint8_t)(crc >> (8 * j));
            assert_int_equal(nca_model_parse(buf, len, back, &e), NCA_E_FORMAT);
            assert_non_null(strstr(e.msg, "reserved"));
        }
    }
    free(buf);
    free(back);
    free(m);
}

static void test_validate_accepts_limits(void **state)
{
    (void)state;
    nca_model *good = tu_load_regen_lizard(), *m = malloc(sizeof *m);
    assert_non_null(m);
    for (int i = 0; i < 16; i++) {
        memcpy(m, good, sizeof *m);
        switch (i) {
        case 0: m->channels = 4; break;
        case 1: m->channels = 16; m->hidden = 1; break;
        case 2: m->hidden = 128; break;
        case 3: m->kernels = NCA_K_IDENTITY; break;
        case 4: m->kernels = NCA_K_ALL; break;
        case 5: m->boundary = NCA_BOUNDARY_WRAP; break;
        case 6: m->fire_q = 0; break;
        case 7: m->fire_q = 65536; break;
        case 8: m->state_frac = 4; m->hid_frac = 0; break;
        case 9: m->state_frac = 14; m->hid_frac = 15; break;
        case 10: m->alive_q = 0; break;
        case 11: m->alive_q = INT16_MAX; break;
        case 12: m->shift1[0] = 24; m->shift2[15] = 24; m->shift1[127] = 0; break;
        case 13: m->b1[0] = NCA_BIAS_LIMIT - 1; m->b2[15] = -(NCA_BIAS_LIMIT - 1); break;
        case 14: memset(m->name, 'x', NCA_NAME_LEN); m->name[NCA_NAME_LEN] = '\0'; break;
        case 15: memset(m->desc, '~', NCA_DESC_LEN); m->desc[NCA_DESC_LEN] = '\0'; break;
        }
        nca_error e = {""};
        if (nca_model_validate(m, &e) != NCA_OK)
            fail_msg("case %d rejected: %s", i, e.msg);
        /* and a legal model round-trips through the format */
        size_t cap = nca_model_file_size(m), len = 0;
        uint8_t *buf = malloc(cap);
        nca_model *back = malloc(sizeof *back);
        assert_non_null(buf);
        assert_non_null(back);
        assert_int_equal(nca_model_serialize(m, buf, cap, &len, &e), NCA_OK);
        assert_int_equal(len, cap);
        if (nca_model_parse(buf, len, back, &e) != NCA_OK)
            fail_msg("case %d does not parse back: %s", i, e.msg);
        assert_int_equal(back->channels, m->channels);
        assert_int_equal(back->hidden, m->hidden);
        assert_int_equal(back->kernels, m->kernels);
        assert_int_equal(back->fire_q, m->fire_q);
        assert_int_equal(back->alive_q, m->alive_q);
        assert_string_equal(back->name, m->name);
        assert_string_equal(back->desc, m->desc);
        const unsigned H = m->hidden, C = m->channels, I = nca_model_inputs(m);
        assert_memory_equal(back->shift1, m->shift1, H);
        assert_memory_equal(back->shift2, m->shift2, C);
        assert_memory_equal(back->w1, m->w1, (size_t)H * I);
        assert_memory_equal(back->b1, m->b1, H * sizeof m->b1[0]);
        assert_memory_equal(back->w2, m->w2, (size_t)C * H);
        assert_memory_equal(back->b2, m->b2, C * sizeof m->b2[0]);
        free(back);
        free(buf);
    }
    free(m);
    free(good);
}

/* Parses buf and checks the failure contract: non-OK, *out untouched, one-line message. */
static int parse_fails_cleanly(const uint8_t *buf, size_t len, nca_model *out,
                               const nca_model *sentinel, const char *what, size_t arg)
{
    nca_error e;
    memset(e.msg, 0, sizeof e.msg);
    nca_status st = nca_model_parse(buf, len, out, &e);
    if (st == NCA_OK)
        fail_msg("%s %zu: parsed OK", what, arg);
    if (st != NCA_E_FORMAT && st != NCA_E_RANGE)
        fail_msg("%s %zu: status %d", what, arg, (int)st);
    if (memcmp(out, sentinel, sizeof *out) != 0)
        fail_msg("%s %zu: output model written on failure", what, arg);
    if (!tu_one_line(&e))
        fail_msg("%s %zu: message '%s' is not one line", what, arg, e.msg);
    return 1;
}

/* A malloc'ed copy of exactly n bytes, so ASan sees any read past the end. */
static uint8_t *exact_copy(const uint8_t *src, size_t n, size_t copy)
{
    uint8_t *b = malloc(n ? n : 1);
    assert_non_null(b);
    memcpy(b, src, copy < n ? copy : n);
    return b;
}

static void test_parse_corruption_sweep(void **state)
{
    (void)state;
    size_t len;
    uint8_t *raw = tu_read_file(TU_REGEN_LIZARD, &len);
    assert_int_equal(len, TU_DISTILL_SIZE);
    nca_model *out = malloc(sizeof *out), *sentinel = malloc(sizeof *sentinel);
    assert_non_null(out);
    assert_non_null(sentinel);
    memset(sentinel, 0xA5, sizeof *sentinel);
    memcpy(out, sentinel, sizeof *out);
    unsigned trunc = 0, flips = 0, other = 0;

    /* sanity: the untouched file parses */
    nca_error e = {""};
    nca_model *ok = malloc(sizeof *ok);
    assert_non_null(ok);
    assert_int_equal(nca_model_parse(raw, len, ok, &e), NCA_OK);
    free(ok);

    /* every truncation, including the empty file */
    for (size_t n = 0; n < len; n++) {
        uint8_t *b = exact_copy(raw, n, n);
        trunc += (unsigned)parse_fails_cleanly(b, n, out, sentinel, "truncated to", n);
        free(b);
    }
    assert_int_equal(nca_model_parse(NULL, 0, out, &e), NCA_E_FORMAT);
    assert_memory_equal(out, sentinel, sizeof *out);

    /* every single-byte flip, all bits and the lowest bit */
    uint8_t *b = exact_copy(raw, len, len);
    for (size_t i = 0; i < len; i++) {
        const uint8_t masks[2] = {0xFF, 0x01};
        for (int k = 0; k < 2; k++) {
            b[i] ^= masks[k];
            flips += (unsigned)parse_fails_cleanly(b, len, out, sentinel,
                                                   k ? "xor 0x01 at" : "xor 0xFF at", i);
            b[i] ^= masks[k];
        }
    }
    assert_memory_equal(b, raw, len);
    free(b);

    /* trailing garbage: one byte, a block, a second copy of the model */
    const size_t extra[4] = {1, 4, 100, TU_DISTILL_SIZE};
    for (int k = 0; k < 4; k++) {
        b = exact_copy(raw, len + extra[k], len);
        for (size_t i = 0; i < extra[k]; i++)
            b[len + i] = (uint8_t)(k == 3 ? raw[i] : 0);
        other += (unsigned)parse_fails_cleanly(b, len + extra[k], out, sentinel, "trailing", extra[k]);
        free(b);
    }

    /* absurd size fields, with and without a CRC that matches the bytes */
    const uint32_t sizes[6] = {0, 0xFFFFFFFFu, (uint32_t)len + 1, (uint32_t)len - 1, 12,
                               (1u << 20) + 1};
    for (int k = 0; k < 6; k++)
        for (int fix = 0; fix < 2; fix++) {
            b = exact_copy(raw, len, len);
            put32(b + 8, sizes[k]);
            if (fix)
                fix_crc(b, len);
            other += (unsigned)parse_fails_cleanly(b, len, out, sentinel, "size field", sizes[k]);
            free(b);
        }
    /* a short file whose size field says exactly its length and whose CRC matches:
     * smaller than any header (parse must not read the header fields past its end) */
    for (size_t n = 12; n < 192; n += 7) {
        b = exact_copy(raw, n, n);
        put32(b + 8, (uint32_t)n);
        if (n >= 16)
            fix_crc(b, n);
        other += (unsigned)parse_fails_cleanly(b, n, out, sentinel, "short self-consistent", n);
        free(b);
    }

    /* magic, version, header size (CRC fixed, so only the named check can fire) */
    const char *magics[3] = {"NCAm", "MACN", "\0\0\0\0"};
    for (int k = 0; k < 3; k++) {
        b = exact_copy(raw, len, len);
        memcpy(b, magics[k], 4);
        fix_crc(b, len);
        other += (unsigned)parse_fails_cleanly(b, len, out, sentinel, "magic", (size_t)k);
        free(b);
    }
    const uint16_t versions[3] = {0, 3, 0xFFFF};
    for (int k = 0; k < 3; k++) {
        b = exact_copy(raw, len, len);
        b[4] = (uint8_t)versions[k];
        b[5] = (uint8_t)(versions[k] >> 8);
        fix_crc(b, len);
        e.msg[0] = '\0';
        other += (unsigned)parse_fails_cleanly(b, len, out, sentinel, "version", versions[k]);
        assert_int_equal(nca_model_parse(b, len, out, &e), NCA_E_FORMAT);
        assert_non_null(strstr(e.msg, "version"));
        free(b);
    }
    const uint16_t hsizes[3] = {0, 187, 192};
    for (int k = 0; k < 3; k++) {
        b = exact_copy(raw, len, len);
        b[6] = (uint8_t)hsizes[k];
        b[7] = (uint8_t)(hsizes[k] >> 8);
        fix_crc(b, len);
        other += (unsigned)parse_fails_cleanly(b, len, out, sentinel, "header size", hsizes[k]);
        free(b);
    }

    print_message("corruption sweep: %u truncations, %u flips, %u other cases rejected\n", trunc,
                  flips, other);
    assert_int_equal(trunc, TU_DISTILL_SIZE);
    assert_int_equal(flips, 2 * TU_DISTILL_SIZE);
    assert_int_equal(other, 4 + 12 + 26 + 3 + 3 + 3);
    free(sentinel);
    free(out);
    free(raw);
}

/* Header or body fields broken with the CRC fixed: the range checks of parse itself. */
static void test_parse_rejects_fields_with_valid_crc(void **state)
{
    (void)state;
    size_t len;
    uint8_t *raw = tu_read_file(TU_REGEN_LIZARD, &len);
    nca_model *out = malloc(sizeof *out), *sentinel = malloc(sizeof *sentinel);
    assert_non_null(out);
    assert_non_null(sentinel);
    memset(sentinel, 0x3C, sizeof *sentinel);
    memcpy(out, sentinel, sizeof *out);
    int n = 0;
    for (int i = 0;; i++) {
        uint8_t *b = exact_copy(raw, len, len);
        const char *what = NULL;
        switch (i) {
        case 0: b[12] = 3; what = "channels 3"; break;
        case 1: b[12] = 17; what = "channels 17"; break;
        case 2: b[13] = 0; what = "hidden 0"; break;
        case 3: b[13] = 129; what = "hidden 129"; break;
        case 4: b[13] = 127; what = "hidden 127 (size mismatch)"; break;
        case 5: b[14] = 0x06; what = "kernels without identity"; break;
        case 6: b[14] = 0x0F; what = "kernels 0xF (size mismatch)"; break;
        case 7: b[14] = 0x17; what = "kernel bit 4"; break;
        case 8: b[15] = 2; what = "boundary 2"; break;
        case 9: put32(b + 16, 65537); what = "fire_q 65537"; break;
        case 10: b[20] = 3; what = "state_frac 3"; break;
        case 11: b[20] = 15; what = "state_frac 15"; break;
        case 12: b[21] = 16; what = "hid_frac 16"; break;
        case 13: b[22] = 1; what = "reserved byte 22"; break;
        case 14: b[23] = 0x80; what = "reserved byte 23"; break;
        case 15: b[27] = 1; what = "reserved byte 27"; break;
        case 16: b[25] = 0x80; what = "alive_q negative"; break;
        case 17: b[28] = '\t'; what = "name with a tab"; break;
        case 18: b[60 + 5] = 0x1B; what = "desc with ESC"; break;
        case 19: b[OFF_SHIFT1 + 5] = 30; what = "shift1[5] 30"; break;
        case 20: b[OFF_SHIFT2 + 15] = 25; what = "shift2[15] 25"; break;
        case 21: put32(b + OFF_B1 + 4 * 127, 1u << 24); what = "b1[127] 2^24"; break;
        case 22: put32(b + OFF_B2 + 4 * 15, (uint32_t)-(1 << 24)); what = "b2[15] -2^24"; break;
        case 23: put32(b + OFF_B2, 0x80000000u); what = "b2[0] INT32_MIN"; break;
        case 24: b[60 + 127] = 'x'; what = "desc text after its NUL padding"; break;
        case 25: b[28 + 31] = 'x'; what = "name text after its NUL padding"; break;
        case 26: b[4] = 2; b[22] = 2; what = "version 2, unknown flag bit 1"; break;
        case 27: b[4] = 2; b[22] = 0x81; what = "version 2, unknown flag bit 7"; break;
        default: break;
        }
        if (!what) {
            free(b);
            break;
        }
        fix_crc(b, len);
        parse_fails_cleanly(b, len, out, sentinel, what, (size_t)i);
        free(b);
        n++;
    }
    assert_int_equal(n, 28);
    /* control: a weight changed with the CRC fixed is a different, valid model */
    uint8_t *b = exact_copy(raw, len, len);
    b[OFF_W1 + 100] ^= 0x01;
    fix_crc(b, len);
    nca_error e = {""};
    assert_int_equal(nca_model_parse(b, len, out, &e), NCA_OK);
    assert_int_equal(out->w1[100], (int8_t)(raw[OFF_W1 + 100] ^ 0x01));
    free(b);
    free(sentinel);
    free(out);
    free(raw);
}

static void test_load_errors(void **state)
{
    (void)state;
    nca_model *out = malloc(sizeof *out), *sentinel = malloc(sizeof *sentinel);
    assert_non_null(out);
    assert_non_null(sentinel);
    memset(sentinel, 0x77, sizeof *sentinel);
    memcpy(out, sentinel, sizeof *out);
    nca_error e = {""};

    assert_int_equal(nca_model_load("weights/distill/no-such-model.bin", out, &e), NCA_E_IO);
    assert_one_line(&e);
    assert_non_null(strstr(e.msg, "no-such-model.bin"));
    assert_memory_equal(out, sentinel, sizeof *out);

    e.msg[0] = '\0';
    assert_int_not_equal(nca_model_load("weights/distill", out, &e), NCA_OK); /* a directory */
    assert_one_line(&e);
    assert_memory_equal(out, sentinel, sizeof *out);

    /* a file far larger than any model, and an empty one */
    char tmp[256];
    tu_tmpname(tmp, sizeof tmp, "big");
    e.msg[0] = '\0';
    assert_int_equal(nca_model_load(tmp, out, &e), NCA_E_FORMAT);
    assert_one_line(&e);
    assert_non_null(strstr(e.msg, tmp)); /* the path is named */
    assert_int_equal(truncate(tmp, (off_t)(3u << 20)), 0);
    e.msg[0] = '\0';
    assert_int_equal(nca_model_load(tmp, out, &e), NCA_E_FORMAT);
    assert_one_line(&e);
    assert_memory_equal(out, sentinel, sizeof *out);
    unlink(tmp);

    /* loading the real file fills the model completely */
    char path[4096];
    assert_int_equal(nca_model_load(tu_path(path, sizeof path, TU_REGEN_LIZARD), out, &e), NCA_OK);
    assert_int_equal(out->channels, 16);
    free(sentinel);
    free(out);
}

/* The integer model is a fixed point of dequantise -> quantise with its own formats. */
static void test_quantize_inverts_dequantize(void **state)
{
    (void)state;
    nca_model_f *mf = malloc(sizeof *mf);
    nca_model *back = malloc(sizeof *back);
    assert_non_null(mf);
    assert_non_null(back);
    for (int k = 0; k < 4; k++) {
        nca_model *m = tu_load_model(distill_models[k]);
        nca_model_dequantize(m, mf);
        assert_int_equal(mf->channels, 16);
        assert_int_equal(mf->inputs, 48);
        assert_true(fabsf(mf->alive - 204.0f / 2048.0f) < 1e-7f);
        assert_true(mf->fire == 0.5f);
        /* spot check the documented scale: W1 / 2^(s1 + HF - SF) */
        assert_true(mf->w1[5] ==
                    (float)ldexp(m->w1[5], -(int)(m->shift1[0] + m->hid_frac - m->state_frac)));
        nca_qparams q;
        nca_qparams_default(&q);
        q.state_frac = m->state_frac;
        q.hid_frac = m->hid_frac;
        q.boundary = m->boundary;
        q.fire_rate = m->fire_q / 65536.0;
        q.alive_threshold = mf->alive;
        q.name = m->name;
        q.desc = m->desc;
        memset(back, 0, sizeof *back);
        nca_error e = {""};
        if (nca_quantize(mf, &q, back, &e) != NCA_OK)
            fail_msg("%s: %s", distill_models[k], e.msg);
        assert_memory_equal(back, m, sizeof *m);
        free(m);
    }
    free(back);
    free(mf);
}

/* ---- rotation of the perception (nca_rotate.c) --------------------------- */

/* Every rotated layer-1 weight is the exact float rotation of the original within half a step
 * of its row's new scale; layer 2 and the header are untouched. */
static void check_rotation(const nca_model *m, double deg)
{
    nca_model *r = malloc(sizeof *r);
    nca_model_f *f = malloc(sizeof *f), *fr = malloc(sizeof *fr);
    assert_non_null(r);
    assert_non_null(f);
    assert_non_null(fr);
    nca_error e = {""};
    if (nca_model_rotate(m, deg, r, &e) != NCA_OK)
        fail_msg("rotate %g: %s", deg, e.msg);
    assert_int_equal(r->kernels, m->kernels);
    assert_int_equal(r->fire_q, m->fire_q);
    assert_int_equal(r->alive_q, m->alive_q);
    assert_int_equal(r->boundary, m->boundary);
    assert_string_equal(r->name, m->name);
    assert_memory_equal(r->shift2, m->shift2, sizeof m->shift2);
    assert_memory_equal(r->w2, m->w2, sizeof m->w2);
    assert_memory_equal(r->b2, m->b2, sizeof m->b2);
    nca_model_dequantize(m, f);
    nca_model_dequantize(r, fr);
    const double c = cos(deg * M_PI / 180.0), s = sin(deg * M_PI / 180.0);
    const unsigned C = m->channels, I = nca_model_inputs(m);
    for (unsigned j = 0; j < m->hidden; j++) {
        double unit = ldexp(1.0, -(int)(r->shift1[j] + r->hid_frac - r->state_frac));
        for (unsigned ch = 0; ch < C; ch++) {
            const float *w = f->w1 + (size_t)j * I, *wr = fr->w1 + (size_t)j * I;
            double want[3] = {w[ch], c * w[C + ch] + s * w[2 * C + ch],
                              -s * w[C + ch] + c * w[2 * C + ch]};
            for (int k = 0; k < 3; k++)
                if (fabs(wr[k * C + ch] - want[k]) > 0.5 * unit * (1 + 1e-6))
                    fail_msg("rotate %g: unit %u filter %d channel %u: %g, want %g (step %g)",
                             deg, j, k, ch, wr[k * C + ch], want[k], unit);
        }
        assert_true(fabs(fr->b1[j] - f->b1[j]) <= 0.5 * unit * ldexp(1.0, -(int)r->state_frac) *
                                                      (1 + 1e-6) + 1e-12);
    }
    free(r);
    free(f);
    free(fr);
}

static void test_rotate_model(void **state)
{
    (void)state;
    nca_model *m = tu_load_model("weights/regen.bin");
    nca_model *r = malloc(sizeof *r);
    assert_non_null(r);
    nca_error e = {""};
    /* multiples of 360: the model itself, bit for bit */
    static const double full[4] = {0.0, 360.0, -720.0, 3600.0};
    for (int i = 0; i < 4; i++) {
        memset(r, 0x55, sizeof *r);
        assert_int_equal(nca_model_rotate(m, full[i], r, &e), NCA_OK);
        assert_memory_equal(r, m, sizeof *m);
    }
    /* 90: Sobel-y's column becomes Sobel-x's, minus Sobel-x's becomes Sobel-y's, exactly, in
     * every row whose scale did not move (only a -128 can move it) */
    assert_int_equal(nca_model_rotate(m, 90.0, r, &e), NCA_OK);
    unsigned same = 0;
    const unsigned C = m->channels, I = nca_model_inputs(m);
    for (unsigned j = 0; j < m->hidden; j++) {
        if (r->shift1[j] != m->shift1[j])
            continue;
        same++;
        for (unsigned ch = 0; ch < C; ch++) {
            assert_int_equal(r->w1[j * I + ch], m->w1[j * I + ch]);
            assert_int_equal(r->w1[j * I + C + ch], m->w1[j * I + 2 * C + ch]);
            assert_int_equal(r->w1[j * I + 2 * C + ch], -m->w1[j * I + C + ch]);
        }
        assert_int_equal(r->b1[j], m->b1[j]);
    }
    assert_true(same + 8 >= m->hidden);
    static const double angles[6] = {90.0, -90.0, 180.0, 45.0, 30.0, -123.4};
    for (int i = 0; i < 6; i++)
        check_rotation(m, angles[i]);
    nca_model *d = tu_load_model(TU_REGEN_LIZARD);
    check_rotation(d, 45.0);
    /* in place */
    *r = *d;
    assert_int_equal(nca_model_rotate(r, 45.0, r, &e), NCA_OK);
    assert_memory_not_equal(r->w1, d->w1, sizeof d->w1);
    /* a model without the Sobel pair is refused with one line naming it */
    d->kernels = NCA_K_IDENTITY | NCA_K_LAPLACE | NCA_K_SOBEL_X; /* still 3 filters */
    assert_false(nca_model_rotatable(d));
    assert_int_equal(nca_model_rotate(d, 45.0, r, &e), NCA_E_ARG);
    assert_non_null(strstr(e.msg, "Sobel"));
    assert_int_equal(nca_model_rotate(d, 0.0, r, &e), NCA_E_ARG);
    d->kernels = NCA_K_ALL ^ NCA_K_LAPLACE;
    assert_int_equal(nca_model_rotate(d, NAN, r, &e), NCA_E_ARG);
    free(d);
    free(r);
    free(m);
}

static void test_angle_and_target_rotation(void **state)
{
    (void)state;
    assert_true(nca_angle_normalize(360.0) == 0.0);
    assert_true(nca_angle_normalize(-360.0) == 0.0);
    assert_true(nca_angle_normalize(190.0) == -170.0);
    assert_true(nca_angle_normalize(-180.0) == 180.0);
    assert_true(nca_angle_normalize(180.0) == 180.0);
    assert_true(nca_angle_normalize(-15.0) == -15.0);
    assert_true(nca_angle_normalize(735.0) == 15.0);
    /* one cell 3 right of the pivot; counter-clockwise as shown (y down): 90 puts it 3 above */
    nca_target t = {16, 12, calloc(16 * 12 * 4, sizeof(float))};
    assert_non_null(t.rgba);
    const unsigned px = 8, py = 6;
    for (int c = 0; c < 4; c++)
        t.rgba[((py) * 16 + px + 3) * 4 + c] = 1.0f;
    nca_error e = {""};
    assert_int_equal(nca_target_rotate(&t, 360.0, px, py, &e), NCA_OK);
    assert_true(t.rgba[((py) * 16 + px + 3) * 4 + 3] == 1.0f);
    assert_int_equal(nca_target_rotate(&t, 90.0, px, py, &e), NCA_OK);
    double sum = 0;
    for (size_t i = 0; i < 16 * 12 * 4; i++)
        sum += t.rgba[i];
    assert_true(t.rgba[((py - 3) * 16 + px) * 4 + 3] == 1.0f);
    assert_true(fabs(sum - 4.0) < 1e-6);
    /* 45 more: between (px+... ) bilinear, mass kept inside the grid */
    assert_int_equal(nca_target_rotate(&t, 45.0, px, py, &e), NCA_OK);
    sum = 0;
    for (size_t i = 0; i < 16 * 12 * 4; i += 4)
        sum += t.rgba[i + 3];
    assert_true(fabs(sum - 1.0) < 0.35);
    /* the 135-degree point, (-2.12, -2.12) from the pivot, holds the most */
    assert_true(t.rgba[((py - 2) * 16 + px - 2) * 4 + 3] > 0.5f);
    nca_target_free(&t);
}

/* ---- Distill JSON import ------------------------------------------------- */

static char *b64(const uint8_t *p, size_t n)
{
    static const char tab[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    char *s = malloc(4 * ((n + 2) / 3) + 1), *o = s;
    assert_non_null(s);
    for (size_t i = 0; i < n; i += 3) {
        uint32_t v = (uint32_t)p[i] << 16 | (i + 1 < n ? (uint32_t)p[i + 1] << 8 : 0) |
                     (i + 2 < n ? p[i + 2] : 0);
        *o++ = tab[v >> 18];
        *o++ = tab[(v >> 12) & 63];
        *o++ = i + 1 < n ? tab[(v >> 6) & 63] : '=';
        *o++ = i + 2 < n ? tab[v & 63] : '=';
    }
    *o = '\0';
    return s;
}

/* The two layers' raw bytes: (in + 1) x out, last row the bias. */
static void layer_bytes(uint8_t *raw, size_t n, unsigned salt)
{
    for (size_t i = 0; i < n; i++)
        raw[i] = (uint8_t)((i * 37u + salt * 11u + (i >> 7)) & 0xFF);
}

/* A webgl_models8 JSON; in0/out0/in1/out1 and data lengths as given. */
static char *distill_json(unsigned in0, unsigned out0, size_t n0, unsigned in1, unsigned out1,
                          size_t n1)
{
    uint8_t *r0 = malloc(n0 + 1), *r1 = malloc(n1 + 1);
    assert_non_null(r0);
    assert_non_null(r1);
    layer_bytes(r0, n0, 1);
    layer_bytes(r1, n1, 2);
    char *d0 = b64(r0, n0), *d1 = b64(r1, n1);
    size_t cap = strlen(d0) + strlen(d1) + 512;
    char *j = malloc(cap);
    assert_non_null(j);
    snprintf(j, cap,
             "[{\"in_ch\": %u, \"out_ch\": %u, \"weight_scale\": 0.5, \"bias_scale\": 0.25, "
             "\"data_b64\": \"%s\"},\n {\"in_ch\": %u, \"out_ch\": %u, \"weight_scale\": 0.125, "
             "\"bias_scale\": 0.0625, \"data_b64\": \"%s\"}]\n",
             in0, out0, d0, in1, out1, d1);
    free(d0);
    free(d1);
    free(r0);
    free(r1);
    return j;
}

static void test_distill_parse(void **state)
{
    (void)state;
    const size_t n0 = 49 * 128, n1 = 129 * 16;
    char *json = distill_json(48, 128, n0, 128, 16, n1);
    nca_model_f *mf = malloc(sizeof *mf);
    assert_non_null(mf);
    nca_error e = {""};
    if (nca_distill_parse(json, strlen(json), mf, &e) != NCA_OK)
        fail_msg("synthetic Distill JSON: %s", e.msg);
    assert_int_equal(mf->channels, 16);
    assert_int_equal(mf->hidden, 128);
    assert_int_equal(mf->inputs, 48);
    assert_int_equal(mf->kernels, NCA_K_IDENTITY | NCA_K_SOBEL_X | NCA_K_SOBEL_Y);
    /* JSON rows are inputs ([in][out]); ours are outputs: w1[out * 48 + in] */
    uint8_t *r0 = malloc(n0), *r1 = malloc(n1);
    assert_non_null(r0);
    assert_non_null(r1);
    layer_bytes(r0, n0, 1);
    layer_bytes(r1, n1, 2);
    const unsigned probes[4][2] = {{0, 0}, {47, 0}, {0, 127}, {13, 77}};
    for (int k = 0; k < 4; k++) {
        unsigned in = probes[k][0], o = probes[k][1];
        float want = (float)((r0[in * 128 + o] / 255.0 - 0.5) * 0.5);
        assert_true(fabsf(mf->w1[o * 48 + in] - want) < 1e-6f);
    }
    assert_true(fabsf(mf->b1[9] - (float)((r0[48 * 128 + 9] / 255.0 - 0.5) * 0.25)) < 1e-6f);
    assert_true(fabsf(mf->w2[3 * 128 + 100] - (float)((r1[100 * 16 + 3] / 255.0 - 0.5) * 0.125)) <
                1e-6f);
    assert_true(fabsf(mf->b2[15] - (float)((r1[128 * 16 + 15] / 255.0 - 0.5) * 0.0625)) < 1e-6f);
    free(r0);
    free(r1);

    /* and it quantises into a legal Distill-shaped model */
    nca_qparams q;
    nca_qparams_default(&q);
    q.name = "synthetic";
    nca_model *m = malloc(sizeof *m);
    assert_non_null(m);
    if (nca_quantize(mf, &q, m, &e) != NCA_OK)
        fail_msg("quantize: %s", e.msg);
    assert_int_equal(nca_model_file_size(m), TU_DISTILL_SIZE);
    assert_int_equal(nca_model_validate(m, &e), NCA_OK);
    assert_int_equal(m->fire_q, 32768);
    assert_int_equal(m->alive_q, 204);
    assert_string_equal(m->name, "synthetic");
    free(m);
    free(mf);
    free(json);
}

static void test_distill_parse_rejects(void **state)
{
    (void)state;
    const size_t n0 = 49 * 128, n1 = 129 * 16;
    nca_model_f *mf = malloc(sizeof *mf), *sentinel = malloc(sizeof *sentinel);
    assert_non_null(mf);
    assert_non_null(sentinel);
    memset(sentinel, 0x6B, sizeof *sentinel);
    memcpy(mf, sentinel, sizeof *mf);
    int n = 0;
    for (int i = 0;; i++) {
        char *j = NULL;
        size_t len = 0;
        switch (i) {
        case 0: j = distill_json(48, 128, n0, 128, 16, n1); len = strlen(j) / 2; break; /* cut */
        case 1: j = distill_json(47, 128, n0, 128, 16, n1); break;  /* layer size */
        case 2: j = distill_json(48, 128, n0, 128, 12, n1); break;
        case 3: j = distill_json(48, 128, n0 - 3, 128, 16, n1); break; /* short data */
        case 4: j = distill_json(48, 128, n0, 128, 16, n1 + 3); break; /* long data */
        case 5: j = strdup("{\"layers\": []}"); break;
        case 6: j = strdup("[1, 2]"); break;
        case 7: j = strdup("[]"); break;
        case 8: j = strdup("not json at all"); break;
        case 9: j = strdup(""); break;
        case 10:
            j = distill_json(48, 128, n0, 128, 16, n1);
            *strstr(j, "data_b64\": \"") = 'D'; /* key renamed: field missing */
            break;
        case 11:
            j = distill_json(48, 128, n0, 128, 16, n1);
            strstr(j, "data_b64\": \"")[20] = '!'; /* not base64 */
            break;
        case 12: {
            char *a = distill_json(48, 128, n0, 128, 16, n1);
            size_t cap = strlen(a) * 2 + 4;
            j = malloc(cap);
            assert_non_null(j);
            a[strlen(a) - 2] = '\0'; /* drop "]\n" and add a third layer */
            snprintf(j, cap, "%s, %s", a, strchr(a, '{'));
            strcat(j, "]");
            free(a);
            break;
        }
        case 13: {
            char *a = distill_json(48, 128, n0, 128, 16, n1);
            char *p = strstr(a, "\"in_ch\": 48");
            memcpy(p, "\"in_ch\": \"x\"", 12); /* overwrites "48," with a string */
            j = a;
            break;
        }
        case 14: case 15: case 16: {
            /* dimensions that are not the integer 48: fractional, negative, huge */
            static const char *bad[3] = {"48.5", "-1", "1e30"};
            char *a = distill_json(48, 128, n0, 128, 16, n1);
            const char *p = strstr(a, "\"in_ch\": 48") + 9;
            size_t cap = strlen(a) + 16;
            j = malloc(cap);
            assert_non_null(j);
            snprintf(j, cap, "%.*s%s%s", (int)(p - a), a, bad[i - 14], p + 2);
            free(a);
            break;
        }
        default: break;
        }
        if (!j)
            break;
        if (!len)
            len = strlen(j);
        nca_error e;
        memset(e.msg, 0, sizeof e.msg);
        nca_status st = nca_distill_parse(j, len, mf, &e);
        if (st == NCA_OK)
            fail_msg("bad Distill JSON case %d accepted", i);
        if (!tu_one_line(&e))
            fail_msg("case %d: message '%s' is not one line", i, e.msg);
        assert_memory_equal(mf, sentinel, sizeof *mf);
        free(j);
        n++;
    }
    assert_int_equal(n, 17);
    free(sentinel);
    free(mf);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_distill_models_shape_and_size),
        cmocka_unit_test(test_serialize_round_trip),
        cmocka_unit_test(test_validate_rejects_each_field),
        cmocka_unit_test(test_validate_accepts_limits),
        cmocka_unit_test(test_flags_version),
        cmocka_unit_test(test_parse_corruption_sweep),
        cmocka_unit_test(test_parse_rejects_fields_with_valid_crc),
        cmocka_unit_test(test_load_errors),
        cmocka_unit_test(test_quantize_inverts_dequantize),
        cmocka_unit_test(test_rotate_model),
        cmocka_unit_test(test_angle_and_target_rotation),
        cmocka_unit_test(test_distill_parse),
        cmocka_unit_test(test_distill_parse_rejects),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

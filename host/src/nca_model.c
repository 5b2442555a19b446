/* SPDX-License-Identifier: Apache-2.0 */
/* nca_model.c - the .bin model format (docs/model-format.md): parse, validate, write. */
#include "nca_bytes.h"
#include "nca.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#define MODEL_MAGIC "NCAM"
#define MODEL_VERSION 2u    /* the newest this build reads; 2 adds the flags byte */
#define HEADER_SIZE 188u
#define MAX_FILE (1u << 20) /* far above the largest legal model */

unsigned nca_model_filters(const nca_model *m)
{
    unsigned n = 0;
    for (unsigned b = 0; b < NCA_MAX_FILTERS; b++)
        n += (m->kernels >> b) & 1u;
    return n;
}

unsigned nca_model_inputs(const nca_model *m)
{
    return nca_model_filters(m) * m->channels;
}

static size_t body_size(unsigned C, unsigned H, unsigned I)
{
    return (size_t)H + C + (size_t)H * I + 4u * H + (size_t)C * H + 4u * C;
}

size_t nca_model_file_size(const nca_model *m)
{
    return HEADER_SIZE + body_size(m->channels, m->hidden, nca_model_inputs(m)) + 4u;
}

static int text_ok(const char *s, size_t cap)
{
    size_t n = strnlen(s, cap + 1);
    if (n > cap)
        return 0;
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] == 0x7f)
            return 0;
    return 1;
}

nca_status nca_model_validate(const nca_model *m, nca_error *err)
{
    if (m->channels < 4 || m->channels > NCA_MAX_CHANNELS)
        return nca_fail(err, NCA_E_RANGE, "channels %u out of range 4..%u", m->channels,
                        NCA_MAX_CHANNELS);
    if (m->hidden < 1 || m->hidden > NCA_MAX_HIDDEN)
        return nca_fail(err, NCA_E_RANGE, "hidden size %u out of range 1..%u", m->hidden,
                        NCA_MAX_HIDDEN);
    if ((m->kernels & ~NCA_K_ALL) || !(m->kernels & NCA_K_IDENTITY))
        return nca_fail(err, NCA_E_RANGE,
                        "kernel set 0x%02x invalid (bits 0..3 only, identity required)",
                        m->kernels);
    if (m->boundary > NCA_BOUNDARY_WRAP)
        return nca_fail(err, NCA_E_RANGE, "boundary mode %u unknown (0 zero, 1 wrap)",
                        m->boundary);
    if (m->fire_q > NCA_FIRE_ALWAYS)
        return nca_fail(err, NCA_E_RANGE, "fire threshold %u above 65536", m->fire_q);
    if (m->state_frac < 4 || m->state_frac > 14)
        return nca_fail(err, NCA_E_RANGE, "state fraction bits %u out of range 4..14",
                        m->state_frac);
    if (m->hid_frac > 15)
        return nca_fail(err, NCA_E_RANGE, "hidden fraction bits %u out of range 0..15",
                        m->hid_frac);
    if (m->alive_q < 0)
        return nca_fail(err, NCA_E_RANGE, "alive threshold %d negative", m->alive_q);
    if (m->flags & ~NCA_FLAGS_ALL)
        return nca_fail(err, NCA_E_RANGE, "model flags 0x%02x unknown (bit 0 only)", m->flags);
    for (unsigned j = 0; j < m->hidden; j++) {
        if (m->shift1[j] > 24)
            return nca_fail(err, NCA_E_RANGE, "layer-1 shift %u of unit %u out of range 0..24",
                            m->shift1[j], j);
        if (m->b1[j] <= -NCA_BIAS_LIMIT || m->b1[j] >= NCA_BIAS_LIMIT)
            return nca_fail(err, NCA_E_RANGE, "layer-1 bias %d of unit %u outside +-2^24",
                            m->b1[j], j);
    }
    for (unsigned k = 0; k < m->channels; k++) {
        if (m->shift2[k] > 24)
            return nca_fail(err, NCA_E_RANGE,
                            "layer-2 shift %u of channel %u out of range 0..24", m->shift2[k], k);
        if (m->b2[k] <= -NCA_BIAS_LIMIT || m->b2[k] >= NCA_BIAS_LIMIT)
            return nca_fail(err, NCA_E_RANGE, "layer-2 bias %d of channel %u outside +-2^24",
                            m->b2[k], k);
    }
    if (!text_ok(m->name, NCA_NAME_LEN) || !text_ok(m->desc, NCA_DESC_LEN))
        return nca_fail(err, NCA_E_FORMAT, "name or description not printable text");
    return NCA_OK;
}

/* a text field: bytes up to the first NUL, then only NULs */
static int padded_ok(const uint8_t *p, size_t n)
{
    size_t i = 0;
    while (i < n && p[i])
        i++;
    for (; i < n; i++)
        if (p[i])
            return 0;
    return 1;
}

static uint32_t crc32_of(const uint8_t *p, size_t n)
{
    return (uint32_t)crc32(crc32(0L, Z_NULL, 0), p, (uInt)n);
}

nca_status nca_model_parse(const uint8_t *buf, size_t len, nca_model *out, nca_error *err)
{
    if (len < 12)
        return nca_fail(err, NCA_E_FORMAT, "truncated: %zu bytes, not even a header", len);
    if (memcmp(buf, MODEL_MAGIC, 4) != 0)
        return nca_fail(err, NCA_E_FORMAT, "bad magic (not an nca-fpga model file)");
    unsigned ver = nca_rd16(buf + 4), hsz = nca_rd16(buf + 6);
    uint32_t total = nca_rd32(buf + 8);
    if (ver < 1 || ver > MODEL_VERSION)
        return nca_fail(err, NCA_E_FORMAT, "unsupported format version %u (this build reads 1..%u)",
                        ver, MODEL_VERSION);
    if (hsz != HEADER_SIZE)
        return nca_fail(err, NCA_E_FORMAT, "header size %u, version %u has %u", hsz, ver, HEADER_SIZE);
    if (total > MAX_FILE)
        return nca_fail(err, NCA_E_FORMAT, "absurd file size field %u", (unsigned)total);
    if (len < total)
        return nca_fail(err, NCA_E_FORMAT, "truncated: %zu of %u bytes", len, (unsigned)total);
    if (len > total)
        return nca_fail(err, NCA_E_FORMAT, "%zu trailing bytes after the %u-byte model",
                        len - total, (unsigned)total);
    if (total < HEADER_SIZE + 4)
        return nca_fail(err, NCA_E_FORMAT, "file size field %u smaller than the header",
                        (unsigned)total);
    uint32_t want = nca_rd32(buf + total - 4), got = crc32_of(buf, total - 4);
    if (want != got)
        return nca_fail(err, NCA_E_FORMAT, "CRC mismatch (stored 0x%08x, computed 0x%08x)", want,
                        got);

    nca_model *m = calloc(1, sizeof *m); /* parse into scratch: all or nothing */
    if (!m)
        return nca_fail(err, NCA_E_NOMEM, "out of memory");
    m->channels = buf[12];
    m->hidden = buf[13];
    m->kernels = buf[14];
    m->boundary = buf[15];
    m->fire_q = nca_rd32(buf + 16);
    m->state_frac = buf[20];
    m->hid_frac = buf[21];
    m->alive_q = (int16_t)nca_rd16(buf + 24);
    m->flags = ver >= 2 ? buf[22] : 0;
    memcpy(m->name, buf + 28, NCA_NAME_LEN);
    memcpy(m->desc, buf + 60, NCA_DESC_LEN);
    nca_status st = NCA_OK;
    if ((ver < 2 && buf[22] != 0) || buf[23] != 0 || nca_rd16(buf + 26) != 0)
        st = nca_fail(err, NCA_E_FORMAT, "reserved header bytes not zero");
    else if (!padded_ok(buf + 28, NCA_NAME_LEN) || !padded_ok(buf + 60, NCA_DESC_LEN))
        st = nca_fail(err, NCA_E_FORMAT, "name or description not NUL-padded text");
    /* dimensions first: they decide the body layout */
    else if (m->channels < 4 || m->channels > NCA_MAX_CHANNELS || m->hidden < 1 ||
             m->hidden > NCA_MAX_HIDDEN || (m->kernels & ~NCA_K_ALL))
        st = nca_model_validate(m, err);
    else {
        unsigned C = m->channels, H = m->hidden, I = nca_model_inputs(m);
        size_t need = HEADER_SIZE + body_size(C, H, I) + 4u;
        if (need != total) {
            st = nca_fail(err, NCA_E_FORMAT,
                          "size %u does not match dimensions %ux%u (expected %zu bytes)",
                          (unsigned)total, C, H, need);
        } else {
            const uint8_t *p = buf + HEADER_SIZE;
            memcpy(m->shift1, p, H); p += H;
            memcpy(m->shift2, p, C); p += C;
            memcpy(m->w1, p, (size_t)H * I); p += (size_t)H * I;
            for (unsigned j = 0; j < H; j++, p += 4)
                m->b1[j] = (int32_t)nca_rd32(p);
            memcpy(m->w2, p, (size_t)C * H); p += (size_t)C * H;
            for (unsigned k = 0; k < C; k++, p += 4)
                m->b2[k] = (int32_t)nca_rd32(p);
            st = nca_model_validate(m, err);
        }
    }
    if (st == NCA_OK)
        memcpy(out, m, sizeof *m);
    free(m);
    return st;
}

nca_status nca_model_serialize(const nca_model *m, uint8_t *buf, size_t cap, size_t *len,
                               nca_error *err)
{
    nca_status st = nca_model_validate(m, err);
    if (st != NCA_OK)
        return st;
    unsigned C = m->channels, H = m->hidden, I = nca_model_inputs(m);
    size_t total = nca_model_file_size(m);
    if (cap < total)
        return nca_fail(err, NCA_E_ARG, "buffer of %zu bytes too small for %zu", cap, total);
    memset(buf, 0, total);
    memcpy(buf, MODEL_MAGIC, 4);
    nca_wr16(buf + 4, m->flags ? 2u : 1u); /* the oldest version that holds the model */
    nca_wr16(buf + 6, HEADER_SIZE);
    nca_wr32(buf + 8, (uint32_t)total);
    buf[12] = m->channels;
    buf[13] = m->hidden;
    buf[14] = m->kernels;
    buf[15] = m->boundary;
    nca_wr32(buf + 16, m->fire_q);
    buf[20] = m->state_frac;
    buf[21] = m->hid_frac;
    buf[22] = m->flags;
    nca_wr16(buf + 24, (uint16_t)m->alive_q);
    memcpy(buf + 28, m->name, strnlen(m->name, NCA_NAME_LEN));
    memcpy(buf + 60, m->desc, strnlen(m->desc, NCA_DESC_LEN));
    uint8_t *p = buf + HEADER_SIZE;
    memcpy(p, m->shift1, H); p += H;
    memcpy(p, m->shift2, C); p += C;
    memcpy(p, m->w1, (size_t)H * I); p += (size_t)H * I;
    for (unsigned j = 0; j < H; j++, p += 4)
        nca_wr32(p, (uint32_t)m->b1[j]);
    memcpy(p, m->w2, (size_t)C * H); p += (size_t)C * H;
    for (unsigned k = 0; k < C; k++, p += 4)
        nca_wr32(p, (uint32_t)m->b2[k]);
    nca_wr32(p, crc32_of(buf, total - 4));
    *len = total;
    return NCA_OK;
}

nca_status nca_model_load(const char *path, nca_model *out, nca_error *err)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return nca_fail(err, NCA_E_IO, "%s: %s", path, strerror(errno));
    uint8_t *buf = malloc(MAX_FILE + 1);
    if (!buf) {
        fclose(f);
        return nca_fail(err, NCA_E_NOMEM, "out of memory");
    }
    size_t n = fread(buf, 1, MAX_FILE + 1, f);
    int bad = ferror(f);
    fclose(f);
    nca_status st;
    if (bad)
        st = nca_fail(err, NCA_E_IO, "%s: read error", path);
    else if (n > MAX_FILE)
        st = nca_fail(err, NCA_E_FORMAT, "%s: over %u bytes, not a model", path, MAX_FILE);
    else {
        nca_error e;
        st = nca_model_parse(buf, n, out, &e);
        if (st != NCA_OK)
            nca_fail(err, st, "%s: %s", path, e.msg);
    }
    free(buf);
    return st;
}

nca_status nca_model_save(const char *path, const nca_model *m, nca_error *err)
{
    size_t cap = nca_model_file_size(m), len = 0;
    uint8_t *buf = malloc(cap);
    if (!buf)
        return nca_fail(err, NCA_E_NOMEM, "out of memory");
    nca_status st = nca_model_serialize(m, buf, cap, &len, err);
    if (st == NCA_OK)
        st = nca_write_file(path, buf, len, err);
    free(buf);
    return st;
}

void nca_model_dequantize(const nca_model *m, nca_model_f *o)
{
    const unsigned C = m->channels, H = m->hidden, I = nca_model_inputs(m);
    memset(o, 0, sizeof *o);
    o->channels = C;
    o->hidden = H;
    o->inputs = I;
    o->kernels = m->kernels;
    /* acc1 is in units of 2^-(SF + WF1_j) with shift1_j = SF + WF1_j - HF */
    for (unsigned j = 0; j < H; j++) {
        double acc_unit = ldexp(1.0, -(int)(m->shift1[j] + m->hid_frac));
        double w_unit = acc_unit * ldexp(1.0, (int)m->state_frac);
        for (unsigned i = 0; i < I; i++)
            o->w1[j * I + i] = (float)(m->w1[j * I + i] * w_unit);
        o->b1[j] = (float)(m->b1[j] * acc_unit);
    }
    /* acc2 is in units of 2^-(SF + shift2_k) */
    for (unsigned k = 0; k < C; k++) {
        double acc_unit = ldexp(1.0, -(int)(m->shift2[k] + m->state_frac));
        double w_unit = acc_unit * ldexp(1.0, (int)m->hid_frac);
        for (unsigned j = 0; j < H; j++)
            o->w2[k * H + j] = (float)(m->w2[k * H + j] * w_unit);
        o->b2[k] = (float)(m->b2[k] * acc_unit);
    }
    o->alive = (float)ldexp((double)m->alive_q, -(int)m->state_frac);
    o->all_active = (m->flags & NCA_FLAG_ALL_ACTIVE) != 0;
    o->fire = (float)m->fire_q / 65536.0f;
}

/* SPDX-License-Identifier: Apache-2.0 */
/* nca_distill.c - import of the Distill demo's 8-bit JSON models (webgl_models8). */
#include "nca.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int b64val(int c)
{
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+' || c == '-') return 62;
    if (c == '/' || c == '_') return 63;
    return -1;
}

/* Decodes base64 into out (cap bytes); returns the byte count or -1. */
static long b64decode(const char *s, uint8_t *out, size_t cap)
{
    size_t n = 0;
    uint32_t acc = 0;
    int bits = 0;
    for (; *s && *s != '='; s++) {
        int v = b64val((unsigned char)*s);
        if (v < 0)
            return -1;
        acc = (acc << 6) | (uint32_t)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            if (n >= cap)
                return -1;
            out[n++] = (uint8_t)(acc >> bits);
        }
    }
    return (long)n;
}

/* One layer: (in+1) x out bytes, row-major, last row the bias; w = (b/255-0.5)*scale. */
static nca_status layer(const cJSON *l, unsigned want_in, unsigned want_out, float *w, float *b,
                        unsigned idx, nca_error *err)
{
    const cJSON *in = cJSON_GetObjectItemCaseSensitive(l, "in_ch");
    const cJSON *outc = cJSON_GetObjectItemCaseSensitive(l, "out_ch");
    const cJSON *ws = cJSON_GetObjectItemCaseSensitive(l, "weight_scale");
    const cJSON *bs = cJSON_GetObjectItemCaseSensitive(l, "bias_scale");
    const cJSON *data = cJSON_GetObjectItemCaseSensitive(l, "data_b64");
    if (!cJSON_IsNumber(in) || !cJSON_IsNumber(outc) || !cJSON_IsNumber(ws) ||
        !cJSON_IsNumber(bs) || !cJSON_IsString(data))
        return nca_fail(err, NCA_E_FORMAT, "layer %u lacks in_ch/out_ch/scales/data_b64", idx);
    /* a real model's scales are ~1; a huge one would overflow the float weights */
    if (!(fabs(ws->valuedouble) <= 1e6) || !(fabs(bs->valuedouble) <= 1e6))
        return nca_fail(err, NCA_E_FORMAT, "layer %u: scale %g / %g outside +-1e6", idx,
                        ws->valuedouble, bs->valuedouble);
    if (in->valuedouble != (double)want_in || outc->valuedouble != (double)want_out)
        return nca_fail(err, NCA_E_FORMAT, "layer %u is %gx%g, expected %ux%u", idx,
                        in->valuedouble, outc->valuedouble, want_in, want_out);
    size_t need = (size_t)(want_in + 1) * want_out;
    uint8_t *raw = malloc(need + 4);
    if (!raw)
        return nca_fail(err, NCA_E_NOMEM, "out of memory");
    long got = b64decode(data->valuestring, raw, need + 4);
    if (got != (long)need) {
        free(raw);
        return nca_fail(err, NCA_E_FORMAT, "layer %u: data_b64 holds %ld bytes, expected %zu",
                        idx, got, need);
    }
    for (unsigned r = 0; r < want_in; r++)
        for (unsigned c = 0; c < want_out; c++) /* ours: [out][in] */
            w[(size_t)c * want_in + r] =
                (float)((raw[(size_t)r * want_out + c] / 255.0 - 0.5) * ws->valuedouble);
    for (unsigned c = 0; c < want_out; c++)
        b[c] = (float)((raw[(size_t)want_in * want_out + c] / 255.0 - 0.5) * bs->valuedouble);
    free(raw);
    return NCA_OK;
}

nca_status nca_distill_parse(const char *json, size_t len, nca_model_f *out, nca_error *err)
{
    cJSON *root = cJSON_ParseWithLength(json, len);
    if (!root)
        return nca_fail(err, NCA_E_FORMAT, "not valid JSON");
    nca_model_f *m = calloc(1, sizeof *m);
    nca_status st = NCA_OK;
    if (!m)
        st = nca_fail(err, NCA_E_NOMEM, "out of memory");
    else if (!cJSON_IsArray(root) || cJSON_GetArraySize(root) != 2)
        st = nca_fail(err, NCA_E_FORMAT, "expected a JSON list of two layers");
    else {
        m->channels = 16;
        m->hidden = 128;
        m->kernels = NCA_K_IDENTITY | NCA_K_SOBEL_X | NCA_K_SOBEL_Y;
        m->inputs = 48; /* filter-major rows: f * 16 + channel, as ours */
        m->alive = 0.1f;
        m->fire = 0.5f;
        st = layer(cJSON_GetArrayItem(root, 0), 48, 128, m->w1, m->b1, 0, err);
        if (st == NCA_OK)
            st = layer(cJSON_GetArrayItem(root, 1), 128, 16, m->w2, m->b2, 1, err);
    }
    if (st == NCA_OK)
        *out = *m;
    free(m);
    cJSON_Delete(root);
    return st;
}

/* SPDX-License-Identifier: Apache-2.0 */
/* nca_grid.c - grid allocation, seeding, damage, state files, frames and MSE. */
#include "nca_bytes.h"
#include "nca.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

nca_status nca_grid_init(nca_grid *g, const nca_model *m, unsigned width, unsigned height,
                         uint32_t seed, int with_float, nca_error *err)
{
    memset(g, 0, sizeof *g);
    if (width < 3 || height < 3 || width > NCA_MAX_GRID || height > NCA_MAX_GRID)
        return nca_fail(err, NCA_E_ARG, "grid %ux%u out of range 3..%u per side", width, height,
                        NCA_MAX_GRID);
    size_t n = (size_t)width * height * m->channels;
    g->width = width;
    g->height = height;
    g->channels = m->channels;
    g->state_frac = m->state_frac;
    g->boundary = m->boundary;
    g->seed = seed;
    g->s = calloc(n, sizeof *g->s);
    g->f = with_float ? calloc(n, sizeof *g->f) : NULL;
    if (!g->s || (with_float && !g->f)) {
        nca_grid_free(g);
        return nca_fail(err, NCA_E_NOMEM, "out of memory for a %ux%u grid", width, height);
    }
    return NCA_OK;
}

void nca_grid_free(nca_grid *g)
{
    free(g->s);
    free(g->f);
    g->s = NULL;
    g->f = NULL;
}

static size_t grid_words(const nca_grid *g)
{
    return (size_t)g->width * g->height * g->channels;
}

void nca_grid_clear(nca_grid *g)
{
    memset(g->s, 0, grid_words(g) * sizeof *g->s);
    if (g->f)
        memset(g->f, 0, grid_words(g) * sizeof *g->f);
}

nca_status nca_grid_seed(nca_grid *g, unsigned x, unsigned y, nca_error *err)
{
    if (x >= g->width || y >= g->height)
        return nca_fail(err, NCA_E_ARG, "seed (%u,%u) outside the %ux%u grid", x, y, g->width,
                        g->height);
    size_t i = ((size_t)y * g->width + x) * g->channels;
    int16_t one = (int16_t)(1 << g->state_frac);
    for (unsigned c = 0; c < g->channels; c++) {
        g->s[i + c] = c >= 3 ? one : 0;
        if (g->f)
            g->f[i + c] = c >= 3 ? 1.0f : 0.0f;
    }
    return NCA_OK;
}

int nca_damage_hits(const nca_damage *d, unsigned w, unsigned h, unsigned x, unsigned y)
{
    long X = (long)x, Y = (long)y;
    switch (d->kind) {
    case NCA_DMG_CIRCLE: {
        long dx = X - d->a, dy = Y - d->b;
        return dx * dx + dy * dy <= (long)d->c * d->c;
    }
    case NCA_DMG_HALF:
        switch (d->a) {
        case NCA_HALF_LEFT: return x < w / 2;
        case NCA_HALF_RIGHT: return x >= w / 2;
        case NCA_HALF_TOP: return y < h / 2;
        default: return y >= h / 2;
        }
    case NCA_DMG_SQUARE: {
        long x0 = d->a - d->c / 2, y0 = d->b - d->c / 2;
        return X >= x0 && X < x0 + d->c && Y >= y0 && Y < y0 + d->c;
    }
    }
    return 0;
}

void nca_grid_damage(nca_grid *g, const nca_damage *d)
{
    for (unsigned y = 0; y < g->height; y++)
        for (unsigned x = 0; x < g->width; x++)
            if (nca_damage_hits(d, g->width, g->height, x, y)) {
                size_t i = ((size_t)y * g->width + x) * g->channels;
                memset(g->s + i, 0, g->channels * sizeof *g->s);
                if (g->f)
                    memset(g->f + i, 0, g->channels * sizeof *g->f);
            }
}

static int parse_ints(const char *s, int *v, int n)
{
    for (int i = 0; i < n; i++) {
        char *end;
        errno = 0;
        long x = strtol(s, &end, 10);
        if (end == s || errno || x < -100000 || x > 100000)
            return 0;
        v[i] = (int)x;
        s = end;
        if (i + 1 < n) {
            if (*s != ',')
                return 0;
            s++;
        }
    }
    return *s == '\0';
}

nca_status nca_damage_parse(const char *spec, nca_damage *out, nca_error *err)
{
    int v[3];
    if (strncmp(spec, "circle:", 7) == 0 && parse_ints(spec + 7, v, 3) && v[2] >= 0) {
        *out = (nca_damage){NCA_DMG_CIRCLE, v[0], v[1], v[2]};
        return NCA_OK;
    }
    if (strncmp(spec, "square:", 7) == 0 && parse_ints(spec + 7, v, 3) && v[2] >= 0) {
        *out = (nca_damage){NCA_DMG_SQUARE, v[0], v[1], v[2]};
        return NCA_OK;
    }
    if (strncmp(spec, "half:", 5) == 0) {
        static const char *sides[4] = {"left", "right", "top", "bottom"};
        for (int i = 0; i < 4; i++)
            if (strcmp(spec + 5, sides[i]) == 0) {
                *out = (nca_damage){NCA_DMG_HALF, i, 0, 0};
                return NCA_OK;
            }
    }
    return nca_fail(err, NCA_E_ARG,
                    "bad damage '%s' (circle:X,Y,R | half:left|right|top|bottom | square:X,Y,SIDE)",
                    spec);
}

/* ---- state file ---------------------------------------------------------- */
#define STATE_MAGIC "NCAS"
#define STATE_VERSION 1u
#define STATE_HEADER 24u

nca_status nca_state_save(const char *path, const nca_grid *g, nca_error *err)
{
    size_t words = grid_words(g), len = STATE_HEADER + 2 * words + 4;
    uint8_t *buf = calloc(1, len);
    if (!buf)
        return nca_fail(err, NCA_E_NOMEM, "out of memory");
    memcpy(buf, STATE_MAGIC, 4);
    nca_wr16(buf + 4, STATE_VERSION);
    nca_wr16(buf + 6, (uint16_t)g->width);
    nca_wr16(buf + 8, (uint16_t)g->height);
    buf[10] = (uint8_t)g->channels;
    buf[11] = g->state_frac;
    nca_wr32(buf + 12, g->step);
    nca_wr32(buf + 16, g->seed);
    buf[20] = g->boundary;
    for (size_t i = 0; i < words; i++)
        nca_wr16(buf + STATE_HEADER + 2 * i, (uint16_t)g->s[i]);
    nca_wr32(buf + len - 4, (uint32_t)crc32(crc32(0L, Z_NULL, 0), buf, (uInt)(len - 4)));
    nca_status st = nca_write_file(path, buf, len, err);
    free(buf);
    return st;
}

nca_status nca_state_parse(const uint8_t *buf, size_t n, const char *name, nca_grid *g,
                           nca_error *err)
{
    size_t words = grid_words(g), len = STATE_HEADER + 2 * words + 4;
    if (n < 4 || memcmp(buf, STATE_MAGIC, 4) != 0)
        return nca_fail(err, NCA_E_FORMAT, "%s: not an nca state file", name);
    if (n < STATE_HEADER)
        return nca_fail(err, NCA_E_FORMAT, "%s: truncated header", name);
    if (nca_rd16(buf + 4) != STATE_VERSION)
        return nca_fail(err, NCA_E_FORMAT, "%s: unsupported state version %u", name,
                        nca_rd16(buf + 4));
    if (nca_rd16(buf + 6) != g->width || nca_rd16(buf + 8) != g->height ||
        buf[10] != g->channels || buf[11] != g->state_frac)
        return nca_fail(err, NCA_E_FORMAT, "%s: state is %ux%ux%u Q%u, grid is %ux%ux%u Q%u",
                        name, nca_rd16(buf + 6), nca_rd16(buf + 8), buf[10], buf[11], g->width,
                        g->height, g->channels, g->state_frac);
    if (n != len)
        return nca_fail(err, NCA_E_FORMAT, "%s: %zu bytes, expected %zu", name, n, len);
    if (nca_rd32(buf + len - 4) != (uint32_t)crc32(crc32(0L, Z_NULL, 0), buf, (uInt)(len - 4)))
        return nca_fail(err, NCA_E_FORMAT, "%s: CRC mismatch", name);
    if (buf[20] > NCA_BOUNDARY_WRAP || buf[21] || buf[22] || buf[23])
        return nca_fail(err, NCA_E_FORMAT, "%s: bad boundary or reserved bytes", name);
    g->step = nca_rd32(buf + 12);
    g->seed = nca_rd32(buf + 16);
    g->boundary = buf[20];
    for (size_t i = 0; i < words; i++)
        g->s[i] = (int16_t)nca_rd16(buf + STATE_HEADER + 2 * i);
    if (g->f)
        nca_grid_s_to_f(g);
    return NCA_OK;
}

nca_status nca_state_load(const char *path, nca_grid *g, nca_error *err)
{
    size_t len = STATE_HEADER + 2 * grid_words(g) + 4;
    FILE *f = fopen(path, "rb");
    if (!f)
        return nca_fail(err, NCA_E_IO, "%s: %s", path, strerror(errno));
    uint8_t *buf = malloc(len + 1);
    if (!buf) {
        fclose(f);
        return nca_fail(err, NCA_E_NOMEM, "out of memory");
    }
    size_t n = fread(buf, 1, len + 1, f); /* one more than a good file: a longer one fails */
    fclose(f);
    nca_status st = nca_state_parse(buf, n, path, g, err);
    free(buf);
    return st;
}

void nca_grid_f_to_s(nca_grid *g)
{
    double scale = ldexp(1.0, g->state_frac);
    for (size_t i = 0; i < grid_words(g); i++)
        g->s[i] = nca_sat16((int64_t)llround(g->f[i] * scale));
}

void nca_grid_s_to_f(nca_grid *g)
{
    double unit = ldexp(1.0, -(int)g->state_frac);
    for (size_t i = 0; i < grid_words(g); i++)
        g->f[i] = (float)(g->s[i] * unit);
}

/* ---- frames and measurement ---------------------------------------------- */
void nca_frame_rgba(const nca_grid *g, int use_float, uint8_t *rgba)
{
    const size_t n = (size_t)g->width * g->height;
    const int32_t one = 1 << g->state_frac;
    for (size_t i = 0; i < n; i++)
        for (unsigned c = 0; c < 4; c++) {
            if (use_float) {
                float v = g->f[i * g->channels + c];
                v = v < 0.0f ? 0.0f : v > 1.0f ? 1.0f : v;
                rgba[i * 4 + c] = (uint8_t)lrintf(v * 255.0f);
            } else {
                int32_t v = g->s[i * g->channels + c];
                v = v < 0 ? 0 : v > one ? one : v;
                /* round(v / 2^SF * 255), halves up, in integers */
                rgba[i * 4 + c] = (uint8_t)nca_rshift_round((int64_t)v * 255, g->state_frac);
            }
        }
}

nca_status nca_target_load(const char *path, unsigned width, unsigned height, nca_target *t,
                           nca_error *err)
{
    uint8_t *img;
    unsigned w, h;
    memset(t, 0, sizeof *t);
    nca_status st = nca_png_read(path, &img, &w, &h, err);
    if (st != NCA_OK)
        return st;
    if (w > width || h > height) {
        free(img);
        return nca_fail(err, NCA_E_ARG, "%s: target %ux%u larger than the %ux%u grid", path, w,
                        h, width, height);
    }
    t->rgba = calloc((size_t)width * height * 4, sizeof *t->rgba);
    if (!t->rgba) {
        free(img);
        return nca_fail(err, NCA_E_NOMEM, "out of memory");
    }
    t->width = width;
    t->height = height;
    unsigned ox = (width - w) / 2, oy = (height - h) / 2;
    for (unsigned y = 0; y < h; y++)
        for (unsigned x = 0; x < w; x++) {
            const uint8_t *p = img + ((size_t)y * w + x) * 4;
            float *o = t->rgba + ((size_t)(y + oy) * width + (x + ox)) * 4;
            float a = p[3] / 255.0f;
            for (int c = 0; c < 3; c++)
                o[c] = p[c] / 255.0f * a;
            o[3] = a;
        }
    free(img);
    return NCA_OK;
}

void nca_target_free(nca_target *t)
{
    free(t->rgba);
    t->rgba = NULL;
}

/* SPDX-License-Identifier: Apache-2.0 */
/* nca_backend_ref.c - the in-process backends: `ref` (fixed-point spec) and `float` (twin). */
#include "nca_backend.h"
#include "nca_board.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

struct nca_backend {
    int use_float;
    int loaded;
    nca_model model;
    nca_model_f model_f;
    nca_grid grid;
    nca_workspace ws;
};

static nca_status open_common(nca_backend **out, int use_float, nca_error *err)
{
    nca_backend *b = calloc(1, sizeof *b);
    if (!b)
        return nca_fail(err, NCA_E_NOMEM, "out of memory");
    b->use_float = use_float;
    *out = b;
    return NCA_OK;
}

static nca_status ref_open(nca_backend **out, const nca_backend_config *cfg, nca_error *err)
{
    (void)cfg;
    return open_common(out, 0, err);
}

static nca_status float_open(nca_backend **out, const nca_backend_config *cfg, nca_error *err)
{
    (void)cfg;
    return open_common(out, 1, err);
}

static void release(nca_backend *b)
{
    if (b->loaded) {
        nca_workspace_free(&b->ws);
        nca_grid_free(&b->grid);
        b->loaded = 0;
    }
}

static void ref_close(nca_backend *b)
{
    if (b) {
        release(b);
        free(b);
    }
}

static nca_status ref_load(nca_backend *b, const nca_model *m, unsigned width, unsigned height,
                           uint32_t seed, unsigned boundary, nca_error *err)
{
    nca_status st = nca_model_validate(m, err);
    if (st != NCA_OK)
        return st;
    if (boundary > NCA_BOUNDARY_WRAP)
        return nca_fail(err, NCA_E_ARG, "boundary %u unknown", boundary);
    nca_grid g;
    st = nca_grid_init(&g, m, width, height, seed, b->use_float, err);
    if (st != NCA_OK)
        return st;
    g.boundary = (uint8_t)boundary;
    nca_workspace ws;
    st = nca_workspace_init(&ws, &g, err);
    if (st != NCA_OK) {
        nca_grid_free(&g);
        return st;
    }
    release(b); /* only now: a failed load leaves the old grid intact */
    b->model = *m;
    nca_model_dequantize(m, &b->model_f);
    b->grid = g;
    b->ws = ws;
    b->loaded = 1;
    return NCA_OK;
}

#define NEED_LOADED(b, err)                                                                    \
    do {                                                                                       \
        if (!(b)->loaded)                                                                      \
            return nca_fail(err, NCA_E_ARG, "no model loaded");                                \
    } while (0)

static nca_status ref_seed(nca_backend *b, unsigned x, unsigned y, nca_error *err)
{
    NEED_LOADED(b, err);
    return nca_grid_seed(&b->grid, x, y, err);
}

static nca_status ref_damage(nca_backend *b, const nca_damage *d, nca_error *err)
{
    NEED_LOADED(b, err);
    nca_grid_damage(&b->grid, d);
    return NCA_OK;
}

static nca_status ref_step(nca_backend *b, unsigned n, nca_step_stats *st, nca_error *err)
{
    NEED_LOADED(b, err);
    for (unsigned i = 0; i < n; i++) {
        if (b->use_float)
            nca_step_float(&b->model_f, &b->grid, &b->ws, st);
        else
            nca_step_fixed(&b->model, &b->grid, &b->ws, st);
    }
    return NCA_OK;
}

static size_t words(const nca_backend *b)
{
    return (size_t)b->grid.width * b->grid.height * b->grid.channels;
}

static nca_status ref_read_state(nca_backend *b, int16_t *s, nca_error *err)
{
    NEED_LOADED(b, err);
    if (b->use_float)
        nca_grid_f_to_s(&b->grid);
    memcpy(s, b->grid.s, words(b) * sizeof *s);
    return NCA_OK;
}

static nca_status ref_write_state(nca_backend *b, const int16_t *s, uint32_t steps_done,
                                  nca_error *err)
{
    NEED_LOADED(b, err);
    memcpy(b->grid.s, s, words(b) * sizeof *s);
    b->grid.step = steps_done;
    if (b->use_float)
        nca_grid_s_to_f(&b->grid);
    return NCA_OK;
}

static nca_status ref_read_rgba(nca_backend *b, float *rgba, nca_error *err)
{
    NEED_LOADED(b, err);
    const nca_grid *g = &b->grid;
    const size_t n = (size_t)g->width * g->height;
    const double unit = ldexp(1.0, -(int)g->state_frac);
    for (size_t i = 0; i < n; i++)
        for (unsigned c = 0; c < 4; c++)
            rgba[i * 4 + c] = b->use_float ? g->f[i * g->channels + c]
                                           : (float)(g->s[i * g->channels + c] * unit);
    return NCA_OK;
}

static nca_status ref_read_frame(nca_backend *b, uint8_t *rgba, nca_error *err)
{
    NEED_LOADED(b, err);
    nca_frame_rgba(&b->grid, b->use_float, rgba);
    return NCA_OK;
}

static uint32_t ref_steps_done(const nca_backend *b)
{
    return b->grid.step;
}

static const nca_backend_ops ref_ops = {
    "ref", "in-process C model of the fixed-point spec (bit-exact reference)",
    ref_open, ref_close, ref_load, ref_seed, ref_damage, ref_step,
    ref_read_state, ref_write_state, ref_read_rgba, ref_read_frame, ref_steps_done, NULL,
    NULL, NULL};

static const nca_backend_ops float_ops = {
    "float", "in-process float32 twin of the same model (for comparison)",
    float_open, ref_close, ref_load, ref_seed, ref_damage, ref_step,
    ref_read_state, ref_write_state, ref_read_rgba, ref_read_frame, ref_steps_done, NULL,
    NULL, NULL};

static const nca_backend_ops *const all_backends[] = {
    &ref_ops, &float_ops, &nca_backend_serial_ops, &nca_backend_usb_ops, &nca_backend_vboard_ops,
    NULL};

const nca_backend_ops *const *nca_backends(void)
{
    return all_backends;
}

const nca_backend_ops *nca_backend_find(const char *name)
{
    for (const nca_backend_ops *const *p = all_backends; *p; p++)
        if (strcmp((*p)->name, name) == 0)
            return *p;
    return NULL;
}

nca_status nca_backend_frame(const nca_backend_ops *ops, nca_backend *b, unsigned k,
                             uint32_t limit, unsigned timeout_ms, uint8_t *rgba, int *got,
                             nca_error *err)
{
    if (k == 0)
        return nca_fail(err, NCA_E_ARG, "a frame every 0 steps");
    if (ops->run_frame)
        return ops->run_frame(b, k, limit, timeout_ms, rgba, got, err);
    *got = 0;
    nca_status st = ops->step(b, limit && limit < k ? limit : k, NULL, err);
    if (st == NCA_OK && (st = ops->read_frame(b, rgba, err)) == NCA_OK)
        *got = 1;
    return st;
}

double nca_mse_rgba(const float *rgba, const nca_target *t)
{
    const size_t n = (size_t)t->width * t->height * 4;
    double acc = 0.0;
    for (size_t i = 0; i < n; i++) {
        double d = (double)rgba[i] - t->rgba[i];
        acc += d * d;
    }
    return acc / (double)n;
}

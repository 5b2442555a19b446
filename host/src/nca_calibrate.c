/* SPDX-License-Identifier: Apache-2.0 */
/* nca_calibrate.c - the state and hidden formats (SF, HF) of a float model, from float runs.
 *
 * The spec's hidden unit is a uint8 of value h / 2^HF: with HF = 7 it saturates at 1.99.
 * Models trained in float (the Distill ones) reach hidden activations up to ~2.8 at a few
 * cells, and clipping them there is what makes a converted model drift from its float run
 * (docs/fixed-point.md "Calibration"). nca_calibrate runs the float model as nca-host's
 * float twin does and chooses the finest formats that hold what it saw. */
#include "nca.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

nca_status nca_calibrate(const nca_model_f *mf, nca_qparams *q, nca_calib *c, nca_error *err)
{
    if (!c->width || !c->height || !c->steps || !c->runs)
        return nca_fail(err, NCA_E_ARG, "calibration needs a grid, steps and runs");
    /* a quantised copy only for the grid's shape; the runs are float */
    nca_model *m = malloc(sizeof *m);
    nca_model_f *f = malloc(sizeof *f);
    if (!m || !f) {
        free(m);
        free(f);
        return nca_fail(err, NCA_E_NOMEM, "out of memory");
    }
    nca_status st = nca_quantize(mf, q, m, err);
    *f = *mf;
    f->alive = (float)q->alive_threshold;
    f->all_active = (q->flags & NCA_FLAG_ALL_ACTIVE) != 0;
    f->fire = (float)m->fire_q / 65536.0f;
    c->state_max = 0.0f;
    c->hidden_max = 0.0f;
    for (unsigned r = 1; st == NCA_OK && r <= c->runs; r++) {
        nca_grid g;
        nca_workspace ws;
        st = nca_grid_init(&g, m, c->width, c->height, r, 1, err);
        if (st != NCA_OK)
            break;
        st = nca_workspace_init(&ws, &g, err);
        if (st == NCA_OK)
            st = nca_grid_seed(&g, c->width / 2, c->height / 2, err);
        if (st == NCA_OK) {
            const size_t n = (size_t)c->width * c->height * g.channels;
            for (unsigned t = 0; t < c->steps; t++) {
                nca_step_float(f, &g, &ws, NULL);
                for (size_t i = 0; i < n; i++)
                    if (fabsf(g.f[i]) > c->state_max)
                        c->state_max = fabsf(g.f[i]);
            }
            if (ws.hidden_max > c->hidden_max)
                c->hidden_max = ws.hidden_max;
            nca_workspace_free(&ws);
        }
        nca_grid_free(&g);
    }
    free(m);
    free(f);
    if (st != NCA_OK)
        return st;
    if (!isfinite(c->state_max) || !isfinite(c->hidden_max))
        return nca_fail(err, NCA_E_RANGE, "the float model diverges (state or hidden not finite)");
    unsigned sf = 14;
    while (sf > 4 && ldexp(c->state_max, (int)sf) > 32767.0)
        sf--;
    unsigned hf = sf; /* the quantiser needs SF + WF1 - HF >= 0 for small weights */
    while (hf > 0 && ldexp(c->hidden_max, (int)hf) > 255.0)
        hf--;
    q->state_frac = sf;
    q->hid_frac = hf;
    return NCA_OK;
}

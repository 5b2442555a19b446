/* SPDX-License-Identifier: Apache-2.0 */
/* nca_quant.c - float weights to the fixed-point spec: power-of-two scales per output row. */
#include "nca.h"

#include <math.h>
#include <string.h>

void nca_qparams_default(nca_qparams *q)
{
    /* chosen by measurement, docs/fixed-point.md "Choosing the widths" */
    q->state_frac = 11;
    q->hid_frac = 7;
    q->boundary = NCA_BOUNDARY_ZERO;
    q->fire_rate = 0.5;
    q->alive_threshold = 0.1;
    q->flags = 0;
    q->name = "";
    q->desc = "";
}

/* Largest f such that every |w| * 2^f rounds to <= 127; capped at cap. */
static int row_frac(const float *w, unsigned n, int cap)
{
    float mx = 0.0f;
    for (unsigned i = 0; i < n; i++)
        mx = fabsf(w[i]) > mx ? fabsf(w[i]) : mx;
    if (mx == 0.0f)
        return cap;
    int f = (int)floor(log2(127.49 / mx));
    while (f > -32 && lrint(ldexp(mx, f)) > 127)
        f--;
    return f < cap ? f : cap;
}

static int all_finite(const float *v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!isfinite(v[i]))
            return 0;
    return 1;
}

static int8_t q8(double v)
{
    long r = lrint(v);
    return (int8_t)(r > 127 ? 127 : r < -128 ? -128 : r);
}

nca_status nca_quantize(const nca_model_f *mf, const nca_qparams *q, nca_model *out,
                        nca_error *err)
{
    nca_model m;
    memset(&m, 0, sizeof m);
    const unsigned C = mf->channels, H = mf->hidden, I = mf->inputs;
    const int SF = (int)q->state_frac, HF = (int)q->hid_frac;
    m.channels = (uint8_t)C;
    m.hidden = (uint8_t)H;
    m.kernels = (uint8_t)mf->kernels;
    m.boundary = (uint8_t)q->boundary;
    if (!(q->fire_rate >= 0.0 && q->fire_rate <= 1.0))
        return nca_fail(err, NCA_E_RANGE, "fire rate %g outside 0..1", q->fire_rate);
    m.fire_q = (uint32_t)lrint(q->fire_rate * 65536.0);
    m.state_frac = (uint8_t)SF;
    m.hid_frac = (uint8_t)HF;
    double aq = floor(ldexp(q->alive_threshold, SF));
    if (!(aq >= 0.0 && aq <= INT16_MAX))
        return nca_fail(err, NCA_E_RANGE, "alive threshold %g not representable",
                        q->alive_threshold);
    m.alive_q = (int16_t)aq; /* alive iff s > alive_q  <=>  value > threshold */
    m.flags = (uint8_t)q->flags;
    strncpy(m.name, q->name ? q->name : "", NCA_NAME_LEN);
    strncpy(m.desc, q->desc ? q->desc : "", NCA_DESC_LEN);
    if (C < 4 || C > NCA_MAX_CHANNELS || H < 1 || H > NCA_MAX_HIDDEN ||
        I != nca_model_inputs(&m))
        return nca_fail(err, NCA_E_RANGE, "model shape %ux%ux%u not supported", I, H, C);
    if (!all_finite(mf->w1, (size_t)H * I) || !all_finite(mf->b1, H))
        return nca_fail(err, NCA_E_RANGE, "layer-1 weights or biases not finite");
    if (!all_finite(mf->w2, (size_t)C * H) || !all_finite(mf->b2, C))
        return nca_fail(err, NCA_E_RANGE, "layer-2 weights or biases not finite");
    for (unsigned j = 0; j < H; j++) {
        /* shift1 = SF + WF - HF must lie in 0..24 (perception shares the state format) */
        int wf = row_frac(mf->w1 + (size_t)j * I, I, 24 + HF - SF);
        if (SF + wf - HF < 0)
            return nca_fail(err, NCA_E_RANGE,
                            "layer-1 unit %u: weights too large for SF=%d HF=%d", j, SF, HF);
        m.shift1[j] = (uint8_t)(SF + wf - HF);
        for (unsigned i = 0; i < I; i++)
            m.w1[j * I + i] = q8(ldexp(mf->w1[j * I + i], wf));
        double b = ldexp(mf->b1[j], SF + wf);
        if (fabs(b) >= NCA_BIAS_LIMIT)
            return nca_fail(err, NCA_E_RANGE, "layer-1 bias %u too large", j);
        m.b1[j] = (int32_t)lrint(b);
    }
    for (unsigned k = 0; k < C; k++) {
        /* shift2 = HF + WF - SF must lie in 0..24 */
        int wf = row_frac(mf->w2 + (size_t)k * H, H, 24 + SF - HF);
        if (HF + wf - SF < 0)
            return nca_fail(err, NCA_E_RANGE,
                            "layer-2 channel %u: weights too large for SF=%d HF=%d", k, SF, HF);
        m.shift2[k] = (uint8_t)(HF + wf - SF);
        for (unsigned j = 0; j < H; j++)
            m.w2[k * H + j] = q8(ldexp(mf->w2[k * H + j], wf));
        double b = ldexp(mf->b2[k], HF + wf);
        if (fabs(b) >= NCA_BIAS_LIMIT)
            return nca_fail(err, NCA_E_RANGE, "layer-2 bias %u too large", k);
        m.b2[k] = (int32_t)lrint(b);
    }
    nca_status st = nca_model_validate(&m, err);
    if (st == NCA_OK)
        *out = m;
    return st;
}

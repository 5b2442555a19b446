/* SPDX-License-Identifier: Apache-2.0 */
/* nca_rotate.c - rotating a model's perception (Distill experiment 4) as a transform of its
 * layer-1 weights, requantised: the result is an ordinary model, so the C model and the RTL
 * run it unchanged (a board gets it with one LOAD_MODEL). */
#include "nca.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* cos and sin of a angle in degrees, exact at multiples of 90 */
static void cos_sin_deg(double deg, double *c, double *s)
{
    static const double c90[4] = {1, 0, -1, 0}, s90[4] = {0, 1, 0, -1};
    double r = fmod(deg, 360.0);
    if (r < 0)
        r += 360.0;
    if (fmod(r, 90.0) == 0.0) {
        int q = (int)(r / 90.0) & 3;
        *c = c90[q];
        *s = s90[q];
    } else {
        double a = r * (M_PI / 180.0);
        *c = cos(a);
        *s = sin(a);
    }
}

int nca_model_rotatable(const nca_model *m)
{
    return (m->kernels & (NCA_K_SOBEL_X | NCA_K_SOBEL_Y)) == (NCA_K_SOBEL_X | NCA_K_SOBEL_Y);
}

double nca_angle_normalize(double degrees)
{
    double r = fmod(degrees, 360.0);
    if (r > 180.0)
        r -= 360.0;
    else if (r <= -180.0)
        r += 360.0;
    return r == 0.0 ? 0.0 : r; /* no -0 */
}

/*
 * The perception of channel c holds px = (Sobel-x * s_c), py = (Sobel-y * s_c). Rotating it
 * (the Distill notebook's perceive(angle): kernels c*dx - s*dy and s*dx + c*dy) gives
 *     px' = c px - s py,    py' = s px + c py.
 * Layer 1 is linear in the perception: W[sx] px' + W[sy] py'
 *     = px (c W[sx] + s W[sy]) + py (-s W[sx] + c W[sy]),
 * so the rotated model has W'[sx] = c W[sx] + s W[sy] and W'[sy] = -s W[sx] + c W[sy] for
 * every hidden unit and channel; identity and Laplacian columns (the Laplacian is isotropic),
 * biases and layer 2 are unchanged.
 */
nca_status nca_model_rotate(const nca_model *in, double degrees, nca_model *out, nca_error *err)
{
    if (!nca_model_rotatable(in))
        return nca_fail(err, NCA_E_ARG,
                        "model '%s' has no Sobel-x and Sobel-y kernels: its perception cannot "
                        "be rotated",
                        in->name);
    if (!isfinite(degrees))
        return nca_fail(err, NCA_E_ARG, "rotation angle is not a finite number");
    nca_status st = nca_model_validate(in, err);
    if (st != NCA_OK)
        return st;
    if (nca_angle_normalize(degrees) == 0.0) { /* 0, 360, ...: the model itself, bit for bit */
        if (out != in)
            *out = *in;
        return NCA_OK;
    }
    double c, s;
    cos_sin_deg(degrees, &c, &s);
    static const unsigned bits[2] = {NCA_K_SOBEL_X, NCA_K_SOBEL_Y};
    unsigned rank[2];
    for (int k = 0; k < 2; k++) { /* filter rank = identity and filters below it */
        rank[k] = 0;
        for (unsigned b = 1; b < bits[k]; b <<= 1)
            rank[k] += (in->kernels & b) != 0;
    }
    nca_model_f *mf = malloc(sizeof *mf);
    nca_model *m = malloc(sizeof *m);
    if (!mf || !m) {
        free(mf);
        free(m);
        return nca_fail(err, NCA_E_NOMEM, "out of memory");
    }
    nca_model_dequantize(in, mf);
    const unsigned C = mf->channels, H = mf->hidden, I = mf->inputs;
    for (unsigned j = 0; j < H; j++) {
        float *row = mf->w1 + (size_t)j * I;
        for (unsigned ch = 0; ch < C; ch++) {
            double wx = row[rank[0] * C + ch], wy = row[rank[1] * C + ch];
            row[rank[0] * C + ch] = (float)(c * wx + s * wy);
            row[rank[1] * C + ch] = (float)(-s * wx + c * wy);
        }
    }
    nca_qparams q;
    nca_qparams_default(&q);
    q.state_frac = in->state_frac;
    q.hid_frac = in->hid_frac;
    q.boundary = in->boundary;
    q.fire_rate = in->fire_q / 65536.0;                                  /* lrint: fire_q */
    q.alive_threshold = ldexp((double)in->alive_q, -(int)in->state_frac); /* floor: alive_q */
    q.flags = in->flags;
    q.name = in->name;
    q.desc = in->desc;
    st = nca_quantize(mf, &q, m, err);
    if (st == NCA_OK) {
        /* layer 2 as it was, integers and all */
        memcpy(m->shift2, in->shift2, sizeof m->shift2);
        memcpy(m->w2, in->w2, sizeof m->w2);
        memcpy(m->b2, in->b2, sizeof m->b2);
        st = nca_model_validate(m, err);
    }
    if (st == NCA_OK)
        *out = *m;
    free(mf);
    free(m);
    return st;
}

nca_status nca_target_rotate(nca_target *t, double degrees, unsigned px, unsigned py,
                             nca_error *err)
{
    if (!isfinite(degrees))
        return nca_fail(err, NCA_E_ARG, "rotation angle is not a finite number");
    if (nca_angle_normalize(degrees) == 0.0)
        return NCA_OK;
    const unsigned W = t->width, H = t->height;
    float *o = calloc((size_t)W * H * 4, sizeof *o);
    if (!o)
        return nca_fail(err, NCA_E_NOMEM, "out of memory");
    double c, s;
    cos_sin_deg(degrees, &c, &s);
    for (unsigned y = 0; y < H; y++)
        for (unsigned x = 0; x < W; x++) {
            /* counter-clockwise as shown (y down) maps a source point (u, v) to
             * (c u + s v, -s u + c v) about the pivot; the source of this cell is the inverse */
            double dx = (double)x - px, dy = (double)y - py;
            double u = c * dx - s * dy + px, v = s * dx + c * dy + py;
            double fu = floor(u), fv = floor(v);
            /* snap what is a cell centre up to rounding (exact 90-degree turns stay exact) */
            if (u - fu < 1e-9 || u - fu > 1 - 1e-9)
                fu = floor(u + 0.5), u = fu;
            if (v - fv < 1e-9 || v - fv > 1 - 1e-9)
                fv = floor(v + 0.5), v = fv;
            double au = u - fu, av = v - fv;
            for (int k = 0; k < 4; k++) {
                int sx = (int)fu + (k & 1), sy = (int)fv + (k >> 1);
                double wgt = ((k & 1) ? au : 1 - au) * ((k >> 1) ? av : 1 - av);
                if (wgt == 0.0 || sx < 0 || sy < 0 || sx >= (int)W || sy >= (int)H)
                    continue;
                const float *p = t->rgba + ((size_t)sy * W + (size_t)sx) * 4;
                float *q = o + ((size_t)y * W + x) * 4;
                for (int ch = 0; ch < 4; ch++)
                    q[ch] += (float)(wgt * p[ch]);
            }
        }
    free(t->rgba);
    t->rgba = o;
    return NCA_OK;
}

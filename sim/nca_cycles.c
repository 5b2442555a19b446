/* SPDX-License-Identifier: Apache-2.0 */
/* nca_cycles.c - exact cycle model of the RTL core's step (see nca_cycles.h). */
#include "nca_cycles.h"

#include <stdlib.h>
#include <string.h>

uint32_t nca_cycles_mac_len(const nca_model *m, unsigned lanes)
{
    const unsigned groups = (m->hidden + lanes - 1) / lanes;
    const unsigned n_in = nca_model_inputs(m), C = m->channels;
    /* the requant units drain a group's accumulators in min(lanes, 4) clocks; its h is
     * ready that + 2 clocks after the group's last layer-1 clock. Layer-2 group g waits
     * for it behind layer-1 group g+1 (I clocks) or, the last one, layer-2 group G-2 */
    const unsigned ready = (lanes < 4 ? lanes : 4) + 2;
    const unsigned bub_a = n_in >= ready ? 0 : ready - n_in;
    const unsigned bub_b = C >= ready ? 0 : ready - C;
    if (groups == 1)
        return n_in + C + ready;
    return groups * (n_in + C) + (groups - 1) * bub_a + bub_b;
}

/* mature bit of cell (x, y) of a [y][x][c] state, alpha > T */
static int mature(const int16_t *s, unsigned C, unsigned W, unsigned x, unsigned y, int16_t t)
{
    return s[((size_t)y * W + x) * C + 3] > t;
}

/* 3x3 OR of mature bits with the boundary rule (outside = not mature for zero); always 1
 * for a model without alive masking */
static int mask_at(const nca_model *m, const int16_t *s, unsigned C, unsigned W, unsigned H,
                   int wrap, unsigned x, unsigned y)
{
    const int16_t t = m->alive_q;
    if (m->flags & NCA_FLAG_ALL_ACTIVE)
        return 1;
    for (int dy = -1; dy <= 1; dy++)
        for (int dx = -1; dx <= 1; dx++) {
            int yy = (int)y + dy, xx = (int)x + dx;
            if (yy < 0 || yy >= (int)H || xx < 0 || xx >= (int)W) {
                if (!wrap)
                    continue;
                yy = (yy + (int)H) % (int)H;
                xx = (xx + (int)W) % (int)W;
            }
            if (mature(s, C, W, (unsigned)xx, (unsigned)yy, t))
                return 1;
        }
    return 0;
}

uint64_t nca_cycles_step(const nca_model *m, const nca_grid *g, unsigned lanes,
                         nca_cycle_report *r)
{
    const unsigned W = g->width, H = g->height, C = g->channels;
    const int wrap = g->boundary == NCA_BOUNDARY_WRAP;
    const size_t n = (size_t)W * H;
    nca_cycle_report rep;
    memset(&rep, 0, sizeof rep);

    /* the intermediate grid v: old words, active cells replaced by their update */
    int16_t *v = malloc(n * C * sizeof *v);
    uint8_t *pre = malloc(n);
    if (!v || !pre) {
        free(v);
        free(pre);
        return 0;
    }
    memcpy(v, g->s, n * C * sizeof *v);
    for (unsigned y = 0; y < H; y++)
        for (unsigned x = 0; x < W; x++) {
            size_t i = (size_t)y * W + x;
            pre[i] = (uint8_t)mask_at(m, g->s, C, W, H, wrap, x, y);
            if (!pre[i])
                continue;
            rep.pre_alive++;
            if (!nca_fires(m->fire_q, g->seed, g->step, x, y))
                continue;
            rep.active++;
            int16_t p[NCA_MAX_INPUTS];
            int32_t ds[NCA_MAX_CHANNELS];
            nca_perceive(m, g, x, y, p);
            nca_mlp(m, p, ds);
            for (unsigned c = 0; c < C; c++)
                v[i * C + c] = nca_sat16((int64_t)g->s[i * C + c] + ds[c]);
        }
    /* commit: cells with a non-zero word that are not (pre and post) are erased */
    for (unsigned y = 0; y < H; y++)
        for (unsigned x = 0; x < W; x++) {
            size_t i = (size_t)y * W + x;
            int nz = 0;
            for (unsigned c = 0; c < C; c++)
                nz |= v[i * C + c] != 0;
            if (nz && !(pre[i] && mask_at(m, v, C, W, H, wrap, x, y)))
                rep.erased++;
        }
    free(v);
    free(pre);

    rep.mac_len = nca_cycles_mac_len(m, lanes);
    rep.slot = rep.mac_len > 16 ? rep.mac_len : 16;
    rep.phase_a = 7ull * H + rep.pre_alive;
    rep.phase_b = rep.active == 0 ? 3ull : 14ull + (uint64_t)rep.active * rep.slot + 15ull;
    rep.phase_c = 4ull * H;
    rep.phase_d = 2ull * H + rep.erased;
    rep.total = rep.phase_a + rep.phase_b + rep.phase_c + rep.phase_d;
    rep.useful_macs = (uint64_t)rep.active *
                      ((uint64_t)m->hidden * nca_model_inputs(m) + (uint64_t)C * m->hidden);
    if (r)
        *r = rep;
    return rep.total;
}

uint64_t nca_cycles_step_seq(const nca_model *m, const nca_grid *g, nca_cycle_report *r)
{
    const unsigned W = g->width, H = g->height, C = g->channels;
    const int wrap = g->boundary == NCA_BOUNDARY_WRAP;
    const size_t n = (size_t)W * H;
    nca_cycle_report rep;
    memset(&rep, 0, sizeof rep);

    int16_t *v = malloc(n * C * sizeof *v);
    uint8_t *pre = malloc(n);
    uint32_t *fifo = malloc((W + 1) * sizeof *fifo); /* pending cells: y << 16 | x */
    if (!v || !pre || !fifo) {
        free(v);
        free(pre);
        free(fifo);
        return 0;
    }
    memcpy(v, g->s, n * C * sizeof *v);
    const uint64_t I = nca_model_inputs(m), G = (m->hidden + 7) / 8, Q = (C + 7) / 8;
    /* a layer-1 group: I + 1 clocks, then 8 loads (the requant's last writes overlap the
     * next group's first clocks); the last group's requant also loads layer 2's first
     * biases: 8 more */
    const uint64_t l1 = G * (I + 9) + 8, l2 = Q * ((uint64_t)m->hidden + 13);
    const uint64_t per_cell = 1 + (9ull * C + 6) + l1 + l2 + 1; /* find, perceive, MLP, push */
    const uint64_t commit = C + 3;
    unsigned head = 0, count = 0;
    uint64_t b = 0;
    for (unsigned y = 0; y < H; y++) {
        unsigned npre = 0, nact = 0;
        /* per 16-bit word of the pre row: 2 clocks to read it, 1 to start the first hash
         * (or to leave), then per pre-alive cell 64 for the nibble-serial fire hash
         * (hidden under the cell before when that one fired and ran: a cell takes at least
         * 81 clocks) + 1 to test it (starting the next), + 1 after a last cell that fired */
        uint64_t hclk = 0;
        int prev_fired = 0;
        for (unsigned x = 0; x < W; x++) {
            size_t i = (size_t)y * W + x;
            if (x % 16 == 0) {
                hclk += (x ? (uint64_t)prev_fired : 0) + 2 + 1;
                prev_fired = 0;
            }
            pre[i] = (uint8_t)mask_at(m, g->s, C, W, H, wrap, x, y);
            if (!pre[i])
                continue;
            npre++;
            hclk += (prev_fired ? 0 : 64) + 1;
            prev_fired = nca_fires(m->fire_q, g->seed, g->step, x, y);
            if (!prev_fired)
                continue;
            nact++;
            /* after the perception: commit the pending cells whose (x+1, y+1) is done */
            b += per_cell + 2;
            while (count) {
                unsigned tx = fifo[head] & 0xFFFF, ty = fifo[head] >> 16;
                if (!(ty + 1 < y || (ty + 1 == y && tx < x)))
                    break;
                head = (head + 1) % (W + 1);
                count--;
                b += commit;
            }
            fifo[(head + count) % (W + 1)] = y << 16 | x;
            count++;
            int16_t p[NCA_MAX_INPUTS];
            int32_t ds[NCA_MAX_CHANNELS];
            nca_perceive(m, g, x, y, p);
            nca_mlp(m, p, ds);
            for (unsigned c = 0; c < C; c++)
                v[i * C + c] = nca_sat16((int64_t)g->s[i * C + c] + ds[c]);
        }
        rep.pre_alive += npre;
        rep.active += nact;
        hclk += (uint64_t)prev_fired;
        b += hclk + 1 + 1; /* pre words and hashes, drain, the last find */
    }
    b += 2 + (uint64_t)count * commit; /* flush */
    uint64_t d = 0;
    for (unsigned y = 0; y < H; y++) {
        unsigned kills = 0;
        for (unsigned x = 0; x < W; x++) {
            size_t i = (size_t)y * W + x;
            if (!(pre[i] && mask_at(m, v, C, W, H, wrap, x, y)))
                kills++;
        }
        rep.erased += kills;
        d += 3ull * ((W + 15) / 16) + 4ull * kills; /* per 16-bit word: read 2, end 1 */
    }
    free(v);
    free(pre);
    free(fifo);

    rep.mac_len = (uint32_t)(l1 + l2);
    rep.slot = (uint32_t)per_cell;
    /* phase A: 17 per row; on a torus it also copies row 0 (W x C words, one a clock) */
    rep.phase_a = 17ull * H;
    if (wrap && (uint64_t)W * C + 1 > rep.phase_a)
        rep.phase_a = (uint64_t)W * C + 1;
    rep.phase_b = b;
    rep.phase_c = 17ull * H;
    rep.phase_d = d;
    rep.total = rep.phase_a + rep.phase_b + rep.phase_c + rep.phase_d;
    rep.useful_macs = (uint64_t)rep.active *
                      ((uint64_t)m->hidden * nca_model_inputs(m) + (uint64_t)C * m->hidden);
    if (r)
        *r = rep;
    return rep.total;
}

double nca_cycles_utilisation(const nca_cycle_report *r, unsigned lanes)
{
    if (!r->total || !lanes)
        return 0.0;
    return (double)r->useful_macs / ((double)lanes * (double)r->total);
}

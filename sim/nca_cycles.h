/* SPDX-License-Identifier: Apache-2.0 */
/*
 * nca_cycles.h - cycle model of the RTL core (rtl/nca_core.v): the exact number of clocks
 * one step takes, predicted from the state before the step, the model, LANES and the grid
 * size. The RTL testbench (sim/) checks it against the core's cycle counter every step.
 * The schedule it encodes is docs/design.md "The step: four phases, fixed schedule"
 * (nca_core) and "Compact core for the iCE40 UP5K" (nca_core_seq).
 */
#ifndef NCA_CYCLES_H
#define NCA_CYCLES_H

#include <stdint.h>

#include "nca.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Per-step breakdown (clocks per phase and the counts they follow). */
typedef struct nca_cycle_report {
    uint64_t total;       /* clocks of the step (= the sum of the phases) */
    uint64_t phase_a;     /* pre mask + fire bits: 7 per row + 1 per pre-alive cell */
    uint64_t phase_b;     /* active cells: 3 if none, else 14 + N x slot + 15 */
    uint64_t phase_c;     /* post mask: 4 per row */
    uint64_t phase_d;     /* commit: 2 per row + 1 per erased cell */
    uint32_t pre_alive;   /* cells alive before the update */
    uint32_t active;      /* of those, cells that fire (run the MLP) */
    uint32_t erased;      /* cells written to 0 by the commit (non-zero, not pre and post) */
    uint32_t mac_len;     /* clocks of one MLP on the MAC array */
    uint32_t slot;        /* clocks per active cell: max(mac_len, 16) */
    uint64_t useful_macs; /* active x (H x I + C x H) */
} nca_cycle_report;

/* Clocks of one cell's MLP on a LANES-wide array: G x (I + C), G = ceil(hidden / lanes),
 * I = filters x channels, plus requant bubbles: R = min(lanes, 4) + 2 when G = 1, else
 * (G - 1) x max(0, R - I) + max(0, R - C) (zero for the Distill shape). */
uint32_t nca_cycles_mac_len(const nca_model *m, unsigned lanes);

/* Clocks of the next step of g (not modified) on a core with `lanes` MAC lanes and a grid
 * of g->width x g->height; fills *r when non-NULL. Uses g->boundary, g->seed, g->step. */
uint64_t nca_cycles_step(const nca_model *m, const nca_grid *g, unsigned lanes,
                         nca_cycle_report *r);

/* Clocks of the next step of g on the compact core (rtl/nca_core_seq.v: 8 MAC lanes, a
 * sequential datapath, pending-update FIFO); fills *r when non-NULL (phase_b includes the
 * flush of the FIFO; erased = cells not kept, all written to 0; mac_len = layer-1 plus
 * layer-2 clocks per cell; slot = clocks per active cell without its commits). */
uint64_t nca_cycles_step_seq(const nca_model *m, const nca_grid *g, nca_cycle_report *r);

/* MAC utilisation of a step: useful MACs / (lanes x total clocks). */
double nca_cycles_utilisation(const nca_cycle_report *r, unsigned lanes);

#ifdef __cplusplus
}
#endif
#endif

/* SPDX-License-Identifier: Apache-2.0 */
/*
 * nca_grayscott.h - the Gray-Scott reaction-diffusion reference solver (Richardson et al.
 * 2024, section 3.1) that the Gray-Scott NCA (weights/grayscott.bin) is trained on and
 * measured against:
 *
 *   dA/dt = D_A lap(A) - A B^2 + alpha (1 - A)
 *   dB/dt = D_B lap(B) + A B^2 - (gamma + alpha) B
 *
 * explicit Euler in time, the 9-point Laplacian [[1,2,1],[2,-12,2],[1,2,1]] / 4 (unit grid
 * spacing; the NCA spec's Laplacian filter is this divided by 4, docs/fixed-point.md) on a
 * periodic grid, in double. Seeded initial conditions of two families (docs/training.md,
 * "Gray-Scott"). No globals; fallible calls return an nca_status with a one-line error.
 */
#ifndef NCA_GRAYSCOTT_H
#define NCA_GRAYSCOTT_H

#include "nca.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct nca_gs_params {
    double da, db;      /* diffusion constants of A and B */
    double alpha, gamma; /* feed of A, removal of B (gamma + alpha) */
    double dt;           /* Euler step */
} nca_gs_params;

/* The paper's maze-forming parameters: D_A 0.1, D_B 0.05, alpha 0.06230, gamma 0.06268, dt 1. */
void nca_gs_params_default(nca_gs_params *p);

typedef enum nca_gs_family {
    NCA_GS_IC_TRAIN = 0, /* A = 1, B = 0; 3..6 squares of side 8..16 with A = 0.5, B = 0.25;
                            uniform noise +-0.01 on both, clipped to [0, 1] (Pearson 1993) */
    NCA_GS_IC_TEST = 1   /* A = 1, B = 0; 3 squares of 16x16 cells of per-cell noise:
                            B uniform in [0, 0.5), A = 1 - B (high frequencies: unseen) */
} nca_gs_family;

typedef struct nca_gs {
    unsigned width, height;
    uint64_t step; /* Euler steps done */
    double *a, *b; /* [y][x] */
    double *la, *lb; /* scratch: the Laplacians */
} nca_gs;

/* A zeroed field of width x height (3..NCA_MAX_GRID per side). */
nca_status nca_gs_init(nca_gs *g, unsigned width, unsigned height, nca_error *err);
void nca_gs_free(nca_gs *g);
/* The initial condition of a family from a seed (any 64-bit value); step = 0. */
nca_status nca_gs_initial(nca_gs *g, nca_gs_family family, uint64_t seed, nca_error *err);
/* One Euler step; NCA_E_RANGE if a value became non-finite (an unstable dt or D). */
nca_status nca_gs_step(nca_gs *g, const nca_gs_params *p, nca_error *err);
/* The 9-point Laplacian of u [h][w] (periodic) into out. */
void nca_gs_laplacian(const double *u, unsigned width, unsigned height, double *out);
/* An NCA grid of the same size holding A in channel 0, B in channel 1 (words
 * round(v 2^SF), saturated to int16) and 0 in every other channel; its step counter is the
 * field's step. grid must be initialised (nca_grid_init) with the field's size. */
nca_status nca_gs_to_grid(const nca_gs *g, nca_grid *grid, nca_error *err);

#ifdef __cplusplus
}
#endif
#endif

/* SPDX-License-Identifier: Apache-2.0 */
/*
 * nca_gif.h - --record FILE.gif: what the live view shows, one GIF frame per drawn frame
 * (giflib). Each frame gets its own 256-colour palette (giflib's median cut over the grid's
 * cells), is scaled by an integer factor and shown for a fixed delay; the file is written
 * under a temporary name and renamed when it is closed, so a failed run never leaves a
 * partial GIF in place of a good one.
 */
#ifndef NCA_GIF_H
#define NCA_GIF_H

#include "nca.h"

#ifdef __cplusplus
extern "C" {
#endif

#define NCA_GIF_DELAY_CS 4 /* 1/100 s a frame: 25 frames/s */

typedef struct nca_gif nca_gif;

nca_status nca_gif_open(nca_gif **out, const char *path, unsigned width, unsigned height,
                        unsigned scale, nca_error *err);
/* One frame: rgb is width x height x 3 (the composited grid, before scaling). */
nca_status nca_gif_add(nca_gif *g, const uint8_t *rgb, nca_error *err);
unsigned nca_gif_frames(const nca_gif *g);
/* Finishes the file (commit = 1: rename into place) or drops it (commit = 0). */
nca_status nca_gif_close(nca_gif *g, int commit, nca_error *err);

#ifdef __cplusplus
}
#endif
#endif

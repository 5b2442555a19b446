/* SPDX-License-Identifier: Apache-2.0 */
/*
 * nca_backend.h - what nca-host drives: a grid that steps a loaded model.
 *
 * A backend is a table of operations over an opaque context. `ref` is the
 * in-process fixed-point C model and `float` its float32 twin; the board
 * transports (usb, serial, vboard) implement the same table over the link
 * protocol. The UI never sees which one it talks to.
 */
#ifndef NCA_BACKEND_H
#define NCA_BACKEND_H

#include "nca.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct nca_backend nca_backend;
struct nca_board_options; /* nca_board.h */

/* What a backend is opened with: the argument of `--backend NAME:ARG` as the user wrote it
 * ("" when none; the board backends' text form, nca_board.h) and settings a program passes
 * typed, which win over the text (board backends: port, baud, vboard...; NULL: none). */
typedef struct nca_backend_config {
    const char *arg;
    const struct nca_board_options *board;
} nca_backend_config;

/* A counter the backend cannot report (the boards' STATS has no post-step alive count). */
#define NCA_STAT_UNKNOWN UINT32_MAX

typedef struct nca_backend_ops {
    const char *name;
    const char *summary;
    /* cfg: see nca_backend_config; the in-process backends take none of it */
    nca_status (*open)(nca_backend **out, const nca_backend_config *cfg, nca_error *err);
    void (*close)(nca_backend *b);
    /* Loads the model and (re)creates a zeroed width x height grid. */
    nca_status (*load)(nca_backend *b, const nca_model *m, unsigned width, unsigned height,
                       uint32_t seed, unsigned boundary, nca_error *err);
    nca_status (*seed)(nca_backend *b, unsigned x, unsigned y, nca_error *err);
    nca_status (*damage)(nca_backend *b, const nca_damage *d, nca_error *err);
    /* n steps; st (may be NULL) gets the counters of the last one */
    nca_status (*step)(nca_backend *b, unsigned n, nca_step_stats *st, nca_error *err);
    /* Raw state words [y][x][c] (width*height*channels int16). */
    nca_status (*read_state)(nca_backend *b, int16_t *s, nca_error *err);
    /* Replaces the state and the count of steps done (the fire hash's step input). */
    nca_status (*write_state)(nca_backend *b, const int16_t *s, uint32_t steps_done,
                              nca_error *err);
    /* Channels 0..3 as real values [y][x][4] (for MSE against a target). */
    nca_status (*read_rgba)(nca_backend *b, float *rgba, nca_error *err);
    /* RGBA8 frame, premultiplied, clamped, rounded (docs/fixed-point.md). */
    nca_status (*read_frame)(nca_backend *b, uint8_t *rgba, nca_error *err);
    uint32_t (*steps_done)(const nca_backend *b);
    /* Optional, NULL for the in-process backends (nca_backend_frame steps and reads instead):
     * free-running steps with a frame every k. Starts a run (RUN: a frame every k steps, at
     * most `limit` steps, 0 = no limit) unless one with the same k and end is going, then
     * waits at most timeout_ms for its next frame into rgba; *got = 0 on a timeout. The last
     * frame of a limited run comes after its last step. steps_done counts the frames' steps;
     * every other op stops the run first (the step in progress ends, frames in flight are
     * dropped). */
    nca_status (*run_frame)(nca_backend *b, unsigned k, uint32_t limit, unsigned timeout_ms,
                            uint8_t *rgba, int *got, nca_error *err);
    /* Optional (with run_frame): frames of free runs that never arrived, from the FRAME
     * events' sequence numbers since the backend opened (a repeated one counts 255). */
    uint64_t (*frames_lost)(const nca_backend *b);
    /* Optional (with run_frame): the longest one step may take, ms, beyond which a free run's
     * late frame means a lost board (a simulated board is allowed many times a real one's);
     * NULL: 1000. */
    unsigned (*step_ms_max)(const nca_backend *b);
} nca_backend_ops;

/* NULL-terminated list of the backends built in. */
const nca_backend_ops *const *nca_backends(void);
const nca_backend_ops *nca_backend_find(const char *name);

/* The next frame of a live view: ops->run_frame where the backend has it, else
 * min(k, limit) steps (limit 0: k) and read_frame (*got = 1). */
nca_status nca_backend_frame(const nca_backend_ops *ops, nca_backend *b, unsigned k,
                             uint32_t limit, unsigned timeout_ms, uint8_t *rgba, int *got,
                             nca_error *err);

/* Is an iCEBreaker (0403:6010) or a ULX3S (0403:6015) on USB? 1 with its name in what
 * ("iCEBreaker (0403:6010)"), 0 when none is (or the build has no libftdi1: what says so). */
int nca_usb_board_present(char *what, size_t cap);

/* MSE of channels 0..3 ([y][x][4] real values) against a target of the same size. */
double nca_mse_rgba(const float *rgba, const nca_target *t);

#ifdef __cplusplus
}
#endif
#endif

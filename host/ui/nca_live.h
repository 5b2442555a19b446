/* SPDX-License-Identifier: Apache-2.0 */
/*
 * nca_live.h - the live loop of nca-host: a backend stepping, a view drawing its frames, the
 * user's (or a script's) clicks and keys acting on it, optionally a GIF of what is drawn.
 *
 * The backend comes loaded and seeded. Each turn the loop applies the scripted events due
 * at the current step, takes the view's input, and unless paused asks the backend for the
 * next frame, `spf` steps on (nca_backend_frame: a board free-runs with RUN and its FRAME
 * events, the C model steps in process). A run never passes the step of the next scripted
 * event or the step limit, so a scripted click lands exactly where --damage would. Without
 * a view (headless) it runs as fast as it can and records or replays all the same.
 *
 * Keys: left click / drag erase a disc, right click / shift-click seed, wheel or [ ] radius,
 * space pause, n one step while paused, + - steps per frame (x2, /2), r reset to a seed,
 * 1..9 switch model, , . rotate the perception by -15 / +15 degrees (the current model
 * requantised, nca_model_rotate, and reloaded from a seed: on a board one LOAD_MODEL), p save a
 * PNG, q / Esc quit.
 */
#ifndef NCA_LIVE_H
#define NCA_LIVE_H

#include "nca_backend.h"
#include "nca_script.h"
#include "nca_view.h"

#ifdef __cplusplus
extern "C" {
#endif

#define NCA_LIVE_MAX_MODELS 9

/* A board's default steps per frame. A FRAME event of the grown lizard (the link's bytes and
 * the frame encoder's two scans) costs the vboard about 4 of its steps (268,000 clocks
 * against 71,000), a ULX3S 85F about 6 (16 ms at 3 Mbaud against 2.6 ms), an iCEBreaker
 * half of one (21 ms against 41 ms; docs/results.md "Live view speed"): at 4 the boards
 * spend half their time or more stepping and still draw several frames a second. */
#define NCA_LIVE_BOARD_SPF 4u

typedef struct nca_live_config {
    const nca_backend_ops *ops;
    nca_backend *b;
    const nca_model *models[NCA_LIVE_MAX_MODELS]; /* the --model files, keys 1..9 */
    unsigned n_models, current;                   /* current: the one loaded */
    double angle;       /* perception rotation in degrees the loaded model runs with (the
                         * models above are unrotated; keys , . change it) */
    unsigned width, height;
    uint32_t seed;      /* the fire hash's seed (reset and switching keep it) */
    int boundary;       /* -1: each model's own */
    const nca_view_ops *view; /* NULL: headless */
    unsigned scale;     /* view and GIF zoom, 0: nca_view_scale */
    const char *record; /* GIF path, NULL: none */
    const nca_script *script;
    uint32_t steps;     /* stop after this many steps; 0: when the user quits. Like the
                         * scripted events' steps, counted from the start (a loaded state's
                         * steps are not counted, as in nca-host's batch runs) */
    unsigned spf;       /* steps per frame, 1..65535; 0: 1 on the C model, NCA_LIVE_BOARD_SPF
                         * on a board (ops->run_frame) */
    unsigned radius;    /* erase radius, cells */
    unsigned fps_cap;   /* most frames a second a view draws (0: no cap) */
    int verbose;
} nca_live_config;

typedef struct nca_live_result {
    uint32_t steps;        /* steps done at the end */
    uint32_t steps_run;    /* steps run by the loop (resets included) */
    unsigned frames;       /* frames drawn */
    uint64_t frames_lost;  /* a board's frames that never arrived (ops->frames_lost) */
    double seconds;
    int user_quit;         /* q, Esc, window closed, Ctrl-C */
    unsigned current;      /* the model loaded at the end */
    double angle;          /* its perception rotation at the end, degrees in (-180, 180] */
    char note[300];        /* what a quiet UI may still want to say (a failed switch) */
} nca_live_result;

/* Runs until the step limit or a quit. Errors: the backend's (a lost board is NCA_E_DEVICE),
 * the view's, the recorder's. */
nca_status nca_live_run(const nca_live_config *c, nca_live_result *r, nca_error *err);

#ifdef __cplusplus
}
#endif
#endif

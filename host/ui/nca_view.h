/* SPDX-License-Identifier: Apache-2.0 */
/*
 * nca_view.h - the live views of nca-host: an SDL2 window and a 24-bit-colour terminal.
 *
 * A view shows a composited picture of the grid (premultiplied RGBA over white, as the
 * Distill demo draws it, nca_compose) with a status line, and turns the user's mouse and
 * keys into nca_input records in cell coordinates, so that the live loop (nca_live.h)
 * treats both views alike. Views never step anything and never print: errors come back in
 * an nca_error, and close restores what open changed (the terminal's modes, the screen).
 */
#ifndef NCA_VIEW_H
#define NCA_VIEW_H

#include "nca.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum nca_input_kind {
    NCA_IN_ERASE = 0,  /* left click or drag at cell (x, y) */
    NCA_IN_SEED = 1,   /* right click or shift-click at (x, y) */
    NCA_IN_KEY = 2,    /* key: a character; ' ' space, NCA_KEY_ESC (nca_script.h) */
    NCA_IN_RADIUS = 3, /* mouse wheel: delta +1 / -1 */
    NCA_IN_QUIT = 4    /* window closed, Ctrl-C, a signal */
} nca_input_kind;

typedef struct nca_input {
    nca_input_kind kind;
    int x, y;
    int key;
    int delta;
} nca_input;

typedef struct nca_view nca_view;

typedef struct nca_view_ops {
    const char *name;
    /* Opens a view of a width x height grid; scale 0 picks one (nca_view_scale). */
    nca_status (*open)(nca_view **out, unsigned width, unsigned height, unsigned scale,
                       nca_error *err);
    void (*close)(nca_view *v);
    /* Shows rgb (width x height x 3, the composited grid) and a one-line status. */
    nca_status (*present)(nca_view *v, const uint8_t *rgb, const char *status, nca_error *err);
    /* Waits at most timeout_ms for input; returns how many records (<= cap) it wrote. */
    int (*poll)(nca_view *v, nca_input *in, int cap, unsigned timeout_ms);
} nca_view_ops;

extern const nca_view_ops nca_view_sdl_ops;
extern const nca_view_ops nca_view_term_ops;

/* Does SDL reach a display here? (initialises and shuts down its video; err says why not) */
int nca_view_sdl_probe(nca_error *err);

/* Premultiplied RGBA8 over white: out = min(255, c + 255 - alpha), per colour channel. */
void nca_compose(const uint8_t *rgba, size_t cells, uint8_t *rgb);
/* The integer factor that makes the larger side about 640 px (512..768 where possible). */
unsigned nca_view_scale(unsigned width, unsigned height);
/* Nearest-neighbour upscale of an rgb image by an integer factor. */
void nca_upscale(const uint8_t *rgb, unsigned width, unsigned height, unsigned scale,
                 uint8_t *out);

#ifdef __cplusplus
}
#endif
#endif

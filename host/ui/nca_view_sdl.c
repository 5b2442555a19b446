/* SPDX-License-Identifier: Apache-2.0 */
/*
 * nca_view_sdl.c - the window view (SDL2): the composited grid scaled by an integer factor,
 * pixel for pixel (no filtering), the status in the title. Left button: erase (drag too),
 * right button or shift-click: seed, wheel: radius, keys as characters.
 */
#include "nca_view.h"
#include "nca_script.h"

#include <SDL.h>
#include <stdlib.h>

/* The video driver for the display the environment names (Wayland, else X11): left to
 * itself SDL would fall back to a headless driver when that display cannot be reached, and
 * "open" a window nobody sees. SDL_VIDEODRIVER, when set, is the user's choice. */
static int pick_driver(nca_error *err)
{
    const char *d = getenv("DISPLAY"), *w = getenv("WAYLAND_DISPLAY"), *v = getenv("SDL_VIDEODRIVER");
    if (v && *v)
        return 1;
    if (w && *w)
        return setenv("SDL_VIDEODRIVER", "wayland", 1) == 0;
    if (d && *d)
        return setenv("SDL_VIDEODRIVER", "x11", 1) == 0;
    nca_fail(err, NCA_E_DEVICE, "window: no display (DISPLAY is not set; --view term or none)");
    return 0;
}

struct nca_view {
    SDL_Window *win;
    unsigned width, height, scale;
    uint8_t *px; /* the scaled picture, RGB24 */
    SDL_Surface *img;
    int erasing; /* left button held */
};

static nca_status sdl_open(nca_view **out, unsigned width, unsigned height, unsigned scale,
                           nca_error *err)
{
    if (!scale)
        scale = nca_view_scale(width, height);
    if (!pick_driver(err))
        return NCA_E_DEVICE;
    nca_view *v = calloc(1, sizeof *v);
    if (!v)
        return nca_fail(err, NCA_E_NOMEM, "out of memory");
    v->width = width;
    v->height = height;
    v->scale = scale;
    if (SDL_Init(SDL_INIT_VIDEO) != 0) {
        nca_fail(err, NCA_E_DEVICE, "window: no display (%s)", SDL_GetError());
        free(v);
        return NCA_E_DEVICE;
    }
    const int W = (int)(width * scale), H = (int)(height * scale);
    v->win = SDL_CreateWindow("nca-host", SDL_WINDOWPOS_CENTERED, SDL_WINDOWPOS_CENTERED, W, H, 0);
    v->px = malloc((size_t)W * H * 3);
    if (v->px)
        v->img = SDL_CreateRGBSurfaceWithFormatFrom(v->px, W, H, 24, W * 3,
                                                    SDL_PIXELFORMAT_RGB24);
    if (!v->win || !v->px || !v->img) {
        nca_fail(err, NCA_E_DEVICE, "window: the display refused a %dx%d window (%s)", W, H,
                 SDL_GetError());
        if (v->img)
            SDL_FreeSurface(v->img);
        if (v->win)
            SDL_DestroyWindow(v->win);
        free(v->px);
        free(v);
        SDL_Quit();
        return NCA_E_DEVICE;
    }
    *out = v;
    return NCA_OK;
}

static void sdl_close(nca_view *v)
{
    if (!v)
        return;
    SDL_FreeSurface(v->img);
    SDL_DestroyWindow(v->win);
    free(v->px);
    free(v);
    SDL_Quit();
}

static nca_status sdl_present(nca_view *v, const uint8_t *rgb, const char *status,
                              nca_error *err)
{
    nca_upscale(rgb, v->width, v->height, v->scale, v->px);
    SDL_SetWindowTitle(v->win, status);
    SDL_Surface *s = SDL_GetWindowSurface(v->win);
    if (!s || SDL_BlitSurface(v->img, NULL, s, NULL) != 0 || SDL_UpdateWindowSurface(v->win) != 0)
        return nca_fail(err, NCA_E_DEVICE, "window: cannot draw (%s)", SDL_GetError());
    return NCA_OK;
}

/* window pixel -> cell; 0 when outside the grid */
static int to_cell(const nca_view *v, int px, int py, int *x, int *y)
{
    if (px < 0 || py < 0)
        return 0;
    *x = px / (int)v->scale;
    *y = py / (int)v->scale;
    return *x < (int)v->width && *y < (int)v->height;
}

static int key_char(const SDL_KeyboardEvent *k)
{
    SDL_Keycode c = k->keysym.sym;
    int shift = (k->keysym.mod & KMOD_SHIFT) != 0;
    if (c == SDLK_ESCAPE)
        return NCA_KEY_ESC;
    if (c == SDLK_KP_PLUS || (c == SDLK_EQUALS && shift) || c == SDLK_PLUS)
        return '+';
    if (c == SDLK_KP_MINUS || c == SDLK_MINUS)
        return '-';
    if (c >= SDLK_KP_1 && c <= SDLK_KP_9)
        return '1' + (int)(c - SDLK_KP_1);
    if (c >= ' ' && c < 0x7F)
        return (int)c;
    return 0;
}

static int sdl_poll(nca_view *v, nca_input *in, int cap, unsigned timeout_ms)
{
    int n = 0;
    SDL_Event e;
    int got = SDL_WaitEventTimeout(&e, (int)timeout_ms);
    while (got && n < cap) {
        nca_input *o = &in[n];
        switch (e.type) {
        case SDL_QUIT:
            o->kind = NCA_IN_QUIT;
            n++;
            break;
        case SDL_KEYDOWN:
            if ((o->key = key_char(&e.key)) != 0) {
                o->kind = NCA_IN_KEY;
                n++;
            }
            break;
        case SDL_MOUSEBUTTONDOWN:
            if (e.button.button == SDL_BUTTON_LEFT && !(SDL_GetModState() & KMOD_SHIFT))
                v->erasing = 1;
            if (to_cell(v, e.button.x, e.button.y, &o->x, &o->y) &&
                (e.button.button == SDL_BUTTON_LEFT || e.button.button == SDL_BUTTON_RIGHT)) {
                o->kind = v->erasing ? NCA_IN_ERASE : NCA_IN_SEED;
                n++;
            }
            break;
        case SDL_MOUSEBUTTONUP:
            if (e.button.button == SDL_BUTTON_LEFT)
                v->erasing = 0;
            break;
        case SDL_MOUSEMOTION:
            if (v->erasing && (e.motion.state & SDL_BUTTON_LMASK) &&
                to_cell(v, e.motion.x, e.motion.y, &o->x, &o->y)) {
                o->kind = NCA_IN_ERASE;
                n++;
            }
            break;
        case SDL_MOUSEWHEEL:
            if (e.wheel.y) {
                o->kind = NCA_IN_RADIUS;
                o->delta = e.wheel.y > 0 ? 1 : -1;
                n++;
            }
            break;
        case SDL_WINDOWEVENT:
            if (e.window.event == SDL_WINDOWEVENT_CLOSE) {
                o->kind = NCA_IN_QUIT;
                n++;
            }
            break;
        default:
            break;
        }
        if (n >= cap)   /* the rest stay queued for the next call, none taken and dropped */
            break;
        got = SDL_PollEvent(&e);
    }
    return n;
}

int nca_view_sdl_probe(nca_error *err)
{
    if (!pick_driver(err))
        return 0;
    if (SDL_Init(SDL_INIT_VIDEO) != 0) {
        nca_fail(err, NCA_E_DEVICE, "window: no display (%s)", SDL_GetError());
        return 0;
    }
    SDL_Quit();
    return 1;
}

const nca_view_ops nca_view_sdl_ops = {"window", sdl_open, sdl_close, sdl_present, sdl_poll};

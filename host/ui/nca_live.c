/* SPDX-License-Identifier: Apache-2.0 */
/* nca_live.c - the live loop (nca_live.h). */
#include "nca_live.h"
#include "nca_gif.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MAX_SPF 65535u
#define MAX_RADIUS 256u
#define FRAME_WAIT_MS 100u   /* one wait for a board's frame, between looks at the input */
#define STALL_MS 10000u      /* no frame for this long (plus the backend's longest step times
                              * the steps a frame, ops->step_ms_max): a lost board */
#define ROTATE_STEP 15.0     /* degrees a key , . turns the perception */

typedef struct live {
    const nca_live_config *c;
    nca_view *view;
    nca_gif *gif;
    uint8_t *rgba, *rgb;
    unsigned spf, radius, current;
    double angle;     /* the loaded model's rotation, degrees */
    nca_model *rot;   /* the rotated copy of the current model the backend was given */
    int paused, quit, step_once;
    double t0, last_draw, rate_t;
    uint32_t rate_steps, run_steps, seen; /* run_steps: steps this loop ran, as --steps and
                                            * the scripted events count them (from the loaded
                                            * state's step on); seen: steps_done last looked at */
    double steps_per_s, frames_per_s;
    unsigned frames, rate_frames;
    char msg[300];
    double msg_until;
} live;

static double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + t.tv_nsec * 1e-9;
}

static void say(live *L, nca_live_result *r, const char *fmt, const char *arg)
{
    snprintf(L->msg, sizeof L->msg, fmt, arg);
    L->msg_until = now_s() + 3.0;
    snprintf(r->note, sizeof r->note, "%s", L->msg);
    if (L->c->verbose && !L->view)
        fprintf(stderr, "nca-host: %s\n", L->msg);
}

/* The steps this loop has run: the backend's steps done since the last look, or all of them
 * after a reset (r restarts the count at the seed). */
static uint32_t ran(live *L)
{
    uint32_t now = L->c->ops->steps_done(L->c->b);
    L->run_steps += now >= L->seen ? now - L->seen : now;
    L->seen = now;
    return L->run_steps;
}

/* The current frame: from the backend (which stops a board's run first). */
static nca_status fetch(live *L, nca_error *err)
{
    return L->c->ops->read_frame(L->c->b, L->rgba, err);
}

static nca_status draw(live *L, nca_error *err)
{
    const nca_live_config *c = L->c;
    const size_t cells = (size_t)c->width * c->height;
    nca_compose(L->rgba, cells, L->rgb);
    L->frames++;
    L->last_draw = now_s();
    nca_status st = NCA_OK;
    if (L->gif && (st = nca_gif_add(L->gif, L->rgb, err)) != NCA_OK)
        return st;
    if (!L->view)
        return NCA_OK;
    double t = L->last_draw;
    uint32_t steps = c->ops->steps_done(c->b);
    if (t - L->rate_t >= 0.5) {
        L->steps_per_s = (steps - L->rate_steps) / (t - L->rate_t);
        L->frames_per_s = (L->frames - L->rate_frames) / (t - L->rate_t);
        L->rate_t = t;
        L->rate_steps = steps;
        L->rate_frames = L->frames;
    }
    char status[320];
    char rot[32] = "";
    if (L->angle != 0.0)
        snprintf(rot, sizeof rot, " | rot %g deg", L->angle);
    int n = snprintf(status, sizeof status, "%s%s | %s | step %u | %.0f steps/s | %.0f fps | r=%u | %u/frame%s",
                     c->models[L->current]->name, rot, c->ops->name, steps, L->steps_per_s,
                     L->frames_per_s, L->radius, L->spf, L->paused ? " | paused" : "");
    if (L->msg[0] && t < L->msg_until && n > 0 && (size_t)n < sizeof status)
        snprintf(status + n, sizeof status - (size_t)n, " | %s", L->msg);
    return c->view->present(L->view, L->rgb, status, err);
}

/* Loads model k turned by angle degrees (a copy requantised, nca_model_rotate) and seeds it. */
static nca_status load_model(live *L, unsigned k, double angle, nca_error *err)
{
    const nca_live_config *c = L->c;
    const nca_model *m = c->models[k];
    nca_status st = NCA_OK;
    if (angle != 0.0) {
        nca_model *r = malloc(sizeof *r);
        if (!r)
            return nca_fail(err, NCA_E_NOMEM, "out of memory");
        if ((st = nca_model_rotate(m, angle, r, err)) != NCA_OK) {
            free(r);
            return st;
        }
        free(L->rot);
        L->rot = r;
        m = r;
    }
    unsigned boundary = c->boundary >= 0 ? (unsigned)c->boundary : m->boundary;
    st = c->ops->load(c->b, m, c->width, c->height, c->seed, boundary, err);
    if (st == NCA_OK)
        st = c->ops->seed(c->b, c->width / 2, c->height / 2, err);
    if (st == NCA_OK) {
        L->current = k;
        L->angle = angle;
    }
    return st;
}

/* Loads model k at angle (keys 1..9 , .): on a failure that leaves the board usable (the model
 * does not fit, it cannot be rotated) says why and goes back to what ran; says the time taken
 * (LOAD_MODEL, SET, CLEAR, SEED on a board) when it worked. */
static nca_status switch_model(live *L, nca_live_result *r, unsigned k, double angle,
                               nca_error *err)
{
    const nca_live_config *c = L->c;
    nca_error e;
    char what[160];
    double t = now_s();
    if (load_model(L, k, angle, &e) != NCA_OK) {
        say(L, r, "%s", e.msg); /* e.g. it does not fit the board: keep going */
        nca_status st = load_model(L, L->current, L->angle, err);
        return st != NCA_OK ? st : fetch(L, err);
    }
    t = now_s() - t;
    if (angle != 0.0)
        snprintf(what, sizeof what, "model %.32s at %g deg, loaded in %.1f ms", c->models[k]->name,
                 angle, t * 1000.0);
    else
        snprintf(what, sizeof what, "model %.32s, loaded in %.1f ms", c->models[k]->name,
                 t * 1000.0);
    say(L, r, "%s", what);
    return fetch(L, err);
}

static nca_status save_png(live *L, nca_live_result *r, nca_error *err)
{
    const nca_live_config *c = L->c;
    char path[96];
    snprintf(path, sizeof path, "nca-%u.png", c->ops->steps_done(c->b));
    nca_status st = nca_png_write(path, L->rgba, c->width, c->height, err);
    if (st == NCA_OK)
        say(L, r, "wrote %s", path);
    return st;
}

/* A key, from the user or a script. *redraw = 1 when the picture changed. */
static nca_status key(live *L, nca_live_result *r, int k, int *redraw, nca_error *err)
{
    const nca_live_config *c = L->c;
    nca_status st = NCA_OK;
    switch (k) {
    case 'q':
    case NCA_KEY_ESC: L->quit = 1; r->user_quit = 1; break;
    case ' ':
        L->paused = !L->paused;
        if (L->paused && (st = fetch(L, err)) == NCA_OK) /* a board stops where it is */
            *redraw = 1;
        break;
    case 'n':
        if (L->paused)
            L->step_once = 1;
        break;
    case '+':
    case '=': L->spf = L->spf * 2 > MAX_SPF ? MAX_SPF : L->spf * 2; *redraw = 1; break;
    case '-': L->spf = L->spf / 2 ? L->spf / 2 : 1; *redraw = 1; break;
    case ']': L->radius = L->radius < MAX_RADIUS ? L->radius + 1 : MAX_RADIUS; *redraw = 1; break;
    case '[': L->radius = L->radius > 1 ? L->radius - 1 : 1; *redraw = 1; break;
    case 'r':
        if ((st = load_model(L, L->current, L->angle, err)) == NCA_OK &&
            (st = fetch(L, err)) == NCA_OK)
            *redraw = 1;
        break;
    case ',':
    case '.': {
        double a = nca_angle_normalize(L->angle + (k == '.' ? ROTATE_STEP : -ROTATE_STEP));
        if (!nca_model_rotatable(c->models[L->current]))
            say(L, r, "%s has no Sobel-x/y kernels: nothing to rotate",
                c->models[L->current]->name);
        else
            st = switch_model(L, r, L->current, a, err);
        *redraw = 1;
        break;
    }
    case 'p':
        st = save_png(L, r, err);
        *redraw = 1;
        break;
    default:
        if (k >= '1' && k <= '9') {
            unsigned want = (unsigned)(k - '1');
            char what[64];
            if (want >= c->n_models) {
                snprintf(what, sizeof what, "%u", want + 1);
                say(L, r, "no model %s on the command line", what);
            } else if (want != L->current) {
                /* the angle goes with the switch where the model has Sobel kernels */
                double a = nca_model_rotatable(c->models[want]) ? L->angle : 0.0;
                st = switch_model(L, r, want, a, err);
            }
            *redraw = 1;
        }
        break;
    }
    return st;
}

static nca_status erase(live *L, int x, int y, int radius, nca_error *err)
{
    nca_damage d = {NCA_DMG_CIRCLE, x, y, radius};
    return L->c->ops->damage(L->c->b, &d, err);
}

static nca_status input(live *L, nca_live_result *r, const nca_input *in, int *redraw,
                        nca_error *err)
{
    const nca_live_config *c = L->c;
    switch (in->kind) {
    case NCA_IN_QUIT: L->quit = 1; r->user_quit = 1; return NCA_OK;
    case NCA_IN_KEY: return key(L, r, in->key, redraw, err);
    case NCA_IN_RADIUS:
        return key(L, r, in->delta > 0 ? ']' : '[', redraw, err);
    case NCA_IN_ERASE:
        *redraw = 1;
        return erase(L, in->x, in->y, (int)L->radius, err);
    case NCA_IN_SEED: *redraw = 1; return c->ops->seed(c->b, (unsigned)in->x, (unsigned)in->y, err);
    }
    return NCA_OK;
}

static nca_status scripted(live *L, nca_live_result *r, const nca_event *e, int *redraw,
                           nca_error *err)
{
    const nca_live_config *c = L->c;
    *redraw = 1;
    switch (e->kind) {
    case NCA_EV_CLICK: return erase(L, e->x, e->y, e->r > 0 ? e->r : (int)L->radius, err);
    case NCA_EV_SEED:
        if ((unsigned)e->x >= c->width || (unsigned)e->y >= c->height)
            return nca_fail(err, NCA_E_RANGE, "scripted seed (%d,%d) outside the %ux%u grid",
                            e->x, e->y, c->width, c->height);
        return c->ops->seed(c->b, (unsigned)e->x, (unsigned)e->y, err);
    case NCA_EV_KEY: return key(L, r, e->key, redraw, err);
    case NCA_EV_DAMAGE: return c->ops->damage(c->b, &e->damage, err);
    }
    return NCA_OK;
}

nca_status nca_live_run(const nca_live_config *c, nca_live_result *r, nca_error *err)
{
    live L;
    memset(&L, 0, sizeof L);
    memset(r, 0, sizeof *r);
    L.c = c;
    L.spf = c->spf ? c->spf : c->ops->run_frame ? NCA_LIVE_BOARD_SPF : 1;
    L.radius = c->radius ? c->radius : 8;
    L.current = c->current;
    L.angle = nca_angle_normalize(c->angle);
    const size_t cells = (size_t)c->width * c->height;
    L.rgba = malloc(cells * 4);
    L.rgb = malloc(cells * 3);
    nca_status st = NCA_OK;
    if (!L.rgba || !L.rgb)
        st = nca_fail(err, NCA_E_NOMEM, "out of memory");
    unsigned scale = c->scale ? c->scale : nca_view_scale(c->width, c->height);
    if (st == NCA_OK && c->record)
        st = nca_gif_open(&L.gif, c->record, c->width, c->height, scale, err);
    if (st == NCA_OK && c->view)
        st = c->view->open(&L.view, c->width, c->height, scale, err);
    L.t0 = L.rate_t = now_s();
    L.rate_steps = L.seen = c->ops->steps_done(c->b);
    size_t ev = 0;
    const nca_script *sc = c->script;
    double waited_since = 0;
    if (st == NCA_OK && (st = fetch(&L, err)) == NCA_OK)
        st = draw(&L, err);
    while (st == NCA_OK && !L.quit) {
        uint32_t step = ran(&L);
        int redraw = 0;
        /* scripted events due (an event before the first step happens at once) */
        while (st == NCA_OK && sc && ev < sc->n && sc->ev[ev].step <= step && !L.quit)
            st = scripted(&L, r, &sc->ev[ev++], &redraw, err);
        if (st != NCA_OK || L.quit)
            break;
        if (c->steps && step >= c->steps) {
            if (redraw && (st = fetch(&L, err)) == NCA_OK)
                st = draw(&L, err);
            break;
        }
        /* the user's input; paced so that a view draws at most fps_cap frames a second */
        if (L.view) {
            unsigned wait = 0;
            if (L.paused && !L.step_once && !redraw)
                wait = 30;
            else if (c->fps_cap) {
                double next = L.last_draw + 1.0 / c->fps_cap, t = now_s();
                wait = next > t ? (unsigned)((next - t) * 1000.0) : 0;
            }
            nca_input in[32];
            int n = c->view->poll(L.view, in, 32, wait);
            for (int i = 0; i < n && st == NCA_OK && !L.quit; i++)
                st = input(&L, r, &in[i], &redraw, err);
            if (st != NCA_OK || L.quit)
                break;
        }
        if (L.paused && !L.step_once && !L.view)
            break; /* headless: a pause ends the run, nothing could resume it */
        if (!L.paused || L.step_once) {
            unsigned k = L.step_once ? 1 : L.spf;
            uint32_t limit = 0;
            step = ran(&L);
            if (sc && ev < sc->n)
                limit = sc->ev[ev].step - step;
            if (c->steps && (limit == 0 || c->steps - step < limit))
                limit = c->steps - step;
            if (L.step_once)
                limit = 1;
            int got = 0;
            st = nca_backend_frame(c->ops, c->b, k, limit, FRAME_WAIT_MS, L.rgba, &got, err);
            if (st != NCA_OK)
                break;
            if (got) {
                L.step_once = 0;
                waited_since = 0;
                st = draw(&L, err);
                continue;
            }
            double t = now_s();
            if (waited_since == 0)
                waited_since = t;
            else if ((t - waited_since) * 1000.0 >
                     STALL_MS + (c->ops->step_ms_max ? c->ops->step_ms_max(c->b) : 1000.0) * k) {
                st = nca_fail(err, NCA_E_DEVICE, "%s: no frame for %.0f s (board unplugged?)",
                              c->ops->name, t - waited_since);
                break;
            }
        }
        if (redraw && (st = fetch(&L, err)) == NCA_OK)
            st = draw(&L, err);
    }
    r->seconds = now_s() - L.t0;
    r->steps = c->ops->steps_done(c->b);
    r->steps_run = ran(&L);
    r->frames = L.frames;
    r->frames_lost = c->ops->frames_lost ? c->ops->frames_lost(c->b) : 0;
    r->current = L.current;
    r->angle = L.angle;
    if (L.view)
        c->view->close(L.view);
    nca_error ge;
    if (L.gif) {
        nca_status gs = nca_gif_close(L.gif, st == NCA_OK, &ge);
        if (st == NCA_OK && gs != NCA_OK) {
            *err = ge;
            st = gs;
        }
    }
    free(L.rgba);
    free(L.rgb);
    free(L.rot);
    return st;
}

/* SPDX-License-Identifier: Apache-2.0 */
/* nca_backend_board.c - the board backends (serial, usb, vboard) over the link protocol. */
#include "nca_board.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct nca_backend {
    nca_link *link;
    nca_board_info info;
    int loaded;
    unsigned width, height, channels, state_frac;
    uint32_t steps;
    int16_t *scratch; /* read_rgba's state words */
    /* a free run (run_frame): its k, its end step (0: none), frames expected next */
    int running;
    unsigned run_k;
    uint32_t run_end;
    uint8_t run_seq;
    uint64_t frames_dropped; /* FRAME events whose sequence skipped */
};

#define BOARD_STEP_MS_MAX 1000u   /* a real board: the iCEBreaker's dense step is ~170 ms */
#define VBOARD_STEP_MS_MAX 10000u /* the vboard: as its link's step_ms, a loaded CPU slows it */

static int parse_num(const char *s, unsigned long max, unsigned long *out)
{
    char *end;
    if (*s < '0' || *s > '9')
        return 0;
    errno = 0;
    unsigned long v = strtoul(s, &end, 10);
    if (errno || *end || v > max)
        return 0;
    *out = v;
    return 1;
}

int nca_board_vboard_path(char *out, size_t cap)
{
    static const char *const rel[3] = {"", "../sim/build/vboard/", "../../sim/build/vboard/"};
    char exe[1024];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n <= 0) {
        snprintf(out, cap, "%s", NCA_BOARD_VBOARD_NAME);
        return 0;
    }
    exe[n] = '\0';
    char *slash = strrchr(exe, '/');
    if (slash)
        slash[1] = '\0';
    for (int i = 0; i < 3; i++) { /* the first found wins: beside the program, then the tree */
        snprintf(out, cap, "%s%s%s", exe, rel[i], NCA_BOARD_VBOARD_NAME);
        if (access(out, X_OK) == 0)
            return 1;
    }
    snprintf(out, cap, "%s%s", exe, NCA_BOARD_VBOARD_NAME);
    return 0;
}

void nca_board_options_clear(nca_board_options *o)
{
    memset(o, 0, sizeof *o);
    o->retries = -1;
}

nca_status nca_board_options_set(nca_board_options *o, const char *name, const char *value,
                                 nca_error *err)
{
    char *dst = strcmp(name, "port") == 0      ? o->port
                : strcmp(name, "device") == 0  ? o->device
                : strcmp(name, "vboard") == 0  ? o->vboard
                : strcmp(name, "capture") == 0 ? o->capture
                : strcmp(name, "faults") == 0  ? o->faults
                                               : NULL;
    size_t cap = dst == o->port      ? sizeof o->port
                 : dst == o->device  ? sizeof o->device
                 : dst == o->vboard  ? sizeof o->vboard
                 : dst == o->capture ? sizeof o->capture : sizeof o->faults;
    if (!dst)
        return nca_fail(err, NCA_E_ARG, "board option %s: not a text option", name);
    if (!*value || strlen(value) >= cap)
        return nca_fail(err, NCA_E_ARG, "board option %s: '%.64s%s' is empty or longer than %zu "
                        "bytes", name, value, strlen(value) > 64 ? "..." : "", cap - 1);
    memcpy(dst, value, strlen(value) + 1);
    return NCA_OK;
}

nca_status nca_board_options_parse(const char *kind, const char *text, nca_board_options *o,
                                   nca_error *err)
{
    char buf[1024];
    if (!text)
        text = "";
    if (strlen(text) >= sizeof buf)
        return nca_fail(err, NCA_E_ARG, "board options too long (%zu bytes, at most %zu)",
                        strlen(text), sizeof buf - 1);
    snprintf(buf, sizeof buf, "%s", text);
    int first = 1;
    for (char *save = NULL, *item = strtok_r(buf, ",", &save); item;
         item = strtok_r(NULL, ",", &save), first = 0) {
        char *eq = strchr(item, '=');
        const char *key, *val;
        if (!eq) {
            if (!first)
                return nca_fail(err, NCA_E_ARG, "board option '%s': expected KEY=VALUE", item);
            key = strcmp(kind, "usb") == 0 ? "device" : strcmp(kind, "vboard") == 0 ? "vboard"
                                                                                    : "port";
            val = item;
        } else {
            *eq = '\0';
            key = item;
            val = eq + 1;
        }
        unsigned long v;
        nca_status st;
        if (strcmp(key, "port") == 0 || strcmp(key, "vboard") == 0 || strcmp(key, "device") == 0 ||
            strcmp(key, "capture") == 0 || strcmp(key, "faults") == 0) {
            if (strcmp(key, "faults") == 0 && (st = nca_transport_faults_check(val, err)) != NCA_OK)
                return st;
            if ((st = nca_board_options_set(o, key, val, err)) != NCA_OK)
                return st;
        } else if (strcmp(key, "baud") == 0) {
            if (!parse_num(val, 100000000ul, &v) || v < 300)
                return nca_fail(err, NCA_E_ARG, "bad baud rate '%s' (300..100000000)", val);
            o->baud = (unsigned)v;
        } else if (strcmp(key, "timeout") == 0) {
            if (!parse_num(val, 600000ul, &v) || v == 0)
                return nca_fail(err, NCA_E_ARG, "bad timeout '%s' (1..600000 ms)", val);
            o->timeout_ms = (unsigned)v;
        } else if (strcmp(key, "retries") == 0) {
            if (!parse_num(val, 100ul, &v))
                return nca_fail(err, NCA_E_ARG, "bad retries '%s' (0..100)", val);
            o->retries = (int)v;
        } else {
            return nca_fail(err, NCA_E_ARG,
                            "unknown board option '%s' (port, baud, device, vboard, timeout, "
                            "retries, capture, faults)",
                            key);
        }
    }
    return NCA_OK;
}

/* Defaults, then cfg's text, then cfg's typed options that are set. */
static nca_status resolve_options(const char *kind, const nca_backend_config *cfg,
                                  nca_board_options *o, nca_error *err)
{
    nca_board_options_clear(o);
    nca_status st = nca_board_options_parse(kind, cfg ? cfg->arg : "", o, err);
    if (st != NCA_OK)
        return st;
    const nca_board_options *t = cfg ? cfg->board : NULL;
    if (t) {
        if (t->port[0])
            memcpy(o->port, t->port, sizeof o->port);
        if (t->device[0])
            memcpy(o->device, t->device, sizeof o->device);
        if (t->vboard[0])
            memcpy(o->vboard, t->vboard, sizeof o->vboard);
        if (t->capture[0])
            memcpy(o->capture, t->capture, sizeof o->capture);
        if (t->faults[0])
            memcpy(o->faults, t->faults, sizeof o->faults);
        if (t->baud)
            o->baud = t->baud;
        if (t->timeout_ms)
            o->timeout_ms = t->timeout_ms;
        if (t->retries >= 0)
            o->retries = t->retries;
    }
    if (!o->port[0])
        snprintf(o->port, sizeof o->port, "%s", NCA_BOARD_DEFAULT_PORT);
    if (!o->vboard[0])
        nca_board_vboard_path(o->vboard, sizeof o->vboard);
    if (!o->baud)
        o->baud = NCA_BOARD_DEFAULT_BAUD;
    return NCA_OK;
}

nca_status nca_board_open(const char *kind, const nca_backend_config *cfg, nca_link **out,
                          nca_board_info *info, nca_error *err)
{
    nca_board_options o;
    nca_status st = resolve_options(kind, cfg, &o, err);
    if (st != NCA_OK)
        return st;
    nca_link_config lc;
    nca_link_config_default(&lc);
    nca_transport *t = NULL;
    if (strcmp(kind, "serial") == 0) {
        st = nca_transport_open_serial(&t, o.port, o.baud, err);
    } else if (strcmp(kind, "usb") == 0) {
        st = nca_transport_open_usb(&t, o.device, o.baud, err);
    } else if (strcmp(kind, "vboard") == 0) {
        /* a simulation: clocks are slow, steps take long */
        lc.timeout_ms = 3000;
        lc.step_ms = VBOARD_STEP_MS_MAX;
        st = nca_transport_open_vboard(&t, o.vboard, 30000, err);
    } else {
        return nca_fail(err, NCA_E_ARG, "'%s' is not a board backend (serial, usb, vboard)", kind);
    }
    if (st == NCA_OK && o.faults[0]) /* under the capture: it records what the host saw */
        st = nca_transport_open_faults(&t, t, o.faults, err);
    if (st == NCA_OK && o.capture[0])
        st = nca_transport_open_capture(&t, t, o.capture, err);
    if (st != NCA_OK)
        return st;
    if (o.timeout_ms)
        lc.timeout_ms = o.timeout_ms;
    if (o.retries >= 0)
        lc.retries = (unsigned)o.retries;
    nca_link *l;
    if ((st = nca_link_open(&l, t, &lc, err)) != NCA_OK)
        return st;
    nca_board_info bi;
    st = nca_link_info(l, &bi, err);
    if (st == NCA_OK && bi.version != NCA_LINK_VERSION)
        st = nca_fail(err, NCA_E_DEVICE, "board speaks link protocol version %u, this host %u",
                      bi.version, NCA_LINK_VERSION);
    if (st == NCA_OK && (bi.channels < 4 || bi.channels > NCA_MAX_CHANNELS || bi.width < 3 ||
                         bi.height < 3 || bi.width > NCA_MAX_GRID || bi.height > NCA_MAX_GRID))
        st = nca_fail(err, NCA_E_DEVICE, "board INFO out of range: %ux%u grid, %u channels",
                      bi.width, bi.height, bi.channels);
    if (st == NCA_OK && (bi.flags & 2u)) /* left running by someone else: stop it */
        st = nca_link_stop(l, NULL, err);
    if (st != NCA_OK) {
        nca_link_close(l);
        return st;
    }
    *out = l;
    if (info)
        *info = bi;
    return NCA_OK;
}

/* ---- backend ops -------------------------------------------------------------------------- */
static nca_status open_kind(const char *kind, nca_backend **out,
                            const nca_backend_config *cfg, nca_error *err)
{
    nca_backend *b = calloc(1, sizeof *b);
    if (!b)
        return nca_fail(err, NCA_E_NOMEM, "out of memory");
    nca_status st = nca_board_open(kind, cfg, &b->link, &b->info, err);
    if (st != NCA_OK) {
        free(b);
        return st;
    }
    *out = b;
    return NCA_OK;
}

static nca_status serial_open(nca_backend **out, const nca_backend_config *cfg,
                          nca_error *err)
{
    return open_kind("serial", out, cfg, err);
}
static nca_status usb_open(nca_backend **out, const nca_backend_config *cfg,
                          nca_error *err)
{
    return open_kind("usb", out, cfg, err);
}
static nca_status vboard_open(nca_backend **out, const nca_backend_config *cfg,
                          nca_error *err)
{
    return open_kind("vboard", out, cfg, err);
}

/* Ends a free run: STOP answers after the step in progress, with the board's step count. */
static nca_status board_halt(nca_backend *b, nca_error *err)
{
    if (!b->running)
        return NCA_OK;
    nca_board_stats s;
    b->running = 0;
    nca_status st = nca_link_stop(b->link, &s, err);
    if (st == NCA_OK)
        b->steps = s.steps;
    return st;
}

#define HALT(b, err)                                                                           \
    do {                                                                                       \
        nca_status halt_st_ = board_halt(b, err);                                              \
        if (halt_st_ != NCA_OK)                                                                \
            return halt_st_;                                                                   \
    } while (0)

static void board_close(nca_backend *b)
{
    if (b) {
        nca_error e;
        (void)board_halt(b, &e); /* leave the board idle; a lost link is closed all the same */
        nca_link_close(b->link);
        free(b->scratch);
        free(b);
    }
}

static nca_status board_load(nca_backend *b, const nca_model *m, unsigned width,
                             unsigned height, uint32_t seed, unsigned boundary, nca_error *err)
{
    nca_status st = nca_model_validate(m, err);
    if (st != NCA_OK)
        return st;
    if (boundary > NCA_BOUNDARY_WRAP)
        return nca_fail(err, NCA_E_ARG, "boundary %u unknown", boundary);
    HALT(b, err);
    const nca_board_info *i = &b->info;
    if (width != i->width || height != i->height)
        return nca_fail(err, NCA_E_ARG, "grid %ux%u does not match the board's %ux%u (--grid %ux%u)",
                        width, height, i->width, i->height, i->width, i->height);
    if (m->channels != i->channels)
        return nca_fail(err, NCA_E_ARG, "model has %u channels, the board's build %u",
                        m->channels, i->channels);
    if (m->hidden > i->hidden)
        return nca_fail(err, NCA_E_ARG, "model has %u hidden units, the board holds at most %u",
                        m->hidden, i->hidden);
    int16_t *scratch = malloc((size_t)width * height * m->channels * sizeof *scratch);
    if (!scratch)
        return nca_fail(err, NCA_E_NOMEM, "out of memory");
    b->loaded = 0;
    if ((st = nca_link_load_model(b->link, m, err)) == NCA_OK &&
        (st = nca_link_set(b->link, NCA_REG_SEED, seed, err)) == NCA_OK &&
        (st = nca_link_set(b->link, NCA_REG_BOUNDARY, boundary, err)) == NCA_OK &&
        (st = nca_link_set(b->link, NCA_REG_STEPS, 0, err)) == NCA_OK)
        st = nca_link_clear(b->link, err);
    if (st != NCA_OK) {
        free(scratch);
        return st;
    }
    free(b->scratch);
    b->scratch = scratch;
    b->width = width;
    b->height = height;
    b->channels = m->channels;
    b->state_frac = m->state_frac;
    b->steps = 0;
    b->loaded = 1;
    return NCA_OK;
}

#define NEED_LOADED(b, err)                                                                    \
    do {                                                                                       \
        if (!(b)->loaded)                                                                      \
            return nca_fail(err, NCA_E_ARG, "no model loaded");                                \
    } while (0)

static nca_status board_seed(nca_backend *b, unsigned x, unsigned y, nca_error *err)
{
    NEED_LOADED(b, err);
    HALT(b, err);
    if (x >= b->width || y >= b->height)
        return nca_fail(err, NCA_E_RANGE, "seed cell (%u,%u) outside the %ux%u grid", x, y,
                        b->width, b->height);
    return nca_link_seed(b->link, x, y, err);
}

static nca_status board_damage(nca_backend *b, const nca_damage *d, nca_error *err)
{
    NEED_LOADED(b, err);
    HALT(b, err);
    return nca_link_damage(b->link, d, err);
}

static nca_status board_step(nca_backend *b, unsigned n, nca_step_stats *st, nca_error *err)
{
    NEED_LOADED(b, err);
    HALT(b, err);
    while (n > 0) {
        uint32_t k = n > (1u << 24) ? 1u << 24 : n;
        nca_board_stats s;
        nca_status rc = nca_link_step(b->link, k, &s, err);
        if (rc != NCA_OK)
            return rc;
        b->steps += k;
        n -= k;
        if (st && n == 0) {
            st->pre_alive = s.pre_alive;
            st->active = s.active;
            st->alive = NCA_STAT_UNKNOWN; /* STATS does not carry it */
        }
    }
    return NCA_OK;
}

static nca_status board_read_state(nca_backend *b, int16_t *s, nca_error *err)
{
    NEED_LOADED(b, err);
    HALT(b, err);
    return nca_link_read_state(b->link, 0, b->height, b->width, b->channels, s, err);
}

static nca_status board_write_state(nca_backend *b, const int16_t *s, uint32_t steps_done,
                                    nca_error *err)
{
    NEED_LOADED(b, err);
    HALT(b, err);
    nca_status st = nca_link_write_state(b->link, 0, b->height, b->width, b->channels, s, err);
    if (st == NCA_OK)
        st = nca_link_set(b->link, NCA_REG_STEPS, steps_done, err);
    if (st == NCA_OK)
        b->steps = steps_done;
    return st;
}

static nca_status board_read_rgba(nca_backend *b, float *rgba, nca_error *err)
{
    NEED_LOADED(b, err);
    nca_status st = board_read_state(b, b->scratch, err);
    if (st != NCA_OK)
        return st;
    const size_t n = (size_t)b->width * b->height;
    const double unit = ldexp(1.0, -(int)b->state_frac);
    for (size_t i = 0; i < n; i++)
        for (unsigned c = 0; c < 4; c++)
            rgba[i * 4 + c] = (float)(b->scratch[i * b->channels + c] * unit);
    return NCA_OK;
}

static nca_status board_read_frame(nca_backend *b, uint8_t *rgba, nca_error *err)
{
    NEED_LOADED(b, err);
    HALT(b, err);
    return nca_link_read_frame(b->link, rgba, b->width, b->height, err);
}

static uint32_t board_steps_done(const nca_backend *b)
{
    return b->steps;
}

static nca_status board_run_frame(nca_backend *b, unsigned k, uint32_t limit,
                                  unsigned timeout_ms, uint8_t *rgba, int *got, nca_error *err)
{
    NEED_LOADED(b, err);
    *got = 0;
    if (k == 0 || k > 0xFFFFu)
        return nca_fail(err, NCA_E_ARG, "a frame every %u steps (1..65535)", k);
    uint32_t end = limit ? b->steps + limit : 0;
    if (b->running && (b->run_k != k || b->run_end != end))
        HALT(b, err);
    if (!b->running) {
        end = limit ? b->steps + limit : 0;
        nca_status st = nca_link_run(b->link, k, limit, err);
        if (st != NCA_OK)
            return st;
        b->running = 1;
        b->run_k = k;
        b->run_end = end;
        b->run_seq = 0;
    }
    uint8_t seq = 0;
    nca_status st = nca_link_next_frame(b->link, timeout_ms, rgba, b->width, b->height, got,
                                        &seq, err);
    if (st != NCA_OK || !*got)
        return st;
    /* a skipped sequence number: frames (k steps each) lost on the way */
    uint32_t frames = (uint8_t)(seq - b->run_seq) + 1u;
    b->frames_dropped += frames - 1u;
    b->run_seq = (uint8_t)(seq + 1u);
    uint64_t steps = (uint64_t)b->steps + (uint64_t)frames * k;
    if (b->run_end && steps >= b->run_end) {
        steps = b->run_end; /* the last frame of a limited run; the board stopped itself */
        b->running = 0;
    }
    b->steps = (uint32_t)steps;
    return NCA_OK;
}

static uint64_t board_frames_lost(const nca_backend *b)
{
    return b->frames_dropped;
}

static unsigned board_step_ms_max(const nca_backend *b)
{
    (void)b;
    return BOARD_STEP_MS_MAX;
}

static unsigned vboard_step_ms_max(const nca_backend *b)
{
    (void)b;
    return VBOARD_STEP_MS_MAX;
}

const nca_backend_ops nca_backend_serial_ops = {
    "serial", "a board on a serial port (--port, --baud; the link protocol)",
    serial_open, board_close, board_load, board_seed, board_damage, board_step,
    board_read_state, board_write_state, board_read_rgba, board_read_frame, board_steps_done,
    board_run_frame, board_frames_lost, board_step_ms_max};

const nca_backend_ops nca_backend_usb_ops = {
    "usb", "a board's FTDI UART through libftdi1 (iCEBreaker 0403:6010 B, ULX3S 0403:6015)",
    usb_open, board_close, board_load, board_seed, board_damage, board_step,
    board_read_state, board_write_state, board_read_rgba, board_read_frame, board_steps_done,
    board_run_frame, board_frames_lost, board_step_ms_max};

const nca_backend_ops nca_backend_vboard_ops = {
    "vboard", "the Verilated board behind a pty (--vboard; bit-exact RTL, slow)",
    vboard_open, board_close, board_load, board_seed, board_damage, board_step,
    board_read_state, board_write_state, board_read_rgba, board_read_frame, board_steps_done,
    board_run_frame, board_frames_lost, vboard_step_ms_max};

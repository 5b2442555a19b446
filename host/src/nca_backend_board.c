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

typedef struct board_opts {
    char port[256], device[64], vboard[256];
    unsigned baud, timeout_ms, retries;
} board_opts;

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

static nca_status parse_options(const char *kind, const char *options, board_opts *o,
                                nca_error *err)
{
    memset(o, 0, sizeof *o);
    snprintf(o->port, sizeof o->port, "%s", NCA_BOARD_DEFAULT_PORT);
    nca_board_vboard_path(o->vboard, sizeof o->vboard);
    o->baud = NCA_BOARD_DEFAULT_BAUD;
    char buf[1024];
    if (!options)
        options = "";
    if (strlen(options) >= sizeof buf)
        return nca_fail(err, NCA_E_ARG, "board options too long");
    snprintf(buf, sizeof buf, "%s", options);
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
        if (strcmp(key, "port") == 0 || strcmp(key, "vboard") == 0 || strcmp(key, "device") == 0) {
            char *dst = key[0] == 'p' ? o->port : key[0] == 'v' ? o->vboard : o->device;
            size_t cap = key[0] == 'd' ? sizeof o->device : sizeof o->port;
            if (!*val || strlen(val) >= cap)
                return nca_fail(err, NCA_E_ARG, "board option %s: bad value '%s'", key, val);
            memcpy(dst, val, strlen(val) + 1);
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
            o->retries = (unsigned)v + 1; /* 0 means "default" below */
        } else {
            return nca_fail(err, NCA_E_ARG,
                            "unknown board option '%s' (port, baud, device, vboard, timeout, "
                            "retries)",
                            key);
        }
    }
    return NCA_OK;
}

nca_status nca_board_open(const char *kind, const char *options, nca_link **out,
                          nca_board_info *info, nca_error *err)
{
    board_opts o;
    nca_status st = parse_options(kind, options, &o, err);
    if (st != NCA_OK)
        return st;
    nca_link_config cfg;
    nca_link_config_default(&cfg);
    nca_transport *t = NULL;
    if (strcmp(kind, "serial") == 0) {
        st = nca_transport_open_serial(&t, o.port, o.baud, err);
    } else if (strcmp(kind, "usb") == 0) {
        st = nca_transport_open_usb(&t, o.device, o.baud, err);
    } else if (strcmp(kind, "vboard") == 0) {
        /* a simulation: clocks are slow, steps take long */
        cfg.timeout_ms = 3000;
        cfg.step_ms = 10000;
        st = nca_transport_open_vboard(&t, o.vboard, 30000, err);
    } else {
        return nca_fail(err, NCA_E_ARG, "'%s' is not a board backend (serial, usb, vboard)", kind);
    }
    if (st != NCA_OK)
        return st;
    if (o.timeout_ms)
        cfg.timeout_ms = o.timeout_ms;
    if (o.retries)
        cfg.retries = o.retries - 1;
    nca_link *l;
    if ((st = nca_link_open(&l, t, &cfg, err)) != NCA_OK)
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

void nca_board_info_print(const nca_board_info *i, void *file)
{
    FILE *f = file;
    fprintf(f, "board:       %s (%u)\n", nca_board_name(i->board), i->board);
    fprintf(f, "protocol:    %u\n", i->version);
    fprintf(f, "grid:        %ux%u\n", i->width, i->height);
    fprintf(f, "channels:    %u\nhidden:      %u (most the build holds)\n", i->channels,
            i->hidden);
    fprintf(f, "lanes:       %u\ncore:        %u\n", i->lanes, i->core);
    fprintf(f, "clock:       %u Hz\nbaud:        %u\n", i->clock_hz, i->baud);
    fprintf(f, "build:       %08x%s\n", i->build_id, i->build_id ? "" : " (dirty or simulated)");
    fprintf(f, "model:       %s\nrunning:     %s\n", i->flags & 1u ? "loaded" : "none",
            i->flags & 2u ? "yes" : "no");
}

/* ---- backend ops -------------------------------------------------------------------------- */
static nca_status open_kind(const char *kind, nca_backend **out, const char *arg,
                            nca_error *err)
{
    nca_backend *b = calloc(1, sizeof *b);
    if (!b)
        return nca_fail(err, NCA_E_NOMEM, "out of memory");
    nca_status st = nca_board_open(kind, arg, &b->link, &b->info, err);
    if (st != NCA_OK) {
        free(b);
        return st;
    }
    *out = b;
    return NCA_OK;
}

static nca_status serial_open(nca_backend **out, const char *arg, nca_error *err)
{
    return open_kind("serial", out, arg, err);
}
static nca_status usb_open(nca_backend **out, const char *arg, nca_error *err)
{
    return open_kind("usb", out, arg, err);
}
static nca_status vboard_open(nca_backend **out, const char *arg, nca_error *err)
{
    return open_kind("vboard", out, arg, err);
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

const nca_backend_ops nca_backend_serial_ops = {
    "serial", "a board on a serial port (--port, --baud; the link protocol)",
    serial_open, board_close, board_load, board_seed, board_damage, board_step,
    board_read_state, board_write_state, board_read_rgba, board_read_frame, board_steps_done,
    board_run_frame};

const nca_backend_ops nca_backend_usb_ops = {
    "usb", "a board's FTDI UART through libftdi1 (iCEBreaker 0403:6010 B, ULX3S 0403:6015)",
    usb_open, board_close, board_load, board_seed, board_damage, board_step,
    board_read_state, board_write_state, board_read_rgba, board_read_frame, board_steps_done,
    board_run_frame};

const nca_backend_ops nca_backend_vboard_ops = {
    "vboard", "the Verilated board behind a pty (--vboard; bit-exact RTL, slow)",
    vboard_open, board_close, board_load, board_seed, board_damage, board_step,
    board_read_state, board_write_state, board_read_rgba, board_read_frame, board_steps_done,
    board_run_frame};

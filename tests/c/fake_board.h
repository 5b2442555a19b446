/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fake_board.h - a board emulator behind an in-process transport, for test_link.c: the C
 * model behind the link protocol (docs/protocol.md) on a EW x EH grid, answering at once,
 * with knobs to lose requests and answers, corrupt answers, resend stale ones and put
 * garbage on the line. fake_link() opens an nca_link to a fresh one. Header-only (static
 * functions), like test_util.h; include it after test_util.h.
 */
#ifndef FAKE_BOARD_H
#define FAKE_BOARD_H

#include "nca_bytes.h"
#include "nca_link.h"

#define EW 32
#define EH 24

typedef struct fake_board {
    nca_decoder *req;       /* request decoder (4,104-byte bound, as the board) */
    uint8_t *out;           /* bytes waiting for the host */
    size_t out_len, out_cap, out_pos;
    uint8_t *model_buf;     /* LOAD_MODEL bytes so far */
    size_t model_len;
    int loaded;
    nca_model *m;
    nca_grid g;
    nca_workspace ws;
    int have_grid;
    nca_step_stats last;
    uint64_t clocks;
    int running;
    unsigned run_k;
    uint32_t run_left, frames;
    /* fault injection */
    int drop_requests, drop_answers, flip_answers, stale_answers, garbage;
    tu_rng rng;
    /* log */
    unsigned n_req[256];
    int last_seq[256];
    int repeated_seq; /* a request arrived with the previous one's sequence number */
    uint64_t steps_run;
} fake_board;

static void fb_emit(fake_board *f, const uint8_t *p, size_t n)
{
    if (f->out_len + n > f->out_cap) {
        f->out_cap = (f->out_len + n) * 2;
        f->out = realloc(f->out, f->out_cap);
        assert_non_null(f->out);
    }
    memcpy(f->out + f->out_len, p, n);
    f->out_len += n;
}

static void fb_packet(fake_board *f, uint8_t cmd, uint8_t seq, const uint8_t *pl, size_t n)
{
    uint8_t *pk = malloc(n + NCA_LINK_OVERHEAD);
    assert_non_null(pk);
    size_t len = nca_packet_encode(pk, n + NCA_LINK_OVERHEAD, cmd, seq, pl, n);
    assert_int_equal(len, n + NCA_LINK_OVERHEAD);
    for (int g = f->garbage; g > 0; g--) {
        uint8_t b = (uint8_t)tu_next(&f->rng);
        fb_emit(f, &b, 1);
    }
    if (f->flip_answers > 0 && cmd != NCA_CMD_EVENT_FRAME) {
        f->flip_answers--;
        pk[(size_t)tu_range(&f->rng, 6, (int64_t)len - 1)] ^= 0x10; /* payload or CRC */
    }
    fb_emit(f, pk, len);
    free(pk);
}

static void fb_stats(const fake_board *f, uint8_t *p)
{
    memset(p, 0, 28);
    uint32_t v[4] = {f->have_grid ? f->g.step : 0, 1000, f->last.pre_alive, f->last.active};
    for (int i = 0; i < 4; i++)
        for (int b = 0; b < 4; b++)
            p[i * 4 + b] = (uint8_t)(v[i] >> (8 * b));
    for (int b = 0; b < 8; b++)
        p[16 + b] = (uint8_t)(f->clocks >> (8 * b));
    p[26] = (uint8_t)(f->loaded | (f->running << 1));
}

static void fb_frame(fake_board *f, uint8_t *p, size_t *n)
{
    uint8_t *px = malloc(EW * EH * 4);
    assert_non_null(px);
    nca_frame_rgba(&f->g, 0, px);
    p[0] = 0;
    p[1] = 1;
    p[2] = EW;
    p[3] = 0;
    p[4] = EH;
    p[5] = 0;
    *n = 6 + nca_rle_encode(px, EW * EH, p + 6, 65535 - 6);
    free(px);
}

static void fb_step(fake_board *f)
{
    nca_step_fixed(f->m, &f->g, &f->ws, &f->last);
    f->clocks += 1000;
    f->steps_run++;
}

static void fb_request(fake_board *f, const nca_packet *p)
{
    uint8_t a[65535];
    size_t n = 1;
    a[0] = NCA_LS_OK;
    const uint8_t *q = p->payload;
    f->n_req[p->cmd]++;
    if (f->last_seq[p->cmd] == p->seq)
        f->repeated_seq++;
    f->last_seq[p->cmd] = p->seq;
    if (f->drop_requests > 0) {
        f->drop_requests--;
        return;
    }
    if (f->running && p->cmd != NCA_CMD_INFO && p->cmd != NCA_CMD_STATS &&
        p->cmd != NCA_CMD_STOP) {
        a[0] = NCA_LS_BUSY;
        goto answer;
    }
#define LEN(k)                                                                                 \
    if (p->len != (k)) {                                                                       \
        a[0] = NCA_LS_BAD_LEN;                                                                 \
        break;                                                                                 \
    }
    switch (p->cmd) {
    case NCA_CMD_INFO: {
        LEN(0);
        uint8_t i[36] = {'N', 'C', 'A', 'B', 1, (uint8_t)(f->loaded | f->running << 1), EW, 0,
                         EH, 0, 16, 128, 16, 0};
        memcpy(a + 1, i, 36);
        n = 37;
        break;
    }
    case NCA_CMD_LOAD_MODEL: {
        if (p->len < 5) {
            a[0] = NCA_LS_BAD_LEN;
            break;
        }
        uint32_t off = nca_rd32(q);
        if (off == 0) {
            f->model_len = 0;
            f->loaded = 0;
        }
        if (off != f->model_len) {
            a[0] = NCA_LS_BAD_MODEL;
            a[1] = 5;
            n = 2;
            break;
        }
        memcpy(f->model_buf + f->model_len, q + 4, p->len - 4u);
        f->model_len += p->len - 4u;
        if (f->model_len >= 12 && f->model_len == nca_rd32(f->model_buf + 8)) {
            nca_error e;
            if (nca_model_parse(f->model_buf, f->model_len, f->m, &e) != NCA_OK) {
                a[0] = NCA_LS_BAD_MODEL;
                a[1] = 1;
                n = 2;
                break;
            }
            if (f->have_grid) {
                nca_workspace_free(&f->ws);
                nca_grid_free(&f->g);
            }
            tu_grid(&f->g, f->m, EW, EH, 0, 0);
            tu_workspace(&f->ws, &f->g);
            f->have_grid = 1;
            f->loaded = 1;
        }
        break;
    }
    case NCA_CMD_SET:
        LEN(5);
        if (!f->have_grid) {
            a[0] = NCA_LS_NO_MODEL;
            break;
        }
        if (q[0] == 0)
            f->g.seed = nca_rd32(q + 1);
        else if (q[0] == 1)
            f->g.step = nca_rd32(q + 1);
        else if (q[0] == 2)
            f->g.boundary = (uint8_t)nca_rd32(q + 1);
        else
            a[0] = NCA_LS_BAD_ARG;
        break;
    case NCA_CMD_CLEAR:
        LEN(0);
        nca_grid_clear(&f->g);
        break;
    case NCA_CMD_SEED: {
        LEN(4);
        nca_error e;
        if (nca_grid_seed(&f->g, nca_rd16(q), nca_rd16(q + 2), &e) != NCA_OK)
            a[0] = NCA_LS_BAD_ARG;
        break;
    }
    case NCA_CMD_DAMAGE: {
        LEN(7);
        nca_damage d = {(nca_damage_kind)q[0], nca_rd16(q + 1), nca_rd16(q + 3), nca_rd16(q + 5)};
        nca_grid_damage(&f->g, &d);
        break;
    }
    case NCA_CMD_STEP: {
        LEN(4);
        if (!f->loaded) {
            a[0] = NCA_LS_NO_MODEL;
            break;
        }
        for (uint32_t k = nca_rd32(q); k > 0; k--)
            fb_step(f);
        fb_stats(f, a + 1);
        n = 29;
        break;
    }
    case NCA_CMD_RUN:
        LEN(6);
        if (!f->loaded) {
            a[0] = NCA_LS_NO_MODEL;
            break;
        }
        f->running = 1;
        f->run_k = nca_rd16(q);
        f->run_left = nca_rd32(q + 2);
        break;
    case NCA_CMD_STOP:
        LEN(0);
        f->running = 0;
        fb_stats(f, a + 1);
        n = 29;
        break;
    case NCA_CMD_STATS:
        LEN(0);
        fb_stats(f, a + 1);
        n = 29;
        break;
    case NCA_CMD_READ_FRAME:
        LEN(0);
        fb_frame(f, a, &n);
        break;
    case NCA_CMD_READ_STATE: {
        LEN(4);
        unsigned r0 = nca_rd16(q), rows = nca_rd16(q + 2);
        size_t bytes = (size_t)rows * EW * 16 * 2;
        if (r0 + rows > EH || bytes > 65534) {
            a[0] = NCA_LS_BAD_ARG;
            break;
        }
        const int16_t *s = f->g.s + (size_t)r0 * EW * 16;
        for (size_t i = 0; i < bytes / 2; i++) {
            a[1 + 2 * i] = (uint8_t)s[i];
            a[2 + 2 * i] = (uint8_t)((uint16_t)s[i] >> 8);
        }
        n = 1 + bytes;
        break;
    }
    case NCA_CMD_WRITE_STATE: {
        if (p->len < 4) {
            a[0] = NCA_LS_BAD_LEN;
            break;
        }
        unsigned r0 = nca_rd16(q), rows = nca_rd16(q + 2);
        size_t bytes = (size_t)rows * EW * 16 * 2;
        if (r0 + rows > EH || bytes > 4096) {
            a[0] = NCA_LS_BAD_ARG;
            break;
        }
        LEN(4 + bytes);
        int16_t *s = f->g.s + (size_t)r0 * EW * 16;
        for (size_t i = 0; i < bytes / 2; i++)
            s[i] = (int16_t)nca_rd16(q + 4 + 2 * i);
        break;
    }
    default:
        a[0] = NCA_LS_BAD_CMD;
    }
#undef LEN
answer:
    if (a[0] != NCA_LS_OK && !(a[0] == NCA_LS_BAD_MODEL) && n > 1)
        n = 1;
    if (f->drop_answers > 0) {
        f->drop_answers--;
        return;
    }
    if (f->stale_answers > 0) {
        f->stale_answers--;
        uint8_t junk[1] = {0};
        fb_packet(f, (uint8_t)(p->cmd | 0x80), (uint8_t)(p->seq - 1), junk, 1);
        fb_packet(f, (uint8_t)((p->cmd ^ 0x40) | 0x80), p->seq, junk, 1);
    }
    fb_packet(f, (uint8_t)(p->cmd | 0x80), p->seq, a, n);
}

static nca_status fb_write(nca_transport *t, const uint8_t *buf, size_t n, nca_error *err)
{
    (void)err;
    fake_board *f = t->ctx;
    size_t pos = 0;
    while (pos < n) {
        nca_packet p;
        int got;
        pos += nca_decoder_feed(f->req, buf + pos, n - pos, &p, &got);
        if (got)
            fb_request(f, &p);
    }
    return NCA_OK;
}

static nca_status fb_read(nca_transport *t, uint8_t *buf, size_t cap, size_t *got,
                          unsigned timeout_ms, nca_error *err)
{
    (void)timeout_ms;
    (void)err;
    fake_board *f = t->ctx;
    if (f->out_pos == f->out_len && f->running) { /* the free-running board: one frame */
        unsigned k = f->run_k;
        if (f->run_left && k > f->run_left)
            k = f->run_left;
        for (unsigned i = 0; i < k; i++)
            fb_step(f);
        if (f->run_left) {
            f->run_left -= k;
            if (f->run_left == 0)
                f->running = 0;
        }
        uint8_t *a = malloc(65535);
        size_t n;
        assert_non_null(a);
        fb_frame(f, a, &n);
        fb_packet(f, NCA_CMD_EVENT_FRAME, (uint8_t)f->frames++, a, n);
        free(a);
    }
    size_t k = f->out_len - f->out_pos;
    if (k > cap)
        k = cap;
    /* hand out odd-sized pieces to exercise reassembly */
    if (k > 1000)
        k = 1000 + (size_t)tu_range(&f->rng, 0, 300);
    if (k > f->out_len - f->out_pos)
        k = f->out_len - f->out_pos;
    if (k)
        memcpy(buf, f->out + f->out_pos, k);
    f->out_pos += k;
    if (f->out_pos == f->out_len)
        f->out_pos = f->out_len = 0;
    *got = k;
    return NCA_OK;
}

static nca_status fb_flush(nca_transport *t, nca_error *err)
{
    (void)err;
    fake_board *f = t->ctx;
    f->out_pos = f->out_len = 0;
    return NCA_OK;
}

static void fb_close(nca_transport *t)
{
    fake_board *f = t->ctx;
    if (f->have_grid) {
        nca_workspace_free(&f->ws);
        nca_grid_free(&f->g);
    }
    free(f->req);
    free(f->out);
    free(f->model_buf);
    free(f->m);
    free(f);
    free(t);
}

/* A link to a fresh emulated board (short timeouts: the emulator answers at once). */
static nca_link *fake_link(fake_board **fb_out)
{
    fake_board *f = calloc(1, sizeof *f);
    nca_transport *t = calloc(1, sizeof *t);
    assert_true(f && t);
    f->req = malloc(sizeof *f->req);
    assert_non_null(f->req);
    nca_decoder_init(f->req, NCA_LINK_MAX_REQUEST);
    f->model_buf = malloc(1 << 20);
    f->m = malloc(sizeof *f->m);
    assert_true(f->model_buf && f->m);
    f->rng.s = 31337;
    for (int i = 0; i < 256; i++)
        f->last_seq[i] = -1;
    t->name = "fake";
    t->write = fb_write;
    t->read = fb_read;
    t->flush = fb_flush;
    t->close = fb_close;
    t->ctx = f;
    nca_link_config cfg = {20, 5, 3};
    nca_link *l;
    nca_error e;
    assert_int_equal(nca_link_open(&l, t, &cfg, &e), NCA_OK);
    *fb_out = f;
    return l;
}

#endif

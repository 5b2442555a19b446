/* SPDX-License-Identifier: Apache-2.0 */
/* nca_link.c - link protocol v1, host side: the session over a transport (requests with
 * retries and timeouts, RUN's FRAME events) and the commands. The packet codec is
 * nca_packet.c. */
#include "nca_bytes.h"
#include "nca_link.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

/* ---- the link ----------------------------------------------------------------------------- */
struct nca_link {
    nca_transport *t;
    nca_link_config cfg;
    uint8_t seq;
    nca_link_counters c;
    int steps_known;   /* steps_done below is the board's count */
    uint32_t steps_done;
    size_t rx_pos, rx_have;
    uint8_t rx[4096];
    uint8_t tx[NCA_LINK_OVERHEAD + NCA_LINK_MAX_REQUEST];
    uint8_t ans[NCA_LINK_MAX_ANSWER];
    nca_decoder dec;
};

void nca_link_config_default(nca_link_config *c)
{
    c->timeout_ms = 500;
    c->step_ms = 50;
    c->retries = 3;
}

nca_status nca_link_open(nca_link **out, nca_transport *t, const nca_link_config *cfg,
                         nca_error *err)
{
    nca_link *l = calloc(1, sizeof *l);
    if (!l) {
        nca_transport_close(t);
        return nca_fail(err, NCA_E_NOMEM, "out of memory");
    }
    l->t = t;
    if (cfg)
        l->cfg = *cfg;
    else
        nca_link_config_default(&l->cfg);
    if (l->cfg.timeout_ms == 0)
        l->cfg.timeout_ms = 1;
    nca_decoder_init(&l->dec, NCA_LINK_MAX_ANSWER);
    *out = l;
    return NCA_OK;
}

void nca_link_close(nca_link *l)
{
    if (l) {
        nca_transport_close(l->t);
        free(l);
    }
}

const nca_link_counters *nca_link_get_counters(const nca_link *l)
{
    return &l->c;
}

const nca_decoder *nca_link_decoder(const nca_link *l)
{
    return &l->dec;
}

static uint64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* Next checked packet, waiting until `quiet_ms` pass without a byte (and never past
 * hard_deadline). *got = 0 on timeout; a half-received packet is then given up. */
static nca_status recv_packet(nca_link *l, unsigned quiet_ms, uint64_t hard_deadline,
                              nca_packet *pkt, int *got, nca_error *err)
{
    /* A candidate packet is given up only when the line has been quiet for quiet_ms; at the
     * hard deadline with bytes still flowing it stays in the decoder for the next call. */
    uint64_t quiet_until = now_ms() + quiet_ms;
    for (;;) {
        size_t used = nca_decoder_feed(&l->dec, l->rx + l->rx_pos, l->rx_have - l->rx_pos, pkt, got);
        l->rx_pos += used;
        if (*got)
            return NCA_OK;
        uint64_t now = now_ms();
        if (now >= quiet_until || now >= hard_deadline) {
            if (now >= quiet_until && nca_decoder_busy(&l->dec)) {
                nca_decoder_gap(&l->dec); /* rescan what is held after the candidate's A5 */
                size_t u2 = nca_decoder_feed(&l->dec, NULL, 0, pkt, got);
                (void)u2;
                if (*got)
                    return NCA_OK;
                if (nca_decoder_busy(&l->dec) && now < hard_deadline)
                    continue;
            }
            *got = 0;
            return NCA_OK;
        }
        size_t n = 0;
        uint64_t until = quiet_until < hard_deadline ? quiet_until : hard_deadline;
        l->rx_pos = l->rx_have = 0;
        nca_status st = l->t->read(l->t, l->rx, sizeof l->rx, &n, (unsigned)(until - now), err);
        if (st != NCA_OK)
            return st;
        if (n) {
            l->rx_have = n;
            quiet_until = now_ms() + quiet_ms; /* bytes keep coming: wait on */
        }
    }
}

/* One request with up to `tries` sends; the answer goes to ans. */
static nca_status transact_t(nca_link *l, uint8_t cmd, const uint8_t *payload, size_t n,
                             unsigned timeout_ms, unsigned tries, uint8_t *ans, size_t cap,
                             size_t *ans_len, int seq_in, int *no_answer, nca_error *err)
{
    *no_answer = 0;
    if (n > NCA_LINK_MAX_REQUEST)
        return nca_fail(err, NCA_E_ARG, "%s: payload of %zu bytes over the %u-byte bound",
                        nca_link_cmd_name(cmd), n, NCA_LINK_MAX_REQUEST);
    uint8_t seq = seq_in >= 0 ? (uint8_t)seq_in : l->seq++;
    size_t len = nca_packet_encode(l->tx, sizeof l->tx, cmd, seq, payload, n);
    l->c.requests++;
    /* a byte stream that never goes quiet must not hold the host forever */
    const uint64_t hard_ms = (uint64_t)timeout_ms * 4u + 120000u;
    for (unsigned attempt = 0; attempt < tries; attempt++) {
        if (attempt)
            l->c.resends++;
        nca_status st = l->t->write(l->t, l->tx, len, err);
        if (st != NCA_OK)
            return st;
        const uint64_t hard_deadline = now_ms() + hard_ms;
        for (;;) {
            nca_packet p;
            int got = 0;
            st = recv_packet(l, timeout_ms, hard_deadline, &p, &got, err);
            if (st != NCA_OK)
                return st;
            if (!got) {
                l->c.timeouts++;
                break;
            }
            if (p.cmd == (uint8_t)(cmd | NCA_CMD_ANSWER) && p.seq == seq) {
                if (p.len == 0)
                    return nca_link_answer_error(cmd, p.payload, 0, err);
                if (p.len > cap)
                    return nca_fail(err, NCA_E_DEVICE,
                                    "%s: answer of %u bytes, expected at most %zu",
                                    nca_link_cmd_name(cmd), p.len, cap);
                memcpy(ans, p.payload, p.len);
                *ans_len = p.len;
                return NCA_OK;
            }
            if (p.cmd == NCA_CMD_EVENT_FRAME)
                l->c.events_dropped++;
            else
                l->c.stale++;
        }
    }
    *no_answer = 1;
    return nca_fail(err, NCA_E_DEVICE, "no answer from the board to %s (%u tr%s, %u ms each)",
                    nca_link_cmd_name(cmd), tries, tries == 1 ? "y" : "ies", timeout_ms);
}

static nca_status transact(nca_link *l, uint8_t cmd, const uint8_t *payload, size_t n,
                           unsigned timeout_ms, unsigned tries, uint8_t *ans, size_t cap,
                           size_t *ans_len, nca_error *err)
{
    int no_answer;
    return transact_t(l, cmd, payload, n, timeout_ms, tries, ans, cap, ans_len, -1, &no_answer,
                      err);
}

nca_status nca_link_request(nca_link *l, uint8_t cmd, const uint8_t *payload, size_t n,
                            unsigned timeout_ms, uint8_t *ans, size_t cap, size_t *ans_len,
                            nca_error *err)
{
    return transact(l, cmd, payload, n, timeout_ms ? timeout_ms : l->cfg.timeout_ms,
                    l->cfg.retries + 1, ans, cap, ans_len, err);
}

/* A request answered with OK and exactly `want` bytes after the status (-1: any). */
static nca_status simple(nca_link *l, uint8_t cmd, const uint8_t *payload, size_t n, long want,
                         size_t *got_len, nca_error *err)
{
    size_t len = 0;
    nca_status st = transact(l, cmd, payload, n, l->cfg.timeout_ms, l->cfg.retries + 1, l->ans,
                             sizeof l->ans, &len, err);
    if (st != NCA_OK)
        return st;
    if (l->ans[0] != NCA_LS_OK)
        return nca_link_answer_error(cmd, l->ans, len, err);
    if (want >= 0 && len != (size_t)want + 1)
        return nca_fail(err, NCA_E_DEVICE, "%s: answer of %zu bytes, expected %ld",
                        nca_link_cmd_name(cmd), len, want + 1);
    if (got_len)
        *got_len = len;
    return NCA_OK;
}

/* ---- commands ----------------------------------------------------------------------------- */
nca_status nca_link_info(nca_link *l, nca_board_info *out, nca_error *err)
{
    size_t len = 0;
    nca_status st = simple(l, NCA_CMD_INFO, NULL, 0, -1, &len, err);
    if (st != NCA_OK)
        return st;
    return nca_board_info_parse(l->ans + 1, len - 1, out, err);
}

nca_status nca_link_load_model_bytes(nca_link *l, const uint8_t *file, size_t len,
                                     nca_error *err)
{
    uint8_t req[4 + NCA_LINK_CHUNK];
    if (len == 0 || len > 0xFFFFFFFFu)
        return nca_fail(err, NCA_E_ARG, "LOAD_MODEL: model of %zu bytes", len);
    l->steps_known = 0;
    int restarted = 0;
    for (size_t off = 0; off < len;) {
        size_t k = len - off < NCA_LINK_CHUNK ? len - off : NCA_LINK_CHUNK;
        nca_wr32(req, (uint32_t)off);
        memcpy(req + 4, file + off, k);
        uint64_t resends = l->c.resends;
        size_t alen = 0;
        nca_status st = transact(l, NCA_CMD_LOAD_MODEL, req, 4 + k, l->cfg.timeout_ms,
                                 l->cfg.retries + 1, l->ans, sizeof l->ans, &alen, err);
        if (st != NCA_OK)
            return st;
        if (l->ans[0] != NCA_LS_OK) {
            /* a resent chunk whose first copy arrived is "out of order": start again once */
            if (l->ans[0] == NCA_LS_BAD_MODEL && alen >= 2 && l->ans[1] == 5 &&
                l->c.resends != resends && !restarted) {
                restarted = 1;
                off = 0;
                continue;
            }
            return nca_link_answer_error(NCA_CMD_LOAD_MODEL, l->ans, alen, err);
        }
        off += k;
    }
    return NCA_OK;
}

nca_status nca_link_load_model(nca_link *l, const nca_model *m, nca_error *err)
{
    size_t cap = nca_model_file_size(m), len = 0;
    uint8_t *buf = malloc(cap);
    if (!buf)
        return nca_fail(err, NCA_E_NOMEM, "out of memory");
    nca_status st = nca_model_serialize(m, buf, cap, &len, err);
    if (st == NCA_OK)
        st = nca_link_load_model_bytes(l, buf, len, err);
    free(buf);
    return st;
}

nca_status nca_link_set(nca_link *l, uint8_t reg, uint32_t value, nca_error *err)
{
    uint8_t req[5];
    req[0] = reg;
    nca_wr32(req + 1, value);
    nca_status st = simple(l, NCA_CMD_SET, req, sizeof req, 0, NULL, err);
    if (st == NCA_OK && reg == NCA_REG_STEPS) {
        l->steps_known = 1;
        l->steps_done = value;
    }
    return st;
}

nca_status nca_link_clear(nca_link *l, nca_error *err)
{
    return simple(l, NCA_CMD_CLEAR, NULL, 0, 0, NULL, err);
}

nca_status nca_link_seed(nca_link *l, unsigned x, unsigned y, nca_error *err)
{
    uint8_t req[4];
    if (x > 0xFFFFu || y > 0xFFFFu)
        return nca_fail(err, NCA_E_ARG, "SEED: cell (%u,%u) out of range", x, y);
    nca_wr16(req, x);
    nca_wr16(req + 2, y);
    return simple(l, NCA_CMD_SEED, req, sizeof req, 0, NULL, err);
}

nca_status nca_link_damage(nca_link *l, const nca_damage *d, nca_error *err)
{
    uint8_t req[7];
    if ((unsigned)d->kind > NCA_DMG_SQUARE || d->a < 0 || d->b < 0 || d->c < 0 ||
        d->a > 0xFFFF || d->b > 0xFFFF || d->c > 0xFFFF)
        return nca_fail(err, NCA_E_ARG, "DAMAGE: kind %d (%d,%d,%d) not representable",
                        (int)d->kind, d->a, d->b, d->c);
    req[0] = (uint8_t)d->kind;
    nca_wr16(req + 1, (unsigned)d->a);
    nca_wr16(req + 3, (unsigned)d->b);
    nca_wr16(req + 5, (unsigned)d->c);
    return simple(l, NCA_CMD_DAMAGE, req, sizeof req, 0, NULL, err);
}

nca_status nca_link_stats(nca_link *l, nca_board_stats *out, nca_error *err)
{
    nca_status st = simple(l, NCA_CMD_STATS, NULL, 0, NCA_LINK_STATS_SIZE, NULL, err);
    if (st != NCA_OK)
        return st;
    nca_board_stats s;
    st = nca_board_stats_parse(l->ans + 1, NCA_LINK_STATS_SIZE, &s, err);
    if (st == NCA_OK) {
        l->steps_known = 1;
        l->steps_done = s.steps;
        if (out)
            *out = s;
    }
    return st;
}

nca_status nca_link_step(nca_link *l, uint32_t n, nca_board_stats *stats, nca_error *err)
{
    if (n == 0 || n > (1u << 24))
        return nca_fail(err, NCA_E_ARG, "STEP: %u steps (1..%u)", n, 1u << 24);
    nca_status st;
    nca_board_stats s = {0, 0, 0, 0, 0, 0, 0};
    if (!l->steps_known && (st = nca_link_stats(l, &s, err)) != NCA_OK)
        return st;
    const uint32_t before = l->steps_done;
    uint64_t t = (uint64_t)l->cfg.timeout_ms + (uint64_t)n * l->cfg.step_ms;
    const unsigned timeout = t > 3600000u ? 3600000u : (unsigned)t;
    uint8_t req[4];
    nca_wr32(req, n);
    const uint8_t seq = l->seq++; /* a resent STEP keeps it */
    for (unsigned attempt = 0; attempt <= l->cfg.retries; attempt++) {
        size_t len = 0;
        int no_answer = 0;
        if (attempt)
            l->c.resends++;
        st = transact_t(l, NCA_CMD_STEP, req, sizeof req, timeout, 1, l->ans, sizeof l->ans,
                        &len, seq, &no_answer, err);
        if (st == NCA_OK) {
            if (l->ans[0] != NCA_LS_OK)
                return nca_link_answer_error(NCA_CMD_STEP, l->ans, len, err);
            if (len != NCA_LINK_STATS_SIZE + 1u)
                return nca_fail(err, NCA_E_DEVICE, "STEP: answer of %zu bytes, expected %u",
                                len, NCA_LINK_STATS_SIZE + 1u);
            if ((st = nca_board_stats_parse(l->ans + 1, len - 1, &s, err)) != NCA_OK)
                return st;
            break;
        }
        if (!no_answer)
            return st;
        /* no answer: did the steps happen (the answer was lost) or not (the request was)? */
        if ((st = nca_link_stats(l, &s, err)) != NCA_OK)
            return st;
        if (s.steps == before + n)
            break;
        if (s.steps != before)
            return nca_fail(err, NCA_E_DEVICE,
                            "STEP: board at step %u after a lost answer, expected %u or %u",
                            s.steps, before, before + n);
        st = nca_fail(err, NCA_E_DEVICE, "no answer from the board to STEP (%u tries, %u ms each)",
                      attempt + 1, timeout);
    }
    if (st != NCA_OK)
        return st;
    if (s.steps != before + n) {
        l->steps_known = 0;
        return nca_fail(err, NCA_E_DEVICE, "STEP: board reports step %u, expected %u", s.steps,
                        before + n);
    }
    l->steps_known = 1;
    l->steps_done = s.steps;
    if (stats)
        *stats = s;
    return NCA_OK;
}

nca_status nca_link_run(nca_link *l, unsigned k, uint32_t steps, nca_error *err)
{
    if (k == 0 || k > 0xFFFFu)
        return nca_fail(err, NCA_E_ARG, "RUN: frame every %u steps (1..65535)", k);
    uint8_t req[6];
    nca_wr16(req, k);
    nca_wr32(req + 2, steps);
    uint64_t resends = l->c.resends;
    size_t len = 0;
    nca_status st = transact(l, NCA_CMD_RUN, req, sizeof req, l->cfg.timeout_ms,
                             l->cfg.retries + 1, l->ans, sizeof l->ans, &len, err);
    if (st != NCA_OK)
        return st;
    l->steps_known = 0;
    /* BUSY after a resend: the first RUN arrived, its answer was lost */
    if (l->ans[0] == NCA_LS_BUSY && l->c.resends != resends)
        return NCA_OK;
    if (l->ans[0] != NCA_LS_OK)
        return nca_link_answer_error(NCA_CMD_RUN, l->ans, len, err);
    return NCA_OK;
}

nca_status nca_link_next_frame(nca_link *l, unsigned timeout_ms, uint8_t *rgba, unsigned width,
                               unsigned height, int *got, uint8_t *frame_seq, nca_error *err)
{
    const uint64_t end = now_ms() + timeout_ms;
    *got = 0;
    for (;;) {
        uint64_t now = now_ms();
        if (now >= end)
            return NCA_OK;
        nca_packet p;
        int g = 0;
        nca_status st = recv_packet(l, (unsigned)(end - now), end, &p, &g, err);
        if (st != NCA_OK || !g)
            return st;
        if (p.cmd != NCA_CMD_EVENT_FRAME) {
            l->c.stale++;
            continue;
        }
        if (frame_seq)
            *frame_seq = p.seq;
        st = nca_link_frame_decode(p.payload, p.len, rgba, width, height, err);
        if (st == NCA_OK)
            *got = 1;
        return st;
    }
}

nca_status nca_link_stop(nca_link *l, nca_board_stats *stats, nca_error *err)
{
    uint64_t t = (uint64_t)l->cfg.timeout_ms * 2u + l->cfg.step_ms;
    size_t len = 0;
    nca_status st = transact(l, NCA_CMD_STOP, NULL, 0, t > 3600000u ? 3600000u : (unsigned)t,
                             l->cfg.retries + 1, l->ans, sizeof l->ans, &len, err);
    if (st != NCA_OK)
        return st;
    if (l->ans[0] != NCA_LS_OK)
        return nca_link_answer_error(NCA_CMD_STOP, l->ans, len, err);
    nca_board_stats s;
    if ((st = nca_board_stats_parse(l->ans + 1, len - 1, &s, err)) != NCA_OK)
        return st;
    l->steps_known = 1;
    l->steps_done = s.steps;
    if (stats)
        *stats = s;
    return NCA_OK;
}

nca_status nca_link_read_frame(nca_link *l, uint8_t *rgba, unsigned width, unsigned height,
                               nca_error *err)
{
    size_t len = 0;
    nca_status st = transact(l, NCA_CMD_READ_FRAME, NULL, 0, l->cfg.timeout_ms,
                             l->cfg.retries + 1, l->ans, sizeof l->ans, &len, err);
    if (st != NCA_OK)
        return st;
    return nca_link_frame_decode(l->ans, len, rgba, width, height, err);
}

nca_status nca_link_read_state(nca_link *l, unsigned first_row, unsigned rows, unsigned width,
                               unsigned channels, int16_t *s, nca_error *err)
{
    unsigned per = nca_link_rows_per_chunk(width, channels, NCA_LINK_READ_STATE_MAX);
    if (per == 0)
        return nca_fail(err, NCA_E_ARG, "READ_STATE: a row of %u x %u words exceeds an answer",
                        width, channels);
    const size_t row_words = (size_t)width * channels;
    for (unsigned r = 0; r < rows;) {
        unsigned k = rows - r < per ? rows - r : per;
        uint8_t req[4];
        nca_wr16(req, first_row + r);
        nca_wr16(req + 2, k);
        nca_status st = simple(l, NCA_CMD_READ_STATE, req, sizeof req, (long)(k * row_words * 2),
                               NULL, err);
        if (st != NCA_OK)
            return st;
        const uint8_t *p = l->ans + 1;
        int16_t *o = s + (size_t)r * row_words;
        for (size_t i = 0; i < k * row_words; i++)
            o[i] = (int16_t)nca_rd16(p + 2 * i);
        r += k;
    }
    return NCA_OK;
}

nca_status nca_link_write_state(nca_link *l, unsigned first_row, unsigned rows, unsigned width,
                                unsigned channels, const int16_t *s, nca_error *err)
{
    unsigned per = nca_link_rows_per_chunk(width, channels, NCA_LINK_CHUNK);
    if (per == 0)
        return nca_fail(err, NCA_E_ARG,
                        "WRITE_STATE: a row of %u x %u words exceeds a request (%u bytes)",
                        width, channels, NCA_LINK_CHUNK);
    const size_t row_words = (size_t)width * channels;
    uint8_t req[4 + NCA_LINK_CHUNK];
    for (unsigned r = 0; r < rows;) {
        unsigned k = rows - r < per ? rows - r : per;
        nca_wr16(req, first_row + r);
        nca_wr16(req + 2, k);
        const int16_t *in = s + (size_t)r * row_words;
        for (size_t i = 0; i < k * row_words; i++)
            nca_wr16(req + 4 + 2 * i, (uint16_t)in[i]);
        nca_status st = simple(l, NCA_CMD_WRITE_STATE, req, 4 + k * row_words * 2, 0, NULL, err);
        if (st != NCA_OK)
            return st;
        r += k;
    }
    return NCA_OK;
}

/* SPDX-License-Identifier: Apache-2.0 */
/* nca_packet.c - link protocol v1, the pure codec (no I/O, no state beyond a decoder):
 * CRC-16, packets, the streaming decoder, RLE frames, INFO / STATS records, status and
 * command names. The session that sends and waits is nca_link.c. */
#include "nca_bytes.h"
#include "nca_link.h"

#include <stdlib.h>
#include <string.h>

/* ---- CRC and packets ---------------------------------------------------------------------- */
uint16_t nca_crc16_update(uint16_t crc, const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        crc ^= (uint16_t)(p[i] << 8);
        for (int b = 0; b < 8; b++)
            crc = (uint16_t)(crc & 0x8000u ? ((unsigned)crc << 1) ^ 0x1021u : (unsigned)crc << 1);
    }
    return crc;
}

uint16_t nca_crc16(const uint8_t *p, size_t n)
{
    return nca_crc16_update(0xFFFFu, p, n);
}

size_t nca_packet_encode(uint8_t *out, size_t cap, uint8_t cmd, uint8_t seq,
                         const uint8_t *payload, size_t n)
{
    if (n > NCA_LINK_MAX_ANSWER || cap < NCA_LINK_OVERHEAD + n)
        return 0;
    out[0] = NCA_LINK_SYNC0;
    out[1] = NCA_LINK_SYNC1;
    out[2] = cmd;
    out[3] = seq;
    nca_wr16(out + 4, (unsigned)n);
    if (n)
        memcpy(out + NCA_LINK_HEADER, payload, n);
    nca_wr16(out + NCA_LINK_HEADER + n, nca_crc16(out + 2, 4 + n));
    return NCA_LINK_OVERHEAD + n;
}

/* ---- decoder ------------------------------------------------------------------------------ */
void nca_decoder_init(nca_decoder *d, size_t max_len)
{
    d->max_len = max_len > NCA_LINK_MAX_ANSWER ? NCA_LINK_MAX_ANSWER : max_len;
    d->have = d->pending = 0;
    d->packets = d->crc_errors = d->oversize = d->skipped = d->gaps = 0;
}

static void drop_front(nca_decoder *d, size_t k)
{
    if (k >= d->have) {
        d->have = 0;
        return;
    }
    memmove(d->buf, d->buf + k, d->have - k);
    d->have -= k;
}

size_t nca_decoder_feed(nca_decoder *d, const uint8_t *in, size_t n, nca_packet *pkt, int *got)
{
    size_t used = 0;
    *got = 0;
    if (d->pending) {
        drop_front(d, d->pending);
        d->pending = 0;
    }
    for (;;) {
        if (d->have == 0) {
            /* hunting with nothing held: skip input up to the next A5 */
            const uint8_t *a5 = used < n ? memchr(in + used, NCA_LINK_SYNC0, n - used) : NULL;
            if (!a5) {
                d->skipped += n - used;
                return n;
            }
            d->skipped += (size_t)(a5 - (in + used));
            used = (size_t)(a5 - in) + 1;
            d->buf[0] = NCA_LINK_SYNC0;
            d->have = 1;
        }
        if (d->buf[0] != NCA_LINK_SYNC0) {
            const uint8_t *a5 = memchr(d->buf + 1, NCA_LINK_SYNC0, d->have - 1);
            size_t k = a5 ? (size_t)(a5 - d->buf) : d->have;
            d->skipped += k;
            drop_front(d, k);
            continue;
        }
        if (d->have >= 2 && d->buf[1] != NCA_LINK_SYNC1) {
            d->skipped++;
            drop_front(d, 1);
            continue;
        }
        size_t need = NCA_LINK_HEADER;
        if (d->have >= NCA_LINK_HEADER) {
            size_t len = nca_rd16(d->buf + 4);
            if (len > d->max_len) { /* garbage: hunt again from the byte after the A5 */
                d->oversize++;
                d->skipped++;
                drop_front(d, 1);
                continue;
            }
            need = NCA_LINK_OVERHEAD + len;
        }
        if (d->have < need) {
            size_t take = need - d->have;
            if (take > n - used)
                take = n - used;
            if (take == 0)
                return used;
            memcpy(d->buf + d->have, in + used, take);
            d->have += take;
            used += take;
            continue;
        }
        size_t len = need - NCA_LINK_OVERHEAD;
        if (nca_crc16(d->buf + 2, 4 + len) != nca_rd16(d->buf + NCA_LINK_HEADER + len)) {
            d->crc_errors++;
            d->skipped++;
            drop_front(d, 1);
            continue;
        }
        pkt->cmd = d->buf[2];
        pkt->seq = d->buf[3];
        pkt->len = (uint16_t)len;
        pkt->payload = d->buf + NCA_LINK_HEADER;
        d->pending = need;
        d->packets++;
        *got = 1;
        return used;
    }
}

void nca_decoder_gap(nca_decoder *d)
{
    if (d->pending) {
        drop_front(d, d->pending);
        d->pending = 0;
    }
    if (d->have) {
        d->gaps++;
        d->skipped++;
        drop_front(d, 1);
    }
}

int nca_decoder_busy(const nca_decoder *d)
{
    return d->have > d->pending;
}

/* ---- RLE frames --------------------------------------------------------------------------- */
nca_status nca_rle_decode(const uint8_t *in, size_t n, uint8_t *rgba, size_t cells,
                          nca_error *err)
{
    size_t i = 0, cell = 0;
    while (i < n) {
        unsigned t = in[i++];
        if (t < 0x80) {
            size_t run = t + 1u;
            if (run > cells - cell)
                return nca_fail(err, NCA_E_FORMAT,
                                "frame: zero run of %zu cells at cell %zu passes the end (%zu)",
                                run, cell, cells);
            memset(rgba + cell * 4, 0, run * 4);
            cell += run;
        } else {
            size_t run = t - 0x7Fu;
            if (run > cells - cell)
                return nca_fail(err, NCA_E_FORMAT,
                                "frame: literal run of %zu cells at cell %zu passes the end (%zu)",
                                run, cell, cells);
            if (run * 4 > n - i)
                return nca_fail(err, NCA_E_FORMAT,
                                "frame: literal run of %zu cells at cell %zu truncated (%zu bytes "
                                "left)",
                                run, cell, n - i);
            memcpy(rgba + cell * 4, in + i, run * 4);
            i += run * 4;
            cell += run;
        }
        if (cell == cells && i < n)
            return nca_fail(err, NCA_E_FORMAT, "frame: %zu bytes after the last cell", n - i);
    }
    if (cell != cells)
        return nca_fail(err, NCA_E_FORMAT, "frame: %zu of %zu cells coded", cell, cells);
    return NCA_OK;
}

static int zero_cell(const uint8_t *p)
{
    return (p[0] | p[1] | p[2] | p[3]) == 0;
}

size_t nca_rle_encode(const uint8_t *rgba, size_t cells, uint8_t *out, size_t cap)
{
    size_t o = 0, c = 0;
    while (c < cells) {
        size_t run = 0;
        if (zero_cell(rgba + c * 4)) {
            while (c + run < cells && run < 128 && zero_cell(rgba + (c + run) * 4))
                run++;
            if (o + 1 > cap)
                return 0;
            out[o++] = (uint8_t)(run - 1);
        } else {
            while (c + run < cells && run < 128 && !zero_cell(rgba + (c + run) * 4))
                run++;
            if (o + 1 + run * 4 > cap)
                return 0;
            out[o++] = (uint8_t)(0x7F + run);
            memcpy(out + o, rgba + c * 4, run * 4);
            o += run * 4;
        }
        c += run;
    }
    return o;
}

unsigned nca_link_rows_per_chunk(unsigned width, unsigned channels, size_t max_bytes)
{
    size_t row = (size_t)width * channels * 2;
    if (row == 0)
        return 0;
    size_t r = max_bytes / row;
    return r > 0xFFFFu ? 0xFFFFu : (unsigned)r;
}

/* ---- records and messages ----------------------------------------------------------------- */
nca_status nca_board_info_parse(const uint8_t *p, size_t n, nca_board_info *out, nca_error *err)
{
    if (n != NCA_LINK_INFO_SIZE)
        return nca_fail(err, NCA_E_DEVICE, "INFO: answer of %zu bytes, expected %u", n,
                        NCA_LINK_INFO_SIZE);
    if (memcmp(p, "NCAB", 4) != 0)
        return nca_fail(err, NCA_E_DEVICE, "INFO: no \"NCAB\" tag: not an nca-fpga board");
    out->version = p[4];
    out->flags = p[5];
    out->width = nca_rd16(p + 6);
    out->height = nca_rd16(p + 8);
    out->channels = p[10];
    out->hidden = p[11];
    out->lanes = nca_rd16(p + 12);
    out->clock_hz = nca_rd32(p + 14);
    out->baud = nca_rd32(p + 18);
    out->build_id = nca_rd32(p + 22);
    out->board = p[26];
    out->core = p[27];
    return NCA_OK;
}

nca_status nca_board_stats_parse(const uint8_t *p, size_t n, nca_board_stats *out,
                                 nca_error *err)
{
    if (n != NCA_LINK_STATS_SIZE)
        return nca_fail(err, NCA_E_DEVICE, "STATS block of %zu bytes, expected %u", n,
                        NCA_LINK_STATS_SIZE);
    out->steps = nca_rd32(p);
    out->last_clocks = nca_rd32(p + 4);
    out->pre_alive = nca_rd32(p + 8);
    out->active = nca_rd32(p + 12);
    out->total_clocks = (uint64_t)nca_rd32(p + 16) | (uint64_t)nca_rd32(p + 20) << 32;
    out->dropped = nca_rd16(p + 24);
    out->flags = p[26];
    return NCA_OK;
}

const char *nca_board_name(uint8_t board)
{
    switch (board) {
    case 0: return "virtual (Verilator)";
    case 1: return "iCEBreaker";
    case 2: return "ULX3S-25F";
    case 3: return "ULX3S-85F";
    case 4: return "ULX3S-45F";
    default: return "unknown board";
    }
}

const char *nca_link_cmd_name(uint8_t cmd)
{
    switch (cmd & 0x7Fu) {
    case NCA_CMD_INFO: return "INFO";
    case NCA_CMD_LOAD_MODEL: return "LOAD_MODEL";
    case NCA_CMD_SET: return "SET";
    case NCA_CMD_CLEAR: return "CLEAR";
    case NCA_CMD_SEED: return "SEED";
    case NCA_CMD_DAMAGE: return "DAMAGE";
    case NCA_CMD_STEP: return "STEP";
    case NCA_CMD_RUN: return "RUN";
    case NCA_CMD_STOP: return "STOP";
    case NCA_CMD_READ_FRAME: return "READ_FRAME";
    case NCA_CMD_READ_STATE: return "READ_STATE";
    case NCA_CMD_WRITE_STATE: return "WRITE_STATE";
    case NCA_CMD_STATS: return "STATS";
    default: return cmd == NCA_CMD_EVENT_FRAME ? "FRAME" : "unknown command";
    }
}

const char *nca_link_status_text(uint8_t status)
{
    switch (status) {
    case NCA_LS_OK: return "OK (done)";
    case NCA_LS_BAD_CMD: return "BAD_CMD (unknown command)";
    case NCA_LS_BAD_LEN: return "BAD_LEN (payload length wrong for the command)";
    case NCA_LS_BAD_ARG: return "BAD_ARG (an argument out of range)";
    case NCA_LS_BUSY: return "BUSY (the board is running; only INFO, STATS and STOP are accepted)";
    case NCA_LS_NO_MODEL: return "NO_MODEL (no model loaded)";
    case NCA_LS_BAD_MODEL: return "BAD_MODEL (the model was refused)";
    default: return "an unknown status";
    }
}

static const char *bad_model_detail(uint8_t why)
{
    switch (why) {
    case 1: return "the file's CRC-32 did not check";
    case 2: return "its channels differ from the build's";
    case 3: return "it has more hidden units than the build holds (or a layer 1 too large for it)";
    case 4: return "unknown kernel bits";
    case 5: return "chunk offset out of order";
    case 6: return "a size or field out of range";
    default: return "unknown reason";
    }
}

nca_status nca_link_answer_error(uint8_t cmd, const uint8_t *payload, size_t n, nca_error *err)
{
    if (n == 0)
        return nca_fail(err, NCA_E_DEVICE, "%s: empty answer (no status byte)",
                        nca_link_cmd_name(cmd));
    uint8_t s = payload[0];
    if (s == NCA_LS_BAD_MODEL && n >= 2)
        return nca_fail(err, NCA_E_DEVICE, "%s: board answered %s: %s (%u)",
                        nca_link_cmd_name(cmd), nca_link_status_text(s),
                        bad_model_detail(payload[1]), payload[1]);
    if (s > NCA_LS_BAD_MODEL)
        return nca_fail(err, NCA_E_DEVICE, "%s: board answered an unknown status %u",
                        nca_link_cmd_name(cmd), s);
    return nca_fail(err, NCA_E_DEVICE, "%s: board answered %s", nca_link_cmd_name(cmd),
                    nca_link_status_text(s));
}

nca_status nca_link_frame_decode(const uint8_t *p, size_t n, uint8_t *rgba, unsigned width,
                                 unsigned height, nca_error *err)
{
    if (n == 0 || p[0] != NCA_LS_OK)
        return nca_link_answer_error(NCA_CMD_READ_FRAME, p, n, err);
    if (n < 6)
        return nca_fail(err, NCA_E_DEVICE, "frame: answer of %zu bytes, no header", n);
    if (p[1] != 1)
        return nca_fail(err, NCA_E_DEVICE, "frame: format %u unknown (1 expected)", p[1]);
    unsigned w = nca_rd16(p + 2), h = nca_rd16(p + 4);
    if (w != width || h != height)
        return nca_fail(err, NCA_E_DEVICE, "frame: board grid %ux%u, expected %ux%u", w, h,
                        width, height);
    nca_error e;
    if (nca_rle_decode(p + 6, n - 6, rgba, (size_t)w * h, &e) != NCA_OK)
        return nca_fail(err, NCA_E_DEVICE, "%s", e.msg);
    return NCA_OK;
}

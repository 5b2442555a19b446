/* SPDX-License-Identifier: Apache-2.0 */
/*
 * nca_link.h - the host side of the link protocol (docs/protocol.md, version 1).
 *
 * Three layers, each usable alone:
 *  - bytes: CRC-16/CCITT-FALSE, packet encoding, a streaming decoder that follows the
 *    protocol's receiver rules (sync hunt, length bound, CRC, resync after the A5 of a bad
 *    packet), RLE frame decoding (and an encoder for tests and models of the board);
 *  - requests: nca_link sends a request, waits for the answer with the same sequence
 *    number and command, resends the same packet on a timeout (retry policy below), and
 *    discards stale answers with a counter;
 *  - commands: one typed helper per command; an error status from the board becomes one
 *    line of text and NCA_E_DEVICE.
 *
 * Plain C11 + libc, no globals: the RTL benches link it too (sim/Makefile).
 */
#ifndef NCA_LINK_H
#define NCA_LINK_H

#include "nca.h"
#include "nca_transport.h"
#include "nca_ids.h"

#ifdef __cplusplus
extern "C" {
#endif

#define NCA_LINK_VERSION 1
#define NCA_LINK_HEADER 6u            /* sync, command, sequence, length */
#define NCA_LINK_OVERHEAD 8u          /* header + CRC */
#define NCA_LINK_MAX_REQUEST 4104u    /* request payload bound */
#define NCA_LINK_MAX_ANSWER 65535u    /* answer payload bound */
#define NCA_LINK_MAX_PACKET (NCA_LINK_OVERHEAD + NCA_LINK_MAX_ANSWER)
#define NCA_LINK_CHUNK 4096u          /* LOAD_MODEL bytes / WRITE_STATE word bytes per request */
#define NCA_LINK_READ_STATE_MAX 65534u /* READ_STATE word bytes per answer */
#define NCA_LINK_INFO_SIZE 36u
#define NCA_LINK_STATS_SIZE 28u

/* command bytes (NCA_CMD_*), status codes (NCA_LS_*), SET registers (NCA_REG_*) and the sync
 * bytes (NCA_LINK_SYNC0/1): nca_ids.h, generated from the table in tools/gen_ids.py */

/* ---- bytes ------------------------------------------------------------------------------ */
/* CRC-16/CCITT-FALSE: poly 0x1021, init 0xFFFF, no reflection, no xor ("123456789": 0x29B1).
 * nca_crc16_update continues a running value (start with 0xFFFF). */
uint16_t nca_crc16_update(uint16_t crc, const uint8_t *p, size_t n);
uint16_t nca_crc16(const uint8_t *p, size_t n);

/* Encodes one packet into out (cap bytes); returns its size, 0 if it does not fit or
 * n > 65535. */
size_t nca_packet_encode(uint8_t *out, size_t cap, uint8_t cmd, uint8_t seq,
                         const uint8_t *payload, size_t n);

typedef struct nca_packet {
    uint8_t cmd, seq;
    uint16_t len;
    const uint8_t *payload; /* points into the decoder; valid until its next call */
} nca_packet;

/* Streaming decoder. Holds at most one candidate packet (NCA_LINK_MAX_PACKET bytes). */
typedef struct nca_decoder {
    size_t max_len;  /* payload bound: longer headers are garbage */
    size_t have;     /* bytes held in buf */
    size_t pending;  /* bytes of the packet returned last, dropped on the next call */
    /* counters since init */
    uint64_t packets, crc_errors, oversize, skipped, gaps;
    uint8_t buf[NCA_LINK_MAX_PACKET];
} nca_decoder;

void nca_decoder_init(nca_decoder *d, size_t max_len);
/* Takes bytes from in (n of them, n may be 0 to rescan what is held) until a packet checks
 * or the input runs out; returns the number taken. *got = 1 and *pkt filled when a packet
 * checked; the bytes after it stay with the caller. A packet with a bad CRC or an oversized
 * length costs only its A5: the hunt restarts at the byte after it, over the bytes held. */
size_t nca_decoder_feed(nca_decoder *d, const uint8_t *in, size_t n, nca_packet *pkt, int *got);
/* The input went quiet in the middle of a packet: give up that candidate (its A5), so the
 * next feed hunts again over the bytes after it. */
void nca_decoder_gap(nca_decoder *d);
/* Is a packet partly received? */
int nca_decoder_busy(const nca_decoder *d);

/* READ_FRAME's run-length code: token t < 0x80: t + 1 all-zero cells; t >= 0x80: t - 0x7F
 * literal cells of 4 bytes. Decodes exactly `cells` cells into rgba; anything else (runs
 * past the end, a truncated literal, bytes left over, too few cells) is NCA_E_FORMAT. */
nca_status nca_rle_decode(const uint8_t *in, size_t n, uint8_t *rgba, size_t cells,
                          nca_error *err);
/* Greedy encoder (zero runs of at most 128 cells, literal runs of at most 128); returns the
 * size, 0 when cap is too small. */
size_t nca_rle_encode(const uint8_t *rgba, size_t cells, uint8_t *out, size_t cap);

/* Rows of width x channels int16 words that fit max_bytes (0 if not even one). */
unsigned nca_link_rows_per_chunk(unsigned width, unsigned channels, size_t max_bytes);

/* ---- board records ---------------------------------------------------------------------- */
typedef struct nca_board_info {
    uint8_t version, flags;
    uint16_t width, height;
    uint8_t channels, hidden;
    uint16_t lanes;
    uint32_t clock_hz, baud, build_id;
    uint8_t board, core;
} nca_board_info;

typedef struct nca_board_stats {
    uint32_t steps, last_clocks, pre_alive, active;
    uint64_t total_clocks;
    uint16_t dropped;
    uint8_t flags;
} nca_board_stats;

/* Parse the answer payload after the status byte. */
nca_status nca_board_info_parse(const uint8_t *p, size_t n, nca_board_info *out, nca_error *err);
nca_status nca_board_stats_parse(const uint8_t *p, size_t n, nca_board_stats *out,
                                 nca_error *err);
const char *nca_board_name(uint8_t board); /* "virtual (Verilator)", "iCEBreaker", ... */
const char *nca_link_cmd_name(uint8_t cmd);
/* One line for a status code, e.g. "BAD_ARG (an argument out of range)". */
const char *nca_link_status_text(uint8_t status);
/* Turns an error answer into err: "<cmd>: board answered <status text>[: detail]". */
nca_status nca_link_answer_error(uint8_t cmd, const uint8_t *payload, size_t n, nca_error *err);

/* ---- requests --------------------------------------------------------------------------- */
typedef struct nca_link_counters {
    uint64_t requests, resends, timeouts, stale, events_dropped;
} nca_link_counters;

typedef struct nca_link nca_link;

typedef struct nca_link_config {
    unsigned timeout_ms;  /* wait for an answer before resending (default 500) */
    unsigned step_ms;     /* extra wait per step of STEP (default 50) */
    unsigned retries;     /* resends after the first try (default 3) */
} nca_link_config;
void nca_link_config_default(nca_link_config *c);

/* The link takes the transport over (closes it in nca_link_close), also on failure. */
nca_status nca_link_open(nca_link **out, nca_transport *t, const nca_link_config *cfg,
                         nca_error *err);
void nca_link_close(nca_link *l);
const nca_link_counters *nca_link_get_counters(const nca_link *l);
const nca_decoder *nca_link_decoder(const nca_link *l);

/* Sends cmd with its payload and waits for its answer (same sequence and command | 0x80),
 * resending the same packet after timeout_ms, `retries` times. The answer payload (status
 * first) is copied to ans (cap bytes, *ans_len its size). A non-zero status is returned as
 * it is in ans[0] (not an error here); a link failure is NCA_E_DEVICE. */
nca_status nca_link_request(nca_link *l, uint8_t cmd, const uint8_t *payload, size_t n,
                            unsigned timeout_ms, uint8_t *ans, size_t cap, size_t *ans_len,
                            nca_error *err);

/* ---- commands (every error status is an NCA_E_DEVICE with one line) ---------------------- */
nca_status nca_link_info(nca_link *l, nca_board_info *out, nca_error *err);
/* Streams a model file in chunks of NCA_LINK_CHUNK bytes. */
nca_status nca_link_load_model_bytes(nca_link *l, const uint8_t *file, size_t len,
                                     nca_error *err);
nca_status nca_link_load_model(nca_link *l, const nca_model *m, nca_error *err);
nca_status nca_link_set(nca_link *l, uint8_t reg, uint32_t value, nca_error *err);
nca_status nca_link_clear(nca_link *l, nca_error *err);
nca_status nca_link_seed(nca_link *l, unsigned x, unsigned y, nca_error *err);
nca_status nca_link_damage(nca_link *l, const nca_damage *d, nca_error *err);
/* n steps (1..2^24); stats (may be NULL) gets the answer's STATS block. If the answer is
 * lost, STATS tells whether the steps were done before STEP is sent again. */
nca_status nca_link_step(nca_link *l, uint32_t n, nca_board_stats *stats, nca_error *err);
nca_status nca_link_stats(nca_link *l, nca_board_stats *out, nca_error *err);
/* RUN: a FRAME event every k steps, `steps` steps in all (0: until STOP). */
nca_status nca_link_run(nca_link *l, unsigned k, uint32_t steps, nca_error *err);
/* Waits at most timeout_ms for the next FRAME event while running; decodes it into rgba
 * (width x height x 4 bytes). *got = 0 on timeout; *frame_seq gets its sequence byte. */
nca_status nca_link_next_frame(nca_link *l, unsigned timeout_ms, uint8_t *rgba, unsigned width,
                               unsigned height, int *got, uint8_t *frame_seq, nca_error *err);
/* STOP; FRAME events still arriving are dropped (counted). */
nca_status nca_link_stop(nca_link *l, nca_board_stats *stats, nca_error *err);
/* READ_FRAME into rgba of width x height cells; the board's size must match. */
nca_status nca_link_read_frame(nca_link *l, uint8_t *rgba, unsigned width, unsigned height,
                               nca_error *err);
/* A frame answer or event payload (status byte first) into rgba. */
nca_status nca_link_frame_decode(const uint8_t *p, size_t n, uint8_t *rgba, unsigned width,
                                 unsigned height, nca_error *err);
/* Whole rows, chunked to the protocol's bounds. s is [y][x][c] of the rows asked for. */
nca_status nca_link_read_state(nca_link *l, unsigned first_row, unsigned rows, unsigned width,
                               unsigned channels, int16_t *s, nca_error *err);
nca_status nca_link_write_state(nca_link *l, unsigned first_row, unsigned rows, unsigned width,
                                unsigned channels, const int16_t *s, nca_error *err);

#ifdef __cplusplus
}
#endif
#endif

/* SPDX-License-Identifier: Apache-2.0 */
/* fuzz_link.c - libFuzzer target: what the host makes of the bytes a board sends. The input
 * is a byte stream as a board's UART would deliver it (the corpus: `nca-host --capture` of
 * the virtual board), fed to the packet decoder in pieces of the sizes the first bytes pick,
 * with a quiet gap now and then; every packet that checks goes to the parser the link uses
 * for it: INFO, STATS/STEP/STOP counters, READ_FRAME answers and FRAME events (status, header,
 * run-length cells: nca_link_frame_decode and nca_rle_decode), error answers. Frames are
 * decoded at the grid size of the last INFO that parsed (64x64 before one). With bit 7 of
 * the second byte set, the rest is records {cmd, seq, len lo, len hi, payload} that the
 * harness encodes as packets with good CRCs (a garbage byte between them where the record's
 * length runs past the input), so the fuzzer reaches the parsers with any payload. The decoder must
 * never return a packet whose CRC is wrong: the bytes it took for each one (held in the
 * decoder, header before the payload) must equal the encoder's packet of the same fields. */
#include "nca_link.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(int ok, const char *what)
{
    if (!ok) {
        fprintf(stderr, "fuzz_link: %s\n", what);
        abort();
    }
}

static void on_packet(const nca_packet *p, unsigned *w, unsigned *h)
{
    static uint8_t rgba[(size_t)NCA_MAX_GRID * NCA_MAX_GRID * 4];
    static uint8_t again[NCA_LINK_MAX_PACKET];
    nca_error e = {""};
    /* a packet that checked is the one the encoder makes of its fields, CRC and all */
    size_t n = nca_packet_encode(again, sizeof again, p->cmd, p->seq, p->payload, p->len);
    check(n == (size_t)p->len + NCA_LINK_OVERHEAD, "decoded packet does not re-encode");
    check(memcmp(again, p->payload - NCA_LINK_HEADER, n) == 0,
          "the decoder accepted bytes that are not a well-formed packet");
    const uint8_t *pl = p->payload;
    const int ok = p->len >= 1 && pl[0] == NCA_LS_OK;
    nca_status st = NCA_OK;
    switch (p->cmd) {
    case NCA_CMD_INFO | NCA_CMD_ANSWER: {
        nca_board_info bi;
        if (ok && (st = nca_board_info_parse(pl + 1, p->len - 1u, &bi, &e)) == NCA_OK &&
            bi.width >= 1 && bi.height >= 1 && bi.width <= NCA_MAX_GRID &&
            bi.height <= NCA_MAX_GRID) {
            *w = bi.width;
            *h = bi.height;
        }
        break;
    }
    case NCA_CMD_STATS | NCA_CMD_ANSWER:
    case NCA_CMD_STEP | NCA_CMD_ANSWER:
    case NCA_CMD_STOP | NCA_CMD_ANSWER: {
        nca_board_stats bs;
        if (ok)
            st = nca_board_stats_parse(pl + 1, p->len - 1u, &bs, &e);
        break;
    }
    case NCA_CMD_READ_FRAME | NCA_CMD_ANSWER:
    case NCA_CMD_EVENT_FRAME:
        st = nca_link_frame_decode(pl, p->len, rgba, *w, *h, &e);
        if (p->len > 6) /* the cells alone, as a bare run-length code */
            (void)nca_rle_decode(pl + 6, p->len - 6u, rgba, (size_t)*w * *h, &e);
        break;
    default:
        break;
    }
    if (st != NCA_OK)
        check(e.msg[0] != '\0', "a parser error without a message");
    if (p->cmd & NCA_CMD_ANSWER && !ok) {
        st = nca_link_answer_error(p->cmd & (uint8_t)~NCA_CMD_ANSWER, pl, p->len, &e);
        check(st != NCA_OK && e.msg[0] != '\0', "an error answer without an error");
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static nca_decoder dec;
    if (size < 2)
        return 0;
    const unsigned piece = 1u + data[0] % 64u; /* read() sizes: 1..64 ... */
    const int whole = data[0] >= 0x80;          /* ... or all at once */
    const unsigned gap_every = data[1] & 0x7Fu; /* a quiet gap after every Nth piece (0: none) */
    const int records = data[1] >= 0x80;
    data += 2;
    size -= 2;
    static uint8_t stream[1 << 20];
    if (records) { /* {cmd, seq, len16, payload} records -> packets with good CRCs */
        size_t out = 0, in = 0;
        while (in + 4 <= size && out + NCA_LINK_MAX_PACKET <= sizeof stream) {
            size_t n = (size_t)data[in + 2] | (size_t)data[in + 3] << 8;
            const int cut = n > size - in - 4;
            if (cut)
                n = size - in - 4;
            out += nca_packet_encode(stream + out, sizeof stream - out, data[in], data[in + 1],
                                     data + in + 4, n);
            if (cut && out < sizeof stream)
                stream[out++] = 0xA5; /* a stray sync byte */
            in += 4 + n;
        }
        data = stream;
        size = out;
    }
    nca_decoder_init(&dec, NCA_LINK_MAX_ANSWER);
    unsigned w = 64, h = 64, pieces = 0;
    size_t pos = 0;
    while (pos < size) {
        size_t len = whole || size - pos < piece ? size - pos : piece;
        const uint8_t *in = data + pos;
        pos += len;
        while (len) {
            nca_packet p;
            int got = 0;
            size_t used = nca_decoder_feed(&dec, in, len, &p, &got);
            check(used <= len, "decoder took more bytes than it was given");
            in += used;
            len -= used;
            if (got)
                on_packet(&p, &w, &h);
            else if (!used)
                break;
        }
        if (gap_every && ++pieces % gap_every == 0 && nca_decoder_busy(&dec)) {
            nca_decoder_gap(&dec); /* the line went quiet: rescan what is held */
            for (;;) {
                nca_packet p;
                int got = 0;
                (void)nca_decoder_feed(&dec, NULL, 0, &p, &got);
                if (!got)
                    break;
                on_packet(&p, &w, &h);
            }
        }
    }
    return 0;
}

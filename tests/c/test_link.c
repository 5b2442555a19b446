/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_link.c - the link protocol library (host/src/nca_link.c): CRC-16, packets, the
 * streaming decoder under garbage, truncation and every single-bit flip, RLE frames, row
 * chunking, status messages, and requests against an in-process board emulator (the C
 * model behind the protocol) with lost requests, lost and corrupted answers, stale answers
 * and garbage on the line.
 */
#include "test_util.h"

#include "nca_link.h"
#include "fake_board.h"

/* ---- helpers ---------------------------------------------------------------------------- */
static nca_decoder *new_decoder(size_t max_len)
{
    nca_decoder *d = malloc(sizeof *d);
    assert_non_null(d);
    nca_decoder_init(d, max_len);
    return d;
}

/* A packet as sent, for comparison with what comes out of the decoder. */
typedef struct sent_pkt {
    uint8_t cmd, seq;
    size_t len;
    uint8_t payload[300];
} sent_pkt;

static size_t make_packet(tu_rng *r, sent_pkt *p, uint8_t *out, size_t cap)
{
    p->cmd = (uint8_t)tu_range(r, 0, 255);
    p->seq = (uint8_t)tu_range(r, 0, 255);
    p->len = (size_t)tu_range(r, 0, sizeof p->payload);
    for (size_t i = 0; i < p->len; i++)
        p->payload[i] = (uint8_t)tu_next(r);
    size_t n = nca_packet_encode(out, cap, p->cmd, p->seq, p->payload, p->len);
    assert_int_equal(n, p->len + NCA_LINK_OVERHEAD);
    return n;
}

static int same_packet(const nca_packet *a, const sent_pkt *b)
{
    return a->cmd == b->cmd && a->seq == b->seq && a->len == b->len &&
           (b->len == 0 || memcmp(a->payload, b->payload, b->len) == 0);
}

/* Feeds all of buf (in chunks of `chunk` bytes), then declares the line quiet until the
 * decoder holds nothing; every packet found goes to out (at most cap). Returns the count. */
static size_t decode_all(nca_decoder *d, const uint8_t *buf, size_t n, size_t chunk,
                         sent_pkt *out, size_t cap)
{
    size_t found = 0, pos = 0;
    for (;;) {
        nca_packet p;
        int got = 0;
        size_t k = n - pos < chunk ? n - pos : chunk;
        size_t used = nca_decoder_feed(d, buf + pos, k, &p, &got);
        assert_true(used <= k);
        pos += used;
        if (got) {
            assert_true(found < cap);
            out[found].cmd = p.cmd;
            out[found].seq = p.seq;
            out[found].len = p.len;
            assert_true(p.len <= sizeof out[found].payload);
            memcpy(out[found].payload, p.payload, p.len);
            found++;
            continue;
        }
        if (pos < n)
            continue;
        if (!nca_decoder_busy(d))
            return found;
        nca_decoder_gap(d);
    }
}

/* ---- CRC and packets -------------------------------------------------------------------- */
static void test_crc16_check_value(void **state)
{
    (void)state;
    assert_int_equal(nca_crc16((const uint8_t *)"123456789", 9), 0x29B1);
    assert_int_equal(nca_crc16(NULL, 0), 0xFFFF);
    const uint8_t *s = (const uint8_t *)"123456789";
    assert_int_equal(nca_crc16_update(nca_crc16(s, 4), s + 4, 5), 0x29B1);
    /* one more known value: a single 'A' */
    assert_int_equal(nca_crc16((const uint8_t *)"A", 1), 0xB915);
}

static void test_packet_layout(void **state)
{
    (void)state;
    uint8_t buf[16];
    const uint8_t pl[3] = {0x01, 0x02, 0x03};
    size_t n = nca_packet_encode(buf, sizeof buf, 0x11, 0x42, pl, 3);
    assert_int_equal(n, 11);
    assert_int_equal(buf[0], 0xA5);
    assert_int_equal(buf[1], 0x5A);
    assert_int_equal(buf[2], 0x11);
    assert_int_equal(buf[3], 0x42);
    assert_int_equal(buf[4], 3);
    assert_int_equal(buf[5], 0);
    uint16_t crc = nca_crc16(buf + 2, 7);
    assert_int_equal(buf[9], crc & 0xFF);
    assert_int_equal(buf[10], crc >> 8);
    /* too small a buffer, too long a payload */
    assert_int_equal(nca_packet_encode(buf, 10, 0x11, 0, pl, 3), 0);
    uint8_t *big = calloc(1, NCA_LINK_MAX_PACKET + 16);
    assert_non_null(big);
    assert_int_equal(nca_packet_encode(big, NCA_LINK_MAX_PACKET + 16, 1, 0, buf, 65536), 0);
    uint8_t *pl65k = calloc(1, 65536);
    assert_non_null(pl65k);
    assert_int_equal(nca_packet_encode(big, NCA_LINK_MAX_PACKET, 1, 0, pl65k, 65535),
                     NCA_LINK_MAX_PACKET);
    free(pl65k);
    free(big);
}

static void test_round_trip(void **state)
{
    (void)state;
    tu_rng r = {0x1234567ull};
    enum { N = 200 };
    sent_pkt *sent = malloc(N * sizeof *sent), *got = malloc(N * sizeof *got);
    uint8_t *stream = malloc(N * 320);
    assert_true(sent && got && stream);
    size_t n = 0;
    for (int i = 0; i < N; i++)
        n += make_packet(&r, &sent[i], stream + n, N * 320 - n);
    static const size_t chunks[] = {1, 2, 7, 64, 4096, 1u << 20};
    for (size_t c = 0; c < sizeof chunks / sizeof chunks[0]; c++) {
        nca_decoder *d = new_decoder(NCA_LINK_MAX_ANSWER);
        size_t k = decode_all(d, stream, n, chunks[c], got, N);
        assert_int_equal(k, N);
        for (int i = 0; i < N; i++)
            assert_true(same_packet(&(nca_packet){got[i].cmd, got[i].seq, (uint16_t)got[i].len,
                                                  got[i].payload},
                                    &sent[i]));
        assert_int_equal(d->packets, N);
        assert_int_equal(d->crc_errors, 0);
        assert_int_equal(d->skipped, 0);
        free(d);
    }
    free(sent);
    free(got);
    free(stream);
}

static void test_max_sizes(void **state)
{
    (void)state;
    /* the largest answer and request pass; a request decoder drops a 4,105-byte header */
    uint8_t *buf = malloc(NCA_LINK_MAX_PACKET * 2);
    uint8_t *pl = malloc(NCA_LINK_MAX_ANSWER);
    assert_true(buf && pl);
    for (size_t i = 0; i < NCA_LINK_MAX_ANSWER; i++)
        pl[i] = (uint8_t)(i * 7);
    size_t n = nca_packet_encode(buf, NCA_LINK_MAX_PACKET, 0xB1, 9, pl, NCA_LINK_MAX_ANSWER);
    nca_decoder *d = new_decoder(NCA_LINK_MAX_ANSWER);
    nca_packet p;
    int got;
    assert_int_equal(nca_decoder_feed(d, buf, n, &p, &got), n);
    assert_true(got);
    assert_int_equal(p.len, NCA_LINK_MAX_ANSWER);
    assert_memory_equal(p.payload, pl, NCA_LINK_MAX_ANSWER);
    free(d);

    d = new_decoder(NCA_LINK_MAX_REQUEST);
    size_t n1 = nca_packet_encode(buf, NCA_LINK_MAX_PACKET, 0x32, 1, pl, NCA_LINK_MAX_REQUEST);
    size_t n2 = nca_packet_encode(buf + n1, NCA_LINK_MAX_PACKET, 0x32, 2, pl,
                                  NCA_LINK_MAX_REQUEST + 1);
    size_t n3 = nca_packet_encode(buf + n1 + n2, NCA_LINK_MAX_PACKET, 0x01, 3, NULL, 0);
    size_t pos = 0, found = 0;
    uint8_t seqs[4];
    while (pos < n1 + n2 + n3) {
        pos += nca_decoder_feed(d, buf + pos, n1 + n2 + n3 - pos, &p, &got);
        if (got)
            seqs[found++] = p.seq;
    }
    assert_int_equal(found, 2);
    assert_int_equal(seqs[0], 1);
    assert_int_equal(seqs[1], 3);
    assert_true(d->oversize >= 1);
    free(d);
    free(buf);
    free(pl);
}

/* ---- the decoder under damage ------------------------------------------------------------ */
static void test_garbage_between_packets(void **state)
{
    (void)state;
    tu_rng r = {0xfeedull};
    enum { N = 100 };
    sent_pkt *sent = malloc(N * sizeof *sent), *got = malloc(2 * N * sizeof *got);
    uint8_t *stream = malloc(N * 1400);
    assert_true(sent && got && stream);
    size_t n = 0;
    for (int i = 0; i < N; i++) {
        size_t g = (size_t)tu_range(&r, 0, 1000);
        for (size_t j = 0; j < g; j++) {
            uint8_t b = (uint8_t)tu_next(&r);
            /* plenty of false syncs, some with plausible headers */
            if (j % 50 == 0)
                b = 0xA5;
            else if (j % 50 == 1)
                b = 0x5A;
            stream[n++] = b;
        }
        n += make_packet(&r, &sent[i], stream + n, N * 1400 - n);
    }
    nca_decoder *d = new_decoder(NCA_LINK_MAX_ANSWER);
    size_t k = decode_all(d, stream, n, 333, got, 2 * N);
    /* every packet comes out, in order, and nothing else */
    assert_int_equal(k, N);
    for (int i = 0; i < N; i++) {
        nca_packet p = {got[i].cmd, got[i].seq, (uint16_t)got[i].len, got[i].payload};
        assert_true(same_packet(&p, &sent[i]));
    }
    assert_true(d->skipped > 0);
    free(d);
    free(sent);
    free(got);
    free(stream);
}

static void test_every_bit_flip(void **state)
{
    (void)state;
    /* a corrupted packet followed by a good one: the corrupted one never comes out (CRC-16
     * catches every single-bit error), the good one always does */
    tu_rng r = {77};
    sent_pkt a, b;
    uint8_t pa[400], pb[400], stream[800];
    size_t na = make_packet(&r, &a, pa, sizeof pa);
    size_t nb = make_packet(&r, &b, pb, sizeof pb);
    nca_decoder *d = new_decoder(NCA_LINK_MAX_ANSWER);
    for (size_t byte = 0; byte < na; byte++)
        for (int bit = 0; bit < 8; bit++) {
            memcpy(stream, pa, na);
            stream[byte] ^= (uint8_t)(1u << bit);
            memcpy(stream + na, pb, nb);
            nca_decoder_init(d, NCA_LINK_MAX_ANSWER);
            sent_pkt out[4];
            size_t k = decode_all(d, stream, na + nb, 13, out, 4);
            assert_int_equal(k, 1);
            nca_packet p = {out[0].cmd, out[0].seq, (uint16_t)out[0].len, out[0].payload};
            assert_true(same_packet(&p, &b));
        }
    free(d);
}

static void test_truncations(void **state)
{
    (void)state;
    tu_rng r = {4242};
    sent_pkt a, b;
    uint8_t pa[400], pb[400], stream[800];
    size_t na = make_packet(&r, &a, pa, sizeof pa);
    size_t nb = make_packet(&r, &b, pb, sizeof pb);
    nca_decoder *d = new_decoder(NCA_LINK_MAX_ANSWER);
    for (size_t cut = 0; cut < na; cut++) {
        /* alone: nothing comes out */
        nca_decoder_init(d, NCA_LINK_MAX_ANSWER);
        sent_pkt out[4];
        assert_int_equal(decode_all(d, pa, cut, 64, out, 4), 0);
        /* followed by a good packet: it is found (after the quiet gap if need be) */
        memcpy(stream, pa, cut);
        memcpy(stream + cut, pb, nb);
        nca_decoder_init(d, NCA_LINK_MAX_ANSWER);
        size_t k = decode_all(d, stream, cut + nb, 64, out, 4);
        assert_int_equal(k, 1);
        nca_packet p = {out[0].cmd, out[0].seq, (uint16_t)out[0].len, out[0].payload};
        assert_true(same_packet(&p, &b));
    }
    free(d);
}

static void test_random_streams(void **state)
{
    (void)state;
    /* pure noise, and noise with packets corrupted at random: never a packet that was not
     * sent, never a crash (ASan/UBSan watch) */
    tu_rng r = {99};
    enum { LEN = 1 << 18 };
    uint8_t *s = malloc(LEN);
    sent_pkt *out = malloc(4096 * sizeof *out);
    assert_true(s && out);
    for (size_t i = 0; i < LEN; i++)
        s[i] = (uint8_t)tu_next(&r);
    nca_decoder *d = new_decoder(NCA_LINK_MAX_REQUEST);
    size_t k = decode_all(d, s, LEN, 1000, out, 4096);
    assert_true(k <= 1); /* a random valid packet is a 2^-32 event per position */
    free(d);

    sent_pkt sent[64];
    size_t n = 0, np = 0;
    while (np < 64 && n + 400 < LEN) {
        size_t m = make_packet(&r, &sent[np], s + n, LEN - n);
        if (tu_range(&r, 0, 3) == 0) /* corrupt one byte somewhere in it */
            s[n + (size_t)tu_range(&r, 0, (int64_t)m - 1)] ^= (uint8_t)tu_range(&r, 1, 255);
        n += m;
        np++;
        for (int g = (int)tu_range(&r, 0, 20); g > 0; g--)
            s[n++] = (uint8_t)tu_next(&r);
    }
    d = new_decoder(NCA_LINK_MAX_ANSWER);
    k = decode_all(d, s, n, 97, out, 4096);
    /* what came out is an in-order subsequence of what was sent */
    size_t j = 0;
    for (size_t i = 0; i < k; i++) {
        nca_packet p = {out[i].cmd, out[i].seq, (uint16_t)out[i].len, out[i].payload};
        while (j < np && !same_packet(&p, &sent[j]))
            j++;
        assert_true(j < np);
        j++;
    }
    assert_true(k >= np / 2);
    free(d);
    free(s);
    free(out);
}

/* ---- RLE and chunking ------------------------------------------------------------------- */
static void test_rle_round_trip(void **state)
{
    (void)state;
    tu_rng r = {5};
    static const size_t sizes[] = {1, 2, 127, 128, 129, 256, 1000, 4096};
    for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++) {
        size_t cells = sizes[s];
        uint8_t *px = malloc(cells * 4), *back = malloc(cells * 4), *code = malloc(cells * 5 + 8);
        assert_true(px && back && code);
        for (int pattern = 0; pattern < 4; pattern++) {
            for (size_t c = 0; c < cells; c++) {
                int zero = pattern == 0 ? 1 : pattern == 1 ? 0 : tu_range(&r, 0, 9) < 7;
                for (int k = 0; k < 4; k++)
                    px[c * 4 + k] = zero ? 0 : (uint8_t)tu_next(&r);
                if (!zero && (px[c * 4] | px[c * 4 + 1] | px[c * 4 + 2] | px[c * 4 + 3]) == 0)
                    px[c * 4 + 3] = 1;
            }
            size_t n = nca_rle_encode(px, cells, code, cells * 5 + 8);
            assert_true(n > 0);
            if (pattern == 0)
                assert_int_equal(n, (cells + 127) / 128);
            if (pattern == 1)
                assert_int_equal(n, cells * 4 + (cells + 127) / 128);
            nca_error e;
            memset(back, 0xCC, cells * 4);
            assert_int_equal(nca_rle_decode(code, n, back, cells, &e), NCA_OK);
            assert_memory_equal(back, px, cells * 4);
            /* too small an output buffer */
            assert_int_equal(nca_rle_encode(px, cells, code, n - 1), 0);
        }
        free(px);
        free(back);
        free(code);
    }
}

static void expect_rle_error(const uint8_t *code, size_t n, size_t cells, const char *what)
{
    uint8_t px[64 * 4];
    nca_error e = {""};
    assert_true(cells <= 64);
    assert_int_equal(nca_rle_decode(code, n, px, cells, &e), NCA_E_FORMAT);
    assert_one_line(&e);
    if (!strstr(e.msg, what))
        fail_msg("'%s' does not mention '%s'", e.msg, what);
}

static void test_rle_malformed(void **state)
{
    (void)state;
    const uint8_t zero_past[] = {0x7F}; /* 128 zero cells */
    expect_rle_error(zero_past, 1, 10, "passes the end");
    const uint8_t lit_past[] = {0x81, 1, 2, 3, 4, 5, 6, 7, 8}; /* 2 literal cells */
    expect_rle_error(lit_past, sizeof lit_past, 1, "passes the end");
    const uint8_t trunc[] = {0x81, 1, 2, 3, 4, 5, 6, 7};
    expect_rle_error(trunc, sizeof trunc, 4, "truncated");
    const uint8_t extra[] = {0x03, 0x00};
    expect_rle_error(extra, sizeof extra, 4, "after the last cell");
    const uint8_t few[] = {0x02};
    expect_rle_error(few, sizeof few, 4, "3 of 4 cells");
    expect_rle_error(NULL, 0, 4, "0 of 4 cells");
    const uint8_t lit_trunc_hdr[] = {0x80};
    expect_rle_error(lit_trunc_hdr, 1, 1, "truncated");
    /* exact fits */
    uint8_t px[8];
    nca_error e;
    const uint8_t ok1[] = {0x00, 0x80, 9, 8, 7, 6};
    assert_int_equal(nca_rle_decode(ok1, sizeof ok1, px, 2, &e), NCA_OK);
    assert_int_equal(px[0] | px[1] | px[2] | px[3], 0);
    assert_int_equal(px[4], 9);
    assert_int_equal(px[7], 6);
    /* every prefix of a valid code is rejected, every byte value in the first token is safe */
    uint8_t code[64 * 5], big[64 * 4];
    tu_rng r = {8};
    for (int i = 0; i < 64 * 4; i++)
        big[i] = (i / 4) % 3 ? (uint8_t)tu_next(&r) : 0;
    size_t n = nca_rle_encode(big, 64, code, sizeof code);
    for (size_t cut = 0; cut < n; cut++)
        assert_int_equal(nca_rle_decode(code, cut, px, 0, &e) == NCA_OK, cut == 0);
    uint8_t out[64 * 4];
    for (size_t cut = 0; cut < n; cut++)
        assert_int_equal(nca_rle_decode(code, cut, out, 64, &e), NCA_E_FORMAT);
    for (int t = 0; t < 256; t++) {
        code[0] = (uint8_t)t;
        (void)nca_rle_decode(code, n, out, 64, &e);
    }
}

static void test_rows_per_chunk(void **state)
{
    (void)state;
    assert_int_equal(nca_link_rows_per_chunk(64, 16, NCA_LINK_CHUNK), 2);
    assert_int_equal(nca_link_rows_per_chunk(64, 16, NCA_LINK_READ_STATE_MAX), 31);
    assert_int_equal(nca_link_rows_per_chunk(32, 16, NCA_LINK_CHUNK), 4);
    assert_int_equal(nca_link_rows_per_chunk(128, 16, NCA_LINK_CHUNK), 1);
    assert_int_equal(nca_link_rows_per_chunk(129, 16, NCA_LINK_CHUNK), 0);
    assert_int_equal(nca_link_rows_per_chunk(0, 16, NCA_LINK_CHUNK), 0);
    assert_int_equal(nca_link_rows_per_chunk(3, 4, 1u << 30), 0xFFFF);
}

static void test_status_text(void **state)
{
    (void)state;
    for (int s = 0; s < 256; s++) {
        const char *t = nca_link_status_text((uint8_t)s);
        assert_non_null(t);
        assert_true(*t && !strchr(t, '\n'));
        nca_error e = {""};
        uint8_t ans[2] = {(uint8_t)s, (uint8_t)(s % 8)};
        if (s == 0)
            continue;
        assert_int_equal(nca_link_answer_error(NCA_CMD_STEP, ans, 2, &e), NCA_E_DEVICE);
        assert_one_line(&e);
        assert_non_null(strstr(e.msg, "STEP"));
    }
    nca_error e;
    uint8_t bm[2] = {NCA_LS_BAD_MODEL, 2};
    nca_link_answer_error(NCA_CMD_LOAD_MODEL, bm, 2, &e);
    assert_non_null(strstr(e.msg, "LOAD_MODEL: board answered BAD_MODEL"));
    assert_non_null(strstr(e.msg, "channels"));
    uint8_t busy[1] = {NCA_LS_BUSY};
    nca_link_answer_error(NCA_CMD_READ_STATE, busy, 1, &e);
    assert_non_null(strstr(e.msg, "READ_STATE: board answered BUSY"));
    nca_link_answer_error(NCA_CMD_READ_STATE, busy, 0, &e);
    assert_non_null(strstr(e.msg, "empty answer"));
}

static void test_info_stats_parse(void **state)
{
    (void)state;
    uint8_t p[36] = {'N', 'C', 'A', 'B', 1, 3, 64, 0, 48, 0, 16, 128, 16, 0,
                     0x40, 0x78, 0x7D, 0x01, 0xC0, 0xC6, 0x2D, 0x00, 0xEF, 0xBE, 0xAD, 0xDE, 1, 0};
    nca_board_info i;
    nca_error e;
    assert_int_equal(nca_board_info_parse(p, 36, &i, &e), NCA_OK);
    assert_int_equal(i.version, 1);
    assert_int_equal(i.flags, 3);
    assert_int_equal(i.width, 64);
    assert_int_equal(i.height, 48);
    assert_int_equal(i.channels, 16);
    assert_int_equal(i.hidden, 128);
    assert_int_equal(i.lanes, 16);
    assert_int_equal(i.clock_hz, 25000000);
    assert_int_equal(i.baud, 3000000);
    assert_int_equal(i.build_id, 0xDEADBEEFu);
    assert_int_equal(i.board, 1);
    assert_string_equal(nca_board_name(i.board), "iCEBreaker");
    assert_int_equal(nca_board_info_parse(p, 35, &i, &e), NCA_E_DEVICE);
    assert_one_line(&e);
    p[0] = 'X';
    assert_int_equal(nca_board_info_parse(p, 36, &i, &e), NCA_E_DEVICE);
    assert_one_line(&e);
    uint8_t s[28] = {5, 0, 0, 0, 1, 2, 0, 0, 10, 0, 0, 0, 7, 0, 0, 0,
                     1, 0, 0, 0, 2, 0, 0, 0, 0xFF, 0xFF, 1, 0};
    nca_board_stats st;
    assert_int_equal(nca_board_stats_parse(s, 28, &st, &e), NCA_OK);
    assert_int_equal(st.steps, 5);
    assert_int_equal(st.last_clocks, 0x201);
    assert_int_equal(st.pre_alive, 10);
    assert_int_equal(st.active, 7);
    assert_true(st.total_clocks == 0x200000001ull);
    assert_int_equal(st.dropped, 0xFFFF);
    assert_int_equal(st.flags, 1);
    assert_int_equal(nca_board_stats_parse(s, 27, &st, &e), NCA_E_DEVICE);
}

static void ok(nca_status st, const nca_error *e)
{
    if (st != NCA_OK)
        fail_msg("link: %s", e->msg);
}

/* Loads the lizard, seeds, runs `steps` with a damage, like nca-host. */
static void session(nca_link *l, const nca_model *m, unsigned steps, nca_board_stats *bs)
{
    nca_error e;
    ok(nca_link_load_model(l, m, &e), &e);
    ok(nca_link_set(l, NCA_REG_SEED, 7, &e), &e);
    ok(nca_link_set(l, NCA_REG_BOUNDARY, m->boundary, &e), &e);
    ok(nca_link_set(l, NCA_REG_STEPS, 0, &e), &e);
    ok(nca_link_clear(l, &e), &e);
    ok(nca_link_seed(l, EW / 2, EH / 2, &e), &e);
    for (unsigned t = 0; t < steps; t++) {
        if (t == steps / 2) {
            nca_damage d = {NCA_DMG_HALF, NCA_HALF_LEFT, 0, 0};
            ok(nca_link_damage(l, &d, &e), &e);
        }
        ok(nca_link_step(l, 1, bs, &e), &e);
    }
}

static void reference(const nca_model *m, unsigned steps, nca_grid *g)
{
    nca_workspace ws;
    nca_error e;
    tu_grid(g, m, EW, EH, 7, 0);
    tu_workspace(&ws, g);
    if (nca_grid_seed(g, EW / 2, EH / 2, &e) != NCA_OK)
        fail_msg("%s", e.msg);
    for (unsigned t = 0; t < steps; t++) {
        if (t == steps / 2) {
            nca_damage d = {NCA_DMG_HALF, NCA_HALF_LEFT, 0, 0};
            nca_grid_damage(g, &d);
        }
        nca_step_fixed(m, g, &ws, NULL);
    }
    nca_workspace_free(&ws);
}

static void test_link_session(void **state)
{
    (void)state;
    fake_board *f;
    nca_link *l = fake_link(&f);
    nca_model *m = tu_load_regen_lizard();
    nca_error e;
    nca_board_info bi;
    ok(nca_link_info(l, &bi, &e), &e);
    assert_int_equal(bi.width, EW);
    assert_int_equal(bi.height, EH);
    assert_int_equal(bi.channels, 16);
    const unsigned steps = 12;
    nca_board_stats bs;
    session(l, m, steps, &bs);
    assert_int_equal(bs.steps, steps);
    nca_grid g;
    reference(m, steps, &g);
    /* READ_STATE in row chunks equals the C model; STATS agrees */
    int16_t *s = malloc(tu_words(&g) * sizeof *s);
    assert_non_null(s);
    ok(nca_link_read_state(l, 0, EH, EW, 16, s, &e), &e);
    assert_memory_equal(s, g.s, tu_words(&g) * sizeof *s);
    assert_int_equal(f->n_req[NCA_CMD_READ_STATE], 1); /* 24 rows x 1 KB: one answer */
    /* a part of the grid */
    ok(nca_link_read_state(l, 5, 3, EW, 16, s, &e), &e);
    assert_memory_equal(s, g.s + 5 * EW * 16, 3 * EW * 16 * sizeof *s);
    /* READ_FRAME decodes to the C model's frame */
    uint8_t *px = malloc(EW * EH * 4), *want = malloc(EW * EH * 4);
    assert_true(px && want);
    ok(nca_link_read_frame(l, px, EW, EH, &e), &e);
    nca_frame_rgba(&g, 0, want);
    assert_memory_equal(px, want, EW * EH * 4);
    assert_int_equal(nca_link_read_frame(l, px, EW + 1, EH, &e), NCA_E_DEVICE);
    assert_one_line(&e);
    /* WRITE_STATE in chunks (4 rows each) round-trips */
    for (size_t i = 0; i < tu_words(&g); i++)
        s[i] = (int16_t)(i * 2654435761u >> 7);
    ok(nca_link_write_state(l, 0, EH, EW, 16, s, &e), &e);
    assert_int_equal(f->n_req[NCA_CMD_WRITE_STATE], EH / 4);
    assert_memory_equal(f->g.s, s, tu_words(&g) * sizeof *s);
    nca_board_stats st;
    ok(nca_link_stats(l, &st, &e), &e);
    assert_int_equal(st.steps, steps);
    assert_int_equal(f->repeated_seq, 0);
    assert_int_equal(nca_link_get_counters(l)->resends, 0);
    free(px);
    free(want);
    free(s);
    nca_grid_free(&g);
    free(m);
    nca_link_close(l);
}

static void test_link_faults(void **state)
{
    (void)state;
    fake_board *f;
    nca_link *l = fake_link(&f);
    nca_model *m = tu_load_regen_lizard();
    nca_error e;
    nca_board_info bi;
    /* lost requests, lost answers, corrupted answers, stale answers, garbage: all recovered */
    f->drop_requests = 2;
    ok(nca_link_info(l, &bi, &e), &e);
    assert_int_equal(nca_link_get_counters(l)->resends, 2);
    assert_int_equal(f->repeated_seq, 2); /* resent with the same sequence number */
    f->drop_answers = 1;
    ok(nca_link_info(l, &bi, &e), &e);
    f->flip_answers = 2;
    ok(nca_link_info(l, &bi, &e), &e);
    assert_true(nca_link_decoder(l)->crc_errors >= 2);
    f->stale_answers = 1;
    ok(nca_link_info(l, &bi, &e), &e);
    assert_int_equal(nca_link_get_counters(l)->stale, 2);
    f->garbage = 300;
    /* a lost LOAD_MODEL answer: the resent chunk is "out of order", the load restarts */
    f->drop_answers = 1;
    ok(nca_link_load_model(l, m, &e), &e);
    assert_true(f->loaded);
    assert_true(f->n_req[NCA_CMD_LOAD_MODEL] > 3);
    /* a lost STEP answer: STATS shows the step was done; it is not done twice */
    ok(nca_link_set(l, NCA_REG_STEPS, 0, &e), &e);
    ok(nca_link_seed(l, 3, 3, &e), &e);
    nca_board_stats bs;
    ok(nca_link_step(l, 2, &bs, &e), &e);
    f->drop_answers = 1;
    ok(nca_link_step(l, 3, &bs, &e), &e);
    assert_int_equal(bs.steps, 5);
    assert_int_equal(f->steps_run, 5);
    /* a lost STEP request: STATS shows nothing done; it is sent again, same sequence */
    f->drop_requests = 1;
    int rep = f->repeated_seq;
    ok(nca_link_step(l, 1, &bs, &e), &e);
    assert_int_equal(bs.steps, 6);
    assert_int_equal(f->steps_run, 6);
    assert_int_equal(f->repeated_seq, rep + 1);
    /* a board that stays silent: NCA_E_DEVICE with one line, after 1 + retries tries */
    f->drop_requests = 100;
    uint64_t sent = f->n_req[NCA_CMD_INFO];
    assert_int_equal(nca_link_info(l, &bi, &e), NCA_E_DEVICE);
    assert_one_line(&e);
    assert_non_null(strstr(e.msg, "no answer from the board to INFO"));
    assert_int_equal(f->n_req[NCA_CMD_INFO] - sent, 4);
    f->drop_requests = 0;
    f->garbage = 0;
    /* error statuses become NCA_E_DEVICE with one line */
    assert_int_equal(nca_link_seed(l, 500, 2, &e), NCA_E_DEVICE);
    assert_one_line(&e);
    assert_non_null(strstr(e.msg, "SEED: board answered BAD_ARG"));
    int16_t w[8];
    assert_int_equal(nca_link_read_state(l, EH - 1, 2, EW, 16, w, &e), NCA_E_DEVICE);
    assert_non_null(strstr(e.msg, "READ_STATE: board answered BAD_ARG"));
    uint8_t junk[3] = {1, 2, 3};
    uint8_t ans[64];
    size_t alen = 0;
    ok(nca_link_request(l, 0x7E, junk, 3, 0, ans, sizeof ans, &alen, &e), &e);
    assert_int_equal(alen, 1);
    assert_int_equal(ans[0], NCA_LS_BAD_CMD);
    /* argument checks before anything is sent */
    assert_int_equal(nca_link_step(l, 0, NULL, &e), NCA_E_ARG);
    assert_int_equal(nca_link_step(l, (1u << 24) + 1, NULL, &e), NCA_E_ARG);
    nca_damage d = {NCA_DMG_CIRCLE, -1, 0, 3};
    assert_int_equal(nca_link_damage(l, &d, &e), NCA_E_ARG);
    assert_int_equal(nca_link_run(l, 0, 0, &e), NCA_E_ARG);
    uint8_t *big = calloc(1, NCA_LINK_MAX_REQUEST + 1);
    assert_int_equal(nca_link_request(l, 1, big, NCA_LINK_MAX_REQUEST + 1, 0, ans, 64, &alen, &e),
                     NCA_E_ARG);
    free(big);
    free(m);
    nca_link_close(l);
}

static void test_link_run_stop(void **state)
{
    (void)state;
    fake_board *f;
    nca_link *l = fake_link(&f);
    nca_model *m = tu_load_regen_lizard();
    nca_error e;
    nca_board_stats bs;
    session(l, m, 0, &bs);
    ok(nca_link_run(l, 2, 0, &e), &e);
    uint8_t *px = malloc(EW * EH * 4);
    assert_non_null(px);
    for (int i = 0; i < 3; i++) {
        int got = 0;
        uint8_t seq = 0xFF;
        ok(nca_link_next_frame(l, 200, px, EW, EH, &got, &seq, &e), &e);
        assert_true(got);
        assert_int_equal(seq, i);
    }
    /* while running: BUSY for a step, INFO still answered */
    assert_int_equal(nca_link_step(l, 1, NULL, &e), NCA_E_DEVICE);
    assert_non_null(strstr(e.msg, "BUSY"));
    nca_board_info bi;
    ok(nca_link_info(l, &bi, &e), &e);
    assert_int_equal(bi.flags & 2, 2);
    ok(nca_link_stop(l, &bs, &e), &e);
    assert_int_equal(bs.flags & 2, 0);
    assert_int_equal(bs.steps, f->g.step);
    /* the last frame equals the C model's picture of the board's state */
    uint8_t *want = malloc(EW * EH * 4);
    assert_non_null(want);
    ok(nca_link_read_frame(l, px, EW, EH, &e), &e);
    nca_frame_rgba(&f->g, 0, want);
    assert_memory_equal(px, want, EW * EH * 4);
    /* a bounded run stops by itself */
    ok(nca_link_run(l, 3, 6, &e), &e);
    int frames = 0, got = 1;
    while (got) {
        ok(nca_link_next_frame(l, 50, px, EW, EH, &got, NULL, &e), &e);
        frames += got;
    }
    assert_int_equal(frames, 2);
    ok(nca_link_step(l, 1, &bs, &e), &e); /* steps_known was reset by RUN */
    assert_int_equal(bs.steps, f->g.step);
    free(px);
    free(want);
    free(m);
    nca_link_close(l);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_crc16_check_value),
        cmocka_unit_test(test_packet_layout),
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_max_sizes),
        cmocka_unit_test(test_garbage_between_packets),
        cmocka_unit_test(test_every_bit_flip),
        cmocka_unit_test(test_truncations),
        cmocka_unit_test(test_random_streams),
        cmocka_unit_test(test_rle_round_trip),
        cmocka_unit_test(test_rle_malformed),
        cmocka_unit_test(test_rows_per_chunk),
        cmocka_unit_test(test_status_text),
        cmocka_unit_test(test_info_stats_parse),
        cmocka_unit_test(test_link_session),
        cmocka_unit_test(test_link_faults),
        cmocka_unit_test(test_link_run_stop),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

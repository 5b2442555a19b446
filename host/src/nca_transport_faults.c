/* SPDX-License-Identifier: Apache-2.0 */
/* nca_transport_faults.c - a test transport: passes everything through to another one and
 * injects faults at random points (board option faults=SEED:PERMILLE[:KINDS], see
 * nca_transport.h): what a flaky cable, a noisy line, a stalled or unplugged board do to the
 * host, reproducibly from a seed. The link above must retry what the protocol allows and
 * otherwise fail with one line (tests/c/test_faults.sh). */
#include "nca_transport.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define FAULT_KINDS "sgdftle"
#define STALL_MS 1500u /* a stalled board says nothing for this long */

typedef struct faulty {
    nca_transport self;
    nca_transport *inner;
    uint64_t rng;
    unsigned permille;
    char kinds[sizeof FAULT_KINDS];
    int gone;             /* an injected EOF: the device is unplugged from here on */
    uint64_t stall_until; /* ms clock: reads see nothing until then */
} faulty;

static uint64_t next(faulty *f)
{
    f->rng ^= f->rng >> 12;
    f->rng ^= f->rng << 25;
    f->rng ^= f->rng >> 27;
    return f->rng * 0x2545F4914F6CDD1DULL;
}

static uint64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static void sleep_ms(unsigned ms)
{
    struct timespec ts = {(time_t)(ms / 1000u), (long)(ms % 1000u) * 1000000L};
    nanosleep(&ts, NULL);
}

/* The fault for this call: 0 none, else one of the kinds enabled (letters of FAULT_KINDS). */
static char pick(faulty *f, const char *allowed)
{
    if (next(f) % 1000u >= f->permille)
        return 0;
    char c = f->kinds[next(f) % strlen(f->kinds)];
    return strchr(allowed, c) ? c : 0;
}

static nca_status gone(const faulty *f, nca_error *err)
{
    return nca_fail(err, NCA_E_DEVICE, "%s: device disconnected (injected EOF)", f->inner->name);
}

static nca_status f_write(nca_transport *t, const uint8_t *buf, size_t n, nca_error *err)
{
    faulty *f = t->ctx;
    if (f->gone)
        return gone(f, err);
    switch (pick(f, "le")) {
    case 'l': /* lost on the line: the board never sees this request */
        return NCA_OK;
    case 'e':
        f->gone = 1;
        return gone(f, err);
    default:
        return f->inner->write(f->inner, buf, n, err);
    }
}

static nca_status f_read(nca_transport *t, uint8_t *buf, size_t cap, size_t *got,
                         unsigned timeout_ms, nca_error *err)
{
    faulty *f = t->ctx;
    *got = 0;
    if (f->gone)
        return gone(f, err);
    uint64_t now = now_ms();
    if (now < f->stall_until) { /* stalled: nothing arrives (the board's bytes wait) */
        uint64_t left = f->stall_until - now;
        sleep_ms(left < timeout_ms ? (unsigned)left : timeout_ms);
        return NCA_OK;
    }
    char k = pick(f, "sgdfte");
    nca_status st;
    switch (k) {
    case 'e':
        f->gone = 1;
        return gone(f, err);
    case 't':
        f->stall_until = now + STALL_MS;
        return NCA_OK;
    case 'g': { /* line noise: bytes that no board sent */
        size_t n = 1 + next(f) % 16u;
        if (n > cap)
            n = cap;
        for (size_t i = 0; i < n; i++)
            buf[i] = (uint8_t)next(f);
        if (n && next(f) % 4u == 0)
            buf[0] = 0xA5; /* now and then the start of a sync */
        *got = n;
        return NCA_OK;
    }
    case 's': /* a short read: what is not taken now comes with the next read */
        st = f->inner->read(f->inner, buf, 1 + next(f) % (cap > 1 ? cap / 2 : 1), got,
                            timeout_ms, err);
        return st;
    default:
        break;
    }
    st = f->inner->read(f->inner, buf, cap, got, timeout_ms, err);
    if (st != NCA_OK || !*got)
        return st;
    if (k == 'd' && *got > 1) { /* bytes lost on the line: a span cut out */
        size_t at = next(f) % *got, n = 1 + next(f) % (*got - at);
        memmove(buf + at, buf + at + n, *got - at - n);
        *got -= n;
    } else if (k == 'f') { /* a bit flipped */
        buf[next(f) % *got] ^= (uint8_t)(1u << (next(f) % 8u));
    }
    return NCA_OK;
}

static nca_status f_flush(nca_transport *t, nca_error *err)
{
    faulty *f = t->ctx;
    if (f->gone)
        return gone(f, err);
    return f->inner->flush(f->inner, err);
}

static void f_close(nca_transport *t)
{
    faulty *f = t->ctx;
    nca_transport_close(f->inner);
    free(f);
}

/* SEED:PERMILLE[:KINDS] into its parts (kinds: cap bytes) */
static nca_status parse_spec(const char *spec, unsigned long *seed, unsigned *permille,
                             char *kinds, size_t cap, nca_error *err)
{
    unsigned long pm = 0;
    int used = 0;
    int ok = sscanf(spec, "%lu:%lu%n", seed, &pm, &used) == 2 && spec[0] != '-' && pm <= 1000;
    snprintf(kinds, cap, "%s", FAULT_KINDS);
    const char *k = ok ? spec + used : "";
    if (ok && *k) { /* :KINDS, letters of FAULT_KINDS */
        k++;
        ok = *k && strlen(k) < cap && strspn(k, FAULT_KINDS) == strlen(k);
        if (ok)
            snprintf(kinds, cap, "%s", k);
    }
    if (!ok)
        return nca_fail(err, NCA_E_ARG,
                        "faults '%.40s': expected SEED:PERMILLE[:KINDS], PERMILLE 0..1000, "
                        "KINDS letters of %s", spec, FAULT_KINDS);
    *permille = (unsigned)pm;
    return NCA_OK;
}

nca_status nca_transport_faults_check(const char *spec, nca_error *err)
{
    unsigned long seed;
    unsigned pm;
    char kinds[sizeof FAULT_KINDS];
    return parse_spec(spec, &seed, &pm, kinds, sizeof kinds, err);
}

nca_status nca_transport_open_faults(nca_transport **out, nca_transport *inner,
                                     const char *spec, nca_error *err)
{
    unsigned long seed = 0;
    unsigned pm = 0;
    char kinds[sizeof FAULT_KINDS];
    nca_status st = parse_spec(spec, &seed, &pm, kinds, sizeof kinds, err);
    faulty *f = st == NCA_OK ? calloc(1, sizeof *f) : NULL;
    if (st == NCA_OK && !f)
        st = nca_fail(err, NCA_E_NOMEM, "out of memory");
    if (st != NCA_OK) {
        nca_transport_close(inner);
        return st;
    }
    f->inner = inner;
    f->rng = ((uint64_t)seed << 1 | 1u) * 0x9E3779B97F4A7C15ULL;
    f->permille = pm;
    snprintf(f->kinds, sizeof f->kinds, "%s", kinds);
    f->self = (nca_transport){inner->name, f_write, f_read, f_flush, f_close, f};
    *out = &f->self;
    return NCA_OK;
}

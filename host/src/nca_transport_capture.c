/* SPDX-License-Identifier: Apache-2.0 */
/* nca_transport_capture.c - a transport that passes everything through to another one and
 * appends every byte the board sends to a file: a capture of the link's answers and events
 * (`--capture FILE`), for debugging a board and as the host decoder's fuzz corpus. */
#include "nca_transport.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct capture {
    nca_transport self;
    nca_transport *inner;
    FILE *f;
    char path[512];
} capture;

static nca_status cap_write(nca_transport *t, const uint8_t *buf, size_t n, nca_error *err)
{
    capture *c = t->ctx;
    return c->inner->write(c->inner, buf, n, err);
}

static nca_status cap_read(nca_transport *t, uint8_t *buf, size_t cap, size_t *got,
                           unsigned timeout_ms, nca_error *err)
{
    capture *c = t->ctx;
    nca_status st = c->inner->read(c->inner, buf, cap, got, timeout_ms, err);
    if (st == NCA_OK && *got && (fwrite(buf, 1, *got, c->f) != *got || fflush(c->f) != 0))
        return nca_fail(err, NCA_E_IO, "capture %s: %s", c->path, strerror(errno));
    return st;
}

static nca_status cap_flush(nca_transport *t, nca_error *err)
{
    capture *c = t->ctx;
    return c->inner->flush(c->inner, err);
}

static void cap_close(nca_transport *t)
{
    capture *c = t->ctx;
    nca_transport_close(c->inner);
    fclose(c->f);
    free(c);
}

nca_status nca_transport_open_capture(nca_transport **out, nca_transport *inner,
                                      const char *path, nca_error *err)
{
    capture *c = calloc(1, sizeof *c);
    if (!c) {
        nca_transport_close(inner);
        return nca_fail(err, NCA_E_NOMEM, "out of memory");
    }
    snprintf(c->path, sizeof c->path, "%s", path);
    c->f = fopen(path, "wb");
    if (!c->f) {
        nca_status st = nca_fail(err, NCA_E_IO, "capture %s: %s", path, strerror(errno));
        nca_transport_close(inner);
        free(c);
        return st;
    }
    c->inner = inner;
    c->self = (nca_transport){inner->name, cap_write, cap_read, cap_flush, cap_close, c};
    *out = &c->self;
    return NCA_OK;
}

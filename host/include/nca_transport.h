/* SPDX-License-Identifier: Apache-2.0 */
/*
 * nca_transport.h - the byte pipe under the link protocol (docs/protocol.md).
 *
 * A transport moves raw bytes to and from a board: a tty (`serial`), an FTDI chip through
 * libftdi1 (`usb`), or the Verilated virtual board behind a pseudo terminal (`vboard`).
 * The link layer (nca_link.h) only calls the four operations below, so a test bench can
 * supply its own transport: fill a struct nca_transport with its functions and a context.
 */
#ifndef NCA_TRANSPORT_H
#define NCA_TRANSPORT_H

#include "nca.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct nca_transport nca_transport;
struct nca_transport {
    const char *name; /* "serial", "usb", "vboard", ... (for messages) */
    /* Writes all n bytes (blocking). */
    nca_status (*write)(nca_transport *t, const uint8_t *buf, size_t n, nca_error *err);
    /* Reads 1..cap bytes, waiting at most timeout_ms for the first; *got = 0 on timeout. */
    nca_status (*read)(nca_transport *t, uint8_t *buf, size_t cap, size_t *got,
                       unsigned timeout_ms, nca_error *err);
    /* Discards input received but not yet read (and output not yet sent, if possible). */
    nca_status (*flush)(nca_transport *t, nca_error *err);
    /* Releases everything; t is invalid afterwards. */
    void (*close)(nca_transport *t);
    void *ctx; /* the implementation's state */
};

/* A tty: raw 8N1, no flow control, any baud (termios2 BOTHER where no Bxxx exists). */
nca_status nca_transport_open_serial(nca_transport **out, const char *path, unsigned baud,
                                     nca_error *err);
/* An FTDI UART through libftdi1. spec "" finds an iCEBreaker (FT2232H 0403:6010, interface
 * B) or else a ULX3S (FT231X 0403:6015); "VID:PID" (hex) or "VID:PID:IFACE" (IFACE A..D)
 * picks one. Fails with NCA_E_DEVICE when the build has no libftdi1. */
nca_status nca_transport_open_usb(nca_transport **out, const char *spec, unsigned baud,
                                  nca_error *err);
/* Spawns the virtual board `binary --stdin-eof` with a pipe as its stdin, reads the line
 * "pty: PATH" from its stdout (waiting at most start_ms) and opens PATH as a tty. Closing
 * the transport closes the pipe; the board exits on that EOF and is reaped. */
nca_status nca_transport_open_vboard(nca_transport **out, const char *binary,
                                     unsigned start_ms, nca_error *err);
/* Wraps inner (owned from here on, closed with the wrapper, also on an error): every byte
 * read is also written to the file at path, created or truncated (`--capture`). */
nca_status nca_transport_open_capture(nca_transport **out, nca_transport *inner,
                                      const char *path, nca_error *err);
/* Wraps inner (owned from here on, as above) with injected faults, for tests: spec is
 * SEED:PERMILLE[:KINDS], each read or write call has a PERMILLE/1000 chance of one fault of
 * KINDS (default all): s short read, g garbage bytes, d bytes dropped, f a bit flipped,
 * t the board stalls (nothing arrives for 1.5 s), l a request lost, e the device gone
 * (every call after fails). The same seed gives the same faults at the same calls. */
nca_status nca_transport_open_faults(nca_transport **out, nca_transport *inner,
                                     const char *spec, nca_error *err);
/* Checks a faults spec without opening anything (NCA_E_ARG names the problem). */
nca_status nca_transport_faults_check(const char *spec, nca_error *err);
void nca_transport_close(nca_transport *t); /* NULL is fine */

/* Sets a custom baud rate on a tty with termios2/BOTHER (Linux); 0 ok, -1 with errno. */
int nca_serial_set_custom_baud(int fd, unsigned baud);

#ifdef __cplusplus
}
#endif
#endif

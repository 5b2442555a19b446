/* SPDX-License-Identifier: Apache-2.0 */
/* nca_transport_usb.c - the `usb` transport: an FTDI UART through libftdi1 (iCEBreaker's
 * FT2232H interface B, ULX3S's FT231X). Built with libftdi1 when the top Makefile finds it
 * (NCA_HAVE_LIBFTDI); without it the transport says so and finds no board. */
#include "nca_backend.h"
#include "nca_transport.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#if defined(NCA_HAVE_LIBFTDI)
#include <ftdi.h>

typedef struct usb_ctx {
    struct ftdi_context *ftdi;
    char what[64];
} usb_ctx;

static long now_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (long)t.tv_sec * 1000L + t.tv_nsec / 1000000L;
}

static nca_status usb_write(nca_transport *t, const uint8_t *buf, size_t n, nca_error *err)
{
    usb_ctx *c = t->ctx;
    size_t done = 0;
    while (done < n) {
        size_t k = n - done > 4096 ? 4096 : n - done;
        int r = ftdi_write_data(c->ftdi, buf + done, (int)k);
        if (r < 0)
            return nca_fail(err, NCA_E_DEVICE, "usb %s: write: %s", c->what,
                            ftdi_get_error_string(c->ftdi));
        done += (size_t)r;
    }
    return NCA_OK;
}

static nca_status usb_read(nca_transport *t, uint8_t *buf, size_t cap, size_t *got,
                           unsigned timeout_ms, nca_error *err)
{
    usb_ctx *c = t->ctx;
    const long end = now_ms() + (long)timeout_ms;
    *got = 0;
    for (;;) {
        /* returns at once with what the chip has (it reports every latency period) */
        int r = ftdi_read_data(c->ftdi, buf, (int)(cap > 65536 ? 65536 : cap));
        if (r < 0)
            return nca_fail(err, NCA_E_DEVICE, "usb %s: read: %s (board unplugged?)", c->what,
                            ftdi_get_error_string(c->ftdi));
        if (r > 0) {
            *got = (size_t)r;
            return NCA_OK;
        }
        if (now_ms() >= end)
            return NCA_OK;
        struct timespec nap = {0, 200000};
        nanosleep(&nap, NULL);
    }
}

static nca_status usb_flush(nca_transport *t, nca_error *err)
{
    usb_ctx *c = t->ctx;
    if (ftdi_tcioflush(c->ftdi) < 0)
        return nca_fail(err, NCA_E_DEVICE, "usb %s: flush: %s", c->what,
                        ftdi_get_error_string(c->ftdi));
    return NCA_OK;
}

static void usb_close(nca_transport *t)
{
    usb_ctx *c = t->ctx;
    ftdi_usb_close(c->ftdi);
    ftdi_free(c->ftdi);
    free(c);
    free(t);
}

/* Opens vid:pid on iface; 0, or the libftdi error code (-3: no such device). */
static int try_open(struct ftdi_context *f, unsigned vid, unsigned pid, enum ftdi_interface iface)
{
    int r = ftdi_set_interface(f, iface);
    if (r < 0)
        return r;
    return ftdi_usb_open(f, (int)vid, (int)pid);
}

int nca_usb_board_present(char *what, size_t cap)
{
    static const struct {
        int pid;
        const char *name;
    } boards[2] = {{0x6010, "iCEBreaker (0403:6010)"}, {0x6015, "ULX3S (0403:6015)"}};
    struct ftdi_context *f = ftdi_new();
    int found = 0;
    snprintf(what, cap, "no FTDI board on USB");
    for (int i = 0; f && i < 2 && !found; i++) {
        struct ftdi_device_list *list = NULL;
        if (ftdi_usb_find_all(f, &list, 0x0403, boards[i].pid) > 0) {
            snprintf(what, cap, "%s", boards[i].name);
            found = 1;
        }
        ftdi_list_free(&list);
    }
    if (f)
        ftdi_free(f);
    return found;
}

nca_status nca_transport_open_usb(nca_transport **out, const char *spec, unsigned baud,
                                  nca_error *err)
{
    unsigned vid = 0x0403, pid = 0;
    char ifc = 0;
    if (spec && *spec) {
        char tail;
        int k = sscanf(spec, "%x:%x:%c%c", &vid, &pid, &ifc, &tail);
        if (k < 2 || k > 3 || vid > 0xFFFF || pid > 0xFFFF ||
            (k == 3 && (ifc < 'A' || ifc > 'D')))
            return nca_fail(err, NCA_E_ARG, "usb device '%s': expected VID:PID[:A..D] in hex",
                            spec);
    }
    struct ftdi_context *f = ftdi_new();
    if (!f)
        return nca_fail(err, NCA_E_DEVICE, "usb: cannot initialise libftdi/libusb");
    static const enum ftdi_interface ifaces[4] = {INTERFACE_A, INTERFACE_B, INTERFACE_C,
                                                  INTERFACE_D};
    char what[64];
    int r;
    if (pid) {
        enum ftdi_interface i = ifc ? ifaces[ifc - 'A'] : pid == 0x6010 ? INTERFACE_B : INTERFACE_A;
        snprintf(what, sizeof what, "%04x:%04x", vid, pid);
        r = try_open(f, vid, pid, i);
        if (r == -3) {
            ftdi_free(f);
            return nca_fail(err, NCA_E_DEVICE, "no FTDI device %04x:%04x found", vid, pid);
        }
    } else {
        snprintf(what, sizeof what, "0403:6010 (iCEBreaker)");
        r = try_open(f, 0x0403, 0x6010, INTERFACE_B);
        if (r == -3) {
            snprintf(what, sizeof what, "0403:6015 (ULX3S)");
            r = try_open(f, 0x0403, 0x6015, INTERFACE_A);
        }
        if (r == -3) {
            ftdi_free(f);
            return nca_fail(err, NCA_E_DEVICE,
                            "no FTDI device 0403:6010 (iCEBreaker) or 0403:6015 (ULX3S) found");
        }
    }
    if (r < 0) {
        nca_fail(err, NCA_E_DEVICE, "usb %s: %s (in use by another program? permissions on /dev/bus/usb?)",
                 what, ftdi_get_error_string(f));
        ftdi_free(f);
        return NCA_E_DEVICE;
    }
    const char *step = NULL;
    if (ftdi_usb_reset(f) < 0)
        step = "reset";
    else if (ftdi_set_baudrate(f, (int)baud) < 0)
        step = "set baud rate";
    else if (ftdi_set_line_property(f, BITS_8, STOP_BIT_1, NONE) < 0)
        step = "set 8N1";
    else if (ftdi_setflowctrl(f, SIO_DISABLE_FLOW_CTRL) < 0)
        step = "disable flow control";
    else if (ftdi_set_latency_timer(f, 1) < 0)
        step = "set latency timer";
    else if (ftdi_tcioflush(f) < 0)
        step = "purge";
    if (step) {
        nca_fail(err, NCA_E_DEVICE, "usb %s: %s (%u baud): %s", what, step, baud,
                 ftdi_get_error_string(f));
        ftdi_usb_close(f);
        ftdi_free(f);
        return NCA_E_DEVICE;
    }
    f->usb_read_timeout = 50;
    f->usb_write_timeout = 5000;
    nca_transport *t = calloc(1, sizeof *t);
    usb_ctx *c = calloc(1, sizeof *c);
    if (!t || !c) {
        free(t);
        free(c);
        ftdi_usb_close(f);
        ftdi_free(f);
        return nca_fail(err, NCA_E_NOMEM, "out of memory");
    }
    c->ftdi = f;
    snprintf(c->what, sizeof c->what, "%s", what);
    t->name = "usb";
    t->write = usb_write;
    t->read = usb_read;
    t->flush = usb_flush;
    t->close = usb_close;
    t->ctx = c;
    *out = t;
    return NCA_OK;
}

#else /* no libftdi1 at build time */

int nca_usb_board_present(char *what, size_t cap)
{
    snprintf(what, cap, "no USB scan: built without libftdi1");
    return 0;
}

nca_status nca_transport_open_usb(nca_transport **out, const char *spec, unsigned baud,
                                  nca_error *err)
{
    (void)out;
    (void)spec;
    (void)baud;
    return nca_fail(err, NCA_E_DEVICE,
                    "usb transport not built: libftdi1 was missing at build time "
                    "(tools/install-deps.sh; or use --backend serial)");
}

#endif

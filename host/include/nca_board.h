/* SPDX-License-Identifier: Apache-2.0 */
/*
 * nca_board.h - the board backends (`serial`, `usb`, `vboard`): nca_backend_ops over the
 * link protocol, and their options.
 *
 * Options come typed (nca_board_options, from a program's own flags) and as text, the ARG
 * of `--backend NAME:ARG`: comma-separated key=value pairs; a first item without '=' is the
 * backend's main argument (serial: port, usb: VID:PID[:IFACE], vboard: binary). Later keys
 * override earlier ones. Keys: port=PATH, baud=N, device=VID:PID[:IFACE], vboard=PATH,
 * timeout=MS (answer timeout), retries=N, capture=PATH (the board's bytes into a file),
 * faults=SEED:PERMILLE[:KINDS] (injected link faults, for tests: nca_transport_open_faults).
 * The typed options that are set win over the text.
 */
#ifndef NCA_BOARD_H
#define NCA_BOARD_H

#include "nca_backend.h"
#include "nca_link.h"

#ifdef __cplusplus
extern "C" {
#endif

#define NCA_BOARD_DEFAULT_PORT "/dev/ttyUSB1" /* iCEBreaker: FT2232H channel B */
#define NCA_BOARD_DEFAULT_BAUD 3000000u
/* The virtual board's binary: found beside the running program, or where `make vboard`
 * builds it in the source tree (../sim/build/vboard/ of build/, ../../ of build/san/). */
#define NCA_BOARD_VBOARD_NAME "nca-vboard"

/* Board options; "" and 0 (retries: -1) mean unset: the default, or what the text says. */
typedef struct nca_board_options {
    char port[256];      /* serial: the tty (default NCA_BOARD_DEFAULT_PORT) */
    char device[64];     /* usb: VID:PID[:IFACE] (default: the first FTDI board) */
    char vboard[512];    /* vboard: the program (default: nca_board_vboard_path) */
    char capture[512];   /* every byte the board sends is also written here ("": none) */
    char faults[64];     /* injected link faults (tests), nca_transport_open_faults ("": none) */
    unsigned baud;       /* link rate (default NCA_BOARD_DEFAULT_BAUD) */
    unsigned timeout_ms; /* answer timeout (default: the link's, longer for the vboard) */
    int retries;         /* retries after a timeout (default: the link's) */
} nca_board_options;

/* All unset. */
void nca_board_options_clear(nca_board_options *o);
/* Parses the text form for backend `kind` into o, over what o holds. NCA_E_ARG names the
 * bad item. */
nca_status nca_board_options_parse(const char *kind, const char *text, nca_board_options *o,
                                   nca_error *err);
/* Sets `name` ("port", "device", "vboard", "capture", "faults") to `value`; NCA_E_ARG when it is empty or does not
 * fit. */
nca_status nca_board_options_set(nca_board_options *o, const char *name, const char *value,
                                 nca_error *err);

extern const nca_backend_ops nca_backend_serial_ops;
extern const nca_backend_ops nca_backend_usb_ops;
extern const nca_backend_ops nca_backend_vboard_ops;

/* Opens the link of board backend `kind` ("serial", "usb", "vboard") with cfg's options
 * (NULL: all defaults), reads INFO and checks the protocol version; a running board is
 * stopped. Errors are NCA_E_DEVICE (no device, no answer, wrong version) or NCA_E_ARG (bad
 * options). */
nca_status nca_board_open(const char *kind, const nca_backend_config *cfg, nca_link **out,
                          nca_board_info *info, nca_error *err);
/* The default virtual board path for the running program into out (cap bytes); 0 when
 * none exists (out then names the first place looked). */
int nca_board_vboard_path(char *out, size_t cap);

#ifdef __cplusplus
}
#endif
#endif

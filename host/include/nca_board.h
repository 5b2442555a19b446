/* SPDX-License-Identifier: Apache-2.0 */
/*
 * nca_board.h - the board backends (`serial`, `usb`, `vboard`): nca_backend_ops over the
 * link protocol, and the option string they share with nca-host.
 *
 * Option string: comma-separated key=value pairs; a first item without '=' is the
 * backend's main argument (serial: port, usb: VID:PID[:IFACE], vboard: binary). Later
 * keys override earlier ones. Keys: port=PATH, baud=N, device=VID:PID[:IFACE],
 * vboard=PATH, timeout=MS (answer timeout), retries=N.
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

extern const nca_backend_ops nca_backend_serial_ops;
extern const nca_backend_ops nca_backend_usb_ops;
extern const nca_backend_ops nca_backend_vboard_ops;

/* Opens the link of board backend `kind` ("serial", "usb", "vboard") with the option string,
 * reads INFO and checks the protocol version; a running board is stopped. Errors are
 * NCA_E_DEVICE (no device, no answer, wrong version) or NCA_E_ARG (bad options). */
nca_status nca_board_open(const char *kind, const char *options, nca_link **out,
                          nca_board_info *info, nca_error *err);
/* The default virtual board path for the running program into out (cap bytes); 0 when
 * none exists (out then names the first place looked). */
int nca_board_vboard_path(char *out, size_t cap);
/* Prints INFO as "key: value" lines. */
void nca_board_info_print(const nca_board_info *info, void *file /* FILE * */);

#ifdef __cplusplus
}
#endif
#endif

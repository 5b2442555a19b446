#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Loads the bitstream that `make bitstream BOARD=...` built onto a board with openFPGALoader.
#
#   tools/flash.sh BOARD [--flash]
#
# icebreaker   writes the SPI flash (openFPGALoader -b ice40_generic reaches the iCE40 only
#              through its flash; ICEPROG=1 uses iceprog instead); the FPGA boots from it.
# ulx3s-*      loads the ECP5's SRAM over JTAG (-b ulx3s, lost at power-off); --flash
#              writes the SPI flash instead. The FT231X carries both JTAG and the UART:
#              close nca-host's serial port first.
set -eu
cd "$(dirname "$0")/.."
BOARD=${1:-}
MODE=${2:-}
case "$BOARD" in
icebreaker) FILE=build/bitstream/$BOARD/nca-$BOARD.bin ;;
ulx3s-25f|ulx3s-85f) FILE=build/bitstream/$BOARD/nca-$BOARD.bit ;;
*) echo "flash: unknown board '$BOARD' (icebreaker, ulx3s-25f, ulx3s-85f)" >&2; exit 1 ;;
esac
case "$MODE" in
''|--flash) ;;
*) echo "flash: unknown option '$MODE' (--flash)" >&2; exit 1 ;;
esac
[ -f "$FILE" ] || { echo "flash: $FILE missing: run make bitstream BOARD=$BOARD first" >&2; exit 1; }
if [ "$BOARD" = icebreaker ]; then
    if [ "${ICEPROG:-0}" = 1 ]; then
        exec iceprog "$FILE"
    fi
    exec openFPGALoader -b ice40_generic "$FILE"
fi
if [ "$MODE" = --flash ]; then
    exec openFPGALoader -b ulx3s -f "$FILE"
fi
exec openFPGALoader -b ulx3s "$FILE"

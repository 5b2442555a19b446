#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Gate-level check of the iCEBreaker bitstream's netlist: nca-host drives the virtual board
# built around the netlist Yosys made for nca_top_icebreaker (the JSON nextpnr placed, in
# Verilator with Yosys' iCE40 cell models: sim/Makefile gate-vboard) over its UART: INFO,
# LOAD_MODEL of weights/regen.bin, a seed, STEPS steps with a circle erased at step DAMAGE,
# then READ_STATE (--save-state; --short: READ_FRAME, --save-frame) and the same on the C
# model (--backend ref): equal bit for bit.
#   tools/gatesim.sh [--short] [--steps N] [--host PATH]
# Prints "gatesim_icebreaker: PASS (...)" or FAIL and a closing "N passed, N failed" line.
# `make gatesim` runs the full form (24 steps, the whole state), `make test` the short one.
set -u
cd "$(dirname "$0")/.."
SHORT=0
STEPS=24
HOST=build/nca-host
while [ $# -gt 0 ]; do
    case "$1" in
    --short) SHORT=1; STEPS=12; shift ;;
    --steps) STEPS=$2; shift 2 ;;
    --host) HOST=$2; shift 2 ;;
    *) echo "gatesim.sh: unknown argument $1" >&2; exit 2 ;;
    esac
done
GATE=sim/build/gate/nca-vboard-gate
MODEL=weights/regen.bin
DAMAGE="circle:32,32,6@$((STEPS / 2))"
T=$(mktemp -d "${TMPDIR:-/tmp}/nca-gatesim-XXXXXX") || exit 1
trap 'rm -rf "$T"' EXIT
fail() {
    echo "gatesim_icebreaker: FAIL ($1)"
    echo "0 passed, 1 failed"
    exit 1
}
[ -x "$GATE" ] || fail "$GATE missing: make -C sim gate-vboard"
if [ "$SHORT" = 1 ]; then
    OUTOPT=--save-frame EXT=png WHAT="READ_FRAME (RGBA)"
else
    OUTOPT=--save-state EXT=ncas WHAT="READ_STATE (every word)"
fi
# the netlist simulates ~5x slower than the RTL vboard, slower still on a shared CPU: a
# request may wait longer than the vboard's usual 3 s before its answer
BK=vboard:timeout=30000
t0=$(date +%s)
"$HOST" -b $BK --vboard "$GATE" --board-info >"$T/info" 2>"$T/err" ||
    fail "INFO from the netlist: $(tail -n 1 "$T/err")"
"$HOST" -m $MODEL -b $BK --vboard "$GATE" --view none --quiet --steps "$STEPS" \
    --damage "$DAMAGE" $OUTOPT "$T/gate.$EXT" >"$T/out" 2>"$T/err" ||
    fail "nca-host on the netlist: $(tail -n 1 "$T/err")"
t1=$(date +%s)
"$HOST" -m $MODEL -b ref --view none --quiet --steps "$STEPS" --damage "$DAMAGE" \
    $OUTOPT "$T/ref.$EXT" >/dev/null 2>"$T/err" || fail "ref: $(tail -n 1 "$T/err")"
cmp -s "$T/gate.$EXT" "$T/ref.$EXT" || fail "the netlist's $WHAT differs from the C model's"
echo "gatesim_icebreaker: PASS (placed netlist, $STEPS steps, damage $DAMAGE, $WHAT equal to" \
    "the C model, $((t1 - t0)) s; INFO: $(grep -E '^(board|grid|clock):' "$T/info" | tr -s ' ' | paste -sd, -))"
echo "1 passed, 0 failed"

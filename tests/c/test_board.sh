#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# test_board.sh - the board backends through nca-host's command line (sanitizer build), and
# end to end against the virtual board (Verilated RTL behind a pty):
#   - no device: --backend serial --port /nonexistent, --backend usb, a missing vboard
#     binary: exit 2 and one line; bad board options: exit 1 and one line;
#   - vboard: --board-info; 100 steps with a damage, --save-state identical (cmp) to
#     --backend ref; tests/c/board_client.py, a plain os/termios client: INFO, error
#     statuses, corrupted packets, garbage, a soak.
# The virtual board is built with make if missing; without Verilator those tests are
# skipped (counted as skipped, not passed). Run from the repository root; BUILD defaults to
# build. Prints a cmocka-style summary and exits non-zero when a test failed.
set -u

BUILD=${BUILD:-build}
HOST=$BUILD/san/nca-host
MODEL=weights/regen.bin
VBOARD=${VBOARD:-sim/build/vboard/nca-vboard}
PYTHON=${PYTHON:-/usr/bin/python3}
[ -x "$PYTHON" ] || PYTHON=python3

if [ ! -x "$HOST" ]; then
    echo "test_board.sh: $HOST not built (make $HOST)" >&2
    echo "[  FAILED  ] 1 test(s), listed below:"
    exit 1
fi

T=$(mktemp -d "${TMPDIR:-/tmp}/nca-board-XXXXXX") || exit 1
trap 'rm -rf "$T"' EXIT

. tests/c/harness.sh
err_has() { # NAME REGEX: the last command's stderr matches
    if grep -q -- "$2" "$T/err"; then pass "$1"; else fail "$1" "stderr: $(head -c 300 "$T/err")"; fi
}

echo "[==========] Running the board tests."

# ---- (a) no device, bad options -----------------------------------------------------------
check "serial: no such port: exit 2, one line" 2 1 \
    "$HOST" --model "$MODEL" --backend serial --port /nonexistent --steps 1 &&
    err_has "serial: the message names the port" "/nonexistent"
check "serial: not a tty: exit 2, one line" 2 1 \
    "$HOST" --model "$MODEL" --backend serial:/dev/null --steps 1 &&
    err_has "serial: says not a tty" "not a tty"
if ls /dev/ttyUSB* /dev/ttyACM* >/dev/null 2>&1 || { command -v lsusb >/dev/null &&
    lsusb 2>/dev/null | grep -qi '0403:60'; }; then
    skip "usb: no device" "an FTDI or serial device is attached to this machine"
else
    check "usb: no device: exit 2, one line" 2 1 \
        "$HOST" --model "$MODEL" --backend usb --steps 1 &&
        err_has "usb: says which device is missing" "FTDI\|libftdi1"
    check "board-info: no serial device: exit 2" 2 1 "$HOST" --board-info --backend serial
fi
# a tty where nobody answers (a pty this script holds open): no answer to INFO, exit 2
"$PYTHON" -c 'import os, sys, time
m, s = os.openpty()
print(os.ttyname(s), flush=True)
time.sleep(20)' >"$T/pty" 2>/dev/null &
pty_pid=$!
for _ in $(seq 50); do [ -s "$T/pty" ] && break; sleep 0.1; done
if check "serial: silent board: exit 2, one line" 2 1 \
    "$HOST" --board-info --backend "serial:timeout=100" --port "$(head -1 "$T/pty")"; then
    err_has "serial: silent board: says no answer to INFO" "no answer from the board to INFO"
fi
kill "$pty_pid" 2>/dev/null
wait "$pty_pid" 2>/dev/null
check "vboard: missing binary: exit 2, one line" 2 1 \
    "$HOST" --model "$MODEL" --backend vboard --vboard "$T/nosuch" --steps 1
check "board-info needs a board backend: exit 1" 1 1 "$HOST" --board-info --backend ref
check "bad --baud: exit 1" 1 1 "$HOST" --model "$MODEL" --backend serial --baud 12x
check "unknown board option: exit 1" 1 1 "$HOST" --model "$MODEL" --backend serial:speed=3 --steps 1
check "--list-backends names the boards" 0 0 "$HOST" --list-backends &&
    if grep -q '^serial ' "$T/out" && grep -q '^usb ' "$T/out" && grep -q '^vboard ' "$T/out"; then
        pass "serial, usb, vboard listed"
    else
        fail "serial, usb, vboard listed" "$(cat "$T/out")"
    fi
check "--help has the Board group" 0 0 "$HOST" --help &&
    if grep -q '^Board' "$T/out" && grep -q -- '--port PATH' "$T/out" &&
        grep -q -- '--baud N' "$T/out" && grep -q -- '--vboard PATH' "$T/out" &&
        grep -q -- '--board-info' "$T/out"; then
        pass "--help documents --port, --baud, --vboard, --board-info"
    else
        fail "--help documents --port, --baud, --vboard, --board-info" "missing"
    fi

# ---- (b) the virtual board ------------------------------------------------------------------
VB_TESTS=6 # tests below, counted as skipped when there is no virtual board
vboard_ready() {
    [ -x "$VBOARD" ] && return 0
    if ! command -v verilator >/dev/null 2>&1; then
        why="Verilator not installed"
        return 1
    fi
    if ! make -C sim -n vboard >/dev/null 2>&1; then
        why="sim/Makefile has no vboard target yet"
        return 1
    fi
    echo "test_board.sh: building the virtual board (make -C sim vboard)"
    if ! nice -n 10 make -C sim BUILD=build vboard >"$T/build.log" 2>&1; then
        tail -20 "$T/build.log"
        why="build failed"
        return 2
    fi
    [ -x "$VBOARD" ] || { why="make -C sim vboard did not produce $VBOARD"; return 2; }
}
why=""
vboard_ready
ready=$?
if [ "$ready" -eq 1 ]; then
    for i in $(seq "$VB_TESTS"); do skip "vboard test $i" "$why"; done
elif [ "$ready" -eq 2 ]; then
    fail "vboard: build" "$why"
else
    if check "vboard: --board-info" 0 0 "$HOST" --board-info --backend vboard --vboard "$VBOARD"; then
        if grep -q '^protocol: *1$' "$T/out" && grep -q '^board: *virtual' "$T/out"; then
            pass "vboard: INFO says protocol 1, virtual board"
        else
            fail "vboard: INFO says protocol 1, virtual board" "$(head -c 400 "$T/out")"
        fi
        grid=$(sed -n 's/^grid: *\([0-9]*x[0-9]*\)$/\1/p' "$T/out")
    else
        grid=64x64
    fi
    # the lizard, 100 steps, the left half erased at step 50: bit-identical state files
    run=(--model "$MODEL" --grid "${grid:-64x64}" --steps 100 --damage half:left@50 --quiet)
    if check "vboard: 100 steps with a damage" 0 0 \
        "$HOST" "${run[@]}" --backend vboard --vboard "$VBOARD" --save-state "$T/vb.ncas" &&
        check "ref: the same run" 0 0 "$HOST" "${run[@]}" --backend ref --save-state "$T/ref.ncas"; then
        if cmp "$T/vb.ncas" "$T/ref.ncas"; then
            pass "vboard state == ref state (cmp)"
        else
            fail "vboard state == ref state (cmp)" "the state files differ"
        fi
    fi
    check "vboard: grid other than the build's: exit 1, one line" 1 1 \
        "$HOST" --model "$MODEL" --grid 17x19 --steps 1 --backend vboard --vboard "$VBOARD"
    # a plain client through the pty, independent of the C library
    "$PYTHON" tests/c/board_client.py "$VBOARD" "${SOAK:-200}" >"$T/client" 2>&1
    crc=$?
    while IFS= read -r line; do
        case "$line" in
        "PASS "*) pass "client: ${line#PASS }" ;;
        "FAIL "*) fail "client: ${line#FAIL }" "" ;;
        *) echo "  $line" ;;
        esac
    done <"$T/client"
    if [ "$crc" -ne 0 ] && ! grep -q '^FAIL ' "$T/client"; then
        fail "client" "exit $crc: $(tail -c 400 "$T/client")"
    fi
fi


summary "board tests"

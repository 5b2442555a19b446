#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# test_faults.sh - nca-host (sanitizer build) against the virtual board through the fault
# transport (`--backend vboard:faults=SEED:PERMILLE[:KINDS]`, nca_transport_faults.c): short
# reads, garbage, dropped bytes, flipped bits, a stalled board, lost requests, an unplugged
# board, at random points from a seed. For every run: it ends (never hangs: each run is
# bounded), ASan/UBSan/LSan stay quiet, and either it succeeds with output identical to
# `--backend ref`'s, or it exits 2 with one line on stderr and the output file it was asked
# for is untouched (the good file that was there before; never a partial one). Each kind is
# also run alone at a rate the link's retries absorb: those runs must succeed. Without
# Verilator (no virtual board) the tests are skipped.
set -u

BUILD=${BUILD:-build}
HOST=$BUILD/san/nca-host
MODEL=weights/regen.bin
VBOARD=${VBOARD:-sim/build/vboard/nca-vboard}
T=$(mktemp -d "${TMPDIR:-/tmp}/nca-faults-XXXXXX") || exit 1
trap 'rm -rf "$T"' EXIT
. tests/c/harness.sh
CHECK_TIMEOUT=180
STEPS=24

echo "[==========] Running the fault-injection tests."
if [ ! -x "$VBOARD" ]; then
    skip "faults" "no virtual board ($VBOARD: make vboard)"
    summary "fault tests"
fi
"$HOST" -m "$MODEL" -b ref --view none --quiet --steps $STEPS --damage circle:32,32,6@12 \
    --save-frame "$T/ref.png" || { fail "ref frame" "nca-host -b ref failed"; summary "fault tests"; }
printf 'an older good file\n' >"$T/old"

# one run: NAME SPEC MUST_SUCCEED
run() {
    local name=$1 spec=$2 must=$3
    cp "$T/old" "$T/out.png"
    timeout "$CHECK_TIMEOUT" "$HOST" -m "$MODEL" -b "vboard:faults=$spec,timeout=1500" --view none --quiet \
        --steps $STEPS --damage circle:32,32,6@12 --save-frame "$T/out.png" \
        >"$T/stdout" 2>"$T/err" </dev/null
    local rc=$? lines
    lines=$(wc -l <"$T/err")
    if [ "$rc" -eq 0 ]; then
        if cmp -s "$T/out.png" "$T/ref.png"; then
            pass "$name: completed, frame equal to ref"
        else
            fail "$name" "exit 0 but the frame differs from ref"
        fi
    elif [ "$rc" -eq 2 ] && [ "$lines" -eq 1 ] && [ "$must" = 0 ]; then
        if cmp -s "$T/out.png" "$T/old" && [ ! -e "$T/out.png.part" ]; then
            pass "$name: exit 2, one line ($(cut -c1-70 "$T/err")), old file intact"
        else
            fail "$name" "exit 2 but the output file was touched"
        fi
    else
        fail "$name" "exit $rc ($lines stderr lines; 124: hung): $(head -c 300 "$T/err")"
    fi
}

# each kind alone, at a rate the retries absorb: must complete
run "short reads" 1:300:s 1
run "garbage between packets" 2:20:g 1
run "dropped bytes" 3:8:d 1
run "flipped bits" 4:8:f 1
run "stalled board" 5:8:t 1
run "lost requests" 6:60:l 1
# everything at once, more often: complete or a clean exit 2
for seed in 11 12; do
    run "mixed faults, seed $seed" "$seed:30:sgdftl" 0
done
# an unplugged board: a clean exit 2
run "unplugged board" 21:15:e 0
[ "$(grep -c . "$T/err")" -eq 1 ] && grep -q "disconnected" "$T/err" &&
    pass "unplugged board: the line says disconnected" ||
    fail "unplugged board: the line says disconnected" "$(cat "$T/err")"
check "bad faults spec: exit 1, one line" 1 1 \
    "$HOST" -m "$MODEL" -b vboard:faults=1:2000 --view none --steps 1
summary "fault tests"

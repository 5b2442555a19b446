#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# run-all.sh SUITE... - runs each suite as `make SUITE`, counts its tests, and closes with one
# line "N passed, N failed" over all of them. Exit status non-zero if anything failed.
# A suite's count comes from its own closing line ("N passed, N failed", pytest's
# "N passed ... N failed"), else from its "NAME: PASS" / "NAME: FAIL" lines; a suite that
# exits non-zero counts at least one failure.
set -u
MAKE=${MAKE:-make}
total_p=0
total_f=0
summary=()
for suite in "$@"; do
    log=$(mktemp)
    echo "==== make $suite"
    $MAKE --no-print-directory "$suite" 2>&1 | tee "$log"
    rc=${PIPESTATUS[0]}
    p=0 f=0
    if line=$(grep -E '^([a-z]+: )?[0-9]+ passed, [0-9]+ failed' "$log" | tail -n 1) && [ -n "$line" ]; then
        p=$(echo "$line" | sed -E 's/^([a-z]+: )?([0-9]+) passed.*/\2/')
        f=$(echo "$line" | sed -E 's/.* ([0-9]+) failed.*/\1/')
    elif line=$(grep -E '[0-9]+ (passed|failed).* in [0-9.]+s' "$log" | tail -n 1) && [ -n "$line" ]; then
        p=$(echo "$line" | grep -oE '[0-9]+ passed' | grep -oE '[0-9]+' || echo 0)
        f=$(echo "$line" | grep -oE '[0-9]+ (failed|errors?)' | awk '{ n += $1 } END { print n + 0 }')
        [ -n "$p" ] || p=0
        [ -n "$f" ] || f=0
    else
        p=$(grep -cE '^[a-z_0-9]+: PASS$' "$log")
        f=$(grep -cE '^[a-z_0-9]+: FAIL' "$log")
    fi
    if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
        f=1
    fi
    summary+=("$suite: $p passed, $f failed")
    total_p=$((total_p + p))
    total_f=$((total_f + f))
    rm -f "$log"
done
echo "==== summary"
for s in "${summary[@]}"; do echo "  $s"; done
echo "$total_p passed, $total_f failed"
[ "$total_f" -eq 0 ]

#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# run-all.sh SUITE... - runs each suite as `make SUITE`, counts its tests, and closes with one
# line "N passed, N failed, N skipped" over all of them. Exit status non-zero if anything failed.
# A suite's count comes from its own closing line ("N passed, N failed" optionally followed by
# ", N skipped"; pytest's "N failed, N passed, N skipped ... in Ts"), else from its
# "NAME: PASS" / "NAME: FAIL" / "NAME: SKIP" lines; a suite that exits non-zero counts at
# least one failure. Skipped tests count as neither passed nor failed.
set -u
MAKE=${MAKE:-make}
total_p=0
total_f=0
total_s=0
summary=()
for suite in "$@"; do
    log=$(mktemp)
    echo "==== make $suite"
    $MAKE --no-print-directory "$suite" 2>&1 | tee "$log"
    rc=${PIPESTATUS[0]}
    p=0 f=0 s=0
    if line=$(grep -E '^([a-z]+: )?[0-9]+ passed, [0-9]+ failed' "$log" | tail -n 1) \
            && [ -n "$line" ]; then
        p=$(echo "$line" | sed -E 's/^([a-z]+: )?([0-9]+) passed.*/\2/')
        f=$(echo "$line" | sed -E 's/.* ([0-9]+) failed.*/\1/')
        s=$(echo "$line" | grep -oE '[0-9]+ skipped' | grep -oE '[0-9]+' || true)
    elif line=$(grep -E '[0-9]+ (passed|failed|skipped|errors?).* in [0-9.]+s' "$log" | tail -n 1) \
            && [ -n "$line" ]; then
        # pytest: "2 failed, 40 passed, 4 skipped, 1 error in 31.2s" (any of them left out when 0)
        p=$(echo "$line" | grep -oE '[0-9]+ passed' | grep -oE '[0-9]+' || true)
        f=$(echo "$line" | grep -oE '[0-9]+ (failed|errors?)' | awk '{ n += $1 } END { print n + 0 }')
        s=$(echo "$line" | grep -oE '[0-9]+ skipped' | grep -oE '[0-9]+' || true)
    else
        p=$(grep -cE '^[a-z_0-9]+: PASS$' "$log")
        f=$(grep -cE '^[a-z_0-9]+: FAIL' "$log")
        s=$(grep -cE '^[a-z_0-9]+: SKIP' "$log")
    fi
    [ -n "$p" ] || p=0
    [ -n "$f" ] || f=0
    [ -n "$s" ] || s=0
    if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
        f=1
    fi
    summary+=("$suite: $p passed, $f failed, $s skipped")
    total_p=$((total_p + p))
    total_f=$((total_f + f))
    total_s=$((total_s + s))
    rm -f "$log"
done
echo "==== summary"
for line in "${summary[@]}"; do echo "  $line"; done
echo "$total_p passed, $total_f failed, $total_s skipped"
[ "$total_f" -eq 0 ]

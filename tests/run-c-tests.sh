#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# run-c-tests.sh - runs the cmocka test binaries given as arguments, tests/c/test_faults.sh, test_cli.sh,
# tests/c/test_models.sh, tests/c/test_board.sh and tests/c/test_live.sh,
# with ASan/UBSan (leaks fail), counts the tests across all of them and ends with one line
# "N passed, N failed"; exits non-zero if any test failed. Run from the repository root
# (`make test`). JOBS suites run at once (default: the number of CPUs).
set -u

export BUILD=${BUILD:-build}
export CMOCKA_MESSAGE_OUTPUT=stdout
. tests/c/sanitizers.sh
JOBS=${JOBS:-$(nproc 2>/dev/null || echo 2)}

if [ "$#" -eq 0 ]; then
    echo "usage: tests/run-c-tests.sh BUILD/san/test_NAME..." >&2
    exit 2
fi
# the command-line tests first: with the slowest unit tests they decide the wall time
suites=(tests/c/test_faults.sh tests/c/test_cli.sh tests/c/test_models.sh tests/c/test_board.sh tests/c/test_live.sh "$@")

LOG=$(mktemp -d "${TMPDIR:-/tmp}/nca-tests-XXXXXX") || exit 2
trap 'rm -rf "$LOG"' EXIT
start=$(date +%s)
running=0
for i in "${!suites[@]}"; do
    if [ "$running" -ge "$JOBS" ]; then
        wait -n
        running=$((running - 1))
    fi
    (
        t0=$(date +%s.%N)
        "${suites[$i]}" >"$LOG/$i.out" 2>&1
        echo $? >"$LOG/$i.rc"
        echo "$t0 $(date +%s.%N)" | awk '{ printf "%.1f", $2 - $1 }' >"$LOG/$i.time"
    ) &
    running=$((running + 1))
done
wait

total_pass=0
total_fail=0
total_skip=0
for i in "${!suites[@]}"; do
    s=${suites[$i]}
    out=$LOG/$i.out
    rc=$(cat "$LOG/$i.rc" 2>/dev/null || echo 255)
    echo "==== $s ($(cat "$LOG/$i.time" 2>/dev/null) s)"
    cat "$out"
    # cmocka (and test_cli.sh) end with "[  PASSED  ] N test(s)." and "[  FAILED  ] N test(s)"
    p=$(grep -o '\[  PASSED  \] [0-9]* test(s)' "$out" | tail -1 | grep -o '[0-9][0-9]*')
    f=$(grep -o '\[  FAILED  \] [0-9]* test(s)' "$out" | tail -1 | grep -o '[0-9][0-9]*')
    planned=$(grep -o '\[==========\] Running [0-9]* test(s)' "$out" | head -1 | grep -o '[0-9][0-9]*')
    ok=$(grep -c '^\[       OK \]' "$out")
    if [ -z "$p" ] && [ -z "$f" ]; then
        # no summary: the binary died (a sanitizer abort, a signal) in the middle
        p=$ok
        f=$(( ${planned:-0} > ok + 1 ? ${planned:-0} - ok : 1 ))
        echo "==== $s: no summary (exit code $rc): counting $f test(s) as failed"
    else
        p=${p:-0}
        f=${f:-0}
        if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
            # all tests passed but the process failed at exit: a leak or sanitizer report
            f=1
            echo "==== $s: exit code $rc after all tests passed (leak or sanitizer report): 1 failure"
        fi
    fi
    sk=$(grep -o '\[  SKIPPED \] [0-9]* test(s)' "$out" | tail -1 | grep -o '[0-9][0-9]*')
    total_skip=$((total_skip + ${sk:-0}))
    total_pass=$((total_pass + p))
    total_fail=$((total_fail + f))
done
echo "==== $(( $(date +%s) - start )) s for ${#suites[@]} suites"
# skipped tests (e.g. the virtual board without Verilator) count as neither
echo "$total_pass passed, $total_fail failed${total_skip:+$([ "$total_skip" -gt 0 ] && echo ", $total_skip skipped")}"
[ "$total_fail" -eq 0 ]

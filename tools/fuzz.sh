#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Runs the libFuzzer targets (tests/fuzz/fuzz_*.c, built by `make fuzz-build` into
# build/fuzz/) for a set time each:
#   tools/fuzz.sh [--seconds N] [--runs N] [--out FILE] [TARGET...]
# Each target first replays its regression inputs (tests/fuzz/regress/TARGET/, crashes found
# before: each must pass), then fuzzes from its committed seed corpus (tests/fuzz/corpus/
# TARGET/, read only) into a work corpus in build/fuzz/corpus/TARGET/ that grows from run to
# run, for N seconds (default 30) or --runs N executions, whichever comes first. Prints
# "fuzz_TARGET: PASS (E executions, C edges, F features, 0 crashes)" or FAIL with the crash
# file (build/fuzz/crash-TARGET-*: copy it to tests/fuzz/regress/TARGET/ once it is fixed).
# With --out FILE the "## Fuzzing" section of FILE (docs/results.md) is rewritten.
# Exit status: 0 when every target passed, 1 otherwise.
set -u
cd "$(dirname "$0")/.."
SECONDS_EACH=30
RUNS=-1
OUT=""
while [ $# -gt 0 ]; do
    case "$1" in
    --seconds) SECONDS_EACH=$2; shift 2 ;;
    --runs) RUNS=$2; shift 2 ;;
    --out) OUT=$2; shift 2 ;;
    -*) echo "fuzz.sh: unknown option $1" >&2; exit 2 ;;
    *) break ;;
    esac
done
TARGETS=${*:-"model state distill link script"}
FZ=build/fuzz
rows=$(mktemp)
trap 'rm -f "$rows"' EXIT
fail=0
npass=0
nfail=0
for t in $TARGETS; do
    bin=$FZ/fuzz_$t
    if [ ! -x "$bin" ]; then
        echo "fuzz_$t: FAIL ($bin missing: make fuzz-build)"
        fail=1
        nfail=$((nfail + 1))
        continue
    fi
    reg=tests/fuzz/regress/$t
    if [ -d "$reg" ] && [ -n "$(ls -A "$reg" 2>/dev/null)" ]; then
        if ! "$bin" "$reg"/* >"$FZ/regress-$t.log" 2>&1; then
            echo "fuzz_$t: FAIL (a regression input crashes again: $FZ/regress-$t.log)"
            fail=1
            nfail=$((nfail + 1))
            continue
        fi
    fi
    mkdir -p "$FZ/corpus/$t"
    log=$FZ/fuzz-$t.log
    "$bin" -max_total_time="$SECONDS_EACH" -runs="$RUNS" -timeout=10 -rss_limit_mb=2048 \
        -print_final_stats=1 -artifact_prefix="$FZ/crash-$t-" \
        "$FZ/corpus/$t" "tests/fuzz/corpus/$t" >"$log" 2>&1
    rc=$?
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
    cov=$(grep -oE 'cov: [0-9]+' "$log" | tail -n 1 | grep -oE '[0-9]+')
    ft=$(grep -oE 'ft: [0-9]+' "$log" | tail -n 1 | grep -oE '[0-9]+')
    crashes=$(ls "$FZ"/crash-"$t"-* 2>/dev/null | wc -l)
    secs=$(sed -n 's/.*Done [0-9]* runs in \([0-9]*\) second.*/\1/p' "$log" | tail -n 1)
    if [ "$rc" -eq 0 ] && [ "$crashes" -eq 0 ] && [ -n "$execs" ]; then
        echo "fuzz_$t: PASS (${execs} executions, ${cov:-?} edges, ${ft:-?} features, 0 crashes)"
        npass=$((npass + 1))
    else
        echo "fuzz_$t: FAIL (exit $rc, $crashes crash file(s) in $FZ/crash-$t-*, log $log)"
        grep -m3 -E 'ERROR|fuzz_[a-z]+: ' "$log" | sed 's/^/    /'
        fail=1
        nfail=$((nfail + 1))
    fi
    echo "| fuzz_$t | ${secs:-?} | ${execs:-0} | ${cov:-?} | ${ft:-?} | $crashes |" >>"$rows"
done
if [ -n "$OUT" ]; then
    sec=$(mktemp)
    {
        echo "## Fuzzing"
        echo
        echo "Command: \`tools/fuzz.sh --seconds $SECONDS_EACH --runs $RUNS --out docs/results.md\` (\`make fuzz\`), $(date -u +%Y-%m-%d),"
        echo "commit $(git rev-parse --short HEAD), clang $(clang --version | sed -n 's/.*clang version \([0-9.]*\).*/\1/p' | head -n 1),"
        echo "\`-fsanitize=fuzzer,address,undefined\`, one process a target on $(nproc) cores. Each target starts"
        echo "from its committed seeds (tests/fuzz/corpus/) and the work corpus of earlier runs"
        echo "(build/fuzz/corpus/) and runs until --runs executions or --seconds, whichever comes first;"
        echo "edges and features are libFuzzer's coverage counters at the end, over the instrumented"
        echo "code (the project's library; cJSON, zlib and libpng are Debian's, not instrumented)."
        echo
        echo "| target | seconds | executions | edges | features | crashes |"
        echo "|---|---:|---:|---:|---:|---:|"
        cat "$rows"
    } >"$sec"
    python3 tools/results_section.py "$OUT" "$sec"
    rm -f "$sec"
fi
echo "fuzz: $npass passed, $nfail failed"
[ "$fail" -eq 0 ]

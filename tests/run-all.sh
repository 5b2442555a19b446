#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# run-all.sh [-j N] GROUP... - runs each suite as `make SUITE`, counts its tests, and closes with
# one line "N passed, N failed, N skipped" over all of them. Exit status non-zero if anything
# failed. A GROUP is one suite or several joined by '+' ("test-c+bitstreams"): those run side
# by side, the first one's output shown as it comes, the others' when the group ends; the groups
# run one after another. Suites in a group must not build the same files (build them in an
# earlier group). -j N passes -jN --output-sync=target to every make (a suite's own benches
# then run N at once).
# A suite's count comes from its own closing line ("N passed, N failed" optionally followed by
# ", N skipped"; pytest's "N failed, N passed, N skipped ... in Ts"), else from its
# "NAME: PASS" / "NAME: FAIL" / "NAME: SKIP" lines; a suite that exits non-zero counts at
# least one failure. Skipped tests count as neither passed nor failed. The summary gives each
# suite's wall-clock seconds and the whole run's.
set -u
MAKE=${MAKE:-make}
MAKEJ=()
if [ "${1:-}" = "-j" ]; then
    MAKEJ=("-j$2" "--output-sync=target")
    shift 2
fi
total_p=0
total_f=0
total_s=0
summary=()
LOGS=$(mktemp -d "${TMPDIR:-/tmp}/nca-run-all-XXXXXX") || exit 2
trap 'rm -rf "$LOGS"' EXIT
start=$(date +%s)

# run_suite SUITE LOG: make SUITE into LOG, its exit status into LOG.rc, seconds into LOG.time
run_suite() {
    local t0
    t0=$(date +%s)
    $MAKE "${MAKEJ[@]}" --no-print-directory "$1" >"$2" 2>&1
    echo $? >"$2.rc"
    echo $(( $(date +%s) - t0 )) >"$2.time"
}

# count SUITE LOG: adds the suite's passed/failed/skipped to the totals and the summary
count() {
    local suite=$1 log=$2 rc p f s line
    rc=$(cat "$log.rc" 2>/dev/null || echo 255)
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
    summary+=("$suite: $p passed, $f failed, $s skipped ($(cat "$log.time" 2>/dev/null) s)")
    total_p=$((total_p + p))
    total_f=$((total_f + f))
    total_s=$((total_s + s))
}

n=0
for group in "$@"; do
    IFS=+ read -ra suites <<<"$group"
    first=$n
    for suite in "${suites[@]:1}"; do
        n=$((n + 1))
        echo "==== make $suite (alongside ${suites[0]}: its output follows when ${suites[0]} ends)"
        run_suite "$suite" "$LOGS/$n" &
    done
    echo "==== make ${suites[0]}"
    : >"$LOGS/$first"
    run_suite "${suites[0]}" "$LOGS/$first" &
    tail -n +1 --pid=$! -f "$LOGS/$first"
    wait
    count "${suites[0]}" "$LOGS/$first"
    i=$first
    for suite in "${suites[@]:1}"; do
        i=$((i + 1))
        echo "==== make $suite"
        cat "$LOGS/$i"
        count "$suite" "$LOGS/$i"
    done
    n=$((n + 1))
done
echo "==== summary ($(( $(date +%s) - start )) s)"
for line in "${summary[@]}"; do echo "  $line"; done
echo "$total_p passed, $total_f failed, $total_s skipped"
[ "$total_f" -eq 0 ]

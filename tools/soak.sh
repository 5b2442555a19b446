#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Soak: nca-host's live loop against the virtual board (the Verilated RTL behind a pty) for
# many steps, the board free-running with a FRAME event every --spf steps, a damage every
# --every steps (circles of varying size at varying places, and every fourth a half), then
# the final state against the C model's (`--backend ref`, same damages) bit for bit.
#   tools/soak.sh [--steps N] [--every N] [--spf K] [--host PATH] [--out FILE]
# Checks: exit status 0 both times; the states equal (cmp); no FRAME event lost or repeated
# (the events' sequence numbers, "frames lost" of `-v`); the frames drawn are exactly one per
# K steps, one after each damage and the first. Prints "soak: PASS (...)" or "soak: FAIL
# (...)" and a closing "N passed, N failed" line; --out FILE rewrites its "## Soak" section.
# Defaults: 10,000 steps, a damage every 250, a frame every 10 (`make soak`); `make test`
# runs a short form.
set -u
cd "$(dirname "$0")/.."
STEPS=10000
EVERY=250
SPF=10
HOST=build/nca-host
OUT=""
MODEL=weights/regen.bin
while [ $# -gt 0 ]; do
    case "$1" in
    --steps) STEPS=$2; shift 2 ;;
    --every) EVERY=$2; shift 2 ;;
    --spf) SPF=$2; shift 2 ;;
    --host) HOST=$2; shift 2 ;;
    --out) OUT=$2; shift 2 ;;
    *) echo "soak.sh: unknown argument $1" >&2; exit 2 ;;
    esac
done
T=$(mktemp -d "${TMPDIR:-/tmp}/nca-soak-XXXXXX") || exit 1
trap 'rm -rf "$T"' EXIT
fail() {
    echo "soak: FAIL ($1)"
    echo "0 passed, 1 failed"
    exit 1
}

# the damages: at EVERY, 2 EVERY, ... below STEPS
dmg=""
n=0
s=$EVERY
while [ "$s" -lt "$STEPS" ]; do
    n=$((n + 1))
    if [ $((n % 4)) -eq 0 ]; then
        sides="left right top bottom"
        side=$(echo $sides | cut -d' ' -f$(((n / 4) % 4 + 1)))
        dmg="$dmg --damage half:$side@$s"
    else
        x=$((16 + (n * 37) % 33)) y=$((16 + (n * 53) % 33)) r=$((4 + (n * 7) % 9))
        dmg="$dmg --damage circle:$x,$y,$r@$s"
    fi
    s=$((s + EVERY))
done

t0=$(date +%s)
# shellcheck disable=SC2086
if ! "$HOST" -m $MODEL -b vboard --view none -v --steps "$STEPS" --spf "$SPF" $dmg \
        --save-state "$T/vboard.ncas" >"$T/vboard.log" 2>&1; then
    fail "vboard run: $(tail -n 1 "$T/vboard.log")"
fi
t1=$(date +%s)
# shellcheck disable=SC2086
"$HOST" -m $MODEL -b ref --view none --quiet --steps "$STEPS" $dmg \
    --save-state "$T/ref.ncas" >"$T/ref.log" 2>&1 || fail "ref run: $(tail -n 1 "$T/ref.log")"
line=$(grep '^live: ' "$T/vboard.log" | tail -n 1)
[ -n "$line" ] || fail "no 'live:' line from the vboard run"
frames=$(echo "$line" | sed -n 's/.* \([0-9]*\) frames (.*/\1/p')
lost=$(echo "$line" | sed -n 's/.*, \([0-9]*\) frames lost$/\1/p')
want=$((STEPS / SPF + n + 1))
cmp -s "$T/vboard.ncas" "$T/ref.ncas" || fail "the vboard's final state differs from the C model's"
[ "$lost" = 0 ] || fail "$lost frames lost"
[ "$frames" = "$want" ] || fail "$frames frames drawn, expected $want ($STEPS/$SPF + $n damages + 1)"
secs=$((t1 - t0))
summary="$STEPS steps, $n damages, $frames frames (0 lost), state equal to ref, ${secs} s"
echo "soak: PASS ($summary)"
if [ -n "$OUT" ]; then
    sec=$T/section.md
    {
        echo "## Soak"
        echo
        echo "Command: \`tools/soak.sh --steps $STEPS --every $EVERY --spf $SPF --out docs/results.md\` (\`make soak\`),"
        echo "$(date -u +%Y-%m-%d), commit $(git rev-parse --short HEAD), on $(nproc) cores."
        echo "\`nca-host --backend vboard\` (the Verilated RTL, \`make vboard\`) in the headless live loop: the"
        echo "board free-runs with a FRAME event every $SPF steps; a damage every $EVERY steps stops the run,"
        echo "erases, and runs again. Then the same damages on \`--backend ref\`."
        echo
        echo "| steps | damages | frames drawn | frames lost | final state vs ref | wall time |"
        echo "|---:|---:|---:|---:|---|---:|"
        echo "| $STEPS | $n | $frames | 0 | equal (cmp) | $secs s |"
    } >"$sec"
    python3 tools/results_section.py "$OUT" "$sec"
fi
echo "1 passed, 0 failed"

#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Live view speed: frames/s and steps/s of nca-host's live loop over the virtual board (RUN
# with a FRAME event every k steps) and the C model, measured on the grown lizard (steps
# 80..119, from a state saved at step 80); the bytes of each FRAME event on the link
# (RLE of docs/protocol.md, packet and header included) for the same steps; and from those
# bytes, what the real boards' 3 Mbaud link allows. Prints a markdown section; with
# --out FILE replaces the "## Live view speed" section of FILE.
set -eu
cd "$(dirname "$0")/.."
HOST=build/nca-host
MODEL=weights/regen.bin
VBOARD=sim/build/vboard/nca-vboard
OUT=""
PYTHON=${PYTHON:-/usr/bin/python3}
[ "${1:-}" = "--out" ] && OUT=$2
[ -x $HOST ] || make -s $HOST
[ -x $VBOARD ] || make -s vboard
make -s -C sim BUILD=build bench-cycles >/dev/null
BC=sim/build/bench_cycles
# the C++ compiler the vboard build uses (sim/Makefile VB_CLANG)
VBC=$(make -s -C sim --no-print-directory --eval \
      'vbc: ; @echo $(if $(VB_CLANG),clang -O3 -march=native,c++ -O2)' vbc)
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
Q="--view none --quiet"

# the grown lizard at step 80, then the frames of steps 81..120
$HOST -m $MODEL -b ref $Q --steps 80 --save-state "$T/s80.ncas"
i=1
while [ $i -le 40 ]; do
    $HOST -m $MODEL -b ref $Q --load-state "$T/s80.ncas" --steps $i --save-frame "$T/f$i.png"
    i=$((i + 1))
done
frame_bytes=$($PYTHON - "$T" <<'PY'
import sys
from PIL import Image
def rle(px):  # docs/protocol.md READ_FRAME: zero runs / literal runs of at most 128 cells
    n, i, out = len(px), 0, 0
    while i < n:
        if px[i] == (0, 0, 0, 0):
            j = i
            while j < n and j - i < 128 and px[j] == (0, 0, 0, 0):
                j += 1
            out += 1
        else:
            j = i
            while j < n and j - i < 128 and px[j] != (0, 0, 0, 0):
                j += 1
            out += 1 + 4 * (j - i)
        i = j
    return out
frames = [list(Image.open("%s/f%d.png" % (sys.argv[1], k)).convert("RGBA").getdata())
          for k in range(1, 41)]
sizes = [8 + 1 + 5 + rle(px) for px in frames]
lits = [sum(1 for p in px if p != (0, 0, 0, 0)) for px in frames]
print(sum(sizes) // len(sizes), min(sizes), max(sizes), sum(lits) // len(lits))
PY
)
set -- $frame_bytes
FB=$1 FBMIN=$2 FBMAX=$3 LIT=$4
# the board's frame encoder (rtl/nca_link_frame.v) scans the grid twice: a counting pass,
# then the sending pass (literal cells twice), which overlaps the UART. A cell takes
# 4 x (15 - SF) + 22 clocks with the bit-serial pixel conversion (FRAME_SERIAL 1, the
# iCEBreaker's compact core), 18 with the one-clock one (the ULX3S, the vboard); SF is the
# model's state fraction (Q11: 11). Measured (3e34641, with nca_board's command register):
# one READ_FRAME of a grid holding only the seed (8,192 cell visits) costs 149,504 clocks on
# the vboard and 317,440 on the iCEBreaker's gate-level netlist (sim/build/gate), less the
# packets' ~2,000 / ~6,000
SF=$($HOST -m $MODEL -i | sed -n 's/^formats: *state and perception int16 Q\([0-9]*\).*/\1/p')
CPC_SER=$((4 * (15 - SF) + 22))
CPC_ONE=18
CELLS=4096

# the vboard through a wrapper that keeps its closing line ("N clocks simulated") in $VBLOG
printf '#!/bin/sh\nexec %s "$@" 2>>"$VBLOG"\n' "$(pwd)/$VBOARD" >"$T/vboard.sh"
chmod +x "$T/vboard.sh"
export VBLOG=/dev/null
live() { # backend spf steps -> "steps/s frames/s"
    $HOST -m $MODEL -b "$1" --vboard "$T/vboard.sh" --view none -v --load-state "$T/s80.ncas" \
        --steps "$3" --spf "$2" 2>/dev/null | awk '/^live: / { printf "%.1f %.1f", $2 / $5, $9 / $5 }'
}
clocks() { # spf -> clocks the vboard simulated in the table's run at that spf (40 steps, load)
    sed -n 's/^nca-vboard: \([0-9]*\) clocks simulated.*/\1/p' "$T/clk$1.log"
}
grow() { # backend spf steps -> "steps/s frames/s", from the seed
    $HOST -m $MODEL -b "$1" --vboard "$T/vboard.sh" --view none -v --steps "$3" --spf "$2" \
        2>/dev/null | awk '/^live: / { printf "%.1f %.1f", $2 / $5, $9 / $5 }'
}
# over the link: each frame costs k steps of the board, the counting scan, then the sending
# scan or the bytes at 10 bits a byte, whichever is slower
link() { # clocks_per_step clock_hz k clocks_per_cell
    awk -v c="$1" -v f="$2" -v k="$3" -v b="$FB" -v s1=$((CELLS * $4)) \
        -v s2=$(((CELLS + LIT) * $4)) 'BEGIN {
        u = b * 10 / 3000000; t = k * c / f + s1 / f + (s2 / f > u ? s2 / f : u);
        printf "%.1f | %.1f", k / t, 1 / t }'
}
sec=$T/section.md
{
    echo "## Live view speed"
    echo
    echo "Command: \`make bench\` (tools/bench_live.sh), $(date -u +%Y-%m-%d), commit $(git rev-parse --short HEAD),"
    echo "on $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(nproc) cores. \`$MODEL\`, 64x64,"
    echo "40 steps (the C model: 1,000) from the grown lizard at step 80 (\`--load-state\`), and the growth from the seed"
    echo "(steps 0..100, few cells active at first), headless (\`--view none\`): the"
    echo "live loop's own figures (\`-v\`). On a board the host sends RUN (a FRAME event every k"
    echo "steps) and draws the events as they come."
    echo
    echo "| backend | steps per frame k | steps/s | frames/s |"
    echo "|---|---:|---:|---:|"
    for k in 1 4 10 40; do
        VBLOG=$T/clk$k.log
        set -- $(live vboard $k 40)
        echo "| vboard (Verilated RTL as \`make vboard\` builds it: 64 lanes, 12 Mbaud, $VBC) | $k | $1 | $2 |"
    done
    VBLOG=/dev/null
    # a frame's clocks on the vboard: 40 steps with 41 frames (k = 1) against 2 (k = 40)
    VB_FRAME=$(( ($(clocks 1) - $(clocks 40)) / 39 ))
    for k in 10 40; do
        set -- $(grow vboard $k 100)
        echo "| vboard, growing: steps 0..100 from the seed (no --load-state) | $k | $1 | $2 |"
    done
    for k in 1 4; do
        set -- $(live ref $k 1000)
        echo "| ref (C model) | $k | $1 | $2 |"
    done
    echo
    echo "A FRAME event of the grown lizard (steps 81..120) is $FB bytes on the link on average"
    echo "($FBMIN..$FBMAX: 8 packet, 1 status, 5 header, then the RLE cells). At 3 Mbaud (10 bits a"
    echo "byte, 300,000 bytes/s) the link alone carries $(awk -v b=$FB 'BEGIN { printf "%.0f", 300000 / b }') such frames a second. A board sends a"
    echo "frame after its k-th step and steps on when it is out. The frame encoder"
    echo "(\`rtl/nca_link_frame.v\`) scans the grid twice at SF $SF: a counting pass, then the sending"
    echo "pass ($LIT literal cells on average are read twice), which overlaps the UART; a cell"
    echo "takes $CPC_SER clocks with the iCEBreaker's bit-serial pixel conversion, $CPC_ONE with the one-clock"
    echo "one of the ULX3S builds and the vboard; measured on the vboard, a frame of these"
    echo "steps costs $VB_FRAME clocks (40 steps with a frame each against one frame, from its"
    echo "closing line), of which its 12 Mbaud UART needs $((FB * 40)) for the bytes. So a frame takes k"
    echo "steps, the counting pass, and the"
    echo "slower of the sending pass and the bytes (clocks per step of these steps from the cycle"
    echo "model, \`sim/build/bench_cycles\`, for each board's build configuration):"
    echo
    echo "| board (3 Mbaud) | clocks/step | clock | k | steps/s | frames/s |"
    echo "|---|---:|---:|---:|---:|---:|"
    # each board as tools/bitstream.sh builds it (lanes, clock), its clocks a step on these
    # steps from the cycle model (the benches check it against the RTL on every step)
    board() { # board name clocks_per_cell "k ..."
        b=$1 name=$2 cpc=$3 ks=$4
        set -- $(tools/bitstream.sh "$b" --config)   # lanes grid mhz core ...
        lanes=$1 mhz=$3 core=$4
        c=$($BC $MODEL "$core" "$lanes" 64x64 | awk '$1 == "grown" { sub(/clocks=/, "", $3); print int($3 + 0.5) }')
        lab=$([ "$core" = 1 ] && echo "$name, compact core" || echo "$name, LANES $lanes")
        for k in $ks; do
            echo "| $lab | $(printf %d "$c" | sed ':a;s/\B[0-9]\{3\}\>/,&/;ta') | $mhz MHz | $k | $(link "$c" $((mhz * 1000000)) "$k" "$cpc") |"
        done
    }
    board icebreaker iCEBreaker "$CPC_SER" "1 4"
    board ulx3s-85f "ULX3S 85F" "$CPC_ONE" "1 4 16"
} >"$sec"
cat "$sec"
[ -n "$OUT" ] && $PYTHON tools/results_section.py "$OUT" "$sec"
exit 0

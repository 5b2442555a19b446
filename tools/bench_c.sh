#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# C model speed: steps/s of the ref backend (fixed point, sparse) and the float twin (dense),
# growing the regenerating lizard, and the same step in PyTorch float32 (tools/bench_torch.py)
# in the same run. Prints a markdown table; with --out FILE replaces the
# "## C model speed" section of FILE.
set -eu
cd "$(dirname "$0")/.."
HOST=build/nca-host
MODEL=weights/distill/ex3-regen-lizard.bin
OUT=""
PY=${PYTHON:-/usr/bin/python3}   # Debian's python3-torch belongs to the system interpreter
[ "${1:-}" = "--out" ] && OUT=$2
[ -x $HOST ] || make -s $HOST
now() { date +%s.%N; }
row() { # backend grid steps
    t0=$(now)
    line=$($HOST -m $MODEL -b "$1" --grid "$2" --steps "$3" --seed 1 --report "$3" | head -1)
    t1=$(now)
    active=$(echo "$line" | sed -n 's/.*active \([0-9]*\).*/\1/p')
    echo "$1 $2 $3 $t0 $t1 $active" | awk '{ dt = $5 - $4;
        printf "| %s | %s | %d | %.2f | %.0f | %d |\n", $1, $2, $3, dt, $3 / dt, $6 }'
}
table=$(mktemp)
{
    echo "## C model speed"
    echo
    echo "Command: \`make bench\` (tools/bench_c.sh), $(date -u +%Y-%m-%d), commit $(git rev-parse --short HEAD),"
    echo "on $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), one thread, \`-O3\`."
    echo "Growing the regenerating lizard from one seed; 'active' is the number of cells that ran the"
    echo "MLP in the last step (alive before the update and firing), out of the grid's cells."
    echo
    echo "| backend | grid | steps | seconds | steps/s | active cells (last step) |"
    echo "|---|---|---:|---:|---:|---:|"
    r64=$(row ref 64x64 1000)
    echo "$r64"
    row ref 72x72 1000
    row float 72x72 1000
    row ref 256x256 200
    # dense: one step of a 64x64 grid of random mature cells, every cell alive (sim/bench_cycles,
    # the mean of 20 runs of that step)
    make -s -C sim BUILD=build bench-cycles >/dev/null
    dense=$(sim/build/bench_cycles $MODEL 0 64 64x64 | sed -n 's/^dense active=\([0-9]*\) .*c_seconds=\([0-9.]*\).*/\1 \2/p')
    set -- $dense
    dense_sps=$(awk -v t="$2" 'BEGIN { printf "%.0f", 1 / t }')
    echo "| ref, dense (sim/bench_cycles: random mature cells) | 64x64 | 20 x 1 | $(awk -v t="$2" 'BEGIN { printf "%.4f", 20 * t }') | $dense_sps | $1 |"
    # the same step in PyTorch float32 on the same machine, in the same run (dense)
    tv=$($PY -c 'import torch; print(torch.__version__)')
    best=0
    for th in 1 2; do
        t=$($PY tools/bench_torch.py $MODEL --grid 64x64 --steps 300 --threads $th)
        echo "$t" | awk -v v="$tv" -v th=$th '{ printf "| PyTorch %s float32, %d thread(s) (tools/bench_torch.py) | %s | %d | %.2f | %.0f | all (dense) |\n", v, th, $2, $3, $4, $5 }'
        best=$(echo "$t $best" | awk '{ print ($5 > $6) ? $5 : $6 }')
    done
    echo "$best" >build/bench-torch.txt   # for tools/bench_plot.py
    echo
    ref=$(echo "$r64" | awk -F'|' '{ print $6 }')
    echo "$ref $dense_sps $best" | awk '{ printf "The C model (ref, 64x64, one thread) runs %.1fx the faster PyTorch float32 step in this run growing\nthe lizard, and %.1fx on the dense grid (every cell alive, about half of them firing).\n", $1 / $3, $2 / $3 }'
    simd="neither (portable C)"
    grep -qw avx2 /proc/cpuinfo && simd="AVX2"
    grep -qw avx512_vnni /proc/cpuinfo && simd="AVX-512 VNNI"
    echo "The fixed-point step runs the MLP only on active cells (alive before the update and firing),"
    echo "in batches of eight, with an AVX-512 VNNI kernel (four cells a pass) or an AVX2 kernel where the"
    echo "CPU has one (host/src/nca_mlp_fast.c; this CPU: $simd), bit-exact with the portable nca_mlp"
    echo "(tests/c/test_step.c checks every kernel against an independent MLP and step);"
    echo "the float twin is dense and scalar, as the TF notebook."
} >"$table"
cat "$table"
[ -n "$OUT" ] && python3 tools/results_section.py "$OUT" "$table"
rm -f "$table"

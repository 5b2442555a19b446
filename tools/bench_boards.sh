#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Board speed: clocks per step of each board's configuration on the grown lizard and on a
# dense grid, times its clock, against the silicon's multiplier limit. Prints a markdown
# table; with --out FILE replaces the "## Board speed" section of FILE (`make bench`).
#
# Clocks come from the cycle model (sim/bench_cycles, sim/nca_cycles.c), which `make sim`
# checks against the Verilated RTL on every step of both cores. Each board's configuration
# (core, lanes, grid, clock) is tools/bitstream.sh's (`--config`); Fmax is nextpnr's, from
# build/bitstream/BOARD/report.md where that board has been built here (`make bitstream
# BOARD=...`; "not built" otherwise). The silicon limit is the device's multipliers x the
# clock / the useful MACs of a step (active cells x 8,192): 8 SB_MAC16 as two 8x8 each (16
# MACs a clock) on the UP5K, one MAC per MULT18X18D on the ECP5 (nextpnr-ecp5 has no
# MULT9X9D; ../shared/hardware-facts.md).
set -eu
cd "$(dirname "$0")/.."
MODEL=weights/regen.bin
OUT=""
[ "${1:-}" = "--out" ] && OUT=$2
make -s -C sim BUILD=build bench-cycles >/dev/null
BC=sim/build/bench_cycles

fmax() { # board -> Fmax in MHz from its report, or nothing
    r=build/bitstream/$1/report.md
    [ -f "$r" ] && sed -n 's/^| Fmax [^|]*| \([0-9.]*\) MHz.*/\1/p' "$r" | head -1
    return 0
}
rows() { # board multipliers-a-clock
    set -- "$1" "$2" $(tools/bitstream.sh "$1" --config)   # board mults lanes grid clk core
    board=$1 mults=$2 lanes=$3 grid=$4 clk=$5 core=$6
    f=$(fmax "$board")
    name=$([ "$core" = 1 ] && echo "nca_core_seq, 8 lanes" || echo "nca_core, $lanes lanes")
    $BC $MODEL "$core" "$lanes" "$grid" | while read -r case a c m _; do
        echo "$board|$name|$grid|$case|${a#active=}|${c#clocks=}|${m#useful_macs=}|$lanes|$clk|${f:--}|$mults"
    done
}
table=$(mktemp)
{
    echo "## Board speed"
    echo
    echo "Command: \`make bench\` (tools/bench_boards.sh), $(date -u +%Y-%m-%d), commit $(git rev-parse --short HEAD)."
    echo "\`$MODEL\` grown from one seed (rng seed 1), clocks/step the mean of steps 80..119 (grown"
    echo "lizard) or one step of a grid of random mature cells (dense). Steps/s at the clock each"
    echo "board is built for and at nextpnr's Fmax; MAC use = useful MACs / (lanes x clocks); silicon"
    echo "limit = the device's multipliers x Fmax (the build clock where not built) / useful MACs a"
    echo "step; fraction = our steps/s / that limit."
    echo
    echo "| board | core | grid | case | active cells | clocks/step | MAC use | clock | steps/s | Fmax | steps/s at Fmax | silicon limit, steps/s | fraction |"
    echo "|---|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
    { rows icebreaker 16; rows ulx3s-25f 28; rows ulx3s-85f 156; } |
    awk -F'|' 'function commas(n,  s) { s = sprintf("%d", n)
            while (s ~ /[0-9][0-9][0-9][0-9]/) sub(/[0-9][0-9][0-9]($|,)/, ",&", s); return s }
    {
        board = $1; act = $5; clk = $6; macs = $7; lanes = $8; mhz = $9; fm = $10; mults = $11
        use = macs / (lanes * clk)
        sps = mhz * 1e6 / clk
        f = (fm == "-") ? mhz : fm
        lim = mults * f * 1e6 / macs
        spsf = (fm == "-") ? "not built" : sprintf("%.0f", fm * 1e6 / clk)
        fms = (fm == "-") ? "not built" : fm " MHz"
        printf "| %s | %s | %s | %s | %.1f | %s | %.3f | %s MHz | %.1f | %s | %s | %s | %.3f |\n",
               board, $2, $3, $4, act, commas(clk), use, mhz, sps, fms, spsf, commas(lim),
               (f * 1e6 / clk) / lim
    }'
    echo
    echo "![steps/s against active cells](img/speed.png)"
    echo
    echo "(docs/img/speed.png, tools/bench_plot.py: each board's steps/s at its build clock and the"
    echo "C model's over the lizard's first 200 steps and one dense step, with PyTorch float32 on"
    echo "this CPU and issue 13's datacenter-GPU figure for scale.)"
    echo
    echo "The fraction is the share of the device's multipliers doing useful work each clock:"
    echo "lanes x MAC use / multipliers. The iCEBreaker uses one 16x16 product of each SB_MAC16"
    echo "(half of its 8x8 capacity) and the 85F 64 of its 156 multipliers: more lanes, both"
    echo "8x8 halves and a higher clock are issue 13's next steps (docs/design.md)."
} >"$table"
cat "$table"
[ -n "$OUT" ] && python3 tools/results_section.py "$OUT" "$table"
rm -f "$table"

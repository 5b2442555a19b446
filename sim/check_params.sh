#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# check_params.sh - an illegal parameter stops elaboration in all three tools (Verilator,
# Icarus, Yosys) with a message that names the parameter and its legal range: each module
# instantiates a module that does not exist, named MODULE_bad_PARAM_RANGE. Prints one
# "params: PASS" / "params: FAIL ..." line per case and exits 1 on any failure.
# Run from sim/ (make -C sim params).
set -u
ROOT=..
FILES() { $ROOT/tools/rtl_files.sh --prefix $ROOT/ "$1"; }
VERILATOR=${VERILATOR:-verilator}
IVERILOG=${IVERILOG:-iverilog}
YOSYS=${YOSYS:-yosys}
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
fail=0
# manifest top parameter value expected-name
while read -r man top param value want; do
    [ -n "$man" ] || continue
    files=$(FILES "$man" | tr "\n" " ")
    for tool in verilator icarus yosys; do
        case $tool in
            verilator) $VERILATOR --lint-only -Wall -I$ROOT/rtl --top-module "$top" -G"$param=$value" \
                           $files >"$T/out" 2>&1 ;;
            icarus) $IVERILOG -g2005 -I$ROOT/rtl -s "$top" -P"$top.$param=$value" -o "$T/a.vvp" \
                        $files >"$T/out" 2>&1 ;;
            yosys) $YOSYS -q -p "read_verilog -I$ROOT/rtl $files; chparam -set $param $value $top; \
                       hierarchy -check -top $top" >"$T/out" 2>&1 ;;
        esac
        rc=$?
        if [ $rc -ne 0 ] && grep -q "$want" "$T/out"; then
            echo "params: $tool: $top $param=$value stops, naming $want: PASS"
        else
            echo "params: $tool: $top $param=$value: FAIL (exit $rc, no '$want' in:"
            head -n 5 "$T/out"
            echo ")"
            fail=1
        fi
    done
done <<'CASES'
core nca_core LANES 3 _bad_LANES_power_of_2_1_to_128
core nca_core GRID_H 2 nca_core_bad_GRID_H_3_to_1024
core_seq nca_core_seq GRID_W 65 nca_core_seq_bad_GRID_W_3_to_64
core_seq nca_damage_serial GRID_H 2 nca_damage_serial_bad_GRID_H_3_to_64
core_seq nca_pending_fifo SLOTS 1 nca_pending_fifo_bad_SLOTS_2_to_128
core_seq nca_weights_serial W1_WORDS 2000 nca_weights_serial_bad_W1_WORDS_8_to_1024
core nca_core_cfg SEED_REG 2 nca_core_cfg_bad_SEED_REG_0_or_1
core nca_damage_raster GRID_W 1025 nca_damage_raster_bad_GRID_W_3_to_1024
core nca_neighbour_addr GRID_H 2 nca_neighbour_addr_bad_GRID_H_3_to_1024
board nca_board CORE 2 nca_board_bad_CORE_0_or_1
board nca_board BAUD 20000000 _bad_BAUD_
CASES
[ $fail = 0 ] && echo "params: PASS" || echo "params: FAIL"
exit $fail

#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# rtl_files.sh [--prefix P] [--check] NAME... - the RTL manifest: prints the Verilog files of
# rtl/files/NAME.f (one path from the repository root a line, '#' comments, '-f FILE' takes
# in another manifest), each once, in order, with P put in front (sim/ passes "../").
# sim/Makefile, tools/bitstream.sh and lint all take their file lists from here.
# --check: also exits 1 naming any rtl/nca_*.v or rtl/boards/*.v that no manifest lists.
set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd)
PREFIX=""
CHECK=0
while [ $# -gt 0 ]; do
    case "$1" in
        --prefix) PREFIX=$2; shift 2 ;;
        --check) CHECK=1; shift ;;
        -*) echo "rtl_files.sh: unknown option $1" >&2; exit 2 ;;
        *) break ;;
    esac
done
[ $# -gt 0 ] || [ $CHECK = 1 ] || { echo "usage: rtl_files.sh [--prefix P] [--check] NAME..." >&2; exit 2; }
expand() { # manifest path from the root
    [ -f "$ROOT/$1" ] || { echo "rtl_files.sh: $1: no such manifest" >&2; exit 1; }
    sed -e 's/#.*//' -e 's/[[:space:]]*$//' "$ROOT/$1" | while read -r a b; do
        [ -n "$a" ] || continue
        if [ "$a" = "-f" ]; then
            expand "$b"
        else
            [ -f "$ROOT/$a" ] || { echo "rtl_files.sh: $1 names $a, which does not exist" >&2; exit 1; }
            echo "$a"
        fi
    done
}
list=""
for n in "$@"; do
    list="$list $(expand "rtl/files/$n.f")"
done
if [ $CHECK = 1 ]; then
    all=$(for f in "$ROOT"/rtl/files/*.f; do expand "rtl/files/$(basename "$f")"; done | sort -u)
    bad=0
    for f in "$ROOT"/rtl/nca_*.v "$ROOT"/rtl/boards/*.v; do
        rel=${f#"$ROOT"/}
        echo "$all" | grep -qx "$rel" || { echo "rtl_files.sh: $rel is in no manifest (rtl/files/*.f)" >&2; bad=1; }
    done
    [ $bad = 0 ] || exit 1
fi
seen=" "
for f in $list; do
    case "$seen" in *" $f "*) continue ;; esac
    seen="$seen$f "
    printf '%s%s\n' "$PREFIX" "$f"
done

#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# test_models.sh - the model library and rotation (issue 15) through the command lines, on the
# sanitizer builds: nca-host --list-models, nca-host --angle (batch, --target, --info, the live
# keys , . from a script), nca-convert --from bin (--desc, --name, --rotate).
# Run from the repository root (tests/run-c-tests.sh does); BUILD defaults to build.
# Prints a cmocka-style summary and exits non-zero when a test failed.
set -u

BUILD=${BUILD:-build}
HOST=$BUILD/san/nca-host
CONV=$BUILD/san/nca-convert
REGEN=weights/regen.bin
PYTHON=${PYTHON:-/usr/bin/python3}
[ -x "$PYTHON" ] || PYTHON=python3

T=$(mktemp -d "${TMPDIR:-/tmp}/nca-models-XXXXXX") || exit 1
trap 'rm -rf "$T"' EXIT

. tests/c/harness.sh
need_built test_models.sh "$HOST" "$CONV"
same_file() { # NAME A B
    if cmp -s "$2" "$3"; then pass "$1"; else fail "$1" "$2 and $3 differ"; fi
}
# patch FILE OFFSET BYTE: sets one byte and recomputes the model's CRC-32 (a valid file)
patch_model() {
    "$PYTHON" - "$@" <<'EOF'
import sys, zlib
path, off, val = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
b = bytearray(open(path, 'rb').read())
b[off] = val
b[-4:] = zlib.crc32(bytes(b[:-4])).to_bytes(4, 'little')
open(path, 'wb').write(b)
EOF
}

echo "[==========] Running the model library and rotation tests."

# ---- --list-models ------------------------------------------------------------------------------
SHIPPED="grow persist regen regen-butterfly regen-mushroom regen-ladybug"
DISTILL="ex1-grow-lizard ex2-persist-lizard ex3-regen-lizard ex3-regen-planarian"
if check "list: --list-models weights" 0 0 "$HOST" --list-models weights; then
    res=()
    for m in $SHIPPED; do res+=("^$m\\.bin  *$m  ") ; done
    for m in $DISTILL; do res+=("^distill/$m\\.bin  *distill-$m  "); done
    out_has "list: every shipped model with its name" "${res[@]}"
    out_has "list: kind, shape, kernels, size and description" \
        '^grow\.bin  *grow  *grow  *16  *128 I+Sx+Sy  *9104  [^ ]' \
        '^persist\.bin  *persist  *persist ' '^regen-ladybug\.bin  *regen-ladybug  *regen ' \
        '^distill/ex3-regen-planarian\.bin .* regen  *16  *128 I+Sx+Sy  *9104  Distill 2020'
    n=$(grep -c ' 9104  ' "$T/out")
    [ "$n" -eq 10 ] && pass "list: 10 models listed" || fail "list: 10 models listed" "$n rows"
    cp "$T/out" "$T/list-weights"
fi
# the default folder: weights/ of the tree this program was built in (any working directory)
if (cd "$T" && check "list: --list-models, no folder" 0 0 "$OLDPWD/$HOST" --list-models); then
    if diff <(tail -n +2 "$T/out") <(tail -n +2 "$T/list-weights") >/dev/null; then
        pass "list: the default is the tree's weights/"
    else
        fail "list: the default is the tree's weights/" "$(head -3 "$T/out")"
    fi
fi
L=$T/lib
mkdir -p "$L/sub/deeper"
cp "$REGEN" "$L/good.bin"
cp weights/grow.bin "$L/sub/nested.bin"
cp weights/persist.bin "$L/sub/deeper/too-deep.bin"
cp "$REGEN" "$L/crc.bin"
printf '\377' | dd of="$L/crc.bin" bs=1 seek=5000 conv=notrunc status=none
head -c 100 "$REGEN" >"$L/short.bin"
echo "not a model" >"$L/notes.txt"
mkdir "$L/dir.bin"
if check "list: a folder with broken files" 0 0 "$HOST" --list-models "$L"; then
    out_has "list: good files listed, broken ones with their reason" \
        '^good\.bin  *regen  *regen ' '^sub/nested\.bin  *grow  *grow ' \
        '^crc\.bin  *not loaded: CRC mismatch' '^short\.bin  *not loaded: truncated: 100 of 9104 bytes$'
    if grep -q -e 'too-deep' -e 'notes' -e 'dir\.bin' "$T/out"; then
        fail "list: one level down, .bin files only" "$(grep -e too-deep -e notes -e dir.bin "$T/out")"
    else
        pass "list: one level down, .bin files only"
    fi
fi
mkdir -p "$T/bad"
cp "$L/crc.bin" "$L/short.bin" "$T/bad/"
usage_error "list: no loadable model: exit 1" "$HOST" --list-models "$T/bad"
mkdir -p "$T/empty"
usage_error "list: a folder without models" "$HOST" --list-models "$T/empty"
usage_error "list: a file, not a folder" "$HOST" --list-models "$L/notes.txt"
usage_error "list: missing folder" "$HOST" --list-models "$T/no-such-dir"
usage_error "list: two folders" "$HOST" --list-models "$L" "$T/bad"

# ---- --angle ------------------------------------------------------------------------------------
run() { # STATE-FILE ARGS...: 120 steps of regen.bin on 64x64 (the C model)
    local st=$1
    shift
    check "angle: run $*" 0 0 "$HOST" --backend ref --model "$REGEN" --steps 120 --view none \
        --save-state "$st" "$@"
}
run "$T/none.st" && run "$T/a0.st" --angle 0 && same_file "angle: --angle 0 is no --angle" "$T/none.st" "$T/a0.st"
run "$T/a360.st" --angle 360 && same_file "angle: --angle 360 is --angle 0" "$T/a0.st" "$T/a360.st"
run "$T/am720.st" --angle -720 && same_file "angle: --angle -720 is --angle 0" "$T/a0.st" "$T/am720.st"
run "$T/a90.st" --angle 90
run "$T/am270.st" --angle -270 && same_file "angle: --angle -270 is --angle 90" "$T/a90.st" "$T/am270.st"
run "$T/a45.st" --angle 45
# the 90-degree lizard's alpha mask is the unrotated one turned 90 degrees counter-clockwise
# (numpy's rot90 as a frame shows it) about the seed cell (32,32), up to the cells where the
# fire hash, which does not turn, made them grow differently; clockwise, or no turn, is far off
cat >"$T/iou.py" <<'EOF'
import sys
import numpy as np
def alpha(path):
    b = open(path, 'rb').read()
    s = np.frombuffer(b[24:24 + 2 * 64 * 64 * 16], '<i2').reshape(64, 64, 16)
    return s[:, :, 3] > 204  # mature: alpha > 0.1
def iou(a, b):
    return (a & b).sum() / max(1, (a | b).sum())
def turn(a, k):  # k quarter turns counter-clockwise about cell (32, 32): rot90 turns about 31.5
    return np.roll(np.rot90(a, k), (1 if k % 4 in (1, 2) else 0, 1 if k % 4 in (2, 3) else 0), (0, 1))
base, rot = alpha(sys.argv[1]), alpha(sys.argv[2])
print('cells %d %d ccw %.3f cw %.3f none %.3f' % (base.sum(), rot.sum(), iou(turn(base, 1), rot),
      iou(turn(base, 3), rot), iou(base, rot)))
EOF
if [ -f "$T/a90.st" ] && "$PYTHON" "$T/iou.py" "$T/none.st" "$T/a90.st" >"$T/iou" 2>&1; then
    read -r _ nb nr _ ccw _ cw _ none <"$T/iou"
    if [ "$nb" -gt 200 ] && awk -v a="$ccw" -v b="$cw" -v c="$none" 'BEGIN { exit !(a > 0.9 && b < 0.6 && c < 0.6) }'; then
        pass "angle: 90 grows the lizard turned 90 counter-clockwise ($(cat "$T/iou"))"
    else
        fail "angle: 90 grows the lizard turned 90 counter-clockwise" "$(cat "$T/iou")"
    fi
else
    fail "angle: alpha masks compared" "$(cat "$T/iou" 2>/dev/null)"
fi
# --target turns with --angle: the 90-degree lizard matches the turned target about as well as
# the upright one matches the upright target, and not the upright target
mse() { sed -n 's/^mse \([0-9.]*\) after.*/\1/p' "$T/out"; }
if check "angle: --target upright" 0 0 "$HOST" --backend ref --model "$REGEN" --steps 200 --view none \
    --target weights/targets/lizard.png; then
    m0=$(mse)
    check "angle: --target turned" 0 0 "$HOST" --backend ref --model "$REGEN" --steps 200 --view none \
        --target weights/targets/lizard.png --angle 90 && m90=$(mse)
    check "angle: turned lizard, upright target" 0 0 "$HOST" --backend ref --model "$REGEN" --steps 200 \
        --view none --load-state "$T/a90.st" --steps 0 --target weights/targets/lizard.png && mx=$(mse)
    if awk -v a="${m0:-1}" -v b="${m90:-1}" -v c="${mx:-0}" 'BEGIN { exit !(a < 0.001 && b < 2 * a && c > 10 * a) }'; then
        pass "angle: MSE against the turned target (0: $m0, 90: $m90, 90 upright: $mx)"
    else
        fail "angle: MSE against the turned target" "0: $m0, 90: $m90, 90 against the upright target: $mx"
    fi
fi
check "angle: --info --angle" 0 0 "$HOST" --model "$REGEN" --info --angle -405 &&
    out_has "angle: --info says the rotation" '^rotation: *-45 degrees'
# nca-convert --rotate writes the model --angle runs: a board gets it with one LOAD_MODEL
check "angle: nca-convert --rotate 45" 0 0 "$CONV" --from bin "$REGEN" --rotate 45 -o "$T/r45.bin" &&
    check "angle: run the rotated file" 0 0 "$HOST" --backend ref --model "$T/r45.bin" --steps 120 \
        --view none --save-state "$T/f45.st" &&
    same_file "angle: --angle 45 runs the model nca-convert --rotate 45 writes" "$T/a45.st" "$T/f45.st"
# a model without the Sobel pair: kernels I+Sx+L (byte 14 = 0x0b, still three filters)
cp "$REGEN" "$T/nosobel.bin"
patch_model "$T/nosobel.bin" 14 11
check "angle: the patched model loads" 0 0 "$HOST" --model "$T/nosobel.bin" --info &&
    out_has "angle: it has no Sobel-y" '^kernels: *identity sobel_x laplace$'
usage_error "angle: refused without Sobel-x and -y" "$HOST" --backend ref --model "$T/nosobel.bin" --angle 90 --steps 1
grep -q "nosobel.bin: model 'regen' has no Sobel-x and Sobel-y kernels" "$T/err" &&
    pass "angle: the error names the file and the reason" || fail "angle: the error" "$(cat "$T/err")"
usage_error "angle: refused on a second --model too" "$HOST" --backend ref --model "$REGEN" \
    --model "$T/nosobel.bin" --angle 0 --steps 1
usage_error "angle: nca-convert --rotate refused" "$CONV" --from bin "$T/nosobel.bin" --rotate 10 -o "$T/x.bin"
for bad in abc 10x nan inf 1e9 ''; do
    usage_error "angle: bad --angle '$bad'" "$HOST" --backend ref --model "$REGEN" --angle "$bad" --steps 1
done

# ---- the live keys , . (scripted) ----------------------------------------------------------------
printf '0 key .\n0 key .\n0 key .\n' >"$T/k45.events"
check "keys: three . from the start" 0 0 "$HOST" --backend ref --model "$REGEN" --steps 120 --view none \
    --events "$T/k45.events" --save-state "$T/k45.st" &&
    same_file "keys: three . are --angle 45" "$T/a45.st" "$T/k45.st"
printf '0 key ,\n' >"$T/kback.events"
check "keys: , from --angle 15" 0 0 "$HOST" --backend ref --model "$REGEN" --steps 120 --view none \
    --angle 15 --events "$T/kback.events" --save-state "$T/kback.st" &&
    same_file "keys: , from 15 degrees is upright" "$T/none.st" "$T/kback.st"
printf '60 key .\n' >"$T/k60.events"
check "keys: . at step 60" 0 1 "$HOST" -v --backend ref --model "$REGEN" --steps 120 --view none \
    --events "$T/k60.events" --save-state "$T/k60.st" &&
    if cmp -s "$T/k60.st" "$T/none.st"; then fail "keys: . changes the state" "state as without the key"
    elif grep -q 'model regen at 15 deg, loaded in' "$T/err"; then pass "keys: . changes the state, says the angle"
    else fail "keys: . says the angle" "$(cat "$T/err")"; fi
printf '0 key .\n' >"$T/k1.events"
check "keys: . on a model without Sobel kernels goes on" 0 0 "$HOST" --backend ref --model "$T/nosobel.bin" \
    --steps 20 --view none --events "$T/k1.events" --save-state "$T/ns1.st" &&
    check "keys: the same model, no key" 0 0 "$HOST" --backend ref --model "$T/nosobel.bin" --steps 20 \
        --view none --spf 1 --save-state "$T/ns0.st" &&
    same_file "keys: nothing turned" "$T/ns0.st" "$T/ns1.st"

# the RTL runs a turned model unchanged: the keys on the virtual board (one LOAD_MODEL each, a
# free run with frames) end in the state of the C model at --angle 30
VBOARD=${VBOARD:-sim/build/vboard/nca-vboard}
if [ ! -x "$VBOARD" ]; then
    skip "keys: two . on the virtual board equal --angle 30 on ref" "no virtual board ($VBOARD; make vboard)"
else
    printf '0 key .\n0 key .\n' >"$T/k30.events"
    check "keys: two . on the virtual board" 0 0 "$HOST" --backend vboard --vboard "$VBOARD" --model "$REGEN" \
        --steps 20 --spf 4 --view none --events "$T/k30.events" --save-state "$T/vb30.st" &&
        check "angle: --angle 30 on ref" 0 0 "$HOST" --backend ref --model "$REGEN" --steps 20 --view none \
            --angle 30 --save-state "$T/ref30.st" &&
        same_file "keys: two . on the virtual board equal --angle 30 on ref" "$T/vb30.st" "$T/ref30.st"
fi

# ---- nca-convert --from bin -----------------------------------------------------------------------
DESC="Regenerating lizard: grows from one cell and regrows after damage"
if check "convert: --from bin --desc" 0 0 "$CONV" --from bin "$REGEN" --desc "$DESC" -o "$T/d.bin"; then
    check "convert: the described model loads" 0 0 "$HOST" --model "$T/d.bin" --info &&
        out_has "convert: description and name" "^description: $DESC\$" '^name: *regen$'
    # only the description bytes (60..187) and the CRC change
    n=$(cmp -l "$REGEN" "$T/d.bin" | awk '$1 < 61 || ($1 > 188 && $1 <= 9100)' | wc -l)
    [ "$n" -eq 0 ] && pass "convert: weights and config kept byte for byte" ||
        fail "convert: weights and config kept" "$n other bytes differ"
    "$HOST" --list-models "$T" >"$T/out" 2>&1
    out_has "convert: --list-models shows the description" "^d\\.bin  *regen  *regen .*  $DESC\$"
fi
cp "$REGEN" "$T/inplace.bin"
check "convert: in place, --name" 0 0 "$CONV" --from bin "$T/inplace.bin" --name lizard-2 -o "$T/inplace.bin" &&
    check "convert: renamed" 0 0 "$HOST" --model "$T/inplace.bin" --info &&
    out_has "convert: new name, description kept" '^name: *lizard-2$' "^description: $(sed -n 's/^description: //p' <("$HOST" --model "$REGEN" --info))\$"
usage_error "convert: description over 128 characters" "$CONV" --from bin "$REGEN" -o "$T/x.bin" \
    --desc "$(printf 'x%.0s' $(seq 129))"
usage_error "convert: description with a tab" "$CONV" --from bin "$REGEN" -o "$T/x.bin" --desc "$(printf 'a\tb')"
usage_error "convert: --from bin with --fire-rate" "$CONV" --from bin "$REGEN" -o "$T/x.bin" --fire-rate 0.4
usage_error "convert: --from bin of a corrupt file" "$CONV" --from bin "$L/crc.bin" -o "$T/x.bin"
usage_error "convert: bad --rotate" "$CONV" --from bin "$REGEN" -o "$T/x.bin" --rotate east
[ ! -e "$T/x.bin" ] && pass "convert: failures write no output" || fail "convert: failures write no output" "x.bin exists"

summary "model library and rotation tests"

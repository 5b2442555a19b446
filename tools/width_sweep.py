#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Width sweep: which quantiser of the NCA step costs quality (docs/fixed-point.md).

A numpy emulation of the Distill step (72x72, zero padding, numpy's RNG for the fire mask)
in which each stage can be quantised on its own: state, perception, hidden, weights.
Prints the RGBA MSE against the target at --steps for each configuration, mean over --runs.

usage: width_sweep.py [--model weights/distill/json/distill-ex2-persist-lizard.json]
                      [--target weights/targets/lizard.png] [--steps 1000] [--runs 2]
                      [--only NAME ...]
"""
import argparse
import base64
import json

import numpy as np
from PIL import Image

# name: {sf: state frac (int16), pf/pb: perception frac/bits, hf/hb: hidden frac/bits (unsigned),
#        qw: int8 weights with per-row power-of-two scales (and rounded biases)}
CONFIGS = {
    "float": {},
    "state-q11": {"sf": 11},
    "state-q10": {"sf": 10},
    "perc-int8-q5": {"pf": 5, "pb": 8},
    "perc-int8-q4": {"pf": 4, "pb": 8},
    "perc-int12-q7": {"pf": 7, "pb": 12},
    "perc-int16-q11": {"pf": 11, "pb": 16},
    "hid-u8-q6": {"hf": 6, "hb": 8},
    "hid-u8-q7": {"hf": 7, "hb": 8},
    "hid-u16-q12": {"hf": 12, "hb": 16},
    "all-acts": {"sf": 11, "pf": 11, "pb": 16, "hf": 7, "hb": 8},
    "all-acts+weights": {"sf": 11, "pf": 11, "pb": 16, "hf": 7, "hb": 8, "qw": True},
    "weights-only": {"qw": True},
}


def load_distill(path):
    layers = []
    for l in json.load(open(path)):
        raw = np.frombuffer(base64.b64decode(l["data_b64"]), np.uint8)
        b = raw.reshape(l["in_ch"] + 1, l["out_ch"]).astype(np.float64)
        layers.append(((b[:-1] / 255 - 0.5) * l["weight_scale"], (b[-1] / 255 - 0.5) * l["bias_scale"]))
    return layers


def perceive(x):
    h, w, _ = x.shape
    p = np.pad(x, ((1, 1), (1, 1), (0, 0)))
    kx = np.array([[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]]) / 8
    sx, sy = np.zeros_like(x), np.zeros_like(x)
    for i in range(3):
        for j in range(3):
            sl = p[i:i + h, j:j + w]
            sx += kx[i, j] * sl
            sy += kx.T[i, j] * sl
    return np.concatenate([x, sx, sy], -1)


def alive(x):
    a = np.pad(x[..., 3], 1)
    h, w = x.shape[:2]
    m = np.zeros((h, w), bool)
    for i in range(3):
        for j in range(3):
            m |= a[i:i + h, j:j + w] > 0.1
    return m


def quant(v, frac, bits, signed=True):
    if frac is None:
        return v
    lo, hi = (-(2 ** (bits - 1)), 2 ** (bits - 1) - 1) if signed else (0, 2 ** bits - 1)
    return np.clip(np.floor(v * 2.0 ** frac + 0.5), lo, hi) / 2.0 ** frac


def quant_rows(w):
    """int8 with a power-of-two scale per output (column here: w is [in][out])."""
    f = np.floor(np.log2(127.49 / np.abs(w).max(0)))
    return np.clip(np.round(w * 2 ** f), -128, 127) / 2 ** f, f


def run(layers, target, cfg, steps, seed):
    (w1, b1), (w2, b2) = layers
    if cfg.get("qw"):
        sf, hf = cfg.get("sf", 11), cfg.get("hf", 7)
        w1, f1 = quant_rows(w1)
        w2, f2 = quant_rows(w2)
        b1 = np.round(b1 * 2 ** (f1 + sf)) / 2 ** (f1 + sf)
        b2 = np.round(b2 * 2 ** (f2 + hf)) / 2 ** (f2 + hf)
    rng = np.random.default_rng(seed)
    x = np.zeros((72, 72, 16))
    x[36, 36, 3:] = 1
    for _ in range(steps):
        pre = alive(x)
        p = quant(perceive(x), cfg.get("pf"), cfg.get("pb", 8))
        h = quant(np.maximum(p @ w1 + b1, 0), cfg.get("hf"), cfg.get("hb", 8), signed=False)
        x = x + (h @ w2 + b2) * (rng.random((72, 72, 1)) <= 0.5)
        if cfg.get("sf") is not None:
            x = quant(x, cfg["sf"], 16)
        x = x * (pre & alive(x))[..., None]
    return float(((x[..., :4] - target) ** 2).mean())


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", default="weights/distill/json/distill-ex2-persist-lizard.json")
    ap.add_argument("--target", default="weights/targets/lizard.png")
    ap.add_argument("--steps", type=int, default=1000)
    ap.add_argument("--runs", type=int, default=2)
    ap.add_argument("--only", nargs="*", help="configuration names (default all): " + " ".join(CONFIGS))
    a = ap.parse_args()
    layers = load_distill(a.model)
    t = np.float64(Image.open(a.target).convert("RGBA")) / 255
    t[..., :3] *= t[..., 3:]
    py, px = (72 - t.shape[0]) // 2, (72 - t.shape[1]) // 2
    t = np.pad(t, ((py, 72 - t.shape[0] - py), (px, 72 - t.shape[1] - px), (0, 0)))
    for name in a.only or CONFIGS:
        r = [run(layers, t, CONFIGS[name], a.steps, s) for s in range(a.runs)]
        print(f"{name:20s} runs {' '.join(f'{v:.6g}' for v in r)}  mean {np.mean(r):.6g}", flush=True)


if __name__ == "__main__":
    main()

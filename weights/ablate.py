#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Where does a converted model's fixed-point run drift from its float run? An ablation.

Runs the float twin of a model (its dequantised weights, float32, nca-host --backend float's
semantics) with one part of the fixed-point spec (docs/fixed-point.md) switched on at a time,
and the full spec (the QAT forward pass, bit-exact with the C model), all from the seed with
the spec's fire hash (the same random updates in every variant), and prints the RGBA MSE
against the target at the report steps, averaged over the seeds, with its ratio to the
float run. A part whose variant moves the MSE toward the fixed run's is a cause.

The parts (one switch each):
  front     update only cells alive before the step (pre & fire) instead of every firing
            cell (the TF notebook's dense update; masked afterwards in both)
  perceive  perception rounded to state words and saturated to int16
  hquant    hidden rounded to 2^-HF (no clamp)
  hclip     hidden clamped to its uint8 range, 255 x 2^-HF (no rounding)
  hidden    both: the spec's uint8 hidden
  state     each update rounded to a state word (2^-SF, round half up) and saturated
Variants: float, each part alone, float with every part (= the spec, computed in float), and
fixed (the QAT forward pass itself). --hid-frac / --state-frac re-quantise the model first.

example: weights/ablate.py weights/distill/ex3-regen-planarian.bin --target
         weights/targets/planarian.png --grid 72 --seeds 8 --steps 200,500,1000
"""
from __future__ import annotations

import argparse
import os
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import nca_int as ni  # noqa: E402
import nca_qat as nq  # noqa: E402

PARTS = ["front", "perceive", "hquant", "hclip", "hidden", "state"]


def float_step(net, x, fire, qw, parts):
    """One float step with the named spec parts switched on (net.quant is False)."""
    B, H, W, C = x.shape
    sf, hf = 2.0 ** net.state_frac, 2.0 ** net.hid_frac
    pre = net.alive(x)
    p = net.perceive(x)
    if "perceive" in parts:
        p = torch.cat([p[..., :C], torch.clamp(torch.floor(p[..., C:] * sf + 0.5),
                                               -32768, 32767) / sf], -1)
    w1, b1, w2, b2 = qw
    h = torch.relu(torch.addmm(b1, p.reshape(-1, p.shape[-1]), w1.t()))
    if "hquant" in parts or "hidden" in parts:
        h = torch.floor(h * hf + 0.5) / hf
    if "hclip" in parts or "hidden" in parts:
        h = torch.clamp(h, max=255.0 / hf)
    ds = torch.addmm(b2, h, w2.t()).view(B, H, W, C)
    u = x + ds
    if "state" in parts:
        u = torch.clamp(torch.floor(u * sf + 0.5), -32768, 32767) / sf
    upd = (pre & fire) if "front" in parts else fire
    v = torch.where(upd.unsqueeze(-1), u, x)
    return v * (pre & net.alive(v)).unsqueeze(-1).to(v.dtype)


def run(m, variant, seeds, steps, target, width, height):
    """MSE against the target at each of steps, mean over seeds."""
    fixed = variant == "fixed"
    net = nq.QNCA.from_model(m, quant=fixed)
    parts = set(PARTS) if variant == "all" else {variant}
    x = net.seed_state(len(seeds), height, width)
    fire = nq.FireMasks(net.fire_q, np.asarray(seeds, np.int64), max(steps), width, height, "cpu")
    tgt = torch.as_tensor(target)
    out = {}
    with torch.no_grad():
        qw = net.qweights(torch.float32)
        for t in range(max(steps)):
            x = net(x, fire[t], qw) if fixed else float_step(net, x, fire[t], qw, parts)
            if t + 1 in steps:
                out[t + 1] = float(((x[..., :4] - tgt) ** 2).mean(dim=(1, 2, 3)).mean())
    return out


def main(argv=None):
    try:
        return ablate(argv)
    except (OSError, ValueError) as e:  # a model, a target or a grid that does not fit
        print(f"ablate.py: {e}", file=sys.stderr)
        return 1


def ablate(argv):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 epilog="\n\n".join(__doc__.split("\n\n")[1:]),
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("model", help="a .bin")
    ap.add_argument("--target", required=True, help="target PNG (centred on the grid)")
    ap.add_argument("--grid", type=int, default=72, help="square grid side (default 72)")
    ap.add_argument("--seeds", type=int, default=8, help="fire-hash seeds 1..N (default 8)")
    ap.add_argument("--steps", default="200,500,1000", help="report steps")
    ap.add_argument("--variants", default=",".join(["float"] + PARTS + ["all", "fixed"]))
    ap.add_argument("--hid-frac", type=int, help="re-quantise the model with this HF first")
    ap.add_argument("--state-frac", type=int, help="... and this SF")
    ap.add_argument("--threads", type=int, default=0)
    a = ap.parse_args(argv)
    if a.threads:
        torch.set_num_threads(a.threads)
    m = ni.load_model(a.model)
    if a.hid_frac is not None or a.state_frac is not None:
        m = ni.requantize(m, ni.dequantize(m),
                          state_frac=m.state_frac if a.state_frac is None else a.state_frac,
                          hid_frac=m.hid_frac if a.hid_frac is None else a.hid_frac)
    steps = [int(s) for s in a.steps.split(",")]
    target = ni.load_target(a.target, a.grid, a.grid)
    seeds = list(range(1, a.seeds + 1))
    print(f"{os.path.basename(a.model)}: SF {m.state_frac} HF {m.hid_frac}, {a.grid}x{a.grid}, "
          f"seeds 1..{a.seeds}; RGBA MSE (ratio to float)")
    print("| variant | " + " | ".join(f"@{s}" for s in steps) + " |")
    print("|---" * (len(steps) + 1) + "|")
    base = None
    for v in a.variants.split(","):
        r = run(m, v, seeds, steps, target, a.grid, a.grid)
        base = base or r
        print(f"| {v} | " + " | ".join(f"{r[s]:.3e} ({r[s] / base[s]:.2f})" for s in steps)
              + " |", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())

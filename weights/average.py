#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Average models' weights: the model whose real-valued weights are the mean of the inputs'.

Each input's integers are dequantised (nca_model_dequantize), the weights averaged element
by element, and the mean quantised again as nca-convert quantises float weights (layer
scales per row, docs/fixed-point.md). All inputs must share the shape and the formats (state
and hidden fraction bits, kernels, boundary, fire rate, alive threshold, flags); the output
keeps the first input's, its name and, unless --desc is given, its description. One input
gives that model back unchanged.

Meant for checkpoints of one training run (stochastic weight averaging after the fact, what
train.py --ema does during a run), whose weights lie close together.

example: weights/average.py -o avg.bin runs/lb19/checkpoints/iter00{125,150,175,200}.bin
"""
from __future__ import annotations

import argparse
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import nca_int as ni  # noqa: E402

SAME = ("channels", "hidden", "kernels", "boundary", "fire_q", "state_frac", "hid_frac",
        "alive_q", "flags")


def average(models: list[ni.Model], desc: str | None = None) -> ni.Model:
    """The mean of models' weights as a model (ModelError when they do not match)."""
    if not models:
        raise ni.ModelError("no models to average")
    m0 = models[0]
    for k, m in enumerate(models[1:], 2):
        for f in SAME:
            if getattr(m, f) != getattr(m0, f):
                raise ni.ModelError(f"model {k} has {f} {getattr(m, f)}, model 1 has "
                                    f"{getattr(m0, f)}")
    ws = [ni.dequantize(m) for m in models]
    mean = [np.mean([w[i] for w in ws], axis=0) for i in range(4)]
    return ni.requantize(m0, mean, **({} if desc is None else {"desc": desc}))


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="average.py", description=__doc__.split("\n\n")[0],
                                 epilog="\n\n".join(__doc__.split("\n\n")[1:]),
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("models", nargs="+", metavar="MODEL", help="model files (.bin)")
    ap.add_argument("-o", "--out", required=True, help="the averaged model (.bin)")
    ap.add_argument("--desc", default=None, help="its description (default: the first's)")
    a = ap.parse_args(argv)
    try:
        ms = [ni.load_model(p) for p in a.models]  # its errors name the file
        m = average(ms, a.desc)
        ni.save_model(a.out, m)
    except (OSError, ni.ModelError) as e:
        print(f"average.py: {e}", file=sys.stderr)
        return 1
    print(f"average.py: {a.out}: the mean of {len(ms)} models")
    return 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Import a plain PyTorch Growing-NCA model (state dict) into the nca-fpga .bin format.

The common layout: perception = identity + Sobel-x + Sobel-y of C channels (I = 3C inputs),
then I -> H (ReLU) -> C, as 1x1 convolutions ([out, in, 1, 1]), linears ([out, in]) or
Keras-style kernels ([1, 1, in, out] / [in, out]). The first weight matrix in the file is
layer 1, the other layer 2; a missing bias is zero. Keys are free: w1.weight, fc0.weight,
dmodel.0.weight, update.2.weight ... all work. Buffers that are not 1x1 (e.g. stored 3x3
perception kernels) are ignored.

Perception conventions differ between ports; the importer needs to know three things:
  --input-order filter   inputs f*C + c: torch.cat([x, gx, gy], 1) (and the Distill demo)
  --input-order channel  inputs c*F + f: depthwise conv2d(groups=C) / TF depthwise_conv2d
                         with the kernels repeated per channel (the TF notebook)
  --swap-xy              the source's first gradient is d/dy (Sobel transposed)
  --sobel-div N          the source divided its Sobel sums by N (default 8, ours)
With --input-order auto and --target PNG, every order x swap combination is grown for
--steps steps on the fixed-point model and the best match to the target is kept.

examples:
  weights/import_torch.py model.pth -o model.bin --input-order channel
  weights/import_torch.py model.pth -o model.bin --input-order auto --target lizard.png
"""
from __future__ import annotations

import argparse
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import nca_int as ni  # noqa: E402


class ImportError_(ValueError):
    pass


def _load(path):
    import torch
    try:
        obj = torch.load(path, map_location="cpu", weights_only=False)
    except TypeError:
        obj = torch.load(path, map_location="cpu")
    if hasattr(obj, "state_dict") and callable(obj.state_dict):
        obj = obj.state_dict()
    for k in ("state_dict", "model_state_dict", "model", "net", "ca"):
        if isinstance(obj, dict) and isinstance(obj.get(k), dict):
            obj = obj[k]
            break
    if not isinstance(obj, dict):
        raise ImportError_(f"{path}: not a state dict (got {type(obj).__name__})")
    out = {}
    for k, v in obj.items():
        if hasattr(v, "detach"):
            v = v.detach().cpu().numpy()
        if isinstance(v, np.ndarray) and v.dtype.kind == "f":
            out[str(k)] = v.astype(np.float32)
    return out


def find_layers(sd: dict):
    """(w1 [H][I], b1 [H], w2 [C][H], b2 [C]) from a state dict of numpy arrays, inputs in
    the source's own order."""
    mats = []  # (key, matrix as [out][in], keras orientation?)
    for k, v in sd.items():
        if v.ndim == 4 and v.shape[2:] == (1, 1) and "weight" in k.lower():
            mats.append((k, v[:, :, 0, 0], False))
        elif v.ndim == 4 and v.shape[:2] == (1, 1):
            mats.append((k, v[0, 0].T, True))
        elif v.ndim == 2:
            mats.append((k, v, None))
    if len(mats) != 2:
        raise ImportError_(f"expected two weight matrices (1x1 convs or linears), found "
                           f"{len(mats)}: {[m[0] for m in mats]}")
    (k1, a, o1), (k2, b, o2) = mats
    # orientation of plain 2-D matrices: out x in of layer 1 must chain into layer 2
    cands = []
    for a_ in ([a] if o1 is not None else [a, a.T]):
        for b_ in ([b] if o2 is not None else [b, b.T]):
            if a_.shape[0] == b_.shape[1] and a_.shape[1] % b_.shape[0] == 0:
                cands.append((a_, b_))
    if not cands:
        raise ImportError_(f"{k1} {a.shape} and {k2} {b.shape} do not chain as I->H->C")
    if len(cands) > 1:  # prefer the torch orientation [out][in]
        cands = [c for c in cands if c[0] is a and c[1] is b] or cands[:1]
    w1, w2 = cands[0]

    def bias(key, n, transposed):
        for cand in (key.replace("weight", "bias"), key.replace("kernel", "bias")):
            if cand != key and cand in sd and sd[cand].shape == (n,):
                return sd[cand]
        return np.zeros(n, np.float32)

    b1 = bias(k1, w1.shape[0], o1)
    b2 = bias(k2, w2.shape[0], o2)
    return (np.ascontiguousarray(w1, np.float32), b1.astype(np.float32),
            np.ascontiguousarray(w2, np.float32), b2.astype(np.float32))


def reorder_inputs(w1, channels, order="filter", swap_xy=False, sobel_div=8.0):
    """Layer-1 columns to ours: filter-major [identity | sobel-x | sobel-y], Sobel / 8."""
    H, I = w1.shape
    F = I // channels
    if F * channels != I or F != 3:
        raise ImportError_(f"layer 1 has {I} inputs for {channels} channels: "
                           "only identity + Sobel-x + Sobel-y (3 per channel) is supported")
    if order == "channel":
        w = w1.reshape(H, channels, F).transpose(0, 2, 1)
    elif order == "filter":
        w = w1.reshape(H, F, channels)
    else:
        raise ImportError_(f"input order '{order}' unknown (filter | channel)")
    w = w.copy()
    if swap_xy:
        w[:, [1, 2]] = w[:, [2, 1]]
    w[:, 1:] *= 8.0 / sobel_div
    return w.reshape(H, I).astype(np.float32)


def load_float_weights(path, order="filter", swap_xy=False, sobel_div=8.0):
    """Float weights in our layout (for train.py --init)."""
    w1, b1, w2, b2 = find_layers(_load(path))
    return reorder_inputs(w1, w2.shape[0], order, swap_xy, sobel_div), b1, w2, b2


def grow_mse(m, target, steps, seeds=(1, 2)):
    h, w = target.shape[:2]
    out = []
    for s in seeds:
        g = ni.Grid.new(m, w, h, seed=s)
        g.seed_centre()
        ni.run(m, g, steps)
        out.append(ni.mse_rgba(g, target))
    return float(np.mean(out))


def main(argv=None):
    ap = argparse.ArgumentParser(prog="import_torch.py", description=__doc__.split("\n\n")[0],
                                 epilog="\n\n".join(__doc__.split("\n\n")[1:]),
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("src", help="a torch.save'd state dict (or module)")
    ap.add_argument("-o", "--output", required=True, help="the .bin to write")
    ap.add_argument("--input-order", choices=["filter", "channel", "auto"], default="filter")
    ap.add_argument("--swap-xy", action="store_true")
    ap.add_argument("--sobel-div", type=float, default=8.0)
    ap.add_argument("--target", help="target PNG for --input-order auto")
    ap.add_argument("--grid", type=int, default=72, help="grid for auto (default 72)")
    ap.add_argument("--steps", type=int, default=100, help="steps for auto (default 100)")
    ap.add_argument("--name", default=None)
    ap.add_argument("--desc", default="")
    ap.add_argument("--state-frac", type=int, default=11)
    ap.add_argument("--hid-frac", type=int, default=7)
    ap.add_argument("--boundary", choices=["zero", "wrap"], default="zero")
    ap.add_argument("--fire-rate", type=float, default=0.5)
    ap.add_argument("--alive", type=float, default=0.1)
    a = ap.parse_args(argv)
    try:
        w1, b1, w2, b2 = find_layers(_load(a.src))
        C = w2.shape[0]
        name = a.name if a.name is not None else os.path.splitext(os.path.basename(a.src))[0]
        kw = dict(kernels=ni.K_DISTILL, state_frac=a.state_frac, hid_frac=a.hid_frac,
                  boundary=ni.BOUNDARY_WRAP if a.boundary == "wrap" else ni.BOUNDARY_ZERO,
                  fire_rate=a.fire_rate, alive_threshold=a.alive, name=name[:ni.NAME_LEN],
                  desc=a.desc[:ni.DESC_LEN])
        combos = ([(a.input_order, a.swap_xy)] if a.input_order != "auto" else
                  [(o, s) for o in ("filter", "channel") for s in (False, True)])
        if a.input_order == "auto" and not a.target:
            ap.error("--input-order auto needs --target")
        best = None
        for order, swap in combos:
            m = ni.quantize(reorder_inputs(w1, C, order, swap, a.sobel_div), b1, w2, b2, **kw)
            if len(combos) > 1:
                mse = grow_mse(m, ni.load_target(a.target, a.grid, a.grid), a.steps)
                print(f"import_torch: order {order}{' swap-xy' if swap else ''}: "
                      f"MSE {mse:.6f} after {a.steps} steps")
                if best is None or mse < best[0]:
                    best = (mse, m, order, swap)
            else:
                best = (None, m, order, swap)
        _, m, order, swap = best
        ni.save_model(a.output, m)
    except (ImportError_, ni.ModelError, OSError) as e:
        print(f"import_torch: {e}", file=sys.stderr)
        return 1
    print(f"import_torch: wrote {a.output} ({m.channels} channels, {m.hidden} hidden, "
          f"inputs {order}-major{', x/y swapped' if swap else ''})")
    return 0


if __name__ == "__main__":
    sys.exit(main())

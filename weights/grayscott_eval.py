#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Measures the Gray-Scott NCA against the PDE from starts it never saw in training.

For each seed of the "test" family (3 squares of per-cell noise: high frequencies that the
training starts do not have), build/nca-grayscott solves the PDE to the last step and writes
the start as an NCA state file; build/nca-host runs the model (the C model, bit-exact with
the RTL) from that state file. Reported per step: the MSE over A and B of the model
against the PDE, and the PDE's own scale: its variance (the MSE of a flat field at its mean)
and its MSE against the start (the error of predicting no change). With --rtl DIR, the RTL's
state files DIR/rtl-s{SEED}-{STEP}.ncas (Verilator nca_core, CHANNELS = 8) are compared
with the C model's word for word and drawn as the third column of the figure.

examples:
  weights/grayscott_eval.py                       # numbers, docs/img/grayscott.png
  weights/grayscott_eval.py --vboard sim/build/vboard-pde/nca-vboard   # with the RTL
  weights/grayscott_eval.py --rtl build/gs-rtl    # the RTL's state files from elsewhere
  weights/grayscott_eval.py --model runs/gs/best.bin --seeds 1-8 --no-figure
  weights/grayscott_eval.py --rounding-floor      # what each state format costs the PDE
"""
from __future__ import annotations

import argparse
import json
import math
import os
import subprocess
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)
import nca_int as ni  # noqa: E402


def parse_args(argv=None):
    ap = argparse.ArgumentParser(
        prog="grayscott_eval.py", description=__doc__.split("\n\n")[0],
        epilog="\n\n".join(__doc__.split("\n\n")[2:]),
        formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", default=os.path.join(HERE, "grayscott.bin"))
    ap.add_argument("--seeds", default="1-4", help="test-family seeds: 1-4 or 1,5,9")
    ap.add_argument("--steps", default="1024,2048", help="steps measured")
    ap.add_argument("--build", default=os.path.join(ROOT, "build"),
                    help="folder of nca-host and nca-grayscott")
    ap.add_argument("--work", default=None, help="state files, PDE runs (default BUILD/grayscott)")
    ap.add_argument("--rtl", default=None, metavar="DIR",
                    help="the RTL's state files rtl-s{SEED}-{STEP}.ncas")
    ap.add_argument("--vboard", default=None, metavar="PATH",
                    help="run the RTL: the Verilated board of 8 channels and 32 hidden units "
                         "(make -C sim vboard-pde: sim/build/vboard-pde/nca-vboard) through "
                         "nca-host --backend vboard, from the same state files, for the first "
                         "--rtl-seeds seeds; its state files go to WORK, and --rtl is WORK")
    ap.add_argument("--rtl-seeds", type=int, default=1, help="seeds run on --vboard")
    ap.add_argument("--figure", default=os.path.join(ROOT, "docs", "img", "grayscott.png"))
    ap.add_argument("--no-figure", action="store_true")
    ap.add_argument("--scale", type=int, default=3, help="pixels per cell in the figure")
    ap.add_argument("--json", default=None, help="write the numbers here too")
    ap.add_argument("--rounding-floor", action="store_true",
                    help="instead: the PDE (numpy, as nca-grayscott) with its state rounded to "
                         "2^-SF after every step, SF 11..14, against the unrounded run, from "
                         "the first seed's start: the error a state format alone costs")
    a = ap.parse_args(argv)
    if "-" in a.seeds:
        lo, hi = (int(v) for v in a.seeds.split("-"))
        a.seeds = list(range(lo, hi + 1))
    else:
        a.seeds = [int(v) for v in a.seeds.split(",")]
    a.steps = [int(v) for v in a.steps.split(",")]
    a.work = a.work or os.path.join(a.build, "grayscott")
    if a.vboard:
        a.rtl = a.work
    return a


def run(cmd):
    r = subprocess.run([str(c) for c in cmd], capture_output=True, text=True)
    if r.returncode:
        raise SystemExit(f"grayscott_eval.py: {' '.join(map(str, cmd))}: exit {r.returncode}: "
                         f"{r.stderr.strip()}")
    return r


def values(path):
    g = ni.load_state(path)
    return g.s[..., :2].astype(np.float64) * 2.0 ** -g.state_frac


def mse(x, y):
    return float(np.mean((np.asarray(x, np.float64) - np.asarray(y, np.float64)) ** 2))


def measure(a, m, seed):
    """The PDE (float32 frames), C-model and RTL values [H][W][2] at each step, and rows."""
    last = max(a.steps)
    every = math.gcd(*a.steps)
    w = h = 64
    npy = os.path.join(a.work, f"pde-s{seed}.npy")
    ic = os.path.join(a.work, f"ic-s{seed}.ncas")
    run([os.path.join(a.build, "nca-grayscott"), "--ic", "test", "--seed", seed, "--grid",
         f"{w}x{h}", "--steps", last, "--every", every, "--npy", npy,
         "--state", ic, "--model", a.model, "--quiet"])
    pde = np.load(npy).astype(np.float64)
    out = {"pde": {0: pde[0]}, "c": {}, "rtl": {}}
    rows = []
    prev, prev_c, prev_r = 0, ic, ic  # each run continues the last one's state file
    for n in sorted(a.steps):
        st = os.path.join(a.work, f"c-s{seed}-{n}.ncas")
        run([os.path.join(a.build, "nca-host"), "--model", a.model, "--load-state", prev_c,
             "--grid", f"{w}x{h}", "--steps", n - prev, "--view", "none", "--quiet",
             "--save-state", st])
        prev_c = st
        c = values(st)
        p = pde[n // every]
        out["pde"][n], out["c"][n] = p, c
        row = {"seed": seed, "step": n,
               "mse": mse(c, p), "mse_A": mse(c[..., 0], p[..., 0]),
               "mse_B": mse(c[..., 1], p[..., 1]),
               "pde_var": float(np.mean(np.var(p.reshape(-1, 2), axis=0))),
               "pde_vs_start": mse(p, pde[0]),
               "corr_B": float(np.corrcoef(c[..., 1].ravel(), p[..., 1].ravel())[0, 1]),
               "finite": bool(np.isfinite(c).all())}
        if a.vboard and seed in a.seeds[:a.rtl_seeds]:
            rs = os.path.join(a.work, f"rtl-s{seed}-{n}.ncas")
            run([os.path.join(a.build, "nca-host"), "--backend", "vboard", "--vboard", a.vboard,
                 "--model", a.model, "--load-state", prev_r, "--grid", f"{w}x{h}", "--steps",
                 n - prev, "--view", "none", "--quiet", "--save-state", rs])
            prev_r = rs
        if a.rtl:
            rp = os.path.join(a.rtl, f"rtl-s{seed}-{n}.ncas")
            if os.path.exists(rp):
                row["rtl_equals_c"] = ni.load_state(rp).s.tobytes() == ni.load_state(st).s.tobytes()
                out["rtl"][n] = values(rp)
                row["mse_rtl"] = mse(out["rtl"][n], p)
        rows.append(row)
        prev = n
    return out, rows


# ---- the figure -----------------------------------------------------------------------------
_CMAP = np.array([[0, 0, 4], [60, 15, 110], [180, 55, 80], [250, 150, 30], [252, 255, 164]],
                 np.float64)  # B from 0 to 0.5: black, purple, red, orange, pale yellow


def colour(b):
    t = np.clip(np.asarray(b) / 0.5, 0.0, 1.0) * (len(_CMAP) - 1)
    i = np.minimum(t.astype(int), len(_CMAP) - 2)
    f = (t - i)[..., None]
    return (_CMAP[i] * (1 - f) + _CMAP[i + 1] * f).astype(np.uint8)


def figure(a, out, rows, path):
    from PIL import Image, ImageDraw
    s = a.scale
    tile = 64 * s
    pad, top, left = 6, 22, 70
    cols = [("PDE", "pde"), ("C model", "c"), ("RTL", "rtl")]
    W = left + len(cols) * (tile + pad)
    H = top + len(a.steps) * (tile + pad + 14)
    img = Image.new("RGB", (W, H), "white")
    d = ImageDraw.Draw(img)
    for j, (title, _) in enumerate(cols):
        d.text((left + j * (tile + pad) + tile // 2 - 20, 5), title, fill="black")
    for i, n in enumerate(a.steps):
        y = top + i * (tile + pad + 14)
        d.text((5, y + tile // 2 - 6), f"step {n}", fill="black")
        for j, (_, key) in enumerate(cols):
            x = left + j * (tile + pad)
            v = out[key].get(n)
            if v is None:
                d.rectangle([x, y, x + tile - 1, y + tile - 1], outline=(160, 160, 160))
                d.text((x + 10, y + tile // 2 - 6), "not run", fill=(120, 120, 120))
                continue
            im = Image.fromarray(colour(v[..., 1])).resize((tile, tile), Image.NEAREST)
            img.paste(im, (x, y))
            r = next(r for r in rows if r["step"] == n)
            if key == "c":
                d.text((x, y + tile + 1), f"MSE {r['mse']:.2e}", fill="black")
            elif key == "rtl" and "rtl_equals_c" in r:
                d.text((x, y + tile + 1), "== C model" if r["rtl_equals_c"] else "DIFFERS",
                       fill="black")
            elif key == "pde":
                d.text((x, y + tile + 1), f"var {r['pde_var']:.2e}", fill="black")
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    img.save(path)


def pde_steps(a_, b_, n, sf=None):
    """n Euler steps of the PDE (nca_grayscott.c's arithmetic) in numpy, rounding the state
    to 2^-sf after each if sf is given."""
    def lap(u):
        def r(dy, dx):
            return np.roll(np.roll(u, dy, 0), dx, 1)
        return (r(1, 1) + r(1, -1) + r(-1, 1) + r(-1, -1)
                + 2 * (r(0, 1) + r(0, -1) + r(1, 0) + r(-1, 0)) - 12 * u) / 4
    for _ in range(n):
        ab2 = a_ * b_ * b_
        a_, b_ = (a_ + 0.1 * lap(a_) - ab2 + 0.06230 * (1 - a_),
                  b_ + 0.05 * lap(b_) + ab2 - (0.06268 + 0.06230) * b_)
        if sf is not None:
            a_, b_ = (np.floor(a_ * 2.0 ** sf + 0.5) * 2.0 ** -sf,
                      np.floor(b_ * 2.0 ** sf + 0.5) * 2.0 ** -sf)
    return np.stack([a_, b_], -1)


def rounding_floor(a):
    npy = os.path.join(a.work, f"start-s{a.seeds[0]}.npy")
    run([os.path.join(a.build, "nca-grayscott"), "--ic", "test", "--seed", a.seeds[0],
         "--steps", 0, "--npy", npy, "--quiet"])
    y0 = np.load(npy)[0].astype(np.float64)
    n = max(a.steps)
    ref = pde_steps(y0[..., 0], y0[..., 1], n)
    print(f"grayscott_eval.py: the PDE from test seed {a.seeds[0]}, {n} steps, its variance "
          f"{np.mean(np.var(ref.reshape(-1, 2), axis=0)):.3g}; state rounded to 2^-SF each step:")
    for sf in (11, 12, 13, 14):
        q = np.floor(y0 * 2.0 ** sf + 0.5) * 2.0 ** -sf
        print(f"  SF {sf}: MSE over A and B {mse(pde_steps(q[..., 0], q[..., 1], n, sf), ref):.3g}")
    return 0


def main(argv=None):
    a = parse_args(argv)
    os.makedirs(a.work, exist_ok=True)
    if a.rounding_floor:
        return rounding_floor(a)
    m = ni.load_model(a.model)
    allrows, first = [], None
    for seed in a.seeds:
        out, rows = measure(a, m, seed)
        first = first or (out, rows)
        allrows += rows
    print(f"grayscott_eval.py: {a.model} (SF {m.state_frac}, HF {m.hid_frac}), test-family "
          f"seeds {a.seeds[0]}..{a.seeds[-1]}: MSE over A and B against the PDE")
    print(f"{'seed':>4} {'step':>5} {'MSE':>9} {'MSE A':>9} {'MSE B':>9} {'corr B':>6} "
          f"{'PDE var':>9} {'PDE-start':>9}" + ("  RTL" if a.rtl else ""))
    for r in allrows:
        rtl = ""
        if a.rtl:
            rtl = "  " + ({True: "== C", False: "DIFFERS"}.get(r.get("rtl_equals_c"), "not run"))
        print(f"{r['seed']:4d} {r['step']:5d} {r['mse']:9.2e} {r['mse_A']:9.2e} "
              f"{r['mse_B']:9.2e} {r['corr_B']:6.3f} {r['pde_var']:9.2e} "
              f"{r['pde_vs_start']:9.2e}{rtl}")
    summary = {}
    for n in a.steps:
        rs = [r for r in allrows if r["step"] == n]
        summary[n] = {k: float(np.mean([r[k] for r in rs]))
                      for k in ("mse", "mse_A", "mse_B", "corr_B", "pde_var", "pde_vs_start")}
        s = summary[n]
        print(f"mean {n:5d} {s['mse']:9.2e} {s['mse_A']:9.2e} {s['mse_B']:9.2e} "
              f"{s['corr_B']:6.3f} {s['pde_var']:9.2e} {s['pde_vs_start']:9.2e}   "
              f"(MSE / PDE var {s['mse'] / s['pde_var']:.3f})")
    if not a.no_figure:
        figure(a, first[0], first[1], a.figure)
        print(f"grayscott_eval.py: figure (seed {a.seeds[0]}, B) in {a.figure}")
    if a.json:
        with open(a.json, "w") as f:
            json.dump({"model": os.path.relpath(a.model, ROOT), "rows": allrows,
                       "mean": {str(k): v for k, v in summary.items()}}, f, indent=1)
    return 0 if all(r["finite"] for r in allrows) else 1


if __name__ == "__main__":
    sys.exit(main())

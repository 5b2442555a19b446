#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""bench_plot.py [--out docs/img/speed.png] [--torch STEPS_PER_S] - steps/s against active
cells for each board and the C model (`make bench`).

Each board's points are its configuration's clocks per step (sim/build/bench_cycles, the
cycle model that `make sim` proves equal to the RTL) at the clock it is built for
(tools/bitstream.sh --config), over the first 200 steps of the regenerating lizard's growth,
plus one dense step (every cell mature). The C model's points are its own time for the same
steps (one thread). Horizontal lines: the PyTorch float32 step on this CPU (--torch, measured
by tools/bench_torch.py in the same `make bench`) and, for scale, issue 13's figure for
PyTorch on a datacenter GPU (about 2,600 steps/s on one 64x64 grid, eager; not measured here).
"""
import argparse
import os
import subprocess
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
BC = os.path.join(ROOT, "sim", "build", "bench_cycles")
MODEL = os.path.join(ROOT, "weights", "regen.bin")
BOARDS = [("iCEBreaker (UP5K)", "icebreaker"), ("ULX3S-25F", "ulx3s-25f"),
          ("ULX3S-85F", "ulx3s-85f")]
GPU_STEPS_S = 2600.0


def config(board):
    out = subprocess.run([os.path.join(ROOT, "tools", "bitstream.sh"), board, "--config"],
                         check=True, capture_output=True, text=True).stdout.split()
    lanes, grid, mhz, core = out[:4]
    return lanes, grid, float(mhz), core


def curve(core, lanes, grid):
    """[(active, clocks, c_seconds)] over the growth, plus the dense step."""
    pts = []
    out = subprocess.run([BC, MODEL, core, lanes, grid, "curve"], check=True,
                         capture_output=True, text=True).stdout
    for line in out.splitlines():
        _, act, clk, sec = line.split()
        pts.append((int(act), int(clk), float(sec)))
    out = subprocess.run([BC, MODEL, core, lanes, grid], check=True, capture_output=True,
                         text=True).stdout
    for line in out.splitlines():
        f = dict(kv.split("=") for kv in line.split()[1:])
        if line.startswith("dense"):
            pts.append((int(f["active"]), int(f["clocks"]), float(f["c_seconds"])))
    return [p for p in pts if p[0] > 0]


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default=os.path.join(ROOT, "docs", "img", "speed.png"))
    ap.add_argument("--torch", type=float, default=0.0,
                    help="PyTorch float32 CPU steps/s measured in the same run")
    a = ap.parse_args()
    if not os.access(BC, os.X_OK):
        sys.exit("bench_plot.py: %s missing (make -C sim bench-cycles)" % BC)
    fig, ax = plt.subplots(figsize=(8, 5), dpi=110)
    c_pts = None
    for label, board in BOARDS:
        lanes, grid, mhz, core = config(board)
        pts = sorted(curve(core, lanes, grid))
        name = "%s, %s, %s MHz" % (label, "compact core" if core == "1" else lanes + " lanes", mhz)
        ax.plot([p[0] for p in pts], [mhz * 1e6 / p[1] for p in pts], ".-", ms=3, lw=1,
                label="%s (%s)" % (name, grid))
        if grid == "64x64" and c_pts is None:
            c_pts = pts
    ax.plot([p[0] for p in c_pts], [1.0 / p[2] for p in c_pts], ".", ms=3, color="k",
            label="C model, one thread (64x64)")
    if a.torch:
        ax.axhline(a.torch, color="tab:red", ls="--", lw=1,
                   label="PyTorch float32, this CPU (%.0f steps/s)" % a.torch)
    ax.axhline(GPU_STEPS_S, color="tab:purple", ls=":", lw=1,
               label="PyTorch, datacenter GPU (issue 13's figure, not measured)")
    ax.set_yscale("log")
    ax.set_xlabel("active cells (cells that run the MLP in the step)")
    ax.set_ylabel("steps/s")
    ax.set_title("NCA step speed, weights/regen.bin growing from one seed")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=7, loc="upper right")
    fig.tight_layout()
    fig.savefig(a.out)
    print("bench_plot.py: wrote %s" % a.out)


if __name__ == "__main__":
    main()

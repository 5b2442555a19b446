#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Quantisation-aware trainer for Growing Neural Cellular Automata (Distill 2020 recipe).

The forward pass is the fixed-point spec (docs/fixed-point.md) with straight-through
gradients (nca_qat.py), so the exported .bin does on the C model / FPGA exactly what was
trained. Recipe of the paper's notebook: 64..95 steps per iteration, a pool of 1024 states,
batch 8, the highest-loss sample reseeded, for regen the 3 lowest-loss samples damaged by
random discs, Adam lr 2e-3 -> 2e-4 at iteration 2000, per-tensor gradient normalisation,
8000 iterations, last layer zero-initialised. See docs/training.md.

examples:
  weights/train.py --experiment regen --target weights/targets/lizard.png --out runs/regen-s1 --device cuda
  weights/train.py --resume --out runs/regen-s1 --device cuda       # carry on after a stop
  weights/train.py ... --time-limit 540    # stop cleanly (exit 75) before a 10-minute cap
  weights/train.py --experiment grow --iters 5 --grid 32 --out /tmp/t   # a CPU smoke run
"""
from __future__ import annotations

import argparse
import json
import math
import os
import shutil
import sys
import time


def openblas_coretype(cpuinfo):
    """The OpenBLAS kernel set for the CPU whose /proc/cpuinfo text is cpuinfo: SkylakeX with
    AVX-512 (F, BW, DQ, VL), Haswell with AVX2 and FMA, else None (leave it to OpenBLAS).
    Debian's OpenBLAS 0.3.21 does not know some newer CPUs and falls back to its Prescott
    (SSE3) kernels: training iterations 1.3-1.5x slower on a Xeon with AVX-512 under a VM
    (docs/training.md, "Profile"). Where it does know the CPU, these are the kernel families
    its own choice belongs to, and the products are exact in float32 either way (quantised
    weights times states on a 2^-SF grid), so no number changes."""
    flags = next((ln.split(":", 1)[1].split() for ln in cpuinfo.splitlines()
                  if ln.startswith("flags")), [])
    if {"avx512f", "avx512bw", "avx512dq", "avx512vl"} <= set(flags):
        return "SkylakeX"
    if {"avx2", "fma"} <= set(flags):
        return "Haswell"
    return None


def _set_blas_env():
    """Before torch loads: OpenMP threads that spin while waiting make a shared CPU crawl,
    and OpenBLAS may not know the CPU (openblas_coretype). A value set by the user stays."""
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    try:
        with open("/proc/cpuinfo") as f:
            core = openblas_coretype(f.read())
    except OSError:
        core = None
    if core:
        os.environ.setdefault("OPENBLAS_CORETYPE", core)


_set_blas_env()

import numpy as np  # noqa: E402
import torch  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import nca_int as ni  # noqa: E402
import nca_qat as nq  # noqa: E402

EXPERIMENTS = {  # name: (use the sample pool, samples damaged per batch)
    "grow": (False, 0),
    "persist": (True, 0),
    "regen": (True, 3),
}
EXIT_STOPPED = 75  # --time-limit reached: checkpoint written, not finished
CKPT = "ckpt.pt"
POOL = "pool.npz"


class HelpFormatter(argparse.RawDescriptionHelpFormatter, argparse.ArgumentDefaultsHelpFormatter):
    pass


def parse_args(argv=None, defaults=None):
    ap = argparse.ArgumentParser(
        prog="train.py", description=__doc__.split("\n\n")[0],
        epilog="\n\n".join(__doc__.split("\n\n")[2:]),
        formatter_class=HelpFormatter)
    g = ap.add_argument_group("experiment")
    g.add_argument("--experiment", choices=sorted(EXPERIMENTS), default="regen",
                   help="grow (no pool), persist (pool), regen (pool + damage)")
    g.add_argument("--target", default=None,
                   help="target PNG, straight alpha, at most the grid (None: weights/targets/lizard.png)")
    g.add_argument("--target-size", type=int, default=0,
                   help="thumbnail the target to this many pixels first (0: as it is)")
    g.add_argument("--grid", default="64", help="grid size N or WxH (64: the hardware's)")
    g.add_argument("--iters", type=int, default=8000, help="training iterations")
    g.add_argument("--seed", type=int, default=1, help="rng seed of the whole run")
    g.add_argument("--name", default=None, help="model name stored in the .bin")
    g.add_argument("--init", default=None, metavar="MODEL",
                   help="start from this model's weights (.bin, or a torch state dict via "
                        "import_torch.py's rules) instead of the Distill initialisation")
    r = ap.add_argument_group("recipe (defaults: the Distill notebook)")
    r.add_argument("--batch", type=int, default=8, help="samples per iteration")
    r.add_argument("--pool", type=int, default=1024, help="sample pool size")
    r.add_argument("--steps-min", type=int, default=64, help="fewest CA steps per iteration")
    r.add_argument("--steps-max", type=int, default=95, help="most CA steps (inclusive)")
    r.add_argument("--damage-n", type=int, default=None,
                   help="samples damaged per batch (None: 3 for regen, else 0)")
    r.add_argument("--damage", choices=["disc", "mixed", "tests"], default="disc",
                   help="disc: the notebook's random discs; mixed: each damaged sample gets a "
                        "disc, one half of the grid (left/right/top/bottom) or a square of a "
                        "third of the target at a random centre, with equal chance; tests: "
                        "mixed plus, as a fourth equal choice, the evaluation's centred square")
    r.add_argument("--damage-weights", type=damage_weights, default=None, metavar="K=W,..",
                   help="draw each damage from these relative weights instead of --damage's "
                        "preset; K: " + ", ".join(DAMAGE_KINDS) + " (square: a random "
                        "place as in mixed; centre: the centred square). --damage tests is "
                        "disc=4,square=4,centre=4,left=1,right=1,top=1,bottom=1; weigh up "
                        "the damage a model fails")
    r.add_argument("--reseed", choices=["worst", "random"], default="worst",
                   help="which sample of each batch restarts from the seed: worst, the "
                        "highest-loss one (the notebook); random, any one of those not "
                        "damaged, so a sample that regrew wrong stays in the pool and is "
                        "trained back to the target rather than thrown away")
    r.add_argument("--lr", type=float, default=2e-3, help="Adam learning rate")
    r.add_argument("--lr-drop-at", type=int, default=2000, help="lr x 0.1 from this iteration")
    r.add_argument("--channels", type=int, default=16, help="state channels (RGBA + hidden)")
    r.add_argument("--hidden", type=int, default=128, help="hidden units")
    r.add_argument("--no-quant", action="store_true",
                   help="train the float model instead (TF semantics; for comparison only)")
    r.add_argument("--twin", type=float, default=0.0, metavar="W",
                   help="add W x the loss of the float twin (nca-host --backend float: the same "
                        "weights unquantised, dense update) run from the same start with the same "
                        "fire masks, so the model also grows in float (0: off)")
    r.add_argument("--ema", type=float, default=0.0, metavar="D",
                   help="export the exponential moving average of the weights (decay D an "
                        "iteration, about the last 1/(1-D) iterations) instead of the last "
                        "weights, which go beside each checkpoint as iterNNNNN-last.bin; it "
                        "damps the swing of checkpoints at a high --lr (0: off)")
    q = ap.add_argument_group("formats stored in the model (docs/fixed-point.md)")
    q.add_argument("--state-frac", type=int, default=11, help="SF: state int16 fraction bits")
    q.add_argument("--hid-frac", type=int, default=7, help="HF: hidden uint8 fraction bits")
    q.add_argument("--boundary", choices=["zero", "wrap"], default="zero",
                   help="zero: the notebook's padding; wrap: a torus")
    q.add_argument("--fire-rate", type=float, default=0.5, help="update probability")
    q.add_argument("--alive", type=float, default=0.1, help="alpha threshold of maturity")
    o = ap.add_argument_group("run")
    o.add_argument("--out", required=True, help="output folder: model.bin, checkpoints/, ckpt.pt, pool.npz, loss.png, "
                        "train.log, run.json")
    o.add_argument("--resume", nargs="?", const="", default=None, metavar="CKPT",
                   help="continue from CKPT (OUT/ckpt.pt if not given); settings come from it")
    o.add_argument("--device", default="cpu", help="cpu | cuda | cuda:N")
    o.add_argument("--dtype", choices=["float32", "float64"], default="float32",
                   help="float64 makes the forward pass bit-exact with the spec everywhere")
    o.add_argument("--threads", type=int, default=0, help="CPU threads (0: all cores)")
    o.add_argument("--ckpt-every", type=int, default=500,
                   help="checkpoint + .bin export every N iterations (0: only at the end)")
    o.add_argument("--time-limit", type=float, default=0, metavar="S",
                   help="stop after S seconds with a checkpoint, exit 75 (resume later)")
    o.add_argument("--log-every", type=int, default=10, help="progress line every N iterations")
    o.add_argument("--sparse", choices=["auto", "on", "off"], default="auto",
                   help="MLP on the updating cells only (same result; auto: on for CPU)")
    o.add_argument("--compile", action="store_true",
                   help="torch.compile the step (torch >= 2; experimental, untested)")
    o.add_argument("--quiet", action="store_true", help="no progress output")
    if defaults:  # resuming: the checkpoint's settings, unless given again
        ap.set_defaults(**defaults)
    a = ap.parse_args(argv)
    if "x" in a.grid:
        a.width, a.height = (int(v) for v in a.grid.split("x"))
    else:
        a.width = a.height = int(a.grid)
    if a.damage_n is None:
        a.damage_n = EXPERIMENTS[a.experiment][1]
    if a.target is None:
        a.target = os.path.join(os.path.dirname(os.path.abspath(__file__)), "targets",
                                "lizard.png")
    if not 0.0 <= a.ema < 1.0:
        ap.error("--ema must lie in 0..1 (0: off)")
    if not 1 <= a.steps_min <= a.steps_max:
        ap.error("need 1 <= --steps-min <= --steps-max")
    if a.batch < 1 + a.damage_n and EXPERIMENTS[a.experiment][0]:
        ap.error("batch too small for the reseeded sample and the damaged ones")
    return a


# ---- data ---------------------------------------------------------------------------------
def load_target(path, width, height, size=0):
    """Premultiplied RGBA float [H][W][4], centred on the grid (the notebook's padding)."""
    if size:
        from PIL import Image
        import tempfile
        img = Image.open(path).convert("RGBA")
        img.thumbnail((size, size), Image.LANCZOS)
        with tempfile.NamedTemporaryFile(suffix=".png", delete=False) as f:
            img.save(f.name)
        try:
            return ni.load_target(f.name, width, height)
        finally:
            os.unlink(f.name)
    return ni.load_target(path, width, height)


def circle_masks(rng, n, height, width):
    """The notebook's make_circle_masks: discs of radius 0.1..0.4 at centres in
    [-0.5, 0.5]^2, coordinates [-1, 1] across the grid. bool [n][H][W]."""
    xs = np.linspace(-1.0, 1.0, width)[None, None, :]
    ys = np.linspace(-1.0, 1.0, height)[None, :, None]
    centre = rng.uniform(-0.5, 0.5, (2, n, 1, 1))
    r = rng.uniform(0.1, 0.4, (n, 1, 1))
    x, y = (xs - centre[0]) / r, (ys - centre[1]) / r
    return x * x + y * y < 1.0


DAMAGE_KINDS = ("disc", "left", "right", "top", "bottom", "square", "centre")


def damage_weights(text):
    """--damage-weights "K=W,...": {kind: weight} over DAMAGE_KINDS (absent kinds 0)."""
    w = {}
    for item in text.split(","):
        k, _, v = item.partition("=")
        k = k.strip()
        if k not in DAMAGE_KINDS or k in w:
            raise argparse.ArgumentTypeError(
                f"{k!r}: not one of {', '.join(DAMAGE_KINDS)}" if k not in DAMAGE_KINDS else
                f"{k!r} given twice")
        try:
            w[k] = float(v)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{item!r}: not K=W with a number W") from None
        if not 0 <= w[k] < float("inf"):
            raise argparse.ArgumentTypeError(f"{item!r}: weights are finite and >= 0")
    if not sum(w.values()) > 0:
        raise argparse.ArgumentTypeError("no damage has a weight above 0")
    return w


def damage_masks(rng, n, height, width, kind="disc", pattern=None, weights=None):
    """bool [n][H][W] of the cells to erase. disc: circle_masks. mixed: per sample, with
    equal chance, a disc, one half of the grid (the split of nca_damage_hits: x < W/2, ...)
    or a square of side pattern/3 (pattern: the target's larger side, default the grid's
    smaller one) centred uniformly in the middle half of the grid. tests: as mixed, with a
    fourth equal choice, that square centred on the grid (evaluate.py's fifth damage).
    weights ({DAMAGE_KINDS name: weight}, damage_weights): each sample's damage drawn with
    those weights instead of kind's."""
    m = circle_masks(rng, n, height, width)
    if kind == "disc" and not weights:
        return m
    side = max(1, (pattern or min(height, width)) // 3)
    xs, ys = np.arange(width)[None, :], np.arange(height)[:, None]
    halves = [xs < width // 2, xs >= width // 2, ys < height // 2, ys >= height // 2]

    def square(centred):
        if centred:
            cx, cy = width // 2, height // 2
        else:
            cx = int(rng.integers(width // 4, width - width // 4 + 1))
            cy = int(rng.integers(height // 4, height - height // 4 + 1))
        x0, y0 = cx - side // 2, cy - side // 2
        return (xs >= x0) & (xs < x0 + side) & (ys >= y0) & (ys < y0 + side)

    if weights:
        p = np.array([weights.get(k, 0.0) for k in DAMAGE_KINDS])
        p /= p.sum()
        for i in range(n):
            k = DAMAGE_KINDS[int(rng.choice(len(DAMAGE_KINDS), p=p))]
            if k in ("square", "centre"):
                m[i] = square(k == "centre")
            elif k != "disc":
                m[i] = np.broadcast_to(halves[DAMAGE_KINDS.index(k) - 1], (height, width))
        return m
    for i in range(n):
        k = int(rng.integers(0, 4 if kind == "tests" else 3))
        if k == 1:
            m[i] = np.broadcast_to(halves[int(rng.integers(0, 4))], (height, width))
        elif k >= 2:
            m[i] = square(k == 3)
    return m


def per_sample_loss(x, target):
    """Mean squared RGBA error per sample (the notebook's loss_f)."""
    return ((x[..., :4] - target) ** 2).mean(dim=(1, 2, 3))


# ---- plotting -----------------------------------------------------------------------------
def plot_loss(losses, path, title=""):
    """log10 loss per iteration as a PNG (PIL only)."""
    from PIL import Image, ImageDraw
    Wd, Ht, L, R, T, B = 800, 400, 60, 20, 30, 40
    img = Image.new("RGB", (Wd, Ht), "white")
    d = ImageDraw.Draw(img)
    v = np.log10(np.maximum(np.asarray(losses, np.float64), 1e-12))
    if len(v) == 0:
        img.save(path)
        return
    lo, hi = math.floor(v.min()), math.ceil(v.max())
    if hi == lo:
        hi = lo + 1
    n = max(len(v) - 1, 1)

    def px(i, y):
        return L + (Wd - L - R) * i / n, T + (Ht - T - B) * (hi - y) / (hi - lo)

    for e in range(lo, hi + 1):
        _, yy = px(0, e)
        d.line([(L, yy), (Wd - R, yy)], fill=(220, 220, 220))
        d.text((5, yy - 6), f"1e{e}", fill="black")
    for k in range(0, 6):
        i = round(n * k / 5)
        xx, _ = px(i, lo)
        d.text((xx - 10, Ht - B + 8), str(i), fill="black")
    pts = [px(i, y) for i, y in enumerate(v)]
    d.point(pts, fill=(150, 170, 230))
    if len(v) >= 20:  # running mean over 1% of the run
        k = max(len(v) // 100, 5)
        sm = np.convolve(v, np.ones(k) / k, mode="valid")
        d.line([px(i + k - 1, y) for i, y in enumerate(sm)], fill=(20, 40, 160), width=2)
    d.rectangle([L, T, Wd - R, Ht - B], outline="black")
    d.text((L, 8), title or "log10 loss", fill="black")
    d.text((Wd // 2 - 20, Ht - 16), "iteration", fill="black")
    img.save(path)


def fmt_time(s):
    s = int(s)
    return f"{s // 3600}h{s // 60 % 60:02d}m" if s >= 3600 else f"{s // 60}m{s % 60:02d}s"


# ---- the trainer --------------------------------------------------------------------------
class Trainer:
    def __init__(self, a):
        self.a = a
        self.dev = torch.device(a.device)
        self.dtype = torch.float64 if a.dtype == "float64" else torch.float32
        if self.dev.type == "cuda":  # exact float32 products: no TF32
            torch.backends.cuda.matmul.allow_tf32 = False
            torch.backends.cudnn.allow_tf32 = False
        self.rng = np.random.default_rng(a.seed)
        self.use_pool, _ = EXPERIMENTS[a.experiment]
        self.model = nq.QNCA(a.channels, a.hidden, ni.K_DISTILL, a.state_frac, a.hid_frac,
                             a.fire_rate, a.alive, ni.BOUNDARY_WRAP if a.boundary == "wrap"
                             else ni.BOUNDARY_ZERO, quant=not a.no_quant,
                             rng=self.rng).to(self.dev)
        if self.dtype == torch.float64:
            self.model.double()
        if a.init:
            self.init_from(a.init)
        self.opt = torch.optim.Adam(self.model.parameters(), lr=a.lr, eps=1e-7)  # Keras eps
        # --ema: the average starts at the first weights (--init's, or the Distill ones)
        self.ema = [p.detach().clone() for p in self.model.parameters()] if a.ema else None
        tgt = load_target(a.target, a.width, a.height, a.target_size)
        self.target = torch.as_tensor(tgt, dtype=self.dtype, device=self.dev)
        self.pattern = ni.pattern_side(tgt)
        self.seed = self.model.seed_state(1, a.height, a.width, self.dtype, self.dev)
        self.pool = None
        if self.use_pool:  # int16 words: half the memory, and the states are on the grid
            self.pool = torch.zeros(a.pool, a.height, a.width, a.channels,
                                    dtype=self.dtype if a.no_quant else torch.int16,
                                    device=self.dev)
            self.reseed_pool()
        self.it = 0
        self.losses = []
        self.loss_float = None  # the float twin's loss of the last iteration (--twin)
        self.log_rows = []
        self.elapsed = 0.0
        self.step_fn = self.model
        self.sparse = a.sparse == "on" or (a.sparse == "auto" and self.dev.type == "cpu")
        if a.compile:  # the gathered (data-dependent) shapes do not compile well
            self.sparse = False
        if a.compile:
            self.step_fn = torch.compile(self.model)

    def init_from(self, path):
        if path.endswith(".bin"):
            w = ni.dequantize(ni.load_model(path))
        else:
            import import_torch
            w = import_torch.load_float_weights(path)
        with torch.no_grad():
            for p, v in zip((self.model.w1, self.model.b1, self.model.w2, self.model.b2), w):
                if tuple(p.shape) != np.shape(v):
                    raise SystemExit(f"train.py: --init {path}: shape {np.shape(v)}, "
                                     f"the model has {tuple(p.shape)}")
                p.copy_(torch.as_tensor(np.asarray(v), dtype=p.dtype))

    # state <-> pool words (exact: states lie on the 2^-SF grid); the float model: as is
    def _words(self, x):
        if self.a.no_quant:
            return x
        return torch.round(x * 2.0 ** self.a.state_frac).clamp(-32768, 32767).to(torch.int16)

    def _real(self, w):
        if self.a.no_quant:
            return w.clone()
        return w.to(self.dtype) * 2.0 ** -self.a.state_frac

    def reseed_pool(self):
        self.pool[:] = self._words(self.seed)[0]

    def lr_at(self, it):
        return self.a.lr if it < self.a.lr_drop_at else self.a.lr * 0.1

    def batch(self):
        a = self.a
        if not self.use_pool:
            return None, self.seed.repeat(a.batch, 1, 1, 1)
        idx = torch.as_tensor(self.rng.choice(a.pool, a.batch, replace=False), device=self.dev)
        x0 = self._real(self.pool[idx])
        with torch.no_grad():
            order = torch.argsort(per_sample_loss(x0, self.target), descending=True)
        idx, x0 = idx[order], x0[order]
        # the highest-loss sample restarts from the seed, or with --reseed random any one
        # of those not damaged
        r = 0 if a.reseed == "worst" else int(self.rng.integers(a.batch - a.damage_n))
        x0[r] = self.seed[0]
        if a.damage_n:  # the lowest-loss ones are damaged
            m = damage_masks(self.rng, a.damage_n, a.height, a.width, a.damage,
                             self.pattern, a.damage_weights)
            keep = torch.as_tensor(~m, dtype=self.dtype, device=self.dev).unsqueeze(-1)
            x0[-a.damage_n:] *= keep
        return idx, x0

    def train_step(self):
        a = self.a
        idx, x = self.batch()
        n = int(self.rng.integers(a.steps_min, a.steps_max + 1))
        seeds = self.rng.integers(0, 2 ** 32, a.batch, dtype=np.uint64).astype(np.int64)
        fire = nq.FireMasks(self.model.fire_q, seeds, n, a.width, a.height, self.dev)
        for g in self.opt.param_groups:
            g["lr"] = self.lr_at(self.it)
        x_start = x
        qw = self.model.qweights(self.dtype)
        for t in range(n):
            x = self.step_fn(x, fire[t], qw, self.sparse)
        loss = per_sample_loss(x, self.target).mean()
        loss_q = float(loss)
        if a.twin and not a.no_quant:  # the float twin: same parameters, no rounding, dense
            self.model.quant = False
            try:
                fw = self.model.qweights(self.dtype)
                xf = x_start
                for t in range(n):
                    xf = self.step_fn(xf, fire[t], fw, self.sparse)
            finally:
                self.model.quant = True
            loss_f = per_sample_loss(xf, self.target).mean()
            self.loss_float = float(loss_f)
            loss = loss + a.twin * loss_f
        self.opt.zero_grad(set_to_none=True)
        loss.backward()
        with torch.no_grad():
            for p in self.model.parameters():  # per-tensor gradient normalisation
                if p.grad is not None:
                    p.grad /= p.grad.norm() + 1e-8
        self.opt.step()
        if self.ema is not None:
            with torch.no_grad():
                for e, p in zip(self.ema, self.model.parameters()):
                    e.mul_(a.ema).add_(p, alpha=1.0 - a.ema)
        if self.use_pool:
            self.pool[idx] = self._words(x.detach())
        return loss_q, n

    # ---- export, checkpoints ----------------------------------------------------------------
    def export(self, path, last=False):
        """The model of the run (the average with --ema) to path; last: the last weights."""
        a = self.a
        name = a.name or f"{a.experiment}-{os.path.splitext(os.path.basename(a.target))[0]}"
        avg = self.ema is not None and not last
        desc = (f"QAT {a.experiment} {os.path.basename(a.target)} {a.width}x{a.height} "
                f"seed {a.seed} iter {self.it}" + (f" ema {a.ema:g}" if avg else ""))
        m = self.model.to_model(name, desc, self.ema if avg else None)
        ni.save_model(path, m)
        return m

    def save_checkpoint(self):
        a = self.a
        ck = {
            "args": vars(a), "it": self.it, "losses": self.losses, "log": self.log_rows,
            "elapsed": self.elapsed,
            "model": {k: v.detach().cpu() for k, v in self.model.state_dict().items()},
            "opt": self.opt.state_dict(),
            "ema": [e.detach().cpu() for e in self.ema] if self.ema is not None else None,
            "rng": self.rng.bit_generator.state,
        }
        tmp = os.path.join(a.out, CKPT + ".tmp")
        torch.save(ck, tmp)
        os.replace(tmp, os.path.join(a.out, CKPT))
        if self.pool is not None:  # beside it, compressed (mostly empty cells): 10-40 MB
            tmp = os.path.join(a.out, POOL + ".tmp.npz")
            np.savez_compressed(tmp, pool=self.pool.cpu().numpy(), it=self.it)
            os.replace(tmp, os.path.join(a.out, POOL))

    def load_checkpoint(self, path):
        ck = load_ckpt_file(path)
        for k in ("experiment", "width", "height", "channels", "hidden", "state_frac",
                  "hid_frac", "no_quant", "pool", "batch", "boundary"):
            if ck["args"].get(k) != getattr(self.a, k):
                raise SystemExit(f"train.py: --{k.replace('_', '-')} is "
                                 f"{getattr(self.a, k)!r}, the checkpoint has "
                                 f"{ck['args'].get(k)!r}")
        self.model.load_state_dict(ck["model"])
        self.opt.load_state_dict(ck["opt"])
        if self.ema is not None:  # a checkpoint without one: the average starts here
            src = ck.get("ema") or [p.detach() for p in self.model.parameters()]
            self.ema = [torch.as_tensor(e).to(self.dev, self.dtype).clone() for e in src]
        self.rng.bit_generator.state = ck["rng"]
        self.it, self.losses, self.log_rows = ck["it"], ck["losses"], ck["log"]
        if self.pool is not None:
            pp = os.path.join(os.path.dirname(path) or ".", POOL)
            z = np.load(pp) if os.path.exists(pp) else None
            if z is not None and int(z["it"]) == self.it and z["pool"].shape == \
                    tuple(self.pool.shape):
                self.pool.copy_(torch.as_tensor(z["pool"]).to(self.dev))
            else:
                print(f"train.py: no {POOL} of iteration {self.it} beside the checkpoint: "
                      "the pool restarts from seeds", file=sys.stderr)
        self.elapsed = ck.get("elapsed", 0.0)

    def checkpoint(self, final=False):
        a = self.a
        self.save_checkpoint()
        # every export under its iteration, model.bin a copy of the latest (a resumed run
        # overwrites model.bin)
        os.makedirs(os.path.join(a.out, "checkpoints"), exist_ok=True)
        it_bin = os.path.join(a.out, "checkpoints", f"iter{self.it:05d}.bin")
        self.export(it_bin)
        shutil.copyfile(it_bin, os.path.join(a.out, "model.bin"))
        if self.ema is not None:
            self.export(os.path.join(a.out, "checkpoints", f"iter{self.it:05d}-last.bin"), True)
        plot_loss(self.losses, os.path.join(a.out, "loss.png"),
                  f"{a.experiment} {os.path.basename(a.target)}: log10 loss, "
                  f"iteration {self.it}")

    def run(self):
        a = self.a
        os.makedirs(a.out, exist_ok=True)
        say = (lambda s: None) if a.quiet else (lambda s: print(s, flush=True))
        logf = open_log(a.out, self.it, self.log_rows, say, "train.py")
        say(f"train.py: {a.experiment} on {a.target} {a.width}x{a.height}, "
            f"{'fake-quantised' if not a.no_quant else 'float'} {a.dtype}, device {self.dev}, "
            f"iterations {self.it}..{a.iters}")
        def row_of(res):
            loss, n = res
            row = {"loss": loss, "steps": n}
            if self.loss_float is not None:
                row["loss_float"] = self.loss_float
            return row

        def progress(rows):
            recent = np.mean(self.losses[-len(rows):])
            rf = [r["loss_float"] for r in rows if "loss_float" in r]
            twin = f" float {np.mean(rf):.6f}" if rf else ""
            return (f"loss {recent:.6f} (log10 {math.log10(max(recent, 1e-12)):+.3f}){twin} "
                    f"lr {self.lr_at(self.it - 1):.0e}")

        if iterate(self, logf, say, "train.py", row_of, progress, self.checkpoint):
            return EXIT_STOPPED
        self.checkpoint(final=True)
        logf.close()
        with open(os.path.join(a.out, "run.json"), "w") as f:
            json.dump({"args": vars(a), "iterations": self.it, "seconds": round(self.elapsed, 1),
                       "final_loss_mean_last_100": float(np.mean(self.losses[-100:]))
                       if self.losses else None,
                       "torch": torch.__version__, "device": str(self.dev)}, f, indent=1)
        say(f"train.py: wrote {os.path.join(a.out, 'model.bin')} after {self.it} iterations "
            f"({fmt_time(self.elapsed)})")
        return 0


def iterate(tr, logf, say, name, row_of, progress, checkpoint, extra=None):
    """The iteration loop of both trainers (this one and train_grayscott.py). Runs
    tr.train_step() (its result's first item is the loss) until tr.a.iters; each iteration
    adds a row to tr.log_rows and to logf: it, row_of(result), extra() when given and not
    None, lr, s (its seconds) and t (the run's). Every log_every iterations and at the end
    it prints "iter I/N" + progress(the rows since the last print) + the seconds an
    iteration and the ETA; calls checkpoint() every ckpt_every iterations, and at the time
    limit, where it stops and returns True (the caller exits EXIT_STOPPED)."""
    a = tr.a
    t_last, it_last = time.time(), tr.it
    t0, e0 = time.time(), tr.elapsed
    while tr.it < a.iters:
        t_it = time.time()
        res = tr.train_step()
        tr.it += 1
        tr.losses.append(res[0])
        tr.elapsed = e0 + time.time() - t0
        row = {"it": tr.it, **row_of(res), "lr": tr.lr_at(tr.it - 1),
               "s": round(time.time() - t_it, 3), "t": round(tr.elapsed, 2)}
        more = extra() if extra else None
        if more:
            row.update(more)
        tr.log_rows.append(row)
        logf.write(json.dumps(row) + "\n")
        if tr.it % a.log_every == 0 or tr.it == a.iters:
            now = time.time()
            spi = (now - t_last) / max(tr.it - it_last, 1)
            rows = tr.log_rows[-(tr.it - it_last):]
            t_last, it_last = now, tr.it
            say(f"iter {tr.it:5d}/{a.iters} {progress(rows)} "
                f"{spi:.3f} s/it ETA {fmt_time(spi * (a.iters - tr.it))}")
            logf.flush()
        if a.ckpt_every and tr.it % a.ckpt_every == 0 and tr.it < a.iters:
            checkpoint()
        if a.time_limit and time.time() - t0 > a.time_limit and tr.it < a.iters:
            checkpoint()
            logf.close()
            say(f"{name}: time limit: stopped at iteration {tr.it} of {a.iters}, "
                f"checkpoint in {a.out}; carry on with --resume --out {a.out}")
            return True
    return False


def load_ckpt_file(path):
    try:
        return torch.load(path, map_location="cpu", weights_only=False)
    except TypeError:  # torch < 1.13
        return torch.load(path, map_location="cpu")


def set_aside_log(path, it):
    """A run rewrites train.log with the history of its checkpoint (none for a new run). Rows
    an earlier run logged past iteration it (stopped between checkpoints, or a new run in an
    old folder) would be lost: that file is renamed to train.log.to-iterNNNNN, NNNNN its last
    iteration (train.log.old if it is not such a log), and the new name returned; None when
    there is nothing to keep."""
    try:
        with open(path) as f:
            its = [json.loads(ln)["it"] for ln in f if ln.strip()]
        if not its or max(its) <= it:
            return None
        kept = f"{path}.to-iter{max(its):05d}"
    except OSError:
        return None
    except (ValueError, KeyError, TypeError):  # not a log this trainer wrote: keep it whole
        kept = f"{path}.old"
    os.replace(path, kept)
    return kept


def open_log(out, it, rows, say, name):
    """out/train.log, open for appending rows, holding rows (the history of a run starting at
    iteration it); an earlier log with more is set aside first (set_aside_log)."""
    path = os.path.join(out, "train.log")
    kept = set_aside_log(path, it)
    if kept:
        say(f"{name}: {path} went on past iteration {it}: kept as {kept}")
    logf = open(path, "w")
    for row in rows:
        logf.write(json.dumps(row) + "\n")
    return logf


def resume_args(parse, argv, path, run_only, name):
    """--resume: argv parsed again with the settings saved in the checkpoint at path as the
    defaults, except run_only (the run's own: output, threads, limits), which argv sets."""
    if not os.path.exists(path):
        raise SystemExit(f"{name}: no checkpoint at {path}")
    saved = load_ckpt_file(path)["args"]
    return parse(argv, {k: v for k, v in saved.items() if k not in run_only})


def reference_blas():
    """The path of the netlib reference BLAS when this process runs on it (Debian's torch
    links libblas.so.3, which is the reference one unless OpenBLAS provides it), else None."""
    torch.zeros(2, 2).mm(torch.zeros(2, 2))  # make sure the BLAS is loaded
    try:
        with open("/proc/self/maps") as f:
            ref = {ln.split()[-1] for ln in f if "/blas/libblas.so" in ln}
    except OSError:
        return None
    return min(ref) if ref else None


RUN_ONLY = ("out", "resume", "device", "dtype", "threads", "ckpt_every", "log_every",
            "compile", "quiet", "sparse", "time_limit")


def main(argv=None):
    a = parse_args(argv)
    if a.resume is not None:
        a = resume_args(parse_args, argv, a.resume or os.path.join(a.out, CKPT), RUN_ONLY,
                        "train.py")
    if a.threads:
        torch.set_num_threads(a.threads)
    elif a.device == "cpu":
        torch.set_num_threads(os.cpu_count() or 1)
    torch.manual_seed(a.seed)
    ref = reference_blas() if a.device == "cpu" and not a.quiet else None
    if ref:
        print(f"train.py: torch runs on the reference BLAS ({ref}); with OpenBLAS "
              "(apt install libopenblas0-pthread) the matrix products run ~8x faster",
              file=sys.stderr)
    tr = Trainer(a)
    if a.resume is not None:
        tr.load_checkpoint(a.resume or os.path.join(a.out, CKPT))
    return tr.run()


if __name__ == "__main__":
    sys.exit(main())

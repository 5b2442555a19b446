#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Quantisation-aware trainer of the Gray-Scott NCA (Richardson et al. 2024, section 3.1).

The NCA of the paper: 8 channels (A, B observable, 6 hidden), identity + Laplacian
perception, 32 hidden units, ReLU, deterministic (fire rate 1.0), wrap boundary, no alive
mask. The forward pass is the fixed-point spec (docs/fixed-point.md) with straight-through
gradients, so the exported .bin does on the C model and the RTL what was trained.

Data: R trajectories of the Gray-Scott PDE from seeded starts of the "train" family, made by
build/nca-grayscott (Euler, dt 1, 64x64 periodic, N = 1024 steps, a frame every t = 32:
M = 32 transitions each). Training is the paper's Algorithm 2: a transition x(m-1) -> x(m)
is t NCA steps; the epoch's M x R transitions are shuffled into minibatches; the loss is the
Euclidean norm over A and B of each transition, averaged; gradients are normalised per
tensor, then Nadam. Trajectory 1 is re-initialised to the data at every transition (hidden
channels 0); the others are propagated: the end of transition m becomes the start of m + 1
in the next epoch. Unlike the paper (one update per epoch), each minibatch is one update:
2 CPU cores afford tens of epochs, not the paper's 4000. For the same reason the start is
not the paper's (random layer 1, zero layer 2, which stays at "no change" for hundreds of
updates here) but a least-squares fit of the solver's single-step increments on fixed
ReLU features (--init fit), which the t = 32 training then refines. Every --val-every iterations the
model is rolled out 1024 steps from a held-out start of the train family and the model
with the lowest error there is kept as best.bin (the test family is never looked at).
See docs/training.md, "Gray-Scott".

examples:
  weights/train_grayscott.py --out runs/gs --time-limit 2100   # ~35 minutes on 2 cores
  weights/train_grayscott.py --out runs/gs --resume            # carry on after a stop
  weights/train_grayscott.py --out /tmp/t --iters 2 --grid 16 --trajectories 2 --steps 64
"""
from __future__ import annotations

import argparse
import json
import math
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
# first: train sets the OpenMP and OpenBLAS environment before torch loads
from train import (HelpFormatter, fmt_time, iterate, load_ckpt_file,  # noqa: E402
                   open_log, plot_loss, resume_args)

import numpy as np  # noqa: E402
import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402

import nca_int as ni  # noqa: E402
import nca_qat as nq  # noqa: E402

EXIT_STOPPED = 75  # --time-limit reached: checkpoint written, not finished
CKPT = "ckpt.pt"
KERNELS = ni.K_IDENTITY | ni.K_LAPLACE
VAL_SEED = 1000  # the held-out start of the train family used for model selection
DESC = "Gray-Scott pde (Richardson 3.1): A, B in ch 0, 1; QAT t=32 {w}x{h} wrap, iter {it}"


def parse_args(argv=None, defaults=None):
    ap = argparse.ArgumentParser(
        prog="train_grayscott.py", description=__doc__.split("\n\n")[0],
        epilog="\n\n".join(__doc__.split("\n\n")[3:]), formatter_class=HelpFormatter)
    d = ap.add_argument_group("data (build/nca-grayscott)")
    d.add_argument("--grid", default="64", help="field size N or WxH")
    d.add_argument("--trajectories", type=int, default=8,
                   help="R: training trajectories, train-family seeds 1..R")
    d.add_argument("--steps", type=int, default=1024, help="N: PDE steps per trajectory")
    d.add_argument("--every", type=int, default=32, help="t: NCA steps per transition")
    d.add_argument("--solver", default=None,
                   help="the nca-grayscott binary (None: build/nca-grayscott of this tree)")
    r = ap.add_argument_group("recipe")
    r.add_argument("--iters", type=int, default=1000, help="updates (one per minibatch)")
    r.add_argument("--minibatch", type=int, default=16, help="transitions per update")
    r.add_argument("--lr", type=float, default=3e-5, help="Nadam learning rate")
    r.add_argument("--lr-decay", type=float, default=0.1,
                   help="the learning rate falls exponentially to lr x this at --iters")
    r.add_argument("--seed", type=int, default=1, help="rng seed of the run")
    r.add_argument("--init", choices=["fit", "glorot"], default="fit",
                   help="fit: layer 1 four units in their linear range (A, B, lap A, lap B) "
                        "and ReLU ridges in (A, B), layer 2 the least-squares fit of the "
                        "solver's single-step increments (a deviation from the paper, "
                        "docs/training.md); glorot: the paper's (random layer 1, zero "
                        "layer 2), which does not beat 'no change' in this budget")
    r.add_argument("--hidden-w1", type=float, default=0.0, metavar="STD",
                   help="--init fit: layer-1 weights from the hidden channels, Gaussian of this "
                        "spread; 0: the hidden channels stay 0 (no gradient reaches them), "
                        "the PDE needs none, and their drift over long rollouts was what "
                        "training from 0.01 got wrong (docs/training.md)")
    m = ap.add_argument_group("model (stored in the .bin)")
    m.add_argument("--channels", type=int, default=8)
    m.add_argument("--hidden", type=int, default=32)
    m.add_argument("--state-frac", type=int, default=14,
                   help="SF: state int16 fraction bits (docs/training.md: the PDE's own "
                        "rounding floor)")
    m.add_argument("--hid-frac", type=int, default=8, help="HF: hidden uint8 fraction bits")
    m.add_argument("--name", default="grayscott")
    o = ap.add_argument_group("run")
    o.add_argument("--out", required=True,
                   help="output folder: data/, model.bin, best.bin, ckpt.pt, loss.png, "
                        "train.log, run.json")
    o.add_argument("--resume", action="store_true", help="continue from OUT/ckpt.pt")
    o.add_argument("--threads", type=int, default=1,
                   help="CPU threads (0: all cores; 1 was faster on a 2-core machine shared "
                        "with other jobs)")
    o.add_argument("--time-limit", type=float, default=0, metavar="S",
                   help="stop after S seconds with a checkpoint, exit 75 (resume later)")
    o.add_argument("--ckpt-every", type=int, default=100, help="checkpoint every N updates")
    o.add_argument("--val-every", type=int, default=25,
                   help="held-out rollout every N updates (0: never)")
    o.add_argument("--log-every", type=int, default=10, help="progress line every N updates")
    o.add_argument("--quiet", action="store_true")
    if defaults:
        ap.set_defaults(**defaults)
    a = ap.parse_args(argv)
    if "x" in a.grid:
        a.width, a.height = (int(v) for v in a.grid.split("x"))
    else:
        a.width = a.height = int(a.grid)
    if a.steps % a.every:
        ap.error("--steps must be a multiple of --every")
    if a.trajectories < 1 or a.minibatch < 1:
        ap.error("need at least one trajectory and a minibatch of one")
    return a


def solver_path(a):
    return a.solver or os.path.join(os.path.dirname(HERE), "build", "nca-grayscott")


def pde_trajectory(a, family, seed, steps, every, path):
    """Runs the C solver; float32 [frames][H][W][2]."""
    if not os.path.exists(path):
        cmd = [solver_path(a), "--ic", family, "--seed", str(seed), "--grid",
               f"{a.width}x{a.height}", "--steps", str(steps), "--every", str(every),
               "--npy", path, "--quiet"]
        r = subprocess.run(cmd, capture_output=True, text=True)
        if r.returncode:
            raise SystemExit(f"train_grayscott.py: {' '.join(cmd)}: {r.stderr.strip()}")
    return np.load(path)


def make_qnca(a, rng=None):
    return nq.QNCA(a.channels, a.hidden, KERNELS, a.state_frac, a.hid_frac, 1.0, 0.0,
                   ni.BOUNDARY_WRAP, rng=rng, all_active=True)


class FastStep:
    """The spec's step for an all-active, always-firing, wrap model (every cell updates:
    x + ds, saturated), channels-first [B, C, H, W] in channels-last memory, where the two
    layers are 1x1 convolutions (oneDNN: ~10x faster on a CPU than the matrix products of
    QNCA.forward, whose numbers it computes: checked at start-up and in
    tests/python/test_grayscott.py)."""

    def __init__(self, model):
        if model.fire_q != ni.FIRE_ALWAYS or model.boundary != ni.BOUNDARY_WRAP or \
                model.kernels != KERNELS:
            raise ValueError("FastStep: an identity + Laplacian, wrap, fire-always model only")
        self.m = model
        C = model.channels
        self.sf = model.state_frac
        self.inv = 2.0 ** -self.sf
        self.lim = (-32768.0 * self.inv, 32767.0 * self.inv)
        self.kern = torch.tensor(ni.LAPLACE, dtype=torch.float32).view(1, 1, 3, 3) \
            .repeat(C, 1, 1, 1)

    def weights(self, dtype=torch.float32):
        w1, b1, w2, b2 = self.m.qweights(dtype)
        return w1[:, :, None, None], b1, w2[:, :, None, None], b2

    def __call__(self, x, qw):
        w1, b1, w2, b2 = qw
        lap = F.conv2d(F.pad(x, (1, 1, 1, 1), mode="circular"), self.kern.to(x.dtype),
                       groups=x.shape[1])
        # sat16(rshift_round(sum, 4)) in words, back in state units
        lap = nq._RoundSat16STE.apply(lap * 2.0 ** (self.sf - 4)) * self.inv
        h = nq._QReLU.apply(F.conv2d(torch.cat([x, lap], 1), w1, b1))
        ds = nq._FloorSTE.apply(F.conv2d(h, w2, b2))
        return torch.clamp(x + ds * self.inv, *self.lim)


def to_cf(x):
    """[B, H, W, C] -> [B, C, H, W] in channels-last memory (a view of the same layout)."""
    return x.permute(0, 3, 1, 2).contiguous(memory_format=torch.channels_last)


def quant(v, sf):
    return torch.round(v * 2.0 ** sf).clamp(-32768, 32767) * 2.0 ** -sf


def rollout(step, x, n, qw=None):
    """n steps from x [B, C, H, W] without gradients; returns the end state."""
    with torch.no_grad():
        qw = qw or step.weights()
        for _ in range(n):
            x = step(x, qw)
    return x


class Trainer:
    def __init__(self, a):
        self.a = a
        self.rng = np.random.default_rng(a.seed)
        torch.manual_seed(a.seed)
        self.model = make_qnca(a, self.rng)
        self.step = FastStep(self.model)
        self.opt = torch.optim.NAdam(self.model.parameters(), lr=a.lr)
        ddir = os.path.join(a.out, "data")
        os.makedirs(ddir, exist_ok=True)
        tag = f"{a.width}x{a.height}-n{a.steps}-t{a.every}"
        ys = [pde_trajectory(a, "train", s, a.steps, a.every,
                             os.path.join(ddir, f"train-s{s}-{tag}.npy"))
              for s in range(1, a.trajectories + 1)]
        # y [R, M + 1, 2, H, W]: the data, channels first
        self.y = torch.as_tensor(np.stack(ys)).permute(0, 1, 4, 2, 3).contiguous()
        self.R, self.M = self.y.shape[0], self.y.shape[1] - 1
        # x [R, M, C, H, W]: the start of each transition (x[r, m] starts m -> m + 1)
        self.x = torch.zeros(self.R, self.M, a.channels, a.height, a.width)
        self.x[:, :, :2] = quant(self.y[:, :-1], a.state_frac)
        vs = pde_trajectory(a, "train", VAL_SEED, 2 * a.steps, a.steps,
                            os.path.join(ddir, f"val-s{VAL_SEED}-{a.width}x{a.height}"
                                               f"-n{2 * a.steps}.npy"))
        self.val = torch.as_tensor(vs).permute(0, 3, 1, 2)  # [3, 2, H, W]: 0, N, 2N steps
        self.it, self.losses, self.log_rows, self.elapsed = 0, [], [], 0.0
        if a.init == "fit" and not a.resume:
            self.fit_init()
        self.queue = []  # the rest of the epoch's shuffled transitions
        self.best = (math.inf, 0)  # (validation MSE, iteration)
        self.best_state = None  # the weights of the best validation
        self.check_fast_step()

    def perceive_data(self, y):
        """The perception of data states y [N, 2, H, W] (hidden channels 0) as the NCA
        computes it: [N, H, W, 4] of A, B, lap A, lap B (the others are 0)."""
        a = self.a
        x = torch.zeros(y.shape[0], a.channels, a.height, a.width)
        x[:, :2] = quant(y, a.state_frac)
        lap = F.conv2d(F.pad(x, (1, 1, 1, 1), mode="circular"), self.step.kern, groups=a.channels)
        lap = torch.round(lap * 2.0 ** (a.state_frac - 4)).clamp(-32768, 32767) * self.step.inv
        return torch.cat([x[:, :2], lap[:, :2]], 1).permute(0, 2, 3, 1)

    def fit_init(self, cells=60000, ridge=1e-5):
        """The starting point (--init fit). Layer 1: units 0..3 hold A, B, lap A, lap B in
        their linear range (the PDE's linear terms), the others are ReLU ridges in (A, B)
        through random data points, scaled so that 99% of their inputs stay inside the
        hidden format. Layer 2 for A and B: the least-squares fit (ridge) of the solver's
        single-step increments, every 8th step of the first two trajectories, on those
        features rounded as the NCA rounds them. Hidden channels start at 0 with zero layer-2
        rows and layer-1 weights of spread --hidden-w1 (0: they stay 0). The paper's glorot start does not leave 'no
        change' in a 2-core budget (docs/training.md, "Gray-Scott")."""
        a = self.a
        ddir = os.path.join(a.out, "data")
        ys, dy = [], []
        for seed in range(1, min(a.trajectories, 2) + 1):  # single steps of the solver
            f = pde_trajectory(a, "train", seed, a.steps, 1, os.path.join(
                ddir, f"train-s{seed}-{a.width}x{a.height}-n{a.steps}-t1.npy"))
            k = np.arange(0, a.steps, 8)
            ys.append(f[k])
            dy.append(f[k + 1] - f[k])
        with torch.no_grad():
            ys = torch.as_tensor(np.concatenate(ys)).permute(0, 3, 1, 2)
            p = self.perceive_data(ys).reshape(-1, 4).double().numpy()
            d = np.concatenate(dy).reshape(-1, 2).astype(np.float64)
        pick = self.rng.choice(len(p), min(cells, len(p)), replace=False)
        # oversample the cells that change: the pattern is a small part of the field
        act = np.nonzero(np.abs(d).sum(1) > 1e-4)[0]
        if len(act):
            pick = np.concatenate([pick, self.rng.choice(act, min(cells, len(act)))])
        p, d = p[pick], d[pick]
        hmax = 255 * 2.0 ** -a.hid_frac
        H = a.hidden
        w, b = np.zeros((H, 4)), np.zeros(H)
        # units 0..3 in their linear range: A, B, lap A, lap B (the PDE's linear terms)
        lim = np.percentile(np.abs(p), 99.9, axis=0) + 1e-9
        for i in range(4):
            w[i, i] = 0.45 * hmax / lim[i]
            b[i] = 0.5 * hmax if i >= 2 else 0.05 * hmax
        # the others: ReLU ridges in (A, B) through random data points of the pattern (A B^2)
        sd = p[:, :2].std(0) + 1e-6
        n = H - 4
        w[4:, :2] = self.rng.normal(size=(n, 2)) / sd
        centre = p[self.rng.integers(0, len(p), n), :2]
        b[4:] = -(w[4:, :2] * centre).sum(1)
        z = p[:, :2] @ w[4:, :2].T + b[4:]
        sc = 0.8 * hmax / (np.percentile(np.abs(z), 99, axis=0) + 1e-9)
        w[4:] *= sc[:, None]
        b[4:] *= sc
        hs = 2.0 ** a.hid_frac  # the hidden format's rounding, as the NCA will see it
        h = np.clip(np.floor((p @ w.T + b) * hs + 0.5), 0.0, 255.0) / hs
        X = np.concatenate([h, np.ones((len(h), 1))], 1)
        sol = np.linalg.solve(X.T @ X + ridge * len(X) * np.eye(H + 1), X.T @ d)  # [H+1, 2]
        C = a.channels
        w1 = np.zeros((H, 2 * C))
        w1[:, 0:2], w1[:, C:C + 2] = w[:, 0:2], w[:, 2:4]
        w1[:, 2:C] = self.rng.normal(0.0, a.hidden_w1, (H, C - 2))
        w1[:, C + 2:] = self.rng.normal(0.0, a.hidden_w1, (H, C - 2))
        w2 = np.zeros((C, H))
        w2[:2] = sol[:H].T
        b2 = np.zeros(C)
        b2[:2] = sol[H]
        with torch.no_grad():
            for prm, v in zip((self.model.w1, self.model.b1, self.model.w2, self.model.b2),
                              (w1, b, w2, b2)):
                prm.copy_(torch.as_tensor(v, dtype=torch.float32))
        r = d - X @ sol
        self.fit_r2 = 1.0 - float((r ** 2).sum() / ((d - d.mean(0)) ** 2).sum())
        self.fit_w2max = float(np.abs(w2).max())

    def check_fast_step(self):
        """FastStep == QNCA.forward (the spec) on a random state, 2 steps, as words."""
        a = self.a
        g = torch.Generator().manual_seed(0)
        x = quant(torch.rand(1, a.height, a.width, a.channels, generator=g) * 0.5, a.state_frac)
        with torch.no_grad():
            w = self.model.w2.clone()
            self.model.w2.normal_(0.0, 0.05, generator=g)  # a non-zero update to compare
            fire = torch.ones(1, a.height, a.width, dtype=torch.bool)
            qw, ref = self.model.qweights(), x
            for _ in range(2):
                ref = self.model(ref, fire, qw)
            got = rollout(self.step, to_cf(x), 2).permute(0, 2, 3, 1)
            self.model.w2.copy_(w)
        if not torch.equal(ref, got):
            raise SystemExit("train_grayscott.py: the fast step differs from QNCA.forward")

    def lr_at(self, it):
        return self.a.lr * self.a.lr_decay ** (it / max(self.a.iters, 1))

    def next_batch(self):
        a = self.a
        if len(self.queue) < a.minibatch:  # a new epoch: every transition once, shuffled
            pairs = [(r, m) for r in range(self.R) for m in range(self.M)]
            self.queue += [pairs[i] for i in self.rng.permutation(len(pairs))]
        out, self.queue = self.queue[:a.minibatch], self.queue[a.minibatch:]
        return out

    def train_step(self):
        a = self.a
        batch = self.next_batch()
        r = torch.tensor([p[0] for p in batch])
        m = torch.tensor([p[1] for p in batch])
        x0 = self.x[r, m].clone()
        reinit = r == 0  # trajectory 1: re-initialised to the data, hidden channels 0
        if reinit.any():
            x0[reinit] = 0.0
            x0[reinit, :2] = quant(self.y[r[reinit], m[reinit]], a.state_frac)
        target = self.y[r, m + 1]
        for g in self.opt.param_groups:
            g["lr"] = self.lr_at(self.it)
        qw = self.step.weights()
        x = x0.contiguous(memory_format=torch.channels_last)
        for _ in range(a.every):
            x = self.step(x, qw)
        d = (x[:, :2] - target).flatten(1)
        loss = torch.sqrt((d * d).sum(1) + 1e-12).mean()  # Euclidean norm per transition
        self.opt.zero_grad(set_to_none=True)
        loss.backward()
        with torch.no_grad():
            for p in self.model.parameters():  # per-tensor gradient normalisation
                if p.grad is not None:
                    p.grad /= p.grad.norm() + 1e-8
        self.opt.step()
        with torch.no_grad():  # propagate: the end of m starts m + 1 (not for trajectory 1)
            keep = (r != 0) & (m + 1 < self.M)
            if keep.any():
                self.x[r[keep], m[keep] + 1] = x.detach()[keep].contiguous()
            mse = float((d * d).mean())
        return float(loss), mse

    def validate(self):
        """MSE over A and B after N and 2N steps (--steps) from the held-out start: the
        mean of the two selects the model (the test measures 1024 and 2048)."""
        a = self.a
        x = torch.zeros(1, a.channels, a.height, a.width)
        x[0, :2] = quant(self.val[0], a.state_frac)
        x = x.contiguous(memory_format=torch.channels_last)
        out = []
        for k in (1, 2):
            x = rollout(self.step, x, a.steps)
            d = x[0, :2] - self.val[k]
            out.append(float((d * d).mean()) if torch.isfinite(d).all() else math.inf)
        return out

    # ---- export, checkpoints --------------------------------------------------------------
    def export(self, path, state=None, it=None):
        """Writes the model (or the one of the weights in state, from iteration it)."""
        a = self.a
        model = self.model
        if state is not None:
            model = make_qnca(a)
            model.load_state_dict(state)
        mdl = model.to_model(a.name, DESC.format(w=a.width, h=a.height,
                                                 it=self.it if it is None else it))
        mdl.flags = ni.FLAG_ALL_ACTIVE
        ni.save_model(path, mdl)
        return mdl

    def export_best(self):
        if self.best_state is not None:
            self.export(os.path.join(self.a.out, "best.bin"), self.best_state, self.best[1])

    def save_checkpoint(self):
        a = self.a
        ck = {"args": vars(a), "it": self.it, "losses": self.losses, "log": self.log_rows,
              "elapsed": self.elapsed, "best": self.best, "queue": self.queue,
              "best_state": self.best_state,
              "model": {k: v.detach().cpu() for k, v in self.model.state_dict().items()},
              "opt": self.opt.state_dict(), "rng": self.rng.bit_generator.state,
              "x": torch.round(self.x * 2.0 ** a.state_frac).to(torch.int16)}
        tmp = os.path.join(a.out, CKPT + ".tmp")
        torch.save(ck, tmp)
        os.replace(tmp, os.path.join(a.out, CKPT))
        self.export(os.path.join(a.out, "model.bin"))
        plot_loss(self.losses, os.path.join(a.out, "loss.png"),
                  f"Gray-Scott: log10 Euclidean loss per transition, iteration {self.it}")

    def load_checkpoint(self, path):
        ck = load_ckpt_file(path)
        for k in ("width", "height", "channels", "hidden", "state_frac", "hid_frac",
                  "trajectories", "steps", "every"):
            if ck["args"].get(k) != getattr(self.a, k):
                raise SystemExit(f"train_grayscott.py: --{k.replace('_', '-')} is "
                                 f"{getattr(self.a, k)!r}, the checkpoint has "
                                 f"{ck['args'].get(k)!r}")
        self.model.load_state_dict(ck["model"])
        self.opt.load_state_dict(ck["opt"])
        self.rng.bit_generator.state = ck["rng"]
        self.it, self.losses, self.log_rows = ck["it"], ck["losses"], ck["log"]
        self.elapsed, self.best, self.queue = ck["elapsed"], tuple(ck["best"]), ck["queue"]
        self.best_state = ck.get("best_state")
        self.x = ck["x"].to(torch.float32) * 2.0 ** -self.a.state_frac

    def validation(self):
        """Validates the current weights; keeps them as best.bin if they are the best."""
        a = self.a
        v1, v2 = self.validate()
        v = (v1 + v2) / 2
        if v < self.best[0]:
            self.best = (v, self.it)
            self.best_state = {k: t.detach().clone() for k, t in self.model.state_dict().items()}
            self.export_best()
        if not a.quiet:
            print(f"iter {self.it:5d} held-out MSE at {a.steps} / {2 * a.steps} steps "
                  f"{v1:.3e} / {v2:.3e} (best mean {self.best[0]:.3e} at {self.best[1]})",
                  flush=True)
        return {"val_mse": v1, "val_mse2": v2}

    def run(self):
        a = self.a
        say = (lambda s: None) if a.quiet else (lambda s: print(s, flush=True))
        logf = open_log(a.out, self.it, self.log_rows, say, "train_grayscott.py")
        if getattr(self, "fit_r2", None) is not None:
            say(f"train_grayscott.py: --init fit: single-step increments fitted with R^2 "
                f"{self.fit_r2:.4f}")
        say(f"train_grayscott.py: {self.R} trajectories x {self.M} transitions of "
            f"{a.every} steps, {a.width}x{a.height}, SF {a.state_frac} HF {a.hid_frac}, "
            f"{torch.get_num_threads()} threads, iterations {self.it}..{a.iters}")
        if a.val_every and self.it == 0:  # the start is a candidate too
            row = {"it": 0, "t": 0.0, **self.validation()}
            self.log_rows.append(row)
            logf.write(json.dumps(row) + "\n")

        def progress(rows):
            rl = np.mean(self.losses[-len(rows):])
            rm = np.mean([r_["mse"] for r_ in rows if "mse" in r_])
            return f"loss {rl:.4f} mse {rm:.3e} lr {self.lr_at(self.it - 1):.1e}"

        def extra():  # the held-out rollout every val_every iterations and at the end
            if a.val_every and (self.it % a.val_every == 0 or self.it == a.iters):
                return self.validation()
            return None

        if iterate(self, logf, say, "train_grayscott.py",
                   lambda res: {"loss": res[0], "mse": res[1]}, progress,
                   self.save_checkpoint, extra):
            return EXIT_STOPPED
        self.save_checkpoint()
        logf.close()
        if self.best_state is None:
            self.best_state = {k: v.detach().clone() for k, v in self.model.state_dict().items()}
            self.best = (math.inf, self.it)
        self.export_best()
        with open(os.path.join(a.out, "run.json"), "w") as f:
            json.dump({"args": vars(a), "iterations": self.it, "seconds": round(self.elapsed, 1),
                       "s_per_iteration": round(self.elapsed / max(self.it, 1), 3),
                       "final_loss_mean_last_50": float(np.mean(self.losses[-50:])),
                       "best_val_mse": self.best[0], "best_iteration": self.best[1],
                       "init_fit_r2": getattr(self, "fit_r2", None),
                       "torch": torch.__version__, "threads": torch.get_num_threads()},
                      f, indent=1)
        say(f"train_grayscott.py: wrote {a.out}/model.bin and best.bin (held-out MSE "
            f"{self.best[0]:.3e} at iteration {self.best[1]}) after {self.it} iterations "
            f"({fmt_time(self.elapsed)})")
        return 0


RUN_ONLY = ("out", "resume", "threads", "time_limit", "ckpt_every", "val_every", "log_every",
            "quiet", "solver")


def main(argv=None):
    a = parse_args(argv)
    if a.resume:
        a = resume_args(parse_args, argv, os.path.join(a.out, CKPT), RUN_ONLY,
                        "train_grayscott.py")
    torch.set_num_threads(a.threads or os.cpu_count() or 1)
    os.makedirs(a.out, exist_ok=True)
    tr = Trainer(a)
    if a.resume:
        tr.load_checkpoint(os.path.join(a.out, CKPT))
    return tr.run()


if __name__ == "__main__":
    sys.exit(main())

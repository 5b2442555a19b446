#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Where train.py's CPU time goes: runs training iterations of the regen recipe and reports
the CPU seconds (process time, so other jobs on a shared machine count little) of batch
preparation, fire masks, forward, backward and the optimiser, and the loss of each iteration;
--profile adds the torch profiler's table of one more iteration. docs/training.md, "Profile".

examples:
  weights/profile_train.py --init weights/regen.bin --iters 4     # steady state: a grown pool
  LD_LIBRARY_PATH=/usr/lib/x86_64-linux-gnu/blas weights/profile_train.py --init weights/regen.bin
                                                                    # the same on the reference BLAS
"""
import argparse
import os
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import train  # noqa: E402  (first: it sets the BLAS environment before torch loads)

import numpy as np  # noqa: E402
import torch  # noqa: E402

import nca_qat as nq  # noqa: E402


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 epilog="\n\n".join(__doc__.split("\n\n")[1:]),
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--iters", type=int, default=4, help="timed iterations (default 4)")
    ap.add_argument("--init", default=None, metavar="MODEL",
                    help="start from this model and fill the pool with its state after "
                         "--grow steps (the steady state of a run); default: from scratch")
    ap.add_argument("--grow", type=int, default=120, help="steps grown for the pool (120)")
    ap.add_argument("--threads", type=int, default=1, help="torch threads (1)")
    ap.add_argument("--seed", type=int, default=3, help="rng seed (3)")
    ap.add_argument("--profile", action="store_true", help="torch profiler table of one more")
    a = ap.parse_args(argv)
    torch.set_num_threads(a.threads)
    out = tempfile.mkdtemp(prefix="nca-profile-")
    targs = ["--experiment", "regen", "--grid", "64", "--out", out, "--threads",
             str(a.threads), "--ckpt-every", "0", "--quiet", "--seed", str(a.seed)]
    if a.init:
        targs += ["--init", a.init]
    tr = train.Trainer(train.parse_args(targs))
    ta = tr.a
    if a.init:
        with torch.no_grad():
            x = tr.seed.clone()
            qw = tr.model.qweights(tr.dtype)
            fm = nq.FireMasks(tr.model.fire_q, [7], a.grow, ta.width, ta.height, tr.dev)
            for t in range(a.grow):
                x = tr.model(x, fm[t], qw, True)
            tr.pool[:] = tr._words(x)[0]
            print(f"pool: the state after {a.grow} steps, "
                  f"{int((x[0, ..., 3] > ta.alive).sum())} mature cells")
    ref = train.reference_blas()
    print("BLAS:", f"reference ({ref})" if ref else "not the reference one")
    T = dict.fromkeys(("batch", "fire", "forward", "backward", "optimiser"), 0.0)
    pt = time.process_time
    losses = []
    for _ in range(a.iters):  # train.Trainer.train_step, timed part by part
        t0 = pt()
        idx, x = tr.batch()
        T["batch"] += pt() - t0
        n = int(tr.rng.integers(ta.steps_min, ta.steps_max + 1))
        seeds = tr.rng.integers(0, 2 ** 32, ta.batch, dtype=np.uint64).astype(np.int64)
        t0 = pt()
        fire = nq.FireMasks(tr.model.fire_q, seeds, n, ta.width, ta.height, tr.dev)
        fm = [fire[t] for t in range(n)]
        T["fire"] += pt() - t0
        t0 = pt()
        qw = tr.model.qweights(tr.dtype)
        for t in range(n):
            x = tr.model(x, fm[t], qw, tr.sparse)
        loss = train.per_sample_loss(x, tr.target).mean()
        T["forward"] += pt() - t0
        t0 = pt()
        tr.opt.zero_grad(set_to_none=True)
        loss.backward()
        T["backward"] += pt() - t0
        t0 = pt()
        with torch.no_grad():
            for p in tr.model.parameters():
                p.grad /= p.grad.norm() + 1e-8
        tr.opt.step()
        tr.pool[idx] = tr._words(x.detach())
        T["optimiser"] += pt() - t0
        losses.append(float(loss))
    tot = sum(T.values())
    print(f"CPU s/iteration: {tot / max(a.iters, 1):.2f} (" +
          ", ".join(f"{k} {v / max(a.iters, 1):.2f}" for k, v in T.items()) + ")")
    print("losses:", " ".join(f"{v:.6f}" for v in losses))
    if a.profile:
        from torch.profiler import ProfilerActivity, profile
        with profile(activities=[ProfilerActivity.CPU]) as prof:
            tr.train_step()
        print(prof.key_averages().table(sort_by="self_cpu_time_total", row_limit=20))
    return 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Train the shipped models: several seeds each, measure them on the C model, keep the best.

For each model of the catalogue below: weights/train.py with seeds 1..N into RUNS/NAME-sS/ (build/runs/)
(resumed where a run stopped), then weights/evaluate.py on every seed's model.bin (fixed-point
C model, 72x72, 8 fire-hash seeds) and the kind's selection rule (docs/training.md). With
--install the winner becomes weights/NAME.bin, with its loss curve, training log, run
settings and measurements in weights/train/logs/NAME/ and its target in weights/targets/.

A run that hits --time-limit stops with a checkpoint; so does this script (exit 75): run the
same command again to carry on. Runs that finished are not trained again.

examples:
  weights/train/train_models.py regen --device cuda --install
  weights/train/train_models.py all --device cuda --seeds 3 --time-limit 540   # repeatable
  weights/train/train_models.py --list
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
WEIGHTS = os.path.dirname(HERE)
ROOT = os.path.dirname(WEIGHTS)
LIZARD = os.path.join(WEIGHTS, "targets", "lizard.png")
EMOJI = os.path.join(HERE, "targets")

# name: (experiment, target PNG, emoji it was rendered from, or None)
CATALOGUE = {
    "grow": ("grow", LIZARD, None),
    "persist": ("persist", LIZARD, None),
    "regen": ("regen", LIZARD, None),
    "regen-butterfly": ("regen", os.path.join(EMOJI, "butterfly.png"), "U+1F98B"),
    "regen-mushroom": ("regen", os.path.join(EMOJI, "mushroom.png"), "U+1F344"),
    "regen-ladybug": ("regen", os.path.join(EMOJI, "ladybug.png"), "U+1F41E"),
    "regen-fish": ("regen", os.path.join(EMOJI, "fish.png"), "U+1F420"),
}
EXIT_STOPPED = 75


def finished(out, iters):
    try:
        with open(os.path.join(out, "run.json")) as f:
            return json.load(f)["iterations"] >= iters
    except (OSError, ValueError, KeyError):
        return False


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 epilog="\n\n".join(__doc__.split("\n\n")[1:]),
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("models", nargs="*", help=f"names, or all: {', '.join(CATALOGUE)}")
    ap.add_argument("--list", action="store_true", help="print the catalogue")
    ap.add_argument("--seeds", type=int, default=3, help="training runs per model (default 3)")
    ap.add_argument("--iters", type=int, default=8000)
    ap.add_argument("--device", default="cuda")
    ap.add_argument("--runs", default=os.path.join(ROOT, "build", "runs"),
                    help="run folders (default build/runs/, ignored by git)")
    ap.add_argument("--time-limit", type=float, default=0,
                    help="stop (exit 75, resumable) after this many seconds in all")
    ap.add_argument("--parallel", type=int, default=1,
                    help="training runs at once (e.g. 3 on one GPU; default 1)")
    ap.add_argument("--eval-seeds", type=int, default=8)
    ap.add_argument("--install", action="store_true",
                    help="copy each winner to weights/NAME.bin with its logs")
    ap.add_argument("--train-args", default="", help="extra train.py arguments (quoted)")
    a = ap.parse_args(argv)
    if a.list or not a.models:
        for k, (e, t, em) in CATALOGUE.items():
            print(f"{k:16s} {e:8s} {os.path.relpath(t, ROOT)}{'  (' + em + ')' if em else ''}")
        return 0
    names = list(CATALOGUE) if a.models == ["all"] else a.models
    for n in names:
        if n not in CATALOGUE:
            ap.error(f"unknown model {n} (see --list)")
    t0 = time.time()
    py = sys.executable
    for name in names:
        exp, target, emoji = CATALOGUE[name]
        outs, cmds = [], []
        for s in range(1, a.seeds + 1):
            out = os.path.join(a.runs, f"{name}-s{s}")
            outs.append(out)
            if finished(out, a.iters):
                continue
            cmd = [py, os.path.join(WEIGHTS, "train.py"), "--experiment", exp, "--target",
                   target, "--seed", str(s), "--iters", str(a.iters), "--device", a.device,
                   "--out", out, "--name", name, "--log-every", "100", *a.train_args.split()]
            if os.path.exists(os.path.join(out, "ckpt.pt")):
                cmd += ["--resume"]
            cmds.append(cmd)
        # up to --parallel runs at once (a GPU is mostly idle between one run's small kernels)
        for i in range(0, len(cmds), a.parallel):
            group = [list(c) for c in cmds[i:i + a.parallel]]
            if a.time_limit:
                left = a.time_limit - (time.time() - t0)
                if left < 60:
                    print(f"train_models: time limit: stopping before {name}; run again")
                    return EXIT_STOPPED
                for c in group:
                    c += ["--time-limit", str(int(left - 30))]
            procs = []
            for c in group:
                print("train_models:", " ".join(c), flush=True)
                procs.append(subprocess.Popen(c))
            rcs = [p.wait() for p in procs]
            if EXIT_STOPPED in rcs:
                return EXIT_STOPPED
            if any(rcs):
                print(f"train_models: {name}: a run failed ({rcs})", file=sys.stderr)
                return max(rcs)
        models = [os.path.join(o, "model.bin") for o in outs]
        ev = os.path.join(a.runs, f"{name}-eval.json")
        kind = "grow" if exp == "grow" else exp
        cmd = [py, os.path.join(WEIGHTS, "evaluate.py"), *models, "--target", target,
               "--seeds", str(a.eval_seeds), "--select", kind, "--json", ev]
        if exp == "regen":
            cmd.append("--regen")
        print("train_models:", " ".join(cmd), flush=True)
        rc = subprocess.call(cmd)
        if rc not in (0, 2):  # 2: evaluated, but no run passes
            print(f"train_models: evaluating {name} failed ({rc})", file=sys.stderr)
            return rc
        with open(ev) as f:
            best = json.load(f)["selected"]
        if not best:
            print(f"train_models: no run of {name} passes its criterion", file=sys.stderr)
            continue
        print(f"train_models: {name}: {best}")
        if a.install:
            run = os.path.dirname(best)
            logs = os.path.join(HERE, "logs", name)
            os.makedirs(logs, exist_ok=True)
            shutil.copy(best, os.path.join(WEIGHTS, f"{name}.bin"))
            for f in ("loss.png", "train.log", "run.json"):
                shutil.copy(os.path.join(run, f), os.path.join(logs, f))
            shutil.copy(ev, os.path.join(logs, "eval.json"))
            if emoji:
                shutil.copy(target, os.path.join(WEIGHTS, "targets", os.path.basename(target)))
            print(f"train_models: installed weights/{name}.bin (logs in "
                  f"{os.path.relpath(logs, ROOT)})")
    return 0


if __name__ == "__main__":
    sys.exit(main())

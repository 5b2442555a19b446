#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Measure trained models on the C model (nca-host), averaged over rng seeds, and pick one.

Growth: MSE of RGBA against the target at the given steps (default 100, 200, 1000, 5000), on
the fixed-point model (`ref`) and, with --float, on its float32 twin; cells alive outside the
target (dilated by 2 cells) at the last step. Regeneration (--regen): grow 300 steps, apply
each of the paper's five damages (erase the left, right, top, bottom half; a centred square
of a third of the pattern), run 300 more; MSE before the damage, after 300 steps, and the
steps until the seed-averaged MSE is back within 2x of its pre-damage value (reported every
10 steps; it must still be within 2x at +300 to count as recovered). --random-damage N adds
N trials per seed of damage at random places, discs and squares in turn, as the trainer's
mixed damage draws them (random_damage_specs): each counts as back when that seed's MSE at
+300 is within 2x of its own before the damage.

MSE is over the whole grid (default 72x72, the paper's); seeds 1..N of the fire hash.

examples:
  weights/evaluate.py weights/regen.bin --target weights/targets/lizard.png --regen --float
  weights/evaluate.py runs/regen-s*/model.bin --target ... --regen --select regen --json e.json
  weights/evaluate.py --from-json e.json f.json --select trials   # another rule, nothing re-run
"""
from __future__ import annotations

import argparse
import concurrent.futures as cf
import json
import os
import re
import subprocess
import sys
import tempfile

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import nca_int as ni  # noqa: E402

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
DAMAGES = ["half:left", "half:right", "half:top", "half:bottom", "square"]
REPORT_RE = re.compile(r"^step (\d+): .* mse ([0-9.eE+-]+)")


def host_run(host, model, grid, seed, steps, target, report, backend="ref", damage=None,
             save_state=None):
    args = [host, "--model", model, "--grid", f"{grid}x{grid}", "--seed", str(seed),
            "--steps", str(steps), "--target", target, "--report", str(report),
            "--backend", backend]
    if damage:
        args += ["--damage", damage]
    if save_state:
        args += ["--save-state", save_state]
    r = subprocess.run(args, capture_output=True, text=True)
    if r.returncode != 0:
        raise RuntimeError(f"{' '.join(args)}: {r.stderr.strip()}")
    out = {}
    for line in r.stdout.splitlines():
        m = REPORT_RE.match(line)
        if m:
            out[int(m.group(1))] = float(m.group(2))
    return out


def outside_cells(state_path, target, m):
    """Cells alive (alpha word > T) where the target, dilated by 2 cells, is empty."""
    g = ni.load_state(state_path)
    inside = target[..., 3] > 0
    pad = np.pad(inside, 2)
    h, w = inside.shape
    dil = np.zeros_like(inside)
    for dy in range(5):
        for dx in range(5):
            dil |= pad[dy:dy + h, dx:dx + w]
    return int(((g.s[..., 3] > m.alive_q) & ~dil).sum())


def square_spec(grid, target):
    """A centred square of a third of the pattern's (the target's) larger side."""
    side = ni.pattern_side(target) // 3
    return f"square:{grid // 2},{grid // 2},{side}"


def random_damage_specs(grid, target, seed, n):
    """n damages for one seed, discs and squares in turn, drawn as train.py's --damage mixed
    draws them: a disc of radius 0.1..0.4 of the half grid, centred in the middle half of the
    grid; a square of a third of the pattern's side, centred in the middle half. The draws
    depend on the seed alone, so every model meets the same damages."""
    rng = np.random.default_rng(7919 * seed + 1)
    side = max(1, ni.pattern_side(target) // 3)
    specs = []
    for i in range(n):
        cx = int(rng.integers(grid // 4, grid - grid // 4 + 1))
        cy = int(rng.integers(grid // 4, grid - grid // 4 + 1))
        if i % 2 == 0:
            r = max(1, int(round(rng.uniform(0.1, 0.4) * grid / 2)))
            specs.append(f"circle:{cx},{cy},{r}")
        else:
            specs.append(f"square:{cx},{cy},{side}")
    return specs


def evaluate(model, a, pool, tmpdir):
    m = ni.load_model(model)
    target = ni.load_target(a.target, a.grid, a.grid)
    steps = sorted(a.steps)
    last = steps[-1]
    report = int(np.gcd.reduce(steps))
    seeds = list(range(a.seed_base, a.seed_base + a.seeds))
    res = {"model": model, "name": m.name, "grid": a.grid, "seeds": len(seeds)}
    jobs = {}
    for backend in ["ref"] + (["float"] if a.float else []):
        for s in seeds:
            st = os.path.join(tmpdir, f"{abs(hash(model))}-{backend}-{s}.ncas")
            jobs[pool.submit(host_run, a.host, model, a.grid, s, last, a.target, report,
                             backend, None, st if backend == "ref" else None)] = \
                ("grow", backend, s, st)
    if a.regen:
        sq = square_spec(a.grid, target)
        for d in DAMAGES:
            spec = sq if d == "square" else d
            for s in seeds:
                jobs[pool.submit(host_run, a.host, model, a.grid, s, 600, a.target, 10, "ref",
                                 f"{spec}@300")] = ("regen", d, s, None)
    for s in seeds:
        for spec in random_damage_specs(a.grid, target, s, a.random_damage):
            jobs[pool.submit(host_run, a.host, model, a.grid, s, 600, a.target, 300, "ref",
                             f"{spec}@300")] = ("random", spec.split(":")[0], s, None)
    grow = {"ref": {}, "float": {}}
    outside = []
    regen = {d: [] for d in DAMAGES}
    rand = {"circle": [], "square": []}
    for fut in cf.as_completed(jobs):
        kind, key, s, st = jobs[fut]
        r = fut.result()
        if kind == "grow":
            grow[key][s] = r
            if key == "ref":
                outside.append(outside_cells(st, target, m))
        elif kind == "random":
            rand[key].append(r[600] <= 2 * r[300])
        else:
            regen[key].append(r)
    for b in grow:
        if grow[b]:
            res[f"mse_{b}"] = {str(t): float(np.mean([grow[b][s][t] for s in seeds]))
                               for t in steps}
    res["outside_cells_mean"] = float(np.mean(outside))
    res["outside_cells_max"] = int(np.max(outside))
    if a.random_damage:
        res["random_damage"] = {k: {"ok": int(sum(v)), "trials": len(v)} for k, v in rand.items()}
    if a.regen:
        res["regen"] = {}
        for d in DAMAGES:
            curves = regen[d]
            ts = sorted(curves[0])
            mean = {tt: float(np.mean([c[tt] for c in curves])) for tt in ts}
            pre = mean[300]
            # back within 2x of the pre-damage MSE, and still there at +300
            back = next((tt - 300 for tt in ts if tt > 300 and mean[tt] <= 2 * pre), None)
            if mean[600] > 2 * pre:
                back = None
            per_seed = [next((tt - 300 for tt in ts if tt > 300 and c[tt] <= 2 * c[300]), None)
                        for c in curves]
            res["regen"][d] = {
                "pre": pre, "after300": mean[600],
                # per trial (one seed, one damage): its own MSE at +300 within 2x of its own
                # before the damage (the issue-16 count)
                "trials_ok": sum(c[600] <= 2 * c[300] for c in curves),
                # the criterion: the seed-averaged MSE back within 2x in <= 300 steps
                "recovery_steps": back,
                "seeds_recovered": sum(r is not None for r in per_seed),
            }
        res["regen_trials_ok"] = sum(v["trials_ok"] for v in res["regen"].values())
        res["regen_trials"] = len(seeds) * len(DAMAGES)
        res["regen_halves_ok"] = sum(v["trials_ok"] for d, v in res["regen"].items()
                                     if d.startswith("half"))
        res["regen_grown"], res["regen_pass"] = regen_verdict(
            res["regen"], res["outside_cells_max"], float(np.mean(np.square(target))))
    return res


def regen_verdict(regen, outside_max, empty_mse):
    """(grown, passes) of the regeneration test. It passes when the seed-averaged MSE is back
    within 2x after each of the five damages, on a pattern that has grown (MSE before the
    damage under a tenth of the empty grid's, empty_mse) and stays bounded (no cell alive
    outside the target at the last step): without these a dead or grid-filling model
    "recovers" trivially, since its MSE barely moves."""
    grown = all(v["pre"] < 0.1 * empty_mse for v in regen.values())
    return grown, (grown and outside_max == 0 and
                   all(v["recovery_steps"] is not None for v in regen.values()))


def score(res, kind):
    """Lower is better; None if the model fails the kind's hard criterion.

    regen: MSE at step 1000 among models that recover from all five damages (and have grown
    a pattern, with no cell alive outside it at the last step); persist: MSE
    at 5000 among models with no cell alive outside the target; grow: MSE at 100 (its
    training horizon is 64..95 steps). Without that step measured: the last (first for
    grow) step measured. trials: (-trials back, MSE at 1000) among models with a grown pattern
    and no cell alive outside it, where a trial is one seed and one damage (the five of the
    paper, and --random-damage's) whose own MSE at +300 is within 2x of its own before: the
    count the regeneration goal is stated in, where regen's seed-averaged pass lets one bad
    seed hide behind good ones."""
    mse = res["mse_ref"]
    steps = sorted(mse, key=int)
    if kind == "trials":
        if not grown_bounded(res):
            return None
        return (-trials_counted(res)[0], mse.get("1000", mse[steps[-1]]))
    if kind == "regen":
        return mse.get("1000", mse[steps[-1]]) if res.get("regen_pass") else None
    if kind == "persist":
        return mse.get("5000", mse[steps[-1]]) if res["outside_cells_max"] == 0 else None
    return mse.get("100", mse[steps[0]])


def trials_counted(res):
    """(trials back, trials) of one result: the five damages and any --random-damage."""
    rnd = res.get("random_damage", {}).values()
    return (res["regen_trials_ok"] + sum(v["ok"] for v in rnd),
            res["regen_trials"] + sum(v["trials"] for v in rnd))


def wilson(k, n, z=1.96):
    """The Wilson score interval (95% for z=1.96) of a rate seen as k of n trials."""
    p, z2 = k / n, z * z
    mid = (p + z2 / (2 * n)) / (1 + z2 / n)
    half = z * np.sqrt(p * (1 - p) / n + z2 / (4 * n * n)) / (1 + z2 / n)
    return max(0.0, mid - half), min(1.0, mid + half)


def trials_margin(results, pick, seeds=8):
    """What --select trials's pick (one of results) is worth: its rate with a 95% interval,
    how many other candidates were counted inside that interval (a pick among them is a
    draw, not a ranking), and the chance a model at that rate gets all trials of a test on
    `seeds` seeds (the five damages each; trials taken as independent)."""
    def rate(r):
        k, n = trials_counted(r)
        return k / n
    k, n = trials_counted(pick)
    lo, hi = wilson(k, n)
    near = sum(1 for r in results if r is not pick and grown_bounded(r) and rate(r) >= lo)
    test = len(DAMAGES) * seeds
    return (f"pick: {k}/{n} trials back ({100 * k / n:.1f}%, 95% interval {100 * lo:.1f}-"
            f"{100 * hi:.1f}%); {near} other candidate(s) within it; at that rate all "
            f"{test} trials of an {seeds}-seed test come back with probability "
            f"{(k / n) ** test:.2f}")


def grown_bounded(res):
    """Measured with --regen, grown a pattern (regen_verdict), and no cell alive outside the
    target at the last step on any seed: the candidates of --select trials and of
    regen_fallback."""
    return bool(res.get("regen_grown")) and res["outside_cells_max"] == 0


def regen_fallback(results):
    """The model to ship when none passes the regen rule: among those with a grown pattern
    and no cell alive outside at the last step, the most of the five damages recovered
    (seed-averaged), then the lowest fixed-point MSE at step 1000 (the last step measured
    without it). None if there is no such model."""
    def key(r):
        mse = r["mse_ref"]
        return (-sum(v["recovery_steps"] is not None for v in r["regen"].values()),
                mse.get("1000", mse[max(mse, key=int)]))
    cands = [r for r in results if grown_bounded(r)]
    return min(cands, key=key)["model"] if cands else None


def table(results, steps):
    cols = [f"{t}" for t in sorted(steps)]
    lines = ["| model | " + " | ".join(f"fixed @{c}" for c in cols) +
             (" | " + " | ".join(f"float @{c}" for c in cols) if "mse_float" in results[0]
              else "") + " | outside | regen (pre -> +300, worst recovery) | trials back at +300 "
             "(halves; all; random) |",
             "|---" * (2 + len(cols) * (2 if "mse_float" in results[0] else 1) + 2) + "|"]
    for r in results:
        rel = os.path.relpath(r["model"])
        row = [r["model"] if rel.startswith("..") else rel] + [f"{r['mse_ref'][c]:.6f}" for c in cols]
        if "mse_float" in r:
            row += [f"{r['mse_float'][c]:.6f}" for c in cols]
        row.append(f"{r['outside_cells_mean']:.1f}")
        rnd = "".join(f"; random {k}s {v['ok']}/{v['trials']}"
                      for k, v in r.get("random_damage", {}).items())
        if "regen" in r:
            worst = [v["recovery_steps"] for v in r["regen"].values()]
            row.append(("pass" if r["regen_pass"] else "FAIL") + "; " + ", ".join(
                f"{d.split(':')[-1]} {v['pre']:.5f}->{v['after300']:.5f}"
                for d, v in r["regen"].items()) +
                f"; slowest {'never' if None in worst else max(worst)} steps")
            row.append(f"{r['regen_halves_ok']}/{4 * r['seeds']}; "
                       f"{r['regen_trials_ok']}/{r['regen_trials']}" + rnd)
        else:
            row += ["-", rnd.lstrip("; ") or "-"]
        lines.append("| " + " | ".join(row) + " |")
    return "\n".join(lines)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 epilog="\n\n".join(__doc__.split("\n\n")[1:]),
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("models", nargs="*", help=".bin files")
    ap.add_argument("--target", help="the target PNG the models were trained on (required "
                                     "unless --from-json)")
    ap.add_argument("--from-json", metavar="FILE", nargs="+",
                    help="measure nothing: table and --select over the results earlier "
                         "--json runs wrote (another rule, or candidates measured in "
                         "several runs with the same grid, seeds, steps and damages)")
    ap.add_argument("--grid", type=int, default=72, help="square grid side (default 72)")
    ap.add_argument("--seeds", type=int, default=8, help="how many fire-hash seeds (default 8)")
    ap.add_argument("--seed-base", type=int, default=1,
                    help="the first seed (default 1: seeds 1..N); pick a checkpoint on other "
                         "seeds than those that judge it")
    ap.add_argument("--steps", default="100,200,1000,5000", help="MSE at these steps")
    ap.add_argument("--float", action="store_true", help="also the float32 twin (slow)")
    ap.add_argument("--regen", action="store_true", help="the five damages of the paper")
    ap.add_argument("--random-damage", type=int, default=0, metavar="N",
                    help="N damages at random places per seed, discs and squares in turn")
    ap.add_argument("--select", choices=["grow", "persist", "regen", "trials"],
                    help="print the best model by that kind's criterion (docs/training.md)")
    ap.add_argument("--json", help="write all results here")
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--host", default=os.path.join(ROOT, os.environ.get("BUILD", "build"),
                                                   "nca-host"))
    a = ap.parse_args(argv)
    if a.from_json:
        return rank_stored(ap, a)
    if not a.models or not a.target:
        ap.exit(1, "evaluate.py: give the models and --target (or --from-json FILE)\n")
    a.steps = [int(s) for s in a.steps.split(",")]
    need_regen(ap, a.select, a.regen, "measuring")
    for model in a.models:  # before any work, one line per problem
        try:
            ni.load_model(model)
        except (OSError, ValueError) as e:
            why = f"{model}: {e.strerror}" if isinstance(e, OSError) else str(e)
            ap.exit(1, f"evaluate.py: {why}\n")
    if not os.access(a.host, os.X_OK):
        ap.exit(1, f"evaluate.py: {a.host}: not built (make {os.path.relpath(a.host, ROOT)})\n")
    results = []
    with tempfile.TemporaryDirectory() as tmp, cf.ThreadPoolExecutor(a.jobs) as pool:
        for model in a.models:
            results.append(evaluate(model, a, pool, tmp))
            print(f"evaluate: {model} done", file=sys.stderr)
    return report(results, a.steps, a, vars(a))


def need_regen(ap, select, regen, what):
    """--select regen and trials rank the damage trials: refuse results without them."""
    if select in ("regen", "trials") and not regen:
        ap.exit(1, f"evaluate.py: --select {select} ranks damage trials: {what} without "
                   "--regen\n")


# what must match for results of several --json runs to be ranked together
MEASURED = ("target", "grid", "seeds", "seed_base", "steps", "float", "regen", "random_damage")


def rank_stored(ap, a):
    """--from-json: the table and the pick over earlier runs' results."""
    if a.models:
        ap.exit(1, "evaluate.py: --from-json measures nothing; give no models\n")
    results, args = [], None
    for path in a.from_json:
        try:
            with open(path) as f:
                stored = json.load(f)
            these, got = stored["results"], stored["args"]
            same = {k: got[k] for k in MEASURED}
        except OSError as e:
            ap.exit(1, f"evaluate.py: {path}: {e.strerror}\n")
        except (ValueError, KeyError, TypeError):
            ap.exit(1, f"evaluate.py: {path}: not an evaluate.py --json file\n")
        if args is not None and same != {k: args[k] for k in MEASURED}:
            diff = ", ".join(k for k in MEASURED if same[k] != args[k])
            ap.exit(1, f"evaluate.py: {path}: measured with another {diff} than "
                       f"{a.from_json[0]}\n")
        need_regen(ap, a.select, got.get("regen"), f"{path} measured")
        results += these
        args = args or got
    a.regen = args.get("regen")
    return report(results, args["steps"], a, dict(args, select=a.select,
                                                 from_json=a.from_json))


def report(results, steps, a, args):
    """Print the table and the pick; write --json. Exit status 0, or 2 if --select found
    nothing."""
    print(table(results, steps))
    best = partial = None
    if a.select:
        # ties go to the model name, as before; the index says which row won
        ranked = sorted(((score(r, a.select), r["model"], i) for i, r in enumerate(results)
                         if score(r, a.select) is not None))
        pick = results[ranked[0][2]] if ranked else None
        best = pick["model"] if pick else None
        print(f"selected ({a.select}): {best or 'none passes'}")
        if pick and a.select == "trials":
            print(trials_margin(results, pick))
        if not best and a.select == "regen" and a.regen:
            partial = regen_fallback(results)
            print(f"best partly regenerating (regen_fallback): {partial or 'none'}")
    if a.json:
        with open(a.json, "w") as f:
            json.dump({"results": results, "selected": best, "selected_partial": partial,
                       "args": args}, f, indent=1)
    return 0 if (not a.select or best) else 2


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Fixed point vs float32: quality of the C model against its float twin (issue 2).

Runs build/nca-host on the four converted Distill models, once with `-b ref` (the fixed-point
spec) and once with `-b float` (the float32 twin of the same dequantised weights, same fire
bits), for every seed, and tabulates the RGBA MSE against the target at the given steps:
mean, std, min and max over the seeds, float and fixed side by side. It then checks the
acceptance criteria of issue 2 (mean fixed MSE <= 2x mean float MSE: ex2-persist-lizard at
step 1000, ex3-regen-lizard at step 200, over >= 4 seeds).

Drift: for one model (default ex3-regen-lizard) both backends save their state
(--save-state) after each of --drift-steps steps; the script compares the two states (float
rounded to the state format on save): mean squared difference per RGBA channel (and over the
hidden channels) and the max abs difference in alpha, over the whole grid.

Tables go to stdout as markdown; with --out FILE the section "## Fixed point vs float32
(issue 2)" of FILE is added or replaced (the rest of FILE is kept).

Every run is `nca-host -m MODEL -b ref|float --grid 72x72 --boundary zero --steps N --seed S
[--target PNG --report K | --save-state FILE]`. Run `make` first.

example: tools/quality.py --seeds 1-8 --jobs 2 --out docs/results.md
"""
import argparse
import datetime
import math
import os
import re
import shlex
import subprocess
import sys
import tempfile
import time
import zlib
from concurrent.futures import ThreadPoolExecutor

try:
    import numpy as np
except ImportError:  # e.g. a pyenv python3 first in PATH: try the system one, which has numpy
    if os.path.realpath(sys.executable) != os.path.realpath("/usr/bin/python3") \
            and os.access("/usr/bin/python3", os.X_OK):
        os.execv("/usr/bin/python3", ["/usr/bin/python3", os.path.abspath(__file__)] + sys.argv[1:])
    sys.exit("quality.py needs numpy")

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SECTION = "## Fixed point vs float32 (issue 2)"
# a subsection of SECTION starting with this heading is hand-written: --out keeps it
NOTES = "### Notes"

# model name (weights/distill/NAME.bin) -> target (weights/targets/...)
MODELS = {
    "ex1-grow-lizard": "lizard.png",
    "ex2-persist-lizard": "lizard.png",
    "ex3-regen-lizard": "lizard.png",
    "ex3-regen-planarian": "planarian.png",
}
# issue 2: (model, step, max ratio fixed/float, float MSE of the original Distill weights)
CRITERIA = [
    ("ex2-persist-lizard", 1000, 2.0, 0.00015),
    ("ex3-regen-lizard", 200, 2.0, 0.0006),
]
MIN_SEEDS = 4
STEP_RE = re.compile(r"^step (\d+):.*\bmse (\S+)\s*$")
STATE_HEADER = 24


def int_list(text):
    """'1-8' or '1,2,5' or '1-4,9' -> [1, 2, ...]"""
    out = []
    for part in text.split(","):
        part = part.strip()
        if not part:
            continue
        if "-" in part:
            lo, hi = part.split("-", 1)
            out.extend(range(int(lo), int(hi) + 1))
        else:
            out.append(int(part))
    if not out:
        raise argparse.ArgumentTypeError("empty list")
    return out


def rel(path):
    return os.path.relpath(path, ROOT)


class Runner:
    def __init__(self, args):
        self.a = args
        self.n_runs = 0
        self.cpu_s = 0.0

    def base(self, model, backend, steps, seed):
        return [rel(self.a.host), "-m", f"weights/distill/{model}.bin", "-b", backend,
                "--grid", self.a.grid, "--boundary", self.a.boundary,
                "--steps", str(steps), "--seed", str(seed)]

    def run(self, cmd):
        t0 = time.monotonic()
        p = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)
        self.cpu_s += time.monotonic() - t0
        self.n_runs += 1
        if p.returncode != 0:
            raise RuntimeError(f"{' '.join(map(shlex.quote, cmd))}: exit {p.returncode}\n"
                               f"{p.stderr.strip()}")
        return p.stdout

    def mse_run(self, model, backend, seed, steps, report):
        cmd = self.base(model, backend, max(steps), seed) + [
            "--target", f"weights/targets/{MODELS[model]}", "--report", str(report)]
        got = {}
        for line in self.run(cmd).splitlines():
            m = STEP_RE.match(line)
            if m:
                got[int(m.group(1))] = float(m.group(2))
        missing = [s for s in steps if s not in got]
        if missing:
            raise RuntimeError(f"{model} {backend} seed {seed}: no mse at steps {missing}")
        return {s: got[s] for s in steps}

    def state_run(self, model, backend, seed, steps, path):
        self.run(self.base(model, backend, steps, seed) + ["--save-state", path, "--quiet"])
        return load_state(path, steps)


def load_state(path, steps):
    """The state file (docs/fixed-point.md): header, int16 [y][x][c], CRC-32. -> float array."""
    raw = open(path, "rb").read()
    if raw[:4] != b"NCAS":
        raise RuntimeError(f"{path}: not a state file")
    if zlib.crc32(raw[:-4]) != int.from_bytes(raw[-4:], "little"):
        raise RuntimeError(f"{path}: CRC mismatch")
    w, h = (int.from_bytes(raw[i:i + 2], "little") for i in (6, 8))
    ch, sf = raw[10], raw[11]
    done = int.from_bytes(raw[12:16], "little")
    if done != steps:
        raise RuntimeError(f"{path}: {done} steps done, expected {steps}")
    words = np.frombuffer(raw[STATE_HEADER:-4], dtype="<i2")
    if words.size != w * h * ch:
        raise RuntimeError(f"{path}: size does not match {w}x{h}x{ch}")
    return words.reshape(h, w, ch).astype(np.float64) / 2.0 ** sf


def gcd_all(xs):
    g = 0
    for x in xs:
        g = math.gcd(g, x)
    return g


def fmt(x):
    return "nan" if not np.isfinite(x) else f"{x:.6f}" if x >= 1e-3 else f"{x:.3e}"


def stats(v):
    v = np.asarray(v, dtype=np.float64)
    return v.mean(), v.std(ddof=1) if v.size > 1 else 0.0, v.min(), v.max()


def git_rev():
    def git(*a):
        return subprocess.run(["git", *a], cwd=ROOT, capture_output=True, text=True).stdout.strip()
    rev = git("rev-parse", "--short", "HEAD") or "unknown"
    if git("status", "--porcelain", "--", "host", "Makefile"):
        rev += " (host/ or Makefile modified in the worktree)"
    return rev


def main():
    ap = argparse.ArgumentParser(
        description=__doc__.splitlines()[0],
        epilog="\n".join(__doc__.splitlines()[2:]),
        formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seeds", type=int_list, default=list(range(1, 9)),
                    help="rng seeds, e.g. 1-8 or 1,3,5 (default 1-8)")
    ap.add_argument("--steps", type=int_list, default=[100, 200, 500, 1000],
                    help="steps at which the MSE is tabulated (default 100,200,500,1000)")
    ap.add_argument("--models", nargs="+", choices=list(MODELS), default=list(MODELS),
                    help="models to run (default all four)")
    ap.add_argument("--jobs", "-j", type=int, default=2, help="parallel nca-host runs (default 2)")
    ap.add_argument("--out", help="markdown file whose section '%s' is added/replaced" % SECTION)
    ap.add_argument("--drift-model", default="ex3-regen-lizard", choices=list(MODELS),
                    help="model of the float-vs-fixed drift table (default ex3-regen-lizard)")
    ap.add_argument("--drift-steps", type=int_list, default=[10, 50, 100, 200, 500, 1000],
                    help="steps of the drift table (default 10,50,100,200,500,1000)")
    ap.add_argument("--drift-seeds", type=int_list,
                    help="seeds of the drift table (default: --seeds)")
    ap.add_argument("--no-drift", action="store_true", help="skip the drift table")
    ap.add_argument("--grid", default="72x72", help="grid WxH (default 72x72)")
    ap.add_argument("--boundary", default="zero", help="zero | wrap (default zero)")
    ap.add_argument("--host", default=os.path.join(ROOT, "build", "nca-host"),
                    help="nca-host binary (default build/nca-host)")
    ap.add_argument("--date", default=datetime.date.today().isoformat(),
                    help="date written into the tables (default today)")
    ap.add_argument("--check", action="store_true",
                    help="exit 1 if a criterion that was measured fails")
    a = ap.parse_args()
    a.host = os.path.abspath(a.host)
    a.steps = sorted(set(a.steps))
    a.drift_steps = sorted(set(a.drift_steps))
    drift_seeds = a.drift_seeds or a.seeds
    if not os.access(a.host, os.X_OK):
        sys.exit(f"{a.host}: not found or not executable (run make)")
    if a.jobs < 1:
        sys.exit("--jobs must be >= 1")

    argv = " ".join(shlex.quote(x) for x in ["tools/quality.py"] + sys.argv[1:])
    rev = git_rev()
    report = gcd_all(a.steps)
    r = Runner(a)
    t0 = time.monotonic()

    with ThreadPoolExecutor(max_workers=a.jobs) as pool, \
            tempfile.TemporaryDirectory(prefix="nca-quality-") as tmp:
        # longest runs first (float is ~10x slower than ref), so the jobs pack well
        cost = {"float": 10.0, "ref": 1.0}
        todo = [(cost[b] * max(a.steps), "mse", (m, b, s))
                for b in cost for m in a.models for s in a.seeds]
        if not a.no_drift:
            todo += [(cost[b] * n, "drift", (b, s, n))
                     for b in cost for s in drift_seeds for n in a.drift_steps]
        mse_jobs, drift_jobs = {}, {}
        for _, kind, key in sorted(todo, key=lambda t: -t[0]):
            if kind == "mse":
                mse_jobs[key] = pool.submit(r.mse_run, *key, a.steps, report)
            else:
                b, s, n = key
                path = os.path.join(tmp, f"{b}-{s}-{n}.state")
                drift_jobs[key] = pool.submit(r.state_run, a.drift_model, b, s, n, path)
        try:
            mse = {k: f.result() for k, f in mse_jobs.items()}
            for f in drift_jobs.values():
                f.result()
        except (RuntimeError, OSError) as e:
            pool.shutdown(wait=True, cancel_futures=True)
            sys.exit(f"quality.py: {e}")
        # drift: reduce each pair of states as soon as both are there (small memory)
        drift = {}
        for s in drift_seeds:
            for n in a.drift_steps:
                if a.no_drift:
                    break
                fl, fx = drift_jobs[("float", s, n)].result(), drift_jobs[("ref", s, n)].result()
                d = fl - fx
                drift[(s, n)] = {
                    "ch": (d[..., :4] ** 2).mean(axis=(0, 1)),   # R, G, B, A
                    "rgba": (d[..., :4] ** 2).mean(),
                    "hidden": (d[..., 4:] ** 2).mean() if d.shape[2] > 4 else float("nan"),
                    "amax": np.abs(d[..., 3]).max(),
                }
    wall = time.monotonic() - t0

    per_run = (f"`{rel(a.host)} -m weights/distill/MODEL.bin -b ref|float --grid {a.grid} "
               f"--boundary {a.boundary} --steps {max(a.steps)} --seed S "
               f"--target weights/targets/TARGET.png --report {report}`")
    seeds_txt = f"{len(a.seeds)} seeds ({', '.join(map(str, a.seeds))})"
    stamp = f"Command: `{argv}` (date {a.date}, commit {rev})"
    out = [SECTION, ""]
    out += [
        "Produced by `tools/quality.py` (issue 2): the fixed-point C model (`-b ref`) against its "
        "float32 twin (`-b float`: the same dequantised weights and the same fire bits), on the "
        "converted Distill models. MSE is the RGBA MSE against the target centred on the "
        f"{a.grid} grid, as nca-host prints it. "
        f"{len(mse_jobs)} MSE runs{' and %d state runs' % len(drift_jobs) if drift_jobs else ''}, "
        f"{a.jobs} parallel jobs, {wall:.0f} s wall ({r.cpu_s:.0f} s of nca-host runs).",
        "", "SUMMARY", ""]

    # --- table 1: all models, float vs fixed --------------------------------------------------
    out += ["### RGBA MSE vs target, float32 and fixed point", "", stamp, "",
            f"Each run: {per_run}. Mean, sample std, min and max over {seeds_txt}; "
            "ratio = mean fixed / mean float.", ""]
    out += ["| model | step | float mean | float std | float min | float max "
            "| fixed mean | fixed std | fixed min | fixed max | ratio |",
            "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    means = {}
    for m in a.models:
        for n in a.steps:
            row = [m, str(n)]
            for b in ("float", "ref"):
                st = stats([mse[(m, b, s)][n] for s in a.seeds])
                means[(m, b, n)] = st[0]
                row += [fmt(x) for x in st]
            ratio = means[(m, "ref", n)] / means[(m, "float", n)]
            row.append(f"{ratio:.2f}")
            out.append("| " + " | ".join(row) + " |")
    out.append("")

    # --- table 2: acceptance criteria ---------------------------------------------------------
    crit = [c for c in CRITERIA if c[0] in a.models and c[1] in a.steps]
    failed = False
    if crit:
        out += ["### Acceptance criteria (issue 2)", "", stamp, "",
                f"Mean fixed MSE <= ratio x mean float MSE, over >= {MIN_SEEDS} seeds "
                f"(here {len(a.seeds)}). \"Distill float\" is the float MSE of the original "
                "(unquantised) Distill weights quoted in the issue, for scale.", ""]
        out += ["| model | step | seeds | float mean | fixed mean | fixed / float | limit "
                "| Distill float | result |",
                "|---|---:|---:|---:|---:|---:|---:|---:|---|"]
        for m, n, lim, orig in crit:
            fl, fx = means[(m, "float", n)], means[(m, "ref", n)]
            ok = fx <= lim * fl and len(a.seeds) >= MIN_SEEDS
            failed |= not ok
            out.append(f"| {m} | {n} | {len(a.seeds)} | {fmt(fl)} | {fmt(fx)} | {fx / fl:.2f} "
                       f"| {lim:g}x | ~{orig:g} | {'**pass**' if ok else '**FAIL**' if fx > lim * fl else 'too few seeds'} |")
        out.append("")
        # per-seed detail of the criteria rows (single seeds can be outliers)
        out += ["Per seed, at the criterion steps (float / fixed):", ""]
        out += ["| seed | " + " | ".join(f"{m} @{n}" for m, n, _, _ in crit) + " |",
                "|---:|" + "---:|" * len(crit)]
        for s in a.seeds:
            out.append(f"| {s} | " + " | ".join(
                f"{fmt(mse[(m, 'float', s)][n])} / {fmt(mse[(m, 'ref', s)][n])}"
                for m, n, _, _ in crit) + " |")
        out.append("")

    # --- table 3: drift -----------------------------------------------------------------------
    if drift:
        ds_txt = f"{len(drift_seeds)} seeds ({', '.join(map(str, drift_seeds))})"
        out += [f"### Drift between float32 and fixed point ({a.drift_model})", "", stamp, "",
                f"Each run: `{rel(a.host)} -m weights/distill/{a.drift_model}.bin -b ref|float "
                f"--grid {a.grid} --boundary {a.boundary} --steps N --seed S --save-state FILE`. "
                "The two saved states (the float one rounded to the int16 state format on save, "
                "so differences below ~1e-8 are that rounding) are compared over the whole grid: "
                "mean squared difference per channel (R, G, B, A; premultiplied, as the state "
                "holds them), over RGBA together and over the hidden channels 4..15; max |dA| is "
                f"the largest alpha difference of any cell. Mean over {ds_txt}; the last column "
                "is the max over the seeds.", ""]
        out += ["| step | MSD R | MSD G | MSD B | MSD A | MSD RGBA | MSD hidden "
                "| max abs dA (mean) | max abs dA (max) |",
                "|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
        for n in a.drift_steps:
            rows = [drift[(s, n)] for s in drift_seeds]
            ch = np.mean([x["ch"] for x in rows], axis=0)
            am = [x["amax"] for x in rows]
            out.append(f"| {n} | " + " | ".join(fmt(x) for x in ch) + " | "
                       f"{fmt(np.mean([x['rgba'] for x in rows]))} | "
                       f"{fmt(np.mean([x['hidden'] for x in rows]))} | "
                       f"{np.mean(am):.4f} | {np.max(am):.4f} |")
        out.append("")

    if crit:
        verdicts = []
        for m, n, lim, _ in crit:
            q = means[(m, "ref", n)] / means[(m, "float", n)]
            ok = q <= lim and len(a.seeds) >= MIN_SEEDS
            verdicts.append(f"{m} at step {n}: fixed/float = {q:.2f} (limit {lim:g}), " + (
                "PASSES" if ok else "FAILS" if q > lim else
                f"not decided ({len(a.seeds)} seeds, needs >= {MIN_SEEDS})"))
        out[out.index("SUMMARY")] = "**Criteria of issue 2:** " + "; ".join(verdicts) + "."
    else:
        i = out.index("SUMMARY")
        del out[i:i + 2]
    text = "\n".join(out)
    print(text, flush=True)
    if a.out:
        write_section(a.out, text)
        print(f"(section written to {a.out})", file=sys.stderr)
    if a.check and failed:
        sys.exit(1)


def write_section(path, text):
    """Replace the SECTION of the markdown file (up to the next '## ' heading), or append it.
    A hand-written NOTES subsection of the old section is kept, after the new tables."""
    old = open(path).read() if os.path.exists(path) else "# Results\n"
    lines = old.splitlines()
    start = next((i for i, l in enumerate(lines) if l.strip() == SECTION), None)
    if start is None:
        new = old.rstrip("\n") + "\n\n" + text.rstrip("\n") + "\n"
    else:
        end = next((i for i in range(start + 1, len(lines)) if lines[i].startswith("## ")),
                   len(lines))
        before = "\n".join(lines[:start]).rstrip("\n")
        after = "\n".join(lines[end:])
        notes = next((i for i in range(start + 1, end) if lines[i].startswith(NOTES)), None)
        new = (before + "\n\n" if before else "") + text.rstrip("\n") + "\n"
        if notes is not None:
            new += "\n" + "\n".join(lines[notes:end]).rstrip("\n") + "\n"
        if after:
            new += "\n" + after.rstrip("\n") + "\n"
    with open(path, "w") as f:
        f.write(new)


if __name__ == "__main__":
    main()

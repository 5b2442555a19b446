# SPDX-License-Identifier: Apache-2.0
"""weights/evaluate.py, weights/emoji_target.py, weights/train/train_models.py."""
import json
import os
import subprocess
import sys

import numpy as np
import pytest

from conftest import NCA_HOST, WEIGHTS, model_files

LIZARD = os.path.join(WEIGHTS, "targets", "lizard.png")


def test_evaluate_selects_the_regenerating_model(nca_host, tmp_path):
    regen = [p for p in model_files() if "ex3-regen-lizard" in p]
    persist = [p for p in model_files() if "ex2-persist-lizard" in p]
    if not regen or not persist:
        pytest.skip("Distill models not present")
    out = tmp_path / "e.json"
    r = subprocess.run([sys.executable, os.path.join(WEIGHTS, "evaluate.py"), *regen, *persist,
                        "--target", LIZARD, "--seeds", "2", "--steps", "100,400", "--regen",
                        "--select", "regen", "--json", str(out), "--host", NCA_HOST],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    res = json.loads(out.read_text())
    assert res["selected"] == regen[0]
    by = {os.path.basename(x["model"]): x for x in res["results"]}
    assert by["ex3-regen-lizard.bin"]["regen_pass"]
    assert not by["ex2-persist-lizard.bin"]["regen_pass"]  # explodes after damage
    assert 0 < by["ex3-regen-lizard.bin"]["mse_ref"]["400"] < 0.002
    assert "| model |" in r.stdout


def test_regen_verdict_needs_a_grown_bounded_pattern():
    """Recovery within 2x counts only for a pattern that grew and stays inside its target."""
    sys.path.insert(0, WEIGHTS)
    import evaluate
    ok = {d: {"pre": 2e-4, "after300": 2.5e-4, "recovery_steps": 100} for d in evaluate.DAMAGES}
    assert evaluate.regen_verdict(ok, 0, 0.04) == (True, True)
    assert evaluate.regen_verdict(ok, 3, 0.04) == (True, False)        # grows outside
    dead = {d: dict(v, pre=0.039) for d, v in ok.items()}
    assert evaluate.regen_verdict(dead, 0, 0.04) == (False, False)     # never grew / died
    slow = dict(ok, square=dict(ok["square"], recovery_steps=None))
    assert evaluate.regen_verdict(slow, 0, 0.04) == (True, False)


def test_random_damage_specs_are_the_trainers_draws_and_fixed_per_seed():
    """Discs and squares in turn, centred in the middle half, radius 0.1..0.4 of the half grid,
    squares a third of the pattern; the same seed gives the same damages, another seed others."""
    sys.path.insert(0, WEIGHTS)
    import evaluate
    import nca_int as ni
    target = ni.load_target(LIZARD, 64, 64)
    a = evaluate.random_damage_specs(64, target, 5, 8)
    assert a == evaluate.random_damage_specs(64, target, 5, 8)
    assert a != evaluate.random_damage_specs(64, target, 6, 8)
    assert [s.split(":")[0] for s in a] == ["circle", "square"] * 4
    for s in a:
        x, y, r = (int(v) for v in s.split(":")[1].split(","))
        assert 16 <= x <= 48 and 16 <= y <= 48
        if s.startswith("circle"):
            assert 3 <= r <= 13
        else:
            assert r == ni.pattern_side(target) // 3


def test_regen_fallback_prefers_more_damages_then_lower_mse():
    """When no model passes: grown and bounded ones only, most damages, then MSE at 1000."""
    sys.path.insert(0, WEIGHTS)
    import evaluate

    def res(name, recovered, mse, grown=True, outside=0):
        reg = {d: {"recovery_steps": 100 if i < recovered else None}
               for i, d in enumerate(evaluate.DAMAGES)}
        return {"model": name, "regen": reg, "regen_grown": grown, "outside_cells_max": outside,
                "mse_ref": {"100": 1.0, "1000": mse}}
    rs = [res("two-low", 2, 1e-4), res("three-high", 3, 5e-4), res("three-low", 3, 2e-4),
          res("dead", 5, 1e-5, grown=False), res("outside", 5, 1e-5, outside=4)]
    assert evaluate.regen_fallback(rs) == "three-low"
    assert evaluate.regen_fallback(rs[:1]) == "two-low"
    assert evaluate.regen_fallback(rs[3:]) is None


def test_select_trials_counts_single_trials_then_mse():
    """--select trials: grown and bounded only; most trials back (the five damages and the
    random ones), then MSE at 1000; a seed-averaged pass does not matter."""
    sys.path.insert(0, WEIGHTS)
    import evaluate

    def res(name, trials, rand, mse, grown=True, outside=0, passes=True):
        return {"model": name, "regen_grown": grown, "outside_cells_max": outside,
                "regen_pass": passes, "regen_trials_ok": trials, "regen_trials": 60,
                "random_damage": {"circle": {"ok": rand, "trials": 4},
                                  "square": {"ok": 0, "trials": 4}},
                "mse_ref": {"100": 1.0, "1000": mse}}
    rs = [res("avg-pass", 55, 4, 1e-4), res("more-trials", 57, 3, 3e-4, passes=False),
          res("same-count-lower", 56, 4, 2e-4), res("dead", 60, 4, 1e-5, grown=False),
          res("outside", 60, 4, 1e-5, outside=3)]
    best = sorted((evaluate.score(r, "trials"), r["model"]) for r in rs
                  if evaluate.score(r, "trials") is not None)
    assert [m for _, m in best] == ["same-count-lower", "more-trials", "avg-pass"]
    assert evaluate.score(rs[0], "regen") == 1e-4 and evaluate.score(rs[1], "regen") is None


def test_trials_margin_says_what_the_pick_is_worth():
    """The pick's rate with its Wilson 95% interval (known values), the other grown and
    bounded candidates counted inside it, and its chance of a whole 40-trial test."""
    sys.path.insert(0, WEIGHTS)
    import evaluate

    lo, hi = evaluate.wilson(947, 1000)
    assert abs(lo - 0.9313) < 1e-4 and abs(hi - 0.9593) < 1e-4
    assert evaluate.wilson(0, 10)[0] == 0.0 and evaluate.wilson(10, 10)[1] == 1.0

    def res(name, ok, grown=True):
        return {"model": name, "regen_grown": grown, "outside_cells_max": 0,
                "regen_trials_ok": ok - 2, "regen_trials": 190,
                "random_damage": {"circle": {"ok": 2, "trials": 10}}}
    rs = [res("pick", 198), res("near", 193), res("far", 185), res("dead", 199, grown=False)]
    line = evaluate.trials_margin(rs, rs[0])
    assert "198/200 trials back (99.0%, 95% interval 96.4-99.7%)" in line, line
    assert "1 other candidate(s) within it" in line and "probability 0.67" in line, line


def test_evaluate_from_json_reranks_without_measuring(tmp_path):
    """--from-json: the stored results ranked by another rule; a file without --regen
    results, or not an evaluation, is refused in one line."""
    def res(name, trials, mse, passes):
        dmg = {d: {"pre": 1e-4, "after300": 1e-4, "recovery_steps": 10 if passes else None,
                   "trials_ok": 8} for d in ["half:left", "half:right", "half:top",
                                             "half:bottom", "square"]}
        return {"model": name, "mse_ref": {"1000": mse}, "outside_cells_mean": 0.0,
                "outside_cells_max": 0, "regen": dmg, "regen_grown": True,
                "regen_pass": passes, "regen_trials_ok": trials, "regen_halves_ok": 32,
                "seeds": 12, "regen_trials": 60}
    args = {"target": "t.png", "grid": 72, "seeds": 12, "seed_base": 9, "steps": [1000],
            "float": False, "regen": True, "random_damage": 0}
    one, two = tmp_path / "one.json", tmp_path / "two.json"
    one.write_text(json.dumps({"results": [res("passes-low", 55, 1e-4, True)], "args": args}))
    two.write_text(json.dumps({"results": [res("more-trials", 58, 2e-4, False)],
                               "args": args}))
    ev = [sys.executable, os.path.join(WEIGHTS, "evaluate.py"), "--from-json"]
    for rule, pick in (("regen", "passes-low"), ("trials", "more-trials")):
        r = subprocess.run(ev + [str(one), str(two), "--select", rule], capture_output=True,
                           text=True)
        assert r.returncode == 0 and f"selected ({rule}): {pick}" in r.stdout, r.stdout + r.stderr
        assert ("pick: 58/60 trials back" in r.stdout) == (rule == "trials"), r.stdout
    other = tmp_path / "other.json"
    other.write_text(json.dumps({"results": [], "args": dict(args, seed_base=1)}))
    plain = tmp_path / "plain.json"
    plain.write_text(json.dumps({"results": [], "args": dict(args, regen=False)}))
    bad = tmp_path / "bad.json"
    bad.write_text("[1, 2]")
    for files, why in (([one, other], "another seed_base"), ([plain], "without --regen"),
                       ([bad], "not an evaluate.py --json file")):
        r = subprocess.run(ev + [str(f) for f in files] + ["--select", "trials"],
                           capture_output=True, text=True)
        assert r.returncode == 1 and why in r.stderr and len(r.stderr.splitlines()) == 1


def test_evaluate_bad_model_is_one_line(tmp_path):
    """A missing or truncated model: exit 1 and one line naming it, before any work."""
    good = [p for p in model_files() if p.endswith("regen.bin")][0]
    bad = tmp_path / "cut.bin"
    bad.write_bytes(open(good, "rb").read()[:100])
    for model, why in ((str(tmp_path / "none.bin"), "No such file"), (str(bad), "truncated")):
        r = subprocess.run([sys.executable, os.path.join(WEIGHTS, "evaluate.py"), good, model,
                            "--target", LIZARD], capture_output=True, text=True)
        assert r.returncode == 1
        lines = r.stderr.strip().splitlines()
        assert len(lines) == 1 and model in lines[0] and why in lines[0], r.stderr


def test_evaluate_trials_rule_needs_regen():
    """--select regen or trials ranks damage trials: without --regen, one line, no work."""
    good = [p for p in model_files() if p.endswith("regen.bin")][0]
    for rule in ("regen", "trials"):
        r = subprocess.run([sys.executable, os.path.join(WEIGHTS, "evaluate.py"), good,
                            "--target", LIZARD, "--select", rule], capture_output=True,
                           text=True)
        assert r.returncode == 1 and r.stdout == "", r.stdout
        lines = r.stderr.strip().splitlines()
        assert len(lines) == 1 and "without --regen" in lines[0], r.stderr


FONT = "/usr/share/fonts/truetype/noto/NotoColorEmoji.ttf"


def test_ablate_parts_make_the_spec():
    """weights/ablate.py: the float run with every part of the spec switched on is the fixed
    run (the QAT forward pass, bit-exact with the C model) to the last bit, and the float run
    itself is not; --hid-frac re-quantises the model first; a target larger than the grid is
    one line."""
    sys.path.insert(0, WEIGHTS)
    import ablate
    import nca_int as ni
    import torch
    torch.set_num_threads(1)
    model = os.path.join(WEIGHTS, "regen-ladybug.bin")
    target = os.path.join(WEIGHTS, "train", "targets", "ladybug.png")
    m = ni.load_model(model)
    tgt = ni.load_target(target, 72, 72)
    r = {v: ablate.run(m, v, [1, 2], [30, 60], tgt, 72, 72) for v in ("float", "all", "fixed")}
    assert r["all"] == r["fixed"]
    assert r["float"][60] != r["fixed"][60]
    cmd = [sys.executable, os.path.join(WEIGHTS, "ablate.py"), model, "--target", target,
           "--seeds", "1", "--steps", "5", "--variants", "float,fixed", "--threads", "1"]
    p = subprocess.run([*cmd, "--grid", "48", "--hid-frac", "6"], capture_output=True,
                       text=True)
    assert p.returncode == 0 and "HF 6" in p.stdout and "| fixed |" in p.stdout, p.stderr
    p = subprocess.run([*cmd, "--grid", "32"], capture_output=True, text=True)
    assert p.returncode == 1 and p.stderr.count("\n") == 1 and "larger than" in p.stderr, \
        p.stderr


def test_average_models(tmp_path):
    """weights/average.py: one model (or a model twice) comes back unchanged; two give the
    mean of their weights to within half a step of the output's scales; models of another
    format are refused in one line naming the field."""
    sys.path.insert(0, WEIGHTS)
    import average
    import nca_int as ni
    tool = [sys.executable, os.path.join(WEIGHTS, "average.py")]
    a, b = (os.path.join(WEIGHTS, f"regen-{n}.bin") for n in ("ladybug", "mushroom"))
    raw = open(a, "rb").read()
    for ins in ([a], [a, a]):
        r = subprocess.run([*tool, *ins, "-o", str(tmp_path / "one.bin")], capture_output=True,
                           text=True)
        assert r.returncode == 0, r.stderr
        assert (tmp_path / "one.bin").read_bytes() == raw
    ma, mb = ni.load_model(a), ni.load_model(b)
    m = average.average([ma, mb], desc="mean")
    assert m.name == ma.name and m.desc == "mean"
    got = ni.dequantize(m)
    for k, (x, y, g) in enumerate(zip(ni.dequantize(ma), ni.dequantize(mb), got)):
        mean = (x + y) / 2
        shift = m.shift1 if k < 2 else m.shift2
        frac = m.hid_frac if k < 2 else m.state_frac  # the accumulator's fraction bits
        if k in (0, 2):  # weights: one int8 step of the row, in real units
            other = m.state_frac if k == 0 else m.hid_frac
            step = np.ldexp(1.0, -(shift + frac) + other)[:, None]
            assert (np.abs(g - mean) <= step / 2 + 1e-12).all(), k
            assert np.abs(g - mean).max() > 0  # the inputs differ: a real average
        else:  # biases: half a step of the accumulator (int32)
            assert (np.abs(g - mean) <= np.ldexp(1.0, -(shift + frac)) / 2 + 1e-15).all(), k
    mb.hid_frac = 6
    with pytest.raises(ni.ModelError, match="model 2 has hid_frac 6, model 1 has 7"):
        average.average([ma, mb])
    bad = tmp_path / "bad.bin"
    bad.write_bytes(raw[:100])
    r = subprocess.run([*tool, a, str(bad), "-o", str(tmp_path / "x.bin")],
                       capture_output=True, text=True)
    assert r.returncode == 1 and len(r.stderr.splitlines()) == 1 and "bad.bin" in r.stderr
    assert not (tmp_path / "x.bin").exists()


@pytest.mark.skipif(not os.path.exists(FONT), reason="fonts-noto-color-emoji not installed")
def test_emoji_target(tmp_path):
    sys.path.insert(0, WEIGHTS)
    import emoji_target
    out = tmp_path / "b.png"
    assert emoji_target.main(["U+1F98B", "-o", str(out)]) == 0
    from PIL import Image
    img = Image.open(out)
    assert max(img.size) == 40 and img.mode == "RGBA"
    a = np.asarray(img)[..., 3]
    assert a.min() == 0 and a.max() == 255 and 0.2 < (a > 0).mean() < 0.9


def test_catalogue_targets_exist():
    r = subprocess.run([sys.executable, os.path.join(WEIGHTS, "train", "train_models.py"),
                        "--list"], capture_output=True, text=True)
    assert r.returncode == 0
    names = [line.split()[0] for line in r.stdout.splitlines()]
    assert {"grow", "persist", "regen"} <= set(names) and len(names) >= 6
    for line in r.stdout.splitlines():
        assert os.path.isfile(os.path.join(WEIGHTS, "..", line.split()[2])), line


def test_profile_train_reports_parts_and_losses():
    """weights/profile_train.py: one iteration, its parts' CPU seconds add up to the total,
    one loss per iteration, and the same seed gives the same losses (the measurement is
    repeatable, so two BLAS libraries can be compared on it)."""
    pytest.importorskip("torch")
    outs = []
    for _ in range(2):
        r = subprocess.run([sys.executable, os.path.join(WEIGHTS, "profile_train.py"),
                            "--iters", "2", "--seed", "4"],
                           capture_output=True, text=True, timeout=300)
        assert r.returncode == 0, r.stderr
        outs.append(r.stdout)
    line = [ln for ln in outs[0].splitlines() if ln.startswith("CPU s/iteration:")][0]
    total = float(line.split()[2])
    parts = [float(v.rstrip(",)")) for v in line.split("(")[1].split()[1::2]]
    assert len(parts) == 5 and abs(sum(parts) - total) < 0.02 + 0.01 * total
    losses = [ln for ln in outs[0].splitlines() if ln.startswith("losses:")][0].split()[1:]
    assert len(losses) == 2 and all(0.0 < float(v) < 1.0 for v in losses)
    again = [ln for ln in outs[1].splitlines() if ln.startswith("losses:")][0].split()[1:]
    assert losses == again


def _pnr_report(path, achieved, constraint=24.0):
    path.write_text(json.dumps({"fmax": {"clk": {"achieved": achieved, "constraint": constraint}},
                                "utilization": {"ICESTORM_LC": {"used": 5225, "available": 5280}}}))


def test_bitstream_report_timing_verdict_per_seed(tmp_path):
    """tools/bitstream.sh's seed sweep: --timing passes a run that meets its clock and fails one
    that misses it or cannot be read; the report names every seed tried and decides on the last."""
    tool = os.path.join(os.path.dirname(WEIGHTS), "tools", "bitstream_report.py")
    rep = tmp_path / "nextpnr-report.json"
    _pnr_report(rep, 23.73)
    r = subprocess.run([sys.executable, tool, "--timing", str(rep)], capture_output=True, text=True)
    assert (r.returncode, r.stdout.strip()) == (1, "23.73")
    _pnr_report(rep, 25.57)
    r = subprocess.run([sys.executable, tool, "--timing", str(rep)], capture_output=True, text=True)
    assert (r.returncode, r.stdout.strip()) == (0, "25.57")
    r = subprocess.run([sys.executable, tool, "--timing", str(tmp_path / "none.json")],
                       capture_output=True, text=True)
    assert r.returncode == 1 and "none.json" in r.stderr
    args = [sys.executable, tool, "--board", "icebreaker", "--family", "ice40", "--out", str(tmp_path),
            "--grid", "64x64", "--build-id", "0", "--lanes", "8", "--clk-mhz", "24", "--core", "1",
            "--hidden", "128", "--channels", "16", "--seconds", "1", "--pnr-rc", "0",
            "--seeds", " 1:23.73 2:25.57"]
    r = subprocess.run(args, capture_output=True, text=True)
    assert r.returncode == 0, r.stdout
    assert "| nextpnr seed | 2 (tried: 1: 23.73 MHz, 2: 25.57 MHz) |" in r.stdout
    assert "bitstream_icebreaker: PASS" in r.stdout
    _pnr_report(rep, 23.32)
    r = subprocess.run(args[:-1] + [" 1:23.73 2: 3:23.32"], capture_output=True, text=True)
    assert r.returncode == 1
    assert "tried: 1: 23.73 MHz, 2: no route, 3: 23.32 MHz" in r.stdout
    assert "FAIL: clock clk: Fmax 23.32 MHz < target 24.00 MHz" in r.stdout

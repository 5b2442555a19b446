# SPDX-License-Identifier: Apache-2.0
"""CI smoke test of the trainer: a tiny model trained on the CPU, exported, loaded by the C
model and run bit-exactly in both; resume gives the same model as an unbroken run."""
import json
import os
import subprocess
import sys

import numpy as np
import pytest

pytest.importorskip("torch")

from conftest import WEIGHTS, run_tool  # noqa: E402
import nca_int as ni  # noqa: E402

TRAIN = os.path.join(WEIGHTS, "train.py")
LIZARD = os.path.join(WEIGHTS, "targets", "lizard.png")
# a tiny regen run: 16 px target on a 24x24 grid, short rollouts, small pool
TINY = ["--experiment", "regen", "--target", LIZARD, "--target-size", "16", "--grid", "24",
        "--batch", "4", "--pool", "16", "--damage-n", "1", "--steps-min", "12",
        "--steps-max", "16", "--lr-drop-at", "4", "--threads", "1", "--seed", "5",
        "--log-every", "2", "--quiet"]


def train(out, *extra, rc=0):
    r = subprocess.run([sys.executable, TRAIN, *TINY, "--out", str(out), *extra],
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == rc, r.stderr
    return r


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    out = tmp_path_factory.mktemp("tiny")
    train(out, "--iters", "8", "--ckpt-every", "4")
    return out


def test_outputs(tiny):
    for f in ("model.bin", "ckpt.pt", "loss.png", "train.log", "run.json",
              "checkpoints/iter00004.bin", "checkpoints/iter00008.bin"):
        assert (tiny / f).is_file(), f
    # the last export is kept under its iteration too (a resumed run rewrites model.bin)
    assert (tiny / "checkpoints/iter00008.bin").read_bytes() == (tiny / "model.bin").read_bytes()
    rows = [json.loads(x) for x in (tiny / "train.log").read_text().splitlines()]
    assert [r["it"] for r in rows] == list(range(1, 9))
    assert rows[0]["lr"] == 2e-3 and rows[-1]["lr"] == pytest.approx(2e-4)
    assert all(np.isfinite(r["loss"]) for r in rows)
    m = ni.load_model(tiny / "model.bin")
    assert m.name == "regen-lizard" and (m.w2 != 0).any()  # the zero layer has learnt


def test_c_loads_and_runs_bitexact(nca_host, tiny, tmp_path):
    model = tiny / "model.bin"
    assert run_tool(nca_host, "--model", model, "--info").returncode == 0
    m = ni.load_model(model)
    for boundary in ("zero", "wrap"):
        out = tmp_path / f"c-{boundary}.ncas"
        run_tool(nca_host, "--model", model, "--grid", "24x24", "--steps", "10", "--seed", "9",
                 "--boundary", boundary, "--save-state", out, "--quiet")
        g = ni.Grid.new(m, 24, 24, seed=9, boundary=1 if boundary == "wrap" else 0)
        g.seed_centre()
        ni.run(m, g, 10)
        assert ni.serialize_state(g) == out.read_bytes()


def test_resume_is_seamless(tiny, tmp_path):
    """Stopped by --time-limit (exit 75), resumed to 8 == 8 in one go (same seed, CPU)."""
    half = tmp_path / "half"
    train(half, "--iters", "8", "--ckpt-every", "0", "--time-limit", "0.001", rc=75)
    assert (half / "pool.npz").is_file()
    # as if the stopped run had logged on to iteration 12 and died before a checkpoint
    rows = (half / "train.log").read_text().splitlines()
    assert [json.loads(x)["it"] for x in rows] == [1]
    died = rows + [json.dumps({"it": i, "loss": 1.0}) for i in range(2, 13)]
    (half / "train.log").write_text("\n".join(died) + "\n")
    train(half, "--resume")  # --iters too comes from the checkpoint
    assert (half / "model.bin").read_bytes() == (tiny / "model.bin").read_bytes()
    assert len((half / "train.log").read_text().splitlines()) == 8
    # the rows past the checkpoint are kept beside it, not overwritten
    assert (half / "train.log.to-iter00012").read_text().splitlines() == died


def test_ema(tiny, tmp_path):
    """--ema D: the weights trained are those of a run without it (its -last.bin exports
    match byte for byte); the model exported is the average, updated once an iteration as
    ema = D * ema + (1 - D) * weights from the first weights; a resumed run keeps it."""
    import torch
    import train as tr
    d = 0.75
    out = tmp_path / "ema"
    train(out, "--iters", "8", "--ckpt-every", "4", "--ema", str(d))
    for it in (4, 8):
        last = (out / f"checkpoints/iter{it:05d}-last.bin").read_bytes()
        assert last == (tiny / f"checkpoints/iter{it:05d}.bin").read_bytes()
        assert (out / f"checkpoints/iter{it:05d}.bin").read_bytes() != last
    assert (out / "model.bin").read_bytes() == (out / "checkpoints/iter00008.bin").read_bytes()
    m = ni.load_model(out / "model.bin")
    assert m.desc.endswith("iter 8 ema 0.75")
    # one iteration from a known start: the average is exactly that of the rule above
    one = tmp_path / "one"
    train(one, "--iters", "1", "--init", str(tiny / "model.bin"), "--ema", str(d))
    ck = tr.load_ckpt_file(str(one / "ckpt.pt"))
    w0 = ni.dequantize(ni.load_model(tiny / "model.bin"))
    for e, k, v in zip(ck["ema"], ("w1", "b1", "w2", "b2"), w0):
        want = torch.as_tensor(np.asarray(v), dtype=torch.float32).mul_(d)
        want.add_(ck["model"][k], alpha=1.0 - d)
        assert torch.equal(e, want), k
    import nca_qat as nq
    q = nq.QNCA(hid_frac=m.hid_frac)
    got = ni.load_model(one / "model.bin")
    want = q.to_model(got.name, got.desc, ck["ema"])
    assert ni.serialize_model(want) == (one / "model.bin").read_bytes()
    # stopped after its first iteration and resumed: the same average as in one go
    half = tmp_path / "half"
    train(half, "--iters", "8", "--ckpt-every", "0", "--time-limit", "0.001", "--ema", str(d),
          rc=75)
    train(half, "--iters", "8", "--resume")
    assert (half / "model.bin").read_bytes() == (out / "model.bin").read_bytes()
    r = subprocess.run([sys.executable, TRAIN, "--ema", "1", "--out", "x"],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 2 and "--ema must lie in 0..1" in r.stderr, r.stderr


def test_twin_sparse_is_dense(tmp_path):
    """--twin with the sparse step (the CPU default) logs the losses of the dense one, fixed
    and float alike, to float32 rounding."""
    rows = {}
    for mode in ("on", "off"):
        out = tmp_path / mode
        train(out, "--iters", "3", "--twin", "0.5", "--sparse", mode)
        rows[mode] = [json.loads(x) for x in (out / "train.log").read_text().splitlines()]
    for a, b in zip(rows["on"], rows["off"]):
        assert a["loss"] == pytest.approx(b["loss"], rel=1e-4)
        assert a["loss_float"] == pytest.approx(b["loss_float"], rel=1e-4)
    assert len(rows["on"]) == 3 and all(np.isfinite(r["loss_float"]) for r in rows["on"])


def test_set_aside_log(tmp_path):
    """train.log is renamed only when it holds rows past the run's start, or is not a log."""
    import train as tr
    log = tmp_path / "train.log"
    assert tr.set_aside_log(str(log), 0) is None  # none yet
    log.write_text("".join(json.dumps({"it": i}) + "\n" for i in (1, 2, 3)))
    assert tr.set_aside_log(str(log), 3) is None and log.exists()  # the checkpoint has all
    assert tr.set_aside_log(str(log), 2) == str(log) + ".to-iter00003" and not log.exists()
    log.write_text("not json\n")
    assert tr.set_aside_log(str(log), 0) == str(log) + ".old"


def test_help():
    r = subprocess.run([sys.executable, TRAIN, "--help"], capture_output=True, text=True)
    assert r.returncode == 0 and "--experiment" in r.stdout and "--resume" in r.stdout


def test_damage_masks():
    """--damage mixed: discs, the four halves of the grid and squares of a third of the
    pattern, each erasing what it says; disc keeps the notebook's masks bit for bit."""
    sys.path.insert(0, WEIGHTS)
    import train as tr
    h, w = 24, 32
    disc = tr.damage_masks(np.random.default_rng(3), 50, h, w, "disc")
    assert (disc == tr.circle_masks(np.random.default_rng(3), 50, h, w)).all()
    m = tr.damage_masks(np.random.default_rng(3), 300, h, w, "mixed", pattern=18)
    halves = [np.arange(w)[None, :] < w // 2, np.arange(w)[None, :] >= w // 2,
              np.arange(h)[:, None] < h // 2, np.arange(h)[:, None] >= h // 2]
    halves = [np.broadcast_to(x, (h, w)) for x in halves]
    kinds = {"half": 0, "square": 0, "disc": 0}
    for x in m:
        if any((x == hm).all() for hm in halves):
            kinds["half"] += 1
            continue
        ys, xs = np.nonzero(x)
        if len(ys) == 36 and np.ptp(ys) == 5 and np.ptp(xs) == 5:  # a 6 x 6 square
            kinds["square"] += 1
        else:
            kinds["disc"] += 1
    assert all(60 < n < 140 for n in kinds.values()), kinds
    # tests: a fourth of the damages is the centred square (rows 9..14, columns 13..18 here)
    m = tr.damage_masks(np.random.default_rng(3), 400, h, w, "tests", pattern=18)
    centred = np.zeros((h, w), bool)
    centred[12 - 3:12 + 3, 16 - 3:16 + 3] = True
    n = sum((x == centred).all() for x in m)
    assert 60 < n < 140, n


def test_damage_weights():
    """--damage-weights: each damage drawn from the given kinds in proportion; a bad list
    is one argparse error naming the item."""
    sys.path.insert(0, WEIGHTS)
    import train as tr
    h, w = 24, 32
    m = tr.damage_masks(np.random.default_rng(4), 400, h, w, "tests", 18,
                        tr.damage_weights("right=3,centre=1"))
    right = np.broadcast_to(np.arange(w)[None, :] >= w // 2, (h, w))
    centred = np.zeros((h, w), bool)
    centred[12 - 3:12 + 3, 16 - 3:16 + 3] = True
    n_right = sum((x == right).all() for x in m)
    n_centre = sum((x == centred).all() for x in m)
    assert n_right + n_centre == 400 and 250 < n_right < 350, (n_right, n_centre)
    for bad, why in (("left=1,nose=2", "'nose': not one of"), ("left=-1", "finite and >= 0"),
                     ("disc=0", "no damage has a weight")):
        r = subprocess.run([sys.executable, TRAIN, "--damage-weights", bad, "--out", "x"],
                           capture_output=True, text=True, timeout=120)
        assert r.returncode == 2 and why in r.stderr, r.stderr


REF_BLAS = "/usr/lib/x86_64-linux-gnu/blas"


@pytest.mark.skipif(not os.path.exists(os.path.join(REF_BLAS, "libblas.so.3")),
                    reason="no reference BLAS to compare against")
def test_reference_blas_hint(tmp_path):
    """On the reference BLAS (Debian's default for python3-torch) train.py says so and names
    the fix in one stderr line; it trains all the same."""
    args = [a for a in TINY if a != "--quiet"]
    env = dict(os.environ, LD_LIBRARY_PATH=REF_BLAS)
    r = subprocess.run([sys.executable, TRAIN, *args, "--iters", "1", "--out", str(tmp_path)],
                       capture_output=True, text=True, env=env, timeout=300)
    assert r.returncode == 0, r.stderr
    hint = [ln for ln in r.stderr.splitlines() if "reference BLAS" in ln]
    assert len(hint) == 1 and REF_BLAS in hint[0] and "libopenblas0-pthread" in hint[0], r.stderr


def test_openblas_coretype():
    """The kernel set named from /proc/cpuinfo's flags: SkylakeX needs all four AVX-512
    subsets, Haswell AVX2 and FMA; anything less is left to OpenBLAS."""
    import train as tr
    base = "processor\t: 0\nmodel name\t: Intel(R) Xeon(R) Processor\nflags\t\t: fpu sse sse2 sse3"
    assert tr.openblas_coretype(base) is None
    assert tr.openblas_coretype(base + " avx avx2") is None
    assert tr.openblas_coretype(base + " avx avx2 fma") == "Haswell"
    assert tr.openblas_coretype(base + " avx2 fma avx512f avx512bw avx512dq") == "Haswell"
    assert tr.openblas_coretype(base + " avx2 fma avx512f avx512bw avx512dq avx512vl") \
        == "SkylakeX"
    assert tr.openblas_coretype("") is None


def test_openblas_coretype_set_before_torch():
    """train.py sets OPENBLAS_CORETYPE (unless the user did) before torch loads its BLAS; a
    value the user set stays."""
    probe = ("import os, sys; sys.path.insert(0, %r); import train; "
             "print(os.environ.get('OPENBLAS_CORETYPE'))" % os.path.dirname(TRAIN))
    env = {k: v for k, v in os.environ.items() if k != "OPENBLAS_CORETYPE"}
    r = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, env=env,
                       timeout=120)
    assert r.returncode == 0, r.stderr
    import train as tr
    with open("/proc/cpuinfo") as f:
        assert r.stdout.strip() == str(tr.openblas_coretype(f.read()))
    env["OPENBLAS_CORETYPE"] = "Prescott"
    r = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, env=env,
                       timeout=120)
    assert r.returncode == 0 and r.stdout.strip() == "Prescott", r.stderr


def test_reseed():
    """--reseed worst restarts the highest-loss sample of the batch from the seed; random
    restarts one undamaged sample at random and keeps the highest-loss one as it was."""
    sys.path.insert(0, WEIGHTS)
    import torch
    import train as tr
    for how in ("worst", "random"):
        t = tr.Trainer(tr.parse_args([*TINY, "--out", "x", "--reseed", how]))
        n = t.a.pool
        # sample i: the target's RGBA with 0.01 * (i + 1) added, so its loss grows with i
        x = torch.zeros_like(t._real(t.pool))
        for i in range(n):
            x[i, ..., :4] = t.target + 0.01 * (i + 1)
        t.pool[:] = t._words(x)
        kept_worst = 0
        for _ in range(30):
            idx, x0 = t.batch()
            undamaged = x0[:t.a.batch - t.a.damage_n]
            is_seed = [bool((s == t.seed[0]).all()) for s in undamaged]
            assert sum(is_seed) == 1, is_seed
            worst = int(idx.max())  # the highest-loss sample drawn
            assert int(idx[0]) == worst
            if how == "worst":
                assert is_seed[0]
            elif not is_seed[0]:
                assert torch.equal(x0[0], t._real(t.pool[worst]))
                kept_worst += 1
        if how == "random":  # 1 in 3 batches reseeds position 0: keeps it ~20 of 30
            assert 10 <= kept_worst < 30, kept_worst

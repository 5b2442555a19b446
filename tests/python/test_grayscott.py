# SPDX-License-Identifier: Apache-2.0
"""The Gray-Scott PDE reference (build/nca-grayscott) and model (weights/grayscott.bin):
the solver against a small numpy one, its initial conditions and state files, the model
listed as a PDE and run from a state file by nca-host, the trainer's fast step against the
spec, and a short run of the model that follows the PDE from a start it never saw."""
import os
import subprocess
import sys

import numpy as np
import pytest

from conftest import BUILD, ROOT, WEIGHTS, built, run_tool  # noqa: E402
import nca_int as ni  # noqa: E402

SOLVER = os.environ.get("NCA_GRAYSCOTT", os.path.join(ROOT, BUILD, "nca-grayscott"))
MODEL = os.path.join(WEIGHTS, "grayscott.bin")
DA, DB, ALPHA, GAMMA = 0.1, 0.05, 0.06230, 0.06268


@pytest.fixture(scope="module")
def solver():
    return built(SOLVER, "NCA_GRAYSCOTT")


def lap9(u):
    """[[1,2,1],[2,-12,2],[1,2,1]] / 4, periodic."""
    def r(dy, dx):
        return np.roll(np.roll(u, dy, 0), dx, 1)
    return (r(1, 1) + r(1, -1) + r(-1, 1) + r(-1, -1)
            + 2 * (r(0, 1) + r(0, -1) + r(1, 0) + r(-1, 0)) - 12 * u) / 4


def np_step(a, b):
    ab2 = a * b * b
    return (a + DA * lap9(a) - ab2 + ALPHA * (1 - a),
            b + DB * lap9(b) + ab2 - (GAMMA + ALPHA) * b)


@pytest.mark.parametrize("family", ["train", "test"])
def test_solver_matches_numpy(solver, tmp_path, family):
    npy = tmp_path / "t.npy"
    run_tool(solver, "--ic", family, "--seed", 3, "--grid", "24x20", "--steps", 6, "--every", 1,
          "--npy", npy, "--quiet")
    y = np.load(npy)
    assert y.shape == (7, 20, 24, 2) and y.dtype == np.float32
    a, b = y[0, ..., 0].astype(np.float64), y[0, ..., 1].astype(np.float64)
    for t in range(1, 7):
        a, b = np_step(a, b)
        # the solver steps in double from its own (unrounded) start: float32 frames agree
        np.testing.assert_allclose(y[t, ..., 0], a, atol=2e-6)
        np.testing.assert_allclose(y[t, ..., 1], b, atol=2e-6)


def test_initial_conditions(solver, tmp_path):
    def ic(family, seed):
        p = tmp_path / f"{family}{seed}.npy"
        run_tool(solver, "--ic", family, "--seed", seed, "--steps", 0, "--npy", p, "--quiet")
        return np.load(p)[0]

    tr, te = ic("train", 1), ic("test", 1)
    assert np.array_equal(tr, ic("train", 1)), "seeded: the same start again"
    assert not np.array_equal(tr, ic("train", 2))
    for y in (tr, te):
        assert y.min() >= 0.0 and y.max() <= 1.0
    # train: squares of B ~ 0.25 (3..6 of side 8..16: at least 3 x 64 cells), noise elsewhere
    assert (tr[..., 1] > 0.2).sum() >= 3 * 64 and np.abs(tr[..., 1][tr[..., 1] < 0.2]).max() <= 0.01
    # test: per-cell noise, far more high-frequency content than the training starts
    # (the median step between horizontal neighbours where both hold B: inside the patches)
    def rough(y):
        b = y[..., 1].astype(np.float64)
        n = np.roll(b, 1, 1)
        return np.median(np.abs(b - n)[(b > 0.1) & (n > 0.1)])
    assert rough(te) > 0.1 and rough(tr) < 0.02, (rough(te), rough(tr))


def test_state_file(solver, tmp_path):
    npy, st = tmp_path / "t.npy", tmp_path / "s.ncas"
    run_tool(solver, "--ic", "test", "--seed", 2, "--grid", "32x16", "--steps", 5, "--every", 1,
          "--npy", npy, "--state", st, "--state-step", 3, "--channels", 8, "--state-frac", 13,
          "--quiet")
    g = ni.load_state(st)
    assert (g.width, g.height, g.channels, g.state_frac, g.step, g.boundary) == \
        (32, 16, 8, 13, 3, ni.BOUNDARY_WRAP)
    want = np.round(np.load(npy)[3].astype(np.float64) * 2 ** 13)
    assert np.abs(g.s[..., :2] - want).max() <= 1  # the frame is float32, the state double
    assert not g.s[..., 2:].any()


def test_solver_errors(solver, tmp_path):
    assert run_tool(solver, "--help").stdout.startswith("usage: nca-grayscott")
    for args in (["--npy", tmp_path / "x.npy", "--ic", "nope"], [],
                 ["--npy", tmp_path / "x.npy", "--grid", "2x64"],
                 ["--state", tmp_path / "x.ncas", "--steps", 4, "--state-step", 5],
                 ["--npy", tmp_path / "x.npy", "--bogus"],
                 ["--state", tmp_path / "x.ncas", "--model", tmp_path / "missing.bin"]):
        r = run_tool(solver, *args, check=False)
        assert r.returncode == 1 and len(r.stderr.strip().splitlines()) == 1, (args, r.stderr)
        assert r.stderr.startswith("nca-grayscott: ")
    # an unstable time step: the field blows up, exit 2
    r = run_tool(solver, "--npy", tmp_path / "x.npy", "--dt", 40, "--steps", 200, check=False)
    assert r.returncode == 2 and "not finite" in r.stderr


def test_model_is_listed_as_pde(nca_host):
    out = run_tool(nca_host, "--list-models", WEIGHTS).stdout
    line = [x for x in out.splitlines() if x.startswith("grayscott.bin ")]
    assert line, out
    assert line[0].split()[1:7] == ["grayscott", "pde", "8", "32", "I+L", "1160"]
    m = ni.load_model(MODEL)
    assert m.flags == ni.FLAG_ALL_ACTIVE and m.fire_q == ni.FIRE_ALWAYS
    assert m.boundary == ni.BOUNDARY_WRAP and m.kernels == ni.K_IDENTITY | ni.K_LAPLACE


def test_fast_step_is_the_spec():
    """The trainer's channels-first step == nca_int.step (the C model's numbers)."""
    torch = pytest.importorskip("torch")
    import train_grayscott as tg
    m = ni.load_model(MODEL)
    q = tg.nq.QNCA.from_model(m)
    q.all_active = True
    step = tg.FastStep(q)
    g = ni.Grid.new(m, 20, 12, seed=1)
    rng = np.random.default_rng(4)
    g.s[...] = rng.integers(0, 2 ** m.state_frac // 2, g.s.shape)
    x = tg.to_cf(torch.as_tensor(g.s.astype(np.float64) * 2.0 ** -m.state_frac,
                                 dtype=torch.float32)[None])
    x = tg.rollout(step, x, 5)
    for _ in range(5):
        ni.step(m, g)
    got = torch.round(x[0].permute(1, 2, 0) * 2.0 ** m.state_frac).numpy().astype(np.int16)
    assert np.array_equal(got, g.s)


def test_tracks_the_pde_from_an_unseen_start(solver, nca_host, tmp_path):
    """256 steps of the C model from a test-family start: finite, in range, and B follows
    the PDE's (the full measurement at 1024 and 2048 steps: make grayscott)."""
    npy, ic, out = tmp_path / "p.npy", tmp_path / "ic.ncas", tmp_path / "c.ncas"
    run_tool(solver, "--ic", "test", "--seed", 1, "--steps", 256, "--every", 256, "--npy", npy,
          "--state", ic, "--model", MODEL, "--quiet")
    run_tool(nca_host, "--model", MODEL, "--load-state", ic, "--steps", 256, "--view", "none",
             "--quiet", "--save-state", out)
    g = ni.load_state(out)
    v = g.s[..., :2].astype(np.float64) * 2.0 ** -g.state_frac
    p = np.load(npy)[1].astype(np.float64)
    assert g.step == 256 and np.isfinite(v).all()
    assert v.min() > -0.1 and v.max() < 1.1
    err = np.mean((v - p) ** 2)
    still = np.mean((np.load(npy)[0] - p) ** 2)  # predicting no change
    assert err < 0.5 * still, (err, still)
    assert np.corrcoef(v[..., 1].ravel(), p[..., 1].ravel())[0, 1] > 0.8


def test_trainer_smoke(tmp_path, nca_host):
    """A tiny run: data from the solver, two updates, a model the C model loads."""
    pytest.importorskip("torch")
    out = tmp_path / "run"
    r = subprocess.run([sys.executable, os.path.join(WEIGHTS, "train_grayscott.py"), "--out",
                        out, "--grid", "16", "--trajectories", "2", "--steps", "64", "--every",
                        "16", "--minibatch", "3", "--iters", "3", "--val-every", "2",
                        "--threads", "1", "--quiet", "--solver", SOLVER],
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    for f in ("model.bin", "best.bin", "ckpt.pt", "loss.png", "train.log", "run.json"):
        assert (out / f).is_file(), f
    m = ni.load_model(out / "model.bin")
    assert m.flags == ni.FLAG_ALL_ACTIVE and m.channels == 8 and m.hidden == 32
    assert "pde" in m.desc and (m.w2 != 0).any()
    run_tool(nca_host, "--model", out / "model.bin", "--grid", "16x16", "--steps", "4",
             "--view", "none", "--quiet")

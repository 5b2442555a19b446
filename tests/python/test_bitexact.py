# SPDX-License-Identifier: Apache-2.0
"""The Python integer path (weights/nca_int.py) against the C model (nca-host), word for word."""
import os

import numpy as np
import pytest

from conftest import WEIGHTS, model_files, run_tool
import nca_int as ni

MODELS = model_files()
GRID = (48, 48)
STEPS = 50
DAMAGE = ("circle:20,20,6", 25)


def python_run(m, width, height, seed, boundary, steps, damage=(), start=None):
    g = ni.Grid.new(m, width, height, seed=seed, boundary=boundary)
    if start is None:
        g.seed_centre()
    else:
        g.s, g.step = start.s.copy(), start.step
    ni.run(m, g, steps, damage)
    return g


def c_run(host, model_path, tmp_path, width, height, seed, boundary, steps, damage=(),
          extra=()):
    out = tmp_path / f"c-{seed}-{boundary}.ncas"
    args = ["--model", model_path, "--steps", steps, "--grid", f"{width}x{height}",
            "--seed", seed, "--boundary", "wrap" if boundary else "zero",
            "--save-state", out, "--quiet", *extra]
    for spec, at in damage:
        args += ["--damage", f"{spec}@{at}"]
    run_tool(host, *args)
    return out


def test_models_present():
    assert MODELS, "no .bin models under weights/"


@pytest.mark.parametrize("boundary", [ni.BOUNDARY_ZERO, ni.BOUNDARY_WRAP], ids=["zero", "wrap"])
@pytest.mark.parametrize("path", MODELS, ids=[os.path.relpath(p, WEIGHTS)
                                              for p in MODELS])
def test_model_matches_c(nca_host, tmp_path, path, boundary):
    """50 steps with a damage event at 25, full state compared (and the state file bytes)."""
    m = ni.load_model(path)
    seed = 1000 + len(path) * 7 + boundary
    g = python_run(m, *GRID, seed, boundary, STEPS, [DAMAGE])
    c_file = c_run(nca_host, path, tmp_path, *GRID, seed, boundary, STEPS, [DAMAGE])
    c = ni.load_state(c_file)
    assert (c.width, c.height, c.channels, c.step, c.seed, c.boundary) == \
        (GRID[0], GRID[1], m.channels, STEPS, seed, boundary)
    diff = np.argwhere(c.s != g.s)
    assert len(diff) == 0, f"first difference at (y, x, c) {diff[0]}: C {c.s[tuple(diff[0])]} " \
                           f"Python {g.s[tuple(diff[0])]}"
    if m.flags & ni.FLAG_ALL_ACTIVE:  # no alive mask (a PDE model): the state must not be 0
        assert g.s.any(), "state all zero: the comparison would be vacuous"
    else:
        assert (g.s[..., 3] > m.alive_q).any(), "pattern died: the comparison would be vacuous"
    assert ni.serialize_state(g) == c_file.read_bytes()


def random_model(rng, channels, hidden, kernels, scale1, scale2, bias=0.1, flags=0,
                 fire_rate=0.5):
    I = ni.filters_of(kernels) * channels
    w1 = rng.normal(0, scale1, (hidden, I)).astype(np.float32)
    b1 = rng.normal(0, bias, hidden).astype(np.float32)
    w2 = rng.normal(0, scale2, (channels, hidden)).astype(np.float32)
    b2 = rng.normal(0, bias * 0.1, channels).astype(np.float32)
    return ni.quantize(w1, b1, w2, b2, kernels=kernels, name="random", flags=flags,
                       fire_rate=fire_rate)


@pytest.mark.parametrize("channels,hidden,kernels,scale2", [
    (16, 128, ni.K_ALL, 0.05),        # Laplacian too
    (8, 32, ni.K_IDENTITY | ni.K_LAPLACE, 0.5),
    (4, 7, ni.K_IDENTITY | ni.K_SOBEL_Y, 2.0),
    (12, 64, ni.K_DISTILL, 1.5),      # large updates: uint8 and int16 saturation
])
def test_random_models_match_c(nca_host, tmp_path, channels, hidden, kernels, scale2):
    """Shapes, kernel sets and saturating weights the Distill models never exercise."""
    rng = np.random.default_rng(channels * 1000 + hidden)
    m = random_model(rng, channels, hidden, kernels, 0.3, scale2)
    path = tmp_path / "random.bin"
    ni.save_model(path, m)
    sat_state = sat_hidden = False
    for boundary in (0, 1):
        for steps in (3, 6, 30):  # compared early too: saturating models may die out
            dmg = [("square:10,8,5", 12)] if steps > 12 else []
            g = python_run(m, 21, 17, 5, boundary, steps, dmg)
            c = ni.load_state(c_run(nca_host, path, tmp_path, 21, 17, 5, boundary, steps, dmg))
            assert (c.s == g.s).all(), f"boundary {boundary}, {steps} steps"
            sat_state |= bool((g.s == 32767).any() or (g.s == -32768).any())
            _, h = ni.mlp(m, ni.perceive(m, g.s, boundary).reshape(-1, m.inputs), True)
            sat_hidden |= bool((h == 255).any())
    if channels == 12:
        assert sat_state and sat_hidden, "saturation not exercised"


@pytest.mark.parametrize("fire_rate", [0.5, 1.0])
def test_all_active_matches_c(nca_host, tmp_path, fire_rate):
    """No alive masking (flags bit 0): every cell is updated and kept, from a seed cell on
    an otherwise empty grid; deterministic at fire rate 1.0. C and Python agree."""
    rng = np.random.default_rng(77)
    m = random_model(rng, 8, 32, ni.K_IDENTITY | ni.K_LAPLACE, 0.3, 0.3,
                     flags=ni.FLAG_ALL_ACTIVE, fire_rate=fire_rate)
    path = tmp_path / "pde.bin"
    ni.save_model(path, m)
    for boundary in (0, 1):
        g = python_run(m, 13, 9, 3, boundary, 8)
        c = ni.load_state(c_run(nca_host, path, tmp_path, 13, 9, 3, boundary, 8))
        assert (c.s == g.s).all(), f"boundary {boundary}"
        assert (g.s != 0).any(axis=-1).all(), "a cell was erased"


def test_state_written_by_python_continues_in_c(nca_host, tmp_path):
    """A Python-written state file is loaded by nca-host (--load-state) and continued."""
    path = MODELS[0]
    m = ni.load_model(path)
    g = python_run(m, 40, 40, 3, 0, 30)
    f = tmp_path / "py.ncas"
    ni.save_state(f, g)
    out = c_run(nca_host, path, tmp_path, 40, 40, 3, 0, 20, extra=["--load-state", f])
    c = ni.load_state(out)
    # nca-host (as of this writing) restarts the step counter at 0 after --load-state
    # instead of taking the file's; follow whichever it did
    g.step = c.step - 20
    assert g.step in (0, 30)
    ni.run(m, g, 20)
    assert (c.s == g.s).all()


def test_damage_shapes():
    w, h = 9, 7
    for spec in ["circle:4,3,2", "circle:-1,0,3", "half:left", "half:right", "half:top",
                 "half:bottom", "square:4,3,3", "square:0,0,4", "square:5,5,0"]:
        mask = ni.damage_mask(spec, w, h)
        assert mask.shape == (h, w)
    assert ni.damage_mask("half:left", w, h).sum() == 4 * h
    assert ni.damage_mask("square:4,3,3", w, h).sum() == 9
    assert ni.damage_mask("square:4,3,4", w, h)[1:5, 2:6].all()
    with pytest.raises(ValueError):
        ni.damage_mask("triangle:1,2,3", w, h)


def test_rshift_round_and_hash():
    v = np.array([-5, -4, -3, -1, 0, 1, 3, 4, 5, 12, -12])
    assert list(ni.rshift_round(v, 1)) == [-2, -2, -1, 0, 0, 1, 2, 2, 3, 6, -6]
    assert list(ni.rshift_round(v, 0)) == list(v)
    assert list(ni.rshift_round(v, 3)) == [-1, 0, 0, 0, 0, 0, 0, 1, 1, 2, -1]
    # the hash is a function of (seed, step, x, y) only, with x, y taken mod 2^16
    assert ni.fire_hash(1, 2, 3, 4) == ni.fire_hash(1, 2, 3 + 65536, 4 + 65536)
    fm = np.stack([ni.fire_mask(32768, 9, t, 64, 64) for t in range(20)])
    assert abs(fm.mean() - 0.5) < 0.01
    assert ni.fire_mask(0, 9, 0, 8, 8).sum() == 0 and ni.fire_mask(65536, 9, 0, 8, 8).all()

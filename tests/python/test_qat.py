# SPDX-License-Identifier: Apache-2.0
"""The trainer's fake-quantised forward pass (weights/nca_qat.py) against the integer spec."""
import numpy as np
import pytest

torch = pytest.importorskip("torch")

from conftest import model_files  # noqa: E402
import nca_int as ni  # noqa: E402
import nca_qat as nq  # noqa: E402

torch.set_num_threads(1)
MODEL = [p for p in model_files() if "regen-lizard" in p] or model_files()


def test_hash_matches_spec():
    seeds = np.array([0, 1, 7, 2 ** 31 - 1, 2 ** 31, 2 ** 32 - 1, 3735928559])
    steps = np.array([0, 1, 99, 2 ** 20, 2 ** 32 - 1])
    h = nq.fire_hash_torch(seeds, steps, 37, 23, "cpu").numpy().astype(np.uint32)
    ys, xs = np.mgrid[0:23, 0:37]
    ref = ni.fire_hash(seeds[None, :, None, None], steps[:, None, None, None], xs, ys)
    assert (h == ref).all()
    fm = nq.FireMasks(32768, seeds, 5, 37, 23, "cpu")
    full = nq.fire_masks(32768, seeds, np.arange(5), 37, 23, "cpu")
    assert all(bool((fm[t] == full[t]).all()) for t in range(5))
    masks = nq.fire_masks(32768, seeds, steps, 37, 23, "cpu").numpy()
    assert (masks == ((ref >> 16) < 32768)).all()


def test_from_model_round_trip():
    m = ni.load_model(MODEL[0])
    q = nq.QNCA.from_model(m)
    assert ni.serialize_model(q.to_model(m.name, m.desc)) == ni.serialize_model(m)


@pytest.mark.parametrize("dtype,perception", [(torch.float64, "conv"), (torch.float32, "conv"),
                                              (torch.float32, "slices")],
                         ids=["f64", "f32", "f32-slices"])
@pytest.mark.parametrize("sparse", [False, True], ids=["dense", "sparse"])
@pytest.mark.parametrize("boundary", [0, 1], ids=["zero", "wrap"])
def test_forward_is_the_spec(dtype, perception, sparse, boundary):
    """A batch of two runs (different hash seeds) of the fake-quantised step equals the
    integer step word for word at every one of 80 steps, damage included."""
    m = ni.load_model(MODEL[0])
    q = nq.QNCA.from_model(m)
    q.boundary = boundary
    q.perception = perception
    W, H, seeds = 40, 36, [11, 2 ** 32 - 5]
    grids = []
    for s in seeds:
        g = ni.Grid.new(m, W, H, seed=s, boundary=boundary)
        g.seed_centre()
        grids.append(g)
    x = torch.stack([nq.from_words(g.s, dtype=dtype) for g in grids])
    fire = nq.FireMasks(m.fire_q, seeds, 80, W, H, "cpu")
    qw = q.qweights(dtype)
    dmg = ni.damage_mask("circle:18,18,5", W, H)
    with torch.no_grad():
        for t in range(80):
            if t == 50:
                for g in grids:
                    g.damage("circle:18,18,5")
                x = x * torch.as_tensor(~dmg, dtype=dtype)[None, :, :, None]
            for g in grids:
                ni.step(m, g)
            x = q(x, fire[t], qw, sparse)
            for b, g in enumerate(grids):
                w = nq.to_words(x[b])
                assert (w == g.s).all(), f"step {t + 1}, sample {b}"
    assert all((g.s[..., 3] > m.alive_q).sum() > 100 for g in grids)


@pytest.mark.parametrize("sparse", [False, True], ids=["dense", "sparse"])
def test_forward_all_active_is_the_spec(sparse):
    """Without alive masking (the model's FLAG_ALL_ACTIVE, as the Gray-Scott model): the
    fake-quantised step equals the integer step, deterministic (fire rate 1), on a torus of
    random states with most cells immature."""
    rng = np.random.default_rng(5)
    C, H, K = 8, 32, ni.K_IDENTITY | ni.K_LAPLACE
    w1 = rng.normal(0, 0.3, (H, 2 * C)).astype(np.float32)
    w2 = rng.normal(0, 0.05, (C, H)).astype(np.float32)
    m = ni.quantize(w1, rng.normal(0, 0.1, H), w2, rng.normal(0, 0.01, C), kernels=K,
                    state_frac=14, hid_frac=7, boundary=1, fire_rate=1.0,
                    flags=ni.FLAG_ALL_ACTIVE)
    q = nq.QNCA.from_model(m)
    assert q.all_active
    g = ni.Grid.new(m, 23, 17, seed=3, boundary=1)
    g.s = rng.integers(-2000, 2000, g.s.shape).astype(np.int16)
    x = nq.from_words(g.s, 14, dtype=torch.float64)[None]
    fire = nq.FireMasks(m.fire_q, [3], 20, 23, 17, "cpu")
    qw = q.qweights(torch.float64)
    with torch.no_grad():
        for t in range(20):
            ni.step(m, g)
            x = q(x, fire[t], qw, sparse)
            assert (nq.to_words(x[0], 14) == g.s).all(), f"step {t + 1}"


def test_gradients_flow():
    torch.manual_seed(0)
    q = nq.QNCA(rng=np.random.default_rng(0))
    with torch.no_grad():
        q.w2.normal_(0, 0.02)
    x = q.seed_state(2, 24, 24)
    fire = nq.FireMasks(q.fire_q, [1, 2], 20, 24, 24, "cpu")
    qw = q.qweights()
    for t in range(20):
        x = q(x, fire[t], qw, True)
    x[..., :4].square().mean().backward()
    for name, p in q.named_parameters():
        assert p.grad is not None and torch.isfinite(p.grad).all() and p.grad.abs().sum() > 0, name


def test_float_mode_is_dense_tf():
    """quant=False: no rounding, dense update (the notebook's); states leave the grid."""
    m = ni.load_model(MODEL[0])
    q = nq.QNCA.from_model(m, quant=False)
    x = q.seed_state(1, 32, 32, torch.float64)
    fire = nq.FireMasks(q.fire_q, [3], 30, 32, 32, "cpu")
    qw = q.qweights(torch.float64)
    with torch.no_grad():
        for t in range(30):
            x = q(x, fire[t], qw)
    words = x * 2 ** 11
    assert (words != torch.round(words)).any()


def _float_run(q, x, fire, steps, how, damage=None, at=None):
    """quant=False steps: how = dense, sparse, or "pre" (the MLP on the firing cells alive
    before only: the margin left out)."""
    qw = q.qweights(torch.float64)
    C = x.shape[-1]
    states = []
    for t in range(steps):
        if t == at:
            x = x * damage[None, :, :, None]
        if how == "pre":
            pre = q.alive(x)
            idx = (fire[t] & pre).reshape(-1).nonzero().squeeze(1)
            xf = x.reshape(-1, C)
            u = xf.index_select(0, idx) + q.mlp(q.perceive_at(x, idx), qw)
            v = xf.index_copy(0, idx, u).view(x.shape)
            x = v * (pre & q.alive(v)).unsqueeze(-1).to(v.dtype)
        else:
            x = q(x, fire[t], qw, how == "sparse")
        states.append(x)
    return states


def test_float_sparse_is_dense():
    """quant=False, sparse: the MLP on the firing cells within one cell of a living one
    gives the dense update's states and gradients, to float64 rounding: a trained model
    (growth, a damage, regrowth) and a random one from random cells, where living cells die
    beside newborn ones; there, leaving out the margin changes the run."""
    m = ni.load_model(MODEL[0])
    dmg = torch.as_tensor(~ni.damage_mask("half:left", 40, 36), dtype=torch.float64)
    runs = []
    for sparse in (False, True):
        q = nq.QNCA.from_model(m, quant=False).double()
        x = q.seed_state(2, 36, 40, torch.float64)
        fire = nq.FireMasks(q.fire_q, [4, 9], 90, 40, 36, "cpu")
        states = _float_run(q, x, fire, 90, "sparse" if sparse else "dense", dmg, 60)
        states[-1][..., :4].square().mean().backward()
        runs.append(([s.detach() for s in states], [p.grad for p in q.parameters()]))
    (sd, gd), (ss, gs) = runs
    assert (sd[-1][..., 3] > 0.1).sum() > 200  # grown back
    for t, (a, b) in enumerate(zip(sd, ss)):
        assert torch.allclose(a, b, rtol=0, atol=1e-9), f"step {t + 1}"
        assert torch.equal(a != 0, b != 0), f"step {t + 1}"  # the same cells alive
    for a, b in zip(gd, gs):
        assert torch.allclose(a, b, rtol=1e-9, atol=1e-12)
    rng = np.random.default_rng(1)
    mr = ni.quantize(rng.normal(0, 0.5, (32, 48)), rng.normal(0, 0.5, 32),
                     rng.normal(0, 0.05, (16, 32)), rng.normal(0, 0.05, 16))
    q = nq.QNCA.from_model(mr, quant=False).double()
    g = np.random.default_rng(7)
    x0 = torch.as_tensor(np.where(g.random((2, 24, 24, 1)) < 0.15,
                                  g.normal(0, 0.3, (2, 24, 24, 16)), 0.0))
    fire = nq.FireMasks(q.fire_q, [4, 9], 30, 24, 24, "cpu")
    with torch.no_grad():
        dense, sparse, pre = (_float_run(q, x0, fire, 30, how) for how in
                              ("dense", "sparse", "pre"))
    assert all(torch.allclose(a, b, rtol=0, atol=1e-9) for a, b in zip(dense, sparse))
    assert (dense[-1][..., 3] > 0.1).sum() > 500
    assert not torch.allclose(dense[-1], pre[-1], rtol=0, atol=1e-3)

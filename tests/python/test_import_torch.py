# SPDX-License-Identifier: Apache-2.0
"""weights/import_torch.py: plain PyTorch Growing-NCA state dicts -> .bin."""
import os

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from conftest import WEIGHTS, model_files  # noqa: E402
import import_torch  # noqa: E402
import nca_int as ni  # noqa: E402

MODEL = [p for p in model_files() if "regen-lizard" in p][0]


def float_weights():
    m = ni.load_model(MODEL)
    return m, [np.asarray(v, np.float32) for v in ni.dequantize(m)]


def to_channel_major(w1, C=16):
    H = w1.shape[0]
    return w1.reshape(H, 3, C).transpose(0, 2, 1).reshape(H, 3 * C)


def layouts():
    """(state dict, import options) pairs that all describe the same model."""
    m, (w1, b1, w2, b2) = float_weights()
    t = lambda a: torch.tensor(a)  # noqa: E731
    yield "linear-filter", {"fc0.weight": t(w1), "fc0.bias": t(b1), "fc1.weight": t(w2),
                            "fc1.bias": t(b2)}, ["--input-order", "filter"]
    # the TF-notebook port: 1x1 convs in a Sequential, depthwise (channel-major) perception
    yield "conv-channel", {"dmodel.0.weight": t(to_channel_major(w1))[:, :, None, None],
                           "dmodel.0.bias": t(b1),
                           "dmodel.2.weight": t(w2)[:, :, None, None],
                           "dmodel.2.bias": t(b2),
                           "sobel": torch.zeros(48, 1, 3, 3)}, ["--input-order", "channel"]
    # Keras-style kernels [1, 1, in, out], Sobel x/y swapped and not divided by 8
    w1s = w1.reshape(128, 3, 16).copy()
    w1s[:, [1, 2]] = w1s[:, [2, 1]]
    w1s[:, 1:] /= 8.0
    yield "keras-swapped", {"w1.kernel": t(w1s.reshape(128, 48).T)[None, None],
                            "w1.bias": t(b1), "w2.kernel": t(w2.T)[None, None],
                            "w2.bias": t(b2)}, ["--swap-xy", "--sobel-div", "1"]


@pytest.mark.parametrize("name,sd,opts", list(layouts()), ids=lambda v: v if
                         isinstance(v, str) else "")
def test_layouts_import_to_the_same_model(tmp_path, name, sd, opts):
    src = tmp_path / f"{name}.pt"
    torch.save(sd, src)
    out = tmp_path / f"{name}.bin"
    assert import_torch.main([str(src), "-o", str(out), "--name", "x", *opts]) == 0
    ref = ni.load_model(MODEL)
    got = ni.load_model(out)
    for k in ("shift1", "shift2", "w1", "b1", "w2", "b2"):
        assert np.array_equal(getattr(got, k), getattr(ref, k)), k


def test_missing_bias_and_whole_module(tmp_path):
    _, (w1, b1, w2, _) = float_weights()
    mod = torch.nn.Sequential(torch.nn.Linear(48, 128), torch.nn.ReLU(),
                              torch.nn.Linear(128, 16, bias=False))
    with torch.no_grad():
        mod[0].weight.copy_(torch.tensor(w1)); mod[0].bias.copy_(torch.tensor(b1))
        mod[2].weight.copy_(torch.tensor(w2))
    src = tmp_path / "mod.pt"
    torch.save(mod.state_dict(), src)
    out = tmp_path / "mod.bin"
    assert import_torch.main([str(src), "-o", str(out)]) == 0
    assert (ni.load_model(out).b2 == 0).all()


def test_auto_order_picks_the_right_layout(tmp_path, capsys):
    _, (w1, b1, w2, b2) = float_weights()
    sd = {"w1.weight": torch.tensor(to_channel_major(w1)), "w1.bias": torch.tensor(b1),
          "w2.weight": torch.tensor(w2), "w2.bias": torch.tensor(b2)}
    src = tmp_path / "m.pt"
    torch.save(sd, src)
    out = tmp_path / "m.bin"
    target = os.path.join(WEIGHTS, "targets", "lizard.png")
    assert import_torch.main([str(src), "-o", str(out), "--input-order", "auto", "--target",
                              target, "--grid", "56", "--steps", "80"]) == 0
    assert "inputs channel-major" in capsys.readouterr().out
    assert np.array_equal(ni.load_model(out).w1, ni.load_model(MODEL).w1)


def test_rejects_other_shapes(tmp_path):
    src = tmp_path / "bad.pt"
    torch.save({"a.weight": torch.zeros(128, 40), "b.weight": torch.zeros(16, 128)}, src)
    assert import_torch.main([str(src), "-o", str(tmp_path / "bad.bin")]) == 1
    torch.save({"a.weight": torch.zeros(128, 48)}, src)
    assert import_torch.main([str(src), "-o", str(tmp_path / "bad.bin")]) == 1

# SPDX-License-Identifier: Apache-2.0
"""The .bin reader/writer and the quantiser of weights/nca_int.py."""
import base64
import json
import os
import struct
import zlib

import numpy as np
import pytest

from conftest import ROOT, model_files, run_tool
import nca_int as ni

MODELS = model_files()
DISTILL_JSON = os.path.join(ROOT, "weights", "distill", "json")  # shipped with the repository


def small_model():
    rng = np.random.default_rng(3)
    return ni.quantize(rng.normal(0, 0.2, (32, 24)), rng.normal(0, 0.1, 32),
                       rng.normal(0, 0.05, (8, 32)), rng.normal(0, 0.01, 8),
                       kernels=ni.K_DISTILL, name="small", desc="a test model")


@pytest.mark.parametrize("path", MODELS, ids=os.path.basename)
def test_round_trip_committed(path):
    data = open(path, "rb").read()
    m = ni.parse_model(data)
    assert ni.serialize_model(m) == data


def test_round_trip_and_c_reads_python_file(nca_host, tmp_path):
    m = small_model()
    p = tmp_path / "small.bin"
    ni.save_model(p, m)
    m2 = ni.load_model(p)
    for k in ("channels", "hidden", "kernels", "boundary", "fire_q", "state_frac", "hid_frac",
              "alive_q", "name", "desc"):
        assert getattr(m, k) == getattr(m2, k), k
    for k in ("shift1", "shift2", "w1", "b1", "w2", "b2"):
        assert np.array_equal(getattr(m, k), getattr(m2, k)), k
    assert p.stat().st_size == m.file_size() == 188 + 32 + 8 + 32 * 24 + 4 * 32 + 8 * 32 + 32 + 4
    out = run_tool(nca_host, "--model", p, "--info").stdout
    assert "name:        small" in out and "hidden:      32" in out


def _recrc(b: bytearray) -> bytes:
    b[-4:] = struct.pack("<I", zlib.crc32(bytes(b[:-4])) & 0xFFFFFFFF)
    return bytes(b)


def test_rejections(nca_host, tmp_path):
    good = ni.serialize_model(small_model())
    cases = {}
    b = bytearray(good); b[300] ^= 0x01; cases["CRC mismatch"] = bytes(b)
    b = bytearray(good); b[-1] ^= 0x80; cases["CRC mismatch "] = bytes(b)
    cases["truncated: 5 bytes"] = good[:5]
    cases[f"truncated: {len(good) - 1} of {len(good)} bytes"] = good[:-1]
    cases["1 trailing bytes"] = good + b"\0"
    b = bytearray(good); b[0:4] = b"NCAX"; cases["bad magic"] = bytes(b)
    b = bytearray(good); b[4] = 3; cases["unsupported format version 3"] = bytes(b)
    b = bytearray(good); b[22] = 1; cases["reserved header bytes"] = _recrc(b)  # version 1
    b = bytearray(good); b[4] = 2; b[22] = 2; cases["model flags 0x02 unknown"] = _recrc(b)
    b = bytearray(good); b[12] = 17; cases["channels 17 out of range"] = _recrc(b)
    b = bytearray(good); b[13] = 33; cases["does not match dimensions"] = _recrc(b)
    b = bytearray(good); b[14] = 0x0E; cases["kernel set 0x0e invalid"] = _recrc(b)
    b = bytearray(good); b[188] = 25; cases["layer-1 shift 25 of unit 0"] = _recrc(b)
    b = bytearray(good); b[20] = 3; cases["state fraction bits 3"] = _recrc(b)
    b = bytearray(good); b[28] = 7; cases["name or description not printable"] = _recrc(b)
    for i, (msg, data) in enumerate(cases.items()):
        with pytest.raises(ni.ModelError) as e:
            ni.parse_model(data)
        assert msg.strip() in str(e.value), (msg, str(e.value))
        # the C reader rejects the same bytes
        p = tmp_path / f"bad{i}.bin"
        p.write_bytes(data)
        r = run_tool(nca_host, "--model", p, "--info", check=False)
        assert r.returncode == 1 and msg.strip() in r.stderr, (msg, r.stderr)


def test_state_file_round_trip_and_rejection(tmp_path):
    m = small_model()
    g = ni.Grid.new(m, 11, 9, seed=0xDEADBEEF, boundary=1)
    g.seed_centre()
    ni.run(m, g, 7)
    p = tmp_path / "s.ncas"
    ni.save_state(p, g)
    h = ni.load_state(p)
    assert (h.width, h.height, h.channels, h.state_frac, h.step, h.seed, h.boundary) == \
        (11, 9, 8, 11, 7, 0xDEADBEEF, 1)
    assert (h.s == g.s).all()
    b = bytearray(p.read_bytes()); b[30] ^= 4
    with pytest.raises(ni.StateError, match="CRC"):
        ni.parse_state(bytes(b))
    with pytest.raises(ni.StateError, match="not an nca state"):
        ni.parse_state(b"NCAM" + bytes(b[4:]))


@pytest.mark.parametrize("path", MODELS, ids=os.path.basename)
def test_requantise_dequantised_is_identity(path):
    """quantize(dequantize(m)) == m: the quantiser's per-row exponents are stable."""
    m = ni.load_model(path)
    w = [np.asarray(v, np.float32) for v in ni.dequantize(m)]
    q = ni.quantize(*w, kernels=m.kernels, state_frac=m.state_frac, hid_frac=m.hid_frac,
                    boundary=m.boundary, fire_rate=m.fire_q / 65536, alive_threshold=
                    m.alive_q / 2 ** m.state_frac, name=m.name, desc=m.desc, flags=m.flags)
    assert ni.serialize_model(q) == ni.serialize_model(m)


def distill_float(path):
    """The Distill demo JSON as float32 weights, as nca_distill.c decodes it."""
    layers = json.load(open(path))
    out = []
    for L, (n_in, n_out) in zip(layers, ((48, 128), (128, 16))):
        raw = np.frombuffer(base64.b64decode(L["data_b64"]), np.uint8).astype(np.float64)
        raw = raw.reshape(n_in + 1, n_out)
        w = ((raw[:n_in] / 255.0 - 0.5) * L["weight_scale"]).astype(np.float32).T
        b = ((raw[n_in] / 255.0 - 0.5) * L["bias_scale"]).astype(np.float32)
        out += [np.ascontiguousarray(w), b]
    return out


@pytest.mark.parametrize("name", ["ex1-grow-lizard", "ex2-persist-lizard", "ex3-regen-lizard",
                                  "ex3-regen-planarian"])
def test_quantiser_matches_nca_convert(name):
    """Our quantiser on the Distill float weights == nca-convert's committed output."""
    bin_path = os.path.join(ROOT, "weights", "distill", name + ".bin")
    ref = ni.load_model(bin_path)
    m = ni.quantize(*distill_float(os.path.join(DISTILL_JSON, f"distill-{name}.json")),
                    name=ref.name, desc=ref.desc)
    assert ni.serialize_model(m) == open(bin_path, "rb").read()


def test_quantiser_limits():
    rng = np.random.default_rng(0)
    w1, w2 = rng.normal(0, 0.1, (16, 48)), np.zeros((16, 16))
    m = ni.quantize(w1, np.zeros(16), w2, np.zeros(16))
    assert (m.shift2 == 24).all() and (m.w2 == 0).all()  # zero rows: the cap
    assert (np.abs(m.w1).max(axis=1) >= 64).all() and (np.abs(m.w1).max(axis=1) <= 127).all()
    # a bias too large for its row's exponent: nca_quantize fails, fit_bias lowers the row
    b1 = np.zeros(16); b1[0] = 40.0
    w1s = w1.copy(); w1s[0] *= 1e-4
    with pytest.raises(ni.ModelError):
        ni.quantize(w1s, b1, w2, np.zeros(16), fit_bias=False)
    m = ni.quantize(w1s, b1, w2, np.zeros(16))
    assert abs(m.b1[0]) < 2 ** 24 and m.b1[0] / 2 ** (m.shift1[0] + m.hid_frac) == 40.0


def test_flags_version_2(nca_host, tmp_path):
    """A model without alive masking is written as format version 2 with flags byte 22 = 1
    (C and Python alike); without flags the file stays version 1, byte for byte."""
    m = small_model()
    v1 = ni.serialize_model(m)
    assert v1[4] == 1 and v1[22] == 0
    m.flags = ni.FLAG_ALL_ACTIVE
    v2 = ni.serialize_model(m)
    assert v2[4] == 2 and v2[22] == 1 and v2[23:] != v1[23:]
    assert ni.parse_model(v2).flags == ni.FLAG_ALL_ACTIVE
    p = tmp_path / "v2.bin"
    p.write_bytes(v2)
    out = run_tool(nca_host, "--model", p, "--info").stdout
    assert "every cell (no alive masking)" in out


# SPDX-License-Identifier: Apache-2.0
"""nca_qat - the NCA step in PyTorch with the fixed-point spec's fake quantisation.

The forward pass computes what docs/fixed-point.md computes, on real values that all lie on
the spec's grids (state and perception multiples of 2^-SF, hidden multiples of 2^-HF,
weights W / 2^WF per row), so that:

  * in float64 every operation is exact and the step is bit-exact with the integer path
    (nca_int.step, the C model): tests/python/test_qat.py checks it over whole runs;
  * in float32 (training) it is exact except where a layer-1 partial sum exceeds 2^24
    accumulator units (a rounding flip in a few cells in a million, measured by the same test).

Rounding is straight-through (the gradient of round(v) is taken as 1); clamps keep their
natural gradient (ReLU at 0, zero above the uint8 ceiling and outside int16). The per-row
weight exponents are recomputed from the float weights once per iteration with the
exporter's own function (nca_int.quant_rows), so the exported .bin is exactly the model the
last forward pass ran. The fire mask is the spec's hash (seed, step, x, y), computed on the
device in int64; the alive masks and the sparse update are the spec's (a cell that is not
alive before the update is not updated).

Layout: states are [B, H, W, C] (channels last), real values.
"""
from __future__ import annotations

import math
import os
import sys

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import nca_int as ni  # noqa: E402

_M32 = 0xFFFFFFFF


def _i32(v, dev):
    """uint32 values (any int array) as int32 tensors with the same bits."""
    v = np.asarray(v, np.int64) & _M32
    return torch.as_tensor(np.where(v >= 2 ** 31, v - 2 ** 32, v).astype(np.int32), device=dev)


def _yx_words(width, height, dev):
    ys, xs = np.mgrid[0:height, 0:width]
    return _i32(((ys & 0xFFFF) << 16) | (xs & 0xFFFF), dev)


def _hash_i32(a, b, c):
    """nca_int.hash_rounds on int32 tensors (adds wrap, rotations logical)."""
    d = torch.full(torch.broadcast_shapes(a.shape, b.shape, c.shape), ni.HASH_D0 - 2 ** 32,
                   dtype=torch.int32, device=c.device)

    def rotl(v, r):
        return (v << r) | ((v >> (32 - r)) & ((1 << r) - 1))

    return ni.hash_rounds(a, b, c, d, lambda u, v: u + v, rotl)


def fire_hash_torch(seeds, steps, width, height, device):
    """hash(seed, step, x, y) for every (step, sample, y, x): int32 [S, B, H, W] holding the
    uint32 hash bits (two's complement). seeds: B uint32 values, steps: S step numbers."""
    dev = torch.device(device)
    a = _i32(seeds, dev).view(1, -1, 1, 1)
    b = _i32(steps, dev).view(-1, 1, 1, 1)
    c = _yx_words(width, height, dev).view(1, 1, height, width)
    shape = (b.shape[0], a.shape[1], height, width)
    return _hash_i32(a.expand(shape), b.expand(shape), c.expand(shape))


def fire_masks(fire_q, seeds, steps, width, height, device):
    """bool [S, B, H, W]: (hash >> 16) < fire_q."""
    h = fire_hash_torch(seeds, steps, width, height, device)
    return ((h >> 16) & 0xFFFF) < fire_q


class FireMasks:
    """The fire masks of one iteration: masks[t] is bool [B, H, W] for step t of samples
    with the given hash seeds. Precomputed in one go on a GPU, per step (cache-friendly)
    on a CPU."""

    def __init__(self, fire_q, seeds, steps, width, height, device):
        self.dev = torch.device(device)
        self.fire_q = fire_q
        self.shape = (len(seeds), height, width)
        self.a = _i32(seeds, self.dev).view(-1, 1, 1).expand(self.shape)
        self.c = _yx_words(width, height, self.dev).view(1, height, width).expand(self.shape)
        self.all = None
        if self.dev.type != "cpu":
            self.all = fire_masks(fire_q, seeds, np.arange(steps), width, height, self.dev)

    def __getitem__(self, t):
        if self.all is not None:
            return self.all[t]
        b = torch.full(self.shape, int(_i32([t], "cpu")[0]), dtype=torch.int32,
                       device=self.dev)
        return ((_hash_i32(self.a, b, self.c) >> 16) & 0xFFFF) < self.fire_q


class _FloorSTE(torch.autograd.Function):
    """floor(v) forward, identity backward (straight-through)."""

    @staticmethod
    def forward(ctx, v):
        return torch.floor(v)

    @staticmethod
    def backward(ctx, g):
        return g


class _RoundSat16STE(torch.autograd.Function):
    """clamp(floor(v + 0.5), -32768, 32767) forward, identity backward."""

    @staticmethod
    def forward(ctx, v):
        return torch.floor(v + 0.5).clamp_(-32768.0, 32767.0)

    @staticmethod
    def backward(ctx, g):
        return g


class _QReLU(torch.autograd.Function):
    """h = clamp(floor(z), 0, 255) forward (z already holds the + 0.5 of the rounding);
    backward: straight through the floor, zero where h is 0 (ReLU) or 255 (saturated)."""

    @staticmethod
    def forward(ctx, z):
        h = torch.floor(z).clamp_(0.0, 255.0)
        ctx.save_for_backward(h)
        return h

    @staticmethod
    def backward(ctx, g):
        (h,) = ctx.saved_tensors
        return torch.where((h > 0.0) & (h < 255.0), g, torch.zeros((), dtype=g.dtype,
                                                                    device=g.device))


def glorot_uniform(rng: np.random.Generator, fan_out: int, fan_in: int) -> np.ndarray:
    lim = math.sqrt(6.0 / (fan_in + fan_out))
    return rng.uniform(-lim, lim, (fan_out, fan_in)).astype(np.float32)


class QNCA(torch.nn.Module):
    """The update rule (48 -> 128 -> 16 for the Distill shape) and the spec's step.

    Parameters are the real-valued weights w1 [H][I] (inputs filter-major), b1 [H],
    w2 [C][H], b2 [C]. quant=False gives the float model of the TF notebook (dense update:
    every firing cell is updated, then masked), i.e. nca-host's float twin."""

    def __init__(self, channels=16, hidden=128, kernels=ni.K_DISTILL, state_frac=11,
                 hid_frac=7, fire_rate=0.5, alive_threshold=0.1, boundary=ni.BOUNDARY_ZERO,
                 quant=True, rng=None, all_active=False):
        super().__init__()
        if not kernels & ni.K_IDENTITY or kernels & ~ni.K_ALL:
            raise ValueError("kernel set must include identity and use bits 0..3 only")
        self.channels, self.hidden, self.kernels = channels, hidden, kernels
        self.state_frac, self.hid_frac = state_frac, hid_frac
        self.fire_rate, self.alive_threshold, self.boundary = fire_rate, alive_threshold, boundary
        self.fire_q = int(np.rint(fire_rate * 65536.0))
        self.alive_q = math.floor(math.ldexp(alive_threshold, state_frac))
        self.quant = quant
        self.all_active = bool(all_active)  # no alive masking (the model's FLAG_ALL_ACTIVE)
        inputs = ni.filters_of(kernels) * channels
        rng = rng or np.random.default_rng(0)
        # as the notebook's Keras Conv2D: glorot-uniform first layer, zero biases,
        # zero-initialised last layer ("do nothing" at the start)
        self.w1 = torch.nn.Parameter(torch.from_numpy(glorot_uniform(rng, hidden, inputs)))
        self.b1 = torch.nn.Parameter(torch.zeros(hidden))
        self.w2 = torch.nn.Parameter(torch.zeros(channels, hidden))
        self.b2 = torch.nn.Parameter(torch.zeros(channels))
        fl = [(kk, sh) for bit, kk, sh in ni.FILTERS if kernels & bit]
        self.n_filt = len(fl)
        self.perception = "conv"  # or "slices" (the same numbers, another computation)
        if fl:  # depthwise weights: output channel c * F + f applies filter f to channel c
            k = torch.stack([torch.tensor(kk, dtype=torch.float32) for kk, _ in fl])
            self.register_buffer("kern", k.repeat(channels, 1, 1).unsqueeze(1),
                                 persistent=False)
            self.register_buffer("kshift", torch.tensor([float(2.0 ** -sh) for _, sh in fl])
                                 .view(-1, 1), persistent=False)

    # ---- quantisation of the weights: once per iteration -------------------------------
    def quantized(self, fit_bias=True, weights=None):
        """The spec's integer model of the current weights (nca_int.Model), or of weights
        (w1, b1, w2, b2 tensors: another set for this model, as train.py --ema's average)."""
        p = [t.detach().cpu().numpy().astype(np.float32)
             for t in (weights or (self.w1, self.b1, self.w2, self.b2))]
        return ni.quantize(*p, kernels=self.kernels, state_frac=self.state_frac,
                           hid_frac=self.hid_frac, boundary=self.boundary,
                           fire_rate=self.fire_rate, alive_threshold=self.alive_threshold,
                           fit_bias=fit_bias,
                           flags=ni.FLAG_ALL_ACTIVE if self.all_active else 0)

    def qweights(self, dtype=None):
        """(w1, b1, w2, b2) for the forward pass (call once per iteration).

        quant: fake-quantised with straight-through gradients, and folded so that layer 1
        gives z = hidden * 2^HF + 1/2 (h = clamp(floor(z), 0, 255) is then the spec's
        rshift_round) and layer 2 gives ds * 2^SF + 1/2 (floor = the spec's ds in words).
        The scales are powers of two, so the folding is exact. Float: the parameters."""
        dtype = dtype or self.w1.dtype
        ws = (self.w1, self.b1, self.w2, self.b2)
        if not self.quant:
            return tuple(w.to(dtype) for w in ws)
        m = self.quantized()
        sf, hf = self.state_frac, self.hid_frac
        f1 = m.shift1 - sf + hf  # per-row weight exponents
        f2 = m.shift2 - hf + sf
        vals = (m.w1 * np.ldexp(1.0, -f1)[:, None], m.b1 * np.ldexp(1.0, -(sf + f1)),
                m.w2 * np.ldexp(1.0, -f2)[:, None], m.b2 * np.ldexp(1.0, -(hf + f2)))
        out = []
        for w, v in zip(ws, vals):
            q = torch.as_tensor(v, dtype=dtype, device=w.device)
            wd = w.to(dtype)
            out.append(wd + (q - wd).detach())
        w1, b1, w2, b2 = out
        hs, one = 2.0 ** hf, 2.0 ** sf
        return (w1 * hs, b1 * hs + 0.5, w2 * (one / hs), b2 * one + 0.5)

    # ---- the step ------------------------------------------------------------------------
    def _pad(self, x, fill=0.0):
        """Pads dims 1, 2 (y, x) of [B, H, W, ...] by one cell with the boundary rule."""
        if self.boundary == ni.BOUNDARY_WRAP:
            x = torch.cat([x[:, -1:], x, x[:, :1]], 1)
            return torch.cat([x[:, :, -1:], x, x[:, :, :1]], 2)
        pad = [0, 0] * (x.dim() - 3) + [1, 1, 1, 1]
        return F.pad(x, pad, value=fill)

    def alive(self, x):
        """bool [B, H, W]: any alpha > threshold over the 3x3 (outside = not mature); all
        true without alive masking (all_active)."""
        if self.all_active:
            return torch.ones(x.shape[:3], dtype=torch.bool, device=x.device)
        return self._or3x3(x[..., 3] > self.alive_q * 2.0 ** -self.state_frac)

    def _or3x3(self, b):
        """bool [B, H, W]: b anywhere in the cell's 3x3 (boundary rule: outside is False)."""
        p = self._pad(b.unsqueeze(-1), False)[..., 0]  # a separable 3x3 OR of bools:
        v = p[:, :-2] | p[:, 1:-1] | p[:, 2:]          # 3x cheaper than max_pool2d
        return v[:, :, :-2] | v[:, :, 1:-1] | v[:, :, 2:]

    def perceive(self, x):
        """[B, H, W, I]: identity, then the kernels of the set, filter-major.

        A depthwise conv2d: its sums are of at most 9 small integers times state values, all
        exact in float32 in any order (< 2^20 words), so it equals the slices version."""
        if self.perception == "slices" or not self.n_filt:
            return self._perceive_slices(x)
        B, H, W, C = x.shape
        xc = x.permute(0, 3, 1, 2)
        xp = F.pad(xc, (1, 1, 1, 1), mode="circular" if self.boundary == ni.BOUNDARY_WRAP
                   else "constant")
        y = F.conv2d(xp, self.kern.to(x.dtype), groups=C)  # [B, C * F, H, W]
        y = y.view(B, C, self.n_filt, H, W).permute(0, 3, 4, 2, 1)  # [B, H, W, F, C]
        y = y * self.kshift.to(x.dtype)
        if self.quant:  # sat16(rshift_round(sum in words, sh)), back in state units
            one = 2.0 ** self.state_frac
            y = _RoundSat16STE.apply(y * one) * (1.0 / one)
        return torch.cat([x, y.reshape(B, H, W, self.n_filt * C)], -1)

    def perceive_at(self, x, idx):
        """Perception of the cells idx (flat indices into B*H*W) only: [N, I]. Gathers the
        3x3 windows from the padded grid; the same numbers as perceive()."""
        B, H, W, C = x.shape
        Hp, Wp = H + 2, W + 2
        xf = self._pad(x).reshape(B * Hp * Wp, C)
        b, r = idx // (H * W), idx % (H * W)
        base = b * (Hp * Wp) + (r // W) * Wp + (r % W)  # top-left corner of the window
        offs = torch.tensor([i * Wp + j for i in range(3) for j in range(3)],
                            device=idx.device)
        win = xf.index_select(0, (base[:, None] + offs[None, :]).reshape(-1))
        win = win.view(-1, 9, C)
        outs = [win[:, 4]]
        if self.n_filt:
            k = self.kern.view(C, self.n_filt, 9)[0].to(x.dtype)  # [F, 9]
            y = torch.einsum("nkc,fk->nfc", win, k) * self.kshift.to(x.dtype)
            if self.quant:
                one = 2.0 ** self.state_frac
                y = _RoundSat16STE.apply(y * one) * (1.0 / one)
            outs.append(y.reshape(-1, self.n_filt * C))
        return torch.cat(outs, 1)

    def _perceive_slices(self, x):
        B, H, W, C = x.shape
        xp = self._pad(x)
        outs = [x]
        one = 2.0 ** self.state_frac
        for bit, k, sh in ni.FILTERS:
            if not self.kernels & bit:
                continue
            acc = None
            for i in range(3):
                for j in range(3):
                    kk = int(k[i, j])
                    if kk == 0:
                        continue
                    t = xp[:, i:i + H, j:j + W]
                    if acc is None:
                        acc = t * float(kk)
                    elif kk == 1:
                        acc = acc + t
                    elif kk == -1:
                        acc = acc - t
                    else:
                        acc = acc + t * float(kk)
            if self.quant:  # sat16(rshift_round(sum in words, sh)), back in state units
                v = _RoundSat16STE.apply(acc * (one * 2.0 ** -sh)) * (1.0 / one)
            else:
                v = acc * 2.0 ** -sh
            outs.append(v)
        return torch.cat(outs, -1)

    def mlp(self, p, qw):
        """ds for perception rows p [N, I]: in state words (quant, an integer-valued float)
        or in state units (float)."""
        w1, b1, w2, b2 = qw
        z = torch.addmm(b1, p, w1.t())
        h = _QReLU.apply(z) if self.quant else torch.relu(z)
        ds = torch.addmm(b2, h, w2.t())
        return _FloorSTE.apply(ds) if self.quant else ds

    def forward(self, x, fire, qw, sparse=False):
        """One step. x [B, H, W, C] real; fire bool [B, H, W]; qw from qweights().

        sparse: run the MLP only on the cells whose update can show (gathered); the same
        states, less work when few cells are alive (the CPU default of train.py). Quant: the
        cells that update. Float: the firing cells within one cell of a living one; an update
        farther out is zeroed with its cell (not alive before) and lies outside every living
        cell's 3x3, so it cannot make one alive after either."""
        B, H, W, C = x.shape
        pre = self.alive(x)
        upd = (pre & fire) if self.quant else fire  # float: the TF notebook's dense update
        inv = 2.0 ** -self.state_frac
        lim = (-32768.0 * inv, 32767.0 * inv)
        if sparse:
            run = upd if self.quant else upd & self._or3x3(pre)
            idx = run.reshape(-1).nonzero().squeeze(1)
            xf = x.reshape(-1, C)
            ds = self.mlp(self.perceive_at(x, idx), qw)
            xs = xf.index_select(0, idx)
            u = torch.clamp(xs + ds * inv, *lim) if self.quant else xs + ds
            v = xf.index_copy(0, idx, u).view(B, H, W, C)
        else:
            p = self.perceive(x)
            ds = self.mlp(p.reshape(-1, p.shape[-1]), qw).view(B, H, W, C)
            u = torch.clamp(x + ds * inv, *lim) if self.quant else x + ds
            v = torch.where(upd.unsqueeze(-1), u, x)
        post = self.alive(v)
        return v * (pre & post).unsqueeze(-1).to(v.dtype)

    # ---- helpers -------------------------------------------------------------------------
    def seed_state(self, batch, height, width, dtype=torch.float32, device="cpu"):
        x = torch.zeros(batch, height, width, self.channels, dtype=dtype, device=device)
        x[:, height // 2, width // 2, 3:] = 1.0
        return x

    def to_model(self, name="", desc="", weights=None) -> ni.Model:
        m = self.quantized(weights=weights)
        m.name, m.desc = name[:ni.NAME_LEN], desc[:ni.DESC_LEN]
        m.validate()
        return m

    @classmethod
    def from_model(cls, m: ni.Model, quant=True):
        """A QNCA holding a model's dequantised weights (exact: re-quantises to m)."""
        q = cls(m.channels, m.hidden, m.kernels, m.state_frac, m.hid_frac, m.fire_q / 65536.0,
                0.0, m.boundary, quant, all_active=bool(m.flags & ni.FLAG_ALL_ACTIVE))
        q.alive_q = m.alive_q
        q.alive_threshold = m.alive_q * 2.0 ** -m.state_frac + 2.0 ** -(m.state_frac + 1)
        w1, b1, w2, b2 = ni.dequantize(m)
        with torch.no_grad():
            for p, v in zip((q.w1, q.b1, q.w2, q.b2), (w1, b1, w2, b2)):
                p.copy_(torch.as_tensor(v, dtype=torch.float32))
        return q


def to_words(x: torch.Tensor, state_frac=11) -> np.ndarray:
    """Real states on the grid -> int16 words (exact for states the step produced)."""
    w = torch.round(x.detach() * 2.0 ** state_frac).clamp(-32768, 32767)
    return w.cpu().numpy().astype(np.int16)


def from_words(s: np.ndarray, state_frac=11, dtype=torch.float32, device="cpu"):
    return torch.as_tensor(s.astype(np.float64) * 2.0 ** -state_frac, dtype=dtype,
                           device=device)

# SPDX-License-Identifier: Apache-2.0
"""nca_int - the fixed-point NCA step in Python (numpy), bit-exact with the C model.

This is a second executable form of docs/fixed-point.md (the C one is host/src/nca_step.c):
the .bin model format (docs/model-format.md) with the same validation, the spec's quantiser
(host/src/nca_quant.c), the fire hash, perception, the MLP, the alive masks, the sparse step,
seed, damage and state files (the "State file" section of docs/fixed-point.md).

Everything runs on whole grids with numpy int64. The two matrix products use float64 BLAS on
integer-valued operands: every product and partial sum is an integer below 2^30 (the spec's
widths), far inside float64's 53-bit mantissa, so the result is exact and identical to an
integer product in any summation order.

    import nca_int as ni
    m = ni.load_model("weights/distill/ex3-regen-lizard.bin")
    g = ni.Grid.new(m, 64, 64, seed=1)
    g.seed_centre()
    for _ in range(100):
        ni.step(m, g)
    ni.save_state("out.ncas", g)   # == nca-host --steps 100 --save-state out.ncas
"""
from __future__ import annotations

import math
import struct
import zlib
from dataclasses import dataclass, field

import numpy as np

# ---- limits of the spec (host/include/nca.h) ---------------------------------------------
MAX_CHANNELS = 16
MAX_HIDDEN = 128
MAX_GRID = 1024
NAME_LEN = 32
DESC_LEN = 128
BIAS_LIMIT = 1 << 24
FIRE_ALWAYS = 65536

K_IDENTITY, K_SOBEL_X, K_SOBEL_Y, K_LAPLACE = 1, 2, 4, 8
K_ALL = 0xF
K_DISTILL = K_IDENTITY | K_SOBEL_X | K_SOBEL_Y
BOUNDARY_ZERO, BOUNDARY_WRAP = 0, 1

MODEL_MAGIC = b"NCAM"
MODEL_VERSION = 2  # the newest this reads; 2 adds the flags byte (a flags-0 model stays 1)
FLAG_ALL_ACTIVE = 1  # flags bit 0: no alive masking, every cell active (PDE models)
FLAGS_ALL = 0x01
HEADER_SIZE = 188
MAX_FILE = 1 << 20

STATE_MAGIC = b"NCAS"
STATE_VERSION = 1
STATE_HEADER = 24

# 3x3 kernels [dy][dx], dy, dx = -1..1 (cross-correlation) and log2 of their divisors
SOBEL_X = np.array([[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]], np.int64)
SOBEL_Y = np.array([[-1, -2, -1], [0, 0, 0], [1, 2, 1]], np.int64)
LAPLACE = np.array([[1, 2, 1], [2, -12, 2], [1, 2, 1]], np.int64)
FILTERS = ((K_SOBEL_X, SOBEL_X, 3), (K_SOBEL_Y, SOBEL_Y, 3), (K_LAPLACE, LAPLACE, 4))


class ModelError(ValueError):
    """A model file or model that the spec rejects (message as the C library words it)."""


class StateError(ValueError):
    """A state file that cannot be read into the grid asked for."""


# ---- integer helpers -------------------------------------------------------------------
def rshift_round(v, n):
    """rshift_round(v, n) = n == 0 ? v : (v + 2^(n-1)) >> n, elementwise, n may be an array."""
    v = np.asarray(v, np.int64)
    n = np.asarray(n, np.int64)
    half = np.where(n > 0, np.left_shift(np.int64(1), np.maximum(n - 1, 0)), 0)
    return np.right_shift(v + half, n)  # arithmetic shift == floor division


def sat16(v):
    return np.clip(v, -32768, 32767)


def filters_of(kernels: int) -> int:
    return bin(kernels & K_ALL).count("1")


# ---- the model ---------------------------------------------------------------------------
@dataclass
class Model:
    channels: int = 16
    hidden: int = 128
    kernels: int = K_DISTILL
    boundary: int = BOUNDARY_ZERO
    fire_q: int = 32768
    state_frac: int = 11
    hid_frac: int = 7
    alive_q: int = 204
    flags: int = 0
    name: str = ""
    desc: str = ""
    shift1: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))  # [H]
    shift2: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))  # [C]
    w1: np.ndarray = field(default_factory=lambda: np.zeros((0, 0), np.int64))  # [H][I]
    b1: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))  # [H]
    w2: np.ndarray = field(default_factory=lambda: np.zeros((0, 0), np.int64))  # [C][H]
    b2: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))  # [C]

    @property
    def filters(self) -> int:
        return filters_of(self.kernels)

    @property
    def inputs(self) -> int:
        return self.filters * self.channels

    def file_size(self) -> int:
        return _file_size(self.channels, self.hidden, self.inputs)

    def validate(self) -> None:
        """Raises ModelError on the first field outside the spec (nca_model_validate's order)."""
        C, H = self.channels, self.hidden
        if not 4 <= C <= MAX_CHANNELS:
            raise ModelError(f"channels {C} out of range 4..{MAX_CHANNELS}")
        if not 1 <= H <= MAX_HIDDEN:
            raise ModelError(f"hidden size {H} out of range 1..{MAX_HIDDEN}")
        if (self.kernels & ~K_ALL) or not (self.kernels & K_IDENTITY):
            raise ModelError(f"kernel set 0x{self.kernels:02x} invalid "
                             "(bits 0..3 only, identity required)")
        if self.boundary not in (BOUNDARY_ZERO, BOUNDARY_WRAP):
            raise ModelError(f"boundary mode {self.boundary} unknown (0 zero, 1 wrap)")
        if not 0 <= self.fire_q <= FIRE_ALWAYS:
            raise ModelError(f"fire threshold {self.fire_q} above 65536")
        if not 4 <= self.state_frac <= 14:
            raise ModelError(f"state fraction bits {self.state_frac} out of range 4..14")
        if not 0 <= self.hid_frac <= 15:
            raise ModelError(f"hidden fraction bits {self.hid_frac} out of range 0..15")
        if not 0 <= self.alive_q <= 32767:
            raise ModelError(f"alive threshold {self.alive_q} out of range 0..32767")
        if self.flags & ~FLAGS_ALL:
            raise ModelError(f"model flags 0x{self.flags:02x} unknown (bit 0 only)")
        I = self.inputs
        shapes = {"shift1": (H,), "shift2": (C,), "w1": (H, I), "b1": (H,), "w2": (C, H),
                  "b2": (C,)}
        for k, shp in shapes.items():
            if np.shape(getattr(self, k)) != shp:
                raise ModelError(f"{k} has shape {np.shape(getattr(self, k))}, expected {shp}")
        for j in range(H):
            if not 0 <= self.shift1[j] <= 24:
                raise ModelError(f"layer-1 shift {self.shift1[j]} of unit {j} out of range 0..24")
            if not -BIAS_LIMIT < self.b1[j] < BIAS_LIMIT:
                raise ModelError(f"layer-1 bias {self.b1[j]} of unit {j} outside +-2^24")
        for k in range(C):
            if not 0 <= self.shift2[k] <= 24:
                raise ModelError(f"layer-2 shift {self.shift2[k]} of channel {k} "
                                 "out of range 0..24")
            if not -BIAS_LIMIT < self.b2[k] < BIAS_LIMIT:
                raise ModelError(f"layer-2 bias {self.b2[k]} of channel {k} outside +-2^24")
        for arr, nm in ((self.w1, "w1"), (self.w2, "w2")):
            if arr.size and (arr.min() < -128 or arr.max() > 127):
                raise ModelError(f"{nm} holds values outside int8")
        if not _text_ok(self.name, NAME_LEN) or not _text_ok(self.desc, DESC_LEN):
            raise ModelError("name or description not printable text")


def _file_size(C: int, H: int, I: int) -> int:
    return HEADER_SIZE + H + C + H * I + 4 * H + C * H + 4 * C + 4


def _text_ok(s: str, cap: int) -> bool:
    try:
        b = s.encode("latin-1")
    except UnicodeEncodeError:
        return False
    return len(b) <= cap and all(0x20 <= c != 0x7F for c in b)


def _crc(b: bytes) -> int:
    return zlib.crc32(b) & 0xFFFFFFFF


def parse_model(buf: bytes) -> Model:
    """Parses a .bin model, checking in nca_model_parse's order; raises ModelError."""
    n = len(buf)
    if n < 12:
        raise ModelError(f"truncated: {n} bytes, not even a header")
    if buf[:4] != MODEL_MAGIC:
        raise ModelError("bad magic (not an nca-fpga model file)")
    ver, hsz, total = struct.unpack_from("<HHI", buf, 4)
    if not 1 <= ver <= MODEL_VERSION:
        raise ModelError(f"unsupported format version {ver} (this build reads 1..{MODEL_VERSION})")
    if hsz != HEADER_SIZE:
        raise ModelError(f"header size {hsz}, version {ver} has {HEADER_SIZE}")
    if total > MAX_FILE:
        raise ModelError(f"absurd file size field {total}")
    if n < total:
        raise ModelError(f"truncated: {n} of {total} bytes")
    if n > total:
        raise ModelError(f"{n - total} trailing bytes after the {total}-byte model")
    if total < HEADER_SIZE + 4:
        raise ModelError(f"file size field {total} smaller than the header")
    want = struct.unpack_from("<I", buf, total - 4)[0]
    got = _crc(buf[:total - 4])
    if want != got:
        raise ModelError(f"CRC mismatch (stored 0x{want:08x}, computed 0x{got:08x})")
    C, H, K, B = buf[12], buf[13], buf[14], buf[15]
    fire_q = struct.unpack_from("<I", buf, 16)[0]
    sf, hf = buf[20], buf[21]
    alive_q = struct.unpack_from("<h", buf, 24)[0]
    m = Model(channels=C, hidden=H, kernels=K, boundary=B, fire_q=fire_q, state_frac=sf,
              hid_frac=hf, alive_q=alive_q, flags=buf[22] if ver >= 2 else 0)
    if (ver < 2 and buf[22]) or buf[23] or struct.unpack_from("<H", buf, 26)[0]:
        raise ModelError("reserved header bytes not zero")
    name, desc = buf[28:60], buf[60:188]
    # C's text check: bytes up to the first NUL, none below 0x20 nor 0x7f (latin-1 here)
    m.name = name.split(b"\0", 1)[0].decode("latin-1")
    m.desc = desc.split(b"\0", 1)[0].decode("latin-1")
    if not (4 <= C <= MAX_CHANNELS and 1 <= H <= MAX_HIDDEN and not (K & ~K_ALL)):
        m.shift1, m.shift2 = np.zeros(H, np.int64), np.zeros(C, np.int64)
        m.validate()  # raises the dimension error
    I = m.inputs
    need = _file_size(C, H, I)
    if need != total:
        raise ModelError(f"size {total} does not match dimensions {C}x{H} "
                         f"(expected {need} bytes)")
    p = HEADER_SIZE

    def take(count, dtype):
        nonlocal p
        a = np.frombuffer(buf, dtype, count, p).astype(np.int64)
        p += count * np.dtype(dtype).itemsize
        return a

    m.shift1 = take(H, np.uint8)
    m.shift2 = take(C, np.uint8)
    m.w1 = take(H * I, np.int8).reshape(H, I)
    m.b1 = take(H, "<i4")
    m.w2 = take(C * H, np.int8).reshape(C, H)
    m.b2 = take(C, "<i4")
    m.validate()
    return m


def load_model(path) -> Model:
    with open(path, "rb") as f:
        buf = f.read(MAX_FILE + 1)
    if len(buf) > MAX_FILE:
        raise ModelError(f"{path}: over {MAX_FILE} bytes, not a model")
    try:
        return parse_model(buf)
    except ModelError as e:
        raise ModelError(f"{path}: {e}") from None


def serialize_model(m: Model) -> bytes:
    m.validate()
    C, H, I = m.channels, m.hidden, m.inputs
    total = m.file_size()
    hdr = bytearray(HEADER_SIZE)
    hdr[0:4] = MODEL_MAGIC
    struct.pack_into("<HHIBBBBIBBBBhH", hdr, 4, 2 if m.flags else 1, HEADER_SIZE, total, C, H,
                     m.kernels, m.boundary, m.fire_q, m.state_frac, m.hid_frac, m.flags, 0,
                     m.alive_q, 0)
    nm, ds = m.name.encode("latin-1"), m.desc.encode("latin-1")
    hdr[28:28 + len(nm)] = nm
    hdr[60:60 + len(ds)] = ds
    body = b"".join([
        np.asarray(m.shift1, np.uint8).tobytes(),
        np.asarray(m.shift2, np.uint8).tobytes(),
        np.asarray(m.w1, np.int8).reshape(H * I).tobytes(),
        np.asarray(m.b1, "<i4").tobytes(),
        np.asarray(m.w2, np.int8).reshape(C * H).tobytes(),
        np.asarray(m.b2, "<i4").tobytes(),
    ])
    out = bytes(hdr) + body
    out += struct.pack("<I", _crc(out))
    assert len(out) == total
    return out


def save_model(path, m: Model) -> None:
    data = serialize_model(m)
    with open(path, "wb") as f:
        f.write(data)


# ---- the quantiser (docs/fixed-point.md "Scales", host/src/nca_quant.c) -------------------
def row_frac(w_row, cap: int) -> int:
    """Largest f with every round(|w| 2^f) <= 127, capped at cap (nca_quant.c row_frac).

    w_row holds float32 values (as the C quantiser's nca_model_f); arithmetic in double."""
    mx = float(np.max(np.abs(np.asarray(w_row, np.float32)))) if len(w_row) else 0.0
    return _frac_of_max(mx, cap)


def _frac_of_max(mx: float, cap: int) -> int:
    if mx == 0.0:
        return cap
    f = math.floor(math.log2(127.49 / mx))
    while f > -32 and round_half_even(math.ldexp(mx, f)) > 127:
        f -= 1
    return min(f, cap)


def round_half_even(v: float) -> int:
    """lrint in the default rounding mode."""
    return int(np.rint(v))


def _q8(v):
    return np.clip(np.rint(v), -128, 127).astype(np.int64)


def quant_rows(w, b, cap: int, bias_exp: int, min_frac: int, fit_bias: bool = True):
    """Per-row power-of-two quantisation of one layer.

    w [rows][n], b [rows] (float32 values). Returns (frac[rows], W int, B int).
    Row r: frac = row_frac(w[r], cap); W = round(w 2^frac); B = round(b 2^(bias_exp+frac)).
    frac < min_frac means the shift would be negative: ModelError, as nca_quantize.
    If |B| >= 2^24, nca_quantize fails; with fit_bias the frac is lowered until it fits
    (an extension used by the trainer; identical to nca_quantize wherever that succeeds)."""
    w = np.asarray(w, np.float32).astype(np.float64)
    b = np.asarray(b, np.float32).astype(np.float64)
    rows = w.shape[0]
    mxs = np.max(np.abs(w), axis=1) if w.shape[1] else np.zeros(rows)
    fr = np.zeros(rows, np.int64)
    B = np.zeros(rows, np.int64)
    for r in range(rows):
        f = _frac_of_max(float(mxs[r]), cap)
        while True:
            if f < min_frac:
                raise ModelError(f"row {r}: weights too large for the formats")
            bq = round_half_even(math.ldexp(float(b[r]), bias_exp + f))
            if abs(bq) < BIAS_LIMIT:
                break
            if not fit_bias:
                raise ModelError(f"row {r}: bias too large")
            f -= 1
        fr[r] = f
        B[r] = bq
    W = _q8(np.ldexp(w, fr[:, None]))
    return fr, W, B


def quantize(w1, b1, w2, b2, kernels=K_DISTILL, state_frac=11, hid_frac=7,
             boundary=BOUNDARY_ZERO, fire_rate=0.5, alive_threshold=0.1, name="", desc="",
             fit_bias=True, flags=0) -> Model:
    """Float weights (w1 [H][I] filter-major inputs, b1 [H], w2 [C][H], b2 [C]) -> Model,
    exactly as nca_quantize (nca-convert) does; see quant_rows for fit_bias."""
    w1 = np.asarray(w1, np.float32)
    w2 = np.asarray(w2, np.float32)
    H, I = w1.shape
    C = w2.shape[0]
    SF, HF = int(state_frac), int(hid_frac)
    if w2.shape != (C, H) or I != filters_of(kernels) * C:
        raise ModelError(f"model shape {I}x{H}x{C} not supported")
    if not 0.0 <= fire_rate <= 1.0:
        raise ModelError(f"fire rate {fire_rate} outside 0..1")
    aq = math.floor(math.ldexp(alive_threshold, SF))
    if not 0 <= aq <= 32767:
        raise ModelError(f"alive threshold {alive_threshold} not representable")
    try:
        f1, W1, B1 = quant_rows(w1, b1, 24 + HF - SF, SF, HF - SF, fit_bias)
        f2, W2, B2 = quant_rows(w2, b2, 24 + SF - HF, HF, SF - HF, fit_bias)
    except ModelError as e:
        raise ModelError(f"quantise: {e}") from None
    m = Model(channels=C, hidden=H, kernels=kernels, boundary=boundary,
              fire_q=int(np.rint(fire_rate * 65536.0)), state_frac=SF, hid_frac=HF,
              alive_q=int(aq), flags=int(flags), name=name[:NAME_LEN], desc=desc[:DESC_LEN],
              shift1=SF + f1 - HF, shift2=HF + f2 - SF, w1=W1, b1=B1, w2=W2, b2=B2)
    m.validate()
    return m


def requantize(m: Model, weights, **kw) -> Model:
    """Real-valued weights (w1, b1, w2, b2) quantised in m's formats, name and description;
    kw (quantize's arguments) overrides them."""
    args = dict(kernels=m.kernels, state_frac=m.state_frac, hid_frac=m.hid_frac,
                boundary=m.boundary, fire_rate=m.fire_q / 65536.0,
                alive_threshold=m.alive_q * 2.0 ** -m.state_frac, name=m.name, desc=m.desc,
                flags=m.flags)
    args.update(kw)
    return quantize(*weights, **args)


def dequantize(m: Model):
    """The real-valued weights the integers stand for (nca_model_dequantize), float64."""
    sf, hf = m.state_frac, m.hid_frac
    acc1 = np.ldexp(1.0, -(m.shift1 + hf))
    acc2 = np.ldexp(1.0, -(m.shift2 + sf))
    w1 = m.w1 * (acc1 * 2.0 ** sf)[:, None]
    w2 = m.w2 * (acc2 * 2.0 ** hf)[:, None]
    return w1, m.b1 * acc1, w2, m.b2 * acc2


# ---- the fire hash -----------------------------------------------------------------------
_M32 = np.uint64(0xFFFFFFFF)


def _rotl(v, r):
    return ((v << np.uint64(r)) | (v >> np.uint64(32 - r))) & _M32


HASH_D0 = 0x9E3779B9


def hash_rounds(a, b, c, d, add, rotl):
    """The spec's two ChaCha quarter-rounds on any array type (numpy here, torch in
    nca_qat.py): add(x, y) adds modulo 2^32, rotl(v, r) rotates 32 bits left. a ^ b ^ c ^ d."""
    for _ in range(2):
        a = add(a, b); d = rotl(d ^ a, 16)
        c = add(c, d); b = rotl(b ^ c, 12)
        a = add(a, b); d = rotl(d ^ a, 8)
        c = add(c, d); b = rotl(b ^ c, 7)
    return a ^ b ^ c ^ d


def fire_hash(seed, step, x, y):
    """Two ChaCha quarter-rounds over (seed, step, y:x, HASH_D0); broadcasts; uint32."""
    seed, step, x, y = (np.asarray(v).astype(np.uint64) & _M32 for v in (seed, step, x, y))
    c = (((y & np.uint64(0xFFFF)) << np.uint64(16)) | (x & np.uint64(0xFFFF)))
    a, b, c = np.broadcast_arrays(seed, step, c)
    d = np.full(a.shape, HASH_D0, np.uint64)
    h = hash_rounds(a.copy(), b.copy(), c.copy(), d, lambda u, v: (u + v) & _M32, _rotl)
    return h.astype(np.uint32)


def fire_mask(fire_q: int, seed: int, step: int, width: int, height: int) -> np.ndarray:
    """[height][width] bool: (hash(seed, step, x, y) >> 16) < fire_q."""
    ys, xs = np.mgrid[0:height, 0:width]
    return (fire_hash(seed, step, xs, ys) >> np.uint32(16)) < fire_q


# ---- the grid ----------------------------------------------------------------------------
@dataclass
class Grid:
    width: int
    height: int
    channels: int
    state_frac: int
    boundary: int
    seed: int = 1
    step: int = 0
    s: np.ndarray = None  # int16 [height][width][channels]

    @classmethod
    def new(cls, m: Model, width: int = 64, height: int = 64, seed: int = 1, boundary=None):
        if not (3 <= width <= MAX_GRID and 3 <= height <= MAX_GRID):
            raise ValueError(f"grid {width}x{height} out of range 3..{MAX_GRID} per side")
        b = m.boundary if boundary is None else boundary
        return cls(width, height, m.channels, m.state_frac, b, seed & 0xFFFFFFFF, 0,
                   np.zeros((height, width, m.channels), np.int16))

    def seed_at(self, x: int, y: int) -> None:
        """Channels 3..C-1 = 1.0 (2^SF) at (x, y), 0..2 = 0."""
        if not (0 <= x < self.width and 0 <= y < self.height):
            raise ValueError(f"seed ({x},{y}) outside the {self.width}x{self.height} grid")
        self.s[y, x, :] = 0
        self.s[y, x, 3:] = 1 << self.state_frac

    def seed_centre(self) -> None:
        self.seed_at(self.width // 2, self.height // 2)

    def damage(self, spec: str) -> None:
        """Zeroes the cells inside 'circle:X,Y,R', 'half:SIDE' or 'square:X,Y,S'."""
        self.s[damage_mask(spec, self.width, self.height)] = 0

    def rgba_frame(self) -> np.ndarray:
        """uint8 [h][w][4]: rshift_round(clamp(s, 0, 2^SF) * 255, SF)."""
        v = np.clip(self.s[..., :4].astype(np.int64), 0, 1 << self.state_frac)
        return rshift_round(v * 255, self.state_frac).astype(np.uint8)

    def values(self) -> np.ndarray:
        return self.s.astype(np.float64) / (1 << self.state_frac)


def damage_mask(spec: str, width: int, height: int) -> np.ndarray:
    """[h][w] bool of the cells a damage spec (nca_damage_parse's syntax) erases."""
    ys, xs = np.mgrid[0:height, 0:width]
    kind, _, arg = spec.partition(":")
    if kind == "half":
        sides = {"left": xs < width // 2, "right": xs >= width // 2,
                 "top": ys < height // 2, "bottom": ys >= height // 2}
        if arg in sides:
            return sides[arg]
    elif kind in ("circle", "square"):
        try:
            a, b, c = (int(t) for t in arg.split(","))
        except ValueError:
            a = b = c = -1
            kind = "bad"
        if kind == "circle" and c >= 0:
            return (xs - a) ** 2 + (ys - b) ** 2 <= c * c
        if kind == "square" and c >= 0:
            x0, y0 = a - c // 2, b - c // 2
            return (xs >= x0) & (xs < x0 + c) & (ys >= y0) & (ys < y0 + c)
    raise ValueError(f"bad damage '{spec}' (circle:X,Y,R | half:left|right|top|bottom | "
                     "square:X,Y,SIDE)")


# ---- the step ----------------------------------------------------------------------------
def _pad(a: np.ndarray, boundary: int, fill=0) -> np.ndarray:
    """Pads the two leading (y, x) axes by one cell with the boundary rule."""
    widths = [(1, 1), (1, 1)] + [(0, 0)] * (a.ndim - 2)
    if boundary == BOUNDARY_WRAP:
        return np.pad(a, widths, mode="wrap")
    return np.pad(a, widths, mode="constant", constant_values=fill)


def perceive(m: Model, s: np.ndarray, boundary: int) -> np.ndarray:
    """Perception of every cell: int64 [h][w][I], inputs filter-major (f_rank * C + c)."""
    h, w, _ = s.shape
    sp = _pad(s.astype(np.int64), boundary)
    outs = []
    if m.kernels & K_IDENTITY:
        outs.append(s.astype(np.int64))
    for bit, k, sh in FILTERS:
        if not (m.kernels & bit):
            continue
        acc = np.zeros(s.shape, np.int64)
        for i in range(3):
            for j in range(3):
                if k[i, j]:
                    acc += k[i, j] * sp[i:i + h, j:j + w]
        outs.append(sat16(rshift_round(acc, sh)))
    return np.concatenate(outs, axis=-1)


def _exact_matmul(a: np.ndarray, bT: np.ndarray) -> np.ndarray:
    """Integer a @ bT via float64 BLAS: exact while every |partial sum| < 2^53."""
    r = a.astype(np.float64) @ bT.astype(np.float64)
    return r.astype(np.int64)


def mlp(m: Model, p: np.ndarray, return_hidden: bool = False):
    """ds (int64 [..., C], state units) for perception vectors p [..., I]."""
    acc1 = _exact_matmul(p, m.w1.T) + m.b1
    h = np.clip(rshift_round(acc1, m.shift1), 0, 255)
    acc2 = _exact_matmul(h, m.w2.T) + m.b2
    ds = rshift_round(acc2, m.shift2)
    return (ds, h) if return_hidden else ds


def alive_mask(s: np.ndarray, alive_q: int, boundary: int, flags: int = 0) -> np.ndarray:
    """[h][w] bool: any alpha word > T over the 3x3 (outside = not mature for zero); all
    true for a model without alive masking (FLAG_ALL_ACTIVE)."""
    h, w = s.shape[:2]
    if flags & FLAG_ALL_ACTIVE:
        return np.ones((h, w), bool)
    mature = _pad(s[..., 3] > alive_q, boundary, False)
    out = np.zeros((h, w), bool)
    for i in range(3):
        for j in range(3):
            out |= mature[i:i + h, j:j + w]
    return out


@dataclass
class StepStats:
    pre_alive: int
    active: int
    alive: int


def step(m: Model, g: Grid, fire: np.ndarray = None) -> StepStats:
    """One step of the spec, in place on g.s; g.step += 1. fire overrides the hash mask."""
    s = g.s
    pre = alive_mask(s, m.alive_q, g.boundary, m.flags)
    if fire is None:
        fire = fire_mask(m.fire_q, g.seed, g.step, g.width, g.height)
    act = pre & fire
    v = s.copy()
    ys, xs = np.nonzero(act)
    if len(ys):
        p = perceive(m, s, g.boundary)[ys, xs]
        ds = mlp(m, p)
        v[ys, xs] = sat16(s[ys, xs].astype(np.int64) + ds).astype(np.int16)
    post = alive_mask(v, m.alive_q, g.boundary, m.flags)
    keep = pre & post
    v[~keep] = 0
    g.s = v
    g.step = (g.step + 1) & 0xFFFFFFFF
    return StepStats(int(pre.sum()), int(act.sum()), int(keep.sum()))


def run(m: Model, g: Grid, steps: int, damage=()) -> Grid:
    """Runs steps steps; damage is a list of (spec, at): erased once `at` steps are done
    (nca-host's --damage SPEC@AT)."""
    for t in range(steps):
        for spec, at in damage:
            if at == t:
                g.damage(spec)
        step(m, g)
    return g


# ---- measurement -------------------------------------------------------------------------
def load_target(path, width: int, height: int) -> np.ndarray:
    """A straight-alpha PNG, premultiplied, centred on the grid: float [h][w][4] (nca_target_load)."""
    from PIL import Image
    img = np.asarray(Image.open(path).convert("RGBA"), np.float32) / np.float32(255.0)
    th, tw = img.shape[:2]
    if tw > width or th > height:
        raise ValueError(f"{path}: target {tw}x{th} larger than the {width}x{height} grid")
    out = np.zeros((height, width, 4), np.float32)
    ox, oy = (width - tw) // 2, (height - th) // 2
    a = img[..., 3:4]
    out[oy:oy + th, ox:ox + tw, :3] = img[..., :3] * a
    out[oy:oy + th, ox:ox + tw, 3:] = a
    return out


def pattern_side(target: np.ndarray) -> int:
    """The pattern's larger side in cells: the bounding box of the target's alpha > 0 (0 if
    the target is empty). Damage sizes (a square of a third of the pattern) scale with it."""
    ys, xs = np.nonzero(np.asarray(target)[..., 3] > 0)
    if not len(ys):
        return 0
    return int(max(ys.max() - ys.min() + 1, xs.max() - xs.min() + 1))


def mse_rgba(g: Grid, target: np.ndarray) -> float:
    """MSE of the state's RGBA values (s / 2^SF, unclamped) against a premultiplied target,
    as nca-host --target (nca_mse_rgba) computes it."""
    v = (g.s[..., :4].astype(np.float64) * 2.0 ** -g.state_frac).astype(np.float32)
    d = v.astype(np.float64) - np.asarray(target, np.float32).astype(np.float64)
    return float(np.mean(d * d))


# ---- state files -------------------------------------------------------------------------
def serialize_state(g: Grid) -> bytes:
    hdr = bytearray(STATE_HEADER)
    hdr[0:4] = STATE_MAGIC
    struct.pack_into("<HHHBBIIB", hdr, 4, STATE_VERSION, g.width, g.height, g.channels,
                     g.state_frac, g.step & 0xFFFFFFFF, g.seed & 0xFFFFFFFF, g.boundary)
    out = bytes(hdr) + np.asarray(g.s, "<i2").tobytes()
    return out + struct.pack("<I", _crc(out))


def save_state(path, g: Grid) -> None:
    with open(path, "wb") as f:
        f.write(serialize_state(g))


def parse_state(buf: bytes) -> Grid:
    """A state file as a Grid of the size it declares (StateError if malformed)."""
    if len(buf) < 4 or buf[:4] != STATE_MAGIC:
        raise StateError("not an nca state file")
    if len(buf) < STATE_HEADER:
        raise StateError("truncated header")
    ver, w, h, c, sf, step_, seed, bnd = struct.unpack_from("<HHHBBIIB", buf, 4)
    if ver != STATE_VERSION:
        raise StateError(f"unsupported state version {ver}")
    need = STATE_HEADER + 2 * w * h * c + 4
    if len(buf) != need:
        raise StateError(f"{len(buf)} bytes, expected {need}")
    if struct.unpack_from("<I", buf, need - 4)[0] != _crc(buf[:need - 4]):
        raise StateError("CRC mismatch")
    s = np.frombuffer(buf, "<i2", w * h * c, STATE_HEADER).astype(np.int16).reshape(h, w, c)
    return Grid(w, h, c, sf, bnd, seed, step_, s.copy())


def load_state(path) -> Grid:
    with open(path, "rb") as f:
        buf = f.read()
    try:
        return parse_state(buf)
    except StateError as e:
        raise StateError(f"{path}: {e}") from None

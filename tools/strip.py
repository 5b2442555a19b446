#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Tile nca-host frames (premultiplied RGBA PNGs) side by side over white, scaled up.

usage: strip.py OUT.png FRAME.png [FRAME.png ...] [--scale 3]
"""
import argparse

import numpy as np
from PIL import Image

ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
ap.add_argument("out")
ap.add_argument("frames", nargs="+")
ap.add_argument("--scale", type=int, default=3)
a = ap.parse_args()
tiles = []
for f in a.frames:
    px = np.asarray(Image.open(f).convert("RGBA")).astype(np.int32)
    rgb = np.clip(px[..., :3] + 255 - px[..., 3:], 0, 255)  # premultiplied over white
    tiles += [rgb, np.full((px.shape[0], 4, 3), 255)]
img = Image.fromarray(np.concatenate(tiles[:-1], 1).astype(np.uint8), "RGB")
img.resize((img.width * a.scale, img.height * a.scale), Image.NEAREST).save(a.out)

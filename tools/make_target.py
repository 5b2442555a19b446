#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Make a training target PNG as the Distill notebook does: thumbnail to SIZE px (Lanczos).

usage: make_target.py IN.png OUT.png [--size 40]
The PNG keeps straight alpha; loaders premultiply RGB by alpha and pad/centre it.
"""
import argparse
from PIL import Image

ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
ap.add_argument("src")
ap.add_argument("dst")
ap.add_argument("--size", type=int, default=40, help="longest side in pixels (default 40)")
a = ap.parse_args()
img = Image.open(a.src).convert("RGBA")
img.thumbnail((a.size, a.size), Image.LANCZOS)
img.save(a.dst)
print(f"{a.dst}: {img.size[0]}x{img.size[1]}")

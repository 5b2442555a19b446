#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Render an emoji from Noto Color Emoji (Debian: fonts-noto-color-emoji) as a training target.

As the Distill notebook makes its targets from the Noto emoji PNGs: the glyph's 136x128
bitmap, thumbnailed to SIZE px (Lanczos), straight alpha. Loaders premultiply and centre it.

examples:
  weights/emoji_target.py U+1F98B -o weights/targets/butterfly.png     # 🦋
  weights/emoji_target.py 🍄 -o weights/targets/mushroom.png
"""
import argparse
import sys

from PIL import Image, ImageDraw, ImageFont

FONT = "/usr/share/fonts/truetype/noto/NotoColorEmoji.ttf"
STRIKE = 109  # the font's only bitmap size (CBDT): glyphs come out 136x128


def parse_emoji(s: str) -> str:
    if s.upper().startswith("U+"):
        return "".join(chr(int(p[2:] if p.upper().startswith("U+") else p, 16))
                       for p in s.replace(",", " ").split())
    return s


def render(text: str, size: int = 40, font: str = FONT) -> Image.Image:
    f = ImageFont.truetype(font, STRIKE)
    box = f.getbbox(text)
    w, h = box[2] - box[0], box[3] - box[1]
    if w <= 0 or h <= 0:
        raise ValueError(f"the font has no glyph for {text!r}")
    img = Image.new("RGBA", (w, h), (0, 0, 0, 0))
    ImageDraw.Draw(img).text((-box[0], -box[1]), text, font=f, embedded_color=True)
    if img.getchannel("A").getbbox() is None:
        raise ValueError(f"{text!r} renders empty")
    img.thumbnail((size, size), Image.LANCZOS)
    return img


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 epilog="\n\n".join(__doc__.split("\n\n")[1:]),
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("emoji", help="the emoji itself or its code points (U+1F98E)")
    ap.add_argument("-o", "--output", required=True)
    ap.add_argument("--size", type=int, default=40, help="longest side (default 40)")
    ap.add_argument("--font", default=FONT)
    a = ap.parse_args(argv)
    try:
        img = render(parse_emoji(a.emoji), a.size, a.font)
    except (OSError, ValueError) as e:
        print(f"emoji_target: {e}", file=sys.stderr)
        return 1
    img.save(a.output)
    print(f"{a.output}: {img.size[0]}x{img.size[1]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Draw docs/frame.png: the em frame that ambictl's data set uses, for the README.

Run: python scripts/frame_figure.py
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

from ambictl.render import render
from ambictl.resources import fonts_dir

FONT = fonts_dir() / "roboto" / "roboto-latin-400-normal.woff2"
CHARS = "dpxHg"
SIZE = 64
SCALE = 3


def main() -> None:
    glyphs = render(str(FONT), 0, CHARS, SIZE, "em")
    tiles = [*glyphs, np.rot90(glyphs[0], 2)]  # the last tile: d turned 180 degrees
    labels = [*CHARS, "d turned"]
    pad, top = 8, 22
    w = len(tiles) * (SIZE * SCALE + pad) + pad
    img = Image.new("RGB", (w, SIZE * SCALE + top + pad), "white")
    draw = ImageDraw.Draw(img)
    for i, (tile, label) in enumerate(zip(tiles, labels, strict=True)):
        x0 = pad + i * (SIZE * SCALE + pad)
        ink = Image.fromarray(255 - tile).resize((SIZE * SCALE,) * 2, Image.Resampling.NEAREST)
        img.paste(ink.convert("RGB"), (x0, top))
        draw.rectangle([x0, top, x0 + SIZE * SCALE - 1, top + SIZE * SCALE - 1], outline="gray")
        mid = top + SIZE * SCALE // 2
        draw.line([x0, mid, x0 + SIZE * SCALE, mid], fill=(220, 40, 40))  # the turn axis
        draw.text((x0 + 4, 4), label, fill="black")
    out = Path(__file__).resolve().parent.parent / "docs" / "frame.png"
    img.save(out)
    print(out)


if __name__ == "__main__":
    main()

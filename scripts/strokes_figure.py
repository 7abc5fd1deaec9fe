#!/usr/bin/env python3
"""Draw docs/strokes.png: words as `make` draws them with the pen strokes off and on, each as it
is and turned, side by side (the README's figure for `--strokes`).

Usage: ``python scripts/strokes_figure.py [--out docs/strokes.png] [--height 120]
[--modes off auto] [--big DIR]``; ``--big DIR`` also writes every picture 1,000 px tall (the
size the words were looked at) into DIR.
"""

from __future__ import annotations

import argparse
import io
import sys
from pathlib import Path

from PIL import Image, ImageDraw

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from ambictl.ambigram import load_model, make_ambigram  # noqa: E402

WORDS = (("hello", "hello"), ("angel", "demon"), ("john", "mary"), ("love", "love"),
         ("Alex", "Sam"), ("dear", "read"))
LABEL = 18  # px of caption above each column


def picture(png: bytes) -> Image.Image:
    return Image.open(io.BytesIO(png)).convert("RGB")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=ROOT / "docs" / "strokes.png")
    ap.add_argument("--height", type=int, default=120)
    ap.add_argument("--modes", nargs="+", default=["off", "auto"])
    ap.add_argument("--big", type=Path, default=None)
    args = ap.parse_args()
    model = load_model()
    rows: list[list[Image.Image]] = []
    for w1, w2 in WORDS:
        row = []
        for mode in args.modes:
            amb = make_ambigram(w1, w2, weights=model, strokes=mode)
            im = picture(amb.to_png(height=args.height, background="white"))
            row += [im, im.rotate(180)]
            if args.big is not None:
                args.big.mkdir(parents=True, exist_ok=True)
                amb.save(args.big / f"{w1}-{w2}-{mode}.png", height=1000, background="white")
        rows.append(row)
    cols = [max(r[i].width for r in rows) for i in range(len(rows[0]))]
    sheet = Image.new("RGB", (sum(cols) + 8 * len(cols), LABEL + sum(r[0].height for r in rows)),
                      "white")
    pen = ImageDraw.Draw(sheet)
    x = 0
    for i, w in enumerate(cols):
        mode, view = args.modes[i // 2], ("as it is", "turned")[i % 2]
        pen.text((x + 4, 2), f"--strokes {mode}, {view}", fill="gray")
        y = LABEL
        for r in rows:
            sheet.paste(r[i], (x, y))
            y += r[i].height
        x += w + 8
    args.out.parent.mkdir(parents=True, exist_ok=True)
    sheet.save(args.out, optimize=True)
    print(args.out)


if __name__ == "__main__":
    main()

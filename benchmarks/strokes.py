"""How the pen-stroke stage reads, against the generator's glyphs it starts from.

Pairs: every Nth ordered pair of a character set, packed 13 cells to a word and drawn by `make`
in each of the first N styles with the case kept, once with `strokes="off"` and once with
`strokes="on"`; the held-out judge reads every cell as delivered (outline rasterised back),
both ways. Printed: the share of pairs read both ways as the generator's glyph ("gan"), as
strokes ("strokes"), as `strokes="auto"` chooses per cell ("choice": by the ranking readers
where the weights have them), as the recognisers would choose ("choice, recognisers"), and when
either reads ("either", the bound on any choice), and make's seconds per cell for each:

    python benchmarks/strokes.py --every 3 --styles 1 [--chars ABC...] [--steps 40 ...]

Words (`--words`): the shipped word pairs drawn by `make` with its defaults and with the
strokes off, on and auto, read as delivered by the judge and Tesseract (ambictl.eval_words):

    python benchmarks/strokes.py --words --every 2

`--steps`, `--renderings`, `--readers` and `--lr` set the refinement (strokes.RefineConfig) for
trying other settings. Prints one JSON line per set or method.
"""

from __future__ import annotations

import argparse
import json
import string
import time
from dataclasses import replace

import numpy as np

from ambictl import strokes
from ambictl.ambigram import load_model, make_ambigram, stroke_choice
from ambictl.eval_words import Drawn
from ambictl.judge import Judge, load_judge

CELLS = 13  # pairs drawn as one word


def pair_words(chars: str, every: int, symmetry: str) -> list[tuple[str, str]]:
    """Every `every`th ordered pair of `chars`, as words of CELLS cells (pair_cells order)."""
    pairs = [(a, b) for a in chars for b in chars][::every]
    words = []
    for i in range(0, len(pairs), CELLS):
        chunk = pairs[i:i + CELLS]
        turned = "".join(b for _, b in chunk)
        words.append(("".join(a for a, _ in chunk),
                      turned if symmetry == "flip" else turned[::-1]))
    return words


def read_cells(d: Drawn, judge: Judge, among: str) -> np.ndarray:
    """(n,) bool: each cell read both ways by the judge (either case)."""
    up, turned = d.cell_readings(judge, among)
    return np.array([x.lower() == a.lower() and y.lower() == b.lower()
                     for x, y, (a, b) in zip(up, turned, d.pairs, strict=True)])


def pairs(args: argparse.Namespace, judge: Judge) -> None:
    model = load_model(args.weights)
    among = "".join(sorted({c.lower() for c in args.chars} | {c.upper() for c in args.chars}))
    among = "".join(c for c in among if c in judge.chars)
    tally: dict[str, list[bool]] = {k: [] for k in ("gan", "strokes", "choice",
                                                    "choice, recognisers", "either")}
    seconds = {"off": 0.0, "on": 0.0}
    for style in range(args.styles):
        for w1, w2 in pair_words(args.chars, args.every, args.symmetry):
            got = {}
            for mode in ("off", "on"):
                t = time.time()
                amb = make_ambigram(w1, w2, symmetry=args.symmetry, weights=model, case="keep",
                                    style=style, strokes=mode)
                cells, picture = amb.delivered()
                seconds[mode] += time.time() - t
                d = Drawn(amb.style, args.symmetry, amb.pairs, cells, picture)
                got[mode] = (read_cells(d, judge, among), amb)
            off, on = got["off"][1], got["on"][1]
            took = stroke_choice(model, list(off.glyphs), list(on.glyphs), off.pairs,
                                 args.symmetry)  # what strokes="auto" takes
            by_recognisers = np.array([p.legibility >= g.legibility for g, p in
                                       zip(off.scores, on.scores, strict=True)])
            gan, pen = got["off"][0], got["on"][0]
            tally["gan"] += list(gan)
            tally["strokes"] += list(pen)
            tally["choice"] += list(np.where(took, pen, gan))
            tally["choice, recognisers"] += list(np.where(by_recognisers, pen, gan))
            tally["either"] += list(gan | pen)
    n = len(tally["gan"])
    print(json.dumps({"chars": args.chars[:3] + "...", "pairs": n,
                      **{k: round(100 * float(np.mean(v)), 1) for k, v in tally.items()},
                      "s_per_cell": {k: round(v / n, 3) for k, v in seconds.items()}}),
          flush=True)


def words(args: argparse.Namespace, judge: Judge) -> None:
    from choice import words as word_pairs

    from ambictl import eval_words

    word_pairs(args, judge, {"auto": eval_words.WORD_METHODS["auto"], **eval_words.STROKE_METHODS})


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--every", type=int, default=3, help="take every Nth pair (word pair)")
    ap.add_argument("--styles", type=int, default=1, help="the model's first N styles")
    ap.add_argument("--chars", default=string.ascii_lowercase)
    ap.add_argument("--symmetry", default="rotate")
    ap.add_argument("--weights", default=None)
    ap.add_argument("--judge", default=None, help="a judge file, or 'light'")
    ap.add_argument("--words", action="store_true", help="the word pairs instead of pairs")
    ap.add_argument("--steps", type=int, default=None)
    ap.add_argument("--renderings", type=int, default=None)
    ap.add_argument("--readers", type=int, nargs="*", default=None)
    ap.add_argument("--lr", type=float, default=None)
    ap.add_argument("--set", nargs="*", default=[], metavar="FIELD=VALUE",
                    help="any other strokes.RefineConfig field")
    args = ap.parse_args()
    given = {k: v for k, v in {"steps": args.steps, "renderings": args.renderings,
                               "lr": args.lr}.items() if v is not None}
    for item in args.set:
        name, _, value = item.partition("=")
        given[name] = type(getattr(strokes.DEFAULT, name))(value)
    if args.readers is not None:
        given["readers"] = tuple(args.readers)
    strokes.DEFAULT = replace(strokes.DEFAULT, **given)
    judge = load_judge(args.judge)
    (words if args.words else pairs)(args, judge)


if __name__ == "__main__":
    main()

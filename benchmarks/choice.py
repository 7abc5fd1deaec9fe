"""How well `make` chooses among its candidates, by its ranking and by the old one.

Pairs: per K candidates per pair, the share of pairs whose typed-case candidate, old-ranked,
ranked and oracle choice the held-out judge reads both ways, as delivered (ambictl.eval_choice,
what `ambictl eval` reports for make's default K):

    python benchmarks/choice.py --every 3 --styles 1 --k 8 16 32 64

Every candidate is traced: K = 64 on 226 pairs is about 15,000 traces, several minutes on 2
cores. Words (`--words`): the shipped word pairs drawn by `make` with its defaults and with the
old ranking, read as delivered by the judge and Tesseract, beside the judge choosing among the
alternatives (`auto, oracle`; ambictl.eval_words):

    python benchmarks/choice.py --words --every 2

Prints one JSON line per K or per method.
"""

from __future__ import annotations

import argparse
import json
import string
import time
from typing import Any

import torch

from ambictl.ambigram import load_model
from ambictl.eval_choice import evaluate_choice
from ambictl.judge import Judge, load_judge


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--every", type=int, default=3, help="take every Nth pair of the 26 x 26")
    ap.add_argument("--styles", type=int, default=1, help="the model's first N styles")
    ap.add_argument("--k", type=int, nargs="+", default=[8, 16, 32, 64])
    ap.add_argument("--chars", default=string.ascii_lowercase)
    ap.add_argument("--symmetry", default="rotate")
    ap.add_argument("--weights", default=None)
    ap.add_argument("--judge", default=None, help="a judge file, or 'light'")
    ap.add_argument("--words", action="store_true", help="the word pairs instead of pairs")
    args = ap.parse_args()
    model, judge = load_model(args.weights), load_judge(args.judge)
    if args.words:
        return words(args, judge)
    for k in args.k:
        t = time.time()
        r = evaluate_choice(model, judge, args.chars, list(range(args.styles)), args.symmetry,
                            k, workers=torch.get_num_threads(), every=args.every)
        print(json.dumps({**r.summary(), "seconds": round(time.time() - t)}), flush=True)


def words(args: argparse.Namespace, judge: Judge,
          methods: dict[str, dict[str, Any]] | None = None) -> None:
    """Every `args.every`th shipped word pair drawn by `make` with each of `methods` (default:
    its defaults and the old ranking) and read as delivered: one JSON line per method."""
    from ambictl import eval_words, ocr
    from ambictl.evaluate import Draw, style_codes
    from ambictl.evaluate import load_model as load_bank

    bank = load_bank(args.weights, torch.device("cpu"))
    pairs = eval_words.load_pairs()[0][::args.every]
    methods = methods or {"auto": eval_words.WORD_METHODS["auto"], **eval_words.OLD_RANKING}
    t = time.time()
    res = eval_words.evaluate_words(bank.model, Draw(bank, args.symmetry, style_codes(bank, 0)),
                                    judge, pairs, ocr.availability()[0], 0, methods,
                                    baselines=())
    for name, m in res.summary().items():
        tess = m["ocr"]["either"]["both"] if m["ocr"] else None
        print(json.dumps({"method": name, "judge": m["judge"]["both"], "tesseract": tess,
                          "n": m["judge"]["n"]}), flush=True)
    print(json.dumps({"seconds": round(time.time() - t)}))


if __name__ == "__main__":
    main()

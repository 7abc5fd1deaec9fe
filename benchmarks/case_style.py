"""Which case rule and which style rule read best: words drawn by `make` under each pair of
`--case` / `--style` options, read as delivered by the held-out judge and by Tesseract.

    python benchmarks/case_style.py --every 3        # 72 of the 216 shipped word pairs

Prints one line per option pair: the share of words read exactly both ways. Slow (every word is
made six times): about 10 minutes for 72 pairs on 2 cores.
"""

from __future__ import annotations

import argparse
import json
import time

import torch

from ambictl import eval_words, ocr
from ambictl.evaluate import Draw, load_model, style_codes
from ambictl.judge import load_judge


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--every", type=int, default=3, help="take every Nth word pair")
    ap.add_argument("--symmetry", default="rotate")
    args = ap.parse_args()
    bank = load_model(None, torch.device("cpu"))
    pairs = eval_words.load_pairs()[0][::args.every]
    methods = {f"{c}/{s}": {"case": c, "style": s}
               for c in ("keep", "word", "cell") for s in (0, "auto")}
    t = time.time()
    res = eval_words.evaluate_words(bank.model, Draw(bank, args.symmetry, style_codes(bank, 0)),
                                    load_judge(None), pairs, ocr.availability()[0], 0, methods,
                                    baselines=())
    for name, m in res.summary().items():
        tess = m["ocr"]["either"]["both"] if m["ocr"] else None
        print(json.dumps({"case/style": name, "judge": m["judge"]["both"], "tesseract": tess,
                          "n": m["judge"]["n"]}))
    print(f"{time.time() - t:.0f} s")


if __name__ == "__main__":
    main()

"""How the choice among `make`'s candidates grows with their number: per K candidates per pair,
the share of pairs whose typed-case candidate, old-ranked, ranked and oracle choice the
held-out judge reads both ways, as delivered (ambictl.eval_choice, what `ambictl eval` reports
for make's default K).

    python benchmarks/choice.py --every 3 --styles 1 --k 8 16 32 64

Prints one JSON line per K. Every candidate is traced: K = 64 on 226 pairs is about 15,000
traces, several minutes on 2 cores.
"""

from __future__ import annotations

import argparse
import json
import string
import time

import torch

from ambictl.ambigram import load_model
from ambictl.eval_choice import evaluate_choice
from ambictl.judge import load_judge


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--every", type=int, default=3, help="take every Nth pair of the 26 x 26")
    ap.add_argument("--styles", type=int, default=1, help="the model's first N styles")
    ap.add_argument("--k", type=int, nargs="+", default=[8, 16, 32, 64])
    ap.add_argument("--chars", default=string.ascii_lowercase)
    ap.add_argument("--symmetry", default="rotate")
    ap.add_argument("--weights", default=None)
    ap.add_argument("--judge", default=None, help="a judge file, or 'light'")
    args = ap.parse_args()
    model, judge = load_model(args.weights), load_judge(args.judge)
    for k in args.k:
        t = time.time()
        r = evaluate_choice(model, judge, args.chars, list(range(args.styles)), args.symmetry,
                            k, workers=torch.get_num_threads(), every=args.every)
        print(json.dumps({**r.summary(), "seconds": round(time.time() - t)}), flush=True)


if __name__ == "__main__":
    main()

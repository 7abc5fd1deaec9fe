"""The choice gap for `ambictl eval`: how well `make` chooses among its own candidates.

For every pair (a, b) of a character set, in a few styles, `make`'s candidates are drawn exactly
as `make` draws them (ambigram._candidates: K noise codes split over the pair's four case
combinations a/b, A/B, a/B, A/b), each is delivered (traced and rasterised back) and the judge
reads both views among both cases, case-insensitively. Then, side by side on the same candidates:

- `typed`: the first candidate (typed case, noise code 0), i.e. no choice at all;
- `old ranking`: the one `make` ranked first before 2026-12-04 (the training recognisers
  reading the soft glyph within each case: ambigram.RANKINGS["within-case"]);
- `ranked`: the one `make` ranks first now (RANKINGS["delivered"]: the same recognisers
  reading it as delivered, among both cases);
- `rankers`: for weights with ranking readers (ambictl.rankers), the one they rank first;
- `oracle`: any candidate the judge reads both ways, i.e. the best choice there is.

Both rankings prefer the typed case by `ambigram.CASE_MARGIN`, as `make` does.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import torch

from .ambigram import RANKINGS, Model, _candidates, _case_penalty, _noise, cell_options
from .judge import Judge
from .symmetry import transform

CHOICE_STYLES = 2  # styles the choice is measured in (every candidate is traced: 16 per pair)
# method -> the ranking (ambigram.RANKINGS) that chooses, for the methods that rank
RANKED = {"old ranking": "within-case", "ranked": "delivered", "rankers": "rankers"}


@dataclass
class ChoiceResult:
    """Per method, the share of pairs x styles whose chosen candidate the judge reads both
    ways; `n` pairs x styles, `k` candidates each."""

    shares: dict[str, float]
    n: int
    k: int

    def summary(self) -> dict[str, Any]:
        return {"candidates": self.k, "n": self.n,
                **{m: round(v, 4) for m, v in self.shares.items()}}


def _reads(judge: Judge, glyphs: torch.Tensor, up: list[str], turned: list[str],
           symmetry: str) -> np.ndarray:
    """(R,) whether the judge reads glyphs (R, 1, S, S) as `up` as they are and as `turned`
    with the symmetry applied, among both cases, case-insensitively."""
    among = "".join(c for c in dict.fromkeys("".join(up + turned).lower()
                                              + "".join(up + turned).upper()) if c in judge.chars)
    one = judge.choose(judge.logits(glyphs), among)
    two = judge.choose(judge.logits(transform(glyphs, symmetry)), among)
    return np.array([x.lower() == a.lower() and y.lower() == b.lower()
                     for x, y, a, b in zip(one, two, up, turned, strict=True)])


def evaluate_choice(model: Model, judge: Judge, chars: str, styles: list[int], symmetry: str,
                    k: int, seed: int = 0, workers: int = 1, every: int = 1) -> ChoiceResult:
    """The choice gap on every `every`-th pair of `chars` x `chars` in `styles`, with `k`
    candidates per pair (see the module's docstring)."""
    from .evaluate import delivered  # it imports this module

    pairs = [(a, b) for a in chars for b in chars][::every]
    options = cell_options(pairs, "cell", model.chars)
    z = _noise(k, model.config.z_dim, seed)
    ranked = {m: r for m, r in RANKED.items() if r != "rankers" or model.rankers}
    hits: dict[str, list[np.ndarray]] = {m: [] for m in ("typed", *ranked, "oracle")}
    with torch.inference_mode():
        for style in styles:
            cands = _candidates(replace(model, ranking="delivered"), options, symmetry, style,
                                z)
            glyphs = torch.from_numpy(np.stack(cands.glyphs))  # (n, M, S, S)
            n, m = glyphs.shape[:2]
            real = cands.option >= 0
            up = [options[i][o][0] if o >= 0 else options[i][0][0]
                  for i, row in enumerate(cands.option) for o in row]
            turned = [options[i][o][1] if o >= 0 else options[i][0][1]
                      for i, row in enumerate(cands.option) for o in row]
            flat = glyphs.reshape(n * m, 1, *glyphs.shape[2:])
            a = torch.tensor([model.chars.index(c) for c in up])
            b = torch.tensor([model.chars.index(c) for c in turned])
            ok = _reads(judge, delivered(flat, workers), up, turned, symmetry).reshape(n, m)
            ok &= real
            penalty = _case_penalty(cands.option)
            hits["typed"].append(ok[:, 0])
            for method, ranking in ranked.items():
                legible = cands.legible if ranking == "delivered" else \
                    RANKINGS[ranking](model, flat, a, b, symmetry)[1].numpy().reshape(n, m)
                hits[method].append(ok[np.arange(n), np.argmax(legible - penalty, axis=1)])
            hits["oracle"].append(ok.any(1))
    shares = {meth: float(np.concatenate(v).mean()) for meth, v in hits.items()}
    return ChoiceResult(shares, len(pairs) * len(styles), k)


"""`ambictl eval`: honest quality figures for a model, beside baselines, by judges it never saw.

For each symmetry it measures, with the held-out judge (see judge.py) and optionally Tesseract:

1. ambigramability: for every ordered pair (a, b) of a character set, over N styles, the share of
   glyphs whose both views the judge reads: the glyph as a, the transformed glyph as b. The judge
   chooses among the evaluated character set only (26 lower-case letters, say), because a reader
   of a lower-case ambigram expects lower-case letters: telling l from I or o from 0 is not the
   question. The same for `delivered`, the model's glyph after the vector round trip that `make`
   writes (binary outlines: what a reader of its output sees), and for the `overlay` and
   `upright` baselines (baselines.py);
2. words: a list of word pairs drawn exactly as `ambictl make` draws them (its defaults, and with
   the case kept as typed) and as delivered (the vector outline), beside the baselines, read cell
   by cell by the judge and whole by Tesseract when present (eval_words.py);
3. style quality: a Fréchet distance between the judge's penultimate features of the drawn glyphs
   (both views) and of real glyphs, and the diversity across styles relative to real fonts, so
   legibility cannot be bought with blobs that only a network reads; and the own-font share
   (`own_font`): how often a glyph is nearer its own style's font than any other style's.

Everything is deterministic for a seed: styles are the first N of the model's style bank (the
most legible training fonts, one per family), and each style gets one seeded noise code z, shared
by all its pairs the way a word shares one z.

`Draw` draws the model's glyphs through make's own drawing: `drawing.draw_glyphs` for the first
stage (methods "model" and "ranked"; "delivered" traces those), `ambigram.refine` for the 64 px
second stage and `ambigram.best_case` for the case-free pairs, so the figures measure the very
glyphs `make` writes.
"""

from __future__ import annotations

import copy
import itertools
import signal
import string
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from functools import partial
from multiprocessing import get_context
from pathlib import Path
from typing import Any

import numpy as np
import torch

from . import baselines, vectorize
from .ambigram import Model, trace_settings
from .compose import DEFAULT_CANDIDATES
from .drawing import draw_glyphs
from .errors import UsageError
from .eval_choice import CHOICE_STYLES, evaluate_choice
from .judge import Judge
from .models import ModelConfig
from .readers import ensemble_probability
from .refine import shrink
from .symmetry import SYMMETRIES, case_groups, transform

METHODS = ("model", "delivered", "case", "ranked", "overlay", "upright")
# The pen-stroke stage (make --strokes on / auto, ambictl.strokes), as delivered: measured in
# the first EvalConfig.strokes styles only (seconds per glyph).
STROKE_METHODS = ("strokes", "strokes-auto")
STROKE_WORD = 13  # pairs refined together, as one word: they share one pen width
REFINED = "refined"  # a model with a refiner: its glyphs redrawn at 64 px, as delivered
RANKED_CANDIDATES = 4  # "ranked": the best of this many noise codes, chosen as `make` chooses
NAMED_SETS = {"lower": string.ascii_lowercase, "upper": string.ascii_uppercase,
              "digits": string.digits}
DEFAULT_SETS = ("lower", "upper")
QUICK_CHARS = "abdnopqsu"  # pairs with natural ambigrams (d/p, n/u, s/s) and hard ones
DEFAULT_STYLES = 8
EXTREMES = 10  # hardest and easiest pairs listed


# ----------------------------------------------------------------------------- the model


@dataclass
class ModelBank:
    """A generator with its style bank: glyphs[s, c] = character c drawn in style (font) s."""

    G: torch.nn.Module  # models.build_generator's, as make loads it
    cfg: ModelConfig
    glyphs: torch.Tensor  # (n_styles, n_chars, 1, S, S) float, ink = 1
    names: list[str]
    meta: dict[str, Any]
    recognizers: list[torch.nn.Module] = field(default_factory=list)  # the model's own ranking
    model: Model | None = None  # as `make` loads it (on the CPU): words are drawn by make itself

    @property
    def n_styles(self) -> int:
        return self.glyphs.shape[0]

    def index(self, chars: str) -> list[int]:
        missing = [c for c in chars if c not in self.cfg.chars]
        if missing:
            raise UsageError(f"the model has no {''.join(missing)!r}: it draws "
                             f"{self.cfg.chars!r}")
        return [self.cfg.chars.index(c) for c in chars]


def load_model(path: str | Path | None, device: torch.device) -> ModelBank:
    """The generator, its recognisers and style bank from a weights file (default: shipped),
    loaded and checked exactly as `make` loads them."""
    from .ambigram import load_model as load_checked

    m = load_checked(path)

    def moved(net: torch.nn.Module) -> torch.nn.Module:  # make's copy stays on the CPU
        return net if device.type == "cpu" else copy.deepcopy(net).to(device)

    return ModelBank(moved(m.generator), m.config, m.style_glyphs.to(device),
                     m.style_names, {**m.meta, "path": str(m.path)},
                     [moved(r) for r in m.recognizers], m)


class Draw:
    """Draws the glyph of pairs (a, b) in styles s under one symmetry, by each method."""

    def __init__(self, bank: ModelBank, symmetry: str, z: torch.Tensor,
                 batch: int | None = None) -> None:
        # Small batches on the CPU: several times faster than large ones (cache, no page faults).
        cpu = bank.glyphs.device.type == "cpu"
        self.bank, self.symmetry, self.z = bank, symmetry, z
        self.batch = batch or (64 if cpu else 1024)
        self.groups = case_groups(bank.cfg.chars).to(bank.glyphs.device)

    @torch.no_grad()
    def __call__(self, method: str, a: torch.Tensor, b: torch.Tensor, s: torch.Tensor
                 ) -> torch.Tensor:
        """a, b: character indices of the model; s: style indices; all (B,) long."""
        if method == "delivered":
            return delivered(self("model", a, b, s), torch.get_num_threads())
        if method == "case":
            return delivered(self._case_free(a, b, s), torch.get_num_threads())
        if method == "refined":  # read at the first stage's size, as the judge reads all
            return shrink(delivered(self._refined(a, b, s), torch.get_num_threads()),
                          self.bank.cfg.image_size)
        if method == "model":
            return self._model(a, b, s, self.z[s.to(self.z.device)]).cpu()
        if method in STROKE_METHODS:
            return self._strokes(a, b, s, "on" if method == "strokes" else "auto")
        out = []
        dev = self.bank.glyphs.device
        for aa, bb, ss in zip(a.split(self.batch), b.split(self.batch), s.split(self.batch),
                              strict=True):
            aa, bb, ss = aa.to(dev), bb.to(dev), ss.to(dev)
            if method == "ranked":
                x = self._best_candidate(aa, bb, ss)
            elif method in ("overlay", "upright"):
                ga = self.bank.glyphs[ss, aa]
                gtb = transform(self.bank.glyphs[ss, bb], self.symmetry)
                x = getattr(baselines, method)(ga, gtb)
            else:
                raise ValueError(f"unknown method {method!r}")
            out.append(x.clamp(0, 1).cpu())
        return torch.cat(out) if out else torch.zeros(0, 1, self.bank.cfg.image_size,
                                                      self.bank.cfg.image_size)

    def _model(self, a: torch.Tensor, b: torch.Tensor, s: torch.Tensor, z: torch.Tensor
               ) -> torch.Tensor:
        """The generator's glyphs of rows (a, b, style, code z), drawn as `make` draws them
        (drawing.draw_glyphs), in this Draw's batches; on the bank's device."""
        return draw_glyphs(self.bank.G, self.bank.glyphs, a, b, s, self.symmetry, z, self.batch)

    def _case_free(self, a: torch.Tensor, b: torch.Tensor, s: torch.Tensor) -> torch.Tensor:
        """Each pair in whichever of its case combinations (a/b, A/B, a/B, A/b) `make`'s
        ranking prefers (ambigram.best_case: the same readers, the same margin for the case
        given), in the style's noise code."""
        from .ambigram import best_case

        assert self.bank.model is not None
        chars = self.bank.cfg.chars
        cells = [(chars[x], chars[y]) for x, y in zip(a.tolist(), b.tolist(), strict=True)]
        out = best_case(self.bank.model, cells, self.symmetry, s.tolist(), self.z.cpu())
        return torch.from_numpy(out)[:, None].to(self.bank.glyphs.device)

    def _refined(self, a: torch.Tensor, b: torch.Tensor, s: torch.Tensor) -> torch.Tensor:
        """The model's glyphs redrawn at 64 px by its refiner, as `make` redraws them."""
        from .ambigram import refine

        assert self.bank.model is not None
        chars = self.bank.cfg.chars
        cells = [(chars[x], chars[y]) for x, y in zip(a.tolist(), b.tolist(), strict=True)]
        out = refine(self.bank.model, self("model", a, b, s)[:, 0].cpu().numpy(), cells,
                     s.tolist(), self.symmetry)
        return torch.from_numpy(out)[:, None].to(self.bank.glyphs.device)

    def _strokes(self, a: torch.Tensor, b: torch.Tensor, s: torch.Tensor, mode: str
                 ) -> torch.Tensor:
        """The model's glyphs redrawn in pen strokes as `make --strokes MODE` redraws a word's
        (ambigram.draw_strokes), STROKE_WORD pairs of a style at a time, as delivered (the
        strokes' outline rasterised back; the glyph's trace where "auto" keeps the glyph)."""
        from .ambigram import draw_strokes

        assert self.bank.model is not None
        first = self("model", a, b, s)
        out = delivered(first, torch.get_num_threads())
        chars, glyphs = self.bank.cfg.chars, first[:, 0].numpy()
        texts = [(chars[x], chars[y]) for x, y in zip(a.tolist(), b.tolist(), strict=True)]
        for style in sorted(set(s.tolist())):
            rows = np.flatnonzero(s.cpu().numpy() == style)
            for i in range(0, len(rows), STROKE_WORD):
                word = rows[i:i + STROKE_WORD]
                taken = draw_strokes(self.bank.model, [glyphs[r] for r in word],
                                     [texts[r] for r in word], self.symmetry, style, 0, mode)
                for j, (_, outline, *_) in taken.items():
                    out[word[j], 0] = torch.from_numpy(
                        vectorize.rasterize(outline, glyphs.shape[1:]).astype(np.float32))
        return out

    def _best_candidate(self, a: torch.Tensor, b: torch.Tensor, s: torch.Tensor
                        ) -> torch.Tensor:
        """What `make` does per cell: K noise codes (the style's first), keep the one the
        model's own recognisers read best from both directions (the lower of the two
        probabilities)."""
        g = torch.Generator().manual_seed(len(a))
        cands = [self._model(a, b, s, self.z[s])]
        for _ in range(RANKED_CANDIDATES - 1):
            z = torch.randn(len(a), self.bank.cfg.z_dim, generator=g).to(a.device)
            cands.append(self._model(a, b, s, z))

        def p(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
            return ensemble_probability(self.bank.recognizers, self.groups, x, y)

        scores = [torch.minimum(p(x, a), p(transform(x, self.symmetry), b)) for x in cands]
        best = torch.stack(scores, 1).argmax(1)
        return torch.stack(cands, 1)[torch.arange(len(a)), best]


def delivered(glyphs: torch.Tensor, workers: int = 1) -> torch.Tensor:
    """Glyphs (B, 1, S, S) as `make` delivers them: traced to the vector outline it writes, then
    rasterised back at S px. The outline is binary where the model may draw grey ink, so this
    is what a reader of the SVG or PNG sees. Tracing (NumPy, one core; see benchmarks/bench.py) is
    spread over `workers` processes for large batches; the result does not depend on them."""
    images = list(glyphs.clamp(0, 1).cpu().numpy()[:, 0])
    trip = partial(vectorize.round_trip, **trace_settings(glyphs.shape[-1]))
    if workers > 1 and len(images) >= 64 * workers:
        # spawn, not fork: a forked child of a process running torch's thread pool can hang.
        # Workers ignore Ctrl-C (the parent reports it, once); pending work is dropped on exit.
        pool = ProcessPoolExecutor(workers, mp_context=get_context("spawn"),
                                   initializer=signal.signal,
                                   initargs=(signal.SIGINT, signal.SIG_IGN))
        try:
            back = list(pool.map(trip, images, chunksize=64))
        finally:
            pool.shutdown(cancel_futures=True)
    else:
        back = [trip(g) for g in images]
    return torch.from_numpy(np.stack(back)[:, None]).float().to(glyphs.device) if back \
        else glyphs


def eval_methods(bank: ModelBank, strokes: bool = False) -> tuple[str, ...]:
    """The pair methods a model is measured by: METHODS, REFINED when it has a refiner, and
    STROKE_METHODS when asked."""
    has = bank.model is not None and bank.model.refiner is not None
    return (*METHODS, *((REFINED,) if has else ()), *(STROKE_METHODS if strokes else ()))


def style_codes(bank: ModelBank, seed: int) -> torch.Tensor:
    """One noise code per style, fixed by the seed (a word shares its style's code)."""
    g = torch.Generator().manual_seed(seed)
    return torch.randn(bank.n_styles, bank.cfg.z_dim, generator=g).to(bank.glyphs.device)


# ----------------------------------------------------------------------------- pairs


def parse_charsets(specs: list[str] | None) -> dict[str, str]:
    """--chars values: 'lower', 'upper', 'digits' or literal characters -> {name: chars}."""
    out: dict[str, str] = {}
    for spec in specs or list(DEFAULT_SETS):
        spec = spec.strip()
        chars = NAMED_SETS.get(spec, spec)
        if not chars:
            raise UsageError("--chars is empty: give a set name (lower, upper, digits) or "
                             "characters, e.g. --chars abdpqnuo")
        if len(set(chars)) != len(chars) or any(c.isspace() for c in chars):
            raise UsageError(f"--chars {spec!r} repeats characters or holds spaces")
        name = spec if spec in NAMED_SETS else f"set{len(out) + 1}"
        out[name] = chars
    return out


@dataclass
class PairResult:
    """One method on one character set under one symmetry."""

    chars: str
    matrix: np.ndarray  # (n, n): share of styles read both ways; rows a (as is), columns b
    view1: np.ndarray  # (n, n): share read as a as it is
    view2: np.ndarray  # (n, n): share read as b transformed
    features: torch.Tensor  # (n, n, styles, 2, D) judge features of both views
    style_spread: float  # mean pixel difference between styles of one pair (see `spread`)

    @property
    def mean(self) -> float:
        return float(self.matrix.mean())

    def ranked(self) -> list[tuple[str, float]]:
        """(pair, score) from hardest to easiest; ties in character order."""
        n = len(self.chars)
        cells = [(self.chars[i] + self.chars[j], float(self.matrix[i, j]))
                 for i in range(n) for j in range(n)]
        return sorted(cells, key=lambda c: c[1])

    def summary(self) -> dict[str, Any]:
        ranked = self.ranked()
        easiest = sorted(ranked, key=lambda c: -c[1])
        return {"mean": round(self.mean, 4), "view1": round(float(self.view1.mean()), 4),
                "view2": round(float(self.view2.mean()), 4),
                "hardest": [[p, round(v, 4)] for p, v in ranked[:EXTREMES]],
                "easiest": [[p, round(v, 4)] for p, v in easiest[:EXTREMES]]}


def pair_grid(n_pairs_side: int, styles: list[int]) -> tuple[torch.Tensor, torch.Tensor,
                                                             torch.Tensor]:
    """Row-major (a, b, style) positions over n x n pairs and the styles."""
    idx = torch.tensor(list(itertools.product(range(n_pairs_side), range(n_pairs_side),
                                              range(len(styles)))), dtype=torch.long)
    return idx[:, 0], idx[:, 1], torch.tensor(styles, dtype=torch.long)[idx[:, 2]]


def evaluate_pairs(draw: Draw, judge: Judge, chars: str, styles: list[int], method: str
                   ) -> PairResult:
    """Draw every (a, b) of `chars` in every style; the judge reads both views among `chars`
    (method "case", where the case is free: among both cases, compared case-insensitively)."""
    n, k = len(chars), len(styles)
    model_idx = torch.tensor(draw.bank.index(chars))
    ia, ib, s = pair_grid(n, styles)
    glyphs = draw(method, model_idx[ia], model_idx[ib], s)
    logits1, f1 = judge.analyse(glyphs)
    logits2, f2 = judge.analyse(transform(glyphs, draw.symmetry))
    among = chars
    if method == "case":
        among += "".join(c for c in chars.swapcase() if c in judge.chars and c not in chars)

    def index(c: str) -> int:  # a reading's place in `chars`, case-insensitively for "case"
        return chars.index(c) if c in chars else chars.index(c.swapcase())

    read1 = torch.tensor([index(c) for c in judge.choose(logits1, among)])
    read2 = torch.tensor([index(c) for c in judge.choose(logits2, among)])
    ok1 = (read1 == ia).float().view(n, n, k)
    ok2 = (read2 == ib).float().view(n, n, k)
    feats = torch.stack([f1, f2], 1).view(n, n, k, 2, -1)
    return PairResult(chars, (ok1 * ok2).mean(2).numpy(), ok1.mean(2).numpy(),
                      ok2.mean(2).numpy(), feats, spread(glyphs.view(n * n, k, -1)))


# ----------------------------------------------------------------------------- style quality


def frechet_distance(x: np.ndarray, y: np.ndarray) -> float:
    """Fréchet distance between Gaussians fitted to two feature sets (rows = samples): the FID
    formula, on the judge's features instead of Inception's."""
    x, y = np.asarray(x, np.float64), np.asarray(y, np.float64)
    mu1, mu2 = x.mean(0), y.mean(0)
    c1 = np.cov(x, rowvar=False) if len(x) > 1 else np.zeros((x.shape[1],) * 2)
    c2 = np.cov(y, rowvar=False) if len(y) > 1 else np.zeros((y.shape[1],) * 2)
    # tr sqrt(C1 C2) = sum of sqrt eigenvalues of sqrt(C1) C2 sqrt(C1), which is symmetric.
    w, v = np.linalg.eigh(c1)
    root1 = (v * np.sqrt(np.clip(w, 0, None))) @ v.T
    cross = np.sqrt(np.clip(np.linalg.eigvalsh(root1 @ c2 @ root1), 0, None)).sum()
    return float(((mu1 - mu2) ** 2).sum() + np.trace(c1) + np.trace(c2) - 2 * cross)


def spread(images: torch.Tensor) -> float:
    """How much the styles of one glyph differ: images (groups, styles, pixels) -> the mean
    absolute pixel difference between two styles of a group, averaged over groups. Pixels, not
    features, so that a judge's reaction to odd shapes cannot pass for variety."""
    if images.shape[1] < 2:
        return float("nan")
    x = images.double()
    d = torch.cdist(x, x, p=1) / x.shape[-1]  # (groups, k, k)
    k = x.shape[1]
    return float(d.sum() / (x.shape[0] * k * (k - 1)))


@dataclass
class RealFeatures:
    """The judge's features of real glyphs: the style bank's fonts, per character."""

    by_char: dict[str, torch.Tensor]  # char -> (styles, D)
    pixels: dict[str, torch.Tensor]  # char -> (styles, S * S)

    @classmethod
    def of(cls, bank: ModelBank, judge: Judge, chars: str, styles: list[int]) -> RealFeatures:
        idx = torch.tensor(bank.index(chars))
        s = torch.tensor(styles)
        glyphs = bank.glyphs[s][:, idx].transpose(0, 1).cpu()  # (chars, styles, 1, S, S)
        feats = judge.features(glyphs.flatten(0, 1)).view(len(chars), len(styles), -1)
        return cls({c: feats[i] for i, c in enumerate(chars)},
                   {c: glyphs[i].flatten(1) for i, c in enumerate(chars)})

    def stack(self, chars: str) -> torch.Tensor:
        return torch.stack([self.by_char[c] for c in chars])  # (chars, styles, D)


def own_font(generated: np.ndarray, real: np.ndarray, own: np.ndarray) -> np.ndarray:
    """Whether each generated glyph is nearer its own font than any other: (N,) bool.

    generated (N, V, D): judge features of each glyph's V views (as it is; with the symmetry
    applied); real (N, K, V, D): each view's letter (a; b) as each of K fonts draws it; own
    (N,): the glyph's own font among the K. Distance to a font: the Euclidean feature distance
    averaged over the views; a glyph counts only when its own font is strictly the nearest, so
    the share of hits is 1/K by chance."""
    generated, real = np.asarray(generated, np.float64), np.asarray(real, np.float64)
    d = np.linalg.norm(generated[:, None] - real, axis=-1).mean(-1)  # (N, K)
    rows = np.arange(len(d))
    others = d.copy()
    others[rows, own] = np.inf
    return d[rows, own] < others.min(1)


def style_quality(results: list[PairResult], real: RealFeatures) -> dict[str, float]:
    """FID-like realism (lower is better; 0 = real glyphs), diversity across styles relative
    to the real fonts' (1.0 = as varied as real fonts; near 0 = one shape for every style),
    and the own-font share (`own_font`; chance `own_font_chance` = 1 / styles)."""
    gen = torch.cat([r.features.flatten(0, 3) for r in results]).numpy()
    chars = "".join(dict.fromkeys("".join(r.chars for r in results)))
    ref = real.stack(chars)
    fid = frechet_distance(gen, ref.flatten(0, 1).numpy())
    gen_spread = float(np.mean([r.style_spread for r in results]))
    real_spread = spread(torch.stack([real.pixels[c] for c in chars]))
    diversity = float(gen_spread / real_spread) if real_spread > 0 else float("nan")
    k = ref.shape[1]
    hits = [own_font(r.features[i].flatten(0, 1).numpy(),  # row a: (b, style) x views
                     torch.stack([real.by_char[r.chars[i]].expand(len(r.chars), k, -1),
                                  real.stack(r.chars)], 2).repeat_interleave(k, 0).numpy(),
                     np.tile(np.arange(k), len(r.chars)))
            for r in results for i in range(len(r.chars))] if k > 1 else []
    share = float(np.concatenate(hits).mean()) if hits else float("nan")
    return {"fid": round(fid, 3), "diversity": round(diversity, 4),
            "own_font": round(share, 4), "own_font_chance": round(1 / k, 4)}


# ----------------------------------------------------------------------------- the run


@dataclass
class EvalConfig:
    charsets: dict[str, str] = field(default_factory=lambda: parse_charsets(None))
    symmetries: tuple[str, ...] = SYMMETRIES
    styles: int = DEFAULT_STYLES  # 0 = the whole style bank
    pairs_file: Path | None = None
    unequal_file: Path | None = None  # words of different lengths (default: the shipped list)
    max_words: int | None = None  # per list
    seed: int = 0
    ocr: bool = True
    quick: bool = False
    # The choice gap (eval_choice): `make`'s candidates per pair, in the first choice_styles
    # styles (0: off), every one traced.
    candidates: int = DEFAULT_CANDIDATES
    choice_styles: int = CHOICE_STYLES
    strokes: int = 0  # styles the pen-stroke stage is measured in (0: off; STROKE_METHODS)

    @classmethod
    def quick_preset(cls, **overrides: Any) -> EvalConfig:
        """A small subset in seconds: one symmetry, nine characters, four styles, 12 words."""
        base = {"charsets": {"quick": QUICK_CHARS}, "symmetries": ("rotate",), "styles": 4,
                "max_words": 12, "quick": True, "candidates": 8, "choice_styles": 1}
        return cls(**{**base, **overrides})


@dataclass
class EvalResult:
    summary: dict[str, Any]  # JSON-ready
    pairs: dict[str, dict[str, dict[str, PairResult]]]  # symmetry -> set -> method -> result
    words: dict[str, Any]  # symmetry -> eval_words.WordResults
    bank: ModelBank


def run_eval(cfg: EvalConfig, judge: Judge, bank: ModelBank,
             progress: Callable[[str, float], None] | None = None) -> EvalResult:
    """Measure the model and the baselines; returns figures (no files written)."""
    from . import eval_words, ocr

    t0 = time.time()
    for sym in cfg.symmetries:
        if sym not in SYMMETRIES:
            raise UsageError(f"unknown symmetry {sym!r}; choose from {', '.join(SYMMETRIES)}")
    charsets = dict(cfg.charsets)
    if cfg.quick and charsets.get("quick") == QUICK_CHARS:  # the preset adapts to the model
        charsets["quick"] = "".join(c for c in QUICK_CHARS if c in bank.cfg.chars
                                    and c in judge.chars) or QUICK_CHARS
    for chars in charsets.values():
        bank.index(chars)
        judge.index(chars)
    n_styles = bank.n_styles if cfg.styles <= 0 else min(cfg.styles, bank.n_styles)
    styles = list(range(n_styles))
    z = style_codes(bank, cfg.seed)
    notes: list[str] = []
    if n_styles < cfg.styles:
        notes.append(f"the model has {bank.n_styles} styles; --styles {cfg.styles} was cut")
    all_chars = "".join(dict.fromkeys("".join(charsets.values())))
    real = RealFeatures.of(bank, judge, all_chars, styles)

    lists = {"words": cfg.pairs_file, "unequal words": cfg.unequal_file
             or eval_words.UNEQUAL_FILE}
    word_lists: dict[str, list[eval_words.WordPair]] = {}
    for key, path in lists.items():
        pairs_list, rejected = eval_words.load_pairs(path)
        usable, unusable = eval_words.usable_pairs(pairs_list, bank.cfg.chars, judge.chars)
        word_lists[key] = usable[:cfg.max_words] if cfg.max_words is not None else usable
        if rejected:
            notes.append(f"{key}: {len(rejected)} pairs refused (first: {rejected[0]})")
        if unusable:
            notes.append(f"{key}: {len(unusable)} pairs skipped: characters the model or "
                         "judge lacks")
    exe, ocr_note = ocr.availability() if cfg.ocr else (None, "Tesseract OCR off (--no-ocr)")
    notes.append(ocr_note)

    methods = eval_methods(bank, cfg.strokes > 0)
    stroke_words = eval_words.STROKE_METHODS if cfg.strokes > 0 else {}
    choosing = cfg.choice_styles > 0
    steps = len(cfg.symmetries) * (len(charsets) * (len(methods) + choosing) + len(word_lists))
    done = 0

    def tick(what: str) -> None:
        nonlocal done
        done += 1
        if progress:
            progress(what, done / steps)

    pair_results: dict[str, dict[str, dict[str, PairResult]]] = {}
    word_results: dict[str, Any] = {}
    summary: dict[str, Any] = {}
    for sym in cfg.symmetries:
        draw = Draw(bank, sym, z)
        per_set: dict[str, dict[str, PairResult]] = {}
        for name, chars in charsets.items():
            per_set[name] = {}
            for method in methods:
                per_set[name][method] = evaluate_pairs(
                    draw, judge, chars, styles[:cfg.strokes] if method in STROKE_METHODS
                    else styles, method)
                tick(f"{sym} {name} {method}")
        pair_results[sym] = per_set
        assert bank.model is not None
        summary[sym] = {"pairs": {name: {m: r.summary() for m, r in res.items()}
                                  for name, res in per_set.items()}}
        if choosing:
            summary[sym]["choice"] = {}
            for name, chars in charsets.items():
                summary[sym]["choice"][name] = evaluate_choice(
                    bank.model, judge, chars, styles[:cfg.choice_styles], sym, cfg.candidates,
                    cfg.seed, torch.get_num_threads()).summary()
                tick(f"{sym} {name} choice")
        for key, usable in word_lists.items():
            def drawn(i: int, n: int, what: str = f"{sym} {key}") -> None:
                if progress:
                    progress(f"{what} {i}/{n}", (done + i / n) / steps)

            # Words of different lengths: make's defaults and the case kept, beside the overlay.
            methods_here = {**(eval_words.word_methods(bank.model) if key == "words"
                               else eval_words.UNEQUAL_METHODS), **stroke_words}
            words = eval_words.evaluate_words(
                bank.model, draw, judge, usable, exe, cfg.seed, methods_here,
                baselines=eval_words.BASELINES if key == "words" else ("overlay",),
                progress=drawn)
            word_results[sym if key == "words" else f"{sym}-unequal"] = words
            summary[sym][key] = words.summary()
            tick(f"{sym} {key}")
        summary[sym]["style"] = {m: style_quality([per_set[n][m] for n in per_set], real)
                                 for m in methods if m not in STROKE_METHODS}
    out = {
        "model": {"weights": bank.meta.get("path"), "chars": bank.cfg.chars,
                  "styles": bank.names[:n_styles], "steps": bank.meta.get("steps")},
        "judge": {"weights": judge.meta.get("path"), "metrics": judge.metrics},
        "settings": {"symmetries": list(cfg.symmetries), "charsets": charsets,
                     "styles": n_styles,
                     "word_methods": {**eval_words.word_methods(bank.model), **stroke_words},
                     "word_pairs": {k: len(v) for k, v in word_lists.items()},
                     "seed": cfg.seed, "quick": cfg.quick,
                     "ocr": exe is not None, "judge_reads_among": "the evaluated set"},
        "results": summary,
        "notes": notes,
        "seconds": round(time.time() - t0, 1),
    }
    return EvalResult(out, pair_results, word_results, bank)


def evaluate(cfg: EvalConfig, weights_path: str | Path | None = None,
             judge_path: str | Path | None = None, device: str = "cpu",
             progress: Callable[[str, float], None] | None = None) -> EvalResult:
    """Load the model and the judge (defaults: the shipped weights) and run the evaluation."""
    from .device import pick_device
    from .judge import load_judge

    dev = pick_device(device)
    judge = load_judge(judge_path).to(dev)
    bank = load_model(weights_path, dev)
    return run_eval(cfg, judge, bank, progress)

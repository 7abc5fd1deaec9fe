"""Word pairs for `ambictl eval`: the list, how each method draws a pair, and how it is read.

A word pair (w1, w2) is drawn exactly as `ambictl make` draws it (cells paired by
symmetry.pair_cells, or split by symmetry.align for words of different lengths; laid out by
compose.layout, traced as make traces), once per entry of
WORD_METHODS (make's options: its defaults, and the case kept as typed), beside the baselines
(real-font glyphs laid out and traced the same way). What is read is what is delivered: each
cell's outline rasterised back at the frame's size (the judge) and the whole picture rendered
from the outlines (Tesseract).

Readings: the judge reads every cell of both views, choosing among the letters of both cases
(and digits where the words hold some); Tesseract reads the whole picture of both views (ocr.py).
Both are compared case-insensitively, as a person reads a word, and the same way for every
method, so `make` choosing the case (`auto`) and drawing it as typed (`keep`) are measured
alike. A word counts as read in a view only when every letter is right.
"""

from __future__ import annotations

import string
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import torch

from . import baselines
from . import cells as cell_views
from .errors import UsageError
from .symmetry import align, check_lengths, split_readings, transform

if TYPE_CHECKING:
    from .ambigram import Model
    from .evaluate import Draw
    from .judge import Judge

PAIRS_FILE = Path(__file__).resolve().parent / "wordlists" / "word_pairs.txt"
# Words of different lengths (names above all: Alex / Sam), measured as a list of their own.
UNEQUAL_FILE = PAIRS_FILE.with_name("unequal_pairs.txt")
EXAMPLES = 8  # word pairs drawn into the words_<symmetry>.png sheet
OCR_SCALE = 4  # pictures rendered from the outlines at 4x the 32 px frame: Tesseract wants
# capitals 20+ px tall
# `make` with these options: its defaults ("auto"), each cell choosing its case in the first
# style ("case auto"), and what `make` drew before cells chose their case ("keep").
WORD_METHODS: dict[str, dict[str, Any]] = {
    "auto": {"case": "auto", "style": "auto"},
    "case auto": {"case": "auto", "style": 0},
    "keep": {"case": "keep", "style": 0},
}
NO_REFINER = {"auto, 32 px": {"case": "auto", "style": "auto", "refined": False}}  # beside
# "auto" for a model with a refiner: the same words without the second stage
OLD_RANKING = {"auto, old ranking": {"case": "auto", "style": "auto",
                                     "ranking": "within-case"}}  # beside "auto": the same
# words ranked as make ranked them before 2026-12-04 (ambigram.RANKINGS)
RANKERS = {"auto, rankers": {"case": "auto", "style": "auto", "ranking": "rankers"}}  # beside
# "auto" for a model with ranking readers (ambictl.rankers)
STROKE_METHODS = {f"auto, strokes {m}": {"case": "auto", "style": "auto", "strokes": m}
                  for m in ("on", "auto")}  # beside "auto" (make's default, strokes off):
# the pen-stroke stage (ambictl.strokes) on every cell, and where it reads better
ORACLE_OF = "auto"  # the method whose alternatives the judge also chooses among ("oracle")
UNEQUAL_METHODS = {m: WORD_METHODS[m] for m in ("auto", "keep")}  # words of different lengths
BASELINES = ("overlay", "upright")  # eval's baselines in style 0, laid out as `make` lays out


@dataclass(frozen=True)
class WordPair:
    first: str  # read as it is
    second: str  # read transformed

    def __str__(self) -> str:
        return self.first if self.first == self.second else f"{self.first}/{self.second}"


def parse_pairs(text: str) -> tuple[list[WordPair], list[str]]:
    """Lines 'WORD1 WORD2' (or one word: the same both ways), '#' comments; the words' lengths
    at most 2:1 apart (symmetry.check_lengths). Returns the pairs and the refused lines with
    the reason."""
    pairs: list[WordPair] = []
    refused: list[str] = []
    for number, raw in enumerate(text.splitlines(), 1):
        words = raw.split("#", 1)[0].split()
        if not words:
            continue
        if len(words) > 2:
            refused.append(f"line {number}: more than two words")
            continue
        first, second = words[0], words[-1]
        if not all(c.isalnum() and c.isascii() for c in first + second):
            refused.append(f"line {number}: only letters and digits can be laid out")
            continue
        try:
            check_lengths(first, second)
        except UsageError as e:
            refused.append(f"line {number}: {e}")
        else:
            pairs.append(WordPair(first, second))
    return pairs, refused


def load_pairs(path: str | Path | None = None) -> tuple[list[WordPair], list[str]]:
    """The word pairs of `path` (default: the list shipped in ambictl/wordlists)."""
    path = Path(path) if path else PAIRS_FILE
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as e:
        raise UsageError(f"cannot read the word pairs file {path} ({type(e).__name__})") from None
    pairs, refused = parse_pairs(text)
    if not pairs:
        raise UsageError(f"{path} holds no usable word pairs (lines of two words, at most "
                         "twice as long as each other, or one word)")
    return pairs, refused


def usable_pairs(pairs: list[WordPair], *alphabets: str) -> tuple[list[WordPair],
                                                                   list[WordPair]]:
    """Split pairs into those whose characters every alphabet has, and the rest."""
    ok, bad = [], []
    for p in pairs:
        (ok if all(c in a for a in alphabets for c in p.first + p.second) else bad).append(p)
    return ok, bad


def allowed(text: str, alphabet: str) -> str:
    """The characters the judge chooses among for words of `text`: letters of both cases (a
    reader of a word does not care which case a letter is drawn in, and `make` may choose it),
    digits where the words hold digits."""
    groups = [g for g in (string.ascii_lowercase, string.ascii_uppercase, string.digits)
              if any(c in g for c in text.lower() + text.upper())]
    return "".join(c for g in groups for c in g if c in alphabet)


def edit_distance(a: str, b: str) -> int:
    """Levenshtein distance (insertions, deletions, substitutions)."""
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i]
        for j, cb in enumerate(b, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb)))
        prev = cur
    return prev[-1]


def normalised_edit(read: str, truth: str) -> float:
    return edit_distance(read, truth) / max(len(read), len(truth), 1)


@dataclass
class WordRecord:
    pair: WordPair
    style: int
    method: str
    judge: tuple[str, str]  # readings of view 1 and view 2
    ocr: dict[str, tuple[str, str]] = field(default_factory=dict)  # mode -> readings
    drawn: tuple[str, str] = ("", "")  # both readings as drawn (make may change their case)


def _rates(records: list[WordRecord], read: Callable[[WordRecord], tuple[str, str]]
           ) -> dict[str, float]:
    """Both views read exactly (case-insensitively), each view, and the mean normalised edit
    distance."""
    def pairs(r: WordRecord) -> list[tuple[str, str]]:
        got = read(r)
        return [(got[0].lower(), r.pair.first.lower()), (got[1].lower(), r.pair.second.lower())]

    n = max(len(records), 1)
    views = [pairs(r) for r in records]
    v1 = [a == b for (a, b), _ in views]
    v2 = [a == b for _, (a, b) in views]
    edit = [(normalised_edit(*x) + normalised_edit(*y)) / 2 for x, y in views]
    return {"both": round(sum(a and b for a, b in zip(v1, v2, strict=True)) / n, 4),
            "view1": round(sum(v1) / n, 4), "view2": round(sum(v2) / n, 4),
            "edit": round(sum(edit) / n, 4), "n": len(records)}


@dataclass
class WordResults:
    symmetry: str
    records: list[WordRecord]
    ocr_modes: tuple[str, ...]
    examples: dict[str, list[tuple[WordPair, np.ndarray]]]  # method -> upright pictures

    def summary(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for method in dict.fromkeys(r.method for r in self.records):
            recs = [r for r in self.records if r.method == method]
            entry: dict[str, Any] = {"judge": _rates(recs, lambda r: r.judge)}
            read = [r for r in recs if r.ocr]
            if self.ocr_modes and read:
                ocr: dict[str, Any] = {m: _rates(read, lambda r, m=m: r.ocr[m])
                                       for m in self.ocr_modes}
                ocr["either"] = _either(read, self.ocr_modes)
                entry["ocr"] = ocr
            else:
                entry["ocr"] = None
            out[method] = entry
        return out


def _either(records: list[WordRecord], modes: tuple[str, ...]) -> dict[str, float]:
    """A view is read when any page mode reads it exactly; its edit distance is the best one."""
    def best(r: WordRecord, view: int, truth: str) -> tuple[bool, float]:
        reads = [r.ocr[m][view].lower() for m in modes]
        return truth.lower() in reads, min(normalised_edit(x, truth.lower()) for x in reads)

    n = max(len(records), 1)
    v1 = [best(r, 0, r.pair.first) for r in records]
    v2 = [best(r, 1, r.pair.second) for r in records]
    return {"both": round(sum(a[0] and b[0] for a, b in zip(v1, v2, strict=True)) / n, 4),
            "view1": round(sum(a[0] for a in v1) / n, 4),
            "view2": round(sum(b[0] for b in v2) / n, 4),
            "edit": round(sum((a[1] + b[1]) / 2 for a, b in zip(v1, v2, strict=True)) / n, 4),
            "n": len(records)}


@dataclass
class Drawn:
    """One word pair as a method delivers it."""

    style: int
    symmetry: str
    pairs: list[tuple[str, str]]  # each cell's (upright, turned) letters, in the case drawn
    cells: np.ndarray | list[np.ndarray]  # each cell's outline rasterised back: (S, S) or
    # (S, 2S) for a cell of two letters one way
    picture: np.ndarray  # the whole picture rendered from the outlines at OCR_SCALE x
    # per cell, its alternatives as delivered and their letters (make's only; for `oracle`)
    alternatives: list[np.ndarray] = field(default_factory=list)
    alternative_pairs: list[list[tuple[str, str]]] = field(default_factory=list)

    @property
    def letters(self) -> tuple[str, str]:
        """Both readings in the case drawn."""
        return split_readings(self.pairs, self.symmetry)

    @torch.no_grad()
    def judged(self, judge: Judge, among: str) -> tuple[str, str]:
        """The judge's reading of both views among the letters `among`, each in the order
        its view reads the cells (right to left, turned or mirrored)."""
        return split_readings(list(zip(*self.cell_readings(judge, among), strict=True)),
                              self.symmetry)

    @torch.no_grad()
    def cell_readings(self, judge: Judge, among: str) -> tuple[list[str], list[str]]:
        """The judge's reading of every cell as it is and turned, among the letters `among`: a
        reading of two letters is the cell's two halves, of one the cell as it is (squeezed
        to S x S when the cell is wide; ambictl.cells)."""
        def read(glyphs: list[torch.Tensor], texts: list[str]) -> list[str]:
            parts = [cell_views.views(g[None, None], cell_views.index(judge.chars, [t]))[0]
                     for g, t in zip(glyphs, texts, strict=True)]
            letters = judge.choose(judge.logits(torch.cat(parts)), among)
            out, i = [], 0
            for part in parts:
                out.append("".join(letters[i:i + len(part)]))
                i += len(part)
            return out

        glyphs = [torch.from_numpy(np.asarray(g)) for g in self.cells]
        up = read(glyphs, [a for a, _ in self.pairs])
        turned = read([transform(g, self.symmetry) for g in glyphs], [b for _, b in self.pairs])
        return up, turned

    def oracle(self, judge: Judge, among: str) -> tuple[str, str]:
        """The judge's reading of the word when each cell takes, among `alternatives` (what
        `--pick` offers), the one the judge reads best: both letters right first, then
        either. Only the judge knows which that is: the bound on any ranking."""
        best = []
        for alts, pairs in zip(self.alternatives, self.alternative_pairs, strict=True):
            up, turned = Drawn(self.style, self.symmetry, pairs, list(alts),
                               self.picture).cell_readings(judge, among)
            score = [2 * (x.lower() == a.lower() and y.lower() == b.lower())
                     + (x.lower() == a.lower()) + (y.lower() == b.lower())
                     for x, y, (a, b) in zip(up, turned, pairs, strict=True)]
            j = int(np.argmax(score))
            best.append((up[j], turned[j]))
        return split_readings(best, self.symmetry)


def word_methods(model: Model) -> dict[str, dict[str, Any]]:
    """The `make` settings words are drawn with: WORD_METHODS and OLD_RANKING, NO_REFINER when
    the model has a refiner and RANKERS when it has ranking readers (so one run measures what
    each adds)."""
    return {**WORD_METHODS, **OLD_RANKING, **(NO_REFINER if model.refiner is not None else {}),
            **(RANKERS if model.rankers else {})}


def draw_make(model: Model, pair: WordPair, symmetry: str, seed: int, options: dict[str, Any],
              oracle: bool = False) -> Drawn:
    """The word pair exactly as `ambictl make` draws and delivers it with these options (and,
    for `oracle`, every alternative of every cell delivered too)."""
    from .ambigram import make_ambigram

    amb = make_ambigram(pair.first, pair.second, symmetry=symmetry, seed=seed, weights=model,
                        **options)
    # The same picture size for 32 px and refined 64 px cells: Tesseract reads like with like.
    cells, picture = amb.delivered(OCR_SCALE * model.config.image_size / amb.layout.size)
    return Drawn(amb.style, symmetry, amb.pairs, cells, picture,
                 amb.delivered_alternatives() if oracle else [], amb.alternative_pairs)


def draw_baseline(draw: Draw, method: str, pair: WordPair, style: int = 0) -> Drawn:
    """A baseline's glyphs for the pair's cells, laid out, traced and delivered as `make`
    delivers its own."""
    from .ambigram import delivered, trace_glyphs
    from .compose import layout

    sym, bank = draw.symmetry, draw.bank.glyphs
    pairs = align(pair.first, pair.second, sym, {})  # one letter per cell where it can
    s = torch.tensor([style], device=bank.device)
    glyphs = []
    for up, turned in pairs:  # each cell from the font's glyphs as `make` gives them (cells.py)
        a, b = (cell_views.index(draw.bank.cfg.chars, [t], bank.device) for t in (up, turned))
        width = cell_views.cell_width(a, b, bank.shape[-1])
        ga = cell_views.chunk_glyphs(bank, s, a, width)
        gtb = transform(cell_views.chunk_glyphs(bank, s, b, width), sym)
        glyphs.append(getattr(baselines, method)(ga, gtb)[0, 0].clamp(0, 1).cpu().numpy())
    out, picture = delivered(trace_glyphs(glyphs), layout(glyphs), OCR_SCALE)
    return Drawn(style, sym, pairs, out, picture)


def evaluate_words(model: Model, draw: Draw, judge: Judge, pairs: list[WordPair],
                   tesseract: str | None, seed: int = 0,
                   methods: dict[str, dict[str, Any]] | None = None,
                   baselines: tuple[str, ...] = BASELINES,
                   progress: Callable[[int, int], None] | None = None) -> WordResults:
    """Draw every pair by every method as it is delivered; the judge reads each cell of both
    views, Tesseract (when given) the whole picture of both views."""
    from . import ocr
    from .symmetry import apply as apply_symmetry

    sym = draw.symmetry
    methods = WORD_METHODS if methods is None else methods
    records: list[WordRecord] = []
    examples: dict[str, list[tuple[WordPair, np.ndarray]]] = {}
    pages: list[np.ndarray] = []
    total = len(pairs) * (len(methods) + len(baselines))
    oracles: list[WordRecord] = []
    for name in [*methods, *baselines]:
        examples[name] = []
        for pair in pairs:
            d = (draw_make(model, pair, sym, seed, methods[name], oracle=name == ORACLE_OF)
                 if name in methods else draw_baseline(draw, name, pair))
            among = allowed(pair.first + pair.second, judge.chars)
            records.append(WordRecord(pair, d.style, name, d.judged(judge, among),
                                      drawn=d.letters))
            if name == ORACLE_OF:
                oracles.append(WordRecord(pair, d.style, f"{name}, oracle",
                                          d.oracle(judge, among), drawn=d.letters))
            if len(examples[name]) < EXAMPLES:
                examples[name].append((pair, d.picture))
            if tesseract:
                pages += [d.picture, np.ascontiguousarray(apply_symmetry(d.picture, sym))]
            if progress:
                progress(len(records), total)
    modes: tuple[str, ...] = ()
    if tesseract and pages:
        modes = tuple(ocr.MODES)
        texts = ocr.read_words(pages, tesseract, modes, scale=1)
        for i, rec in enumerate(records):
            rec.ocr = {m: (texts[m][2 * i], texts[m][2 * i + 1]) for m in modes}
    return WordResults(sym, records + oracles, modes, examples)

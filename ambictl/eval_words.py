"""Word pairs for `ambictl eval`: the list, the cell layout, and how words are read.

A word pair (w1, w2) of equal length n becomes n cells, each one ambigram glyph:
  rotate, mirror  cell i = (w1[i], w2[n-1-i])  (turning or mirroring the word reverses its order)
  flip            cell i = (w1[i], w2[i])      (upside down keeps the order)
The cells are set side by side, each cropped to its ink plus a small margin. Cropping a cell and
transforming it commute, so the transformed word image is exactly the other view.

Readings: the judge reads every cell of both views, choosing among the letters of the word pair's
case (lower, upper, or both for mixed-case pairs); Tesseract reads the whole word image of both
views (ocr.py). A word counts as read in a view only when every letter is right.
"""

from __future__ import annotations

import string
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import torch

from .errors import UsageError
from .models import transform

if TYPE_CHECKING:
    from .evaluate import Draw
    from .judge import Judge

PAIRS_FILE = Path(__file__).resolve().parent / "wordlists" / "word_pairs.txt"
EXAMPLES = 8  # word pairs drawn into the words_<symmetry>.png sheet


@dataclass(frozen=True)
class WordPair:
    first: str  # read as it is
    second: str  # read transformed

    def __str__(self) -> str:
        return self.first if self.first == self.second else f"{self.first}/{self.second}"


def parse_pairs(text: str) -> tuple[list[WordPair], list[str]]:
    """Lines 'WORD1 WORD2' (or one word: the same both ways), '#' comments.
    Returns the pairs and the refused lines with the reason."""
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
        elif len(first) != len(second):
            refused.append(f"line {number}: {first!r} and {second!r} differ in length")
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
        raise UsageError(f"{path} holds no usable word pairs (lines of two words of equal "
                         "length, or one word)")
    return pairs, refused


def usable_pairs(pairs: list[WordPair], *alphabets: str) -> tuple[list[WordPair],
                                                                   list[WordPair]]:
    """Split pairs into those whose characters every alphabet has, and the rest."""
    ok, bad = [], []
    for p in pairs:
        (ok if all(c in a for a in alphabets for c in p.first + p.second) else bad).append(p)
    return ok, bad


def cells(pair: WordPair, symmetry: str) -> list[tuple[str, str]]:
    """(a, b) of each cell, left to right, as drawn in the upright view."""
    n = len(pair.first)
    if symmetry == "flip":
        return list(zip(pair.first, pair.second, strict=True))
    return [(pair.first[i], pair.second[n - 1 - i]) for i in range(n)]


def allowed(pair: WordPair, alphabet: str) -> str:
    """The characters the judge chooses among for this pair: those of its case(s)."""
    text = pair.first + pair.second
    groups = [g for g in (string.ascii_lowercase, string.ascii_uppercase, string.digits)
              if any(c in g for c in text)]
    return "".join(c for g in groups for c in g if c in alphabet)


def compose(glyphs: np.ndarray, threshold: float = 0.2) -> np.ndarray:
    """Cells (n, S, S), ink = 1, side by side, each cropped to its ink plus S/16 each side
    (an empty cell keeps S/3): the word image (S, W)."""
    size = glyphs.shape[-1]
    pad = max(1, size // 16)
    parts = []
    for g in glyphs:
        cols = np.nonzero((g > threshold).any(0))[0]
        if cols.size == 0:
            parts.append(np.zeros((size, size // 3), g.dtype))
        else:
            parts.append(g[:, max(cols[0] - pad, 0):min(cols[-1] + pad + 1, size)])
    return np.concatenate(parts, 1)


def view(image: np.ndarray, symmetry: str) -> np.ndarray:
    """The whole word image as seen after the symmetry."""
    return {"rotate": image[::-1, ::-1], "mirror": image[:, ::-1],
            "flip": image[::-1, :]}[symmetry].copy()


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


def _rates(readings: list[tuple[tuple[str, str], WordPair]], fold: bool) -> dict[str, float]:
    def same(read: str, truth: str) -> bool:
        return read.lower() == truth.lower() if fold else read == truth

    def norm(s: str) -> str:
        return s.lower() if fold else s

    n = max(len(readings), 1)
    v1 = [same(r[0], p.first) for r, p in readings]
    v2 = [same(r[1], p.second) for r, p in readings]
    edit = [(normalised_edit(norm(r[0]), norm(p.first)) +
             normalised_edit(norm(r[1]), norm(p.second))) / 2 for r, p in readings]
    return {"both": round(sum(a and b for a, b in zip(v1, v2, strict=True)) / n, 4),
            "view1": round(sum(v1) / n, 4), "view2": round(sum(v2) / n, 4),
            "edit": round(sum(edit) / n, 4), "n": len(readings)}


@dataclass
class WordResults:
    symmetry: str
    records: list[WordRecord]
    ocr_modes: tuple[str, ...]
    examples: dict[str, list[tuple[WordPair, np.ndarray]]]  # method -> upright word images

    def summary(self) -> dict[str, Any]:
        from .evaluate import METHODS

        out: dict[str, Any] = {}
        for method in METHODS:
            recs = [r for r in self.records if r.method == method]
            entry: dict[str, Any] = {"judge": _rates([(r.judge, r.pair) for r in recs], False)}
            read = [r for r in recs if r.ocr]
            if self.ocr_modes and read:
                ocr: dict[str, Any] = {m: _rates([(r.ocr[m], r.pair) for r in read], True)
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


def evaluate_words(draw: Draw, judge: Judge, pairs: list[WordPair], styles: list[int],
                   tesseract: str | None, ocr_styles: int) -> WordResults:
    """Draw every pair in every style by every method; read it with the judge (and OCR)."""
    from . import ocr
    from .evaluate import METHODS

    sym = draw.symmetry
    model_chars = draw.bank.cfg.chars
    records: list[WordRecord] = []
    examples: dict[str, list[tuple[WordPair, np.ndarray]]] = {}
    pages: list[np.ndarray] = []
    page_of: list[tuple[WordRecord, int]] = []  # (record, view) of each OCR page
    ocr_set = set(styles[:ocr_styles]) if tesseract else set()
    for method in METHODS:
        a, b, s, spans = [], [], [], []
        for pair in pairs:
            layout = cells(pair, sym)
            for style in styles:
                spans.append((pair, style, len(a), len(layout)))
                a += [model_chars.index(x) for x, _ in layout]
                b += [model_chars.index(y) for _, y in layout]
                s += [style] * len(layout)
        if not spans:
            continue
        glyphs = draw(method, torch.tensor(a), torch.tensor(b), torch.tensor(s))
        logits1 = judge.logits(glyphs)
        logits2 = judge.logits(transform(glyphs, sym))
        images = glyphs[:, 0].numpy()
        examples[method] = []
        for pair, style, start, n in spans:
            among = allowed(pair, judge.chars)
            r1 = "".join(judge.choose(logits1[start:start + n], among))
            r2 = "".join(judge.choose(logits2[start:start + n], among))
            if sym != "flip":  # the turned or mirrored word reads its cells right to left
                r2 = r2[::-1]
            rec = WordRecord(pair, style, method, (r1, r2))
            records.append(rec)
            word = None
            if style in ocr_set or (style == styles[0] and len(examples[method]) < EXAMPLES):
                word = compose(images[start:start + n])
            if style == styles[0] and len(examples[method]) < EXAMPLES:
                examples[method].append((pair, word))
            if style in ocr_set:
                pages += [word, view(word, sym)]
                page_of += [(rec, 0), (rec, 1)]
    modes: tuple[str, ...] = ()
    if tesseract and pages:
        modes = tuple(ocr.MODES)
        texts = ocr.read_words(pages, tesseract, modes)
        for i, (rec, v) in enumerate(page_of):
            for m in modes:
                pair = list(rec.ocr.get(m, ("", "")))
                pair[v] = texts[m][i]
                rec.ocr[m] = (pair[0], pair[1])
    return WordResults(sym, records, modes, examples)

"""From two words to a row of glyph cells, and from glyph bitmaps to one symmetric picture.

Pure functions over strings and numpy arrays (no torch), so input checks and layout are cheap to
run and to test. Which letters share a cell (the pairing), the symmetries themselves and the case
classes live in ambictl.symmetry.

Layout. Every glyph sits in a cell of the model's frame, S px tall and S wide (2S for a cell of
two letters one way, ambictl.cells), whose centre line is shared by all characters. Cells are
spaced by a fixed gap between the ink of neighbours and the picture gets the same margin on all
sides; the vertical crop is the same above and below the centre line. Each of these rules is
unchanged by a half turn, a left-right or a top-bottom reflection, so the picture turned is
*exactly* the picture composed from the turned glyphs in the other order: the other reading, to
the pixel.
"""

from __future__ import annotations

import numbers
import os
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from . import atomic
from .errors import UsageError
from .symmetry import check_case, check_lengths, check_symmetry

MAX_LENGTH = 64  # letters per word: a longer word is refused (a 64-letter row is already ~2000 px)
INK = 0.5  # a pixel is ink above this
EXTENT_INK = 0.1  # faint halo that still counts when measuring a glyph's width for spacing
_LIST_AT_MOST = 8  # unsupported characters named in one error line
DEFAULT_CANDIDATES = 16
STROKES = ("off", "on", "auto")  # make --strokes: never, every cell, where they read better
DEFAULT_STROKES = "off"
MAX_CANDIDATES = 256  # candidates per letter; x 64 letters is still a bounded amount of work
OUTPUT_KINDS = {".svg": "svg", ".png": "png"}


# --- input checks --------------------------------------------------------------------------


def describe_char(ch: str) -> str:
    """A character as one printable token: 'x', or U+0007 for controls, spaces, combining
    marks (a bare U+0301 prints as an accent over nothing) and the like."""
    if ch.isprintable() and not ch.isspace() and unicodedata.category(ch)[0] not in "CZM":
        return repr(ch) if ch not in "'\\" else f'"{ch}"'
    return f"U+{ord(ch):04X}"


def describe_charset(chars: str) -> str:
    """Runs of consecutive code points as ranges: 'A-Z a-z 0-9', short enough for one line."""
    codes = sorted(set(map(ord, chars)))
    runs: list[list[int]] = []
    for c in codes:
        if runs and c == runs[-1][1] + 1:
            runs[-1][1] = c
        else:
            runs.append([c, c])

    def show(c: int) -> str:
        d = describe_char(chr(c))
        return d[1:-1] if d.startswith(("'", '"')) else d

    parts = [show(a) if a == b else f"{show(a)} {show(b)}" if b == a + 1 else f"{show(a)}-{show(b)}"
             for a, b in runs]
    return " ".join(parts)


def check_words(word1: object, word2: object = None, chars: str | None = None) -> tuple[str, str]:
    """Validate the two readings; word2 defaults to word1 (a word that reads the same turned).

    Raises UsageError with one printable line for: non-strings, empty or whitespace-only words,
    words over MAX_LENGTH letters, characters the model does not have (`chars`; None skips that
    check, e.g. before the model is loaded) and lengths too different to split into cells
    (symmetry.check_lengths: a ratio over 2).
    """
    words = []
    for i, w in enumerate((word1, word1 if word2 is None else word2), start=1):
        if not isinstance(w, str):
            raise UsageError(f"word {i} must be text, not {type(w).__name__}")
        if not w.strip():
            raise UsageError(f"word {i} is empty" if not w else f"word {i} is only whitespace")
        if len(w) > MAX_LENGTH:
            raise UsageError(f"word {i} has {len(w)} characters; at most {MAX_LENGTH} are "
                             "supported")
        words.append(w)
    w1, w2 = words
    if chars is not None:
        bad = list(dict.fromkeys(c for c in w1 + w2 if c not in chars))
        if bad:
            shown = " ".join(describe_char(c) for c in bad[:_LIST_AT_MOST])
            more = f" and {len(bad) - _LIST_AT_MOST} more" if len(bad) > _LIST_AT_MOST else ""
            raise UsageError(f"unsupported character{'s' if len(bad) > 1 else ''} {shown}{more}; "
                             f"the model supports {describe_charset(chars)}")
    check_lengths(w1, w2)
    return w1, w2


# --- request checks (everything make_ambigram takes, checked before any model work) ---


def check_output(path: str | os.PathLike[str]) -> Path:
    """An output file path with a supported extension in a writable, existing folder."""
    p = Path(path)
    if p.suffix.lower() not in OUTPUT_KINDS:
        ext = f"extension {p.suffix!r} is not supported" if p.suffix else "it has no extension"
        raise UsageError(f"cannot write {p}: {ext}; use .svg or .png (or - for SVG on stdout)")
    return atomic.probe_writable_file(p)


def _check_int(value: object, name: str, lo: int, hi: int) -> int:
    """A whole number in [lo, hi] (numpy integers too; bools and floats are refused)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) \
            or not lo <= int(value) <= hi:
        raise UsageError(f"{name} must be a whole number from {lo} to {hi}, got {value!r}")
    return int(value)


def parse_pick(pick: str | list[int] | tuple[int, ...] | None) -> tuple[int, ...] | None:
    """'0,2,1' (or a sequence of ints) -> (0, 2, 1); None stays None."""
    if pick is None:
        return None
    if isinstance(pick, str):
        try:
            values = tuple(int(p) for p in pick.split(","))
        except ValueError:
            raise UsageError(f"--pick {pick[:40]!r} is not a list of numbers like 0,2,1 (one per "
                             "letter)") from None
    else:
        try:
            values = tuple(pick)
        except TypeError:
            raise UsageError("pick must be text like 0,2,1 or a list of numbers") from None
    if any(isinstance(v, bool) or not isinstance(v, numbers.Integral) or v < 0 for v in values):
        raise UsageError("pick indices must be whole numbers from 0")
    return tuple(int(v) for v in values)


def parse_style(style: object) -> int | str:
    """'auto', a style number (int or digits) or a style's name (resolved against the model
    later, by `resolve_style`)."""
    if isinstance(style, str):
        text = style.strip()
        if text.lstrip("-").isdigit():
            style = int(text)
        elif text:
            return "auto" if text.lower() == "auto" else text
        else:
            raise UsageError("style is empty: give auto, a style number or a style's name")
    if isinstance(style, bool) or not isinstance(style, numbers.Integral):
        raise UsageError(f"style must be auto, a number or a name, got {style!r}")
    if style < 0:
        raise UsageError(f"style {style} does not exist: styles are numbered from 0 "
                         "(ambictl styles lists them)")
    return int(style)


def resolve_style(style: int | str, names: list[str]) -> int | str:
    """A parsed style against the model's style names: its number, or 'auto'."""
    if style == "auto":
        return style
    if isinstance(style, int):
        if style >= len(names):
            raise UsageError(f"style {style} does not exist: the model has {len(names)} styles "
                             f"(0 to {len(names) - 1}; ambictl styles lists them)")
        return style
    folded = [n.casefold() for n in names]
    if style.casefold() in folded:
        return folded.index(style.casefold())
    close = [n for n in names if style.casefold() in n.casefold()]
    if len(close) == 1:
        return names.index(close[0])
    hint = f"; did you mean {', '.join(close[:4])}?" if close else " (ambictl styles lists them)"
    raise UsageError(f"the model has no style named {style[:40]!r}{hint}")


def check_request(word1: object, word2: object = None, *, symmetry: object = "rotate",
                  candidates: object = DEFAULT_CANDIDATES, seed: object = 0,
                  style: object = "auto", case: object = "auto", pick: object = None,
                  chars: str | None = None, font: object = None,
                  strokes: object = DEFAULT_STROKES) -> tuple[str, str, tuple[int, ...] | None]:
    """Validate everything make_ambigram takes that does not need the model (and the
    characters too when `chars` is given). Cheap: no torch work. A font (make --font) is the
    style, so it comes with style "auto" only; the file itself is checked by styles.open_font."""
    check_symmetry(symmetry)
    _check_int(candidates, "candidates", 1, MAX_CANDIDATES)
    _check_int(seed, "seed", 0, 2**63 - 1)
    if parse_style(style) != "auto" and font is not None:
        raise UsageError("--font and --style both choose the style: give one of them")
    check_case(case)
    if strokes not in STROKES:
        raise UsageError(f"unknown --strokes {str(strokes)[:40]!r}: choose one of "
                         f"{', '.join(STROKES)}")
    w1, w2 = check_words(word1, word2, chars)
    picks = parse_pick(pick)  # type: ignore[arg-type]
    if picks is not None and len(w1) == len(w2) and len(picks) != len(w1):  # (words of
        # different lengths: checked against the split, once make has chosen it)
        raise UsageError(f"--pick has {len(picks)} indices; give one per letter ({len(w1)})")
    return w1, w2, picks


# --- layout --------------------------------------------------------------------------------


Glyphs = np.ndarray | Sequence[np.ndarray]  # (n, S, S), or n cells (S, W_i) of one height S


@dataclass(frozen=True)
class Layout:
    """Where each cell goes in the picture: `xs[i]` is its left edge and `top` the row of the
    picture where the cells' top edge sits (both may be negative: cells overlap and are
    cropped where they hold no ink). Every cell is `size` (S) px tall and `widths[i]` px wide:
    S, or 2S for a double-width cell."""

    xs: tuple[int, ...]
    top: int
    width: int
    height: int
    size: int
    widths: tuple[int, ...]


def ink_extent(glyph: np.ndarray, threshold: float = EXTENT_INK) -> tuple[int, int]:
    """Columns [left, right) holding ink; a blank glyph gets a narrow centred box (a space).

    Only column maxima are used, and a blank box is centred, so the extent of a glyph turned
    is the extent mirrored: the property the symmetric layout rests on.
    """
    size = glyph.shape[-1]
    cols = np.flatnonzero(glyph.max(axis=0) > threshold)
    if cols.size == 0:
        half = max(size // 8, 1)
        return size // 2 - half, size - (size // 2 - half)
    return int(cols[0]), int(cols[-1]) + 1


def as_cells(glyphs: Glyphs, dtype: type | None = None) -> list[np.ndarray]:
    """The glyphs as a list of 2-D cells (S, W_i) sharing one height S (views of an array)."""
    out = [np.asarray(g, dtype=dtype) for g in glyphs]
    if any(g.ndim != 2 or g.shape[0] != out[0].shape[0] for g in out):
        raise ValueError(f"expected 2-D glyphs of one height, got shapes {[g.shape for g in out]}")
    return out


def _ink_rows(glyphs: list[np.ndarray], threshold: float) -> tuple[int, int]:
    """Blank rows above and below the ink of all glyphs together."""
    rows = np.flatnonzero(np.max([g.max(axis=1) for g in glyphs], axis=0) > threshold)
    size = glyphs[0].shape[0]
    if rows.size == 0:
        return size // 2, size // 2
    return int(rows[0]), size - 1 - int(rows[-1])


def layout(glyphs: Glyphs, *, gap: int | None = None, margin: int | None = None) -> Layout:
    """Cell positions for glyphs (n, S, S) or a list of (S, W_i): `gap` px between
    neighbours' ink, `margin` around.

    Defaults scale with the cell height: gap S/10, margin S/8. The blank band cut from the top
    equals the one cut from the bottom, so the centre line stays the picture's centre line.
    """
    cells = as_cells(glyphs)
    size = cells[0].shape[0]
    gap = max(round(size / 10), 1) if gap is None else gap
    margin = max(round(size / 8), 1) if margin is None else margin
    ext = [ink_extent(g) for g in cells]
    xs, x = [], margin - ext[0][0]
    for i, (_left, right) in enumerate(ext):
        xs.append(x)
        if i + 1 < len(ext):
            x += right + gap - ext[i + 1][0]
    width = xs[-1] + ext[-1][1] + margin
    blank = min(_ink_rows(cells, EXTENT_INK))
    return Layout(xs=tuple(xs), top=margin - blank, width=width,
                  height=size - 2 * blank + 2 * margin, size=size,
                  widths=tuple(g.shape[1] for g in cells))


def compose(glyphs: Glyphs, lay: Layout | None = None) -> np.ndarray:
    """The picture (H, W) float32: each glyph pasted at its cell, overlaps resolved by maximum
    (so faint halos of neighbours never add up into ink)."""
    cells = as_cells(glyphs, np.float32)
    lay = lay or layout(cells)
    out = np.zeros((lay.height, lay.width), np.float32)
    y0, y1 = max(lay.top, 0), min(lay.top + lay.size, lay.height)
    for g, x, w in zip(cells, lay.xs, lay.widths, strict=True):
        x0, x1 = max(x, 0), min(x + w, lay.width)
        if x0 < x1 and y0 < y1:
            tile = g[y0 - lay.top:y1 - lay.top, x0 - x:x1 - x]
            np.maximum(out[y0:y1, x0:x1], tile, out=out[y0:y1, x0:x1])
    return out


# --- style measures ------------------------------------------------------------------------


def stroke_width(glyphs: np.ndarray, threshold: float = INK) -> np.ndarray:
    """Mean stroke width in px of each glyph (..., S, S): 2 x ink area / outline length.

    A stroke of width w and length L has area wL and outline ~2L, so this is w for any shape
    made of strokes, whatever the letter: a style measure comparable between neighbours.
    Blank glyphs give 0.
    """
    ink = np.asarray(glyphs) > threshold
    pad = np.pad(ink, [(0, 0)] * (ink.ndim - 2) + [(1, 1), (1, 1)])
    edges = (np.diff(pad, axis=-1).sum(axis=(-1, -2)) + np.diff(pad, axis=-2).sum(axis=(-1, -2)))
    area = ink.sum(axis=(-1, -2))
    return np.where(edges > 0, 2.0 * area / np.maximum(edges, 1), 0.0)

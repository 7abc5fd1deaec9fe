"""Cells one or two letters wide: what the generator is given for a cell, and how its glyph is
read back. Training, `make` and `eval` all build and read cells here.

A cell (symmetry.align) holds one letter in each reading, or two in one reading and one in the
other: "Al" upright, "m" turned. As index tensors a reading's letters are (R, 2), -1 in the
second column where it holds one; plain (R,) indices are single letters. A wide cell's glyph is
S x 2S: the reading with two letters sees them side by side, each in an S x S half, as a font
sets them; the reading with one letter sees it extended across the whole width, as a font's
extended cut draws it. So

- the generator's input for a reading is the font's two glyphs side by side, or its one glyph
  stretched to 2S (`chunk_glyphs`);
- a reader reads the two halves as the two letters, and the whole, squeezed back to S x S, as
  the one (`views`, `reading_views`): the recognisers and judges stay S x S readers, and a
  reading is as legible as its weaker letter (`reading_probability`).
"""

from __future__ import annotations

from collections.abc import Callable

import torch
import torch.nn.functional as F

from .symmetry import transform


def is_wide(idx: torch.Tensor) -> torch.Tensor:
    """(R,) bool: rows whose reading holds two letters."""
    return idx[:, 1] >= 0 if idx.dim() == 2 else torch.zeros(len(idx), dtype=torch.bool,
                                                             device=idx.device)


def as_pairs(idx: torch.Tensor) -> torch.Tensor:
    """(R, 2) letter indices, -1 where a reading holds one letter."""
    return idx if idx.dim() == 2 else torch.stack([idx, torch.full_like(idx, -1)], 1)


def cell_width(a: torch.Tensor, b: torch.Tensor, size: int) -> int:
    """The glyph width of cells (a, b), all one width: 2 x size where a reading holds two
    letters. Rows of both widths in one call are a caller's error."""
    wide = is_wide(a) | is_wide(b)
    if bool(wide.any()) and not bool(wide.all()):
        raise ValueError("cells of one and of two letters' width must be drawn in separate calls")
    return 2 * size if bool(wide.any()) else size


def index(chars: str, texts: list[str], device: torch.device | None = None) -> torch.Tensor:
    """Letter indices of texts of one or two characters: (R,) when every text is one letter,
    else (R, 2) with -1 for the missing second."""
    if all(len(t) == 1 for t in texts):
        return torch.tensor([chars.index(t) for t in texts], dtype=torch.long, device=device)
    return torch.tensor([[chars.index(t[0]), chars.index(t[1]) if len(t) > 1 else -1]
                         for t in texts], dtype=torch.long, device=device)


def chunk_glyphs(bank: torch.Tensor, style: torch.Tensor, idx: torch.Tensor, width: int
                 ) -> torch.Tensor:
    """(R, 1, S, width): the font's glyphs of each row's letters (bank (styles, chars, 1, S, S)
    in style style[row]), two side by side, or one stretched to `width`."""
    idx = as_pairs(idx)
    first = bank[style, idx[:, 0]]
    size = bank.shape[-1]
    if width == size:
        return first
    extended = F.interpolate(first, size=(size, width), mode="bilinear", align_corners=False)
    pair = torch.cat([first, bank[style, idx[:, 1].clamp_min(0)]], -1)
    return torch.where(is_wide(idx)[:, None, None, None], pair, extended)


def squeeze(x: torch.Tensor) -> torch.Tensor:
    """A wide glyph (R, 1, S, 2S) squeezed to S x S, area-averaged: its one-letter reading."""
    return F.avg_pool2d(x, (1, 2))


def views(x: torch.Tensor, idx: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """What a reader sees of glyphs x (R, 1, S, W), meant to read as `idx` (already in the
    reading's frame: transform x first for the turned reading): S x S views (V, 1, S, S), the
    letter each should read as (V,) and the row it belongs to (V,)."""
    rows = torch.arange(len(x), device=x.device)
    size, idx = x.shape[-2], as_pairs(idx)
    if x.shape[-1] == size:
        return x, idx[:, 0], rows
    two = is_wide(idx)
    left, right = x[two, ..., :size], x[two, ..., size:]
    return (torch.cat([left, right, squeeze(x[~two])]),
            torch.cat([idx[two, 0], idx[two, 1], idx[~two, 0]]),
            torch.cat([rows[two], rows[two], rows[~two]]))


def reading_views(x: torch.Tensor, a: torch.Tensor, b: torch.Tensor,
                  symmetry: str | torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Both readings of glyphs x (R, 1, S, W) drawn for cells (a, b): the S x S views a reader
    sees (as it is, then turned), the letter each should read as, and the reading it belongs
    to (row r's upright reading is r, its turned one R + r)."""
    up, up_labels, up_rows = views(x, a)
    turned, turned_labels, turned_rows = views(transform(x, symmetry), b)
    return (torch.cat([up, turned]), torch.cat([up_labels, turned_labels]),
            torch.cat([up_rows, turned_rows + len(x)]))


def reading_probability(read: Callable[[torch.Tensor, torch.Tensor], torch.Tensor],
                        x: torch.Tensor, a: torch.Tensor, b: torch.Tensor, symmetry: str
                        ) -> torch.Tensor:
    """(2, R): how surely glyphs x read as a (as it is) and as b (turned), in one pass of
    `read(views, labels) -> P(label | view)` (the recognisers' ensemble_probability, or the
    rankers' letter_probability), the weaker letter's for a reading of two."""
    seen, labels, rows = reading_views(x, a, b, symmetry)
    p = read(seen, labels)
    weakest = torch.full((2 * len(x),), float("inf"), dtype=p.dtype, device=p.device)
    return weakest.scatter_reduce(0, rows, p, "amin").view(2, len(x))

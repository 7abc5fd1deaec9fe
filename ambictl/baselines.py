"""Baselines that `ambictl eval` measures beside the model, with the same layout and judges.

Without them a legibility figure has no scale: some pairs are ambigrams for free (d/p turned), and
the crudest construction, drawing both letters on top of each other, already reads some of the
time. The model must beat both by a wide margin to be worth anything.

* `overlay`: glyph a drawn over glyph b turned (T(b)), from the same real font, with T(b) shifted
  by the few pixels that best align the two (most shared ink), ink = the union (pixel maximum).
* `upright`: glyph a alone, as a font draws it: reads a as it is and whatever T(a) happens to be
  once turned.

All functions are pure and work on batches (B, 1, S, S), ink = 1 on 0.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

MAX_SHIFT_FRACTION = 1 / 8  # shifts tried by the overlay: up to S/8 pixels each way


def shift(x: torch.Tensor, dy: int, dx: int) -> torch.Tensor:
    """Move the images down by dy and right by dx pixels, filling with paper (no wrap-around)."""
    h, w = x.shape[-2:]
    if abs(dy) >= h or abs(dx) >= w:
        return torch.zeros_like(x)
    padded = F.pad(x, (max(dx, 0), max(-dx, 0), max(dy, 0), max(-dy, 0)))
    return padded[..., max(-dy, 0):max(-dy, 0) + h, max(-dx, 0):max(-dx, 0) + w]


def shifts(max_shift: int) -> list[tuple[int, int]]:
    """All (dy, dx) within max_shift, nearest first, so ties go to the smallest move."""
    r = range(-max_shift, max_shift + 1)
    return sorted(((dy, dx) for dy in r for dx in r), key=lambda s: (abs(s[0]) + abs(s[1]),
                                                                     abs(s[0]), s))


def overlaps(glyph_a: torch.Tensor, glyph_tb: torch.Tensor, max_shift: int) -> torch.Tensor:
    """Ink shared by a and T(b) moved by every (dy, dx) within max_shift: (B, 2k+1, 2k+1),
    entry [dy + k, dx + k]. One grouped cross-correlation instead of (2k+1)^2 shifted copies."""
    b, _, h, w = glyph_a.shape
    k = max_shift
    if b == 0:
        return glyph_a.new_zeros(0, 2 * k + 1, 2 * k + 1)
    out = F.conv2d(glyph_a.reshape(1, b, h, w), glyph_tb.reshape(b, 1, h, w), padding=k,
                   groups=b)
    return out[0]


def best_shifts(glyph_a: torch.Tensor, glyph_tb: torch.Tensor, max_shift: int
                ) -> torch.Tensor:
    """Per sample, the (dy, dx) of T(b) that maximises the ink shared with a: (B, 2) long.
    Among (nearly) equal overlaps the smallest move wins."""
    candidates = shifts(max_shift)
    table = overlaps(glyph_a, glyph_tb, max_shift)
    k = max_shift
    order = torch.tensor([(dy + k) * (2 * k + 1) + dx + k for dy, dx in candidates],
                         device=glyph_a.device)
    scores = table.flatten(1)[:, order]  # candidates nearest first
    # Round away float noise, then argmax returns the first maximum: the nearest shift.
    best = (scores * 1e4).round().argmax(1)
    return torch.tensor(candidates, dtype=torch.long, device=glyph_a.device)[best]


def overlay(glyph_a: torch.Tensor, glyph_tb: torch.Tensor, max_shift: int | None = None
            ) -> torch.Tensor:
    """a over T(b), T(b) moved to its best alignment: max(a, shift(T(b)))."""
    if max_shift is None:
        max_shift = max(0, round(glyph_a.shape[-1] * MAX_SHIFT_FRACTION))
    moves = best_shifts(glyph_a, glyph_tb, max_shift)
    moved = torch.empty_like(glyph_tb)
    for dy, dx in {tuple(m) for m in moves.tolist()}:
        rows = ((moves[:, 0] == dy) & (moves[:, 1] == dx)).nonzero().squeeze(1)
        moved[rows] = shift(glyph_tb[rows], dy, dx)
    return torch.maximum(glyph_a, moved)


def upright(glyph_a: torch.Tensor, glyph_tb: torch.Tensor) -> torch.Tensor:
    """Glyph a as the font draws it (the turned glyph is ignored)."""
    return glyph_a.clone()

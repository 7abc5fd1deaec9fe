"""The symmetries and the case classes: the one place that says how a word pair becomes cells.

Every part of ambictl that turns a glyph, pairs two words' letters or asks which letters a glyph
competes with (`make`, `eval`, training, the styles sheet) calls this module. No torch at import
time (the CLI starts without it): `transform` and `case_groups` import it when called.

Symmetries. rotate = 180 degrees, mirror = left-right, flip = upside down; each is an involution,
so it is also its own inverse. `apply` works on numpy arrays, `transform` on torch tensors, both on
the last two axes.

Pairing. Cell i of the picture is drawn by the generator for a pair (a, b): it reads `a` as it
is and `b` once the symmetry is applied to that cell alone. Applying the symmetry to the whole
picture also moves the cells, hence the pairs:

- rotate (180 degrees) and mirror (left-right): cell i lands at n-1-i, so it pairs
  word1[i] with word2[n-1-i];
- flip (top-bottom): cells stay in place, so cell i pairs word1[i] with word2[i].

Cases. A glyph meant as a letter competes only with the letters of its case class (lower, upper,
digit, other) when it is scored, and `make --case` chooses which case combination each cell is
drawn in (`CASES`, `case_options`, `case_choices`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from .errors import UsageError

if TYPE_CHECKING:
    import torch

SYMMETRIES = ("rotate", "mirror", "flip")  # the generator's symmetry embedding follows this order
# The image axes each symmetry reverses (on (..., H, W)).
_AXES = {"rotate": (-2, -1), "mirror": (-1,), "flip": (-2,)}


def check_symmetry(symmetry: object) -> str:
    if symmetry not in SYMMETRIES:
        from .compose import describe_char  # compose imports this module

        shown = describe_char(symmetry) if isinstance(symmetry, str) and len(symmetry) == 1 \
            else repr(symmetry)[:40]
        raise UsageError(f"unknown symmetry {shown}: choose one of {', '.join(SYMMETRIES)}")
    return str(symmetry)


def _axes(symmetry: str) -> tuple[int, ...]:
    try:
        return _AXES[symmetry]
    except (KeyError, TypeError):
        raise UsageError(f"unknown symmetry {symmetry!r}") from None


def apply(img: np.ndarray, symmetry: str) -> np.ndarray:
    """The symmetry on the last two axes of an array (a view): how the other reading is seen."""
    return np.flip(img, _axes(symmetry))


def transform(x: torch.Tensor, symmetry: torch.Tensor | str) -> torch.Tensor:
    """The symmetry on the last two axes of a tensor: one by name, or each sample's own, from a
    tensor of indices into SYMMETRIES (one per sample)."""
    if isinstance(symmetry, str):
        return x.flip(_axes(symmetry))
    import torch

    sym = symmetry.view(-1, *([1] * (x.dim() - 1)))
    rotate, mirror, flip = (x.flip(_AXES[s]) for s in SYMMETRIES)
    return torch.where(sym == 0, rotate, torch.where(sym == 1, mirror, flip))


def pair_cells(word1: str, word2: str, symmetry: str) -> list[tuple[str, str]]:
    """(upright character, character read after the symmetry) of each cell, left to right."""
    check_symmetry(symmetry)
    n = len(word1)
    if len(word2) != n:
        raise UsageError("the words have different lengths")
    if symmetry == "flip":
        return list(zip(word1, word2, strict=True))
    return [(word1[i], word2[n - 1 - i]) for i in range(n)]


# --- cases ---------------------------------------------------------------------------------


CASES = ("auto", "word", "cell", "keep", "upper", "lower")
AUTO_CASE = "word"  # what "auto" means: measured best (README, "Case")
_CASE_GROUPS = {"lower": 0, "upper": 1, "digit": 2, "other": 3}


def case_class(ch: str) -> str:
    """Which characters a glyph meant as `ch` competes with when it is scored for legibility."""
    if ch.islower():
        return "lower"
    if ch.isupper():
        return "upper"
    if ch.isdigit():
        return "digit"
    return "other"


def case_groups(chars: str) -> torch.Tensor:
    """Group number of each character's case class (`case_class`: lower, upper, ...)."""
    import torch

    return torch.tensor([_CASE_GROUPS[case_class(c)] for c in chars])


def check_case(case: object) -> str:
    if case not in CASES:
        raise UsageError(f"unknown case {str(case)[:40]!r}: choose one of {', '.join(CASES)}")
    return AUTO_CASE if case == "auto" else str(case)


def case_options(upright: str, turned: str, case: str) -> list[tuple[str, str]]:
    """The (upright, turned) characters a cell may be drawn as, the typed ones first.

    `keep` draws what was typed; `upper` / `lower` both letters in that case; `cell` and
    `word` any of the four combinations (a/b, A/B, a/B, A/b): a pair that will not fuse in one
    case often does in another. Digits have one case.
    """
    case = check_case(case)
    if case == "keep":
        return [(upright, turned)]
    if case in ("upper", "lower"):
        fold = str.upper if case == "upper" else str.lower
        return [(fold(upright), fold(turned))]
    out = [(upright, turned)]
    for a in dict.fromkeys((upright.lower(), upright.upper())):
        for b in dict.fromkeys((turned.lower(), turned.upper())):
            if (a, b) not in out:
                out.append((a, b))
    return out


def case_choices(options: list[list[tuple[str, str]]], case: str) -> list[list[int]]:
    """Which options each cell may take together: a list of choices, each one option index
    per cell, or -1 for "any of the cell's options".

    `word`: each reading keeps one case throughout (as typed, all lower or all upper, chosen
    for each reading: dear / READ), because readers, and OCR far more, stumble over a word
    whose case changes letter by letter. Every other mode: one choice, any option per cell.
    """
    if check_case(case) != "word":
        return [[-1] * len(options)]
    choices = [[0] * len(options)]
    for up in (str.lower, str.upper):
        for turned in (str.lower, str.upper):
            wanted = [(up(opts[0][0]), turned(opts[0][1])) for opts in options]
            if all(w in opts for w, opts in zip(wanted, options, strict=True)):
                pick = [opts.index(w) for w, opts in zip(wanted, options, strict=True)]
                if pick not in choices:
                    choices.append(pick)
    return choices

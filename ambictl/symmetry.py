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

Words of different lengths (Alex / Sam; ratio at most MAX_RATIO = 2, else `check_lengths`
refuses) split into cells (upright chunk, turned chunk) of 1 or 2 letters each, never 2:2 (a wide
glyph). word1 is consumed left to right; word2 from its end for rotate / mirror, from its start
for flip, each chunk in word2's own order: rotate, Alex / Sam -> [("Al", "m"), ("e", "a"),
("x", "S")]. `cell_candidates` lists every cell a complete split can use (to score them all),
`align` picks the split whose weakest cell scores best (ties: larger sum, fewer wide cells, wide
cells earliest; equal lengths always give pair_cells), `split_readings` spells a split's two
words back.

Cases. A glyph meant as a letter competes only with the letters of its case class (lower, upper,
digit, other) when it is scored, and `make --case` chooses which case combination each cell is
drawn in (`CASES`, `case_options`, `case_choices`).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
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


# --- words of different lengths --------------------------------------------------------------


MAX_RATIO = 2  # a cell holds at most two letters one way and one the other
Cell = tuple[str, str]  # (upright chunk, turned chunk), each 1 or 2 characters, never both 2
# The cell shapes (upright letters, turned letters), in the order ties prefer them: a wide cell
# as early as possible (deterministic, and a wide first letter is where names are most forgiving).
_SHAPES = ((2, 1), (1, 2), (1, 1))
_State = tuple[int, int]  # (letters of word1 used, letters of word2 used)


def is_wide_cell(cell: tuple[str, str]) -> bool:
    """A cell of two letters one way and one the other: its glyph is twice as wide."""
    return len(cell[0]) + len(cell[1]) > 2


def check_lengths(word1: str, word2: str) -> None:
    """Refuse words whose lengths no split into cells can cover (ratio over MAX_RATIO)."""
    n, m = sorted((len(word1), len(word2)))
    if m > MAX_RATIO * n or (n == 0 and m > 0):
        raise UsageError(f"the words have {len(word1)} and {len(word2)} letters: a ratio over "
                         f"{MAX_RATIO} cannot be split into cells (each cell holds at most two "
                         "letters one way and one the other)")


def _cell_at(word1: str, word2: str, symmetry: str, state: _State,
             shape: tuple[int, int]) -> Cell | None:
    """The cell of `shape` starting at `state`, or None where a word runs out. word2 is used from
    its end for rotate / mirror (turning the picture reverses the cells), from its start for
    flip; a chunk always keeps word2's own letter order."""
    (i, j), (a, b) = state, shape
    n, m = len(word1), len(word2)
    if i + a > n or j + b > m:
        return None
    turned = word2[j:j + b] if symmetry == "flip" else word2[m - j - b:m - j]
    return word1[i:i + a], turned


def _moves(word1: str, word2: str, symmetry: str) -> dict[_State, list[tuple[Cell, _State]]]:
    """Every cell move (cell, next state) out of every state that lies on a complete split,
    moves in _SHAPES order. Equal lengths: one letter per cell only (pair_cells)."""
    n, m = len(word1), len(word2)
    shapes = ((1, 1),) if n == m else _SHAPES
    states = [(i, j) for i in range(n + 1) for j in range(m + 1)]
    reach_end = {(n, m)}  # states from which (n, m) can be reached
    for s in reversed(states):
        if any((s[0] + a, s[1] + b) in reach_end for a, b in shapes):
            reach_end.add(s)
    moves: dict[_State, list[tuple[Cell, _State]]] = {}
    reached = {(0, 0)} if (0, 0) in reach_end else set()
    for s in states:  # (i, j) in increasing order: predecessors come first
        if s not in reached or s == (n, m):
            continue
        out = []
        for shape in shapes:
            nxt = (s[0] + shape[0], s[1] + shape[1])
            cell = _cell_at(word1, word2, symmetry, s, shape)
            if cell is not None and nxt in reach_end:
                out.append((cell, nxt))
                reached.add(nxt)
        moves[s] = out
    return moves


def cell_candidates(word1: str, word2: str, symmetry: str) -> list[Cell]:
    """Every distinct cell some complete split of the two words can use (dead ends pruned), in
    a fixed order (by where it starts, then shape): what to score before choosing a split."""
    check_symmetry(symmetry)
    check_lengths(word1, word2)
    if len(word1) == len(word2):
        return list(dict.fromkeys(pair_cells(word1, word2, symmetry)))
    moves = _moves(word1, word2, symmetry)
    return list(dict.fromkeys(cell for out in moves.values() for cell, _ in out))


def align(word1: str, word2: str, symmetry: str,
          score: Mapping[tuple[str, str], float]) -> list[Cell]:
    """The split of the two words into cells whose weakest cell scores best.

    Ties: the larger sum of scores, then the fewest wide cells, then the wide cells earliest
    (_SHAPES order at the first cell where two splits differ). A cell missing from `score` counts
    as -inf: chosen only where no split avoids it; when every split has one, the split with the
    fewest such cells wins (then the rules above), so align never fails for want of scores. A NaN
    score raises ValueError. Equal lengths return pair_cells whatever the scores (one letter per
    cell both ways: a documented choice, so equal words look as they always have).
    """
    check_symmetry(symmetry)
    check_lengths(word1, word2)
    if len(word1) == len(word2):
        return pair_cells(word1, word2, symmetry)
    moves = _moves(word1, word2, symmetry)
    neg_inf = float("-inf")

    def value(cell: Cell) -> float:
        v = float(score.get(cell, neg_inf))
        if math.isnan(v):
            raise ValueError(f"the score of cell {cell!r} is NaN")
        return v

    end = (len(word1), len(word2))
    order = sorted(moves, reverse=True)  # successors (larger i, j) before predecessors
    # 1. the best weakest cell (maximin is decomposable: best suffix bottleneck per state).
    bottleneck: dict[_State, float] = {end: float("inf")}
    for s in order:
        bottleneck[s] = max(min(value(c), bottleneck[t]) for c, t in moves[s])
    floor = bottleneck[(0, 0)]
    # 2. among splits using only cells >= floor (exactly those whose weakest cell is the best),
    # the best by (fewest -inf cells, largest sum of the others, fewest wide cells); the first
    # move in _SHAPES order wins a tie. All three are additive, so a suffix DP is exact.
    best: dict[_State, tuple[tuple[int, float, int], list[Cell]]] = {end: ((0, 0.0, 0), [])}
    for s in order:
        chosen: tuple[tuple[int, float, int], list[Cell]] | None = None
        for c, t in moves[s]:
            v = value(c)
            if v < floor or t not in best:
                continue
            (missing, total, wide), rest = best[t]
            key = (missing - (v == neg_inf), total + (v if v != neg_inf else 0.0),
                   wide - is_wide_cell(c))
            if chosen is None or key > chosen[0]:
                chosen = (key, [c, *rest])
        if chosen is not None:
            best[s] = chosen
    return best[(0, 0)][1]


def _turned_chunks(cells: Sequence[tuple[str, str]], symmetry: str) -> list[str]:
    """Each cell's turned letters in the order the turned picture reads them: reverse cell
    order for rotate / mirror, which move the cells; in order for flip, which keeps them."""
    check_symmetry(symmetry)
    turned = [t for _, t in cells]
    return turned if symmetry == "flip" else turned[::-1]


def split_readings(cells: Sequence[tuple[str, str]], symmetry: str) -> tuple[str, str]:
    """The two words a row of cells spells: word1 as it is (upright chunks left to right) and
    word2 as read after the symmetry."""
    return "".join(u for u, _ in cells), "".join(_turned_chunks(cells, symmetry))


def describe_split(cells: Sequence[tuple[str, str]], symmetry: str) -> str:
    """'Al|e|x / S|a|m': which letters share a cell, each reading in its own order."""
    return f"{'|'.join(u for u, _ in cells)} / {'|'.join(_turned_chunks(cells, symmetry))}"

"""Rows whose cells differ in width: a double-width cell is an (S, 2S) glyph (e.g. "Al" upright,
one extended letter turned). Layout, compositing, the vector round trip and the contact sheet
must take a list of such glyphs, keep the layout symmetric, and leave all-square rows as they
were.
"""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from ambictl import compose, output, vectorize
from ambictl.ambigram import TRACE, Ambigram, GlyphScore, delivered, trace_glyphs
from ambictl.compose import layout
from ambictl.symmetry import SYMMETRIES
from ambictl.symmetry import apply as apply_symmetry

S = 32


def blob(width: int, rng: np.random.Generator, height: int = S) -> np.ndarray:
    """A glyph-like (height, width) bitmap: a few soft rectangles, sometimes blank."""
    g = np.zeros((height, width), np.float32)
    if rng.random() < 0.15:
        return g
    for _ in range(rng.integers(1, 4)):
        y0, x0 = rng.integers(2, height // 2), rng.integers(1, width // 2)
        y1, x1 = y0 + rng.integers(3, height // 2), x0 + rng.integers(2, width // 2)
        g[y0:y1, x0:x1] = np.maximum(g[y0:y1, x0:x1], rng.uniform(0.3, 1.0))
    return g


def mixed_row(seed: int, height: int = S) -> list[np.ndarray]:
    """1-6 glyphs of width S or 2S, at least one of them wide."""
    rng = np.random.default_rng(seed)
    widths = rng.choice([height, 2 * height], size=rng.integers(1, 7))
    widths[rng.integers(len(widths))] = 2 * height
    return [blob(int(w), rng, height) for w in widths]


def drawn_wide() -> np.ndarray:
    """An (S, 2S) glyph like an extended 'L' lying down: ink across both halves of the cell."""
    g = np.zeros((S, 2 * S), np.float32)
    g[6:26, 3:9] = g[6:12, 3:58] = 1
    return g


def turned_row(glyphs: list[np.ndarray], symmetry: str) -> list[np.ndarray]:
    """The glyphs the other reading sees, left to right."""
    turned = [apply_symmetry(g, symmetry) for g in glyphs]
    return turned if symmetry == "flip" else turned[::-1]


@pytest.mark.parametrize("symmetry", SYMMETRIES)
@pytest.mark.parametrize("seed", range(8))
def test_turned_mixed_row_is_exactly_the_other_reading(symmetry: str, seed: int) -> None:
    glyphs = mixed_row(seed, height=64 if seed == 7 else S)
    picture = compose.compose(glyphs)
    np.testing.assert_array_equal(apply_symmetry(picture, symmetry),
                                  compose.compose(turned_row(glyphs, symmetry)))


@pytest.mark.parametrize("symmetry", SYMMETRIES)
def test_wide_first_cell_turns_into_the_last(symmetry: str) -> None:
    """[A (S, 2S), B, C]: the wide cell's ink reaches past S, so a paste S wide would lose it."""
    a, b, c = drawn_wide(), np.zeros((S, S)), np.zeros((S, S))
    b[10:26, 10:20] = 0.8
    c[4:20, 20:30] = 1
    glyphs = [a, b, c]
    picture = compose.compose(glyphs)
    assert (picture > 0.5).sum() == sum((g > 0.5).sum() for g in glyphs)  # nothing cropped
    np.testing.assert_array_equal(apply_symmetry(picture, symmetry),
                                  compose.compose(turned_row(glyphs, symmetry)))


def test_mixed_layout_spacing() -> None:
    wide, square = np.zeros((S, 2 * S), np.float32), np.zeros((S, S), np.float32)
    wide[10:20, 3:60] = 1  # ink columns [3, 60)
    square[12:22, 5:12] = 1  # ink columns [5, 12)
    lay = layout([wide, square], gap=3, margin=4)
    assert lay.xs == (4 - 3, 4 - 3 + 60 + 3 - 5) and lay.widths == (2 * S, S) and lay.size == S
    assert lay.width == lay.xs[1] + 12 + 4
    assert (lay.top, lay.height) == (4 - 10, S - 20 + 8)
    cols = np.flatnonzero(compose.compose([wide, square], lay).max(0) > 0.5)
    assert (cols[0], cols[-1]) == (4, lay.width - 5)
    assert len(cols) == 57 + 7  # both glyphs whole, 3 px apart
    default = layout([wide, square])  # defaults go by the height S, not the widths
    assert default.xs[0] == round(S / 8) - 3 and default.xs[1] - default.xs[0] == 60 + 3 - 5


def test_square_rows_are_unchanged() -> None:
    rng = np.random.default_rng(3)
    glyphs = np.stack([blob(S, rng) for _ in range(5)])
    lay = layout(glyphs)
    assert layout(list(glyphs)) == lay and lay.widths == (S,) * 5
    np.testing.assert_array_equal(compose.compose(list(glyphs)), compose.compose(glyphs))
    two = np.zeros((2, S, S), np.float32)
    two[0, 10:20, 5:12] = two[1, 12:22, 20:30] = 1
    assert layout(two, gap=3, margin=4) == compose.Layout(
        xs=(-1, -1 + 12 + 3 - 20), top=-6, width=-6 + 30 + 4, height=S - 20 + 8, size=S,
        widths=(S, S))


def test_mixed_heights_are_refused() -> None:
    with pytest.raises(ValueError, match="one height"):
        layout([np.zeros((S, S)), np.zeros((2 * S, 2 * S))])


def test_wide_glyph_is_traced_with_its_heights_settings() -> None:
    g = drawn_wide()
    [paths] = trace_glyphs([g])
    assert paths == vectorize.trace(g, threshold=compose.INK, **TRACE[S])
    assert paths != vectorize.trace(g, threshold=compose.INK, **TRACE[2 * S])


def test_delivered_cells_keep_their_widths() -> None:
    glyphs = [drawn_wide(), *(g for seed in range(3) for g in mixed_row(seed) if g.max() > 0.5)]
    lay = layout(glyphs)
    cells, picture = delivered(trace_glyphs(glyphs), lay, 2.0)
    assert isinstance(cells, list)
    assert [c.shape for c in cells] == [g.shape for g in glyphs]
    assert all(c.dtype == np.float32 for c in cells)
    for c, g in zip(cells, glyphs, strict=True):
        ink, back = g > compose.INK, c > 0.5
        assert (ink & back).sum() / (ink | back).sum() > 0.9
    assert picture.shape == (2 * lay.height, 2 * lay.width)
    square = np.stack([g for g in glyphs if g.shape[1] == S])
    cells, _ = delivered(trace_glyphs(square), layout(square))
    assert isinstance(cells, np.ndarray) and cells.shape == square.shape


def test_sheet_column_is_as_wide_as_its_cell() -> None:
    rng = np.random.default_rng(5)

    def sheet(width: int) -> Image.Image:
        alts = [np.stack([blob(width, rng) for _ in range(3)]), np.stack([blob(S, rng)])]
        png = output.sheet_png(alts, [[0.9, 0.5, 0.1], [0.7]],
                               [[("A", "l"), ("a", "l"), ("A", "L")], [("p", "d")]], (1, 0),
                               "rotate")
        return Image.open(io.BytesIO(png))

    square, wide = sheet(S), sheet(2 * S)
    zoom = 3
    assert wide.height == square.height
    assert wide.width - square.width == 2 * S * zoom  # the glyph and its turned copy
    pixels = np.asarray(wide.convert("L"))
    assert pixels[:, square.width:].min() < 255  # the second column moved right, not cut off


def test_ambigram_with_a_wide_cell() -> None:
    wide, square = drawn_wide(), np.zeros((S, S), np.float32)
    square[8:24, 8:22] = 1
    glyphs = [wide, square]
    scores = [GlyphScore(cell=i, upright=a, turned=b, p_upright=0.9, p_turned=0.9,
                         legibility=0.9, stroke=3.0, style=1.0, score=0.9, pick=0, alternatives=1)
              for i, (a, b) in enumerate([("T", "o"), ("o", "T")])]
    amb = Ambigram(word1="To", word2="oT", symmetry="rotate", style=0, style_name="test", seed=0,
                   candidates=1, case="auto", pairs=[("T", "o"), ("o", "T")],
                   glyphs=glyphs, scores=scores,  # type: ignore[arg-type]
                   alternatives=[g[None] for g in glyphs],
                   alternative_scores=[np.array([0.9])] * 2,
                   alternative_pairs=[[("T", "o")], [("o", "T")]])
    assert amb.layout.widths == (2 * S, S)
    np.testing.assert_array_equal(amb.bitmap, compose.compose(glyphs))
    np.testing.assert_array_equal(amb.turned(), compose.compose(turned_row(glyphs, "rotate")))
    cells, picture = amb.delivered()
    assert [c.shape for c in cells] == [(S, 2 * S), (S, S)]
    assert picture.shape == (amb.layout.height, amb.layout.width)
    sheet = Image.open(io.BytesIO(amb.sheet_png()))
    square = Image.open(io.BytesIO(output.sheet_png(
        [square[None], square[None]], amb.alternative_scores, amb.alternative_pairs, (0, 0),
        "rotate")))
    assert sheet.width - square.width == 2 * S * 3

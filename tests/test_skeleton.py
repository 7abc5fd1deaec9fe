"""glyph_strokes: synthetic shapes with known strokes, and real letters whose strokes, drawn with
the returned pen, must cover the letter's ink.

The strokes are drawn as `make` draws them, with ambictl.strokes' rasteriser (tested on its own
in test_strokes.py) and a round pen of the returned width.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import numpy as np
import pytest
from scipy import ndimage
from skimage.transform import resize

from ambictl.render import render
from ambictl.skeleton import glyph_strokes
from ambictl.strokes import Nib, Strokes, finish

SIZE = 32
LETTERS = "adeghopsx"

Shape = Callable[[np.ndarray, np.ndarray], np.ndarray]


def draw(inside: Shape, h: int = SIZE, w: int = SIZE, ss: int = 4) -> np.ndarray:
    """An anti-aliased bitmap of a shape: the share of ss x ss subsamples of each pixel that
    fall inside it (x, y in the pixel frame, pixel (r, c) covering [c, c+1) x [r, r+1))."""
    off = (np.arange(ss) + 0.5) / ss
    ys = (np.arange(h)[:, None] + off).ravel()
    xs = (np.arange(w)[:, None] + off).ravel()
    y, x = np.meshgrid(ys, xs, indexing="ij")
    return inside(x, y).reshape(h, ss, w, ss).mean(axis=(1, 3))


def box(x0: float, y0: float, x1: float, y1: float) -> Shape:
    return lambda x, y: (x >= x0) & (x < x1) & (y >= y0) & (y < y1)


def ring(cx: float, cy: float, r0: float, r1: float) -> Shape:
    return lambda x, y: (np.hypot(x - cx, y - cy) >= r0) & (np.hypot(x - cx, y - cy) <= r1)


def union(*shapes: Shape) -> Shape:
    return lambda x, y: np.logical_or.reduce([s(x, y) for s in shapes])


def draw_strokes(strokes: list[np.ndarray], width: float, shape: tuple[int, int]) -> np.ndarray:
    """The strokes as make draws them: ambictl.strokes' rasteriser, a round pen of `width`,
    sharp-edged at 4x and area-averaged back, thresholded at half ink."""
    pen = Strokes.from_paths([strokes], len(strokes[0]) if strokes else 2)
    return finish(pen, Nib(width), shape)[0][0] > 0.5


def iou(a: np.ndarray, b: np.ndarray) -> float:
    return float((a & b).sum() / (a | b).sum())


def direction(stroke: np.ndarray) -> np.ndarray:
    """Unit vector of a stroke's principal axis."""
    centred = stroke - stroke.mean(axis=0)
    return np.linalg.svd(centred, full_matrices=False)[2][0]


# ----------------------------------------------------------------------------- synthetic


def test_an_empty_glyph_and_a_lone_speck_give_no_strokes():
    assert glyph_strokes(np.zeros((SIZE, SIZE))) == ([], 1.0)
    speck = np.zeros((SIZE, SIZE))
    speck[10, 10] = 1.0
    assert glyph_strokes(speck) == ([], 1.0)


def test_a_ring_is_one_closed_stroke_on_its_centre_circle():
    strokes, width = glyph_strokes(draw(ring(16, 16, 7, 10)))
    assert len(strokes) == 1
    (o,) = strokes
    assert o.shape == (8, 2) and o.dtype == np.float64
    np.testing.assert_array_equal(o[0], o[-1])
    radius = np.hypot(o[:, 0] - 16, o[:, 1] - 16)
    assert np.abs(radius - 8.5).max() <= 1.0, radius
    assert abs(width - 3.0) <= 0.3 * 3.0, width


@pytest.mark.parametrize("name, shape", [
    ("T", union(box(5, 6, 27, 10), box(14, 6, 18, 27))),
    ("+", union(box(5, 14, 27, 18), box(14, 5, 18, 27))),
])
def test_straight_through_arms_are_one_stroke(name: str, shape: Shape):
    strokes, width = glyph_strokes(draw(shape))
    assert len(strokes) == 2, (name, strokes)
    axes = sorted(abs(direction(s)[0]) for s in strokes)  # |cos| to the x axis
    assert axes[0] < 0.1 and axes[1] > 0.99, (name, axes)  # one upright, one level
    assert abs(width - 4.0) <= 0.3 * 4.0
    if name == "T":  # the stem ends on the bar's stroke: no gap between them
        level = next(s for s in strokes if abs(direction(s)[0]) > 0.99)
        stem = next(s for s in strokes if abs(direction(s)[0]) < 0.1)
        assert abs(stem[:, 1].min() - level[:, 1].mean()) < 0.5, (name, stem, level)


def test_the_pixel_centre_frame_is_exact():
    # A + centred on (16, 16) with even bars: its strokes cross at (16, 16) to within the
    # half upsampled pixel an even-width skeleton must sit off its centre line.
    strokes, _ = glyph_strokes(draw(union(box(5, 14, 27, 18), box(14, 5, 18, 27))))
    level = next(s for s in strokes if abs(direction(s)[0]) > 0.99)
    upright = next(s for s in strokes if abs(direction(s)[0]) < 0.1)
    assert abs(level[:, 1].mean() - 16) <= 0.3 and abs(upright[:, 0].mean() - 16) <= 0.3
    # A wide cell (H x 2H): each ring's stroke centred on its own ring, x in the cell's frame.
    wide = draw(union(ring(16, 16, 7, 10), ring(48, 16, 7, 10)), w=2 * SIZE)
    strokes, _ = glyph_strokes(wide)
    centres = sorted(tuple(np.round(s[:-1].mean(axis=0), 1)) for s in strokes)
    assert len(strokes) == 2
    np.testing.assert_allclose(centres, [(16, 16), (48, 16)], atol=0.5)


def test_an_i_keeps_its_dot_as_its_own_stroke_and_drops_a_speck():
    glyph = draw(union(box(14, 12, 17, 27), box(14, 6, 17, 9)))
    glyph[28, 4] = 1.0  # one stray pixel: anti-aliasing dust, not a dot
    strokes, _ = glyph_strokes(glyph)
    assert len(strokes) == 2
    stem, dot = strokes  # longest first
    assert np.ptp(stem[:, 1]) > 10
    assert np.hypot(*(dot - [15.5, 7.5]).T).max() <= 1.0, dot
    assert all(np.hypot(*(s - [4.5, 28.5]).T).min() > 5 for s in strokes)


def test_a_thick_bar_is_one_stroke_without_corner_spurs():
    strokes, width = glyph_strokes(draw(box(6, 14, 26, 18)))
    assert len(strokes) == 1
    (bar,) = strokes
    assert abs(width - 4.0) <= 0.3 * 4.0
    assert np.abs(bar[:, 1] - 16).max() <= 0.25  # level: no end hooked into a corner
    assert bar[:, 0].min() < 6 + width and bar[:, 0].max() > 26 - width  # nearly end to end


@pytest.mark.parametrize("thickness", [1.5, 2.4, 3.0, 3.3, 5.5])
@pytest.mark.parametrize("left", [14.0, 14.25, 14.5])
def test_a_stem_is_one_stroke_on_its_middle_and_as_wide_as_its_ink(thickness: float,
                                                                   left: float):
    # Off the pixel grid: the skeleton's whole pixels would miss by up to half a pixel.
    strokes, width = glyph_strokes(draw(box(left, 5, left + thickness, 27), ss=16))
    assert len(strokes) == 1
    assert np.abs(strokes[0][:, 0] - (left + thickness / 2)).max() <= 0.3
    assert abs(width - thickness) <= 0.25


def test_points_shape_order_and_determinism():
    glyph = draw(union(ring(12, 16, 5, 8), box(22, 4, 25, 28), box(2, 28, 5, 31)))
    strokes, width = glyph_strokes(glyph, points=12)
    again, width_again = glyph_strokes(glyph.copy(), points=12)
    assert width == width_again and len(strokes) == len(again)
    for a, b in zip(strokes, again, strict=True):
        assert a.shape == (12, 2) and a.dtype == np.float64
        np.testing.assert_array_equal(a, b)
    lengths = [np.hypot(*np.diff(s, axis=0).T).sum() for s in strokes]
    assert lengths == sorted(lengths, reverse=True)


# ----------------------------------------------------------------------------- real letters


@pytest.fixture(scope="module")
def letters(sample_fonts) -> np.ndarray:
    return render(str(sample_fonts.plain), 0, LETTERS, SIZE) / 255.0


def test_real_letters_have_few_strokes_lying_on_their_ink(letters: np.ndarray):
    for ch, glyph in zip(LETTERS, letters, strict=True):
        strokes, width = glyph_strokes(glyph)
        assert 1 <= len(strokes) <= 6, (ch, len(strokes))
        assert 1.0 <= width < 8.0
        # Distance (64 px units) from each point's upsampled pixel to the nearest ink pixel.
        ink = resize(glyph, (64, 64), order=1, mode="edge", anti_aliasing=False) > 0.5
        off_ink = ndimage.distance_transform_edt(~ink)
        pts = np.concatenate(strokes)
        cols, rows = np.floor(pts * 2).astype(int).T
        assert off_ink[rows, cols].max() <= 1.0, ch


def test_strokes_drawn_with_the_pen_cover_the_letters(letters: np.ndarray):
    scores = {}
    for ch, glyph in zip(LETTERS, letters, strict=True):
        strokes, width = glyph_strokes(glyph)
        scores[ch] = iou(draw_strokes(strokes, width, glyph.shape), glyph > 0.5)
    assert min(scores.values()) >= 0.8, scores
    assert np.mean(list(scores.values())) >= 0.85, scores


def test_a_glyph_takes_milliseconds(letters: np.ndarray):
    glyph_strokes(letters[0])  # warm up imports and caches
    start = time.perf_counter()
    for glyph in letters:
        glyph_strokes(glyph)
    per_glyph = (time.perf_counter() - start) / len(letters)
    # About 5 ms here; the bound only catches a gross regression on a busy machine.
    assert per_glyph < 0.05, per_glyph

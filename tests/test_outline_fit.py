"""Tests for the type-like fit (vectorize.trace, fit="type") and the wobble measure.

Glyphs are real letters of bundled fonts rendered on the em frame (ambictl.render), traced as
`make` traces them (refine=1). Node bounds come from real fonts at 64 px (measured: Inter l 4,
o 14, H 12, L 6, I 4; Noto Serif l 12, o 14, H 32, L 15, I 20; the earlier smooth fit: 13, 49,
37, 24, 13 and 26, 41, 60, 35, 26), with some headroom.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest

from ambictl import render, wobble
from ambictl.pens import is_line
from ambictl.resources import fonts_dir
from ambictl.vectorize import BezierPath, rasterize, trace

TRACE = {"refine": 1}  # as make traces
NODE_BOUNDS = {"sans": {"l": 6, "o": 18, "H": 14, "L": 8, "I": 6},
               "serif": {"l": 16, "o": 18, "H": 40, "L": 20, "I": 24}}


def _serif_font() -> Path | None:
    root = fonts_dir()
    manifest = root / "manifest.json"
    if not manifest.is_file():
        return None
    return next((root / e["file"] for e in json.loads(manifest.read_text())
                 if e.get("family_id") == "noto-serif" and e.get("weight") == 400
                 and e.get("style") == "normal"), None)


@pytest.fixture(scope="module")
def fonts(sample_fonts) -> dict[str, Path]:
    serif = _serif_font()
    if serif is None:
        pytest.skip("bundled Noto Serif not found")
    return {"sans": sample_fonts.plain, "serif": serif}


def letter(font: Path, ch: str, size: int = 64) -> np.ndarray:
    return render.render(str(font), 0, ch, size)[0].astype(np.float32) / 255


def segments(path: BezierPath) -> list[tuple[tuple[float, float], tuple, bool]]:
    """(start point, segment, is it a line) of each segment of a contour."""
    out, prev = [], path.start
    for seg in path.segments:
        out.append((prev, seg, is_line(prev, seg)))
        prev = seg[2]
    return out


def turns(path: BezierPath) -> list[tuple[tuple[float, float], float]]:
    """(node, turn in degrees between the curve arriving and the curve leaving) per node."""
    segs = segments(path)

    def leaving(p0: tuple, seg: tuple) -> np.ndarray:
        ahead = next(q for q in (*seg,) if q != p0)
        return np.subtract(ahead, p0)

    def arriving(p0: tuple, seg: tuple) -> np.ndarray:
        back = next(q for q in (seg[1], seg[0], p0) if q != seg[2])
        return np.subtract(seg[2], back)

    out = []
    for k, (p0, seg, _) in enumerate(segs):
        n0, nseg, _ = segs[(k + 1) % len(segs)]
        a, b = arriving(p0, seg), leaving(n0, nseg)
        cos = np.dot(a, b) / (np.linalg.norm(a) * np.linalg.norm(b))
        out.append((seg[2], math.degrees(math.acos(np.clip(cos, -1, 1)))))
    return out


def lines(paths: list[BezierPath]) -> list[np.ndarray]:
    """Every straight segment as its vector (end - start)."""
    return [np.subtract(seg[2], p0) for p in paths for p0, seg, straight in segments(p)
            if straight]


def ink_box(b: np.ndarray) -> tuple[int, int, int, int]:
    rows, cols = np.nonzero(b > 0.5)
    return cols.min(), rows.min(), cols.max() + 1, rows.max() + 1


# --- the fit -------------------------------------------------------------------------------


@pytest.mark.parametrize("style", ["sans", "serif"])
@pytest.mark.parametrize("ch", ["l", "o", "H", "L", "I"])
def test_real_letters_have_few_nodes(fonts: dict[str, Path], style: str, ch: str) -> None:
    b = letter(fonts[style], ch)
    assert wobble.node_count(trace(b, **TRACE)) <= NODE_BOUNDS[style][ch]


@pytest.mark.parametrize(("style", "ch", "share"), [("sans", "l", 0.9), ("sans", "I", 0.9),
                                                    ("sans", "H", 0.9), ("serif", "l", 0.6),
                                                    ("serif", "H", 0.6)])
def test_straight_stems_are_straight_segments(fonts: dict[str, Path], style: str, ch: str,
                                              share: float) -> None:
    """Both sides of a stem are one line each, as long as the stem (serifs and their brackets
    take the rest in a serif face)."""
    b = letter(fonts[style], ch)
    height = ink_box(b)[3] - ink_box(b)[1]
    stems = [v for v in lines(trace(b, **TRACE)) if abs(v[0]) < 0.02 * abs(v[1])
             and abs(v[1]) >= share * height]
    assert len(stems) >= 2
    assert {np.sign(v[1]) for v in stems} == {-1.0, 1.0}  # down one side, up the other


def test_bars_are_straight_segments(fonts: dict[str, Path]) -> None:
    b = letter(fonts["sans"], "H")
    x0, _, x1, _ = ink_box(b)
    bars = [v for v in lines(trace(b, **TRACE)) if abs(v[1]) < 0.02 * abs(v[0])]
    assert sum(abs(v[0]) >= 0.4 * (x1 - x0) for v in bars) == 2  # the crossbar's two edges


@pytest.mark.parametrize(("ch", "corners"), [("H", 12), ("L", 6), ("I", 4)])
def test_corners_are_kept(fonts: dict[str, Path], ch: str, corners: int) -> None:
    """A sans H, L, I is a polygon: every node is a right-angle corner, none rounded off, and
    the outermost corners sit on the ink's corners."""
    b = letter(fonts["sans"], ch)
    (path,) = trace(b, **TRACE)
    sharp = [(p, t) for p, t in turns(path) if t > 60]
    assert len(sharp) == corners
    assert all(abs(t - 90) < 10 for _, t in sharp)
    x0, y0, x1, y1 = ink_box(b)
    nodes = np.array([p for p, _ in sharp])
    for corner in ((x0, y0), (x0, y1), (x1, y1)):  # L's and I's and H's outer corners
        assert np.min(np.linalg.norm(nodes - corner, axis=1)) < 0.6


@pytest.mark.parametrize("style", ["sans", "serif"])
def test_fit_is_less_wobbly_than_the_smooth_fit(fonts: dict[str, Path], style: str) -> None:
    bitmaps = [letter(fonts[style], ch) for ch in "aegsR"]
    new = sum((wobble.measure(trace(b, **TRACE), 400 / 64) for b in bitmaps), wobble.ZERO)
    old = sum((wobble.measure(trace(b, fit="smooth", **TRACE), 400 / 64) for b in bitmaps),
              wobble.ZERO)
    assert new.per_100px <= 0.6 * old.per_100px  # measured 0.42 vs 1.68 (Inter)
    assert new.per_100px < 0.8  # 0.42 Inter, 0.45 Noto Serif; the fonts' own outlines ~0.43
    assert new.nodes < 0.7 * old.nodes


@pytest.mark.parametrize("style", ["sans", "serif"])
@pytest.mark.parametrize("hard", [False, True])
def test_round_trip_keeps_the_pixels_at_32_px(fonts: dict[str, Path], style: str, hard: bool
                                              ) -> None:
    for ch in "aegsRH":
        b = letter(fonts[style], ch, 32)
        if hard:
            b = (b > 0.5).astype(np.float32)
        back = rasterize(trace(b, **TRACE), b.shape) > 0.5
        ink = b > 0.5
        assert (back & ink).sum() / (back | ink).sum() >= 0.97, ch  # measured min 0.976


def test_fit_option_is_checked() -> None:
    b = np.zeros((16, 16), np.float32)
    b[4:12, 4:12] = 1
    with pytest.raises(ValueError, match="fit"):
        trace(b, fit="melted")
    (square,) = trace(b)
    assert len(square.segments) == 4 and all(s for _, _, s in segments(square))


# --- the wobble measure --------------------------------------------------------------------


def circle(r: float, n: int = 720) -> np.ndarray:
    t = np.linspace(0, 2 * np.pi, n, endpoint=False)
    return np.column_stack([r * np.cos(t), r * np.sin(t)])


def bumpy_slab(amplitude: float) -> np.ndarray:
    """A 400 x 100 slab whose top edge carries ten bumps 40 px long of `amplitude`."""
    x = np.linspace(0, 400, 801)
    top = np.column_stack([x, amplitude * np.sin(2 * np.pi * x / 40)])
    return np.vstack([top, [[400, 100], [0, 100]]])


def test_a_circle_and_a_square_do_not_wobble() -> None:
    w = wobble.measure_polygons([circle(100)])
    assert w.inflections == 0 and w.length == pytest.approx(2 * np.pi * 100, rel=0.01)
    square = np.array([[0, 0], [50, 0], [50, 50], [0, 50]], float)
    assert wobble.measure_polygons([square]).inflections == 0


def test_bumps_count_above_the_dead_band_only() -> None:
    # curvature of a bump: amplitude * (2 pi / 40)^2 = 0.025 * amplitude, band 0.01
    assert wobble.measure_polygons([bumpy_slab(2.0)]).inflections >= 18  # 2 per bump
    assert wobble.measure_polygons([bumpy_slab(0.2)]).inflections == 0
    w = wobble.measure_polygons([bumpy_slab(2.0)], dead_band=0.1)
    assert w.inflections == 0


def test_wobble_adds_up_and_counts_nodes() -> None:
    a = wobble.Wobble(2, 100.0, 5)
    assert (a + a).per_100px == 2.0 and (a + a).nodes == 10
    assert wobble.ZERO.per_100px == 0.0
    b = np.zeros((16, 16), np.float32)
    b[4:12, 4:12] = 1
    paths = trace(b)
    w = wobble.measure(paths, 10.0)
    assert w.nodes == wobble.node_count(paths) == 4
    assert w.length == pytest.approx(320, rel=0.02) and w.inflections == 0

"""Tests for ambictl.vectorize: fidelity, holes, winding, symmetry, size, SVG and speed.

Glyphs are real letters rendered with PIL from DejaVu at 32 and 64 px, anti-aliased (what the
models learn from) and hard-edged (their thresholded form).
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from functools import cache
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFont
from scipy import ndimage as ndi

from ambictl import vectorize
from ambictl.pens import draw
from ambictl.vectorize import (
    BezierPath,
    _flatten,
    _signed_area,
    flip,
    mirror,
    path_data,
    rasterize,
    rotate180,
    round_trip,
    trace,
)

FONT_DIR = Path("/usr/share/fonts/truetype/dejavu")
FONTS = ("DejaVuSans", "DejaVuSerif")
SIZES = (32, 64)
CHARS = "aeo8BgQ%"
HOLED = "oae8B"

needs_fonts = pytest.mark.skipif(
    not all((FONT_DIR / f"{f}.ttf").exists() for f in FONTS), reason="DejaVu fonts not installed"
)


@cache
def glyph(ch: str, size: int, font: str = "DejaVuSans") -> np.ndarray:
    """Anti-aliased float32 glyph, ink = 1, centred, at 3/4 of the frame: like the em frame."""
    face = ImageFont.truetype(str(FONT_DIR / f"{font}.ttf"), int(size * 0.75))
    img = Image.new("L", (size, size), 0)
    ImageDraw.Draw(img).text((size / 2, size / 2), ch, font=face, fill=255, anchor="mm")
    out = np.asarray(img, dtype=np.float32) / 255
    out.setflags(write=False)
    return out


def hard(b: np.ndarray) -> np.ndarray:
    return (b > 0.5).astype(np.float32)


def iou(a: np.ndarray, b: np.ndarray) -> float:
    return float((a & b).sum() / max((a | b).sum(), 1))


def cases() -> list[tuple[str, int, str]]:
    return [(f, s, c) for f in FONTS for s in SIZES for c in CHARS]


# --- fidelity --------------------------------------------------------------------------------


@needs_fonts
@pytest.mark.parametrize(("font", "size", "ch"), cases())
def test_hard_glyph_rasterises_back_to_its_pixels(font: str, size: int, ch: str) -> None:
    b = hard(glyph(ch, size, font))
    r = rasterize(trace(b), b.shape)
    assert iou(r > 0.5, b > 0.5) >= 0.97  # measured min 0.981 (32 px), 0.997 (64 px)


@needs_fonts
@pytest.mark.parametrize(("font", "size", "ch"), cases())
def test_antialiased_glyph_keeps_every_decisive_pixel(font: str, size: int, ch: str) -> None:
    """Smooth outlines of AA glyphs: pixels clearly in or out (|b - .5| >= .15) agree.

    Edge pixels near 0.5 are coin flips for any smooth outline (strict IoU measured min 0.86 at
    32 px, 0.95 at 64 px); `refine` is what makes those agree too, see the next test.
    """
    b = glyph(ch, size, font)
    r = rasterize(trace(b), b.shape)
    decisive = np.abs(b - 0.5) >= 0.15
    assert iou((r > 0.5) & decisive, (b > 0.5) & decisive) >= 0.95  # measured min 0.971


@needs_fonts
@pytest.mark.parametrize(("font", "size", "ch"), cases())
def test_refined_antialiased_glyph_rasterises_back_to_its_pixels(font: str, size: int, ch: str
                                                                 ) -> None:
    b = glyph(ch, size, font)
    r = rasterize(trace(b, refine=2), b.shape)
    assert iou(r > 0.5, b > 0.5) >= 0.97  # measured min 0.985 (32 px), 0.994 (64 px)


def test_round_trip_draws_grey_ink_as_the_outline_does() -> None:
    """round_trip is the bitmap as the vector output shows it: ink over the threshold stays,
    a grey stroke under it (which a network may still read) is gone, nothing else appears."""
    b = np.zeros((32, 32), dtype=np.float32)
    b[6:26, 8:14] = 0.9  # a firm stem
    b[6:26, 20:24] = 0.35  # a faint one
    r = round_trip(b)
    assert r.shape == b.shape and r.dtype == np.float32
    assert iou(r > 0.5, b > 0.5) >= 0.9
    assert r[6:26, 20:24].max() < 0.05 and r[:, 16:].max() < 0.05
    assert np.array_equal(r, rasterize(trace(b), b.shape))
    assert np.array_equal(round_trip(b, refine=1), rasterize(trace(b, refine=1), b.shape))


@needs_fonts
@pytest.mark.parametrize("antialiased", [True, False])
@pytest.mark.parametrize(("font", "size", "ch"), [c for c in cases() if c[2] in HOLED])
def test_counters_stay_empty(font: str, size: int, ch: str, antialiased: bool) -> None:
    b = glyph(ch, size, font) if antialiased else hard(glyph(ch, size, font))
    r = rasterize(trace(b), b.shape)
    background = np.pad(b <= 0.5, 1, constant_values=True)
    labels, n = ndi.label(background)
    holes = [k for k in range(1, n + 1) if k != labels[0, 0]]
    assert len(holes) == (2 if ch in "8B" else 1)
    for k in holes:
        depth = ndi.distance_transform_edt(labels[1:-1, 1:-1] == k)
        centre = np.unravel_index(np.argmax(depth), depth.shape)
        assert r[centre] == 0.0


def test_empty_bitmap_gives_no_paths() -> None:
    assert trace(np.zeros((32, 32), np.float32)) == []
    assert trace(np.full((32, 32), 0.4, np.float32)) == []
    assert rasterize([], (8, 8)).shape == (8, 8)


def test_all_ink_bitmap_gives_one_squareish_contour() -> None:
    paths = trace(np.ones((32, 32), np.float32))
    assert len(paths) == 1
    pts = _flatten(paths[0], 1.0)
    assert np.allclose(pts.min(axis=0), 0.0, atol=0.5)
    assert np.allclose(pts.max(axis=0), 32.0, atol=0.5)
    assert _signed_area(pts) > 0.97 * 32 * 32  # only the corners are rounded


def test_coordinates_are_original_pixel_coordinates() -> None:
    b = np.zeros((12, 16), np.float32)
    b[3:8, 4:9] = 1  # pixels cover x in [4, 9], y in [3, 8]
    (path,) = trace(b)
    pts = _flatten(path, 1.0)
    assert np.allclose(pts.min(axis=0), (4, 3), atol=0.15)
    assert np.allclose(pts.max(axis=0), (9, 8), atol=0.15)


def test_specks_are_dropped() -> None:
    b = np.zeros((16, 16), np.float32)
    b[2, 2] = 1.0  # one-pixel speck
    b[8:11, 8:11] = 1.0  # a real 3x3 dot
    (path,) = trace(b)
    assert _flatten(path, 1.0).min() > 7


def test_rejects_non_2d_input() -> None:
    with pytest.raises(ValueError):
        trace(np.zeros((2, 8, 8), np.float32))


@needs_fonts
def test_deterministic() -> None:
    b = glyph("g", 32, "DejaVuSerif")
    assert path_data(trace(b)) == path_data(trace(b.copy())) == path_data(trace(b))


# --- winding ---------------------------------------------------------------------------------


def winding(polys: list[np.ndarray], points: np.ndarray) -> np.ndarray:
    """Winding number of each point (n, 2) around the polygons (crossing-number form)."""
    total = np.zeros(len(points), dtype=int)
    px, py = points[:, :1], points[:, 1:]
    for p in polys:
        (x0, y0), (x1, y1) = p.T, np.roll(p, -1, axis=0).T
        side = (x1 - x0) * (py - y0) - (px - x0) * (y1 - y0)
        up = (y0 <= py) & (y1 > py) & (side > 0)
        down = (y0 > py) & (y1 <= py) & (side < 0)
        total += up.sum(axis=1) - down.sum(axis=1)
    return total


@needs_fonts
@pytest.mark.parametrize("ch", ["o", "8", "B", "%", "Q"])
def test_holes_wind_opposite_so_nonzero_equals_evenodd(ch: str) -> None:
    b = glyph(ch, 64, "DejaVuSerif")
    paths = trace(b)
    areas = [_signed_area(_flatten(p, 1.0)) for p in paths]
    assert max(areas) > 0 and min(areas) < 0  # outer clockwise on screen, holes anticlockwise
    assert abs(sum(areas) - b.sum()) < 0.05 * b.sum()  # holes subtract: net area = ink area
    ys, xs = np.mgrid[0:64, 0:64] + 0.5
    centres = np.column_stack([xs.ravel(), ys.ravel()])
    wind = winding([_flatten(p, 1.0) for p in paths], centres).reshape(64, 64)
    assert set(np.unique(wind)) <= {0, 1}
    evenodd = rasterize(paths, b.shape, supersample=1) > 0.5  # one sample: the pixel centre
    assert np.array_equal(wind != 0, evenodd)


# --- symmetry --------------------------------------------------------------------------------


@needs_fonts
@pytest.mark.parametrize(("font", "size", "ch"), cases())
def test_rotate180_rasterises_to_the_turned_bitmap(font: str, size: int, ch: str) -> None:
    b = hard(glyph(ch, size, font))
    turned = rotate180(trace(b), size, size)
    assert iou(rasterize(turned, b.shape) > 0.5, np.rot90(b, 2) > 0.5) >= 0.97


@needs_fonts
def test_rotate180_is_exactly_the_turned_rendering() -> None:
    b = glyph("g", 32)
    paths = trace(b)
    turned = rasterize(rotate180(paths, 32, 32), b.shape)
    assert np.allclose(turned, np.rot90(rasterize(paths, b.shape), 2), atol=1e-6)
    assert [_signed_area(_flatten(p, 1)) > 0 for p in rotate180(paths, 32, 32)] == [
        _signed_area(_flatten(p, 1)) > 0 for p in paths]


@needs_fonts
@pytest.mark.parametrize(("reflect", "np_reflect"), [
    (lambda p, w, h: mirror(p, w), np.fliplr),
    (lambda p, w, h: flip(p, h), np.flipud),
])
def test_reflections_mirror_the_rendering_and_keep_winding(reflect, np_reflect) -> None:
    b = glyph("B", 64, "DejaVuSerif")[:, 4:56]  # not square: width and height differ
    h, w = b.shape
    paths = trace(b)
    out = reflect(paths, w, h)
    r, r_out = rasterize(paths, b.shape), rasterize(out, b.shape)
    assert iou(r_out > 0.5, np_reflect(r) > 0.5) >= 0.99
    signs = [_signed_area(_flatten(p, 1)) > 0 for p in paths]
    assert [_signed_area(_flatten(p, 1)) > 0 for p in out] == signs
    back = reflect(out, w, h)
    for p, q in zip(paths, back, strict=True):
        assert np.allclose(p.start, q.start)
        assert np.allclose(p.segments, q.segments)


# --- rasteriser ------------------------------------------------------------------------------


def square(x0: float, y0: float, x1: float, y1: float) -> BezierPath:
    """Axis-aligned rectangle as straight cubics, clockwise on screen."""
    corners = [(x1, y0), (x1, y1), (x0, y1), (x0, y0)]
    segs, prev = [], (x0, y0)
    for c in corners:
        segs.append((prev, c, c))
        prev = c
    return BezierPath(start=(x0, y0), segments=tuple(segs))


def test_rasterize_coverage_is_exact_area_and_evenodd() -> None:
    outer, inner = square(1.25, 1.5, 7.75, 7.0), square(3.0, 3.0, 5.0, 5.0)
    r = rasterize([outer, inner], (9, 9), supersample=4)
    assert r.dtype == np.float32 and r.min() >= 0 and r.max() <= 1
    assert abs(r.sum() - (6.5 * 5.5 - 4.0)) < 1e-3
    assert r[4, 4] == 0.0 and r[2, 2] == 1.0
    scaled = rasterize([outer], (18, 20), scale=2, offset=(1, 0))
    assert abs(scaled.sum() - 4 * 6.5 * 5.5) < 1e-3
    assert scaled[:, :3].sum() == 0  # x starts at 1.25 * 2 + 1 = 3.5


@needs_fonts
def test_rasterize_in_bands_matches_one_pass(monkeypatch: pytest.MonkeyPatch) -> None:
    paths = trace(glyph("8", 32))
    whole = rasterize(paths, (96, 80), scale=3, offset=(-4, 0))
    monkeypatch.setattr(vectorize, "_BAND_SAMPLES", 1000)  # a few pixel rows per band
    assert np.array_equal(rasterize(paths, (96, 80), scale=3, offset=(-4, 0)), whole)


# --- SVG -------------------------------------------------------------------------------------


def test_path_data_format() -> None:
    path = BezierPath(start=(0.5, 1.0), segments=(((1.25, 1.0), (2.0, 1.5), (2.0, 2.0)),
                                                   ((-0.126, 2.5), (0.5, 2.5), (0.5, 1.0))))
    assert path_data([path]) == "M.5 1C1.25 1 2 1.5 2 2 -.13 2.5 .5 2.5 .5 1Z"
    assert path_data([path], scale=2, offset=(1, -1), precision=1) == (
        "M2 1C3.5 1 5 2 5 3 .7 4 2 4 2 1Z")
    assert path_data([path, path]).count("M") == 2
    assert path_data([]) == ""
    assert path_data([square(1, 2, 3, 4)]) == "M1 2L3 2 3 4 1 4Z"  # lines; Z draws the last


@needs_fonts
def test_path_data_numbers_round_trip() -> None:
    """Every point the pen is given comes out within half a unit of the last decimal."""
    from fontTools.pens.recordingPen import RecordingPen

    paths = trace(glyph("Q", 64))
    d = path_data(paths, scale=3, offset=(10, 20), precision=2)
    nums = np.array([float(t) for t in re.findall(r"-?(?:\d+\.?\d*|\.\d+)", d)])
    rec = RecordingPen()
    draw(paths, rec, 3, (10, 20))
    expected = np.array([p for _, pts in rec.value for p in pts]).ravel()
    assert np.allclose(nums, expected, atol=0.0051)


@needs_fonts
def test_word_path_data_is_compact() -> None:
    total = sum(len(path_data(trace(glyph(ch, 64, "DejaVuSerif")))) for ch in "Bigram")
    assert total < 15_000  # measured ~6 KB for six 64-px glyphs: well under 30 KB


@needs_fonts
def test_svg_document_parses() -> None:
    word, size = "a8%", 64
    d = "".join(path_data(trace(glyph(ch, size)), offset=(i * size, 0))
                for i, ch in enumerate(word))
    doc = (f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {size * len(word)} {size}">'
           f'<path fill-rule="evenodd" d="{d}"/></svg>')
    root = ET.fromstring(doc)
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    (path,) = root.findall("{http://www.w3.org/2000/svg}path")
    assert path.get("d") == d and path.get("fill-rule") == "evenodd"
    assert re.fullmatch(r"(M[^MZ]+[LC][^MZ]+Z)+", d)

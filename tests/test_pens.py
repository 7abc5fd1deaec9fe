"""Tests for ambictl.pens: one outline drawn through SVG, raster and fontTools pens agrees."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import numpy as np
import pytest
from conftest import parse_svg_path
from fontTools.pens.areaPen import AreaPen
from fontTools.pens.boundsPen import BoundsPen
from fontTools.pens.cu2quPen import Cu2QuPen
from fontTools.pens.recordingPen import RecordingPen
from fontTools.pens.ttGlyphPen import TTGlyphPen

from ambictl import output, render
from ambictl.pens import PolygonPen, draw, is_line
from ambictl.vectorize import (
    BezierPath,
    fill,
    mirror,
    path_data,
    rasterize,
    rotate180,
    trace,
)

SVG = "{http://www.w3.org/2000/svg}"


@pytest.fixture(scope="module")
def glyphs(sample_fonts) -> dict[str, np.ndarray]:
    """'B' (holes, curves, straight stem) and 'g' of a plain sans at 64 px, ink = 1."""
    imgs = render.render(str(sample_fonts.plain), 0, "Bg", 64).astype(np.float32) / 255
    return {"B": imgs[0], "g": imgs[1]}


def iou(a: np.ndarray, b: np.ndarray) -> float:
    return float((a & b).sum() / max((a | b).sum(), 1))


@pytest.mark.parametrize("ch", ["B", "g"])
def test_svg_pen_and_raster_pen_draw_the_same_glyph(glyphs: dict[str, np.ndarray], ch: str
                                                    ) -> None:
    paths = trace(glyphs[ch], refine=1)
    d = path_data(paths, scale=4, offset=(3, -2))
    assert "L" in d or ch == "g"  # the B's stem is a line
    back = rasterize(parse_svg_path(d), (256, 256))
    drawn = rasterize(paths, (256, 256), scale=4, offset=(3, -2))
    assert iou(back > 0.5, drawn > 0.5) >= 0.99
    assert np.abs(back - drawn).mean() < 0.01  # 2 decimals: coverage moves by ~1 %


def test_svg_document_path_draws_what_the_png_shows(glyphs: dict[str, np.ndarray]) -> None:
    """Two glyphs and an empty one: one <path> per inked glyph, and its d rasterised is the
    PNG's coverage (both routes are one outline walked by different pens)."""
    outlines = [trace(glyphs["B"]), [], trace(glyphs["g"])]
    offsets = [(0.0, 0.0), (64.0, 0.0), (80.0, 0.0)]
    doc = output.svg_document(outlines, offsets, 144, 64, title="Bg", px_height=128)
    root = ET.fromstring(doc)
    assert root.get("viewBox") == "0 0 144 64" and root.find(f"{SVG}title").text == "Bg"
    group = root.find(f"{SVG}g")
    assert group.get("fill-rule") == "evenodd"
    ds = [p.get("d") for p in group.findall(f"{SVG}path")]
    assert len(ds) == 2
    back = rasterize([p for d in ds for p in parse_svg_path(d)], (128, 288), scale=2)
    cov = output.coverage(outlines, offsets, 144, 64, 128)
    assert cov.shape == (128, 288)
    assert iou(back > 0.5, cov > 0.5) >= 0.99


def test_coverage_is_the_placed_outline_rasterised(glyphs: dict[str, np.ndarray]) -> None:
    outlines, offsets = [trace(glyphs["B"]), trace(glyphs["g"])], [(0.0, 0.0), (50.0, 3.0)]
    cov = output.coverage(outlines, offsets, 114, 64, 192)
    ref = rasterize(output.place(outlines, offsets), (192, 342), scale=3)
    assert np.allclose(cov, ref, atol=1e-5)


def test_polygon_pen_closes_contours_and_flattens_finely() -> None:
    """Filled, the flattened polygon has the area of the curved shape (which fontTools
    integrates in closed form) to within what chords a few hundredths of a pixel off lose."""
    pen, area = PolygonPen(), AreaPen()
    for p in (pen, area):
        p.moveTo((0, 0))
        p.lineTo((10, 0))
        p.curveTo((10, 5), (5, 10), (0, 10))
        p.closePath()
    (poly,) = pen.polygons
    assert poly[:2].tolist() == [[0, 0], [10, 0]] and poly[-1].tolist() != [0, 0]
    assert len(poly) > 6
    assert abs(fill(pen.polygons, (12, 12), supersample=8).sum() - abs(area.value)) < 0.003 * 76.25


def test_recording_pen_receives_every_contour(glyphs: dict[str, np.ndarray]) -> None:
    paths = trace(glyphs["B"])
    rec = RecordingPen()
    draw(paths, rec)
    ops = [op for op, _ in rec.value]
    assert ops.count("moveTo") == ops.count("closePath") == len(paths) == 3
    assert "lineTo" in ops and "curveTo" in ops
    drawn = sum(op in ("lineTo", "curveTo") for op in ops)
    home = sum(is_line(p.segments[-2][2] if len(p.segments) > 1 else p.start, p.segments[-1])
               for p in paths)  # a last line back to the start is left to closePath
    assert drawn == sum(len(p.segments) for p in paths) - home
    assert rec.value[0] == ("moveTo", (paths[0].start,))


def test_truetype_glyph_through_cu2qu_matches_the_outline(glyphs: dict[str, np.ndarray]) -> None:
    """A font export is one more pen: y flipped to font units, cubics to quadratics; outer
    contours come out clockwise as TrueType wants (they are clockwise on screen, and the flip
    keeps the picture upright); the glyph's bounds and area are the outline's."""
    paths = trace(glyphs["g"])
    upm_px = 1000 / 64  # font units per pixel: the 64 px frame is one em
    transform = ((upm_px, -upm_px), (0.0, 800.0))  # y up, baseline 800 units below the top
    tt = TTGlyphPen(None)
    draw(paths, Cu2QuPen(tt, max_err=1.0), *transform)
    glyph = tt.glyph()
    assert glyph.numberOfContours == len(paths)
    got, want = BoundsPen(None), BoundsPen(None)
    glyph.draw(got, None)
    draw(paths, want, *transform)
    assert np.allclose(got.bounds, want.bounds, atol=1.5)  # integer coordinates, 1 unit error
    area = AreaPen()
    glyph.draw(area, None)
    assert area.value < 0  # clockwise outer contours (fontTools counts anticlockwise positive)
    ink = float(glyphs["g"].sum()) * upm_px**2
    assert abs(-area.value - ink) < 0.05 * ink


def test_lines_stay_lines_under_the_symmetries() -> None:
    sq = BezierPath((1.0, 2.0), (((1.0, 2.0), (3.0, 2.0), (3.0, 2.0)),
                                 ((3.0, 2.0), (3.0, 5.0), (3.0, 5.0)),
                                 ((3.0, 5.0), (1.0, 5.0), (1.0, 5.0)),
                                 ((1.0, 5.0), (1.0, 2.0), (1.0, 2.0))))
    for moved in (rotate180([sq], 8, 8), mirror([sq], 8)):
        d = path_data(moved)
        assert "C" not in d and d.count("L") == 1 and d.endswith("Z")

"""Outlines drawn through a pen: moveTo / lineTo / curveTo / closePath, as fontTools pens do.

A traced glyph (`vectorize.BezierPath` contours) is replayed into any pen by `draw`; the SVG path
(`SvgPathPen`), the rasteriser's polygons (`PolygonPen`) and a font export (any fontTools pen:
`RecordingPen`, `T2CharStringPen`, `TTGlyphPen` behind a `Cu2QuPen`) are then just different pens,
and the outline is walked by one piece of code.

The method names and argument shapes are fontTools' `AbstractPen`'s, so its pens can be passed
directly. Coordinates keep the traced glyph's convention (pixels, y down) unless `draw` is given
a scale with a negative y, as a font (y up) needs; see `draw`.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Protocol

import numpy as np

if TYPE_CHECKING:
    from .vectorize import BezierPath

Point = tuple[float, float]
_FLAT_FACTOR = 3.0  # chords per sqrt(px) of control polygon: stray ~1/100 px from the curve
_MIN_STEPS, _MAX_STEPS = 4, 256  # chords per cubic


class Pen(Protocol):
    """What `draw` needs of a pen: fontTools' AbstractPen segment methods."""

    def moveTo(self, pt: Point) -> None: ...  # noqa: N802 (fontTools' names)

    def lineTo(self, pt: Point) -> None: ...  # noqa: N802

    def curveTo(self, *points: Point) -> None: ...  # noqa: N802

    def closePath(self) -> None: ...  # noqa: N802


def is_line(p0: Point, segment: tuple[Point, Point, Point]) -> bool:
    """A BezierPath segment whose handles sit on its end points is a straight line.

    Lines are stored that way (degenerate cubics) so every transform that maps points keeps
    them lines: the equality survives any point map applied to both.
    """
    return segment[0] == p0 and segment[1] == segment[2]


def draw(paths: Iterable[BezierPath], pen: Pen, scale: float | tuple[float, float] = 1.0,
         offset: tuple[float, float] = (0.0, 0.0)) -> None:
    """Replay closed contours into `pen`, every point mapped to p * scale + offset.

    `scale` may be (sx, sy): (s, -s) with offset (0, ascent) turns the pixel frame (y down)
    into font units (y up). Outer contours, clockwise on screen, stay clockwise seen upright
    in font units: TrueType's direction as they are; PostScript/CFF outlines want them
    reversed (e.g. fontTools' ReverseContourPen). A final line back to the start is left to
    closePath, which draws it anyway (fontTools' convention), so it is not drawn twice.
    """
    sx, sy = (scale, scale) if isinstance(scale, (int, float)) else scale
    ox, oy = offset

    def pt(p: Point) -> Point:
        return (p[0] * sx + ox, p[1] * sy + oy)

    for path in paths:
        pen.moveTo(pt(path.start))
        prev = path.start
        last = len(path.segments) - 1
        for k, seg in enumerate(path.segments):
            if is_line(prev, seg):
                if k < last or seg[2] != path.start:
                    pen.lineTo(pt(seg[2]))
            else:
                pen.curveTo(pt(seg[0]), pt(seg[1]), pt(seg[2]))
            prev = seg[2]
        pen.closePath()


# --- SVG -----------------------------------------------------------------------------------


def svg_number(v: float, precision: int) -> str:
    """Shortest fixed-point text: no trailing zeros, no leading zero, no '-0'."""
    s = f"{v:.{max(precision, 0)}f}"
    if "." in s:
        s = s.rstrip("0").rstrip(".")
    if s in ("-0", ""):
        return "0"
    if s.startswith("0."):
        return s[1:]
    if s.startswith("-0."):
        return "-" + s[2:]
    return s


class SvgPathPen:
    """Collects an SVG path `d` string: absolute coordinates, each command letter written only
    when it changes (SVG repeats the last one), `precision` decimals."""

    def __init__(self, precision: int = 2) -> None:
        self.precision = precision
        self._parts: list[str] = []
        self._command = ""

    def _emit(self, command: str, points: tuple[Point, ...]) -> None:
        nums = " ".join(f"{svg_number(x, self.precision)} {svg_number(y, self.precision)}"
                        for x, y in points)
        if command == self._command:
            self._parts.append(" " + nums)
        else:
            self._parts.append(command + nums)
            self._command = command

    def moveTo(self, pt: Point) -> None:  # noqa: N802
        self._emit("M", (pt,))

    def lineTo(self, pt: Point) -> None:  # noqa: N802
        self._emit("L", (pt,))

    def curveTo(self, *points: Point) -> None:  # noqa: N802
        if len(points) != 3:
            raise ValueError("SvgPathPen draws cubic segments: two handles and an end point")
        self._emit("C", points)

    def closePath(self) -> None:  # noqa: N802
        self._parts.append("Z")
        self._command = "Z"

    @property
    def d(self) -> str:
        return "".join(self._parts)


# --- raster --------------------------------------------------------------------------------


def bernstein(u: np.ndarray) -> np.ndarray:
    """Cubic Bernstein basis (n, 4) at parameters u."""
    v = 1.0 - u
    out = np.empty((len(u), 4))
    out[:, 0] = v * v * v
    out[:, 1] = 3 * u * v * v
    out[:, 2] = 3 * u * u * v
    out[:, 3] = u * u * u
    return out


def flatten_cubics(ctrl: np.ndarray) -> np.ndarray:
    """Points (m, steps, 2) along cubics (m, 4, 2), each start excluded and each end included.

    Every cubic of the batch gets the chord count its longest control polygon needs: chords
    short enough that they stray from the curve by a few hundredths of a unit at most
    (sagitta ~ L^2 / 8R), so zoomed output shows no facets. One evaluation for the batch is
    what keeps a pen that flattens a whole contour at once fast.
    """
    hull = float(np.linalg.norm(np.diff(ctrl, axis=1), axis=2).sum(axis=1).max())
    steps = int(np.clip(np.ceil(_FLAT_FACTOR * np.sqrt(hull)), _MIN_STEPS, _MAX_STEPS))
    t = np.arange(1, steps + 1) / steps
    return np.einsum("tk,mkd->mtd", bernstein(t), ctrl)


class PolygonPen:
    """Collects each closed contour as a polygon (n, 2): lines as they are, cubics flattened
    (all of a contour's at once, at closePath); what the scanline rasteriser fills."""

    def __init__(self) -> None:
        self.polygons: list[np.ndarray] = []
        self._start: Point = (0.0, 0.0)
        self._current: Point = (0.0, 0.0)
        self._parts: list[Point | int] = []  # on-curve points, or the index of a cubic
        self._cubics: list[tuple[Point, Point, Point, Point]] = []

    def moveTo(self, pt: Point) -> None:  # noqa: N802
        self._start = self._current = pt
        self._parts, self._cubics = [pt], []

    def lineTo(self, pt: Point) -> None:  # noqa: N802
        self._parts.append(pt)
        self._current = pt

    def curveTo(self, *points: Point) -> None:  # noqa: N802
        if len(points) != 3:
            raise ValueError("PolygonPen draws cubic segments: two handles and an end point")
        self._parts.append(len(self._cubics))
        self._cubics.append((self._current, *points))
        self._current = points[2]

    def closePath(self) -> None:  # noqa: N802
        flat = flatten_cubics(np.asarray(self._cubics, np.float64)) if self._cubics else None
        pieces = [np.asarray([p], np.float64) if not isinstance(p, int) else flat[p]
                  for p in self._parts]
        poly = np.vstack(pieces)
        if len(poly) > 1 and np.array_equal(poly[0], poly[-1]):
            poly = poly[:-1]  # the polygon closes itself; a repeated start is a zero-length edge
        self.polygons.append(poly)
        self._parts, self._cubics = [], []

"""How lumpy an outline is: inflections per 100 px of outline, and its node count.

The measure (issue #17's "outline wobble"): draw the outline at a stated size (the frame
`height` px tall, e.g. 400 px for a word 400 px tall), walk it at an even step of `step` px,
and take the signed curvature at each step as the turn between successive chords divided by the
step. Curvature weaker than `dead_band` (1 / radius, px⁻¹ at that size) counts as straight and
is skipped; every change of sign among the rest, around each closed contour, is an inflection.
A corner is a large turn of one sign, so corners count only where the turn reverses, as in
real type at a serif. Ink shapes whose lumps bend more tightly than the dead band score high;
a type-like outline scores what its design has (an `S` has two inflections, an `o` none).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from .pens import PolygonPen, draw
from .vectorize import BezierPath

STEP = 2.0  # px between curvature samples at the measured size
DEAD_BAND = 1 / 100  # px⁻¹ at the measured size: bends wider than a 100 px radius are straight


@dataclass(frozen=True)
class Wobble:
    """Inflections and outline length (px at the measured size) of some outlines."""

    inflections: int
    length: float
    nodes: int

    @property
    def per_100px(self) -> float:
        return 100 * self.inflections / self.length if self.length > 0 else 0.0

    def __add__(self, other: Wobble) -> Wobble:
        return Wobble(self.inflections + other.inflections, self.length + other.length,
                      self.nodes + other.nodes)


ZERO = Wobble(0, 0.0, 0)  # the sum's start


def resample(poly: np.ndarray, step: float) -> np.ndarray:
    """A closed polygon (n, 2) resampled at an even arc-length step (at least 8 points)."""
    closed = np.vstack([poly, poly[:1]])
    s = np.concatenate([[0.0], np.cumsum(np.linalg.norm(np.diff(closed, axis=0), axis=1))])
    n = max(int(s[-1] // step), 8)
    t = np.arange(n) * (s[-1] / n)
    return np.column_stack([np.interp(t, s, closed[:, 0]), np.interp(t, s, closed[:, 1])])


def curvature(ring: np.ndarray) -> np.ndarray:
    """Signed turn per unit length at each point of an evenly spaced closed ring."""
    d = np.roll(ring, -1, axis=0) - ring
    phi = np.arctan2(d[:, 1], d[:, 0])
    turn = np.angle(np.exp(1j * (phi - np.roll(phi, 1))))
    step = np.linalg.norm(d, axis=1).mean()
    return turn / max(step, 1e-12)


def sign_changes(k: np.ndarray, dead_band: float) -> int:
    """Sign changes around a closed ring of curvatures, ignoring those inside the dead band."""
    s = np.sign(k[np.abs(k) >= dead_band])
    if len(s) < 2:
        return 0
    return int(np.count_nonzero(s != np.roll(s, 1)))


def node_count(paths: Sequence[BezierPath]) -> int:
    """On-curve points of the outline: one per segment (each contour's start is its last end)."""
    return sum(len(p.segments) for p in paths)


def measure(paths: Sequence[BezierPath], scale: float, *, step: float = STEP,
            dead_band: float = DEAD_BAND) -> Wobble:
    """Inflections, length and nodes of `paths` drawn `scale` times their own size."""
    pen = PolygonPen()
    draw(paths, pen, scale)
    return measure_polygons(pen.polygons, node_count(paths), step=step, dead_band=dead_band)


def measure_polygons(polygons: Sequence[np.ndarray], nodes: int = 0, *, step: float = STEP,
                     dead_band: float = DEAD_BAND) -> Wobble:
    """Inflections and length of closed polygons already at the measured size (any outline
    drawn into a PolygonPen: a font's own glyph, say)."""
    total, length = 0, 0.0
    for poly in polygons:
        ring = resample(poly, step)
        length += float(np.linalg.norm(np.diff(np.vstack([ring, ring[:1]]), axis=0),
                                       axis=1).sum())
        total += sign_changes(curvature(ring), dead_band)
    return Wobble(total, length, nodes)

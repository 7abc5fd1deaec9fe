"""Glyph bitmaps to vector outlines fitted like type, and back.

A model's glyph is a small soft bitmap (32 or 64 px); printed or zoomed, its pixels would show.
`trace` follows the bitmap's iso-line at the ink threshold (scikit-image's contours) and fits it
as a type designer draws: sharp corners, straight lines, on-curve points at extrema and few
convex cubics between them, tight only where the pixels need it. `path_data` writes the result
as an SVG path and `rasterize` renders it back to pixels (for PNG output, and so tests can
measure fidelity); both walk the outline through a pen (see `pens`), as a font export would.

A contour is a start point and cubic segments; a straight line is stored as a cubic whose
handles sit on its end points, so every point map (`rotate180`, `mirror`, `flip`, placing)
keeps it a line and pens draw it with lineTo (`pens.is_line`).

Coordinates are the original bitmap's pixel coordinates: x right, y down, pixel (r, c) covering
[c, c+1] x [r, r+1], so its centre is (c + 0.5, r + 0.5). Outer contours run clockwise on screen
(positive shoelace area with y down) and holes anticlockwise, so `nonzero` and `evenodd` fill
agree; `mirror` and `flip` reverse point order to keep it that way.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy.ndimage import gaussian_filter1d, maximum_filter1d
from skimage.filters import gaussian
from skimage.measure import find_contours
from skimage.transform import rescale

from .pens import PolygonPen, SvgPathPen, bernstein, draw

Point = tuple[float, float]
Segment = tuple[Point, Point, Point]

_PAD = 2  # zero border (original px): the bicubic kernel and blurs see background off-glyph
_IMAGE_SIGMA = 0.35  # image blur per unit of `smooth`, original px: tames bicubic ringing
_CURVE_SIGMA = 0.5  # contour blur per unit of `smooth`, original px: removes staircases
_REFINE_MARGIN = 0.25  # coverage a refined pixel must clear the threshold by
_REFINE_SIGMA = 0.7  # spread of one refinement correction, original px
_REFINE_GAIN = 2.0  # corrections are spread thin by that blur; this restores their size
_BAND_SAMPLES = 1 << 22  # samples rasterised at once (16 MiB of counters)


@dataclass(frozen=True)
class BezierPath:
    """One closed contour: `start`, then cubic segments (c1, c2, end); the last ends at start.

    A segment with c1 == its start and c2 == end is a straight line."""

    start: Point
    segments: tuple[Segment, ...]


# --- the ink field -------------------------------------------------------------------------


def _upsample(img: np.ndarray, upsample: int, sigma_px: float) -> np.ndarray:
    """Bicubic upsampling, then a gaussian blur of `sigma_px` original pixels."""
    if upsample > 1:
        img = rescale(img, upsample, order=3, mode="constant", cval=0.0, anti_aliasing=False)
    if sigma_px > 0:
        img = gaussian(img, sigma=sigma_px * upsample, mode="constant", cval=0.0)
    return img


def _coverage(field: np.ndarray, threshold: float, upsample: int) -> np.ndarray:
    """Per original pixel, the area inside the iso-line, sub-pixel edge position included.

    A sub-pixel counts by its signed distance to the iso-line, (f - t) / |grad f|, ramped over
    its width: exact for straight edges and, unlike a count of sub-pixels, continuous in the
    edge position, so refinement can tell a 0.49 pixel from a 0.51 one.
    """
    h, w = field.shape[0] // upsample, field.shape[1] // upsample
    gy, gx = np.gradient(field)
    dist = (field - threshold) / np.maximum(np.hypot(gx, gy), 1e-6)
    inside = np.clip(dist + 0.5, 0.0, 1.0)
    return inside.reshape(h, upsample, w, upsample).mean(axis=(1, 3))


def _refine(field: np.ndarray, img: np.ndarray, threshold: float, upsample: int, rounds: int
            ) -> np.ndarray:
    """Nudge the field until each pixel's coverage is on the same side of 0.5 as the bitmap.

    Back-projection limited to disagreeing pixels: a pixel inked in the bitmap whose coverage is
    under threshold + margin (or a blank one over threshold - margin) gets the shortfall added
    back, interpolated smoothly. It buys pixel-exact re-rasterisation at the price of small
    lumps where the bitmap's edge pixels sit near 0.5, hence off by default.
    """
    ink = img > threshold
    lo = np.where(ink, threshold + _REFINE_MARGIN, 0.0)
    hi = np.where(ink, 1.0, threshold - _REFINE_MARGIN)
    for _ in range(rounds):
        cov = _coverage(field, threshold, upsample)
        fix = _upsample(np.clip(cov, lo, hi) - cov, upsample, _REFINE_SIGMA)
        field = field + _REFINE_GAIN * fix
    return field


def _field(bitmap: np.ndarray, upsample: int, smooth: float, threshold: float, refine: int
           ) -> np.ndarray:
    """Bicubic-upsampled, lightly blurred ink field, zero on its border so iso-lines close."""
    img = np.pad(np.clip(np.nan_to_num(bitmap.astype(np.float64)), 0.0, 1.0), _PAD)
    field = _upsample(img, upsample, _IMAGE_SIGMA * smooth)
    if refine > 0 and upsample > 1:
        field = _refine(field, img, threshold, upsample, refine)
    return np.pad(field, 1)


# --- contours ------------------------------------------------------------------------------


def _to_bitmap_xy(rc: np.ndarray, upsample: int) -> np.ndarray:
    """Field (row, col) indices to original (x, y): field index j sits at (j - 0.5)/s - PAD.

    rescale puts output pixel centres at (out + 0.5)/s - 0.5 in input indices, the 1-px border
    adds one to field indices, and original pixel index i has its centre at i + 0.5.
    """
    return (rc[:, ::-1] - 0.5) / upsample - _PAD


def _signed_area(pts: np.ndarray) -> float:
    """Shoelace area of a closed polygon (no repeated end point); positive = clockwise, y down."""
    x, y = pts[:, 0], pts[:, 1]
    return 0.5 * float(np.dot(x, np.roll(y, -1)) - np.dot(np.roll(x, -1), y))


def _smooth_ring(ring: np.ndarray, spacing: float, sigma: float) -> np.ndarray:
    """Resample a closed ring evenly by arc length, then blur it along itself.

    Image blur cannot remove the staircase of a hard-edged bitmap without eroding one-pixel
    strokes; blurring the contour as a curve can (a zig-zag of period p is damped by
    exp(-2 pi^2 sigma^2 / p^2)) and leaves stroke widths alone.
    """
    closed = np.vstack([ring, ring[:1]])
    s = np.concatenate([[0.0], np.cumsum(np.linalg.norm(np.diff(closed, axis=0), axis=1))])
    n = max(round(s[-1] / spacing), 8)
    t = np.arange(n) * (s[-1] / n)
    even = np.column_stack([np.interp(t, s, closed[:, 0]), np.interp(t, s, closed[:, 1])])
    if sigma <= 0:
        return even
    return gaussian_filter1d(even, sigma * n / s[-1], axis=0, mode="wrap")


# --- Bézier fitting (Schneider, Graphics Gems 1990) ----------------------------------------


def _tangents(ring: np.ndarray, reach: int) -> np.ndarray:
    """Unit forward tangent at each point of a closed ring, by central difference over `reach`.

    Every smooth joint between fitted cubics takes its tangent from here (or from a line or an
    extremum), on both sides, so the outline has no kink, hence no visible corner, except at
    the corners the type fit finds on purpose.
    """
    d = np.roll(ring, -reach, axis=0) - np.roll(ring, reach, axis=0)
    return d / np.maximum(np.linalg.norm(d, axis=1, keepdims=True), 1e-12)


def _chord_params(pts: np.ndarray) -> np.ndarray:
    """Parameters in [0, 1] proportional to arc length along the points."""
    s = np.concatenate([[0.0], np.cumsum(np.linalg.norm(np.diff(pts, axis=0), axis=1))])
    return s / s[-1] if s[-1] > 0 else np.linspace(0.0, 1.0, len(pts))


def _cross(a: np.ndarray, b: np.ndarray) -> float:
    return float(a[0] * b[1] - a[1] * b[0])


def _ray_meet(p: np.ndarray, t: np.ndarray, q: np.ndarray, u: np.ndarray
              ) -> tuple[float, float] | None:
    """(s, r) with p + s t = q + r u: where two tangent lines cross; None if near parallel."""
    den = _cross(t, u)
    if abs(den) < 1e-6:
        return None
    d = q - p
    return _cross(d, u) / den, _cross(d, t) / den


def _least_squares(pts: np.ndarray, u: np.ndarray, t0: np.ndarray, t1: np.ndarray,
                   convex: bool = False) -> np.ndarray:
    """Cubic (4, 2) from pts[0] to pts[-1], leaving along t0 and arriving along t1.

    Only the two handle lengths are free, solved by least squares; degenerate or backward
    handles (which would loop or cusp) fall back to a third of the chord. With `convex`, a
    handle may not reach past the point where the two tangent lines cross (potrace's curves
    live in that triangle): a curve that turns one way then cannot bulge into an S, which is
    where a tight fit of a lumpy contour gets its extra inflections.
    """
    p0, p3 = pts[0], pts[-1]
    b = bernstein(u)
    b1, b2 = b[:, 1], b[:, 2]
    rest = pts - np.outer(b[:, 0] + b1, p0) - np.outer(b2 + b[:, 3], p3)
    # normal equations of min |b1 h0 t0 - b2 h1 t1 - rest|², t0 and t1 unit vectors
    c00, c01, c11 = b1 @ b1, -(b1 @ b2) * float(t0 @ t1), b2 @ b2
    x0, x1 = b1 @ (rest @ t0), -(b2 @ (rest @ t1))
    chord = float(np.linalg.norm(p3 - p0))
    det = c00 * c11 - c01 * c01
    h0 = h1 = chord / 3
    if abs(det) > 1e-12:
        s0, s1 = (x0 * c11 - x1 * c01) / det, (c00 * x1 - c01 * x0) / det
        if 1e-3 * chord < min(s0, s1) and max(s0, s1) < 2 * chord:
            h0, h1 = s0, s1
    if convex:
        meet = _ray_meet(p0, t0, p3, -t1)
        if meet is not None and meet[0] > 0 and meet[1] > 0:
            h0, h1 = min(h0, meet[0]), min(h1, meet[1])
    return np.array([p0, p0 + h0 * t0, p3 - h1 * t1, p3])


def _newton(pts: np.ndarray, u: np.ndarray, bez: np.ndarray) -> np.ndarray:
    """One Newton step per point towards the parameter of its nearest point on the cubic."""
    d1 = 3 * np.diff(bez, axis=0)
    d2 = 2 * np.diff(d1, axis=0)
    v = 1.0 - u
    q = bernstein(u) @ bez - pts
    dq = np.outer(v * v, d1[0]) + np.outer(2 * u * v, d1[1]) + np.outer(u * u, d1[2])
    ddq = np.outer(v, d2[0]) + np.outer(u, d2[1])
    num = np.sum(q * dq, axis=1)
    den = np.sum(dq * dq, axis=1) + np.sum(q * ddq, axis=1)
    step = np.divide(num, den, out=np.zeros_like(num), where=np.abs(den) > 1e-12)
    return np.clip(u - step, 0.0, 1.0)


def _fit_run(pts: np.ndarray, tan: np.ndarray, tolerance: float, convex: bool = False
             ) -> list[np.ndarray]:
    """Cubics through an open run of contour points within `tolerance`, split at the worst.

    `tan` holds the ring tangents of the same points; splits reuse them, so joints are smooth.
    """
    if len(pts) < 4:
        h = float(np.linalg.norm(pts[-1] - pts[0])) / 3
        return [np.array([pts[0], pts[0] + h * tan[0], pts[-1] - h * tan[-1], pts[-1]])]
    u = _chord_params(pts)
    for _ in range(4):
        bez = _least_squares(pts, u, tan[0], tan[-1], convex)
        err = np.linalg.norm(bernstein(u) @ bez - pts, axis=1)
        worst = int(np.argmax(err[1:-1])) + 1
        if err[worst] <= tolerance:
            return [bez]
        if err[worst] > 4 * tolerance:  # too far off for reparameterising to rescue
            break
        u = _newton(pts, u, bez)
    return (_fit_run(pts[: worst + 1], tan[: worst + 1], tolerance, convex)
            + _fit_run(pts[worst:], tan[worst:], tolerance, convex))


def _fit_ring(ring: np.ndarray, tolerance: float, reach: int) -> np.ndarray:
    """Smooth closed Bézier outline (n, 4, 2) of a dense closed ring of points.

    The ring is cut at its first point and at the point farthest from it and each half is
    fitted on its own; both cuts use the ring tangent on both sides, so the seams are smooth.
    """
    tan = _tangents(ring, reach)
    far = int(np.argmax(np.sum((ring - ring[0]) ** 2, axis=1)))
    idx = np.r_[0 : far + 1, far : len(ring), 0]
    halves = (idx[: far + 1], idx[far:])
    return np.stack([c for h in halves for c in _fit_run(ring[h], tan[h], tolerance)])


# --- type-like fitting: corners, straight lines, extrema, few curves (after potrace) --------
#
# A type designer's outline has real corners where the stroke turns, straight segments where it
# is straight, on-curve points at the extrema (tangent horizontal or vertical) and as few
# smooth curves as fit in between. The contour is cut at such nodes, the pieces between them
# are lines or convex least-squares cubics, and every smooth node has one tangent on both
# sides. Lengths are in original (bitmap) pixels.

_CORNER_TURN = np.radians(55)  # a turn this sharp within +-1 px of contour is a corner ...
_CORNER_SHARE = 0.8  # ... when it is most of the turn within +-2 px (a round stroke end is not)
_CORNER_SKIP = 0.75  # px of contour each side of a corner rounded by the blurs: not fitted
_CORNER_REACH = 0.8  # px: a blurred corner's vertex lies this close to the contour; a round
#                       stroke end, whose side lines meet farther out, is no corner
_LINE_TURN = np.radians(6)  # a stretch turning less than this within +-1.5 px may be straight
_LINE_MIN = 6.0  # px: shorter straight stretches stay part of a curve
_LINE_TOL = 0.1  # px: every contour point of a line lies this close to it ...
_LINE_SAG = 1 / 80  # ... and within this share of its length (a gentle bowl is no line)
_LINE_SNAP = 2.0  # px: a line ending this close to a corner runs right into it
_FIX_ROUNDS = 3  # refits of the spans near pixels the outline draws wrong ...
_FIX_FACTOR = 0.6  # ... each tightening their tolerance by this factor ...
_FIX_REACH = 1.0  # px: ... for contour points this close to such a pixel's centre ...
_FIX_IOU = 0.975  # ... until the outline's IoU with the bitmap's ink reaches this
_EXTREMUM_MERGE = 1.5  # px: axis crossings of the tangent this close are one wobble, not two


@dataclass
class _Node:
    """An on-curve point of the fitted outline: ring index, position, tangents in and out.

    A corner also keeps a point on each of its sides (`side_in` on the incoming tangent line,
    `side_out` on the outgoing one): its vertex is where those lines meet.
    """

    i: int
    p: np.ndarray
    t_in: np.ndarray
    t_out: np.ndarray
    line_out: bool = False  # a straight line runs from here to the next node
    line_in: bool = False  # and one from the previous node to here
    side_in: np.ndarray | None = None
    side_out: np.ndarray | None = None

    @property
    def corner(self) -> bool:
        return self.side_in is not None


def _cumulative_turn(tan: np.ndarray, k: int) -> np.ndarray:
    """Signed turn of the tangent between points i - k and i + k of a closed ring (radians)."""
    phi = np.unwrap(np.arctan2(tan[:, 1], tan[:, 0]))
    total = phi[-1] - phi[0] + np.angle(np.exp(1j * (phi[0] - phi[-1])))  # ~ +-2 pi
    ext = np.concatenate([phi[-k:] - total, phi, phi[:k] + total])
    return ext[2 * k :] - ext[: len(phi)]


def _runs(mask: np.ndarray) -> list[tuple[int, int]]:
    """(start, stop) of each run of True in a cyclic mask; stop may exceed len (it wraps)."""
    n = len(mask)
    if mask.all():
        return [(0, n)]
    f = int(np.argmin(mask))  # a False: in the ring rolled to start there, no run wraps
    m = np.concatenate([[False], np.roll(mask, -f), [False]]).astype(np.int8)
    edges = np.flatnonzero(np.diff(m))
    return [(int(a) + f, int(b) + f) for a, b in zip(edges[::2], edges[1::2], strict=True)]


def _vertex(node: _Node, near: np.ndarray, reach: float = _CORNER_REACH) -> np.ndarray | None:
    """Where a corner's incoming side line meets its outgoing one, if that is a plausible
    corner within `reach` of the contour point `near`; else None."""
    assert node.side_in is not None and node.side_out is not None
    meet = _ray_meet(node.side_in, node.t_in, node.side_out, -node.t_out)
    if meet is None or meet[0] < 0 or meet[1] < 0:
        return None
    v = node.side_in + meet[0] * node.t_in
    return v if np.linalg.norm(v - near) <= reach else None


def _place_corner(node: _Node, near: np.ndarray) -> np.ndarray:
    """A corner's final position once its sides may be lines: where the sides meet (two real
    lines are trusted farther out: an acute corner's vertex lies far from its rounded
    contour); failing that, the contour point moved onto its line side, so a line that runs
    into the corner stays straight (a slanted stem edge would uncover the pixels it runs along)."""
    both = node.line_in and node.line_out
    v = _vertex(node, near, _LINE_SNAP if both else _CORNER_REACH)
    if v is not None:
        return v
    for is_line, point, d in ((node.line_out, node.side_out, node.t_out),
                              (node.line_in, node.side_in, node.t_in)):
        if is_line and point is not None:
            return point + np.dot(near - point, d) * d
    return near.copy()


def _corner_indices(tan: np.ndarray, per_px: float) -> list[int]:
    """Ring indices of sharp turns: more than _CORNER_TURN within +-1 px, and most of the turn
    within +-2 px (a round stroke end turns as far, but over more contour)."""
    n = len(tan)
    turn1 = np.abs(_cumulative_turn(tan, max(round(per_px), 1)))
    turn2 = np.abs(_cumulative_turn(tan, max(round(2 * per_px), 1)))
    sharp = (turn1 > _CORNER_TURN) & (turn1 >= _CORNER_SHARE * turn2)
    out = []
    for a, b in _runs(sharp):
        idx = np.arange(a, b) % n
        out.append(int(idx[np.argmax(turn1[idx])]))
    return sorted(out)


def _corners(ring: np.ndarray, tan: np.ndarray, per_px: float, found: list[int]
             ) -> list[_Node]:
    """Corner nodes at the indices `found`, each with the tangent lines of its two sides taken
    just outside the rounding that the blurs gave it (their meeting point, found later, undoes
    the rounding). A turn whose side lines meet too far out is a round end, not a corner."""
    n = len(ring)
    side = max(round(1.25 * per_px), 1)
    out = []
    for i in found:
        before, after = (i - side) % n, (i + side) % n
        node = _Node(i, ring[i].copy(), tan[before], tan[after],
                     side_in=ring[before], side_out=ring[after])
        if _vertex(node, ring[i]) is not None:
            out.append(node)
    return out


def _straight(pts: np.ndarray, tol: float) -> tuple[np.ndarray, np.ndarray] | None:
    """(centre, direction along the points) of the line through `pts`, if all lie within
    `tol` of it."""
    centre = pts.mean(axis=0)
    _, _, vt = np.linalg.svd(pts - centre, full_matrices=False)
    d = vt[0] if np.dot(vt[0], pts[-1] - pts[0]) > 0 else -vt[0]
    if np.abs((pts - centre) @ np.array([-d[1], d[0]])).max() > tol:
        return None
    return centre, d


def _lines(ring: np.ndarray, tan: np.ndarray, per_px: float, corners: list[_Node]
           ) -> list[tuple[int, int, np.ndarray, np.ndarray]]:
    """Straight stretches (first, last index, a point on the line, its direction).

    Two kinds: long, locally flat runs within _LINE_TOL of one line (and of _LINE_SAG of its
    length) over their whole length, cut at corners (two flat stretches at an angle that merge
    are dropped, not split); and any contour between two corners that is that straight, however
    short: the end of a stem, a serif's foot.
    """
    n = len(ring)
    k = max(round(1.5 * per_px), 1)
    flat = np.abs(_cumulative_turn(tan, k)) < _LINE_TURN
    flat = maximum_filter1d(flat, 2 * k + 1, mode="wrap")  # a flag speaks for its whole window
    for c in corners:
        flat[c.i] = False
    out = []
    for a, b in _runs(flat):
        if b - a < _LINE_MIN * per_px or b - a >= n:
            continue
        line = _straight(ring[np.arange(a, b) % n], min(_LINE_TOL, _LINE_SAG * (b - a) / per_px))
        if line is not None:
            out.append((a % n, (b - 1) % n, *line))
    skip = max(round(_CORNER_SKIP * per_px), 1)
    for c0, c1 in zip(corners, corners[1:] + corners[:1], strict=True):
        a, b = c0.i + skip, c0.i + _arc_gap(c0.i, c1.i, n) - skip
        if b - a < 3 or any(_arc_gap(a % n, s, n) <= b - a for s, _, _, _ in out):
            continue
        line = _straight(ring[np.arange(a, b + 1) % n], _LINE_TOL)
        if line is not None:
            out.append((a % n, b % n, *line))
    return out


def _arc_gap(i: int, j: int, n: int) -> int:
    """Points from ring index i forward to j on a ring of n points (a full turn when equal)."""
    return (j - i) % n or n


def _line_nodes(ring: np.ndarray, per_px: float, corners: list[_Node],
                lines: list[tuple[int, int, np.ndarray, np.ndarray]]) -> list[_Node]:
    """Nodes at both ends of every line. An end close to a corner runs into that corner,
    whose side then is the line itself, so stems meet bars and serifs at true vertices."""
    n = len(ring)
    snap = round(_LINE_SNAP * per_px)
    nodes = []
    for a, b, centre, d in lines:
        start = next((c for c in corners if _arc_gap(c.i, a, n) <= snap), None)
        end = next((c for c in corners if _arc_gap(b, c.i, n) <= snap), None)
        if start is not None:
            start.t_out, start.side_out, start.line_out = d, centre, True
        else:
            nodes.append(_Node(a, centre + np.dot(ring[a] - centre, d) * d, d, d, line_out=True))
        if end is not None:
            end.t_in, end.side_in, end.line_in = d, centre, True
        else:
            nodes.append(_Node(b, centre + np.dot(ring[b] - centre, d) * d, d, d))
    return nodes


def _extrema(ring: np.ndarray, tan: np.ndarray, per_px: float, idx: np.ndarray
             ) -> list[_Node]:
    """Smooth nodes where the tangent turns horizontal or vertical along ring indices `idx`,
    with that exact tangent: type puts its on-curve points at the extrema. Crossings closer
    than _EXTREMUM_MERGE are one (odd count) or none (even: a wobble across the axis)."""
    out = []
    for axis in (0, 1):
        s = tan[idx, axis]
        pos = np.flatnonzero(s[:-1] * s[1:] < 0) + 1
        if not len(pos):
            continue
        groups = np.split(pos, np.flatnonzero(np.diff(pos) > _EXTREMUM_MERGE * per_px) + 1)
        for g in groups:
            if len(g) % 2:
                i = int(idx[g[len(g) // 2]])
                t = np.zeros(2)
                t[1 - axis] = np.sign(tan[i, 1 - axis])
                out.append(_Node(i, ring[i].copy(), t, t))
    return out


def _add_extrema(ring: np.ndarray, tan: np.ndarray, per_px: float, nodes: list[_Node]
                 ) -> list[_Node]:
    """`nodes` (sorted by index) plus the extrema of every curved span between them, none
    closer than _CORNER_SKIP to another node."""
    n = len(ring)
    margin = max(round(_CORNER_SKIP * per_px), 1)
    if not nodes:
        found = _extrema(ring, tan, per_px, np.arange(n + 1) % n)
    else:
        found = []
        for k, a in enumerate(nodes):
            gap = _arc_gap(a.i, nodes[(k + 1) % len(nodes)].i, n)
            if not a.line_out and gap > 2 * margin:
                span = np.arange(a.i + margin, a.i + gap - margin) % n
                found += _extrema(ring, tan, per_px, span)
    kept: list[_Node] = []
    for e in sorted(found, key=lambda e: e.i):
        if not kept or e.i - kept[-1].i >= margin:
            kept.append(e)
    if len(kept) > 1 and not nodes and _arc_gap(kept[-1].i, kept[0].i, n) < margin:
        kept.pop()
    return sorted(nodes + kept, key=lambda e: e.i)


def _fit_span(ring: np.ndarray, tan: np.ndarray, per_px: float, a: _Node, b: _Node,
              tolerance: float) -> list[np.ndarray]:
    """Convex cubics from node a to node b through the contour between them, leaving a along
    its outgoing tangent and reaching b along its incoming one; a corner's rounded contour
    is left out, so the curve runs into the restored vertex."""
    n = len(ring)
    skip = max(round(_CORNER_SKIP * per_px), 1)
    first = a.i + 1 + (skip if a.corner else 0)
    last = a.i + _arc_gap(a.i, b.i, n) - (skip if b.corner else 0)
    inner = np.arange(first, last) % n
    pts = np.vstack([a.p, ring[inner], b.p])
    tt = np.vstack([a.t_out, tan[inner], b.t_in])
    return _fit_run(pts, tt, tolerance, convex=True)


def _type_nodes(ring: np.ndarray, per_px: float) -> tuple[np.ndarray, list[_Node]]:
    """Ring tangents and the on-curve nodes of a type-like outline of a dense closed ring with
    `per_px` points per pixel: corners, line ends, extrema."""
    tan = _tangents(ring, max(round(per_px / 2), 1))
    corners = _corners(ring, tan, per_px, _corner_indices(tan, per_px))
    nodes = corners + _line_nodes(ring, per_px, corners, _lines(ring, tan, per_px, corners))
    for c in corners:
        c.p = _place_corner(c, ring[c.i])
    return tan, _add_extrema(ring, tan, per_px, sorted(nodes, key=lambda e: e.i))


def _type_cubics(ring: np.ndarray, tan: np.ndarray, nodes: list[_Node], per_px: float,
                 tolerance: float, strict: np.ndarray,
                 fitted: dict[tuple[int, int], list[np.ndarray]]) -> np.ndarray:
    """Closed outline (n, 4, 2) through `nodes`: lines (cubics with handles on their ends)
    where a line leaves a node, convex cubics elsewhere, each span fitted to `tolerance`
    times _FIX_FACTOR to the power of the highest `strict` level among its ring points.
    `fitted` keeps each (span, level) fit, so a refit redoes only the spans it tightens."""
    if not nodes:  # no extremum found on a closed ring: only a degenerate sliver does that
        return _fit_ring(ring, tolerance, max(round(per_px / 2), 1))
    n = len(ring)
    cubics: list[np.ndarray] = []
    for k, a in enumerate(nodes):
        b = nodes[(k + 1) % len(nodes)]
        if a.line_out:
            cubics.append(np.array([a.p, a.p, b.p, b.p]))
            continue
        level = int(strict[np.arange(a.i, a.i + _arc_gap(a.i, b.i, n) + 1) % n].max())
        if (k, level) not in fitted:
            fitted[k, level] = _fit_span(ring, tan, per_px, a, b,
                                         tolerance * _FIX_FACTOR**level)
        cubics += fitted[k, level]
    return np.stack(cubics)


def _misdrawn(cubics: list[np.ndarray], ink: np.ndarray) -> np.ndarray:
    """Centres (m, 2) of the pixels whose rasterised outline disagrees with `ink`, or none
    when the outline's IoU with `ink` already reaches _FIX_IOU."""
    drawn = rasterize([_as_path(c) for c in cubics], ink.shape) > 0.5
    wrong = drawn != ink
    if wrong.sum() <= (1 - _FIX_IOU) * (drawn | ink).sum():
        return np.zeros((0, 2))
    return np.argwhere(wrong)[:, ::-1] + 0.5


def _fit_type(rings: list[np.ndarray], ink: np.ndarray, tolerance: float, per_px: float
              ) -> list[np.ndarray]:
    """Type-like outlines of closed rings, fitted to `tolerance` where that draws the pixels of
    `ink` and tighter where it does not.

    A loose tolerance is what keeps curves few and smooth, but where the contour passes close
    to a pixel's half-coverage line, cutting it by a quarter pixel flips the pixel. So the
    outline is rasterised and, while its IoU with `ink` is under _FIX_IOU, the spans within
    _FIX_REACH of a pixel drawn wrong are refitted _FIX_FACTOR tighter, for up to _FIX_ROUNDS
    rounds: fidelity where the pixels need it, smoothness everywhere else. (Chasing every
    pixel would buy the last coin-flip edge pixels of a clean `o` with a dozen more nodes.)
    """
    shapes = [_type_nodes(r, per_px) for r in rings]
    strict = [np.zeros(len(r), dtype=np.int64) for r in rings]
    fitted: list[dict[tuple[int, int], list[np.ndarray]]] = [{} for _ in rings]
    cubics = [_type_cubics(r, t, nd, per_px, tolerance, s, f)
              for r, (t, nd), s, f in zip(rings, shapes, strict, fitted, strict=True)]
    for _ in range(_FIX_ROUNDS):
        bad = _misdrawn(cubics, ink)
        if not len(bad):
            break
        for k, ring in enumerate(rings):
            near = (np.sum((ring[:, None, :] - bad[None, :, :]) ** 2, axis=2)
                    <= _FIX_REACH**2).any(axis=1)
            if near.any():
                strict[k] = strict[k] + near
                tan, nodes = shapes[k]
                cubics[k] = _type_cubics(ring, tan, nodes, per_px, tolerance, strict[k],
                                         fitted[k])
    return cubics


def _as_path(cubics: np.ndarray) -> BezierPath:
    """Plain-float tuples, so paths compare, hash and serialise without numpy."""
    rows = cubics.tolist()
    segs = tuple((tuple(r[1]), tuple(r[2]), tuple(r[3])) for r in rows)
    return BezierPath(start=tuple(rows[0][0]), segments=segs)


FITS = ("type", "smooth")
_TOLERANCE = {"type": 0.4, "smooth": 0.08}  # px from the contour a fitted curve may stray


def trace(bitmap: np.ndarray, *, threshold: float = 0.5, upsample: int = 4, smooth: float = 1.0,
          tolerance: float | None = None, min_area: float = 2.0, refine: int = 0,
          fit: str = "type") -> list[BezierPath]:
    """Closed Bézier outlines of the ink (value > `threshold`) in a (H, W) bitmap.

    The bitmap (float, ink = 1) is upsampled bicubically and lightly blurred, its iso-line at
    `threshold` is traced, blurred along itself (`smooth` scales both blurs; 0 = none) and
    fitted to within `tolerance` px. `fit="type"` (the default) fits it as a type designer
    draws: corners kept sharp, straight stretches as lines, on-curve points at extrema and few
    convex curves between them (see `_fit_type`); `fit="smooth"` is the earlier fit, tangent-
    continuous cubics everywhere, split wherever the tolerance is exceeded. Contours enclosing
    less than `min_area` px² (specks, pin-hole counters) are dropped; holes are kept, wound
    opposite to outer contours. `refine` rounds (2 is plenty) make the outline re-rasterise to
    the same pixels as `bitmap > threshold` even where edge pixels sit near it, at some cost in
    smoothness; see `_refine`.
    """
    if fit not in FITS:
        raise ValueError(f"unknown fit {fit!r}; choose from {FITS}")
    bitmap = np.asarray(bitmap)
    if bitmap.ndim != 2:
        raise ValueError(f"trace expects a 2-D bitmap, got shape {bitmap.shape}")
    if bitmap.size == 0 or not np.any(bitmap > threshold):
        return []
    tol = _TOLERANCE[fit] if tolerance is None else tolerance
    upsample = max(int(upsample), 1)
    field = _field(bitmap, upsample, smooth, threshold, refine)
    reach = max(upsample // 2, 1)  # half an original pixel of contour for each tangent
    rings = []
    for rc in find_contours(field, threshold, positive_orientation="high"):
        ring = _to_bitmap_xy(rc[-2::-1], upsample)  # drop the repeated end; outer -> clockwise
        if len(ring) >= 3 and abs(_signed_area(ring)) >= min_area:
            rings.append(_smooth_ring(ring, 1 / upsample, _CURVE_SIGMA * smooth))
    if fit == "smooth":
        return [_as_path(_fit_ring(ring, tol, reach)) for ring in rings]
    ink = np.nan_to_num(bitmap.astype(np.float64)) > threshold
    return [_as_path(c) for c in _fit_type(rings, ink, tol, upsample)]


def round_trip(bitmap: np.ndarray, **trace_options: Any) -> np.ndarray:
    """The bitmap as the vector output draws it: traced, then rasterised back at its own size."""
    bitmap = np.asarray(bitmap)
    return rasterize(trace(bitmap, **trace_options), bitmap.shape)


# --- SVG output ----------------------------------------------------------------------------


def path_data(paths: list[BezierPath], *, scale: float = 1.0, offset: tuple[float, float] = (0, 0),
              precision: int = 2) -> str:
    """SVG path 'd' string, one 'M x y ... Z' per contour (lines as L, cubics as C),
    coordinates * scale + offset.

    Absolute coordinates, so any contour can be cut out or reordered without re-basing.
    """
    pen = SvgPathPen(precision)
    draw(paths, pen, scale, offset)
    return pen.d


# --- rendering -----------------------------------------------------------------------------


def _flatten(path: BezierPath, scale: float) -> np.ndarray:
    """Polyline (n, 2) along the contour at `scale`, closed implicitly (see PolygonPen)."""
    pen = PolygonPen()
    draw([path], pen, scale)
    return pen.polygons[0]


def _rook_offsets(ss: int) -> np.ndarray:
    """x offsets (fractions of a pixel) of the ss² samples, one per sample row, all distinct.

    An "n-rooks" pattern: sample m sits at y = (m + .5) / ss², x = (sigma(m) + .5) / ss² with
    sigma a sheared grid. A vertical or horizontal edge then gets ss² + 1 coverage levels instead
    of the ss + 1 of a plain grid, and the pattern is symmetric under a half turn.
    """
    m = np.arange(ss * ss)
    return ((m % ss) * ss + m // ss + 0.5) / (ss * ss)


def _crossings(polys: list[np.ndarray], lines: int, n: int) -> tuple[np.ndarray, np.ndarray]:
    """(scanline, x) of every polygon edge crossing scanline k, which lies at y = (k + .5) / n.

    Edges are half-open in y, so a vertex shared by two edges is counted once.
    """
    e = np.vstack([np.hstack([p, np.roll(p, -1, axis=0)]) for p in polys])
    lo, hi = np.minimum(e[:, 1], e[:, 3]) * n, np.maximum(e[:, 1], e[:, 3]) * n
    first = np.clip(np.ceil(lo - 0.5), 0, lines).astype(np.int64)
    counts = np.clip(np.ceil(hi - 0.5), 0, lines).astype(np.int64) - first
    keep = counts > 0
    e, first, counts = e[keep], first[keep], counts[keep]
    idx = np.repeat(np.arange(len(e)), counts)
    line = np.repeat(first, counts) + np.arange(counts.sum()) - np.repeat(
        np.cumsum(counts) - counts, counts)
    x0, y0, x1, y1 = e[idx].T
    x = x0 + ((line + 0.5) / n - y0) * (x1 - x0) / (y1 - y0)
    return line, x


def _evenodd_coverage(polys: list[np.ndarray], height: int, width: int, ss: int
                      ) -> np.ndarray:
    """Even-odd fill sampled exactly at the n-rooks points of each pixel, averaged.

    Each scanline is one sample row: an edge crossing it toggles every sample to its right, and
    the running parity of toggles is the fill. Crossings of all contours are pooled, so holes
    come out right whatever their winding, and no polygon-fill rounding enters.
    """
    n = ss * ss
    line, x = _crossings(polys, height * n, n)
    cols = np.clip(np.ceil(x - _rook_offsets(ss)[line % n]), 0, width).astype(np.int64)
    order = np.argsort(line, kind="stable")
    line, cols = line[order], cols[order]
    out = np.zeros((height, width), dtype=np.float32)
    band = max(_BAND_SAMPLES // (n * (width + 1)), 1)  # pixel rows per band: bounded memory
    for r0 in range(0, height, band):
        r1 = min(r0 + band, height)
        a, b = np.searchsorted(line, [r0 * n, r1 * n])
        toggles = np.zeros(((r1 - r0) * n, width + 1), dtype=np.int32)
        np.add.at(toggles, (line[a:b] - r0 * n, cols[a:b]), 1)
        inside = (np.cumsum(toggles, axis=1)[:, :width] & 1).astype(np.float32)
        out[r0:r1] = inside.reshape(r1 - r0, n, width).mean(axis=1)
    return out


def rasterize(paths: list[BezierPath], shape: tuple[int, int], *, scale: float = 1.0,
              offset: tuple[float, float] = (0, 0), supersample: int = 4) -> np.ndarray:
    """Filled shapes (even-odd rule) as float32 coverage in [0, 1] of `shape`, anti-aliased.

    The outline is drawn through a PolygonPen (cubics flattened finely, see `pens`) at
    p * scale + offset, then filled by `fill`.
    """
    pen = PolygonPen()
    draw(paths, pen, scale, offset)
    return fill(pen.polygons, shape, supersample=supersample)


def fill(polygons: list[np.ndarray], shape: tuple[int, int], *, supersample: int = 4
         ) -> np.ndarray:
    """Closed polygons filled by the even-odd rule: float32 coverage in [0, 1] of `shape`.

    Each pixel is sampled at supersample² points (see `_rook_offsets`) and the samples are
    averaged. Scanline parity is used rather than PIL's polygon fill, whose inclusive edges
    grow every contour by half a sample.
    """
    height, width = int(shape[0]), int(shape[1])
    if not polygons or height <= 0 or width <= 0:
        return np.zeros((max(height, 0), max(width, 0)), dtype=np.float32)
    return _evenodd_coverage(polygons, height, width, max(int(supersample), 1))


# --- symmetry ------------------------------------------------------------------------------


def _map(paths: list[BezierPath], fn: Callable[[Point], Point], reverse: bool
         ) -> list[BezierPath]:
    """Apply a point map to every path; reverse point order when the map flips orientation."""
    out = []
    for path in paths:
        start = fn(path.start)
        segs = [(fn(c1), fn(c2), fn(end)) for c1, c2, end in path.segments]
        if reverse:
            starts = [start] + [s[2] for s in segs[:-1]]
            start = segs[-1][2]
            segs = [(c2, c1, p0) for (c1, c2, _), p0 in zip(segs, starts, strict=True)][::-1]
        out.append(BezierPath(start=start, segments=tuple(segs)))
    return out


def scaled(paths: list[BezierPath], factor: float) -> list[BezierPath]:
    """The shapes scaled about the origin: outlines traced at `1 / factor` x size back to it."""
    return _map(paths, lambda p: (p[0] * factor, p[1] * factor), reverse=False)


def rotate180(paths: list[BezierPath], width: float, height: float) -> list[BezierPath]:
    """Turn the shapes half a turn inside a width x height box: how an ambigram is read."""
    return _map(paths, lambda p: (width - p[0], height - p[1]), reverse=False)


def mirror(paths: list[BezierPath], width: float) -> list[BezierPath]:
    """Reflect left-right inside a box `width` wide, keeping outer contours clockwise."""
    return _map(paths, lambda p: (width - p[0], p[1]), reverse=True)


def flip(paths: list[BezierPath], height: float) -> list[BezierPath]:
    """Reflect top-bottom inside a box `height` tall, keeping outer contours clockwise."""
    return _map(paths, lambda p: (p[0], height - p[1]), reverse=True)

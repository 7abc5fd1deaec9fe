"""Glyph bitmaps to smooth vector outlines, and back.

A model's glyph is a small soft bitmap (32 or 64 px); printed or zoomed, its pixels would show.
`trace` turns it into closed cubic Bézier contours that follow the bitmap's iso-line at the ink
threshold without a pixel staircase, `path_data` writes them as an SVG path, and `rasterize`
renders them back to pixels (for PNG output, and so tests can measure fidelity).

Coordinates are the original bitmap's pixel coordinates: x right, y down, pixel (r, c) covering
[c, c+1] x [r, r+1], so its centre is (c + 0.5, r + 0.5). Outer contours run clockwise on screen
(positive shoelace area with y down) and holes anticlockwise, so `nonzero` and `evenodd` fill
agree; `mirror` and `flip` reverse point order to keep it that way.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from scipy.ndimage import gaussian_filter1d
from skimage.filters import gaussian
from skimage.measure import find_contours
from skimage.transform import rescale

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
    """One closed contour: `start`, then cubic segments (c1, c2, end); the last ends at start."""

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

    Every joint between fitted cubics takes its tangent from here, on both sides, so the outline
    is tangent-continuous everywhere: no kink, hence no visible corner, at any zoom.
    """
    d = np.roll(ring, -reach, axis=0) - np.roll(ring, reach, axis=0)
    return d / np.maximum(np.linalg.norm(d, axis=1, keepdims=True), 1e-12)


def _bernstein(u: np.ndarray) -> np.ndarray:
    """Cubic Bernstein basis (n, 4) at parameters u."""
    v = 1.0 - u
    return np.stack([v**3, 3 * u * v**2, 3 * u**2 * v, u**3], axis=1)


def _chord_params(pts: np.ndarray) -> np.ndarray:
    """Parameters in [0, 1] proportional to arc length along the points."""
    s = np.concatenate([[0.0], np.cumsum(np.linalg.norm(np.diff(pts, axis=0), axis=1))])
    return s / s[-1] if s[-1] > 0 else np.linspace(0.0, 1.0, len(pts))


def _least_squares(pts: np.ndarray, u: np.ndarray, t0: np.ndarray, t1: np.ndarray
                   ) -> np.ndarray:
    """Cubic (4, 2) from pts[0] to pts[-1], leaving along t0 and arriving along t1.

    Only the two handle lengths are free, solved by least squares; degenerate or backward
    handles (which would loop or cusp) fall back to a third of the chord.
    """
    p0, p3 = pts[0], pts[-1]
    b = _bernstein(u)
    a0, a1 = b[:, 1:2] * t0, -b[:, 2:3] * t1
    rest = pts - np.outer(b[:, 0] + b[:, 1], p0) - np.outer(b[:, 2] + b[:, 3], p3)
    c00, c01, c11 = np.sum(a0 * a0), np.sum(a0 * a1), np.sum(a1 * a1)
    x0, x1 = np.sum(a0 * rest), np.sum(a1 * rest)
    chord = float(np.linalg.norm(p3 - p0))
    det = c00 * c11 - c01 * c01
    h0 = h1 = chord / 3
    if abs(det) > 1e-12:
        s0, s1 = (x0 * c11 - x1 * c01) / det, (c00 * x1 - c01 * x0) / det
        if 1e-3 * chord < min(s0, s1) and max(s0, s1) < 2 * chord:
            h0, h1 = s0, s1
    return np.array([p0, p0 + h0 * t0, p3 - h1 * t1, p3])


def _newton(pts: np.ndarray, u: np.ndarray, bez: np.ndarray) -> np.ndarray:
    """One Newton step per point towards the parameter of its nearest point on the cubic."""
    d1 = 3 * np.diff(bez, axis=0)
    d2 = 2 * np.diff(d1, axis=0)
    v = 1.0 - u
    q = _bernstein(u) @ bez - pts
    dq = np.outer(v * v, d1[0]) + np.outer(2 * u * v, d1[1]) + np.outer(u * u, d1[2])
    ddq = np.outer(v, d2[0]) + np.outer(u, d2[1])
    num = np.sum(q * dq, axis=1)
    den = np.sum(dq * dq, axis=1) + np.sum(q * ddq, axis=1)
    step = np.divide(num, den, out=np.zeros_like(num), where=np.abs(den) > 1e-12)
    return np.clip(u - step, 0.0, 1.0)


def _fit_run(pts: np.ndarray, tan: np.ndarray, tolerance: float) -> list[np.ndarray]:
    """Cubics through an open run of contour points within `tolerance`, split at the worst.

    `tan` holds the ring tangents of the same points; splits reuse them, so joints are smooth.
    """
    if len(pts) < 4:
        h = float(np.linalg.norm(pts[-1] - pts[0])) / 3
        return [np.array([pts[0], pts[0] + h * tan[0], pts[-1] - h * tan[-1], pts[-1]])]
    u = _chord_params(pts)
    for _ in range(4):
        bez = _least_squares(pts, u, tan[0], tan[-1])
        err = np.linalg.norm(_bernstein(u) @ bez - pts, axis=1)
        worst = int(np.argmax(err[1:-1])) + 1
        if err[worst] <= tolerance:
            return [bez]
        if err[worst] > 4 * tolerance:  # too far off for reparameterising to rescue
            break
        u = _newton(pts, u, bez)
    return (_fit_run(pts[: worst + 1], tan[: worst + 1], tolerance)
            + _fit_run(pts[worst:], tan[worst:], tolerance))


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


def _as_path(cubics: np.ndarray) -> BezierPath:
    """Plain-float tuples, so paths compare, hash and serialise without numpy."""
    rows = cubics.tolist()
    segs = tuple((tuple(r[1]), tuple(r[2]), tuple(r[3])) for r in rows)
    return BezierPath(start=tuple(rows[0][0]), segments=segs)


def trace(bitmap: np.ndarray, *, threshold: float = 0.5, upsample: int = 4, smooth: float = 1.0,
          tolerance: float = 0.08, min_area: float = 2.0, refine: int = 0) -> list[BezierPath]:
    """Closed, smooth Bézier outlines of the ink (value > `threshold`) in a (H, W) bitmap.

    The bitmap (float, ink = 1) is upsampled bicubically and lightly blurred, its iso-line at
    `threshold` is traced, blurred along itself (`smooth` scales both blurs; 0 = none) and
    fitted with tangent-continuous cubics to within `tolerance` px. Contours enclosing less
    than `min_area` px² (specks, pin-hole counters) are dropped; holes are kept, wound opposite
    to outer contours. `refine` rounds (2 is plenty) make the outline re-rasterise to the same
    pixels as `bitmap > threshold` even where edge pixels sit near it, at some cost in
    smoothness; see `_refine`.
    """
    bitmap = np.asarray(bitmap)
    if bitmap.ndim != 2:
        raise ValueError(f"trace expects a 2-D bitmap, got shape {bitmap.shape}")
    if bitmap.size == 0 or not np.any(bitmap > threshold):
        return []
    upsample = max(int(upsample), 1)
    field = _field(bitmap, upsample, smooth, threshold, refine)
    reach = max(upsample // 2, 1)  # half an original pixel of contour for each tangent
    paths = []
    for rc in find_contours(field, threshold, positive_orientation="high"):
        ring = _to_bitmap_xy(rc[-2::-1], upsample)  # drop the repeated end; outer -> clockwise
        if len(ring) < 3 or abs(_signed_area(ring)) < min_area:
            continue
        ring = _smooth_ring(ring, 1 / upsample, _CURVE_SIGMA * smooth)
        paths.append(_as_path(_fit_ring(ring, tolerance, reach)))
    return paths


def round_trip(bitmap: np.ndarray, **trace_options: float) -> np.ndarray:
    """The bitmap as the vector output draws it: traced, then rasterised back at its own size."""
    bitmap = np.asarray(bitmap)
    return rasterize(trace(bitmap, **trace_options), bitmap.shape)


# --- SVG output ----------------------------------------------------------------------------


def _num(v: float, precision: int) -> str:
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


def path_data(paths: list[BezierPath], *, scale: float = 1.0, offset: tuple[float, float] = (0, 0),
              precision: int = 2) -> str:
    """SVG path 'd' string, one 'M x y C ... Z' per contour, coordinates * scale + offset.

    Absolute coordinates, so any contour can be cut out or reordered without re-basing.
    """
    ox, oy = offset

    def pt(p: Point) -> str:
        return f"{_num(p[0] * scale + ox, precision)} {_num(p[1] * scale + oy, precision)}"

    parts = []
    for path in paths:
        curves = " ".join(" ".join(pt(p) for p in seg) for seg in path.segments)
        parts.append(f"M{pt(path.start)}C{curves}Z")
    return "".join(parts)


# --- rendering -----------------------------------------------------------------------------


def _flatten(path: BezierPath, scale: float) -> np.ndarray:
    """Polyline (n, 2) along the contour at `scale`, closed implicitly.

    Each cubic gets chords short enough that, drawn at `scale`, they stray from the curve by
    about a hundredth of a pixel at most (sagitta ~ L^2 / 8R), so zoomed output shows no facets.
    """
    starts = [path.start] + [seg[2] for seg in path.segments[:-1]]
    ctrl = np.array([[p0, *seg] for p0, seg in zip(starts, path.segments, strict=True)],
                    dtype=np.float64) * scale
    hull = np.linalg.norm(np.diff(ctrl, axis=1), axis=2).sum(axis=1).max()
    steps = int(np.clip(np.ceil(3 * np.sqrt(hull)), 4, 256))
    t = np.linspace(0.0, 1.0, steps, endpoint=False)
    return np.einsum("tk,skd->std", _bernstein(t), ctrl).reshape(-1, 2)


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

    Each pixel is sampled at supersample² points (see `_rook_offsets`) after the Béziers are
    flattened finely, and the samples are averaged. Scanline parity is used rather than PIL's
    polygon fill, whose inclusive edges grow every contour by half a sample.
    """
    height, width = int(shape[0]), int(shape[1])
    if not paths or height <= 0 or width <= 0:
        return np.zeros((max(height, 0), max(width, 0)), dtype=np.float32)
    shift = np.asarray(offset, dtype=np.float64)
    polys = [_flatten(p, scale) + shift for p in paths]
    return _evenodd_coverage(polys, height, width, max(int(supersample), 1))


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


def rotate180(paths: list[BezierPath], width: float, height: float) -> list[BezierPath]:
    """Turn the shapes half a turn inside a width x height box: how an ambigram is read."""
    return _map(paths, lambda p: (width - p[0], height - p[1]), reverse=False)


def mirror(paths: list[BezierPath], width: float) -> list[BezierPath]:
    """Reflect left-right inside a box `width` wide, keeping outer contours clockwise."""
    return _map(paths, lambda p: (width - p[0], p[1]), reverse=True)


def flip(paths: list[BezierPath], height: float) -> list[BezierPath]:
    """Reflect top-bottom inside a box `height` tall, keeping outer contours clockwise."""
    return _map(paths, lambda p: (p[0], height - p[1]), reverse=True)

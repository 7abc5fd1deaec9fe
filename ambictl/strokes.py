"""Glyphs as a few smooth pen strokes: a soft stroke rasteriser in plain torch, the refinement
that moves strokes to read both ways, and the outline `make` writes of them.

Why strokes: the generator's bitmaps carry bumps, swelling stems and ink islands that no
outline fit removes (their wobble is 1.75x real type's). A glyph drawn as a handful of
round-capped pen strokes along smooth curves is clean by construction; what it must still do
is read as both letters, so the strokes are moved by gradient descent against the readers on
both views (`refine`), starting from the generator's chosen glyph (its skeleton,
ambictl.skeleton), with regularisers that keep each stroke's shape near its start.

A stroke is P control points (x, y) in the cell's pixel frame (pixel (r, c) has its centre at
(c + 0.5, r + 0.5)); the curve through them is a Catmull-Rom spline, sampled densely into a
polyline (`curve`). A closed stroke (the bowl of an o) repeats its first point as its last and
wraps around. A stroke whose points all coincide is a dot. The pen (`Nib`) is a disc, or for a
font with contrast an ellipse at the font's nib angle (fitted by `fit_nib`): the ink of a
stroke is every point within the nib's reach of the curve, computed as a distance in the frame
where the ellipse is the unit disc (the Minkowski sum of the curve and the nib, exactly).

Rendering is soft (a sigmoid edge `edge` px wide, strokes united as 1 - prod(1 - ink)) so
gradients reach the points; the outline is traced from the same rendering at 4x with a sharp
edge, so the SVG draws what the readers read.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np
import torch
import torch.nn.functional as F

from . import cells, vectorize
from .rankers import folded, letter_probability

JOINT_REACH = 1.0  # px: a stroke end this near another stroke at the start meets it ...
JOINT_SAMPLES = 4  # curve vertices per span where stroke ends are held to the strokes they meet
SPACING = 0.75  # px between the curve's vertices for the readers (hundredths of a pixel off)
OUTLINE_SPACING = 0.2  # ... and for the outline (thousandths)
OUTLINE_SCALE = 4  # the outline is traced from a rendering at 4x the cell (128 px for 32)
_CHUNK = 4096  # pixels per distance pass: bounds memory for long words


@dataclass(frozen=True)
class Nib:
    """The pen: `width` px across (the disc's diameter, or the ellipse's major axis), `contrast`
    the minor axis over the major (1 = a round monoline pen), `angle` of the major axis in
    radians from the x axis (y down)."""

    width: float
    contrast: float = 1.0
    angle: float = 0.0

    def scaled(self, factor: float) -> Nib:
        return replace(self, width=self.width * factor)

    @property
    def stroke(self) -> float:
        """The mean width of the strokes it draws, over every direction."""
        t = np.linspace(0, math.pi, 90, endpoint=False)
        return float(np.mean(self.width * np.hypot(np.cos(t), self.contrast * np.sin(t))))

    def for_stroke(self, width: float) -> Nib:
        """This nib scaled so that its mean stroke is `width` px (a word's pen)."""
        return self.scaled(width / self.stroke)

    def inverse(self) -> torch.Tensor:
        """(2, 2) map taking the nib ellipse to the unit disc."""
        c, s = math.cos(self.angle), math.sin(self.angle)
        rot = torch.tensor([[c, s], [-s, c]])  # into the nib's axes
        half = 0.5 * self.width
        return torch.diag(torch.tensor([1 / half, 1 / (half * self.contrast)])) @ rot


@dataclass
class Strokes:
    """Strokes of a batch of cells, padded to N strokes of P points each."""

    points: torch.Tensor  # (B, N, P, 2) float, cell px
    closed: torch.Tensor  # (B, N) bool: the last point is the first again
    on: torch.Tensor  # (B, N) bool: padding and strokes switched off are False

    @classmethod
    def from_paths(cls, paths: list[list[np.ndarray]], points: int) -> Strokes:
        """Per cell, its strokes as (P, 2) arrays (ambictl.skeleton.glyph_strokes); a cell with
        none gets one blank (off) stroke."""
        n = max(1, max(len(p) for p in paths))
        pts = torch.zeros(len(paths), n, points, 2)
        closed = torch.zeros(len(paths), n, dtype=torch.bool)
        on = torch.zeros(len(paths), n, dtype=torch.bool)
        for i, cell in enumerate(paths):
            for j, p in enumerate(cell):
                pts[i, j] = torch.as_tensor(np.asarray(p, np.float32))
                closed[i, j] = bool(np.allclose(p[0], p[-1], atol=1e-3)) and \
                    float(np.abs(np.diff(p, axis=0)).sum()) > 1e-3
                on[i, j] = True
        return cls(pts, closed, on)


def _neighbours(p: int, closed: torch.Tensor) -> tuple[torch.Tensor, ...]:
    """Index of the control points before, at, after and two after each span's start, (B, N,
    P - 1) each: clamped at an open stroke's ends, wrapped around a closed one (whose last
    point repeats the first, so it has P - 1 distinct points)."""
    j = torch.arange(p - 1)
    open_ = [(j + k).clamp(0, p - 1) for k in (-1, 0, 1, 2)]
    ring = [(j + k) % (p - 1) for k in (-1, 0, 1, 2)]
    c = closed[..., None]
    return tuple(torch.where(c, r, o) for r, o in zip(ring, open_, strict=True))


def curve(points: torch.Tensor, closed: torch.Tensor, samples: int) -> torch.Tensor:
    """The Catmull-Rom curve through each stroke's control points (B, N, P, 2), sampled into
    (B, N, (P - 1) x samples + 1, 2) polyline vertices: smooth, through every control point,
    and local (moving one point bends only the spans next to it)."""
    b, n, p, _ = points.shape
    if p == 1:
        return points
    idx = _neighbours(p, closed)

    def at(i: torch.Tensor) -> torch.Tensor:
        return torch.gather(points, 2, i[..., None].expand(b, n, p - 1, 2))

    p0, p1, p2, p3 = (at(i) for i in idx)
    t = torch.arange(samples, dtype=points.dtype) / samples
    t = t.view(1, 1, 1, -1, 1)
    t2, t3 = t * t, t * t * t
    p0, p1, p2, p3 = (q[..., None, :] for q in (p0, p1, p2, p3))
    out = 0.5 * (2 * p1 + (p2 - p0) * t + (2 * p0 - 5 * p1 + 4 * p2 - p3) * t2
                 + (3 * p1 - p0 - 3 * p2 + p3) * t3)
    out = out.reshape(b, n, (p - 1) * samples, 2)
    last = torch.where(closed[..., None], points[:, :, 0], points[:, :, -1])
    return torch.cat([out, last[:, :, None]], 2)


def _distance(pixels: torch.Tensor, vertices: torch.Tensor) -> torch.Tensor:
    """Distance from each pixel (Q, 2) to the nearest vertex of each stroke's dense polyline
    (B, N, M, 2): (B, N, Q). Vertices at most a pixel apart stand in for the segments between
    them: the union of discs along a curve departs from the exact tube by spacing^2 / (8 x
    radius), hundredths of a pixel, and a distance to points is one matrix product (4x faster
    than projecting onto segments, forward and backward)."""
    b, n, m, _ = vertices.shape
    v = vertices.reshape(b * n, m, 2)
    d2 = ((pixels * pixels).sum(-1)[None, :, None] + (v * v).sum(-1)[:, None, :]
          - 2 * torch.matmul(pixels[None], v.transpose(1, 2)))
    return d2.min(-1).values.clamp_min(1e-8).sqrt().view(b, n, len(pixels))


def render(strokes: Strokes, nib: Nib, shape: tuple[int, int], *, scale: float = 1.0,
           edge: float = 0.5, on: torch.Tensor | None = None,
           weight: torch.Tensor | None = None, spacing: float = SPACING) -> torch.Tensor:
    """Ink (B, 1, H x scale, W x scale) in [0, 1] of strokes drawn with `nib` on cells of
    `shape` (H, W) px; `scale` renders more pixels per cell px. `edge`: the soft edge's width
    in cell px (the ink is a sigmoid of how far inside the nib's reach a pixel lies). `on`
    (B, N) float in [0, 1] overrides strokes.on (the refinement's straight-through switches);
    `weight` (B,) scales the nib per cell (the refinement's weight jitter); `spacing`: the
    most px between the curve's vertices (`_distance`; less for a large rendering)."""
    h, w = (round(shape[0] * scale), round(shape[1] * scale))
    ys, xs = torch.meshgrid((torch.arange(h) + 0.5) / scale, (torch.arange(w) + 0.5) / scale,
                            indexing="ij")
    inverse = nib.inverse().to(strokes.points.dtype)
    with torch.no_grad():  # vertices enough for the longest span (a curve is longer)
        span = float(strokes.points.diff(dim=2).norm(dim=-1).max()) if \
            strokes.points.shape[2] > 1 else 0.0
    samples = max(2, math.ceil(1.2 * span / spacing))
    poly = curve(strokes.points, strokes.closed, samples) @ inverse.T  # the nib: unit disc
    pixels = torch.stack([xs, ys], -1).reshape(-1, 2).to(poly.dtype) @ inverse.T
    mask = (strokes.on.to(poly.dtype) if on is None else on)[:, :, None]
    reach = torch.ones(len(poly), 1, 1) if weight is None else weight.view(-1, 1, 1)
    sharp = 0.5 * nib.width / (edge / 4)  # nib units -> px, over the edge's scale
    parts = []
    for i in range(0, len(pixels), _CHUNK):
        d = _distance(pixels[i:i + _CHUNK], poly)
        parts.append(1 - torch.prod(1 - mask * torch.sigmoid((reach - d) * sharp), dim=1))
    return torch.cat(parts, -1).view(len(poly), 1, h, w)


# ----------------------------------------------------------------------------- the pen


def _direction_widths(glyph: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Along a glyph's skeleton: each skeleton pixel's stroke direction (radians, mod pi) and
    the stroke's width there (2 x the distance to the paper)."""
    from scipy.ndimage import distance_transform_edt
    from skimage.morphology import skeletonize

    ink = glyph > 0.5
    skel = skeletonize(ink)
    dt = distance_transform_edt(ink)
    rs, cs = np.nonzero(skel)
    angles, widths = [], []
    for r, c in zip(rs, cs, strict=True):
        near = (np.abs(rs - r) <= 2) & (np.abs(cs - c) <= 2)
        if near.sum() < 4:
            continue
        pts = np.stack([cs[near] - c, rs[near] - r], 1).astype(float)
        vals, vecs = np.linalg.eigh(pts.T @ pts)
        if vals[1] < 3 * max(vals[0], 1e-6):  # a junction or a blob: no clear direction
            continue
        angles.append(math.atan2(vecs[1, 1], vecs[0, 1]) % math.pi)
        widths.append(2 * dt[r, c] - 0.5)  # dt runs to the first paper pixel's centre,
        # beyond the edge: measured on pens drawn here, half a pixel too wide in all
    return np.array(angles), np.array(widths)


def fit_nib(glyphs: np.ndarray) -> Nib:
    """The broad-nib pen of a font, from its glyphs (n, S, S) at 64 px or so, in their px: the
    stroke width of a stroke running in direction theta is twice the ellipse's reach across it,
    so w(theta)^2 / 4 = a^2 sin^2(theta - phi) + b^2 cos^2(theta - phi) for a nib of half axes
    a (across phi) and b; phi on a 5 degree grid, (a^2, b^2) by least squares. A monoline font
    fits a contrast near 1; too few directions measured give a round pen."""
    angles, widths = (np.concatenate(v) if v else np.zeros(0) for v in
                      zip(*[_direction_widths(g) for g in glyphs], strict=True))
    if len(widths) < 20:
        return Nib(float(np.median(widths)) if len(widths) else 2.0)
    w2 = widths ** 2 / 4
    best = (np.inf, 0.0, 1.0, 1.0)
    for phi in np.radians(np.arange(0, 180, 5)):
        design = np.stack([np.sin(angles - phi) ** 2, np.cos(angles - phi) ** 2], 1)
        coef = np.clip(np.linalg.lstsq(design, w2, rcond=None)[0], 1e-3, None)
        err = float(np.abs(design @ coef - w2).sum())  # L1: junction blobs are outliers
        if err < best[0]:
            best = (err, float(phi), float(coef[0]), float(coef[1]))
    _, phi, a2, b2 = best
    major, minor = math.sqrt(max(a2, b2)), math.sqrt(min(a2, b2))
    angle = phi if a2 >= b2 else phi + math.pi / 2  # a is the half axis along phi
    return Nib(width=2 * major, contrast=minor / major, angle=angle % math.pi)


# ----------------------------------------------------------------------------- refinement


@dataclass(frozen=True)
class RefineConfig:
    """How strokes are moved to read both ways (`refine`)."""

    steps: int = 40
    readers: tuple[int, ...] | None = None  # which of the readers steer (None: all)
    lr: float = 0.1  # px: Adam moves a point about this far a step
    switch_lr: float = 0.2  # the on/off logits' rate
    renderings: int = 3  # random small renderings read each step (besides the plain one)
    shift: float = 0.5  # px: their random offset ...
    weight: float = 0.12  # ... and relative change of pen width
    edge: float = 0.6  # px: the soft edge the readers see (an anti-aliased outline's)
    shape: float = 0.3  # keep second differences of the control points near the start's
    length: float = 0.3  # keep span lengths near the start's
    anchor: float = 0.0  # keep the points near their start
    joint: float = 2.0  # keep a stroke's end on the stroke it met at the start (px^-2)
    frame: float = 1.0  # keep the ink inside the cell
    ink: float = 2.0  # keep the ink above INK_FLOOR of the start's
    ink_floor: float = 0.7
    done: float = 0.9  # a cell whose readings are all this sure, in every rendering, stops


def _joints(strokes: Strokes, reach: float) -> tuple[torch.Tensor, torch.Tensor]:
    """Where the strokes meet at the start: for each end of each stroke (B, N, 2) the flat index
    (stroke x JOINT_SAMPLES vertex) of the nearest vertex of another live stroke's curve, and
    whether it lies within `reach` px (a stem that ends on a bowl, two halves of a loop)."""
    b, n, p, _ = strokes.points.shape
    dense = curve(strokes.points, strokes.closed, JOINT_SAMPLES).flatten(1, 2)  # (B, N x M, 2)
    m = dense.shape[1] // n
    ends = strokes.points[:, :, [0, -1]].reshape(b, n * 2, 2)
    dist = torch.cdist(ends, dense).view(b, n, 2, n, m)
    other = ~torch.eye(n, dtype=torch.bool)[None, :, None, :, None] & \
        strokes.on[:, None, None, :, None]
    dist = dist.masked_fill(~other, float("inf")).flatten(-2)
    near, index = dist.min(-1)
    return index, (near < reach) & strokes.on[..., None]


def _joint_gap(points: torch.Tensor, closed: torch.Tensor, index: torch.Tensor,
               joined: torch.Tensor) -> torch.Tensor:
    """(B,) mean squared distance of the joined stroke ends (`_joints`) from the curve points
    they met at the start."""
    b, n = points.shape[:2]
    dense = curve(points, closed, JOINT_SAMPLES).flatten(1, 2)
    met = torch.gather(dense, 1, index.view(b, -1, 1).expand(-1, -1, 2)).view(b, n, 2, 2)
    gap = ((points[:, :, [0, -1]] - met) ** 2).sum(-1) * joined
    return gap.sum((1, 2)) / joined.sum((1, 2)).clamp_min(1)


def _probabilities(readers: list[torch.nn.Module], fold: torch.Tensor, x: torch.Tensor,
                   a: torch.Tensor, b: torch.Tensor, symmetry: str) -> torch.Tensor:
    """(2, R): P(a | x) and P(b | x turned), among every character and case-insensitively
    (as make ranks, ambigram.RANKINGS["delivered"])."""
    return cells.reading_probability(lambda v, y: letter_probability(readers, fold, v, y),
                                     x, a, b, symmetry)


class _Adam:
    """Adam (Kingma & Ba) on a few tensors, each at its own rate. Written out because
    importing torch.optim pulls in torch._dynamo: 3 s of a cold `make` for ten lines."""

    def __init__(self, params: list[tuple[torch.Tensor, float]], betas: tuple[float, float]
                 = (0.9, 0.999), eps: float = 1e-8) -> None:
        self.params, self.betas, self.eps, self.t = params, betas, eps, 0
        self.m = [torch.zeros_like(p) for p, _ in params]
        self.v = [torch.zeros_like(p) for p, _ in params]

    @torch.no_grad()
    def step(self, grads: tuple[torch.Tensor, ...], rows: torch.Tensor) -> None:
        """One step of the parameters' `rows` (the first axis); the other rows stay put."""
        self.t += 1
        b1, b2 = self.betas
        for (p, lr), m, v, g in zip(self.params, self.m, self.v, grads, strict=True):
            g = g[rows]
            m[rows] = m[rows] * b1 + (1 - b1) * g
            v[rows] = v[rows] * b2 + (1 - b2) * g * g
            step = lr * math.sqrt(1 - b2 ** self.t) / (1 - b1 ** self.t)
            p[rows] -= step * m[rows] / (v[rows].sqrt() + self.eps)


def refine(strokes: Strokes, nib: Nib, shape: tuple[int, int], a: torch.Tensor,
           b: torch.Tensor, symmetry: str, readers: list[torch.nn.Module], chars: str,
           cfg: RefineConfig = RefineConfig(), seed: int = 0) -> Strokes:
    """Strokes of cells (a, b) (ambictl.cells' indices) moved to read as a as they are and
    as b after `symmetry`: Adam on the control points and on each stroke's on/off switch
    (straight-through: the readers see it fully on or off, the gradient passes as if soft),
    minimising -log P of both readings averaged over small random renderings (offset, pen
    weight) so that a stroke that reads in one exact rendering only does not win, plus the
    shape-keeping terms of `cfg`. Padding strokes stay off. Deterministic for `seed`."""
    fold = folded(chars)
    readers = readers if cfg.readers is None else [readers[i] for i in cfg.readers]
    gen = torch.Generator().manual_seed(seed)
    start = strokes.points.detach()
    points = start.clone().requires_grad_(True)
    logit = torch.where(strokes.on, 2.0, -1e4).requires_grad_(True)
    index, joined = _joints(strokes, JOINT_REACH)
    d2_0 = start.diff(n=2, dim=2)
    len_0 = start.diff(dim=2).norm(dim=-1)
    margin = 0.5 * nib.width
    hi = torch.tensor([shape[1], shape[0]], dtype=start.dtype) - margin
    with torch.no_grad():
        ink_0 = render(strokes, nib, shape, edge=cfg.edge).sum((1, 2, 3))
    opt = _Adam([(points, cfg.lr), (logit, cfg.switch_lr)])
    k = 1 + cfg.renderings
    active = torch.ones(len(start), dtype=torch.bool)
    for _ in range(cfg.steps):
        rows = active.nonzero()[:, 0]  # cells still moving: one that reads surely both ways
        if not len(rows):  # in every rendering is done, and costs nothing more
            break
        n, pts, lg = len(rows), points[rows], logit[rows]
        soft = torch.sigmoid(lg)
        on = (lg > 0).to(soft.dtype) + soft - soft.detach()
        jitter = torch.zeros(k, n, 1, 1, 2)
        jitter[1:] = (torch.rand(k - 1, n, 1, 1, 2, generator=gen) * 2 - 1) * cfg.shift
        weight = torch.ones(k, n)
        weight[1:] = 1 + (torch.rand(k - 1, n, generator=gen) * 2 - 1) * cfg.weight
        moved = Strokes((pts[None] + jitter).flatten(0, 1), strokes.closed[rows].repeat(k, 1),
                        strokes.on[rows].repeat(k, 1))
        x = render(moved, nib, shape, edge=cfg.edge, on=on.repeat(k, 1),
                   weight=weight.flatten())
        p = _probabilities(readers, fold, x, a[rows].repeat(k, *[1] * (a.dim() - 1)),
                           b[rows].repeat(k, *[1] * (b.dim() - 1)), symmetry).view(2, k, n)
        read = -torch.log(p.clamp_min(1e-6)).sum(0).mean(0)
        live = strokes.on[rows].to(start.dtype)
        keep = (cfg.shape * ((pts.diff(n=2, dim=2) - d2_0[rows]) ** 2).sum(-1).mean(-1)
                + cfg.length * ((pts.diff(dim=2).norm(dim=-1) - len_0[rows]) ** 2).mean(-1)
                + cfg.anchor * ((pts - start[rows]) ** 2).sum(-1).mean(-1))
        joints = _joint_gap(pts, strokes.closed[rows], index[rows], joined[rows].to(pts.dtype))
        frame = (F.relu(margin - pts) ** 2 + F.relu(pts - hi) ** 2).sum(-1).mean(-1)
        short = F.relu(cfg.ink_floor - x[:n].sum((1, 2, 3)) / ink_0[rows].clamp_min(1.0))
        loss = (read + ((keep + cfg.frame * frame) * live).sum(1) / live.sum(1).clamp_min(1)
                + cfg.joint * joints + cfg.ink * short).sum()
        grads = torch.autograd.grad(loss, [points, logit])
        done = p.detach().amin((0, 1)) >= cfg.done
        opt.step(grads, rows[~done])  # a cell that reads as it is stays as it is
        active[rows[done]] = False
    with torch.no_grad():
        return Strokes(points.detach().clone(), strokes.closed, strokes.on & (logit > 0))


# ----------------------------------------------------------------------------- the outline


def finish(strokes: Strokes, nib: Nib, shape: tuple[int, int]
           ) -> tuple[np.ndarray, list[list[vectorize.BezierPath]]]:
    """What `make` delivers of each cell's strokes: (B, H, W) float32 bitmaps at cell size (for
    the layout and the preview) and closed Bézier contours in cell px (the SVG). Both come from
    one rendering at OUTLINE_SCALE x with a one-pixel anti-aliased edge: the bitmap is it
    area-averaged, the outline it traced with the type-like fit and scaled back. Strokes
    switched off leave no ink."""
    with torch.no_grad():
        big = render(strokes, nib, shape, scale=OUTLINE_SCALE, edge=1.0 / OUTLINE_SCALE,
                     spacing=OUTLINE_SPACING)
        small = F.avg_pool2d(big, OUTLINE_SCALE)[:, 0].numpy().astype(np.float32)
    return small, [vectorize.scaled(vectorize.trace(g, threshold=0.5, upsample=1, smooth=1.0),
                                    1.0 / OUTLINE_SCALE) for g in big[:, 0].numpy()]


# ----------------------------------------------------------------------------- a word's cells


POINTS = 8  # control points per stroke
DEFAULT = RefineConfig()  # make's refinement (a benchmark may set another)


@dataclass
class StrokeCells:
    """A word's cells redrawn as strokes: what `make` delivers for a cell that takes them."""

    bitmaps: list[np.ndarray]  # per cell (S, W) float32 in [0, 1]
    outlines: list[list[vectorize.BezierPath]]  # per cell, cell px
    strokes: list[Strokes]  # per cell, one row each
    nib: Nib  # the word's pen


def stroke_cells(glyphs: list[np.ndarray], texts: list[tuple[str, str]], symmetry: str,
                 readers: list[torch.nn.Module], chars: str, pen: Nib,
                 cfg: RefineConfig | None = None, seed: int = 0) -> StrokeCells:
    """Each cell's glyph (S, W) turned into strokes (ambictl.skeleton), refined to read as its
    texts (upright, turned) against `readers`, drawn with `pen`'s shape (contrast, angle) at the
    word's one stroke width (the median of its cells' skeleton widths: the word's strokes
    agree), and outlined. Cells of each width are refined in one batch."""
    from .skeleton import glyph_strokes

    cfg = cfg or DEFAULT
    found = [glyph_strokes(g, points=POINTS) for g in glyphs]
    nib = pen.for_stroke(float(np.median([w for _, w in found])) if found else pen.stroke)
    out: list[Strokes | None] = [None] * len(glyphs)
    for width in sorted({g.shape[1] for g in glyphs}):
        part = [i for i, g in enumerate(glyphs) if g.shape[1] == width]
        shape = (glyphs[part[0]].shape[0], width)
        a = cells.index(chars, [texts[i][0] for i in part])
        b = cells.index(chars, [texts[i][1] for i in part])
        with torch.enable_grad():
            moved = refine(Strokes.from_paths([found[i][0] for i in part], POINTS), nib, shape,
                           a, b, symmetry, readers, chars, cfg, seed + width)
        for row, i in enumerate(part):
            out[i] = Strokes(moved.points[row:row + 1], moved.closed[row:row + 1],
                             moved.on[row:row + 1])
    done = [s for s in out if s is not None]
    drawn = [finish(s, nib, g.shape) for s, g in zip(done, glyphs, strict=True)]
    return StrokeCells([d[0][0] for d in drawn], [d[1][0] for d in drawn], done, nib)

"""Pen strokes of a glyph bitmap: a few point lists and one pen width that redraw its ink.

The stroke refinement (ambictl.strokes) starts from a glyph the generator drew, so it needs
that glyph as a handful of strokes, each a fixed number of points, and a pen width. This
module finds them from the bitmap alone, the way a letterer would trace it:

1. upsample (a 32 px glyph's skeleton is too coarse to follow), threshold, drop anti-aliasing
   crumbs and fill pin-holes (each would become a spurious stroke or a tiny loop);
2. skeletonise;
3. read the skeleton as a graph (endpoints, junctions, the pixel chains between them), prune
   the short spurs that skeletons grow into corners, and fuse junctions split in two by a
   crossing (an `x` skeleton crosses as two forks joined by a short bridge);
4. move the chains off the pixel grid onto the middle of their strokes, and take the pen
   width as the median width of the ink across them (the grey levels place both to a
   fraction of a pixel; at 32 px a half-pixel error is a fifth of a stroke);
5. at each junction continue the pair of branches that run most nearly straight through it,
   so a `t` is two strokes rather than four;
6. smooth away the pixel staircase, cut each path where a stroke of `points` points could not
   follow it (ambictl.strokes draws a stroke as a Catmull-Rom spline through its points, and
   eight points cannot turn both the corner and the bowl of a `d`), and resample each piece
   to `points` points evenly spaced by arc length.

Coordinates are (x, y) in the glyph's own pixel frame: the centre of pixel (row r, col c) is
(c + 0.5, r + 0.5). Identical input gives identical output.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy import ndimage
from skimage.morphology import skeletonize
from skimage.transform import resize

# Sizes below are in the glyph's own pixels (areas in its px²) and scale with the upsampling.
SPECK_AREA = 3.0  # smaller ink components are anti-aliasing crumbs; an i's dot is bigger
PINHOLE_AREA = 2.0  # smaller holes are rendering pin-holes; each would become a skeleton loop
MIN_SPUR = 1.5  # a free-ended branch shorter than max(this, pen width) is a corner spur
DOT_EXTENT = 1.0  # a skeleton component spanning less than this is a dot, not a stroke
DIRECTION_SPAN = 2.5  # how far along a branch its direction at a junction is measured
MIN_WIDTH = 1.0  # the thinnest pen returned (a hairline still has to be seen)
CENTRE_SHIFT = 1.0  # upsampled px: how far a skeleton vertex may move to its stroke's middle
HOOK = 1.5  # a skeleton's last pixel or two often hook into a corner: straightened over this
STRAIGHT_DEG = 10.0  # ... where the stroke before it bends less than this: a straight stroke
PROFILE_STEP = 0.5  # upsampled px between samples of the ink profile across a stroke
PROFILE_MARGIN = 2.0  # upsampled px: the profile reaches this far beyond the rough half-width
CONTINUE_DEG = 140.0  # two branches meeting at more than this angle are one stroke
BRIDGE_WIDTHS = 1.75  # junctions closer than this many pen widths are one crossing
TURN_SPAN = 1.5  # a path's turn at a point is measured this far to either side of it
FIT_TOL = 0.4  # a stroke's spline strays at most this far from its skeleton path

# The 8 neighbours, in a fixed order so tracing (and so the output) is deterministic.
_OFFSETS = ((-1, -1), (-1, 0), (-1, 1), (0, -1), (0, 1), (1, -1), (1, 0), (1, 1))
_CLUSTER = np.ones((3, 3), bool)  # 8-connectivity for ndimage.label


@dataclass
class _Graph:
    """A skeleton as a multigraph. Points are (x, y) in upsampled pixels; each edge's points
    run from its node `u` to its node `v` and start and end exactly on their positions."""

    pos: dict[int, np.ndarray] = field(default_factory=dict)
    edges: dict[int, tuple[int, int, np.ndarray]] = field(default_factory=dict)
    lengths: dict[int, float] = field(default_factory=dict)  # arc length of each edge
    closed: list[np.ndarray] = field(default_factory=list)  # node-free loops, first == last
    _next_edge: int = 0

    def add_edge(self, u: int, v: int, pts: np.ndarray) -> None:
        self.set_edge(self._next_edge, u, v, pts)
        self._next_edge += 1

    def set_edge(self, eid: int, u: int, v: int, pts: np.ndarray) -> None:
        self.edges[eid] = (u, v, pts)
        self.lengths[eid] = _length(pts)

    def pop_edge(self, eid: int) -> tuple[int, int, np.ndarray]:
        del self.lengths[eid]
        return self.edges.pop(eid)

    def ends(self, node: int) -> list[tuple[int, int]]:
        """(edge, side) of every edge end at `node`: side 0 is the edge's start, 1 its end."""
        out = []
        for eid, (u, v, _) in self.edges.items():
            if u == node:
                out.append((eid, 0))
            if v == node:
                out.append((eid, 1))
        return out

    def degrees(self) -> dict[int, int]:
        deg = dict.fromkeys(self.pos, 0)
        for u, v, _ in self.edges.values():
            deg[u] += 1
            deg[v] += 1
        return deg


def glyph_strokes(glyph: np.ndarray, *, size: int = 64, points: int = 8,
                  threshold: float = 0.5) -> tuple[list[np.ndarray], float]:
    """Strokes of a glyph bitmap (H, W) float in [0, 1] (ink = 1; H is 32 typically, W = H or 2H):
    a list of (points, 2) float64 arrays of (x, y) in the glyph's own pixel frame, where pixel
    (row r, col c) has its centre at (x, y) = (c + 0.5, r + 0.5); and the pen width in the same
    units: the median over the skeleton of the ink's width across it, read to a fraction of a
    pixel from the grey levels (2 x the distance transform where there is no stroke to read
    across, as for a lone dot), at least 1.

    Closed strokes (an `o`) have first point == last point; a dot is `points` equal points.
    Longest stroke first. An empty glyph gives ([], 1.0).
    """
    glyph = np.asarray(glyph, dtype=np.float64)
    if glyph.ndim != 2 or glyph.size == 0:
        raise ValueError(f"glyph must be a non-empty 2-D array, got shape {glyph.shape}")
    if points < 2:
        raise ValueError(f"points must be at least 2, got {points}")
    h, w = glyph.shape
    out_w = max(1, round(w * size / h))
    ky, kx = size / h, out_w / w
    grey = _upsample(glyph, (size, out_w))
    ink = _clean_ink(grey > threshold, ky * kx)
    if not ink.any():
        return [], 1.0
    skel = skeletonize(ink)
    # A first width, whole pixels from the distance transform, sets the graph's scales.
    rough = max(_dt_width(ink, skel), MIN_WIDTH * ky)
    graph, dots = _pixel_graph(skel, DOT_EXTENT * ky)
    _prune_spurs(graph, max(MIN_SPUR * ky, rough))
    _fuse_junctions(graph, BRIDGE_WIDTHS * rough)
    _straighten_free_ends(graph, HOOK * ky)
    runs = _centre_on_ink(graph, grey, threshold, rough / 2 + PROFILE_MARGIN)
    # The pen: the ink's median width across the strokes, to a fraction of a pixel. The
    # distance transform's whole pixels make it up to half a pixel too wide at 32 px, a
    # fifth of a thin stroke (a stem 2.4 px wide reads 3.0).
    width = max((float(np.median(runs)) if runs else rough) / ky, MIN_WIDTH)
    paths = _continue_through(graph, DIRECTION_SPAN * ky) + graph.closed
    pieces = [q for p in paths
              for q in _split_to_fit(_smooth(p), points, FIT_TOL * ky, TURN_SPAN * ky)]
    scale = np.array([kx, ky])
    # Ink running off the frame can leave a centred end a fraction of a pixel outside it.
    strokes = [np.clip(_resample(p, points) / scale, 0.0, [w, h]) for p in pieces]
    strokes += [np.repeat(d[None, :] / scale, points, axis=0) for d in dots]
    # Longest first; ties (symmetric glyphs) fall back on position so the order is total.
    strokes.sort(key=lambda s: (-_length(s), float(s[0, 0]), float(s[0, 1])))
    return strokes, width


def _upsample(glyph: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """Bilinear resize with pixel centres aligned (upsampled centre (c + 0.5) / k)."""
    if glyph.shape == shape:
        return glyph
    return resize(glyph, shape, order=1, mode="edge", anti_aliasing=False)


def _clean_ink(ink: np.ndarray, area_scale: float) -> np.ndarray:
    """Drop ink specks and fill pin-holes, both measured in glyph px² times `area_scale`."""
    labels, n = ndimage.label(ink, _CLUSTER)
    if n:
        areas = np.bincount(labels.ravel())
        keep = areas > SPECK_AREA * area_scale
        keep[0] = False
        ink = keep[labels]
    # Holes are background regions (4-connected, the dual of 8-connected ink) off the border.
    holes, n = ndimage.label(~ink)
    if n:
        areas = np.bincount(holes.ravel())
        small = areas < PINHOLE_AREA * area_scale
        border = np.unique(np.concatenate([holes[0], holes[-1], holes[:, 0], holes[:, -1]]))
        small[border] = False
        small[0] = False
        ink = ink | small[holes]
    return ink


def _dt_width(ink: np.ndarray, skel: np.ndarray) -> float:
    """Median ink thickness across the skeleton (2 x the distance to the background), in
    upsampled pixels. The median, not the mean: junctions and stroke ends read too thick or
    too thin, and there are few of them."""
    dist = ndimage.distance_transform_edt(ink)
    return float(np.median(2.0 * dist[skel])) if skel.any() else 0.0


def _neighbours(skel: np.ndarray) -> tuple[np.ndarray, list[list[int]]]:
    """Skeleton pixel centres (x, y), row-major, and each pixel's neighbours.

    A diagonal step is ignored where a pixel orthogonal to both ends is also on the skeleton:
    the two orthogonal steps already connect them, and counting the diagonal too would turn
    every staircase corner into a three-way junction.
    """
    rows, cols = np.nonzero(skel)
    pad = np.pad(skel, 1)
    index = np.full(pad.shape, -1, np.int64)
    index[rows + 1, cols + 1] = np.arange(rows.size)
    nbrs: list[list[int]] = [[] for _ in range(rows.size)]
    for dr, dc in _OFFSETS:
        on = pad[rows + 1 + dr, cols + 1 + dc]
        if dr and dc:
            on &= ~pad[rows + 1 + dr, cols + 1] & ~pad[rows + 1, cols + 1 + dc]
        for i in np.flatnonzero(on):
            nbrs[i].append(int(index[rows[i] + 1 + dr, cols[i] + 1 + dc]))
    xy = np.stack([cols + 0.5, rows + 0.5], axis=1)
    return xy, nbrs


def _pixel_graph(skel: np.ndarray, dot_extent: float) -> tuple[_Graph, list[np.ndarray]]:
    """The skeleton's graph, and the centres of its dot-sized components (kept out of it)."""
    labels, n = ndimage.label(skel, _CLUSTER)
    dots = []
    for i, box in enumerate(ndimage.find_objects(labels), start=1):
        extent = np.hypot(box[0].stop - box[0].start - 1, box[1].stop - box[1].start - 1)
        if extent < dot_extent:
            rows, cols = np.nonzero(labels[box] == i)
            dots.append(np.array([cols.mean() + box[1].start + 0.5,
                                  rows.mean() + box[0].start + 0.5]))
            skel = skel & (labels != i)
    xy, nbrs = _neighbours(skel)
    deg = np.array([len(nb) for nb in nbrs], np.int64)
    node_of = np.full(len(nbrs), -1, np.int64)
    graph = _Graph()
    # Adjacent junction pixels are one junction, placed at their centroid.
    junction = np.zeros(skel.shape, bool)
    jpix = np.flatnonzero(deg >= 3)
    junction[(xy[jpix, 1] - 0.5).astype(int), (xy[jpix, 0] - 0.5).astype(int)] = True
    clusters, n_clusters = ndimage.label(junction, _CLUSTER)
    for p in jpix:
        node_of[p] = clusters[int(xy[p, 1]), int(xy[p, 0])] - 1
    for c in range(n_clusters):
        graph.pos[c] = xy[node_of == c].mean(axis=0)
    for p in np.flatnonzero(deg == 1):
        node_of[p] = len(graph.pos)
        graph.pos[int(node_of[p])] = xy[p]
    _trace_edges(graph, xy, nbrs, node_of)
    return graph, dots


def _trace_edges(graph: _Graph, xy: np.ndarray, nbrs: list[list[int]],
                 node_of: np.ndarray) -> None:
    """Walk every chain of degree-2 pixels between nodes, then the node-free loops."""
    visited = np.zeros(len(nbrs), bool)
    direct: set[tuple[int, int]] = set()
    for p in np.flatnonzero(node_of >= 0):
        for q in nbrs[p]:
            if node_of[q] == node_of[p]:
                continue  # inside one junction cluster
            if node_of[q] >= 0:  # two nodes side by side: a one-step edge, added once
                if (min(p, q), max(p, q)) in direct:
                    continue
                direct.add((min(p, q), max(p, q)))
                chain = [p, q]
            elif visited[q]:
                continue
            else:
                chain = _walk(nbrs, node_of, visited, p, q)
            u, v = int(node_of[p]), int(node_of[chain[-1]])
            pts = xy[chain].copy()
            pts[0], pts[-1] = graph.pos[u], graph.pos[v]  # junction ends meet at the centroid
            graph.add_edge(u, v, pts)
    for start in np.flatnonzero((node_of < 0) & ~visited):
        if visited[start]:
            continue
        visited[start] = True
        chain = _walk(nbrs, node_of, visited, start, nbrs[start][0], stop=start)
        graph.closed.append(xy[chain])


def _walk(nbrs: list[list[int]], node_of: np.ndarray, visited: np.ndarray, start: int,
          first: int, stop: int = -1) -> list[int]:
    """Pixels from `start` through `first` along degree-2 pixels to a node (or to `stop`)."""
    chain, prev, cur = [start], start, first
    while node_of[cur] < 0 and cur != stop:
        visited[cur] = True
        chain.append(cur)
        a, b = nbrs[cur]
        prev, cur = cur, (b if a == prev else a)
    chain.append(cur)
    return chain


def _length(pts: np.ndarray) -> float:
    return float(np.hypot(*np.diff(pts, axis=0).T).sum()) if len(pts) > 1 else 0.0


def _prune_spurs(graph: _Graph, min_len: float) -> None:
    """Remove free-ended branches shorter than `min_len`, shortest first, one at a time.

    One at a time because removing a spur can turn its junction into a plain bend (merged
    away here), and the branch beyond it then is no spur: a blob whose skeleton is a short
    star keeps its longest arms as one short stroke instead of vanishing. But a fork of two
    spurs on a long branch (the skeleton of a square stroke end, one spur to each corner)
    loses both: keeping one would hook the stroke's end into a corner.
    """
    _merge_bends(graph)
    while True:
        deg = graph.degrees()
        spurs = [(graph.lengths[eid], eid) for eid in graph.edges
                 if _is_spur(graph, deg, eid, min_len)]
        if not spurs:
            return
        _, eid = min(spurs)
        u, v, _ = graph.pop_edge(eid)
        tip, fork = (u, v) if deg[u] == 1 else (v, u)
        del graph.pos[tip]
        deg = graph.degrees()
        ends = graph.ends(fork)
        if len(ends) == 2 and ends[0][0] != ends[1][0]:
            short = [e for e, _ in ends if _is_spur(graph, deg, e, min_len, fork_degree=2)]
            if len(short) == 1:  # a spur and a long branch: the fork's other spur goes too
                a, b, _ = graph.pop_edge(short[0])
                del graph.pos[b if a == fork else a]
        _merge_bends(graph)


def _is_spur(graph: _Graph, deg: dict[int, int], eid: int, min_len: float,
             fork_degree: int = 3) -> bool:
    """Whether an edge is shorter than `min_len` and runs from a free end to a node of at
    least `fork_degree` edges."""
    u, v, _ = graph.edges[eid]
    return (u != v and min(deg[u], deg[v]) == 1 and max(deg[u], deg[v]) >= fork_degree
            and graph.lengths[eid] < min_len)


def _merge_bends(graph: _Graph) -> None:
    """Join the two edges at every degree-2 node into one (a bend is no junction)."""
    deg = graph.degrees()
    for node in [n for n, d in deg.items() if d == 2]:
        (e1, s1), (e2, s2) = graph.ends(node)
        if e1 == e2:  # a loop hanging on nothing else: a closed path
            graph.closed.append(graph.pop_edge(e1)[2])
        else:
            a, pa = _oriented(graph, e1, s1, toward=True)
            b, pb = _oriented(graph, e2, s2, toward=False)
            graph.pop_edge(e1)
            graph.pop_edge(e2)
            graph.add_edge(a, b, np.concatenate([pa, pb[1:]]))
        del graph.pos[node]


def _oriented(graph: _Graph, eid: int, side: int, toward: bool) -> tuple[int, np.ndarray]:
    """An edge's far node and its points, running toward (or away from) its `side` end."""
    u, v, pts = graph.edges[eid]
    far = v if side == 0 else u
    away = pts if side == 0 else pts[::-1]
    return far, (away[::-1] if toward else away)


def _fuse_junctions(graph: _Graph, max_bridge: float) -> None:
    """Contract short junction-to-junction edges: two forks a crossing's skeleton splits into.

    Fusing them gives good continuation one junction with all four arms to pair up.
    """
    while True:
        deg = graph.degrees()
        bridges = [(graph.lengths[eid], eid) for eid, (u, v, _) in graph.edges.items()
                   if u != v and deg[u] >= 3 and deg[v] >= 3]
        bridges = [b for b in bridges if b[0] < max_bridge]
        if not bridges:
            return
        _, eid = min(bridges)
        length = graph.lengths[eid]
        u, v, pts = graph.pop_edge(eid)
        centre = _point_at(pts, length / 2)
        graph.pos[u] = centre
        del graph.pos[v]
        for other, (a, b, opts) in list(graph.edges.items()):
            if a not in (u, v) and b not in (u, v):
                continue
            # Each arm is extended to the new centre rather than bent onto it: the fork it
            # left was up to a bridge's length away, and a moved end point would kink it.
            if a in (u, v):
                opts = np.concatenate([centre[None], opts])
            if b in (u, v):
                opts = np.concatenate([opts, centre[None]])
            graph.set_edge(other, u if a == v else a, u if b == v else b, opts)
        _merge_bends(graph)


def _straighten_free_ends(graph: _Graph, span: float) -> None:
    """Replace the last `span` of each free end of a straight stroke by the straight
    continuation of the stroke: a skeleton's end often steps a pixel or two into a corner of
    a square stroke end, and a stroke of a few points cannot follow that hook without bending
    its whole end. A curving end (a script's terminal) is left as it is."""
    deg = graph.degrees()
    for eid, (u, v, pts) in list(graph.edges.items()):
        if graph.lengths[eid] < 6 * span:
            continue
        if deg[u] == 1:
            pts = _straight_start(pts, span)
            graph.pos[u] = pts[0]
        if deg[v] == 1:
            pts = _straight_start(pts[::-1], span)[::-1]
            graph.pos[v] = pts[-1]
        graph.set_edge(eid, u, v, pts)


def _straight_start(pts: np.ndarray, span: float) -> np.ndarray:
    """`pts` with its first `span` straightened, where the 4 x `span` after it run straight."""
    a, b, c = (_point_at(pts, k * span) for k in (1, 3, 5))
    ab, bc = a - b, b - c
    norms = float(np.hypot(*ab)) * float(np.hypot(*bc))
    if norms == 0 or float(ab @ bc) < norms * np.cos(np.radians(STRAIGHT_DEG)):
        return pts
    step = ab / float(np.hypot(*ab))
    # Reach no farther along the stroke than the hooked end did: the hook goes, not the ink.
    reach = float(np.clip((pts[0] - a) @ step, 0.0, span))
    return np.concatenate([[a + step * reach, a], pts[_arc(pts) > span]])


def _centre_on_ink(graph: _Graph, grey: np.ndarray, threshold: float, reach: float
                   ) -> list[float]:
    """Move every path vertex but the junctions across its stroke, to the middle of the ink
    run through it (at most CENTRE_SHIFT px); return the runs' widths.

    A skeleton is pixel-bound: an even-width stroke's runs half a pixel off its middle, and
    its staircase wobbles a pixel; at 32 px that is a quarter of a stroke. The anti-aliased
    grey levels place the ink's edges, and so its middle, to a fraction of a pixel.
    """
    widths: list[float] = []
    deg = graph.degrees()
    for eid, (u, v, pts) in graph.edges.items():
        moved, w = _centred(pts, grey, threshold, reach)
        # Junctions stay put, so that the strokes meeting there still meet; free ends move.
        for node, end in ((u, 0), (v, -1)):
            if deg[node] > 1:
                moved[end] = pts[end]
            else:
                graph.pos[node] = moved[end]
        graph.set_edge(eid, u, v, moved)
        widths.extend(w[1:-1][w[1:-1] > 0])
    for k, p in enumerate(graph.closed):
        graph.closed[k], w = _centred(p, grey, threshold, reach)
        widths.extend(w[w > 0])  # 0: a vertex off the ink has no run to measure
    return widths


def _centred(pts: np.ndarray, grey: np.ndarray, threshold: float, reach: float
             ) -> tuple[np.ndarray, np.ndarray]:
    """`pts`, each moved along its normal to the middle of the run of ink (grey above
    `threshold`) through it, and each run's width; runs are followed out to `reach`."""
    closed = _is_closed(pts)
    base = pts[:-1] if closed else pts
    n = len(base)
    i = np.arange(n)
    if closed:
        ahead, behind = base[(i + 2) % n], base[(i - 2) % n]
    else:
        ahead, behind = base[np.minimum(i + 2, n - 1)], base[np.maximum(i - 2, 0)]
    tangent = ahead - behind
    tangent /= np.maximum(np.hypot(*tangent.T), 1e-12)[:, None]
    normal = np.stack([-tangent[:, 1], tangent[:, 0]], axis=1)
    half = int(np.ceil(reach / PROFILE_STEP))
    offsets = np.arange(-half, half + 1) * PROFILE_STEP
    at = base[:, None, :] + offsets[None, :, None] * normal[:, None, :]
    # Pixel (r, c) has its centre at (c + 0.5, r + 0.5).
    g = ndimage.map_coordinates(grey, [at[..., 1] - 0.5, at[..., 0] - 0.5], order=1,
                                mode="constant").reshape(at.shape[:2])
    hi = _crossing(g[:, half:], threshold)
    lo = -_crossing(g[:, half::-1], threshold)
    shift = np.clip((lo + hi) / 2, -CENTRE_SHIFT, CENTRE_SHIFT)
    moved = base + shift[:, None] * normal
    width = hi - lo
    if closed:
        return np.concatenate([moved, moved[:1]]), width
    return moved, width


def _crossing(g: np.ndarray, threshold: float) -> np.ndarray:
    """Where each profile (rows of samples PROFILE_STEP apart, from 0 outward) first drops
    below `threshold`, interpolated between samples; the profile's end if it never does."""
    below = g < threshold
    j = np.where(below.any(axis=1), below.argmax(axis=1), g.shape[1] - 1)
    rows = np.arange(len(g))
    prev = np.maximum(j - 1, 0)
    g0, g1 = g[rows, prev], g[rows, j]
    frac = np.where(g0 > g1, (g0 - threshold) / np.maximum(g0 - g1, 1e-12), 0.0)
    out = (prev + np.clip(frac, 0.0, 1.0)) * PROFILE_STEP
    return np.where(j == 0, 0.0, out)


def _point_at(pts: np.ndarray, s: float) -> np.ndarray:
    """The point at arc length `s` along a polyline (clamped to its ends)."""
    cum = _arc(pts)
    return np.array([np.interp(s, cum, pts[:, 0]), np.interp(s, cum, pts[:, 1])])


def _continue_through(graph: _Graph, span: float) -> list[np.ndarray]:
    """Open and closed paths: edges chained through junctions by good continuation.

    At each junction the pair of branches most nearly opposite (over `span` of each) is one
    stroke if they meet at more than CONTINUE_DEG; repeat with the rest. Unpaired branches
    end on the junction's point, so the strokes still touch.
    """
    partner: dict[tuple[int, int], tuple[int, int]] = {}
    limit = np.cos(np.radians(CONTINUE_DEG))
    for node, d in sorted(graph.degrees().items()):
        if d < 3:
            continue
        ends = graph.ends(node)
        dirs = [_direction(graph, eid, side, span) for eid, side in ends]
        pairs = sorted((float(dirs[i] @ dirs[j]), i, j)
                       for i in range(len(ends)) for j in range(i + 1, len(ends)))
        free = set(range(len(ends)))
        for cos, i, j in pairs:
            if cos < limit and i in free and j in free:
                partner[ends[i]], partner[ends[j]] = ends[j], ends[i]
                free -= {i, j}
    used: set[int] = set()
    paths = []
    starts = sorted((eid, side) for eid in graph.edges for side in (0, 1)
                    if (eid, side) not in partner)
    for eid, side in starts:
        if eid not in used:
            paths.append(_chain(graph, partner, used, eid, side))
    for eid in sorted(graph.edges):  # what is left are loops of paired edges
        if eid not in used:
            paths.append(_chain(graph, partner, used, eid, 0))
    return paths


def _direction(graph: _Graph, eid: int, side: int, span: float) -> np.ndarray:
    """Unit vector from a junction along the edge leaving it at (eid, side)."""
    _, away = _oriented(graph, eid, side, toward=False)
    vec = _point_at(away, span) - away[0]
    norm = float(np.hypot(*vec))
    return vec / norm if norm > 0 else vec


def _chain(graph: _Graph, partner: dict[tuple[int, int], tuple[int, int]], used: set[int],
           eid: int, side: int) -> np.ndarray:
    """Points of the path entering edge `eid` at `side`, followed through its partners."""
    parts = []
    while eid not in used:
        used.add(eid)
        _, pts = _oriented(graph, eid, side, toward=False)
        parts.append(pts if not parts else pts[1:])
        nxt = partner.get((eid, 1 - side))
        if nxt is None:
            break
        eid, side = nxt
    return np.concatenate(parts)


def _smooth(pts: np.ndarray) -> np.ndarray:
    """A 3-point moving average: removes the pixel staircase. Open ends stay put; a closed
    path (first == last) is averaged around its seam."""
    if len(pts) < 3:
        return pts
    if _is_closed(pts):
        ring = pts[:-1]
        out = (np.roll(ring, 1, axis=0) + ring + np.roll(ring, -1, axis=0)) / 3
        return np.concatenate([out, out[:1]])
    out = pts.copy()
    out[1:-1] = (pts[:-2] + pts[1:-1] + pts[2:]) / 3
    return out


def _split_to_fit(pts: np.ndarray, points: int, tol: float, span: float) -> list[np.ndarray]:
    """A path cut into pieces that a spline through `points` evenly spaced points follows to
    within `tol`: each cut is at the piece's sharpest turn (measured over `span` either side),
    where a pen would lift, as at the foot of a `d`'s bowl meeting its stem.

    A closed path that does not fit opens into two pieces, cut at its two sharpest turns.
    """
    closed = _is_closed(pts)
    cum = _arc(pts)
    total = float(cum[-1])
    if total < 4 * span or _fit_error(pts, _resample(pts, points), closed) <= tol:
        return [pts]
    cos = _turn_cos(pts, cum, span, closed)
    if closed:
        first = int(np.argmin(cos[:-1]))  # the last vertex repeats the first
        ring = pts[:-1]
        pts = np.concatenate([ring[first:], ring[:first + 1]])
        cos = np.concatenate([cos[first:-1], cos[:first + 1]])
        cum = _arc(pts)
    # Both pieces must be long enough to have a direction of their own.
    inner = (cum >= 2 * span) & (cum <= cum[-1] - 2 * span)
    if not inner.any():
        return [pts]
    cut = int(np.argmin(np.where(inner, cos, np.inf)))
    return (_split_to_fit(pts[:cut + 1], points, tol, span)
            + _split_to_fit(pts[cut:], points, tol, span))


def _is_closed(pts: np.ndarray) -> bool:
    return len(pts) > 3 and bool(np.array_equal(pts[0], pts[-1]))


def _arc(pts: np.ndarray) -> np.ndarray:
    """Cumulative arc length at each vertex."""
    return np.concatenate([[0.0], np.cumsum(np.hypot(*np.diff(pts, axis=0).T))])


def _turn_cos(pts: np.ndarray, cum: np.ndarray, span: float, closed: bool) -> np.ndarray:
    """Cosine of the turn at each vertex between the chords `span` before and after it
    (1 = straight on, -1 = doubling back); the ends of an open path count as straight."""
    total = float(cum[-1])

    def at(t: np.ndarray) -> np.ndarray:
        t = np.mod(t, total) if closed else np.clip(t, 0.0, total)
        return np.stack([np.interp(t, cum, pts[:, 0]), np.interp(t, cum, pts[:, 1])], axis=1)

    v1, v2 = pts - at(cum - span), at(cum + span) - pts
    norm = np.hypot(*v1.T) * np.hypot(*v2.T)
    cos = np.where(norm > 0, (v1 * v2).sum(1) / np.maximum(norm, 1e-12), 1.0)
    if not closed:
        cos[(cum < span) | (cum > total - span)] = 1.0
    return cos


def _fit_error(path: np.ndarray, ctrl: np.ndarray, closed: bool) -> float:
    """How far the spline through `ctrl` strays from `path`, or misses part of it: the larger
    of the two one-sided distances between the two polylines."""
    import torch

    from .strokes import curve as spline

    curve = spline(torch.from_numpy(ctrl)[None, None], torch.tensor([[closed]]), 8)[0, 0].numpy()
    return max(_to_polyline(path, curve).max(), _to_polyline(curve, path).max())


def _to_polyline(pts: np.ndarray, line: np.ndarray) -> np.ndarray:
    """Distance from each point to the nearest segment of a polyline. To segments, not to
    vertices: a pixel chain's vertices are a pixel apart, a spline's samples farther."""
    if len(line) == 1:
        return np.hypot(*(pts - line[0]).T)
    dx, dy = np.diff(line[:, 0]), np.diff(line[:, 1])
    rx = pts[:, 0, None] - line[None, :-1, 0]  # (points, segments), x and y apart: faster
    ry = pts[:, 1, None] - line[None, :-1, 1]
    t = np.clip((rx * dx + ry * dy) / np.maximum(dx * dx + dy * dy, 1e-12), 0.0, 1.0)
    ox, oy = rx - t * dx, ry - t * dy
    return np.sqrt((ox * ox + oy * oy).min(axis=1))


def _resample(pts: np.ndarray, n: int) -> np.ndarray:
    """`n` points evenly spaced along the polyline's arc length (ends kept)."""
    cum = _arc(pts)
    s = np.linspace(0.0, cum[-1], n)
    return np.stack([np.interp(s, cum, pts[:, 0]), np.interp(s, cum, pts[:, 1])], axis=1)

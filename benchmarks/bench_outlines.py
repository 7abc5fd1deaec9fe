"""Outline quality of the tracer: wobble, nodes, fidelity and speed, old fit against new.

    python benchmarks/bench_outlines.py [--fonts 12] [--words dear,read,...] [--repeat 3]
                                        [--refine N] [--no-potrace] [--no-model] [--weights PATH]
                                        [--strokes on auto]

Glyph bitmaps: the letters of the words rendered from bundled fonts on the em frame at 64 px
(the data set's frame; "real type traced from its 64 px bitmap", the reference) and at 32 px
(the model's resolution), and the shipped model's glyphs for the same words (32 px). Each is
traced as `make` traces (ambigram.trace_settings, threshold 0.5) with the earlier smooth fit
(`fit="smooth"`) and the type-like fit (`fit="type"`), and, for reference, with potrace (the
pure-Python `potracer` package, if installed, on the thresholded bitmap; not a dependency).

Figures per set and fitter:
- wobble: inflections per 100 px of outline with every glyph frame drawn 400 px tall
  (`ambictl.wobble`: curvature sampled every 2 px, dead band 1/100 px⁻¹, i.e. bends wider than
  a 100 px radius count as straight; the figure with a 1/400 px⁻¹ dead band is shown too);
- nodes per glyph (on-curve points), round-trip IoU (outline rasterised back at the bitmap's
  size against bitmap > 0.5; mean and min), milliseconds per glyph (best of the repeats).
The fonts' own outlines (their vectors, drawn at the same scale) are measured too, as the
floor a tracing of real type could reach. The ratio lines give the model's wobble over real
type's (traced from 64 px), the issue's figure. `--refine N` traces with N refine rounds instead
of ambigram.TRACE's, to weigh a TRACE change. A model with a refiner delivers 64 px glyphs.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from ambictl import render, wobble  # noqa: E402
from ambictl.vectorize import BezierPath, Point, rasterize, trace  # noqa: E402

WORDS = ("dear", "read", "ambigram", "SWIMS", "pod", "sense", "nun", "HELLO")
PAIRS = (("dear", "read"), ("ambigram", "ambigram"), ("SWIMS", "SWIMS"), ("pod", "pod"),
         ("sense", "sense"), ("nun", "nun"), ("HELLO", "HELLO"))
# A spread of designs, regular weight: sans, serif, slab, mono, display, a script.
FAMILIES = ("roboto", "open-sans", "montserrat", "lato", "lora", "noto-serif", "playfair-display",
            "eb-garamond", "arvo", "ibm-plex-mono", "comfortaa", "caveat", "bitter", "cabin",
            "cardo", "rubik")
FRAME_PX = 400  # the frame is measured drawn this tall
Tracer = Callable[[np.ndarray], list[BezierPath]]


@dataclass
class Tally:
    """Totals of one fitter over one set of glyphs."""

    wide: wobble.Wobble = field(default_factory=lambda: wobble.Wobble(0, 0.0, 0))
    tight: wobble.Wobble = field(default_factory=lambda: wobble.Wobble(0, 0.0, 0))
    ious: list[float] = field(default_factory=list)
    seconds: float = 0.0
    glyphs: int = 0

    def line(self, name: str) -> str:
        return (f"  {name:8s} wobble {self.wide.per_100px:5.3f} /100px (dead band r=400px: "
                f"{self.tight.per_100px:5.3f})  nodes/glyph {self.wide.nodes / self.glyphs:5.1f}"
                f"  IoU mean {np.mean(self.ious):.4f} min {np.min(self.ious):.4f}"
                f"  {1000 * self.seconds / self.glyphs:6.2f} ms/glyph")


def potrace_tracer() -> Tracer | None:
    """potracer on the thresholded bitmap, as BezierPaths (corners as two lines); None if the
    package is not installed."""
    try:
        import potrace
    except ImportError:
        return None

    def pt(p: object) -> Point:
        return (float(p.x), float(p.y))  # type: ignore[attr-defined]

    def run(bitmap: np.ndarray) -> list[BezierPath]:
        out = []
        for curve in potrace.Bitmap(~(bitmap > 0.5)).trace():  # it traces the False pixels
            prev = start = pt(curve.start_point)
            segs: list[tuple[Point, Point, Point]] = []
            for s in curve.segments:
                if s.is_corner:
                    c, end = pt(s.c), pt(s.end_point)
                    segs += [(prev, c, c), (c, end, end)]
                else:
                    end = pt(s.end_point)
                    segs.append((pt(s.c1), pt(s.c2), end))
                prev = end
            out.append(BezierPath(start, tuple(segs)))
        return out

    return run


def tracers(with_potrace: bool, refine: int | None) -> dict[str, Tracer]:
    """The smooth and type fits with `make`'s options (refine overridden if given)."""
    from ambictl.ambigram import trace_settings

    def opts(b: np.ndarray) -> dict:  # as `make` traces a glyph of this size
        return {**trace_settings(b.shape[-1]), "threshold": 0.5} | (
            {} if refine is None else {"refine": refine})

    out: dict[str, Tracer] = {
        "old": lambda b: trace(b, fit="smooth", **opts(b)),
        "new": lambda b: trace(b, fit="type", **opts(b)),
    }
    pot = potrace_tracer() if with_potrace else None
    if pot is not None:
        out["potrace"] = pot
    return out


def measure(bitmaps: list[np.ndarray], fitters: dict[str, Tracer], repeat: int
            ) -> dict[str, Tally]:
    tallies = {name: Tally() for name in fitters}
    for b in bitmaps:
        scale = FRAME_PX / b.shape[0]
        ink = b > 0.5
        for name, fn in fitters.items():
            best = float("inf")
            for _ in range(repeat if name != "potrace" else 1):
                t0 = time.perf_counter()
                paths = fn(b)
                best = min(best, time.perf_counter() - t0)
            t = tallies[name]
            t.seconds += best
            t.glyphs += 1
            t.wide = t.wide + wobble.measure(paths, scale)
            t.tight = t.tight + wobble.measure(paths, scale, dead_band=1 / 400)
            back = rasterize(paths, b.shape) > 0.5
            t.ious.append(float((back & ink).sum() / max((back | ink).sum(), 1)))
    return tallies


def font_files(count: int) -> list[Path]:
    manifest = json.loads((ROOT / "fonts" / "manifest.json").read_text())
    regular = {e["family_id"]: ROOT / "fonts" / e["file"] for e in manifest
               if e.get("weight") in (400, "400") and e.get("style") == "normal"}
    return [regular[f] for f in FAMILIES if f in regular][:count]


def real_glyphs(files: list[Path], words: tuple[str, ...], size: int) -> list[np.ndarray]:
    chars = "".join(sorted(set("".join(words))))
    text = "".join(words)
    out = []
    for f in files:
        imgs = render.render(str(f), 0, chars, size).astype(np.float32) / 255
        out += [imgs[chars.index(ch)] for ch in text]
    return out


def font_outlines(files: list[Path], words: tuple[str, ...], size: int) -> wobble.Wobble:
    """Wobble of the fonts' own outlines (their vectors, not a tracing) for the same letters,
    drawn at the em frame's scale with the frame FRAME_PX tall; nodes are on-curve points."""
    from fontTools.pens.basePen import BasePen
    from fontTools.ttLib import TTFont

    from ambictl.pens import PolygonPen

    class Cubics(BasePen):  # fontTools splits quadratics into cubics for us
        def __init__(self, out: PolygonPen, s: float, glyph_set: object) -> None:
            super().__init__(glyph_set)  # components are drawn from it
            self.out, self.s, self.nodes = out, s, 0

        def _p(self, pt: tuple[float, float]) -> tuple[float, float]:
            return (pt[0] * self.s, -pt[1] * self.s)

        def _moveTo(self, pt: tuple[float, float]) -> None:  # noqa: N802
            self.out.moveTo(self._p(pt))

        def _lineTo(self, pt: tuple[float, float]) -> None:  # noqa: N802
            self.nodes += 1
            self.out.lineTo(self._p(pt))

        def _curveToOne(self, p1: tuple[float, float], p2: tuple[float, float],  # noqa: N802
                        p3: tuple[float, float]) -> None:
            self.nodes += 1
            self.out.curveTo(self._p(p1), self._p(p2), self._p(p3))

        def _closePath(self) -> None:  # noqa: N802
            self.out.closePath()

        _endPath = _closePath

    chars = "".join(sorted(set("".join(words))))
    total = wobble.Wobble(0, 0.0, 0)
    for f in files:
        font = TTFont(str(f))
        glyphs, cmap = font.getGlyphSet(), font.getBestCmap()
        s = render.em_scale(str(f), 0, chars, size) / font["head"].unitsPerEm * FRAME_PX / size
        for ch in "".join(words):
            pen = Cubics(PolygonPen(), s, glyphs)
            glyphs[cmap[ord(ch)]].draw(pen)
            total = total + wobble.measure_polygons(pen.out.polygons, pen.nodes)
    return total


def model_glyphs(weights: str | None) -> list[np.ndarray]:
    from ambictl.ambigram import load_model, make_ambigram

    model = load_model(weights)
    return [g for w1, w2 in PAIRS for g in make_ambigram(w1, w2, weights=model).glyphs]


def stroke_outlines(weights: str | None, mode: str) -> list[tuple[list[BezierPath], int]]:
    """Every cell's delivered outline, and its height, of the words made with `--strokes
    MODE` (the pen strokes' own outline where a cell takes them, the trace elsewhere)."""
    from ambictl.ambigram import load_model, make_ambigram

    model = load_model(weights)
    out = []
    for w1, w2 in PAIRS:
        amb = make_ambigram(w1, w2, weights=model, strokes=mode)
        out += [(o, amb.layout.size) for o in amb.outlines]
    return out


def outline_tally(outlines: list[tuple[list[BezierPath], int]]) -> Tally:
    """Wobble and nodes of outlines as delivered (no tracing here, so no timing or IoU)."""
    t = Tally(ious=[1.0])
    for paths, height in outlines:
        t.glyphs += 1
        t.wide = t.wide + wobble.measure(paths, FRAME_PX / height)
        t.tight = t.tight + wobble.measure(paths, FRAME_PX / height, dead_band=1 / 400)
    return t


def report(title: str, tallies: dict[str, Tally]) -> None:
    print(f"{title} ({next(iter(tallies.values())).glyphs} glyphs)")
    for name, t in tallies.items():
        print(t.line(name))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--fonts", type=int, default=12, help="bundled families to set the words in")
    ap.add_argument("--words", default=",".join(WORDS))
    ap.add_argument("--repeat", type=int, default=3, help="timing repeats per glyph (best)")
    ap.add_argument("--no-potrace", action="store_true")
    ap.add_argument("--no-model", action="store_true")
    ap.add_argument("--weights", default=None)
    ap.add_argument("--strokes", nargs="*", default=["on", "auto"], choices=["on", "auto"],
                    help="also measure the words made with make --strokes MODE")
    ap.add_argument("--refine", type=int, default=None,
                    help="trace with this many refine rounds instead of ambigram.TRACE's")
    args = ap.parse_args()
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"bench_outlines: load average {load:.2f}; wobble at {FRAME_PX} px frame height, "
          f"step {wobble.STEP} px, dead band 1/{1 / wobble.DEAD_BAND:.0f} px^-1; refine "
          f"{'as ambigram.TRACE' if args.refine is None else args.refine}")
    fitters = tracers(not args.no_potrace, args.refine)
    words = tuple(w for w in args.words.split(",") if w)
    files = font_files(args.fonts)
    real64 = measure(real_glyphs(files, words, 64), fitters, args.repeat)
    report(f"real type, {len(files)} fonts, 64 px", real64)
    true = font_outlines(files, words, 64)
    print(f"  the fonts' own outlines: wobble {true.per_100px:5.3f} /100px, nodes/glyph "
          f"{true.nodes / (len(files) * len(''.join(words))):5.1f}")
    real32 = measure(real_glyphs(files, words, 32), fitters, args.repeat)
    report(f"real type, {len(files)} fonts, 32 px", real32)
    if args.no_model:
        return
    model = measure(model_glyphs(args.weights), fitters, args.repeat)
    report("model glyphs, 32 px", model)
    for name in fitters:
        ratio = model[name].wide.per_100px / max(real64[name].wide.per_100px, 1e-9)
        own = model[name].wide.per_100px / max(true.per_100px, 1e-9)
        print(f"ratio model / real type (64 px), {name} fit: {ratio:.2f}x "
              f"(over the fonts' own outlines: {own:.2f}x)")
    for mode in args.strokes:  # make --strokes: the pen strokes' outlines as delivered
        t = outline_tally(stroke_outlines(args.weights, mode))
        print(f"model glyphs with --strokes {mode} ({t.glyphs} glyphs)\n{t.line('as made')}")
        print(f"ratio --strokes {mode} / real type (64 px, new fit): "
              f"{t.wide.per_100px / max(real64['new'].wide.per_100px, 1e-9):.2f}x; nodes/glyph "
              f"{t.wide.nodes / t.glyphs:.1f} (the fonts' own: "
              f"{true.nodes / (len(files) * len(''.join(words))):.1f})")


if __name__ == "__main__":
    main()

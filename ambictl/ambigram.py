"""`make_ambigram`: two words in, a scored, symmetric ambigram out (the API behind `ambictl make`).

How a word is made:

1. Each cell gets a pair (a, b) (see `symmetry.pair_cells`; words of different lengths get
   cells of two letters one way and one the other, drawn twice as wide (ambictl.cells), in the
   split `symmetry.align` finds: every cell any split can use is drawn at noise code 0 and the
   split whose weakest cell reads best is kept, in `scan_styles`) and the case combinations it
   may be drawn in (`symmetry.case_options`: as typed, or any of a/b, A/B, a/B, A/b), and the word a
   style: one font of the model's style bank, whose glyphs of a and b (b already turned into
   the output's frame) the generator fuses. One font for every cell is what keeps the
   lettering consistent. `style="auto"` draws every cell in every case combination at noise
   code 0 in each of the bank's first AUTO_STYLES fonts and keeps the font whose weakest cell
   reads best (`scan_styles`). `font=PATH` draws in any font file instead: it joins the bank
   as one extra style (`with_font`, from `styles.font_style`), and cells keep only the case
   options the font can draw (`font_options`).
2. K candidates per cell come from K noise codes z (z = 0 first, the generator's "typical"
   answer), split over the cell's case combinations. All cells x all candidates are drawn in
   one pass (`drawing.draw_glyphs`, the first-stage drawing eval and training call too, in
   batches of _BATCH), then read by the recognisers in one pass. Which case combination
   each cell takes is then chosen as a whole (`symmetry.case_choices`, `best_choice`): by
   default each reading keeps one case, the one under which the word's weakest cell reads
   best; the typed case wins unless another reads CASE_MARGIN better.
3. Legibility of a candidate = the lower of its two readings' probabilities, P(a | glyph) and
   P(b | glyph with the symmetry applied), each averaged over the recogniser ensemble
   (RANKINGS["delivered"], the default `ranking`). The recognisers read the glyph roughly as
   it will be delivered (the outline's solid ink: rankers.as_delivered) and among every
   character, case-insensitively, as eval's judge and a reader of a word do: an `a` drawn as
   `A` reads, an `l` that looks like an `I` does not. (Until 2026-12-04 each reading competed
   only within its case class on the soft glyph, RANKINGS["within-case"]: measured, the new
   reading chooses a candidate that reads both ways for 6.8 points more case-free pairs.)
4. Style agreement: the noise codes change the weight of the lettering as well as its shape,
   so cells are also scored on how close their stroke width (2 x ink area / outline) is to one
   stroke width shared by the whole word, chosen jointly with the cells (see `choose`): each
   letter agrees with its neighbours, and the weight cannot drift along the word. The pick
   maximises sum(legibility) - STYLE_WEIGHT x sum |log(stroke / word stroke)|, exactly.
5. Alternatives per cell are ranked by the same objective, near duplicates dropped; `pick`
   chooses among them by index (0 = the automatic choice).

Torch is imported here and nowhere on the CLI's path before a model is needed.
"""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass, field, replace
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np
import torch

from . import atomic, cells, compose, output, vectorize
from . import strokes as strokes_stage
from . import weights as weight_files
from .compose import (
    DEFAULT_CANDIDATES,
    DEFAULT_STROKES,
    OUTPUT_KINDS,
    check_output,
    check_request,
    check_words,
    describe_charset,
    parse_style,
    resolve_style,
)
from .drawing import draw_glyphs
from .errors import DataError, UsageError
from .models import GENERATORS, ModelConfig, build_generator, fast_layout
from .rankers import as_delivered, folded, letter_probability, load_rankers
from .rankers import legibility as robust_legibility
from .readers import ensemble_probability, load_recognizers
from .refine import Refiner, RefinerConfig, shrink
from .styles import FontStyle, font_style
from .symmetry import (
    SYMMETRIES,
    align,
    case_choices,
    case_groups,
    case_options,
    cell_candidates,
    check_case,
    describe_split,
    is_wide_cell,
    pair_cells,
    split_readings,
    transform,
)
from .symmetry import apply as apply_symmetry

MAX_ALTERNATIVES = 8  # per cell, on the contact sheet and for --pick
STYLE_WEIGHT = 0.3  # legibility traded for an e-fold stroke-width jump between neighbours
DUPLICATE = 0.01  # mean |difference| under which two candidates count as the same glyph
_BATCH = 64  # samples per generator / recogniser call: on the CPU small batches stay in cache
# (2.5x faster than 1024 at 32 px) and bound memory for long words
_STROKE_FLOOR = 0.5  # px added to stroke widths before their ratio: blank glyphs stay finite
DEFAULT_HEIGHT = 256
NIB_LETTERS = "ocebdpqnhuOCDQ"  # round and straight strokes in every direction: a pen's contrast
AUTO_STYLES = 4  # styles `style="auto"` tries: the bank's first (plainest) fonts
CASE_MARGIN = 0.1  # legibility another case combination must gain over the typed one
WEAK = 0.5  # a cell whose legibility is under this is reported as weak
# Tracing, by glyph size: a 128 px working resolution, one refinement round. 32 px (the first
# stage): the outline re-rasterised at 32 px keeps IoU >= 0.97 with the bitmap while staying
# smooth. 64 px (the refiner's): three times the blur and twice the tolerance, in 64 px units;
# with 32 px settings a 64 px outline follows every small bump (wobble 2.0x the 32 px trace's
# on the bench words, 1.04x with these; docs/experiments.md).
TRACE = {32: {"upsample": 4, "smooth": 1.0, "refine": 1},
         64: {"upsample": 2, "smooth": 3.0, "tolerance": 0.8, "refine": 1}}


def trace_settings(size: int) -> dict[str, Any]:
    """vectorize.trace's settings for glyphs of `size` px (other sizes: 32 px's settings at
    the same 128 px working resolution)."""
    return TRACE.get(size) or {**TRACE[32], "upsample": max(1, 128 // size)}


# --- the model ------------------------------------------------------------------------------


@dataclass
class Model:
    """A loaded generator model: what make_ambigram needs, in eval mode, on the CPU."""

    config: ModelConfig
    generator: torch.nn.Module
    recognizers: list[torch.nn.Module]
    style_names: list[str]
    style_glyphs: torch.Tensor  # (n_styles, n_chars, 1, S, S) float in [0, 1]
    path: Path | None = None
    meta: dict[str, Any] = field(default_factory=dict)  # how it was trained
    refiner: torch.nn.Module | None = None  # the 64 px second stage (ambictl.refine), if any
    refiner_glyphs: torch.Tensor | None = None  # (n_styles, n_chars, 1, R, R): its references
    # A second generator for cells of two letters one way (`ambictl train --what wide`), if
    # any: it draws those, the first one the single cells.
    wide_generator: torch.nn.Module | None = None
    # The ranking readers (ambictl.rankers), if the file has them (`train --what rankers`).
    rankers: list[torch.nn.Module] = field(default_factory=list)
    ranker_meta: dict[str, Any] = field(default_factory=dict)
    ranking: str = "delivered"  # who ranks the candidates: a key of RANKINGS

    @property
    def chars(self) -> str:
        return self.config.chars

    @cached_property
    def case_groups(self) -> torch.Tensor:
        """Case class of each character: a glyph competes only with its own class."""
        return case_groups(self.chars)


_cache: dict[tuple[str, int, int], Model] = {}


def default_weights() -> Path:
    return weight_files.default_path()


def load_model(path: str | os.PathLike[str] | None = None) -> Model:
    """Load and check a model file (the shipped weights when `path` is None); cached per file.

    Every way a file can be wrong (missing, not ambictl's, damaged, for another model shape)
    is a DataError with one line naming the file.
    """
    shipped = path is None
    p = Path(default_weights() if shipped else path)  # type: ignore[arg-type]
    if not p.is_file():
        if shipped:
            raise DataError(f"the shipped model is missing ({p}); reinstall ambictl or pass "
                            "--weights PATH")
        raise DataError(f"no model file at {p}" if not p.is_dir() else f"{p} is a folder, not a "
                        "model file")
    st = p.stat()
    key = (str(p.resolve()), st.st_mtime_ns, st.st_size)
    if key not in _cache:
        _cache.clear()
        _cache[key] = _build(weight_files.load(p, "model"), p)
    return _cache[key]


def _build(payload: dict[str, Any], path: Path) -> Model:
    def bad(why: str) -> DataError:
        return DataError(f"refusing {path}: {why}")

    missing = [k for k in ("model_config", "generator", "recognizers", "styles")
               if k not in payload]
    if missing:
        raise bad(f"not a generator model (it lacks {', '.join(missing)})")
    try:
        cfg = ModelConfig(**payload["model_config"])
        if not isinstance(cfg.chars, str) or not cfg.chars or len(set(cfg.chars)) != len(cfg.chars):
            raise TypeError("chars")
        if cfg.kind not in GENERATORS:
            raise TypeError("kind")
    except TypeError:
        raise bad("its model configuration is not one this ambictl understands") from None
    try:
        gen = build_generator(cfg)
        gen.load_state_dict(payload["generator"])
        recognizers = load_recognizers(payload["recognizers"], cfg.n_chars)
        wide = None
        if payload.get("wide_generator") is not None:
            wide = build_generator(cfg)
            wide.load_state_dict(payload["wide_generator"])
        ranked = payload.get("rankers")
        rankers = load_rankers(ranked, cfg.n_chars) if ranked is not None else []
    except (RuntimeError, KeyError, TypeError, ValueError, AttributeError):
        raise bad("its networks do not match its configuration (another character set or "
                  "size?)") from None
    styles = payload["styles"]
    glyphs = styles.get("glyphs") if isinstance(styles, dict) else None
    names = styles.get("names") if isinstance(styles, dict) else None
    s = cfg.image_size
    if (not isinstance(glyphs, torch.Tensor) or glyphs.dim() != 4 or glyphs.shape[0] < 1
            or tuple(glyphs.shape[1:]) != (cfg.n_chars, s, s)):
        raise bad(f"its style bank does not hold {cfg.n_chars} glyphs of {s} x {s} px per style")
    if not recognizers:
        raise bad("it holds no recognisers to score candidates with")
    if not isinstance(names, list) or len(names) != glyphs.shape[0]:
        names = [f"style {i}" for i in range(glyphs.shape[0])]
    refiner, refiner_glyphs = _refiner(payload.get("refiner"), cfg, glyphs.shape[0], bad)
    return Model(config=cfg, generator=fast_layout(gen.eval().requires_grad_(False)),
                 recognizers=[fast_layout(r.requires_grad_(False)) for r in recognizers],
                 style_names=[str(n) for n in names], style_glyphs=_unit(glyphs).unsqueeze(2),
                 path=path, meta=payload.get("meta") if isinstance(payload.get("meta"), dict)
                 else {}, refiner=refiner, refiner_glyphs=refiner_glyphs,
                 wide_generator=None if wide is None
                 else fast_layout(wide.eval().requires_grad_(False)),
                 rankers=rankers, ranker_meta=dict(ranked.get("meta", {})) if ranked else {})


def _unit(glyphs: torch.Tensor) -> torch.Tensor:
    """Stored glyphs (uint8 or float) as float in [0, 1]."""
    return (glyphs.float() / (255.0 if glyphs.dtype == torch.uint8 else 1.0)).clamp(0, 1)


def _refiner(entry: object, cfg: ModelConfig, n_styles: int, bad: Any
             ) -> tuple[torch.nn.Module | None, torch.Tensor | None]:
    """The refiner of a model file and its style references, or (None, None) for a file
    without one (weights from before the second stage)."""
    if entry is None:
        return None, None
    try:
        rcfg = RefinerConfig(**entry["config"])  # type: ignore[index]
        if rcfg.chars != cfg.chars:
            raise ValueError("chars")
        net = Refiner(rcfg)
        net.load_state_dict(entry["state"])  # type: ignore[index]
        glyphs = entry["glyphs"]  # type: ignore[index]
        if not isinstance(glyphs, torch.Tensor) or tuple(glyphs.shape) != (
                n_styles, cfg.n_chars, rcfg.size, rcfg.size):
            raise ValueError("glyphs")
    except (RuntimeError, KeyError, TypeError, ValueError, AttributeError):
        raise bad("its refiner does not match its configuration or style bank") from None
    return fast_layout(net.eval().requires_grad_(False)), _unit(glyphs).unsqueeze(2)


# --- what is delivered -----------------------------------------------------------------------


def trace_glyphs(glyphs: compose.Glyphs) -> list[list[vectorize.BezierPath]]:
    """Each glyph (S, S) or (S, 2S) traced as `make` writes it: closed Bézier contours, holes
    kept, with the tracing settings for its height S."""
    return [vectorize.trace(g, threshold=compose.INK, **trace_settings(g.shape[0]))
            for g in compose.as_cells(glyphs)]


def _row(glyphs: list[np.ndarray]) -> np.ndarray | list[np.ndarray]:
    """A word's cells: one (n, S, S) array when every cell is one letter wide, else the list."""
    return np.stack(glyphs) if all(g.shape == glyphs[0].shape for g in glyphs) else glyphs


def offsets(layout: compose.Layout) -> list[tuple[float, float]]:
    """Each cell's top-left corner in the picture."""
    return [(float(x), float(layout.top)) for x in layout.xs]


def delivered(outlines: list[list[vectorize.BezierPath]], layout: compose.Layout,
              scale: float = 1.0) -> tuple[np.ndarray | list[np.ndarray], np.ndarray]:
    """What a reader of `make`'s SVG or PNG sees: each cell's outline rasterised back at the
    cell's size, and the whole picture rendered from the outlines at `scale` x the layout's
    size (the PNG `make` writes at that height). `eval` reads exactly these. The cells are one
    (n, S, S) float32 array when every cell is square, else a list of (S, W_i) float32 arrays
    (a double-width cell is (S, 2S))."""
    cells = [vectorize.rasterize(o, (layout.size, w)).astype(np.float32)
             for o, w in zip(outlines, layout.widths, strict=True)]
    picture = output.coverage(outlines, offsets(layout), layout.width, layout.height,
                              round(layout.height * scale))
    return _row(cells), picture


# --- results --------------------------------------------------------------------------------


@dataclass
class GlyphScore:
    """How one cell's glyph scores: each reading's probability, legibility, style agreement."""

    cell: int
    upright: str  # the character read as it is
    turned: str  # the character read with the symmetry applied
    p_upright: float
    p_turned: float
    legibility: float  # the weaker reading (the rankers: averaged over renderings, see rankers)
    stroke: float  # stroke width, px
    style: float  # agreement of its stroke width with the word's, 1 = identical
    score: float  # legibility - STYLE_WEIGHT x |log(stroke / word stroke)|: what is maximised
    pick: int  # index among the alternatives
    alternatives: int  # how many (distinct) alternatives there were
    typed_case: bool = True  # drawn in the case the user typed
    strokes: bool = False  # delivered as pen strokes (ambictl.strokes), not the bitmap's trace


@dataclass
class Ambigram:
    """A finished ambigram: its glyphs, scores and alternatives, and ways to save it.

    `glyphs` float32 in [0, 1] are the chosen cells left to right: (n, S, S), or for words
    of different lengths a list of (S, S) and (S, 2S) cells (a cell holding two letters one
    way, ambictl.cells); `bitmap` is the composed picture; `to_svg`/`to_png`/`save` draw it
    from traced vector outlines.
    """

    word1: str
    word2: str
    symmetry: str
    style: int | None  # index into the model's style bank; None when drawn in `font`
    style_name: str
    seed: int
    candidates: int
    case: str
    pairs: list[tuple[str, str]]  # (upright, turned) letters of each cell, as drawn: one
    # each, or two one way and one the other (symmetry.align)
    glyphs: np.ndarray | list[np.ndarray]
    scores: list[GlyphScore]
    alternatives: list[np.ndarray] = field(repr=False)
    alternative_scores: list[np.ndarray] = field(repr=False)
    alternative_pairs: list[list[tuple[str, str]]] = field(repr=False)
    stroke: float = 0.0  # the word's common stroke width, px
    style_scan: list[tuple[int, str, float]] = field(default_factory=list)  # style auto:
    # (style, name, weakest cell at noise code 0), best first; empty when the style was given
    font: str | None = None  # the font file drawn in (make --font), else None
    # Per cell, the outline of its pen strokes where it takes them (make --strokes), else None.
    stroke_outlines: list[list[vectorize.BezierPath] | None] = field(default_factory=list,
                                                                     repr=False)

    @property
    def drawn(self) -> tuple[str, str]:
        """The two readings letter for letter, in the case each cell was drawn in."""
        return split_readings(self.pairs, self.symmetry)

    @property
    def weak(self) -> list[GlyphScore]:
        """Cells that read poorly (legibility under WEAK)."""
        return [s for s in self.scores if s.legibility < WEAK]

    @property
    def picks(self) -> tuple[int, ...]:
        return tuple(s.pick for s in self.scores)

    @property
    def legibility(self) -> float:
        """The weakest cell's legibility: a word is as readable as its worst letter."""
        return min(s.legibility for s in self.scores)

    @cached_property
    def layout(self) -> compose.Layout:
        return compose.layout(self.glyphs)

    @cached_property
    def bitmap(self) -> np.ndarray:
        """The picture as it is (reads word1)."""
        return compose.compose(self.glyphs, self.layout)

    def turned(self) -> np.ndarray:
        """The picture with the symmetry applied (reads word2)."""
        return np.ascontiguousarray(apply_symmetry(self.bitmap, self.symmetry))

    @cached_property
    def outlines(self) -> list[list[vectorize.BezierPath]]:
        """Each glyph traced into smooth closed Bézier contours (cell coordinates, holes kept),
        or for a cell drawn in pen strokes, their outline."""
        traced = trace_glyphs(self.glyphs)
        return [s if s is not None else t for s, t in
                zip(self.stroke_outlines or [None] * len(traced), traced, strict=True)]

    @property
    def offsets(self) -> list[tuple[float, float]]:
        return offsets(self.layout)

    def delivered(self, scale: float = 1.0) -> tuple[np.ndarray | list[np.ndarray], np.ndarray]:
        """What a reader of the SVG or PNG sees; see `delivered`."""
        return delivered(self.outlines, self.layout, scale)

    @property
    def title(self) -> str:
        how = {"rotate": "turned 180°", "mirror": "in a mirror", "flip": "upside down"}
        return f"{self.word1} / {self.word2} ({how[self.symmetry]})"

    def to_svg(self, *, color: str = "black", background: str | None = None,
               height: int = DEFAULT_HEIGHT) -> str:
        """SVG text: one even-odd `<path>` per glyph, a viewBox, a title with both readings."""
        fg = output.parse_color(color, "color", allow_none=False)
        bg = output.parse_color(background, "background", allow_none=True)
        return output.svg_document(self.outlines, self.offsets, self.layout.width,
                                   self.layout.height, title=self.title, color=fg,  # type: ignore
                                   background=bg, px_height=output.check_height(height))

    def to_png(self, *, color: str = "black", background: str | None = None,
               height: int = DEFAULT_HEIGHT) -> bytes:
        """Anti-aliased RGBA PNG `height` px tall, rendered from the vector outlines."""
        fg = output.parse_color(color, "color", allow_none=False)
        bg = output.parse_color(background, "background", allow_none=True)
        cov = output.coverage(self.outlines, self.offsets, self.layout.width, self.layout.height,
                              output.check_height(height))
        return output.png_bytes(cov, color=fg, background=bg)  # type: ignore[arg-type]

    def save(self, path: str | os.PathLike[str], *, color: str = "black",
             background: str | None = None, height: int = DEFAULT_HEIGHT) -> Path:
        """Write .svg or .png (by extension) atomically: the file appears complete or not at
        all, and an existing one is replaced only then."""
        p = check_output(path)
        look = {"color": color, "background": background, "height": height}
        data = (self.to_svg(**look).encode() if OUTPUT_KINDS[p.suffix.lower()] == "svg"
                else self.to_png(**look))
        try:
            atomic.write_bytes(p, data)
        except OSError as e:  # disk full, folder removed meanwhile...: nothing half-written
            raise UsageError(f"cannot write {p}: {e.strerror or e}") from None
        return p

    def advice(self) -> list[str]:
        """What the style search chose, which cells read poorly and what to try: lines for a
        person (make prints them on stderr)."""
        lines = []
        if any(is_wide_cell(cell) for cell in self.pairs):
            lines.append(f"cells: {describe_split(self.pairs, self.symmetry)} (a cell with two "
                         "letters one way and one the other is drawn twice as wide)")
        if len(self.style_scan) > 1:
            (_, _, best), (st, name, second) = self.style_scan[0], self.style_scan[1]
            lines.append(f"style {self.style} ({self.style_name}) read best of the "
                         f"{len(self.style_scan)} tried: weakest letter {best:.2f} at noise "
                         f"code 0, against {second:.2f} for style {st} ({name})")
        if self.weak:
            cells = ", ".join(f"{s.cell + 1} ({s.upright} / {s.turned}, {s.legibility:.2f})"
                              for s in self.weak)
            other = ("another --font, or none (the model's own styles)" if self.font else
                     "--style N (another font)" if not self.style_scan else
                     f"--style {self.style_scan[1][0]} (the runner-up)"
                     if len(self.style_scan) > 1 else "--style N")
            lines.append(f"weak letter{'s' if len(self.weak) > 1 else ''} (legibility under "
                         f"{WEAK}): {cells}; try {other}, --seed N, --candidates 64, --case cell, "
                         "or --sheet sheet.png and --pick to choose by eye")
        return lines

    def preview(self, columns: int = 80) -> str:
        """Half-block terminal rendering, as it is and with the symmetry applied."""
        how = {"rotate": "turned", "mirror": "mirrored", "flip": "flipped"}[self.symmetry]
        return (f"{self.word1} (as it is)\n{output.preview_text(self.bitmap, columns)}\n"
                f"{self.word2} ({how})\n{output.preview_text(self.turned(), columns)}")

    def delivered_alternatives(self) -> list[np.ndarray]:
        """Every cell's alternatives (M, S, W) as delivered: traced and rasterised back."""
        return [np.stack([vectorize.rasterize(o, g.shape)
                          for o, g in zip(trace_glyphs(alts), alts, strict=True)])
                for alts in self.alternatives]

    def sheet_png(self) -> bytes:
        """Contact sheet of every cell's alternatives, upright and turned; see output.sheet_png."""
        return output.sheet_png(self.delivered_alternatives(), self.alternative_scores,
                                self.alternative_pairs, self.picks, self.symmetry)

    def report(self) -> dict[str, Any]:
        """Everything about the result as plain JSON-able data."""
        return {"word1": self.word1, "word2": self.word2, "symmetry": self.symmetry,
                "style": self.style, "style_name": self.style_name, "font": self.font,
                "seed": self.seed,
                "candidates": self.candidates, "case": self.case, "drawn": list(self.drawn),
                "style_scan": [{"style": st, "name": name, "weakest": round(v, 4)}
                               for st, name, v in self.style_scan],
                "split": describe_split(self.pairs, self.symmetry),
                "legibility": round(self.legibility, 4),
                "stroke": round(self.stroke, 3),
                "picks": list(self.picks),
                "size": {"width": self.layout.width, "height": self.layout.height},
                "glyphs": [{k: round(v, 4) if isinstance(v, float) else v
                            for k, v in asdict(s).items()} for s in self.scores]}


# --- generation and scoring ------------------------------------------------------------------


def _noise(k: int, z_dim: int, seed: int) -> torch.Tensor:
    """K noise codes from `seed`: the first is 0 (the generator's central answer)."""
    g = torch.Generator().manual_seed(seed)
    z = torch.randn(k, z_dim, generator=g)
    z[0] = 0
    return z


def cell_options(pairs: list[tuple[str, str]], case: str, chars: str
                 ) -> list[list[tuple[str, str]]]:
    """Per cell, the (upright, turned) characters it may be drawn as (typed first)."""
    out = []
    for i, (a, b) in enumerate(pairs):
        opts = [o for o in case_options(a, b, case) if all(c in chars for c in o[0] + o[1])]
        if not opts:
            raise UsageError(f"letter {i + 1} ({a} / {b}) has no {case}-case form in the model "
                             f"({describe_charset(chars)})")
        out.append(opts)
    return out


def font_options(options: list[list[tuple[str, str]]], font: FontStyle
                 ) -> list[list[tuple[str, str]]]:
    """`options` (cell_options) less those using a character `font` cannot draw. The typed
    option (each cell's first: as typed, or as --case upper/lower folds it) must remain: a
    letter the word needs that the font lacks is a UsageError naming the font and the letters."""
    font.lacking("".join(c for opts in options for c in opts[0]))
    return [[o for o in opts if not any(c in font.missing for c in o)] for opts in options]


def with_font(model: Model, font: FontStyle) -> Model:
    """`model` with `font` as one more style, the last of its bank (the model is not changed)."""
    glyphs = font.glyphs.to(model.style_glyphs.dtype)[None]
    if glyphs.shape[1:] != model.style_glyphs.shape[1:]:
        raise UsageError(f"the style from {font.spec} was built for another model "
                         f"({tuple(glyphs.shape[1:])} glyphs, not "
                         f"{tuple(model.style_glyphs.shape[1:])})")
    refs = model.refiner_glyphs
    if refs is not None:
        refs = torch.cat([refs, shrink(font.source.to(refs.dtype), refs.shape[-1])[None]])
    return replace(model, style_glyphs=torch.cat([model.style_glyphs, glyphs]),
                   style_names=[*model.style_names, font.name], refiner_glyphs=refs)


def refine(model: Model, glyphs: np.ndarray, pairs: list[tuple[str, str]],
           style: int | list[int], symmetry: str) -> np.ndarray:
    """First-stage glyphs (R, S, S) of cells (upright, turned) redrawn by the model's refiner
    at its size (R, 64, 64), in the style's (or each row's style's) 64 px references;
    unchanged without a refiner."""
    if model.refiner is None or model.refiner_glyphs is None or not len(glyphs):
        return glyphs
    a = torch.tensor([model.chars.index(p[0]) for p in pairs])
    b = torch.tensor([model.chars.index(p[1]) for p in pairs])
    st = torch.tensor(style).expand(len(a))
    sym = torch.full_like(a, SYMMETRIES.index(symmetry))
    x = torch.from_numpy(np.ascontiguousarray(glyphs, np.float32))[:, None]
    refs, outs = model.refiner_glyphs, []
    with torch.inference_mode():
        for i in range(0, len(a), _BATCH):
            j = slice(i, i + _BATCH)
            outs.append(model.refiner(x[j], refs[st[j], a[j]],
                                      transform(refs[st[j], b[j]], symmetry), a[j], b[j], sym[j]))
    return torch.cat(outs)[:, 0].clamp(0, 1).numpy()


def _as_delivered(model: Model, x: torch.Tensor, a: torch.Tensor, b: torch.Tensor,
                  symmetry: str) -> tuple[torch.Tensor, torch.Tensor]:
    """`make`'s ranking: the recognisers read the glyph roughly as delivered (its outline's
    solid ink, rankers.as_delivered), among every character and case-insensitively, as eval's
    judge and a person read a word; legibility is the weaker reading (docs/experiments.md,
    "How make ranks": 66.9 % of case-free pairs chosen to read both ways, against 60.1 %
    read within each case on the soft glyph)."""
    fold = folded(model.chars)
    p = cells.reading_probability(
        lambda v, y: letter_probability(model.recognizers, fold, v, y, _BATCH),
        as_delivered(x), a, b, symmetry)
    return p, p.min(0).values


def _within_case(model: Model, x: torch.Tensor, a: torch.Tensor, b: torch.Tensor,
                 symmetry: str) -> tuple[torch.Tensor, torch.Tensor]:
    """The ranking before 2026-12-04 (eval's "old ranking"): the recognisers read the soft
    glyph, each reading within its case group; legibility is the weaker reading."""
    p = cells.reading_probability(
        lambda v, y: ensemble_probability(model.recognizers, model.case_groups, v, y, _BATCH),
        x, a, b, symmetry)
    return p, p.min(0).values


def _by_rankers(model: Model, x: torch.Tensor, a: torch.Tensor, b: torch.Tensor,
                symmetry: str) -> tuple[torch.Tensor, torch.Tensor]:
    """The ranking readers' robust reading (ambictl.rankers.legibility), for weights that
    carry them: as delivered, among both cases, averaged over small changes of rendering.
    Measured, it chose worse than `_as_delivered` (docs/experiments.md)."""
    return robust_legibility(model.rankers, model.chars, x, a, b, symmetry, batch=_BATCH)


NO_RANKERS = ("these weights have no ranking readers (train them with: ambictl train DATA -o RUN "
              "--what rankers --weights W)")
# Who reads `make`'s candidates to rank them (Model.ranking, make_ambigram's `ranking`).
RANKINGS = {"delivered": _as_delivered, "within-case": _within_case, "rankers": _by_rankers}


def _read(model: Model, rows: list[tuple[str, str, int, int]], z: torch.Tensor, symmetry: str
          ) -> tuple[list[np.ndarray], np.ndarray, np.ndarray]:
    """Draw and read rows (upright text, turned text, style, code index), texts of one or two
    letters (ambictl.cells): glyphs (S, W) per row, (2, R) each reading's probability and (R,)
    each row's legibility (`score`); cells of each width are drawn in one pass, wide ones by
    the model's wide-cell generator where it has one."""
    glyphs: list[np.ndarray] = [np.zeros(0)] * len(rows)
    wide = np.array([is_wide_cell(r[:2]) for r in rows], bool)
    wide_generator = model.generator if model.wide_generator is None else model.wide_generator
    for part, generator in ((np.flatnonzero(~wide), model.generator),
                            (np.flatnonzero(wide), wide_generator)):
        if not len(part):
            continue
        a = cells.index(model.chars, [rows[i][0] for i in part])
        b = cells.index(model.chars, [rows[i][1] for i in part])
        style = torch.tensor([rows[i][2] for i in part])
        drawn = draw_glyphs(generator, model.style_glyphs, a, b, style, symmetry,
                            z[[rows[i][3] for i in part]], _BATCH)
        for i, g in zip(part, drawn[:, 0].numpy(), strict=True):
            glyphs[i] = g
    p, legible = score(model, glyphs, [r[:2] for r in rows], symmetry)
    return glyphs, p, legible


def score(model: Model, glyphs: list[np.ndarray], texts: list[tuple[str, str]], symmetry: str
          ) -> tuple[np.ndarray, np.ndarray]:
    """How glyphs (S, W) of cells (upright text, turned text) read, as RANKINGS[model.ranking]
    reads them: (2, R) each reading's probability and (R,) the legibility; cells of each width
    read in one pass."""
    p, legible = np.zeros((2, len(glyphs))), np.zeros(len(glyphs))
    for width in sorted({g.shape[-1] for g in glyphs}):
        part = [i for i, g in enumerate(glyphs) if g.shape[-1] == width]
        x = torch.from_numpy(np.stack([glyphs[i] for i in part]).astype(np.float32))[:, None]
        a = cells.index(model.chars, [texts[i][0] for i in part])
        b = cells.index(model.chars, [texts[i][1] for i in part])
        with torch.inference_mode():
            pp, ll = RANKINGS[model.ranking](model, x, a, b, symmetry)
        p[:, part], legible[part] = pp.numpy(), ll.numpy()
    return p, legible


def _case_penalty(option: np.ndarray) -> np.ndarray:
    """What a candidate's legibility loses in the objective for not being drawn in the typed
    case (option 0); padding (-1) is never chosen."""
    return np.where(option < 0, np.inf, np.where(option > 0, CASE_MARGIN, 0.0))


def _per_option(objective: np.ndarray, option: np.ndarray, n_options: int) -> np.ndarray:
    """(n, O): each cell's best objective among its candidates of each case option."""
    best = np.full((objective.shape[0], n_options), -np.inf)
    for o in range(n_options):
        best[:, o] = np.where(option == o, objective, -np.inf).max(axis=-1)
    return best


def best_choice(best: np.ndarray, choices: list[list[int]]) -> tuple[int, float]:
    """The case choice (symmetry.case_choices) whose weakest cell reads best, and that value;
    `best` (n, O) is per cell and option. Ties go to the first (the typed case)."""
    weakest = [min(best[i].max() if o < 0 else best[i, o] for i, o in enumerate(ch))
               for ch in choices]
    k = int(np.argmax(weakest))
    return k, float(weakest[k])


def _each_option(model: Model, options: list[list[tuple[str, str]]], styles: list[int],
                 codes: list[int], z: torch.Tensor, symmetry: str
                 ) -> list[tuple[list[np.ndarray], np.ndarray]]:
    """Each cell drawn in every one of its case options (cell i in style styles[i], noise code
    z[codes[i]]), all in one batch: per cell, its glyphs (one per option) and each option's
    objective (legibility, less CASE_MARGIN where not in the typed case)."""
    rows = [(a, b, st, k) for opts, st, k in zip(options, styles, codes, strict=True)
            for a, b in opts]
    glyphs, _, legible = _read(model, rows, z, symmetry)
    out, r = [], 0
    for opts in options:
        n = len(opts)
        out.append((glyphs[r:r + n], legible[r:r + n] - _case_penalty(np.arange(n))))
        r += n
    return out


def scan_styles(model: Model, word1: str, word2: str, symmetry: str, case: str,
                styles: list[int], font: FontStyle | None = None
                ) -> list[tuple[float, list[tuple[str, str]]]]:
    """Per style: the cells (symmetry.align: the split of words of different lengths; one
    letter per cell for equal ones) and the weakest cell's objective under the best case
    choice, every cell any split can use drawn at noise code 0 in each style in one batch:
    the cheap first look that `style="auto"` ranks the styles by and that chooses a split."""
    candidates = cell_candidates(word1, word2, symmetry)
    options = cell_options(candidates, case, model.chars)
    if font is not None:
        options = font_options(options, font)
    choices = case_choices(options, case)
    n = len(candidates)
    drawn = _each_option(model, options * len(styles), [s for s in styles for _ in options],
                         [0] * (n * len(styles)), torch.zeros(1, model.config.z_dim), symmetry)
    out = []
    for k in range(len(styles)):
        best = np.full((n, max(len(o) for o in options)), -np.inf)
        for i, (_, score) in enumerate(drawn[k * n:(k + 1) * n]):
            best[i, :len(score)] = score
        found: tuple[float, list[tuple[str, str]]] | None = None
        for choice in choices:
            value = {c: best[i].max() if o < 0 else best[i, o]
                     for i, (c, o) in enumerate(zip(candidates, choice, strict=True))}
            split = align(word1, word2, symmetry, value)
            weakest = min(value[c] for c in split)
            if found is None or weakest > found[0]:  # ties: the first (typed) choice
                found = (float(weakest), split)
        assert found is not None
        out.append(found)
    return out


def best_case(model: Model, pairs: list[tuple[str, str]], symmetry: str, styles: list[int],
              z: torch.Tensor) -> np.ndarray:
    """Glyphs (n, S, S) of single cells, each in its best case combination as `make` ranks
    them (noise code z[style] per cell): what `eval` measures case freedom with."""
    drawn = _each_option(model, cell_options(pairs, "cell", model.chars), styles, styles, z,
                         symmetry)
    return np.stack([glyphs[int(np.argmax(score))] for glyphs, score in drawn])


@dataclass
class _Candidates:
    """Every candidate of every cell in one style, padded to M per cell."""

    glyphs: list[np.ndarray]  # per cell (M, S, W): W = 2S for a wide cell
    p: np.ndarray  # (2, n, M): as it is, turned
    legible: np.ndarray  # (n, M): legibility (`_read`)
    option: np.ndarray  # (n, M) index into the cell's options; -1 = padding

    @property
    def stroke(self) -> np.ndarray:
        """(n, M) stroke width of every candidate, px."""
        return np.stack([compose.stroke_width(g) for g in self.glyphs])


def _candidates(model: Model, options: list[list[tuple[str, str]]], symmetry: str, style: int,
                z: torch.Tensor) -> _Candidates:
    """`len(z)` candidates per cell, split evenly over its case options (option-major, so ties
    go to the typed case and to z = 0)."""
    per = [[(o, k) for o in range(len(opts)) for k in range(-(-len(z) // len(opts)))]
           for opts in options]
    m = max(len(c) for c in per)
    rows = [(*options[i][o], style, k) for i, c in enumerate(per) for o, k in c]
    glyphs, p, legible = _read(model, rows, z, symmetry)
    n = len(options)
    out = _Candidates([], np.zeros((2, n, m)), np.zeros((n, m)), np.full((n, m), -1))
    r = 0
    for i, c in enumerate(per):
        drawn = np.stack(glyphs[r:r + len(c)]).astype(np.float32)
        out.glyphs.append(np.concatenate([drawn, np.zeros((m - len(c), *drawn.shape[1:]),
                                                          np.float32)]))
        out.p[:, i, :len(c)] = p[:, r:r + len(c)]
        out.legible[i, :len(c)] = legible[r:r + len(c)]
        out.option[i, :len(c)] = [o for o, _ in c]
        r += len(c)
    return out


def _log_stroke(stroke: np.ndarray) -> np.ndarray:
    return np.log(stroke + _STROKE_FLOOR)


def choose(legibility: np.ndarray, stroke: np.ndarray, weight: float = STYLE_WEIGHT
           ) -> tuple[list[int], float]:
    """Candidate per cell, and the word's stroke width, maximising
    sum over cells of legibility - weight x |log(stroke / word stroke)|.

    One stroke width for the whole word, chosen jointly with the cells, rather than agreement
    between neighbours only: pairwise terms let the weight drift along the word (bold at one
    end, light at the other) one small step at a time. The word's width is searched over the
    quantiles of the candidates' widths; given it, each cell's best candidate is independent.
    Ties go to the lower index, i.e. towards z = 0. Candidates of legibility -inf (padding)
    are never chosen.
    """
    logs = _log_stroke(stroke)
    targets = np.unique(np.quantile(logs[np.isfinite(legibility)], np.linspace(0.0, 1.0, 65)))
    objective = legibility[None] - weight * np.abs(logs[None] - targets[:, None, None])
    best = int(objective.max(axis=2).sum(axis=1).argmax())
    return ([int(k) for k in objective[best].argmax(axis=1)],
            float(np.exp(targets[best]) - _STROKE_FLOOR))


def _local(legibility: np.ndarray, stroke: np.ndarray, word_stroke: float, i: int,
           weight: float = STYLE_WEIGHT) -> tuple[np.ndarray, np.ndarray]:
    """Objective of every candidate of cell i, and its style agreement (1 = the word's width)."""
    d = np.abs(_log_stroke(stroke[i]) - _log_stroke(np.float64(word_stroke)))
    return legibility[i] - weight * d, np.exp(-d)


def _rank(cands: np.ndarray, local: np.ndarray, first: int) -> list[int]:
    """Indices of distinct candidates, `first` (the choice) then by objective, at most
    MAX_ALTERNATIVES."""
    order = [first] + [int(j) for j in np.argsort(-local, kind="stable")
                       if j != first and np.isfinite(local[j])]
    kept: list[int] = []
    for j in order:
        if all(np.abs(cands[j] - cands[q]).mean() > DUPLICATE for q in kept):
            kept.append(j)
            if len(kept) == MAX_ALTERNATIVES:
                break
    return kept


_nibs: dict[tuple[int, int], strokes_stage.Nib] = {}


def style_nib(model: Model, style: int) -> strokes_stage.Nib:
    """The pen of a style: its contrast and nib angle fitted to the font's own stroke widths
    (strokes.fit_nib, on NIB_LETTERS drawn at 64 px), cached per bank and style."""
    key = (id(model.style_glyphs), style)
    if key not in _nibs:
        idx = [model.chars.index(c) for c in NIB_LETTERS if c in model.chars]
        big = torch.nn.functional.interpolate(model.style_glyphs[style, idx], scale_factor=2,
                                              mode="bilinear", align_corners=False)
        nib = strokes_stage.fit_nib(big[:, 0].numpy())
        _nibs[key] = nib.scaled(0.5)  # back in the 32 px frame (only its shape is used)
    return _nibs[key]


def draw_strokes(model: Model, glyphs: list[np.ndarray], texts: list[tuple[str, str]],
                 symmetry: str, style: int, seed: int, mode: str
                 ) -> dict[int, tuple[np.ndarray, list[vectorize.BezierPath], float, float,
                                      float]]:
    """The cells that take pen strokes (make's `strokes`: every cell for "on"; for "auto" the
    cells whose strokes read at least as well as their glyph, `stroke_choice`), each as (its
    bitmap, its outline, P(upright), P(turned), legibility) as the ranking reads them."""
    if mode == "off":
        return {}
    pen = strokes_stage.stroke_cells(glyphs, texts, symmetry, model.recognizers, model.chars,
                                     style_nib(model, style), seed=seed)
    p, legible = score(model, pen.bitmaps, texts, symmetry)
    take = np.ones(len(glyphs), bool) if mode == "on" else \
        stroke_choice(model, glyphs, pen.bitmaps, texts, symmetry)
    return {i: (pen.bitmaps[i], pen.outlines[i], float(p[0, i]), float(p[1, i]),
                float(legible[i])) for i in np.flatnonzero(take)}


def stroke_choice(model: Model, glyphs: list[np.ndarray], pen: list[np.ndarray],
                  texts: list[tuple[str, str]], symmetry: str) -> np.ndarray:
    """(n,) bool: the cells whose pen strokes read at least as well as the generator's glyph.
    The strokes were moved to please the recognisers, so the recognisers would favour them:
    where the weights carry ranking readers (which neither the generator nor the strokes ever
    saw), they decide, reading both robustly (rankers.legibility); else the ranking does."""
    chooser = replace(model, ranking="rankers") if model.rankers else model
    legible = score(chooser, [*glyphs, *pen], texts * 2, symmetry)[1]
    return legible[len(glyphs):] >= legible[:len(glyphs)]


def make_ambigram(word1: str, word2: str | None = None, *, symmetry: str = "rotate",
                  seed: int = 0, candidates: int = DEFAULT_CANDIDATES, style: int | str = "auto",
                  case: str = "auto", pick: str | list[int] | tuple[int, ...] | None = None,
                  weights: str | os.PathLike[str] | Model | None = None, refined: bool = True,
                  font: str | os.PathLike[str] | FontStyle | None = None,
                  ranking: str = "delivered", strokes: str = DEFAULT_STROKES) -> Ambigram:
    """An ambigram reading `word1` as it is and `word2` (default: word1) after `symmetry`.

    symmetry: "rotate" (180 degrees), "mirror" (left-right) or "flip" (upside down).
    seed: makes the result reproducible byte for byte. candidates: glyphs tried per cell,
    split over its case options. style: "auto" (the best of the first AUTO_STYLES styles for
    this word), an index into the model's style bank or a style's name. case: "word" (= "auto":
    each reading in one case, the combination whose weakest cell reads best), "cell" (each cell
    in whichever case combination reads best), "keep", "upper" or "lower"; the typed case wins
    unless another reads CASE_MARGIN better. pick: one alternative index per cell (0 = the
    automatic choice; see Ambigram.sheet_png). weights: a model file or loaded Model (default:
    the shipped weights). font: draw in this font file instead of the bank's styles ('PATH' or
    'PATH#N' for face N of a collection; or a styles.FontStyle), with style "auto" only; case
    options the font cannot draw are dropped. refined: redraw the chosen glyphs (and their
    alternatives) at 64 px with the model's refiner, when it has one (scores are the first
    stage's). ranking: who ranks the candidates (RANKINGS): "delivered" (the recognisers
    reading the glyph as delivered, among both cases), "within-case" (as before 2026-12-04)
    or "rankers" (the model's ranking readers, for weights that have them). strokes: redraw
    each chosen glyph as a few smooth pen strokes refined to read both ways (ambictl.strokes):
    "on" for every cell, "auto" where the strokes read at least as well as the glyph
    (`ranking`'s reading, as delivered), "off" never.

    Raises UsageError for bad input and DataError for a missing or broken model file.
    """
    w1, w2, picks = check_request(word1, word2, symmetry=symmetry, candidates=candidates,
                                  seed=seed, style=style, case=case, pick=pick, font=font,
                                  strokes=strokes)
    model = weights if isinstance(weights, Model) else load_model(weights)
    if ranking not in RANKINGS:
        raise UsageError(f"unknown ranking {ranking!r}: choose one of {', '.join(RANKINGS)}")
    if ranking == "rankers" and not model.rankers:
        raise UsageError(NO_RANKERS)
    model = replace(model, ranking=ranking)
    check_words(w1, w2, model.chars)
    chosen_style = resolve_style(parse_style(style), model.style_names)
    if font is not None:
        if not isinstance(font, FontStyle):
            font = font_style(font, model.chars, model.config.image_size)
        model = with_font(model, font)
        chosen_style = len(model.style_names) - 1
    pairs = pair_cells(w1, w2, symmetry) if len(w1) == len(w2) else None
    with torch.inference_mode():
        scan: list[tuple[int, str, float]] = []
        if chosen_style == "auto" or pairs is None:  # a style to choose, or a split
            tried = list(range(min(AUTO_STYLES, len(model.style_names)))) \
                if chosen_style == "auto" else [chosen_style]
            looks = scan_styles(model, w1, w2, symmetry, case, tried, font)
            if chosen_style == "auto":
                scan = sorted(((s, model.style_names[s], v) for s, (v, _) in
                               zip(tried, looks, strict=True)), key=lambda t: (-t[2], t[0]))
                chosen_style = scan[0][0]
            pairs = looks[tried.index(chosen_style)][1]
        assert isinstance(chosen_style, int)
        options = cell_options(pairs, case, model.chars)
        if font is not None:
            options = font_options(options, font)
        if picks is not None and len(picks) != len(pairs):
            raise UsageError(f"--pick has {len(picks)} indices; the words were split into "
                             f"{len(pairs)} cells ({describe_split(pairs, symmetry)}): give one "
                             "per cell")
        cands = _candidates(model, options, symmetry, chosen_style,
                            _noise(candidates, model.config.z_dim, seed))
    choices = case_choices(options, case)
    p_up, p_turn = cands.p
    legible = cands.legible
    objective = legible - _case_penalty(cands.option)  # what is maximised
    n_opt = max(len(o) for o in options)
    choice = choices[best_choice(_per_option(objective, cands.option, n_opt), choices)[0]]
    # The case choice fixes these cells' case; their candidates stay alternatives for --pick,
    # ranked after every candidate in the chosen case.
    outside = np.array([[c >= 0 and o != c for o in row] for c, row in
                        zip(choice, cands.option, strict=True)])
    stroke = cands.stroke
    chosen, word_stroke = choose(np.where(outside, -np.inf, objective), stroke)

    alternatives, alt_scores, alt_pairs, ranked = [], [], [], []
    for i in range(len(options)):
        local, _ = _local(objective, stroke, word_stroke, i)
        keep = _rank(cands.glyphs[i], local - 2.0 * outside[i], chosen[i])
        ranked.append(keep)
        alternatives.append(cands.glyphs[i][keep])
        alt_scores.append(local[keep])
        alt_pairs.append([options[i][cands.option[i, k]] for k in keep])
    if picks is not None:
        for i, (pk, keep) in enumerate(zip(picks, ranked, strict=True)):
            if pk >= len(keep):
                raise UsageError(f"--pick index {pk} for letter {i + 1} is out of range: it has "
                                 f"{len(keep)} alternative{'s' if len(keep) > 1 else ''} "
                                 f"(0 to {len(keep) - 1})")
    picks = picks or (0,) * len(options)
    final = [keep[pk] for keep, pk in zip(ranked, picks, strict=True)]
    first = [cands.glyphs[i][k] for i, k in enumerate(final)]  # the first stage's choice
    texts = [options[i][cands.option[i, k]] for i, k in enumerate(final)]
    drawn_strokes = draw_strokes(model, first, texts, symmetry, chosen_style, seed, strokes)
    narrow = all(a.shape[-1] == a.shape[-2] for a in alternatives)
    if refined and model.refiner is not None and narrow and not drawn_strokes:  # every
        # alternative, one batch (the refiner draws single cells only: a word with wide cells
        # keeps the first stage; pen strokes are drawn from the first stage's glyphs)
        cut = np.cumsum([len(a) for a in alternatives])[:-1]
        alternatives = np.split(refine(model, np.concatenate(alternatives),
                                       [p for ps in alt_pairs for p in ps], chosen_style,
                                       symmetry), cut)

    scores = []
    for i, (k, pk) in enumerate(zip(final, picks, strict=True)):
        local, agreement = _local(objective, stroke, word_stroke, i)
        ch_a, ch_b = texts[i]
        pen = drawn_strokes.get(i)
        pu, pt, leg = ((float(p_up[i, k]), float(p_turn[i, k]), float(legible[i, k]))
                       if pen is None else pen[2:])
        scores.append(GlyphScore(
            cell=i, upright=ch_a, turned=ch_b, p_upright=pu, p_turned=pt, legibility=leg,
            stroke=float(stroke[i, k]), style=float(agreement[k]), score=float(local[k]),
            pick=pk, alternatives=len(ranked[i]), typed_case=bool(cands.option[i, k] == 0),
            strokes=pen is not None))
    delivered_glyphs = [a[pk] for a, pk in zip(alternatives, picks, strict=True)]
    for i, pen in drawn_strokes.items():
        delivered_glyphs[i] = pen[0]
    return Ambigram(word1=w1, word2=w2, symmetry=symmetry,
                    style=None if font is not None else chosen_style,
                    style_name=model.style_names[chosen_style], seed=seed,
                    candidates=candidates, case=check_case(case),
                    pairs=[(s.upright, s.turned) for s in scores],
                    glyphs=_row(delivered_glyphs),
                    scores=scores,
                    alternatives=alternatives, alternative_scores=alt_scores,
                    alternative_pairs=alt_pairs, stroke=word_stroke, style_scan=scan,
                    font=font.spec if isinstance(font, FontStyle) else None,
                    stroke_outlines=[drawn_strokes[i][1] if i in drawn_strokes else None
                                     for i in range(len(scores))])


__all__ = ["Ambigram", "GlyphScore", "Model", "load_model", "make_ambigram"]

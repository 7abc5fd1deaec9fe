"""`make_ambigram`: two words in, a scored, symmetric ambigram out (the API behind `ambictl make`).

How a word is made:

1. Each cell gets a pair (a, b) (see `compose.pair_cells`) and the same style: one font of the
   model's style bank, whose glyphs of a and b (b already turned into the output's frame) the
   generator fuses. One font for every cell is what keeps the lettering consistent.
2. K candidates per cell come from K noise codes z (z = 0 first, the generator's "typical"
   answer; the same K codes for every cell). All cells x all candidates go through the generator
   in one batch, then through the recognisers in one batch.
3. Legibility of a candidate = the lower of its two readings' probabilities, P(a | glyph) and
   P(b | glyph with the symmetry applied), each averaged over the recogniser ensemble. The
   softmax is restricted to characters of the intended one's case class (lower, upper, digits):
   a glyph's vertical place in the frame already tells 'o' from 'O' and 'x' from 'X', and the
   recognisers are weakest exactly on such same-shape pairs, which would otherwise cap the
   score of good glyphs at ~0.5 for reasons that do not matter to a reader.
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
from dataclasses import asdict, dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np
import torch

from . import atomic, compose, output, vectorize
from . import weights as weight_files
from .compose import (
    DEFAULT_CANDIDATES,
    OUTPUT_KINDS,
    SYMMETRIES,
    apply_symmetry,
    check_output,
    check_request,
    check_words,
    pair_cells,
)
from .errors import DataError, UsageError
from .models import (
    Generator,
    ModelConfig,
    case_groups,
    ensemble_probability,
    fast_layout,
    load_recognizers,
    transform,
)

MAX_ALTERNATIVES = 8  # per cell, on the contact sheet and for --pick
STYLE_WEIGHT = 0.3  # legibility traded for an e-fold stroke-width jump between neighbours
DUPLICATE = 0.01  # mean |difference| under which two candidates count as the same glyph
_BATCH = 64  # samples per generator / recogniser call: on the CPU small batches stay in cache
# (2.5x faster than 1024 at 32 px) and bound memory for long words
_STROKE_FLOOR = 0.5  # px added to stroke widths before their ratio: blank glyphs stay finite
DEFAULT_HEIGHT = 256
# Tracing: 4x working resolution, one refinement round. Measured on the generator's glyphs, the
# outline re-rasterised at 32 px keeps IoU >= 0.97 with the bitmap while staying smooth.
TRACE = {"upsample": 4, "smooth": 1.0, "refine": 1}


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
    except TypeError:
        raise bad("its model configuration is not one this ambictl understands") from None
    try:
        gen = Generator(cfg)
        gen.load_state_dict(payload["generator"])
        recognizers = load_recognizers(payload["recognizers"], cfg.n_chars)
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
    bank = (glyphs.float() / (255.0 if glyphs.dtype == torch.uint8 else 1.0)).clamp(0, 1)
    return Model(config=cfg, generator=fast_layout(gen.eval().requires_grad_(False)),
                 recognizers=[fast_layout(r.requires_grad_(False)) for r in recognizers],
                 style_names=[str(n) for n in names], style_glyphs=bank.unsqueeze(2), path=path,
                 meta=payload.get("meta") if isinstance(payload.get("meta"), dict) else {})


# --- results --------------------------------------------------------------------------------


@dataclass
class GlyphScore:
    """How one cell's glyph scores: each reading's probability, legibility, style agreement."""

    cell: int
    upright: str  # the character read as it is
    turned: str  # the character read with the symmetry applied
    p_upright: float
    p_turned: float
    legibility: float  # min(p_upright, p_turned)
    stroke: float  # stroke width, px
    style: float  # agreement of its stroke width with the word's, 1 = identical
    score: float  # legibility - STYLE_WEIGHT x |log(stroke / word stroke)|: what is maximised
    pick: int  # index among the alternatives
    alternatives: int  # how many (distinct) alternatives there were


@dataclass
class Ambigram:
    """A finished ambigram: its glyphs, scores and alternatives, and ways to save it.

    `glyphs` (n, S, S) float32 in [0, 1] are the chosen cells left to right; `bitmap` is the
    composed picture; `to_svg`/`to_png`/`save` draw it from traced vector outlines.
    """

    word1: str
    word2: str
    symmetry: str
    style: int
    style_name: str
    seed: int
    candidates: int
    pairs: list[tuple[str, str]]
    glyphs: np.ndarray
    scores: list[GlyphScore]
    alternatives: list[np.ndarray] = field(repr=False)
    alternative_scores: list[np.ndarray] = field(repr=False)
    stroke: float = 0.0  # the word's common stroke width, px

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
        """Each glyph traced into smooth closed Bézier contours (cell coordinates, holes kept)."""
        return [vectorize.trace(g, threshold=compose.INK, **TRACE) for g in self.glyphs]

    @property
    def offsets(self) -> list[tuple[float, float]]:
        return [(float(x), float(self.layout.top)) for x in self.layout.xs]

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

    def preview(self, columns: int = 80) -> str:
        """Half-block terminal rendering, as it is and with the symmetry applied."""
        how = {"rotate": "turned", "mirror": "mirrored", "flip": "flipped"}[self.symmetry]
        return (f"{self.word1} (as it is)\n{output.preview_text(self.bitmap, columns)}\n"
                f"{self.word2} ({how})\n{output.preview_text(self.turned(), columns)}")

    def sheet_png(self) -> bytes:
        """Contact sheet of every cell's alternatives, upright and turned; see output.sheet_png."""
        return output.sheet_png(self.alternatives, self.alternative_scores, self.pairs,
                                self.picks, self.symmetry)

    def report(self) -> dict[str, Any]:
        """Everything about the result as plain JSON-able data."""
        return {"word1": self.word1, "word2": self.word2, "symmetry": self.symmetry,
                "style": self.style, "style_name": self.style_name, "seed": self.seed,
                "candidates": self.candidates, "legibility": round(self.legibility, 4),
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


def _generate(model: Model, a: torch.Tensor, b: torch.Tensor, sym: int, style: int,
              z: torch.Tensor) -> torch.Tensor:
    """Candidates (n, K, S, S) for cells with characters a, b (n,) and codes z (K, z_dim)."""
    n, k = len(a), len(z)
    bank = model.style_glyphs[style]
    aa, bb = a.repeat_interleave(k), b.repeat_interleave(k)
    zz = z.repeat(n, 1)
    ss = torch.full_like(aa, sym)
    name = SYMMETRIES[sym]
    outs = []
    for i in range(0, n * k, _BATCH):
        j = slice(i, i + _BATCH)
        ga = bank[aa[j]].contiguous(memory_format=torch.channels_last)
        gtb = transform(bank[bb[j]], name).contiguous(memory_format=torch.channels_last)
        outs.append(model.generator(ga, gtb, aa[j], bb[j], ss[j], zz[j]))
    s = model.config.image_size
    return torch.cat(outs).reshape(n, k, s, s).clamp(0, 1)


def _legibility(model: Model, cands: torch.Tensor, a: torch.Tensor, b: torch.Tensor,
                symmetry: str) -> tuple[np.ndarray, np.ndarray]:
    """(p_upright, p_turned), each (n, K), of all candidates in one recogniser pass."""
    n, k, s, _ = cands.shape
    x = cands.reshape(n * k, 1, s, s)
    views = torch.cat([x, transform(x, symmetry)])
    labels = torch.cat([a.repeat_interleave(k), b.repeat_interleave(k)])
    p = ensemble_probability(model.recognizers, model.case_groups, views, labels, _BATCH)
    p = p.reshape(2, n, k).numpy().astype(np.float64)
    return p[0], p[1]


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
    Ties go to the lower index, i.e. towards z = 0.
    """
    logs = _log_stroke(stroke)
    targets = np.unique(np.quantile(logs, np.linspace(0.0, 1.0, 65)))
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
    order = [first] + [int(j) for j in np.argsort(-local, kind="stable") if j != first]
    kept: list[int] = []
    for j in order:
        if all(np.abs(cands[j] - cands[q]).mean() > DUPLICATE for q in kept):
            kept.append(j)
            if len(kept) == MAX_ALTERNATIVES:
                break
    return kept


def make_ambigram(word1: str, word2: str | None = None, *, symmetry: str = "rotate",
                  seed: int = 0, candidates: int = DEFAULT_CANDIDATES, style: int = 0,
                  pick: str | list[int] | tuple[int, ...] | None = None,
                  weights: str | os.PathLike[str] | Model | None = None) -> Ambigram:
    """An ambigram reading `word1` as it is and `word2` (default: word1) after `symmetry`.

    symmetry: "rotate" (180 degrees), "mirror" (left-right) or "flip" (upside down).
    seed: makes the result reproducible byte for byte. candidates: noise codes tried per cell.
    style: index into the model's style bank (fonts). pick: one alternative index per cell
    (0 = the automatic choice; see Ambigram.sheet_png). weights: a model file or loaded Model
    (default: the shipped weights).

    Raises UsageError for bad input and DataError for a missing or broken model file.
    """
    w1, w2, picks = check_request(word1, word2, symmetry=symmetry, candidates=candidates,
                                  seed=seed, style=style, pick=pick)
    model = weights if isinstance(weights, Model) else load_model(weights)
    check_words(w1, w2, model.chars)
    n_styles = model.style_glyphs.shape[0]
    if style >= n_styles:
        raise UsageError(f"style {style} does not exist: the model has {n_styles} styles "
                         f"(0 to {n_styles - 1})")
    pairs = pair_cells(w1, w2, symmetry)
    a = torch.tensor([model.chars.index(p) for p, _ in pairs])
    b = torch.tensor([model.chars.index(q) for _, q in pairs])
    with torch.inference_mode():
        z = _noise(candidates, model.config.z_dim, seed)
        cands = _generate(model, a, b, SYMMETRIES.index(symmetry), style, z)
        p_up, p_turn = _legibility(model, cands, a, b, symmetry)
    cand_np = cands.numpy().astype(np.float32)
    legible = np.minimum(p_up, p_turn)
    stroke = compose.stroke_width(cand_np)
    chosen, word_stroke = choose(legible, stroke)

    alternatives, alt_scores, ranked = [], [], []
    for i in range(len(pairs)):
        local, _ = _local(legible, stroke, word_stroke, i)
        keep = _rank(cand_np[i], local, chosen[i])
        ranked.append(keep)
        alternatives.append(cand_np[i, keep])
        alt_scores.append(local[keep])
    if picks is not None:
        for i, (pk, keep) in enumerate(zip(picks, ranked, strict=True)):
            if pk >= len(keep):
                raise UsageError(f"--pick index {pk} for letter {i + 1} is out of range: it has "
                                 f"{len(keep)} alternatives (0 to {len(keep) - 1})")
    picks = picks or (0,) * len(pairs)
    final = [keep[pk] for keep, pk in zip(ranked, picks, strict=True)]

    scores = []
    for i, ((ch_a, ch_b), k) in enumerate(zip(pairs, final, strict=True)):
        local, agreement = _local(legible, stroke, word_stroke, i)
        scores.append(GlyphScore(
            cell=i, upright=ch_a, turned=ch_b, p_upright=float(p_up[i, k]),
            p_turned=float(p_turn[i, k]), legibility=float(legible[i, k]),
            stroke=float(stroke[i, k]), style=float(agreement[k]), score=float(local[k]),
            pick=picks[i], alternatives=len(ranked[i])))
    return Ambigram(word1=w1, word2=w2, symmetry=symmetry, style=style,
                    style_name=model.style_names[style], seed=seed, candidates=candidates,
                    pairs=pairs, glyphs=cand_np[np.arange(len(pairs)), final], scores=scores,
                    alternatives=alternatives, alternative_scores=alt_scores,
                    stroke=word_stroke)


__all__ = ["Ambigram", "GlyphScore", "Model", "load_model", "make_ambigram"]

"""Ranking readers: letter classifiers of fonts of their own, which `make --ranking rankers`
chooses among its candidates with. Experimental: measured, they chose worse than `make`'s default
ranking (the training recognisers reading as delivered, among both cases: 61.3 % of case-free
pairs against 66.9 %, docs/experiments.md), so the shipped weights have none.

Why a group of readers of their own. The generator is trained to please its recognisers
(ambictl.readers), so its glyphs sit on those recognisers' decision boundaries, and a ranking by
them prefers the glyphs that exploit them over the glyphs a person reads: the best of a cell's
four case combinations chosen by an outside reader read 83 % of lower-case pairs, chosen by the
recognisers 59 % (docs/experiments.md). So readers are kept in three disjoint groups, split by
font family in the data set (dataset.SPLITS):

- "train": the generator, its discriminator and its training recognisers;
- "rank": these rankers, which nothing is trained against (their own bundled families, reserved
  in fonts/manifest.json), trained under the strong augmentation and adversarially (a fast L2
  attack step on half of every batch: a glyph must look like its letter to score, not merely
  sit on the right side of one network's boundary);
- "val": eval's judges (ambictl.judge), so eval measures the ranking with readers it never saw.

The score (`legibility`) reads a candidate the way its reader will meet it: approximately as
delivered (`as_delivered`: the outline's solid ink, not the soft bitmap) and under small changes
of rendering (RENDERINGS: thicker, thinner, shifted, blurred), each reading letter-for-letter
among both cases and compared case-insensitively (as eval's judge reads a word). A candidate's
legibility is the weaker reading's probability, averaged over the renderings: a glyph that
reads in only one exact rendering loses to one that reads in all.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

import torch
import torch.nn.functional as F

from . import augment, cells
from .dataset import GlyphSet
from .glyphs import GlyphTable
from .models import fast_layout
from .readers import Recognizer, fit_classifier, load_recognizers, recognizer_accuracy


@dataclass
class RankerConfig:
    kinds: tuple[str, ...] = ("vgg+adv", "coarse+adv")  # readers.Recognizer designs
    steps: int = 1000
    batch_size: int = 128
    lr: float = 3e-3
    attack: float = 1.5  # L2 radius of the attack step, in ink units over the 32 x 32 glyph
    source_size: int = 64  # augment at the data set's resolution, then area-shrink to 32 px
    seed: int = 0

    @classmethod
    def quick(cls) -> RankerConfig:
        """A structural run (tests): seconds, not usable rankers."""
        return cls(steps=8, batch_size=32, source_size=32)


# ----------------------------------------------------------------------------- training


def attack_step(net: torch.nn.Module, x: torch.Tensor, y: torch.Tensor, radius: float
                ) -> torch.Tensor:
    """x moved by one gradient step of L2 length `radius` towards a misreading (the fast
    gradient method in L2), kept in [0, 1]: what a reader must still read to count."""
    x = x.detach().requires_grad_(True)
    (grad,) = torch.autograd.grad(F.cross_entropy(net(x), y), x)
    norm = grad.flatten(1).norm(dim=1).clamp_min(1e-12)[:, None, None, None]
    return (x + radius * grad / norm).clamp(0, 1).detach()


def train_ranker(table: GlyphTable, spec: str, cfg: RankerConfig, seed: int,
                 device: torch.device, tick: Callable[[dict], None] | None = None
                 ) -> Recognizer:
    """One ranking reader on the table's fonts (the "rank" split): class-balanced batches of
    strongly augmented glyphs, half of each batch moved by an attack step on the net as it is
    (readers.fit_classifier, the one training loop of every letter classifier)."""
    g = torch.Generator(device=device).manual_seed(seed)
    torch.manual_seed(seed)
    net = Recognizer(len(table.chars), spec).to(device)
    n_chars, half = len(table.chars), cfg.batch_size // 2

    def batches() -> tuple[torch.Tensor, torch.Tensor]:
        f = torch.randint(0, table.n_fonts, (cfg.batch_size,), generator=g, device=device)
        c = torch.randint(0, n_chars, (cfg.batch_size,), generator=g, device=device)
        x = augment.for_reader(table.glyphs[f, c], g, 32, "strong")
        return torch.cat([x[:half], attack_step(net, x[half:], c[half:], cfg.attack)]), c

    fit_classifier(net, batches, cfg.steps, lr=cfg.lr, weight_decay=5e-4, smoothing=0.1,
                   pct_start=0.2, tick=tick)
    return net


def train_rankers(glyph_set: GlyphSet, cfg: RankerConfig, device: torch.device,
                  progress: Any = None) -> tuple[list[Recognizer], dict[str, Any]]:
    """Every ranker of `cfg` on the data set's "rank" split, and what to record of them: the
    families they learnt, their clean accuracy on the train split's fonts (never seen), time."""
    from .errors import DataError

    manifest = glyph_set.manifest
    if not manifest["split"].get("rank"):
        raise DataError("the data set holds no ranking fonts (its 'rank' split is empty): "
                        "rebuild it with the bundled fonts, whose reserved families form it")
    t0 = time.time()
    try:
        table = GlyphTable(glyph_set.subset("rank"), cfg.source_size).to(device)
    except ValueError as e:
        raise DataError(f"the data set's ranking fonts cannot be used: {e}") from None
    rankers = []
    for i, spec in enumerate(cfg.kinds):
        task = progress.add_task(f"ranker {spec}", total=cfg.steps, info="") if progress \
            else None

        def tick(m: dict, task: Any = task) -> None:
            if progress:
                progress.update(task, completed=m["step"], info=f"loss {m['loss']:.3f}")

        rankers.append(train_ranker(table, spec, cfg, cfg.seed + 101 * i, device, tick).cpu())
    unseen = manifest["split"].get("train") or []
    accuracy: list[float] = []
    if unseen:
        try:
            held_out = GlyphTable(glyph_set.subset("train"), 32)
            accuracy = [round(recognizer_accuracy(r, held_out), 4) for r in rankers]
        except ValueError:
            pass
    meta = {"config": asdict(cfg), "seconds": round(time.time() - t0, 1),
            "families": split_families(manifest, "rank"),
            "accuracy_on_train_fonts": accuracy, "dataset_hash": manifest["content_hash"]}
    return rankers, meta


def split_families(manifest: dict[str, Any], split: str) -> list[str]:
    """The font families of one split of a data set's manifest, sorted."""
    return sorted({f["family"] for f in manifest["fonts"] if f["split"] == split})


def ranker_payload(rankers: list[Recognizer], meta: dict[str, Any]) -> dict[str, Any]:
    """The rankers as a model file stores them (`load_rankers` reads them back)."""
    return {"readers": [{"kind": r.spec, "state": r.state_dict()} for r in rankers],
            "meta": meta}


def load_rankers(entry: dict[str, Any], n_classes: int) -> list[torch.nn.Module]:
    """A model file's rankers, frozen, in the CPU's fast layout."""
    return [fast_layout(r.requires_grad_(False))
            for r in load_recognizers(entry["readers"], n_classes)]


# ----------------------------------------------------------------------------- reading


def _blur(x: torch.Tensor, sigma: float) -> torch.Tensor:
    """Separable Gaussian blur of (B, 1, H, W), `sigma` in pixels."""
    r = max(1, round(2.5 * sigma))
    t = torch.arange(-r, r + 1, dtype=x.dtype, device=x.device)
    k = torch.exp(-0.5 * (t / sigma) ** 2)
    k = k / k.sum()
    x = F.conv2d(F.pad(x, (r, r, 0, 0), mode="replicate"), k.view(1, 1, 1, -1))
    return F.conv2d(F.pad(x, (0, 0, r, r), mode="replicate"), k.view(1, 1, -1, 1))


def as_delivered(x: torch.Tensor, scale: int = 4) -> torch.Tensor:
    """Glyphs (B, 1, S, W) roughly as `make` delivers them, in one cheap pass: enlarged
    `scale` x, smoothed as the tracer smooths, solid where over half ink and empty elsewhere,
    and area-averaged back (the anti-aliased edge of a rasterised outline). Tracing every
    candidate would cost 15 ms each; this costs a fraction of a reader's pass."""
    big = F.interpolate(x, scale_factor=scale, mode="bilinear", align_corners=False)
    solid = (_blur(big, 0.25 * scale) > 0.5).to(x.dtype)
    return F.avg_pool2d(solid, scale)


def _shift(x: torch.Tensor, dy: int, dx: int) -> torch.Tensor:
    """x moved by whole pixels, paper coming in at the edges."""
    h, w = x.shape[-2:]
    out = torch.zeros_like(x)
    out[..., max(dy, 0):h + min(dy, 0), max(dx, 0):w + min(dx, 0)] = \
        x[..., max(-dy, 0):h + min(-dy, 0), max(-dx, 0):w + min(-dx, 0)]
    return out


def _thicker(x: torch.Tensor) -> torch.Tensor:
    """Half a pixel bolder: halfway to a one-pixel dilation."""
    return 0.5 * (x + F.max_pool2d(x, 3, 1, 1))


def _thinner(x: torch.Tensor) -> torch.Tensor:
    """Half a pixel lighter: halfway to a one-pixel erosion."""
    return 0.5 * (x - F.max_pool2d(-x, 3, 1, 1))


# The renderings a candidate is read in, each a small pure function of the delivered glyph.
RENDERINGS: dict[str, Callable[[torch.Tensor], torch.Tensor]] = {
    "as delivered": lambda x: x,
    "thicker": _thicker,
    "thinner": _thinner,
    "shifted": lambda x: _shift(x, 1, 1),
    "blurred": lambda x: _blur(x, 0.7),
}


def folded(chars: str) -> torch.Tensor:
    """Per character, the index of its case-insensitive class (a and A share one)."""
    names = sorted({c.lower() for c in chars})
    return torch.tensor([names.index(c.lower()) for c in chars])


def letter_probability(readers: list[torch.nn.Module], fold: torch.Tensor, x: torch.Tensor,
                       labels: torch.Tensor, batch: int = 1024) -> torch.Tensor:
    """P(label, either case | image), read among every character and averaged over the
    readers: an `a` drawn as `A` reads, an `l` taken for an `I` does not (as eval reads)."""
    target = fold[labels]
    total = torch.zeros(len(x), device=x.device)
    for r in readers:
        parts = [r(x[i:i + batch].contiguous(memory_format=torch.channels_last)).float()
                 for i in range(0, len(x), batch)]
        p = torch.cat(parts).softmax(1) if parts else torch.zeros(0, len(fold))
        classes = torch.zeros(len(p), int(fold.max()) + 1, device=x.device)
        total += classes.index_add_(1, fold.to(x.device), p).gather(1, target[:, None])[:, 0]
    return total / max(len(readers), 1)


def legibility(readers: list[torch.nn.Module], chars: str, x: torch.Tensor, a: torch.Tensor,
               b: torch.Tensor, symmetry: str, renderings: tuple[str, ...] | None = None,
               batch: int = 1024) -> tuple[torch.Tensor, torch.Tensor]:
    """The robust reading of glyphs x (R, 1, S, W) drawn for cells (a, b) (ambictl.cells):
    each reading's probability (2, R) and the legibility (R,), both averaged over the
    `renderings` (default all of RENDERINGS) of the glyph as delivered; the legibility is the
    weaker reading's probability in each rendering."""
    fold = folded(chars)
    names = tuple(RENDERINGS) if renderings is None else renderings
    base = as_delivered(x)
    seen = torch.cat([RENDERINGS[n](base) for n in names])
    k = len(names)

    def read(views: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        return letter_probability(readers, fold, views, labels, batch)

    p = cells.reading_probability(read, seen, a.repeat(k, *[1] * (a.dim() - 1)),
                                  b.repeat(k, *[1] * (b.dim() - 1)), symmetry)
    p = p.view(2, k, len(x))
    return p.mean(1), p.min(0).values.mean(0)

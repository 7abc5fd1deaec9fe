"""The readers: the letter recognisers that score legibility, and how they are trained.

The training ensemble (`Recognizer`, three designs) is frozen while the generator trains, every
reading within the letter's case group (`within_case`, symmetry.case_groups), and read again by
`make` to rank its candidates (ambigram.RANKINGS: as delivered and among both cases since
2026-12-04, `ensemble_probability` within the case before, as `eval`'s "ranked" method does).
`fit_classifier` is the one training loop of every letter classifier: these recognisers and the
held-out judges of ambictl.judge alike. What belongs to a training run (its stages, checkpoints,
progress) stays in ambictl.training.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from . import augment
from .dataset import GlyphSet
from .glyphs import GlyphTable
from .models import fast_layout

# ----------------------------------------------------------------------------- the networks


class Recognizer(nn.Module):
    """A small CNN in one of three designs, so that the training ensemble does not share one
    architecture's blind spots (the held-out judge, ambictl.judge, is a design of its own).

    `spec` is the design, optionally with how it was trained: "vgg", "vgg+warp" for one
    trained under the strong augmentation (augment.strong), "vgg+adv" for one trained under it
    and adversarially (a ranking reader, ambictl.rankers).
    """

    def __init__(self, n_classes: int, spec: str = "vgg", width: int = 32) -> None:
        super().__init__()
        self.spec = spec
        kind, _, trained = spec.partition("+")
        if trained not in ("", "warp", "adv"):
            raise ValueError(f"unknown recogniser augmentation {trained!r} in {spec!r}")
        self.augmentation = "strong" if trained else "light"  # augment.for_reader's
        w = width
        if kind == "vgg":  # 3x3 convs, batch norm, max pooling
            layers = [self._block(1, w, 3), self._block(w, w, 3), nn.MaxPool2d(2),
                      self._block(w, 2 * w, 3), self._block(2 * w, 2 * w, 3), nn.MaxPool2d(2),
                      self._block(2 * w, 4 * w, 3), nn.AdaptiveAvgPool2d(1)]
        elif kind == "wide":  # 5x5 kernels, strided convs, group norm: a different inductive bias
            layers = [self._block(1, w, 5, gn=True), self._block(w, 2 * w, 5, stride=2, gn=True),
                      self._block(2 * w, 3 * w, 3, stride=2, gn=True),
                      self._block(3 * w, 4 * w, 3, stride=2, gn=True), nn.AdaptiveMaxPool2d(1)]
        elif kind == "coarse":  # reads a half-resolution image: the shape, not pixel detail
            layers = [nn.AvgPool2d(2), self._block(1, w, 3), self._block(w, 2 * w, 3),
                      nn.MaxPool2d(2), self._block(2 * w, 4 * w, 3),
                      self._block(4 * w, 4 * w, 3), nn.AdaptiveAvgPool2d(1)]
        else:
            raise ValueError(f"unknown recogniser design {kind!r} in {spec!r}")
        self.features = nn.Sequential(*layers, nn.Flatten())
        self.head = nn.Linear(4 * w, n_classes)

    @staticmethod
    def _block(cin: int, cout: int, k: int, stride: int = 1, gn: bool = False) -> nn.Sequential:
        norm = nn.GroupNorm(8, cout) if gn else nn.BatchNorm2d(cout)
        return nn.Sequential(nn.Conv2d(cin, cout, k, stride, k // 2, bias=False), norm,
                             nn.ReLU(inplace=True))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        # Centre the input so ink and paper are symmetric around zero.
        return self.head(self.features(x * 2 - 1))


def load_recognizers(entries: list[dict], n_classes: int) -> list[Recognizer]:
    """Recognisers from their saved form: [{"kind": spec, "state": state_dict}, ...]."""
    out = []
    for e in entries:
        r = Recognizer(n_classes, e["kind"])
        r.load_state_dict(e["state"])
        out.append(r.eval())
    return out


def recognizer_payload(recognizers: list[Recognizer]) -> list[dict[str, Any]]:
    """Recognisers in their saved form (what `load_recognizers` reads back)."""
    return [{"kind": r.spec, "state": r.state_dict()} for r in recognizers]


# ----------------------------------------------------------------------------- reading


def within_case(logits: torch.Tensor, labels: torch.Tensor, groups: torch.Tensor
                ) -> torch.Tensor:
    """Logits with every class outside the label's case group ruled out.

    A reader of a lower-case ambigram chooses among lower-case letters (so does `ambictl eval`):
    an "o" that a recogniser takes for "O" or "0" is no failure, and the legibility loss should
    not spend the generator's capacity on telling them apart.
    """
    other = groups[None, :] != groups[labels][:, None]
    return logits.masked_fill(other, torch.finfo(logits.dtype).min / 2)


def ensemble_probability(recognizers: list[nn.Module], groups: torch.Tensor, x: torch.Tensor,
                         labels: torch.Tensor, batch: int = 1024) -> torch.Tensor:
    """P(label | image) per image, read within the label's case group and averaged over the
    ensemble: how `make` ranks its candidates (and `eval`'s "ranked" method, the same way)."""
    total = torch.zeros(len(x), device=x.device)
    for r in recognizers:
        parts = [r(x[i:i + batch].contiguous(memory_format=torch.channels_last))
                 for i in range(0, len(x), batch)]
        logits = within_case(torch.cat(parts).float(), labels, groups)
        total += logits.softmax(1).gather(1, labels[:, None])[:, 0]
    return total / len(recognizers)


def margin_shortfall(logits: torch.Tensor, labels: torch.Tensor, margin: float) -> torch.Tensor:
    """Per sample, how far the label's logit falls short of beating every other class by
    `margin` (0 once it does): a hinge on the gap to the closest rival."""
    true = logits.gather(1, labels[:, None])[:, 0]
    rival = logits.scatter(1, labels[:, None], float("-inf")).amax(1)
    return F.relu(margin - (true - rival))


def legibility_terms(recognizers: list[nn.Module], views: torch.Tensor,
                     labels: torch.Tensor, groups: torch.Tensor | None, draws: int,
                     margin: float, g: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
    """Cross-entropy and margin shortfall of every frozen reader over `draws` augmented draws of
    `views` (at the readers' size), read within each label's case group when `groups` is given."""
    seen = augment.for_recognizer(views.repeat(draws, 1, 1, 1), g)
    targets = labels.repeat(draws)
    logits = [r(seen) for r in recognizers]
    if groups is not None:
        logits = [within_case(lg, targets, groups) for lg in logits]
    cls = torch.stack([F.cross_entropy(lg, targets) for lg in logits]).mean()
    short = torch.stack([margin_shortfall(lg, targets, margin) for lg in logits]).mean()
    return cls, short


# ----------------------------------------------------------------------------- training


def fit_classifier(net: nn.Module, batches: Callable[[], tuple[torch.Tensor, torch.Tensor]],
                   steps: int, *, lr: float, weight_decay: float, smoothing: float,
                   pct_start: float = 0.3, tick: Callable[[dict], None] | None = None
                   ) -> nn.Module:
    """The one training loop of every letter classifier (the recognisers here, the judges in
    ambictl.judge): AdamW, a one-cycle schedule, label smoothing, on `batches()` -> (x, labels)."""
    fast_layout(net)
    opt = torch.optim.AdamW(net.parameters(), lr=lr, weight_decay=weight_decay)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=lr, total_steps=max(steps, 1),
                                                pct_start=pct_start)
    net.train()
    for step in range(steps):
        x, y = batches()
        loss = F.cross_entropy(net(x), y, label_smoothing=smoothing)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        sched.step()
        if tick:
            tick({"step": step + 1, "loss": loss.item()})
    return net.eval()


def train_recognizer(table: GlyphTable, spec: str, steps: int, batch: int, seed: int,
                     device: torch.device, tick: Callable[[dict], None] | None = None
                     ) -> Recognizer:
    """Train one recogniser (`Recognizer`'s `spec`) on augmented glyphs of the table's
    fonts: the light augmentation, or with "+warp" the strong one (elastic warps, condensed and
    extended shapes), which a generator finds much harder to fool."""
    g = torch.Generator(device=device).manual_seed(seed)
    torch.manual_seed(seed)
    model = Recognizer(len(table.chars), spec).to(device)
    size = table.glyphs.shape[-1]
    n_chars = len(table.chars)

    def batches() -> tuple[torch.Tensor, torch.Tensor]:
        f = torch.randint(0, table.n_fonts, (batch,), generator=g, device=device)
        c = torch.randint(0, n_chars, (batch,), generator=g, device=device)
        return augment.for_reader(table.glyphs[f, c], g, size, model.augmentation), c

    fit_classifier(model, batches, steps, lr=3e-3, weight_decay=1e-4, smoothing=0.05, tick=tick)
    return model


@torch.no_grad()
def recognizer_accuracy(model: nn.Module, table: GlyphTable) -> float:
    """Top-1 accuracy on the table's clean glyphs (every font x character)."""
    model.eval()
    n_fonts, n_chars = table.glyphs.shape[:2]
    labels = torch.arange(n_chars, device=table.glyphs.device).repeat(n_fonts)
    x = table.glyphs.flatten(0, 1)
    preds = torch.cat([model(chunk).argmax(1) for chunk in x.split(1024)])
    return float((preds == labels).float().mean())


@torch.no_grad()
def per_font_accuracy(models: list[nn.Module], table: GlyphTable) -> torch.Tensor:
    """Per font, the share of its characters each model reads, averaged over the models
    (in batches of whole fonts: one forward pass per font was most of a quick run's time)."""
    n_fonts, n_chars = table.glyphs.shape[:2]
    labels = torch.arange(n_chars, device=table.glyphs.device).repeat(n_fonts)
    x = table.glyphs.flatten(0, 1)
    right = torch.stack([torch.cat([m(chunk).argmax(1) for chunk in x.split(1024)]) == labels
                         for m in models]).float()
    return right.mean(0).view(n_fonts, n_chars).mean(1)


def validation_accuracy(glyph_set: GlyphSet, recognizers: list[Recognizer], size: int,
                        device: torch.device) -> list[float]:
    """Clean accuracy of each recogniser on the held-out (validation) fonts."""
    if not glyph_set.manifest["split"]["val"]:
        return []
    try:
        val = GlyphTable(glyph_set.subset("val"), size).to(device)
    except ValueError:
        return []
    return [round(recognizer_accuracy(r, val), 4) for r in recognizers]

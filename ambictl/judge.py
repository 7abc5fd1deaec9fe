"""The held-out judge: a letter classifier that `ambictl eval` trusts because training never saw it.

The generator is trained against recognisers (designs "vgg", "wide", "coarse") on the data set's
TRAIN-split fonts. A figure measured with those networks, or on those fonts, would flatter it: the
generator learns their blind spots. The judge therefore differs on both axes:

* another architecture: a small residual network with a strided 5x5 stem, GELU and a global
  average pool (no VGG stack, no wide strided kernels, no half-resolution input), see `JudgeNet`;
* other fonts: it is trained ONLY on the validation-split fonts, which the generator never trains
  on (with the strong augmentation, augment.strong: anisotropic affine, elastic warp, continuous
  stroke weight, contrast, blur, noise, small erasures; the training recognisers use it too);
* it is then scored on the train-split fonts, which it never saw, and that clean accuracy travels
  in its weights file (payload "metrics") and in weights/README.md.

Its penultimate features (the pooled 4 * width vector) also serve the FID-like realism figure.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from . import atomic, augment, weights
from .device import pick_device
from .errors import DataError
from .glyphs import to_model_size
from .readers import fit_classifier

KIND = "judge"  # the weights file kind
LIGHT_JUDGE = "judge-light.pt"  # the shipped cross-check judge (light augmentation)
# Pairs whose shapes differ only by size; the em frame keeps the size, so the judge is asked to
# tell them apart, but the case-merged figure shows how much of its error is just this.
CASE_TWINS = "cosvwxz"


@dataclass
class JudgeConfig:
    chars: str
    size: int = 32  # the input size; larger or smaller glyphs are resized to it
    width: int = 32


@dataclass
class JudgeTrainConfig:
    steps: int = 1500
    batch_size: int = 96
    lr: float = 3e-3
    seed: int = 0
    source_size: int = 64  # augment at this size, then area-shrink to the judge's size
    # "strong" (augment.strong, the judge's) or "light" (augment.for_recognizer): a light judge
    # shares neither fonts, design nor augmentation with the "+warp" training recognisers, a
    # cross-check on the strong judge's figures.
    augment: str = "strong"

    @classmethod
    def quick(cls) -> JudgeTrainConfig:
        """A structural run (tests): seconds, not a usable judge."""
        return cls(steps=20, batch_size=32, source_size=32)


# ----------------------------------------------------------------------------- the network


class _Residual(nn.Module):
    def __init__(self, c: int) -> None:
        super().__init__()
        self.body = nn.Sequential(nn.Conv2d(c, c, 3, 1, 1, bias=False), nn.BatchNorm2d(c),
                                  nn.GELU(), nn.Conv2d(c, c, 3, 1, 1, bias=False),
                                  nn.BatchNorm2d(c))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.gelu(x + self.body(x))


def _down(cin: int, cout: int) -> nn.Sequential:
    return nn.Sequential(nn.Conv2d(cin, cout, 3, 2, 1, bias=False), nn.BatchNorm2d(cout),
                         nn.GELU())


class JudgeNet(nn.Module):
    """Strided 5x5 stem to half resolution, then three residual stages (w, 2w, 4w channels at
    1/2, 1/4, 1/8 of the input), global average pool, dropout, linear head.

    Cheap (most work happens at 16x16 and below for 32 px glyphs), so it trains on two CPU cores
    in minutes, and shares no design with the training recognisers.
    """

    def __init__(self, n_classes: int, width: int = 32) -> None:
        super().__init__()
        w = width
        self.body = nn.Sequential(
            nn.Conv2d(1, w, 5, 2, 2, bias=False), nn.BatchNorm2d(w), nn.GELU(),
            _Residual(w), _down(w, 2 * w), _Residual(2 * w), _down(2 * w, 4 * w),
            _Residual(4 * w), nn.AdaptiveAvgPool2d(1), nn.Flatten())
        self.drop = nn.Dropout(0.2)
        self.head = nn.Linear(4 * w, n_classes)

    def features(self, x: torch.Tensor) -> torch.Tensor:
        """The penultimate (pooled) features: what the FID-like figure compares."""
        return self.body(x * 2 - 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.drop(self.features(x)))


# ----------------------------------------------------------------------------- the judge


class Judge:
    """A loaded judge: reads glyph images (B, 1, S, S), ink = 1 on 0, any S.

    `read` restricts the argmax to a set of allowed characters: asked whether a glyph of a lower
    case ambigram reads `e`, the judge chooses among the 26 lower-case letters, so l/I/1 or o/O/0
    confusions across sets (shapes that are the same letter to a reader) do not count as errors.
    """

    def __init__(self, net: JudgeNet, cfg: JudgeConfig, metrics: dict[str, Any] | None = None,
                 meta: dict[str, Any] | None = None) -> None:
        self.net = net.eval()
        self.cfg = cfg
        self.chars = cfg.chars
        self.metrics = metrics or {}
        self.meta = meta or {}

    @property
    def device(self) -> torch.device:
        return next(self.net.parameters()).device

    def to(self, device: torch.device | str) -> Judge:
        self.net.to(device)
        return self

    def _fit(self, x: torch.Tensor) -> torch.Tensor:
        x = x.to(self.device, torch.float32)
        if x.shape[-1] != self.cfg.size:
            mode = "area" if x.shape[-1] > self.cfg.size else "bilinear"
            x = F.interpolate(x, size=(self.cfg.size, self.cfg.size), mode=mode)
        return x

    def index(self, chars: str) -> torch.Tensor:
        """Class indices of `chars`; a character the judge was not trained on is a DataError."""
        missing = [c for c in chars if c not in self.chars]
        if missing:
            raise DataError(f"the judge does not know the characters {''.join(missing)!r} "
                            f"(it reads {self.chars!r})")
        return torch.tensor([self.chars.index(c) for c in chars], dtype=torch.long)

    @torch.no_grad()
    def analyse(self, x: torch.Tensor, batch: int | None = None
                ) -> tuple[torch.Tensor, torch.Tensor]:
        """(logits, penultimate features) of each glyph, in one pass, returned on the CPU.

        On the CPU small batches are several times faster than large ones (they stay in cache
        and avoid page-faulting fresh buffers), so the default batch depends on the device."""
        batch = batch or (128 if self.device.type == "cpu" else 2048)
        logits, feats = [torch.zeros(0, len(self.chars))], [torch.zeros(0, 4 * self.cfg.width)]
        for chunk in x.split(batch):
            f = self.net.features(self._fit(chunk))
            feats.append(f.cpu())
            logits.append(self.net.head(f).cpu())
        return torch.cat(logits), torch.cat(feats)

    def logits(self, x: torch.Tensor, batch: int | None = None) -> torch.Tensor:
        return self.analyse(x, batch)[0]

    def features(self, x: torch.Tensor, batch: int | None = None) -> torch.Tensor:
        return self.analyse(x, batch)[1]

    def choose(self, logits: torch.Tensor, allowed: str) -> list[str]:
        """The best of `allowed` for each row of logits."""
        idx = self.index(allowed)
        return [allowed[i] for i in logits[:, idx].argmax(1).tolist()]

    @torch.no_grad()
    def read(self, x: torch.Tensor, allowed: str | None = None) -> list[str]:
        """The character each glyph reads as, chosen among `allowed` (default: all)."""
        return self.choose(self.logits(x), self.chars if allowed is None else allowed)


def load_judge(path: str | os.PathLike[str] | None = None) -> Judge:
    """The judge from `path` (default: the shipped weights/judge.pt; "light": the shipped
    cross-check judge, weights/judge-light.pt, unless a file of that name exists), checksum
    verified."""
    path = Path(path) if path else weights.default_path(weights.DEFAULT_JUDGE)
    if str(path) == "light" and not path.exists():
        path = weights.default_path(LIGHT_JUDGE)
    if not path.is_file():
        raise DataError(f"no judge weights at {path}; train them with: ambictl train-judge "
                        f"DATASET -o {path}")
    payload = weights.load(path, KIND)
    try:
        cfg = JudgeConfig(**payload["config"])
        net = JudgeNet(len(cfg.chars), cfg.width)
        net.load_state_dict(payload["state"])
    except (KeyError, TypeError, RuntimeError) as e:
        raise DataError(f"refusing {path}: not a judge this ambictl can load ({e})") from None
    return Judge(net, cfg, payload.get("metrics"), {**payload.get("meta", {}), "path": str(path)})


# ----------------------------------------------------------------------------- training


def train_judge_net(images: torch.Tensor, labels: torch.Tensor, n_classes: int,
                    jcfg: JudgeConfig, tcfg: JudgeTrainConfig, device: torch.device,
                    tick: Callable[[dict[str, float]], None] | None = None) -> JudgeNet:
    """Train a JudgeNet on uint8 glyphs (N, S, S) with labels (N,): class-balanced batches,
    the judge's augmentation, AdamW with a one-cycle schedule, label smoothing."""
    g = torch.Generator(device=device).manual_seed(tcfg.seed)
    torch.manual_seed(tcfg.seed)
    x_all = to_model_size(images, tcfg.source_size).to(device)
    y_all = labels.to(device)
    # Sample a class uniformly, then one of its glyphs: rare characters are not starved.
    weight = 1.0 / torch.bincount(y_all, minlength=n_classes).clamp(min=1).float()[y_all]
    net = JudgeNet(n_classes, jcfg.width).to(device)

    def batches() -> tuple[torch.Tensor, torch.Tensor]:
        idx = torch.multinomial(weight, tcfg.batch_size, replacement=True, generator=g)
        return augment.for_reader(x_all[idx], g, jcfg.size, tcfg.augment), y_all[idx]

    fit_classifier(net, batches, tcfg.steps, lr=tcfg.lr, weight_decay=5e-4, smoothing=0.1,
                   pct_start=0.2, tick=tick)
    return net


def clean_accuracy(judge: Judge, images: torch.Tensor, labels: torch.Tensor
                   ) -> dict[str, float]:
    """Accuracy on clean glyphs: over all characters, case-merged (c/C, o/O, s/S, v/V, w/W,
    x/X, z/Z count as one), and restricted to each case set the way `ambictl eval` reads."""
    if len(labels) == 0:
        return {}
    chars = judge.chars
    logits = judge.logits(to_model_size(images, judge.cfg.size)).cpu()
    truth = [chars[i] for i in labels.tolist()]
    pred = [chars[i] for i in logits.argmax(1).tolist()]

    def merged(c: str) -> str:
        return c.lower() if c.lower() in CASE_TWINS else c

    out = {"all": _mean(p == t for p, t in zip(pred, truth, strict=True)),
           "case_merged": _mean(merged(p) == merged(t) for p, t in zip(pred, truth, strict=True))}
    groups = {"lower": str.islower, "upper": str.isupper, "digits": str.isdigit}
    for name, member in groups.items():
        allowed = "".join(c for c in chars if member(c))
        rows = [i for i, t in enumerate(truth) if member(t)]
        if not allowed or not rows:
            continue
        sub = logits[rows][:, judge.index(allowed)].argmax(1).tolist()
        out[f"within_{name}"] = _mean(allowed[p] == truth[r] for p, r in zip(sub, rows,
                                                                             strict=True))
    return {k: round(v, 4) for k, v in out.items()}


def _mean(flags: Any) -> float:
    flags = list(flags)
    return sum(flags) / max(len(flags), 1)


@dataclass
class JudgeReport:
    path: Path
    metrics: dict[str, Any]
    seconds: float


def train_judge(dataset: str | os.PathLike[str], out: str | os.PathLike[str],
                tcfg: JudgeTrainConfig | None = None, *, width: int = 32, size: int = 32,
                device: str = "cpu",
                tick: Callable[[dict[str, float]], None] | None = None) -> JudgeReport:
    """Train the judge on the data set's validation fonts, score it on its train fonts, save it.

    The split is the data set's own (by font family), the same one the generator's training
    reads, so "fonts the generator trains on" and "fonts the judge trains on" never overlap.
    """
    from .dataset import load_dataset

    tcfg = tcfg or JudgeTrainConfig()
    if tcfg.augment not in augment.READER_AUGMENTATIONS:  # before the data set is read
        raise ValueError(f"unknown judge augmentation {tcfg.augment!r}: strong or light")
    t0 = time.time()
    atomic.probe_writable_file(out)  # before the training, not after it
    dev = pick_device(device)
    full = load_dataset(dataset, verify=True)
    manifest = full.manifest
    if not manifest["split"]["val"] or not manifest["split"]["train"]:
        raise DataError(f"{dataset}: the judge needs both a validation split (to train on) and "
                        "a train split (to be scored on); build the data set from more font "
                        "families")
    held_in, held_out = full.subset("val"), full.subset("train")
    jcfg = JudgeConfig(chars=full.chars, size=size, width=width)
    net = train_judge_net(held_in.images, held_in.labels, len(full.chars), jcfg, tcfg, dev, tick)
    net = net.cpu()
    judge = Judge(net, jcfg)
    metrics = {"clean_accuracy_unseen_fonts": clean_accuracy(judge, held_out.images,
                                                             held_out.labels),
               "clean_accuracy_training_fonts": clean_accuracy(judge, held_in.images,
                                                               held_in.labels),
               "unseen_fonts": len(manifest["split"]["train"]),
               "training_fonts": len(manifest["split"]["val"])}
    seconds = round(time.time() - t0, 1)
    meta = {"dataset_hash": manifest["content_hash"], "trained_on_split": "val",
            "scored_on_split": "train", "train_config": asdict(tcfg), "seconds": seconds,
            "device": str(dev), "torch_threads": torch.get_num_threads(),
            "families": sorted({f["family"] for f in manifest["fonts"] if f["split"] == "val"})}
    # Half precision halves the file (< 1 MB); reading loads it back into float32 parameters.
    state = {k: v.cpu().half() if v.is_floating_point() else v.cpu()
             for k, v in net.state_dict().items()}
    weights.save(out, KIND, {"config": asdict(jcfg), "state": state,
                             "metrics": metrics, "meta": meta})
    return JudgeReport(Path(out), metrics, seconds)

"""The networks: glyph recognisers, the pair-conditional generator and its discriminator.

Images are (B, 1, S, S) float tensors with ink = 1 on 0.

The generator is a "glyph fusion" U-Net. For a pair (a, b) under a symmetry T it sees the glyph `a`
and the glyph `b` already transformed (T(b)), both drawn in one real font: that font IS the style,
so a word drawn from one font shares one style, and the style can never collapse to a single
glyph the way a noise-only latent did. Label, symmetry and a small noise code (for alternative
candidates) enter every block through FiLM. The discriminator sees each output twice, as it is
with label a and transformed back with label b.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

import torch
import torch.nn.functional as F
from torch import nn
from torch.nn.utils import spectral_norm

from .compose import case_class

SYMMETRIES = ("rotate", "mirror", "flip")


def transform(x: torch.Tensor, symmetry: torch.Tensor | str) -> torch.Tensor:
    """Apply each sample's symmetry (an involution, so it is also its own inverse).

    rotate = 180 degrees, mirror = left-right, flip = upside down.
    """
    if isinstance(symmetry, str):
        return {"rotate": lambda t: t.flip(-1, -2), "mirror": lambda t: t.flip(-1),
                "flip": lambda t: t.flip(-2)}[symmetry](x)
    sym = symmetry.view(-1, *([1] * (x.dim() - 1)))
    return torch.where(sym == 0, x.flip(-1, -2), torch.where(sym == 1, x.flip(-1), x.flip(-2)))


def fast_layout(module: nn.Module) -> nn.Module:
    """`module` with channels-last weights when it lives on the CPU, in place.

    oneDNN's convolutions run faster in that layout (measured on 2 cores: recogniser training
    9.5 -> 12.6 steps/s, generator steps 2.3 -> 2.7/s, `make` ~25 % less CPU time); values are
    the same, only the memory order differs, so state dicts load either way. Other devices
    keep their default layout."""
    p = next(module.parameters(), None)
    return module.to(memory_format=torch.channels_last) if p is not None \
        and p.device.type == "cpu" else module


@dataclass
class ModelConfig:
    chars: str
    image_size: int = 32
    width: int = 32  # channels of the generator's first level (doubling per level)
    z_dim: int = 8  # noise code: alternatives of one pair in one style
    emb_dim: int = 32
    d_width: int = 32
    extra: dict = field(default_factory=dict)

    @property
    def n_chars(self) -> int:
        return len(self.chars)

    def to_dict(self) -> dict:
        return asdict(self)


# ----------------------------------------------------------------------------- recognisers


class Recognizer(nn.Module):
    """A small CNN in one of three designs, so that the training ensemble does not share one
    architecture's blind spots (the held-out judge, ambictl.judge, is a design of its own).

    `spec` is the design, optionally with how it was trained: "vgg", or "vgg+warp" for one
    trained under the strong augmentation (augment.strong).
    """

    def __init__(self, n_classes: int, spec: str = "vgg", width: int = 32) -> None:
        super().__init__()
        self.spec = spec
        kind, _, trained = spec.partition("+")
        if trained not in ("", "warp"):
            raise ValueError(f"unknown recogniser augmentation {trained!r} in {spec!r}")
        self.augmentation = "strong" if trained == "warp" else "light"  # augment.for_reader's
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


def case_groups(chars: str) -> torch.Tensor:
    """Group number of each character's case class (compose.case_class: lower, upper, ...)."""
    names = {"lower": 0, "upper": 1, "digit": 2, "other": 3}
    return torch.tensor([names[case_class(c)] for c in chars])


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


# ----------------------------------------------------------------------------- generator


class FiLM(nn.Module):
    """Group norm whose scale and shift come from the condition vector."""

    def __init__(self, channels: int, cond_dim: int) -> None:
        super().__init__()
        self.norm = nn.GroupNorm(min(8, channels // 4), channels, affine=False)
        self.proj = nn.Linear(cond_dim, 2 * channels)
        nn.init.zeros_(self.proj.weight)
        nn.init.zeros_(self.proj.bias)

    def forward(self, x: torch.Tensor, c: torch.Tensor) -> torch.Tensor:
        gamma, beta = self.proj(c)[:, :, None, None].chunk(2, dim=1)
        return self.norm(x) * (1 + gamma) + beta


class ConvBlock(nn.Module):
    """conv -> FiLM -> SiLU, with a residual path when shapes allow."""

    def __init__(self, cin: int, cout: int, cond_dim: int) -> None:
        super().__init__()
        self.conv = nn.Conv2d(cin, cout, 3, padding=1)
        self.film = FiLM(cout, cond_dim)
        self.skip = cin == cout

    def forward(self, x: torch.Tensor, c: torch.Tensor) -> torch.Tensor:
        h = F.silu(self.film(self.conv(x), c))
        return x + h if self.skip else h


class Generator(nn.Module):
    """G(glyph a, T(glyph b), a, b, symmetry, z) -> a glyph reading a as it is and b transformed.

    A three-level U-Net: the skips carry the font's strokes through, the 8x8 bottleneck decides
    which strokes to keep, bend or merge so that both readings survive.
    """

    def __init__(self, cfg: ModelConfig) -> None:
        super().__init__()
        self.cfg = cfg
        w, e = cfg.width, cfg.emb_dim
        self.emb_a = nn.Embedding(cfg.n_chars, e)
        self.emb_b = nn.Embedding(cfg.n_chars, e)
        self.emb_sym = nn.Embedding(len(SYMMETRIES), e)
        cond = 3 * e + cfg.z_dim
        self.cond = nn.Sequential(nn.Linear(cond, 2 * e), nn.SiLU(), nn.Linear(2 * e, 2 * e))
        c = 2 * e
        self.inp = nn.Conv2d(2, w, 3, padding=1)
        self.enc1 = ConvBlock(w, w, c)
        self.down1 = nn.Conv2d(w, 2 * w, 4, 2, 1)
        self.enc2 = ConvBlock(2 * w, 2 * w, c)
        self.down2 = nn.Conv2d(2 * w, 4 * w, 4, 2, 1)
        self.mid1 = ConvBlock(4 * w, 4 * w, c)
        self.mid2 = ConvBlock(4 * w, 4 * w, c)
        self.up2 = nn.Conv2d(4 * w, 2 * w, 3, padding=1)
        self.dec2 = ConvBlock(4 * w, 2 * w, c)
        self.up1 = nn.Conv2d(2 * w, w, 3, padding=1)
        self.dec1 = ConvBlock(2 * w, w, c)
        self.out = nn.Conv2d(w, 1, 3, padding=1)

    def forward(self, glyph_a: torch.Tensor, glyph_tb: torch.Tensor, a: torch.Tensor,
                b: torch.Tensor, sym: torch.Tensor, z: torch.Tensor) -> torch.Tensor:
        c = self.cond(torch.cat([self.emb_a(a), self.emb_b(b), self.emb_sym(sym), z], 1))
        x = torch.cat([glyph_a, glyph_tb], 1) * 2 - 1
        h1 = self.enc1(self.inp(x), c)
        h2 = self.enc2(F.silu(self.down1(h1)), c)
        h = self.mid2(self.mid1(F.silu(self.down2(h2)), c), c)
        h = self.dec2(torch.cat([self.up2(F.interpolate(h, scale_factor=2.0)), h2], 1), c)
        h = self.dec1(torch.cat([self.up1(F.interpolate(h, scale_factor=2.0)), h1], 1), c)
        # Start near the overlay of both inputs, so early training refines rather than invents.
        base = torch.logit(torch.maximum(glyph_a, glyph_tb).clamp(0.02, 0.98))
        return torch.sigmoid(base + self.out(h))


# ----------------------------------------------------------------------------- discriminator


class Discriminator(nn.Module):
    """Projection discriminator with spectral norm: realism of a glyph as the letter `y`."""

    def __init__(self, cfg: ModelConfig) -> None:
        super().__init__()
        w = cfg.d_width
        self.body = nn.Sequential(
            spectral_norm(nn.Conv2d(1, w, 3, 1, 1)), nn.LeakyReLU(0.2),
            spectral_norm(nn.Conv2d(w, 2 * w, 4, 2, 1)), nn.LeakyReLU(0.2),
            spectral_norm(nn.Conv2d(2 * w, 4 * w, 4, 2, 1)), nn.LeakyReLU(0.2),
            spectral_norm(nn.Conv2d(4 * w, 8 * w, 4, 2, 1)), nn.LeakyReLU(0.2),
        )
        self.linear = spectral_norm(nn.Linear(8 * w, 1))
        self.embed = spectral_norm(nn.Embedding(cfg.n_chars, 8 * w))

    def forward(self, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        h = self.body(x * 2 - 1).sum(dim=(2, 3))
        return self.linear(h).squeeze(1) + (self.embed(y) * h).sum(1)

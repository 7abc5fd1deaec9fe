"""The networks: the pair-conditional generator and its discriminator (the recognisers that read
their glyphs are in ambictl.readers, the symmetries they are conditioned on in ambictl.symmetry).

Images are (B, 1, S, S) float tensors with ink = 1 on 0. Generators are chosen by name
(`ModelConfig.kind`, `GENERATORS`), every place that makes one calls `build_generator`, and
every place that draws glyphs with one (make, eval, sample grids) calls `drawing.draw_glyphs`.

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

from .symmetry import SYMMETRIES


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
    kind: str = "fusion"  # which generator (GENERATORS); weights from before it are "fusion"

    @property
    def n_chars(self) -> int:
        return len(self.chars)

    def to_dict(self) -> dict:
        return asdict(self)


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


def _embed(table: nn.Embedding, idx: torch.Tensor) -> torch.Tensor:
    """A letter's embedding, or the sum of a two-letter chunk's (idx (B, 2), -1 = no second
    letter): the images carry the letters' order, the sum which two letters to keep. A
    second column of -1 gives exactly the one-letter embedding, so weights trained before
    wide cells draw single cells as they did."""
    if idx.dim() == 1:
        return table(idx)
    return (table(idx.clamp_min(0)) * (idx >= 0)[..., None]).sum(1)


class FiLMUNet(nn.Module):
    """The three-level U-Net both generator stages share: `in_ch` image channels in, one
    channel of logits out, the pair (a, b), the symmetry and `extra` more numbers (the noise
    code) entering every block through FiLM. Subclasses decide what goes in and what the
    logits are added to."""

    def __init__(self, n_chars: int, in_ch: int, width: int, emb_dim: int, extra: int = 0
                 ) -> None:
        super().__init__()
        w, e = width, emb_dim
        self.emb_a = nn.Embedding(n_chars, e)
        self.emb_b = nn.Embedding(n_chars, e)
        self.emb_sym = nn.Embedding(len(SYMMETRIES), e)
        self.cond = nn.Sequential(nn.Linear(3 * e + extra, 2 * e), nn.SiLU(),
                                  nn.Linear(2 * e, 2 * e))
        c = 2 * e
        self.inp = nn.Conv2d(in_ch, w, 3, padding=1)
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

    def logits(self, images: torch.Tensor, a: torch.Tensor, b: torch.Tensor, sym: torch.Tensor,
               *extra: torch.Tensor) -> torch.Tensor:
        """The U-Net's output for `images` (ink in [0, 1]) under the condition. `a` and `b` are
        one letter per sample (B,), or a cell's letters (B, 2), -1 where it holds one
        (ambictl.cells); the images may be as wide as a cell is (S x 2S for a wide cell)."""
        c = self.cond(torch.cat([_embed(self.emb_a, a), _embed(self.emb_b, b),
                                 self.emb_sym(sym), *extra], 1))
        h1 = self.enc1(self.inp(images * 2 - 1), c)
        h2 = self.enc2(F.silu(self.down1(h1)), c)
        h = self.mid2(self.mid1(F.silu(self.down2(h2)), c), c)
        h = self.dec2(torch.cat([self.up2(F.interpolate(h, scale_factor=2.0)), h2], 1), c)
        h = self.dec1(torch.cat([self.up1(F.interpolate(h, scale_factor=2.0)), h1], 1), c)
        return self.out(h)


class Generator(FiLMUNet):
    """G(glyph a, T(glyph b), a, b, symmetry, z) -> a glyph reading a as it is and b transformed.

    The skips carry the font's strokes through, the 8x8 bottleneck decides which strokes to
    keep, bend or merge so that both readings survive.
    """

    def __init__(self, cfg: ModelConfig) -> None:
        super().__init__(cfg.n_chars, 2, cfg.width, cfg.emb_dim, extra=cfg.z_dim)
        self.cfg = cfg

    def forward(self, glyph_a: torch.Tensor, glyph_tb: torch.Tensor, a: torch.Tensor,
                b: torch.Tensor, sym: torch.Tensor, z: torch.Tensor) -> torch.Tensor:
        # Start near the overlay of both inputs, so early training refines rather than invents.
        base = torch.logit(torch.maximum(glyph_a, glyph_tb).clamp(0.02, 0.98))
        return torch.sigmoid(base + self.logits(torch.cat([glyph_a, glyph_tb], 1), a, b, sym, z))


GENERATORS: dict[str, type[nn.Module]] = {"fusion": Generator}


def build_generator(cfg: ModelConfig) -> nn.Module:
    """An untrained generator of the kind `cfg.kind` names: how every generator is made."""
    if cfg.kind not in GENERATORS:
        raise ValueError(f"unknown generator kind {cfg.kind!r}; this ambictl knows "
                         f"{', '.join(GENERATORS)}")
    return GENERATORS[cfg.kind](cfg)


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

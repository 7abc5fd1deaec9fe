"""The second stage: a 64 px refiner for the generator's 32 px glyphs (StackGAN's lesson).

The first stage (models.Generator) decides the shape at 32 px: which strokes to keep, bend or
merge so that both readings survive. Blown up to tattoo size its pixel-level bumps become lumps.
The refiner sees that glyph upsampled to 64 px beside the style font's own 64 px glyphs of a and
(turned) b, and redraws it at 64 px: a discriminator at 64 px holds it to real type (clean
stems, crisp curves, the font's contrast), the frozen recognisers read both views shrunk back to
32 px (so legibility is kept, not re-learnt), and an L1 tie to the first stage's glyph at 32 px
keeps the shape the first stage chose. It starts as the identity (its last layer is zero), so
an untrained refiner is bilinear upsampling.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import torch
import torch.nn.functional as F
from torch import nn

from .models import FiLMUNet


@dataclass
class RefinerConfig:
    chars: str
    size: int = 64  # output side; the input glyph is size // 2
    width: int = 20  # channels at full resolution (doubling per level)
    emb_dim: int = 16

    def to_dict(self) -> dict:
        return asdict(self)


def shrink(x: torch.Tensor, size: int) -> torch.Tensor:
    """Area-average to `size` (how every reader and the first stage see a 64 px glyph)."""
    return F.interpolate(x, size=(size, size), mode="area") if x.shape[-1] != size else x


def enlarge(x: torch.Tensor, size: int) -> torch.Tensor:
    return F.interpolate(x, size=(size, size), mode="bilinear", align_corners=False)


class Refiner(FiLMUNet):
    """R(glyph32, font glyph a, T(font glyph b), a, b, symmetry) -> the glyph at 64 px.

    The generator's U-Net (models.FiLMUNet) at 64 / 32 / 16 px, conditioned on the pair and
    symmetry: it knows which letters the glyph must read as, so it can tell a stroke to keep
    from a bump.
    """

    def __init__(self, cfg: RefinerConfig) -> None:
        super().__init__(len(cfg.chars), 3, cfg.width, cfg.emb_dim)
        self.cfg = cfg
        nn.init.zeros_(self.out.weight)  # identity at the start: bilinear upsampling
        nn.init.zeros_(self.out.bias)

    def forward(self, glyph: torch.Tensor, ref_a: torch.Tensor, ref_tb: torch.Tensor,
                a: torch.Tensor, b: torch.Tensor, sym: torch.Tensor) -> torch.Tensor:
        up = enlarge(glyph, self.cfg.size)
        delta = self.logits(torch.cat([up, ref_a, ref_tb], 1), a, b, sym)
        return torch.sigmoid(torch.logit(up.clamp(0.02, 0.98)) + delta)

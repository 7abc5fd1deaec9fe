"""Differentiable augmentation of glyph batches (B, 1, S, S), ink = 1.

Used three ways: to train robust recognisers, before the frozen recognisers in the generator's
loss (so the generator cannot win with pixel-exact tricks one network happens to read), and as
DiffAugment on everything the discriminator sees (real and fake alike), which keeps a
discriminator on a small data set from memorising it.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F


def affine(x: torch.Tensor, g: torch.Generator | None = None, *, shift: float = 0.08,
           scale: float = 0.1, rotate: float = 6.0, shear: float = 0.1) -> torch.Tensor:
    """Random small affine warp per sample (shift as a fraction of the frame, rotate in degrees)."""
    b = x.shape[0]

    def u(lo: float, hi: float) -> torch.Tensor:
        return torch.rand(b, generator=g, device=x.device) * (hi - lo) + lo

    s = u(1 - scale, 1 + scale)
    r = u(-rotate, rotate) * math.pi / 180
    sh = u(-shear, shear)
    cos, sin = torch.cos(r) / s, torch.sin(r) / s
    theta = torch.stack([torch.stack([cos, -sin + sh, u(-2 * shift, 2 * shift)], 1),
                         torch.stack([sin, cos, u(-2 * shift, 2 * shift)], 1)], 1)
    grid = F.affine_grid(theta, list(x.shape), align_corners=False)
    return F.grid_sample(x, grid, padding_mode="zeros", align_corners=False)


def stroke_weight(x: torch.Tensor, g: torch.Generator | None = None) -> torch.Tensor:
    """Per sample: thicken (max filter), thin (min filter) or keep the strokes."""
    choice = torch.randint(0, 3, (x.shape[0], 1, 1, 1), generator=g, device=x.device)
    thick = F.max_pool2d(x, 3, 1, 1)
    thin = -F.max_pool2d(-x, 3, 1, 1)
    # Blend halfway so a 1-pixel change at 32 px is a moderate, not a drastic, change.
    thick, thin = (x + thick) / 2, (x + thin) / 2
    return torch.where(choice == 0, thick, torch.where(choice == 1, thin, x))


def blur_noise(x: torch.Tensor, g: torch.Generator | None = None, *, noise: float = 0.08
               ) -> torch.Tensor:
    """Sometimes a light blur, always a little pixel noise."""
    k = torch.tensor([1.0, 2.0, 1.0], device=x.device)
    k = (k[:, None] * k[None, :] / 16).view(1, 1, 3, 3)
    blurred = F.conv2d(x, k, padding=1)
    pick = torch.rand(x.shape[0], 1, 1, 1, generator=g, device=x.device) < 0.3
    x = torch.where(pick, blurred, x)
    return (x + noise * torch.randn(x.shape, generator=g, device=x.device)).clamp(0, 1)


def cutout(x: torch.Tensor, g: torch.Generator | None = None, frac: float = 0.25) -> torch.Tensor:
    """Blank one random square per sample (DiffAugment's cutout)."""
    b, _, h, w = x.shape
    size = max(1, int(h * frac))
    cy = torch.randint(0, h, (b, 1, 1), generator=g, device=x.device)
    cx = torch.randint(0, w, (b, 1, 1), generator=g, device=x.device)
    ys = torch.arange(h, device=x.device).view(1, h, 1)
    xs = torch.arange(w, device=x.device).view(1, 1, w)
    mask = ((ys - cy).abs() <= size // 2) & ((xs - cx).abs() <= size // 2)
    return x * (~mask).unsqueeze(1).float()


def for_recognizer(x: torch.Tensor, g: torch.Generator | None = None) -> torch.Tensor:
    """The recognisers' augmentation: affine, stroke weight, blur and noise."""
    return blur_noise(stroke_weight(affine(x, g), g), g)


def diff_augment(x: torch.Tensor, g: torch.Generator | None = None) -> torch.Tensor:
    """DiffAugment for the discriminator: translation and cutout, identical for real and fake."""
    return cutout(affine(x, g, shift=0.06, scale=0.0, rotate=0.0, shear=0.0), g)

"""Differentiable augmentation of glyph batches (B, 1, S, S), ink = 1.

`strong` (an anisotropic affine map with an elastic warp, continuous stroke weight, grey ink,
blur, noise, erasures) trains the held-out judge and the "+warp" recognisers. The lighter one
(`for_recognizer`) trains plain recognisers and comes before the frozen recognisers in the
generator's loss (so the generator cannot win with pixel-exact tricks one network happens to
read); `diff_augment` goes on everything the discriminator sees (real and fake alike), which keeps
a discriminator on a small data set from memorising it.
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


def _max3(x: torch.Tensor) -> torch.Tensor:
    """3x3 max filter (a one-pixel dilation); -_max3(-x) is the erosion."""
    return F.max_pool2d(x, 3, 1, 1)


def stroke_weight(x: torch.Tensor, g: torch.Generator | None = None) -> torch.Tensor:
    """Per sample: thicken (max filter), thin (min filter) or keep the strokes."""
    choice = torch.randint(0, 3, (x.shape[0], 1, 1, 1), generator=g, device=x.device)
    thick, thin = _max3(x), -_max3(-x)
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


def _uniform(b: int, lo: float, hi: float, g: torch.Generator | None, device: torch.device
             ) -> torch.Tensor:
    return torch.rand(b, generator=g, device=device) * (hi - lo) + lo


def warp_grid(x: torch.Tensor, g: torch.Generator | None, elastic: float = 0.03, cells: int = 4
              ) -> torch.Tensor:
    """One sampling grid for a random affine map and a smooth elastic warp together.

    Affine: x and y scaled apart (condensed and extended faces), shear (italics), a small turn
    and shift. Elastic: a coarse random displacement grid (frame units) upsampled bicubically.
    """
    b, _, h, w = x.shape
    dev = x.device
    sx, sy = _uniform(b, 0.8, 1.2, g, dev), _uniform(b, 0.88, 1.12, g, dev)
    r = _uniform(b, -7, 7, g, dev) * math.pi / 180
    sh = _uniform(b, -0.25, 0.25, g, dev)
    cos, sin = torch.cos(r), torch.sin(r)
    theta = torch.stack([
        torch.stack([cos / sx, (-sin + sh) / sx, _uniform(b, -0.12, 0.12, g, dev)], 1),
        torch.stack([sin / sy, cos / sy, _uniform(b, -0.08, 0.08, g, dev)], 1)], 1)
    grid = F.affine_grid(theta, [b, 1, h, w], align_corners=False)
    coarse = torch.randn(b, 2, cells, cells, generator=g, device=dev) * elastic
    flow = F.interpolate(coarse, size=(h, w), mode="bicubic", align_corners=True)
    return grid + flow.permute(0, 2, 3, 1)


def stroke(x: torch.Tensor, g: torch.Generator | None, strength: float = 0.7) -> torch.Tensor:
    """Continuous stroke weight: blend towards a one-pixel dilation or erosion by a random
    amount up to `strength` (a whole pixel at 32 px closes the gap of a C into an O)."""
    thick, thin = _max3(x), -_max3(-x)
    amount = (torch.rand(x.shape[0], 1, 1, 1, generator=g, device=x.device) * 2 - 1) * strength
    return torch.where(amount > 0, x + amount * (thick - x), x - amount * (thin - x))


def strong(x: torch.Tensor, g: torch.Generator | None, size: int) -> torch.Tensor:
    """The strong augmentation (the judge's and the "+warp" recognisers'): warp at the source
    resolution, shrink to `size` (area, so the warp is anti-aliased), stroke weight; then, for
    some samples only, grey ink, blur and noise, and a small erasure. Leaving a share of samples
    clean keeps batch-norm statistics close to the clean glyphs a reader is scored on and the
    smooth glyphs a generator draws."""
    x = F.grid_sample(x, warp_grid(x, g), padding_mode="zeros", align_corners=False)
    if x.shape[-1] != size:
        x = F.interpolate(x, size=(size, size), mode="area")
    x = stroke(x, g)
    b = x.shape[0]

    def some(p: float) -> torch.Tensor:
        return torch.rand(b, 1, 1, 1, generator=g, device=x.device) < p

    level = 0.6 + 0.4 * torch.rand(b, 1, 1, 1, generator=g, device=x.device)  # grey ink
    x = torch.where(some(0.5), x * level, x)
    x = torch.where(some(0.5), blur_noise(x, g, noise=0.06), x)
    return torch.where(some(0.2), cutout(x, g, frac=0.2), x)


READER_AUGMENTATIONS = ("strong", "light")  # what for_reader accepts


def for_reader(x: torch.Tensor, g: torch.Generator | None, size: int, strength: str
               ) -> torch.Tensor:
    """Augmentation for training a reader (recogniser or judge), returned at `size`: "strong"
    (`strong`) or "light" (`for_recognizer`, then an area shrink if needed)."""
    if strength == "strong":
        return strong(x, g, size)
    if strength not in READER_AUGMENTATIONS:
        raise ValueError(f"unknown augmentation {strength!r}: strong or light")
    x = for_recognizer(x, g)
    return F.interpolate(x, size=(size, size), mode="area") if x.shape[-1] != size else x

"""Glyph tables and pair sampling: what the models are trained on.

A GlyphTable holds every glyph of some fonts as float images at the model's size, addressed by
(font, character), so a training pair (a, b) can be drawn from one font: that font is the style.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from .dataset import GlyphSet
from .symmetry import SYMMETRIES

# Relative frequency of letters in English text: pairs that real words need come up more often.
_EN_FREQ = dict(zip("etaoinshrdlcumwfgypbvkjxqz",
                    [12.7, 9.1, 8.2, 7.5, 7.0, 6.7, 6.3, 6.1, 6.0, 4.3, 4.0, 2.8, 2.8, 2.4, 2.4,
                     2.2, 2.0, 2.0, 1.9, 1.5, 1.0, 0.8, 0.15, 0.15, 0.1, 0.07], strict=True))


def to_model_size(images: torch.Tensor, size: int) -> torch.Tensor:
    """uint8 (N, S, S) -> float (N, 1, size, size) in [0, 1], area-averaged when shrinking."""
    x = images.float().div(255).unsqueeze(1)
    if x.shape[-1] != size:
        x = F.interpolate(x, size=(size, size), mode="area" if x.shape[-1] > size else "bilinear")
    return x


class GlyphTable:
    """glyphs[f, c] = character c of font f, for fonts that have every character."""

    def __init__(self, glyph_set: GlyphSet, size: int) -> None:
        n_chars = len(glyph_set.chars)
        fonts = sorted(set(glyph_set.font_ids.tolist()))
        complete = [f for f in fonts if int((glyph_set.font_ids == f).sum()) == n_chars]
        if not complete:
            raise ValueError("no font in the data set has every character")
        images = to_model_size(glyph_set.images, size)
        table = torch.zeros(len(complete), n_chars, 1, size, size)
        row = {f: i for i, f in enumerate(complete)}
        for img, f, c in zip(images, glyph_set.font_ids.tolist(), glyph_set.labels.tolist(),
                             strict=True):
            if f in row:
                table[row[f], c] = img
        self.glyphs = table
        self.font_ids = complete  # data set font id of each row
        self.chars = glyph_set.chars

    @property
    def n_fonts(self) -> int:
        return self.glyphs.shape[0]

    def spread(self, n: int) -> GlyphTable:
        """At most `n` fonts, spread evenly over the table's order (in place)."""
        if 0 < n < self.n_fonts:
            rows = sorted({round(k * (self.n_fonts - 1) / max(n - 1, 1)) for k in range(n)})
            self.glyphs = self.glyphs[rows]
            self.font_ids = [self.font_ids[r] for r in rows]
        return self

    def to(self, device: torch.device) -> GlyphTable:
        self.glyphs = self.glyphs.to(device)
        return self


def _letter_weight(ch: str) -> float:
    return _EN_FREQ.get(ch.lower(), 2.0)


class PairSampler:
    """Draws (a, b, symmetry) triples.

    Without explicit pairs: same-case pairs dominate (lower 55 %, capitals 30 %, digits 5 %, any
    mix 10 %), letters weighted a quarter by English frequency and three quarters uniformly (the
    commonest lower-case pair comes up about 4x as often as the rarest), so every pair is
    covered. With `pairs` (a fine-tune for one word pair) those make `focus` of each batch and the
    general mix the rest: trained on a handful of pairs alone, the generator soon draws shapes the
    frozen recognisers accept but people do not read (the discriminator, seeing only those few
    letters, stops holding it to real glyphs).
    """

    def __init__(self, chars: str, pairs: list[tuple[str, str, str]] | None = None,
                 symmetry_weights: tuple[float, float, float] = (0.6, 0.2, 0.2),
                 focus: float = 0.5) -> None:
        self.chars = chars
        self.focus = focus
        n = len(chars)
        self.fixed = None
        if pairs:
            idx = [(chars.index(a), chars.index(b), SYMMETRIES.index(s)) for a, b, s in pairs]
            self.fixed = torch.tensor(idx)
        w = torch.tensor([_letter_weight(c) for c in chars])
        w = 0.25 * w / w.sum() + 0.75 / n
        groups = {"lower": (0.55, [c.islower() for c in chars]),
                  "upper": (0.30, [c.isupper() for c in chars]),
                  "digit": (0.05, [c.isdigit() for c in chars]),
                  "any": (0.10, [True] * n)}
        joint = torch.zeros(n, n)
        for share, member in groups.values():
            m = torch.tensor(member, dtype=torch.float) * w
            if m.sum() > 0:
                joint += share * torch.outer(m, m) / m.sum() ** 2
        self.joint = (joint / joint.sum()).flatten()
        self.sym = torch.tensor(symmetry_weights, dtype=torch.float)

    def sample(self, n: int, g: torch.Generator) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        flat = torch.multinomial(self.joint, n, replacement=True, generator=g)
        sym = torch.multinomial(self.sym, n, replacement=True, generator=g)
        k = len(self.chars)
        a, b = flat // k, flat % k
        if self.fixed is not None:
            rows = self.fixed[torch.randint(0, len(self.fixed), (n,), generator=g)]
            use = torch.rand(n, generator=g) < self.focus
            a, b, sym = (torch.where(use, rows[:, i], t) for i, t in enumerate((a, b, sym)))
        return a, b, sym

"""The first stage's drawing: a style's glyph of a and its turned glyph of b, fused by the
generator. `make` (ambigram), `eval` (evaluate.Draw), the GAN's sample grids (training) and the
refiner's training (refine_train) all draw through `draw_glyphs`, so eval measures the very
glyphs make writes. The second stage has its own one place, `ambigram.refine`.
"""

from __future__ import annotations

import torch
from torch import nn

from .cells import cell_width, chunk_glyphs
from .symmetry import SYMMETRIES, transform


@torch.no_grad()
def draw_glyphs(generator: nn.Module, bank: torch.Tensor, a: torch.Tensor, b: torch.Tensor,
                style: torch.Tensor, symmetry: str | torch.Tensor, z: torch.Tensor,
                batch: int | None = None) -> torch.Tensor:
    """Glyphs (R, 1, S, W) in [0, 1], on the bank's device, one per row: characters a[row] (as
    it is) and b[row] (read after the symmetry) in style style[row] of `bank` (n_styles,
    n_chars, 1, S, S), with noise code z[row] (R, z_dim). a and b may be a cell's letters
    (R, 2) (ambictl.cells): rows that hold two letters in a reading are wide (W = 2S), and
    one call draws rows of one width. `symmetry`: a name, or per-row indices into SYMMETRIES.
    `batch` rows per generator call (None: all in one); keep a caller's batch size, since
    some backends' last float bits depend on it.

    On the CPU the inputs go in channels-last, the layout `models.fast_layout` gives the
    weights there; other devices keep their default layout (as fast_layout does)."""
    dev = bank.device
    a, b, style, z = a.to(dev), b.to(dev), style.to(dev), z.to(dev)
    sym = symmetry.to(dev) if not isinstance(symmetry, str) else \
        torch.full((len(a),), SYMMETRIES.index(symmetry), dtype=torch.long, device=dev)
    layout = torch.channels_last if dev.type == "cpu" else torch.contiguous_format
    step = batch or max(1, len(a))
    width = cell_width(a, b, bank.shape[-1])
    outs = []
    for i in range(0, len(a), step):
        j = slice(i, i + step)
        ga = chunk_glyphs(bank, style[j], a[j], width).contiguous(memory_format=layout)
        tb = symmetry if isinstance(symmetry, str) else sym[j]
        gtb = transform(chunk_glyphs(bank, style[j], b[j], width), tb).contiguous(
            memory_format=layout)
        outs.append(generator(ga, gtb, a[j], b[j], sym[j], z[j]))
    if not outs:
        return torch.zeros(0, *bank.shape[2:-1], width, device=dev)
    return torch.cat(outs).clamp(0, 1)

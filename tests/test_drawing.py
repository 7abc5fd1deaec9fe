"""One first-stage drawing (drawing.draw_glyphs): make, eval and training's sample grid draw the
same glyph for the same pair, style, symmetry and noise code."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
import torch
from test_make import build_tiny_model

from ambictl import ambigram, evaluate, training, weights
from ambictl.drawing import draw_glyphs
from ambictl.symmetry import SYMMETRIES

pytestmark = pytest.mark.usefixtures("one_thread")


@pytest.fixture(scope="module")
def model_path(tmp_path_factory: pytest.TempPathFactory, sample_fonts) -> Path:
    """A tiny model whose conditions (pair, symmetry, noise code) change the glyph: an
    untrained generator's FiLM layers start at zero and would ignore them."""
    path = build_tiny_model(tmp_path_factory.mktemp("drawing") / "tiny.pt", sample_fonts.plain)
    payload = weights.load(path, "model")
    g = torch.Generator().manual_seed(0)
    for name, w in payload["generator"].items():
        if ".proj." in name:
            w.copy_(torch.randn(w.shape, generator=g) * 0.3)
    weights.save(path, "model", payload)
    return path


@pytest.mark.parametrize("symmetry", ["rotate", "mirror"])
def test_make_eval_and_training_draw_the_same_glyph(model_path: Path, symmetry: str) -> None:
    model = ambigram.load_model(model_path)
    bank = evaluate.load_model(model_path, torch.device("cpu"))
    chars = model.chars
    rows = [(x, y, s, s) for x in "dpnuaB" for y in "dpnuaB" for s in (0, 1)]  # 2 batches
    a = torch.tensor([chars.index(r[0]) for r in rows])
    b = torch.tensor([chars.index(r[1]) for r in rows])
    s = torch.tensor([r[2] for r in rows])
    codes = evaluate.style_codes(bank, 0)  # eval: one code per style; make: one per row
    by_eval = evaluate.Draw(bank, symmetry, codes)("model", a, b, s)
    by_make, _, _ = ambigram._read(model, rows, codes, symmetry)
    assert by_eval.shape == (len(rows), 1, 32, 32)
    assert torch.equal(by_eval[:, 0], torch.from_numpy(np.stack(by_make)))
    # A per-row symmetry index draws what the name draws.
    by_index = draw_glyphs(model.generator, model.style_glyphs, a, b, s,
                           torch.full_like(a, SYMMETRIES.index(symmetry)), codes[s], 64)
    assert torch.equal(by_index, by_eval)

    # Training's sample grid: per pair, per style the tiles a, T(b), the glyph (code 0), turned.
    table = SimpleNamespace(glyphs=model.style_glyphs, chars=chars)
    grid = training.sample_grid(model.generator, table, [0, 1], [("d", "p", symmetry)])
    zero = ambigram._read(model, [("d", "p", 0, 0), ("d", "p", 1, 0)],
                          torch.zeros(1, model.config.z_dim), symmetry)[0]
    for k, glyph in enumerate(zero):
        tile = grid[:, (4 * k + 2) * 32:(4 * k + 3) * 32]
        assert (tile == (255 - torch.from_numpy(glyph) * 255).round().byte().numpy()).all()


def test_no_rows_draw_nothing(model_path: Path) -> None:
    model = ambigram.load_model(model_path)
    none = torch.zeros(0, dtype=torch.long)
    out = draw_glyphs(model.generator, model.style_glyphs, none, none, none, "flip",
                      torch.zeros(0, model.config.z_dim), 64)
    assert out.shape == (0, 1, 32, 32)

"""The 64 px second stage: the network, a model file carrying it, make and eval drawing through it,
and its training on finished weights."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from test_make import build_tiny_model
from test_training import tiny_config

from ambictl import weights
from ambictl.ambigram import load_model, make_ambigram
from ambictl.errors import DataError, UsageError
from ambictl.eval_words import NO_REFINER, word_methods
from ambictl.evaluate import REFINED, eval_methods
from ambictl.evaluate import load_model as load_bank
from ambictl.refine import Refiner, RefinerConfig, enlarge
from ambictl.training import train

pytestmark = pytest.mark.usefixtures("one_thread")
SMALL = {"width": 8, "emb_dim": 8}


def add_refiner(path: Path, out: Path, *, identity: bool = False, glyph_size: int = 64) -> Path:
    """`path`'s model with a small refiner (an untrained one is bilinear enlargement; otherwise
    its last layer is perturbed so it changes the glyphs) and 64 px references."""
    payload = weights.load(path, "model")
    chars = payload["model_config"]["chars"]
    torch.manual_seed(1)
    net = Refiner(RefinerConfig(chars=chars, **SMALL))
    if not identity:
        torch.nn.init.normal_(net.out.weight, std=0.5)
    bank = payload["styles"]["glyphs"].float()[:, :, None] / 255
    refs = torch.stack([enlarge(g, glyph_size)[:, 0] for g in bank])
    payload["refiner"] = {"config": net.cfg.to_dict(), "state": net.state_dict(),
                          "glyphs": (refs * 255).round().byte()}
    weights.save(out, "model", payload)
    return out


@pytest.fixture(scope="module")
def plain(tmp_path_factory: pytest.TempPathFactory, sample_fonts) -> Path:
    return build_tiny_model(tmp_path_factory.mktemp("refine") / "plain.pt", sample_fonts.plain)


def test_an_untrained_refiner_is_bilinear_enlargement() -> None:
    net = Refiner(RefinerConfig(chars="abc", **SMALL)).eval()
    g = torch.rand(2, 1, 32, 32) * 0.9 + 0.05
    ref = torch.rand(2, 1, 64, 64)
    out = net(g, ref, ref, torch.tensor([0, 1]), torch.tensor([1, 2]), torch.tensor([0, 1]))
    assert out.shape == (2, 1, 64, 64)
    assert torch.allclose(out, enlarge(g, 64).clamp(0.02, 0.98), atol=1e-5)


def test_make_redraws_the_chosen_glyphs_and_their_alternatives_at_64_px(plain: Path,
                                                                         tmp_path: Path) -> None:
    same = load_model(add_refiner(plain, tmp_path / "identity.pt", identity=True))
    first = make_ambigram("dear", "read", weights=same, style=0, refined=False)
    refined = make_ambigram("dear", "read", weights=same, style=0)
    assert first.glyphs.shape[1:] == (32, 32) and refined.glyphs.shape[1:] == (64, 64)
    # The identity refiner is enlargement: each delivered cell is its first-stage glyph's.
    up = enlarge(torch.from_numpy(first.glyphs)[:, None], 64)[:, 0].clamp(0.02, 0.98).numpy()
    assert np.allclose(refined.glyphs, up, atol=1e-5)
    assert all(a.shape[1:] == (64, 64) for a in refined.alternatives)
    assert [s.legibility for s in refined.scores] == [s.legibility for s in first.scores]


def test_a_refined_model_draws_the_same_bytes_for_a_seed_and_writes_svg_and_png(
        plain: Path, tmp_path: Path) -> None:
    model = load_model(add_refiner(plain, tmp_path / "r.pt"))
    a = make_ambigram("dear", "read", weights=model, style=0, seed=3)
    b = make_ambigram("dear", "read", weights=model, style=0, seed=3)
    assert a.to_svg() == b.to_svg() and a.to_png(height=200) == b.to_png(height=200)
    unrefined = make_ambigram("dear", "read", weights=model, style=0, seed=3, refined=False)
    assert not np.allclose(a.glyphs, enlarge(torch.from_numpy(unrefined.glyphs)[:, None], 64
                                             )[:, 0].numpy(), atol=0.05)  # it does redraw
    cells, picture = a.delivered()
    assert cells.shape[1:] == (64, 64) and picture.shape == (a.layout.height, a.layout.width)
    assert a.save(tmp_path / "x.svg").read_text().count("<path") == 4


def test_eval_measures_the_refiner_beside_the_first_stage(plain: Path, tmp_path: Path) -> None:
    refined = load_bank(add_refiner(plain, tmp_path / "r.pt"), torch.device("cpu"))
    assert REFINED in eval_methods(refined)
    assert set(NO_REFINER) <= set(word_methods(refined.model))
    first = load_bank(plain, torch.device("cpu"))
    assert REFINED not in eval_methods(first) and not set(NO_REFINER) & set(
        word_methods(first.model))


def test_a_refiner_that_does_not_fit_its_model_is_refused_in_one_line(plain: Path,
                                                                     tmp_path: Path) -> None:
    bad = add_refiner(plain, tmp_path / "bad.pt", glyph_size=48)  # references of the wrong size
    with pytest.raises(DataError, match="refiner does not match") as e:
        load_model(bad)
    assert "\n" not in str(e.value)


def test_the_refiner_trains_on_finished_weights_and_resumes(small_dataset, tmp_path: Path
                                                            ) -> None:
    run = train(small_dataset.path, tmp_path / "run", tiny_config(), device="cpu")
    assert "refiner" not in weights.load(run.weights_path, "model")  # a generator run has none

    alone = replace_refine(tiny_config(), steps=2)
    only = train(small_dataset.path, tmp_path / "only", alone, device="cpu", what="refiner",
                 init_weights=str(run.weights_path))
    payload = weights.load(only.weights_path, "model")
    assert only.steps == 2 and payload["refiner"]["glyphs"].shape[-1] == 64
    assert torch.equal(payload["generator"]["out.weight"],
                       weights.load(run.weights_path, "model")["generator"]["out.weight"])
    assert (tmp_path / "only" / "samples.png").is_file()
    assert load_model(only.weights_path).refiner is not None
    with pytest.raises(UsageError, match="--resume"):
        train(small_dataset.path, tmp_path / "only", alone, device="cpu", what="refiner",
              init_weights=str(run.weights_path))
    more = train(small_dataset.path, tmp_path / "only", replace_refine(alone, steps=3),
                 device="cpu", what="refiner", init_weights=str(run.weights_path), resume=True)
    assert more.steps == 3


def replace_refine(cfg, **kw):  # noqa: ANN001, ANN201 (a TrainConfig)
    from dataclasses import replace

    return replace(cfg, refine={**cfg.refine, **kw})

"""The ranking readers (ambictl.rankers): their own fonts, their robust score, their training,
and `make` choosing with them."""

from __future__ import annotations

import string
from pathlib import Path

import numpy as np
import pytest
import torch
from test_make import Overlay, build_tiny_model, with_generator

from ambictl import rankers, weights
from ambictl.ambigram import Model, load_model, make_ambigram
from ambictl.dataset import assign_splits, build_dataset, load_dataset
from ambictl.fonts import bundled_manifest
from ambictl.judge import load_judge
from ambictl.readers import Recognizer
from ambictl.training import TrainConfig, train

pytestmark = pytest.mark.usefixtures("one_thread")


# --- three disjoint groups of readers ----------------------------------------------------------


def test_the_bundled_ranking_families_are_not_the_judges() -> None:
    """The families fonts/manifest.json reserves for ranking are none of the shipped judges'
    (a data set puts them in no other split: test_rank_fonts_form_their_own_split)."""
    ranking = {e["family"].lower() for e in bundled_manifest().values()
               if e.get("split") == "rank"}
    judges = {f.lower() for j in (load_judge(), load_judge("light")) for f in j.meta["families"]}
    assert len(ranking) >= 30 and judges
    assert not any(j == r or j.startswith(r + " ") for j in judges for r in ranking)


def test_reserving_families_for_ranking_moves_no_other_family() -> None:
    names = [f"Family {i}" for i in range(200)]
    plain = assign_splits(names)
    reserved = set(names[::7])
    split = assign_splits(names, reserved)
    assert {f for f, s in split.items() if s == "rank"} == reserved
    assert all(split[f] == plain[f] for f in names if f not in reserved)
    assert {"train", "val"} <= set(split.values())


@pytest.fixture(scope="module")
def ranked_data(tmp_path_factory: pytest.TempPathFactory, sample_fonts) -> Path:
    """A tiny data set whose 'rank' split is one family given with rank_fonts."""
    root = tmp_path_factory.mktemp("ranked")
    rank_font = sample_fonts.paired[0]
    others = [f for f in sample_fonts.files if f not in sample_fonts.paired]
    out = root / "data"
    build_dataset(out, chars="adpoAO", size=32, fonts=others, rank_fonts=[rank_font],
                  system=False, bundled=False, workers=1)
    return out


def test_rank_fonts_form_their_own_split(ranked_data: Path) -> None:
    data = load_dataset(ranked_data)
    split = data.manifest["split"]
    assert split["rank"] and split["train"]
    families = {s: {f["family"] for f in data.manifest["fonts"] if f["split"] == s}
                for s in ("train", "val", "rank")}
    assert not families["rank"] & (families["train"] | families["val"])
    assert all(f["source"] == "rank" for f in data.manifest["fonts"] if f["split"] == "rank")


def test_train_rankers_on_finished_weights(ranked_data: Path, tmp_path: Path,
                                           sample_fonts) -> None:
    """`train --what rankers` writes the weights back with rankers added and nothing else
    changed; `make` then ranks with them."""
    model_path = build_tiny_model(tmp_path / "m.pt", sample_fonts.plain, chars="adpoAO")
    result = train(ranked_data, tmp_path / "run", TrainConfig.quick(), device="cpu",
                   init_weights=str(model_path), what="rankers")
    before = weights.load(model_path, "model")
    after = weights.load(result.weights_path, "model")
    assert set(after) == set(before) | {"rankers"}
    for k in ("generator", "recognizers", "styles"):
        assert weights.checksum({k: after[k]}) == weights.checksum({k: before[k]})
    data = load_dataset(ranked_data)
    meta = after["rankers"]["meta"]
    ranking, generator, judges = (set(meta[k]) for k in ("families", "train_families",
                                                           "val_families"))
    assert ranking == {f["family"] for f in data.manifest["fonts"] if f["split"] == "rank"}
    assert ranking and generator  # three groups of readers, no family in two of them
    assert not ranking & generator and not ranking & judges and not generator & judges
    model = load_model(result.weights_path)
    assert len(model.rankers) == 1 and not load_model(model_path).rankers
    amb = make_ambigram("ad", "da", candidates=2, style=0, ranking="rankers", weights=model)
    assert len(amb.scores) == 2


def test_without_ranking_fonts_rankers_cannot_train(tmp_path: Path, sample_fonts) -> None:
    from ambictl.errors import DataError

    out = tmp_path / "data"
    build_dataset(out, chars="adpo", size=32, fonts=list(sample_fonts.files), system=False,
                  bundled=False, workers=1)
    with pytest.raises(DataError, match="no ranking fonts"):
        rankers.train_rankers(load_dataset(out), rankers.RankerConfig.quick(),
                              torch.device("cpu"))


def test_the_attack_step_makes_a_glyph_harder_to_read() -> None:
    torch.manual_seed(0)
    net = Recognizer(4, "coarse+adv").eval()
    x = torch.rand(8, 1, 32, 32)
    y = net(x).argmax(1)
    moved = rankers.attack_step(net, x, y, 3.0)
    step = (moved - x).flatten(1).norm(dim=1)  # the radius, less what [0, 1] clips off
    assert bool(((step > 2.0) & (step <= 3.0 + 1e-4)).all())
    loss = torch.nn.functional.cross_entropy
    assert loss(net(moved), y) > loss(net(x), y)


# --- the robust score ----------------------------------------------------------------------------


class ShapeOrAccident(torch.nn.Module):
    """A stand-in reader with two ways to read letter 0: by shape (ink over 30 % of the frame,
    however it is rendered) or by accident (crisp ink centred to a quarter pixel: one exact
    rendering, as a network overfit to a pixel pattern reads); anything else is letter 1."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        mass = x.sum((1, 2, 3)).clamp_min(1e-6)
        at = torch.arange(x.shape[-1], dtype=x.dtype)
        cy = (x.sum(-1)[:, 0] * at).sum(1) / mass
        cx = (x.sum(-2)[:, 0] * at).sum(1) / mass
        grey = ((x > 0.03) & (x < 0.97)).float().mean((1, 2, 3))
        exact = (grey < 0.01) & ((cy - 15.5).abs() < 0.25) & ((cx - 15.5).abs() < 0.25)
        reads = ((x.mean((1, 2, 3)) > 0.3) | exact).float()
        return torch.stack([20 * reads, 20 * (1 - reads)], 1)


def square(side: int) -> torch.Tensor:
    x = torch.zeros(1, 1, 32, 32)
    lo = 16 - side // 2
    x[..., lo:lo + side, lo:lo + side] = 1
    return x


def test_a_glyph_that_reads_in_one_rendering_only_scores_lower_than_a_clean_one() -> None:
    """Both glyphs read as letter 0 as delivered; the fragile one only by accident, so every
    other rendering (bolder, lighter, shifted, blurred) loses it."""
    readers = [ShapeOrAccident()]
    clean, fragile = square(20), square(12)
    a = b = torch.zeros(1, dtype=torch.long)
    for g in (clean, fragile):
        _, plain = rankers.legibility(readers, "ab", g, a, b, "rotate", ("as delivered",))
        assert plain.item() > 0.99
    _, robust_clean = rankers.legibility(readers, "ab", clean, a, b, "rotate")
    _, robust_fragile = rankers.legibility(readers, "ab", fragile, a, b, "rotate")
    assert robust_clean.item() > 0.99
    assert robust_fragile.item() == pytest.approx(1 / len(rankers.RENDERINGS), abs=0.01)


def test_letters_read_case_insensitively_among_every_character() -> None:
    """Probability mass on the other case counts (an a drawn as A reads as a); mass on another
    letter does not."""
    chars = "abAB"

    class Says(torch.nn.Module):
        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return torch.log(torch.tensor([[0.3, 0.1, 0.5, 0.1]])).expand(len(x), 4)

    p = rankers.letter_probability([Says()], rankers.folded(chars), torch.zeros(2, 1, 8, 8),
                                   torch.tensor([0, 1]))
    np.testing.assert_allclose(p.numpy(), [0.8, 0.2], rtol=1e-5)


def test_as_delivered_keeps_solid_ink_and_drops_faint_ink() -> None:
    x = torch.zeros(1, 1, 32, 32)
    x[..., 8:24, 8:12] = 1.0  # a solid stem
    x[..., 8:24, 20:24] = 0.3  # a faint one: the outline drops it
    out = rankers.as_delivered(x)
    assert out[..., 10:22, 9:11].min() > 0.95
    assert out[..., 20:24].max() < 0.05


# --- make with rankers --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def ranked_tiny(tmp_path_factory: pytest.TempPathFactory, sample_fonts) -> Model:
    chars = string.ascii_uppercase + string.ascii_lowercase + string.digits
    path = build_tiny_model(tmp_path_factory.mktemp("ranked_model") / "m.pt", sample_fonts.plain)
    payload = weights.load(path, "model")
    torch.manual_seed(1)
    payload["rankers"] = rankers.ranker_payload(
        [Recognizer(len(chars), "coarse+adv").eval()], {"families": ["Test"]})
    weights.save(path, "model", payload)
    return load_model(path)


@pytest.mark.parametrize("ranking", ["delivered", "within-case", "rankers"])
def test_ranking_never_changes_a_keep_letters_case(ranked_tiny: Model, ranking: str) -> None:
    model = with_generator(ranked_tiny, Overlay())
    model.rankers = ranked_tiny.rankers
    amb = make_ambigram("DeaR", "rEad", candidates=8, style=0, case="keep", weights=model,
                        ranking=ranking)
    assert amb.drawn == ("DeaR", "rEad")
    assert all(s.typed_case for s in amb.scores)


def test_make_reports_the_robust_legibility(ranked_tiny: Model) -> None:
    amb = make_ambigram("ad", "da", candidates=4, style=0, weights=ranked_tiny,
                        ranking="rankers")
    for s in amb.scores:
        assert 0 <= s.legibility <= min(s.p_upright, s.p_turned) + 1e-6


def test_an_unknown_or_missing_ranking_is_one_line(ranked_tiny: Model) -> None:
    from dataclasses import replace

    from ambictl.errors import UsageError

    with pytest.raises(UsageError, match="unknown ranking 'judge'"):
        make_ambigram("ad", weights=ranked_tiny, ranking="judge")
    with pytest.raises(UsageError, match="no ranking readers"):
        make_ambigram("ad", weights=replace(ranked_tiny, rankers=[]), ranking="rankers")

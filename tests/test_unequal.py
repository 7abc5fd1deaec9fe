"""Words of different lengths: cells of two letters one way and one the other (ambictl.cells),
chosen by symmetry.align, drawn by the one drawing seam, laid out, delivered and read by eval."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from test_make import Overlay, build_tiny_model, with_generator

from ambictl import cells, compose, eval_words
from ambictl.ambigram import Model, load_model, make_ambigram
from ambictl.errors import UsageError
from ambictl.models import Generator, ModelConfig
from ambictl.readers import ensemble_probability
from ambictl.symmetry import SYMMETRIES, describe_split, split_readings
from ambictl.symmetry import apply as apply_symmetry

pytestmark = pytest.mark.usefixtures("one_thread")


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory, sample_fonts) -> Model:  # noqa: ANN001
    return load_model(build_tiny_model(tmp_path_factory.mktemp("unequal") / "tiny.pt",
                                       sample_fonts.plain))


def font_picture(model: Model, text: str, width: int, style: int = 0) -> np.ndarray:
    """The font's picture of `text` in a cell `width` wide, as the generator is given it."""
    idx = cells.index(model.chars, [text])
    return cells.chunk_glyphs(model.style_glyphs, torch.tensor([style]), idx, width)[0, 0].numpy()


@pytest.mark.parametrize("symmetry", SYMMETRIES)
@pytest.mark.parametrize(("w1", "w2"), [("Alex", "Sam"), ("Eva", "Oliver")])
def test_a_split_covers_every_letter_once_and_the_turned_picture_reads_word2_cell_by_cell(
        tiny: Model, symmetry: str, w1: str, w2: str) -> None:
    amb = make_ambigram(w1, w2, symmetry=symmetry, candidates=2, style=0, case="keep",
                        weights=with_generator(tiny, Overlay()))
    assert split_readings(amb.pairs, symmetry) == (w1, w2) == amb.drawn
    assert all(1 <= len(a) <= 2 and 1 <= len(b) <= 2 and len(a) + len(b) <= 3
               for a, b in amb.pairs)
    size = tiny.config.image_size
    for g, (a, b) in zip(amb.glyphs, amb.pairs, strict=True):
        width = size * max(len(a), len(b))
        assert g.shape == (size, width)
        # the overlay generator keeps both inputs: the cell holds the font's a as it is ...
        assert np.all(g >= font_picture(tiny, a, width) - 1e-2)
    # ... and, with the symmetry applied to the whole picture, word2's letters in order
    turned = [np.ascontiguousarray(apply_symmetry(g, symmetry)) for g in amb.glyphs]
    turned_texts = [b for _, b in amb.pairs]
    if symmetry != "flip":
        turned, turned_texts = turned[::-1], turned_texts[::-1]
    assert "".join(turned_texts) == w2
    for g, text in zip(turned, turned_texts, strict=True):
        assert np.all(g >= font_picture(tiny, text, g.shape[-1]) - 1e-2)
    np.testing.assert_array_equal(amb.turned(), compose.compose(turned))
    assert amb.to_svg().count("<path") == len(amb.pairs)  # one path per cell, wide or not
    assert any("|" in line for line in amb.advice())  # the split is reported


def test_the_report_shows_each_cells_letters(tiny: Model) -> None:
    amb = make_ambigram("Alex", "Sam", candidates=2, weights=tiny)
    report = amb.report()
    assert [(g["upright"], g["turned"]) for g in report["glyphs"]] == amb.pairs
    assert report["split"] == describe_split(amb.pairs, "rotate")
    assert amb.legibility == min(s.legibility for s in amb.scores)


def test_refused_and_misfitting_input_is_one_line(tiny: Model) -> None:
    with pytest.raises(UsageError, match=r"^the words have 11 and 2 letters: a ratio over 2"):
        make_ambigram("Christopher", "Al", weights=tiny)
    with pytest.raises(UsageError, match=r"--pick has 4 indices; the words were split into 3 "
                                         r"cells \(.*\|.* / .*\): give one per cell"):
        make_ambigram("Alex", "Sam", pick="0,0,0,0", candidates=2, weights=tiny)
    amb = make_ambigram("Alex", "Sam", pick="0,1,0", candidates=2, weights=tiny)
    assert amb.picks == (0, 1, 0)


@pytest.mark.parametrize("case", ["keep", "upper", "lower"])
def test_forced_case_holds_in_wide_cells(tiny: Model, case: str) -> None:
    amb = make_ambigram("Oliver", "Eva", case=case, candidates=2, weights=tiny)
    fold = {"keep": lambda s: s, "upper": str.upper, "lower": str.lower}[case]
    assert amb.drawn == (fold("Oliver"), fold("Eva"))


def test_a_reading_of_two_letters_is_read_by_halves_and_one_letter_squeezed() -> None:
    x = torch.zeros(3, 1, 4, 8)
    x[:, :, :, :4] = 1.0  # ink in the left half only
    idx = torch.tensor([[0, 1], [2, -1], [3, 4]])
    seen, labels, rows = cells.views(x, idx)
    assert seen.shape == (5, 1, 4, 4)
    assert labels.tolist() == [0, 3, 1, 4, 2] and rows.tolist() == [0, 2, 0, 2, 1]
    assert seen[:2].eq(1).all() and seen[2:4].eq(0).all()  # left halves, then right halves
    assert seen[4, ..., :2].eq(1).all() and seen[4, ..., 2:].eq(0).all()  # the whole, squeezed

    class ReadsInk(torch.nn.Module):  # "letter 0" in proportion to the ink
        def forward(self, v: torch.Tensor) -> torch.Tensor:
            ink = v.mean((1, 2, 3))
            return torch.stack([10 * ink, torch.zeros_like(ink)], 1)

    def read(v: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        return ensemble_probability([ReadsInk()], torch.zeros(2, dtype=torch.long), v, labels)

    p = cells.reading_probability(read, x, torch.tensor([[0, 0], [0, -1], [0, 0]]),
                                  torch.tensor([0, 0, 0]), "flip")
    # two letters read as well as the weaker half (the blank right one: 1/2)
    assert p.shape == (2, 3) and p[0, 0] == pytest.approx(0.5) and p[0, 1] > 0.99


def test_single_cells_draw_as_before_wide_cells() -> None:
    """A one-letter reading as (B, 2) with -1 is the same condition as (B,): weights from before
    wide cells draw single cells exactly as they did."""
    torch.manual_seed(0)
    g = Generator(ModelConfig(chars="abcd", width=8, emb_dim=8)).eval()
    for p in g.parameters():
        p.data.normal_(0, 0.3)
    ga, gtb = torch.rand(2, 3, 1, 8, 8)
    a, b, sym, z = torch.tensor([0, 1, 2]), torch.tensor([3, 2, 1]), torch.zeros(3).long(), \
        torch.randn(3, 8)
    one = g(ga, gtb, a, b, sym, z)
    pad = torch.full_like(a, -1)
    assert torch.equal(one, g(ga, gtb, torch.stack([a, pad], 1), torch.stack([b, pad], 1), sym, z))
    wide = g(torch.rand(3, 1, 8, 16), torch.rand(3, 1, 8, 16), torch.stack([a, b], 1),
             torch.stack([b, pad], 1), sym, z)
    assert wide.shape == (3, 1, 8, 16)


def test_eval_reads_wide_cells_by_their_letters(tiny: Model) -> None:
    """The judge reads a two-letter reading as two letters and the turned word in cell order."""
    amb = make_ambigram("Alex", "Sam", candidates=2, style=0, case="keep",
                        weights=with_generator(tiny, Overlay()))
    cells_back, picture = amb.delivered(2.0)
    drawn = eval_words.Drawn(0, "rotate", amb.pairs, cells_back, picture)

    class Judge:  # reads every view as "x"; checks each view it is shown is S x S
        chars = tiny.chars

        def logits(self, x: torch.Tensor) -> torch.Tensor:
            assert x.shape[-2:] == (32, 32)
            return torch.zeros(len(x), 1)

        def choose(self, logits: torch.Tensor, among: str) -> list[str]:
            return ["x"] * len(logits)

    up, turned = drawn.judged(Judge(), "x")  # type: ignore[arg-type]
    assert (up, turned) == ("xxxx", "xxx")  # a view per letter of each reading
    assert drawn.letters == ("Alex", "Sam")
    pairs, refused = eval_words.parse_pairs("Alex Sam\nChristopher Al\n")
    assert pairs == [eval_words.WordPair("Alex", "Sam")] and "ratio over 2" in refused[0]
    listed, _ = eval_words.load_pairs(eval_words.UNEQUAL_FILE)
    assert len(listed) >= 100 and all(len(p.first) != len(p.second) for p in listed)


def test_a_wide_cell_generator_draws_the_wide_cells_and_only_those(tiny: Model) -> None:
    single, wide = Overlay(), Overlay(keep_b=False)
    model = with_generator(tiny, single)
    model.wide_generator = wide
    amb = make_ambigram("Alex", "Sam", candidates=2, style=0, case="keep", weights=model)
    assert single.calls and wide.calls

    def widths(calls: list) -> set[bool]:
        return {x >= 0 for a, b, _, _ in calls for row in (a, b) for x in
                (r[1] if isinstance(r, list) else -1 for r in row)}

    assert True in widths(wide.calls) and True not in widths(single.calls)
    size = tiny.config.image_size
    for g, (a, b) in zip(amb.glyphs, amb.pairs, strict=True):
        if max(len(a), len(b)) == 2:  # drawn by `wide`: the font's a alone, no turned b
            np.testing.assert_allclose(g, font_picture(tiny, a, 2 * size), atol=2e-3)


def test_a_model_file_with_a_wide_cell_generator_loads_and_a_bad_one_is_refused(
        tmp_path, sample_fonts) -> None:  # noqa: ANN001
    from ambictl import weights
    from ambictl.errors import DataError
    from ambictl.models import build_generator

    path = build_tiny_model(tmp_path / "m.pt", sample_fonts.plain)
    payload = weights.load(path, "model")
    cfg = ModelConfig(**payload["model_config"])
    weights.save(tmp_path / "wide.pt", "model",
                 {**payload, "wide_generator": build_generator(cfg).state_dict()})
    assert load_model(tmp_path / "wide.pt").wide_generator is not None
    assert load_model(path).wide_generator is None
    other = build_generator(ModelConfig(chars=cfg.chars, width=16, emb_dim=8)).state_dict()
    weights.save(tmp_path / "bad.pt", "model", {**payload, "wide_generator": other})
    with pytest.raises(DataError, match="do not match"):
        load_model(tmp_path / "bad.pt")

"""Tests for ambictl.make_ambigram (the API behind `ambictl make`) on a tiny model made here.

The tiny model has random networks (width 8) and a style bank rendered from a real font, so
candidates look like letters; a fake generator that simply overlays glyph a and turned glyph b
makes the pairing visible and checkable.
"""

from __future__ import annotations

import string
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from conftest import parse_svg_path
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy import ndimage as ndi

import ambictl
from ambictl import compose, weights
from ambictl.ambigram import Model, load_model, make_ambigram
from ambictl.errors import DataError, UsageError
from ambictl.models import GENERATORS, Discriminator, ModelConfig, build_generator
from ambictl.readers import Recognizer
from ambictl.render import render
from ambictl.symmetry import AUTO_CASE, SYMMETRIES, case_choices, case_options, pair_cells
from ambictl.symmetry import apply as apply_symmetry
from ambictl.vectorize import BezierPath, rasterize

TINY_CHARS = string.ascii_uppercase + string.ascii_lowercase + string.digits


def build_tiny_model(path: Path, font: Path, chars: str = TINY_CHARS, n_styles: int = 2) -> Path:
    """A complete model file with random tiny networks and `n_styles` styles drawn from `font`
    (the second style a bolder version, so styles differ)."""
    torch.manual_seed(0)
    cfg = ModelConfig(chars=chars, width=8, d_width=8, emb_dim=8)
    big = torch.from_numpy(render(str(font), 0, chars, 64)).float()[:, None] / 255
    styles = []
    for i in range(n_styles):
        g = F.max_pool2d(big, 3, 1, 1) if i % 2 else big  # odd styles: thicker strokes
        styles.append((F.interpolate(g, size=(32, 32), mode="area")[:, 0] * 255).round().byte())
    payload = {
        "model_config": cfg.to_dict(),
        "generator": build_generator(cfg).state_dict(),
        "discriminator": Discriminator(cfg).state_dict(),
        "recognizers": [{"kind": k, "state": Recognizer(len(chars), k).eval().state_dict()}
                        for k in ("vgg", "wide")],
        "styles": {"names": [f"{font.stem} {i}" for i in range(n_styles)],
                   "glyphs": torch.stack(styles)},
        "meta": {"test": True},
    }
    weights.save(path, "model", payload)
    return path


@pytest.fixture(scope="session")
def tiny_model_path(tmp_path_factory: pytest.TempPathFactory, sample_fonts) -> Path:
    return build_tiny_model(tmp_path_factory.mktemp("model") / "tiny.pt", sample_fonts.plain)


@pytest.fixture(scope="session")
def tiny(tiny_model_path: Path) -> Model:
    return load_model(tiny_model_path)


class Overlay(torch.nn.Module):
    """A generator we control: max(glyph a, turned glyph b), recording what it was asked."""

    def __init__(self, keep_b: bool = True) -> None:
        super().__init__()
        self.calls: list[tuple[list[int], list[int], list[int], torch.Tensor]] = []
        self.keep_b = keep_b

    def forward(self, ga, gtb, a, b, sym, z):  # noqa: ANN001, ANN201 (the Generator's signature)
        self.calls.append((a.tolist(), b.tolist(), sym.tolist(), gtb.clone()))
        out = torch.maximum(ga, gtb) if self.keep_b else ga.clone()
        return out + 1e-3 * z[:, :1, None, None].tanh()  # z makes candidates differ a little


class Flat(torch.nn.Module):
    """A recogniser that has no opinion (equal logits): for tests about everything else."""

    def __init__(self, n_chars: int) -> None:
        super().__init__()
        self.n_chars = n_chars

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.zeros(len(x), self.n_chars)


def with_generator(model: Model, gen: torch.nn.Module, flat: bool = False) -> Model:
    recognizers = [Flat(len(model.chars))] if flat else model.recognizers
    return Model(config=model.config, generator=gen, recognizers=recognizers,
                 style_names=model.style_names, style_glyphs=model.style_glyphs)


def style_glyph(model: Model, ch: str, style: int = 0) -> np.ndarray:
    return model.style_glyphs[style, model.chars.index(ch), 0].numpy()


# --- pairing with a generator we control ------------------------------------------------------


@pytest.mark.parametrize(("symmetry", "w1", "w2"), [("rotate", "dear", "read"),
                                                    ("mirror", "bdpq", "dbqp"),
                                                    ("flip", "AMBI", "VWPL")])
def test_cells_pair_the_right_letters_and_the_turned_picture_reads_word2(
        tiny: Model, symmetry: str, w1: str, w2: str) -> None:
    fake = Overlay()
    amb = make_ambigram(w1, w2, symmetry=symmetry, candidates=3, style=0, case="keep",
                        weights=with_generator(tiny, fake))
    n = len(w1)
    expected = pair_cells(w1, w2, symmetry)
    assert amb.pairs == expected
    (a, b, sym, gtb), = fake.calls  # one batched call: every cell x every candidate
    assert len(a) == n * 3
    assert [(tiny.chars[x], tiny.chars[y]) for x, y in zip(a[::3], b[::3], strict=True)] == expected
    assert set(sym) == {SYMMETRIES.index(symmetry)}
    # glyph b reaches the generator already in the output's frame
    np.testing.assert_array_equal(gtb[0, 0].numpy(),
                                  apply_symmetry(style_glyph(tiny, expected[0][1]), symmetry))
    # as it is, each cell holds glyph a; with the symmetry applied to the whole picture, each
    # position holds word2's letter: the picture reads word2
    for i, (ch_a, _) in enumerate(expected):
        assert np.all(amb.glyphs[i] >= style_glyph(tiny, ch_a) - 1e-2)
    turned_cells = apply_symmetry(amb.glyphs, symmetry)
    if symmetry != "flip":
        turned_cells = turned_cells[::-1]
    for j, ch in enumerate(w2):
        assert np.all(turned_cells[j] >= style_glyph(tiny, ch) - 1e-2)
    np.testing.assert_array_equal(amb.turned(), compose.compose(turned_cells))


def test_one_style_for_every_cell_and_style_option(tiny: Model) -> None:
    fake = Overlay(keep_b=False)
    model = with_generator(tiny, fake)
    amb0 = make_ambigram("ab", "ab", symmetry="flip", candidates=1, style=0, weights=model)
    amb1 = make_ambigram("ab", "ab", symmetry="flip", candidates=1, style=1, weights=model)
    for i, ch in enumerate("ab"):
        np.testing.assert_allclose(amb0.glyphs[i], style_glyph(tiny, ch, 0), atol=2e-3)
        np.testing.assert_allclose(amb1.glyphs[i], style_glyph(tiny, ch, 1), atol=2e-3)
    assert amb1.style_name.endswith("1") and amb1.style == 1
    with pytest.raises(UsageError, match="style 2 does not exist: the model has 2 styles"):
        make_ambigram("ab", style=2, weights=model)


@settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck))
@given(w1=st.one_of(st.text(max_size=70), st.text("dearDEAR08 \t", min_size=1, max_size=6)),
       w2=st.one_of(st.none(), st.text("readREAD80\x00", min_size=1, max_size=6)),
       symmetry=st.sampled_from(["rotate", "mirror", "flip", "turn"]))
def test_api_either_succeeds_or_raises_usage_error(tiny: Model, w1: str, w2: str | None,
                                                   symmetry: str) -> None:
    """The real API end to end (fast stand-in networks) on random input: a result or a
    one-line error."""
    fast = with_generator(tiny, Overlay(), flat=True)
    try:
        amb = make_ambigram(w1, w2, symmetry=symmetry, candidates=1, weights=fast)
    except UsageError as e:
        assert "\n" not in str(e) and str(e).isprintable()
        return
    assert amb.word1 == w1 and len(amb.glyphs) == len(amb.pairs) <= len(w1)
    # each reading letter for letter, whatever the split (one cell per letter for equal words)
    assert [w.lower() for w in amb.drawn] == [w1.lower(), (w1 if w2 is None else w2).lower()]
    assert len(amb.pairs) == len(w1) or len(w1) != len(amb.word2)


# --- the real (tiny) generator ---------------------------------------------------------------


def test_scores_candidates_and_alternatives(tiny: Model) -> None:
    amb = make_ambigram("dear", "read", candidates=6, seed=1, weights=tiny)
    assert amb.glyphs.shape == (4, 32, 32) and amb.glyphs.dtype == np.float32
    assert [(s.upright, s.turned) for s in amb.scores] == amb.pairs
    for s, alts, sc in zip(amb.scores, amb.alternatives, amb.alternative_scores, strict=True):
        assert 0 <= s.p_upright <= 1 and 0 <= s.p_turned <= 1
        assert s.legibility == pytest.approx(min(s.p_upright, s.p_turned))
        assert 0 < s.style <= 1 and s.pick == 0
        assert 1 <= len(alts) == s.alternatives <= 6
        assert sc[0] == pytest.approx(max(sc))  # the automatic choice is alternative 0
    np.testing.assert_array_equal(amb.glyphs, np.stack([a[0] for a in amb.alternatives]))
    rep = amb.report()
    assert rep["picks"] == [0, 0, 0, 0] and len(rep["glyphs"]) == 4


def test_pick_chooses_among_alternatives(tiny: Model) -> None:
    base = make_ambigram("dear", "read", candidates=8, weights=tiny)
    pick = [min(1, len(a) - 1) for a in base.alternatives]
    amb = make_ambigram("dear", "read", candidates=8, pick=",".join(map(str, pick)), weights=tiny)
    assert amb.picks == tuple(pick)
    for i, p in enumerate(pick):
        np.testing.assert_array_equal(amb.glyphs[i], base.alternatives[i][p])
    with pytest.raises(UsageError, match="--pick index 99 for letter 1 is out of range"):
        make_ambigram("dear", "read", candidates=8, pick="99,0,0,0", weights=tiny)


def test_same_seed_same_bytes(tiny: Model) -> None:
    a = make_ambigram("Dear", "reaD", seed=7, candidates=5, weights=tiny)
    b = make_ambigram("Dear", "reaD", seed=7, candidates=5, weights=tiny)
    assert a.to_svg() == b.to_svg() and a.to_png(height=64) == b.to_png(height=64)
    assert a.report() == b.report()


def test_choose_trades_legibility_for_style() -> None:
    from ambictl.ambigram import choose

    leg = np.array([[0.9, 0.1], [0.80, 0.79], [0.9, 0.1]])
    stroke = np.array([[2.0, 2.0], [6.0, 2.0], [2.0, 2.0]])  # cell 1's best is too bold
    assert choose(leg, stroke, weight=0.0)[0] == [0, 0, 0]
    picks, width = choose(leg, stroke, weight=0.2)
    assert picks == [0, 1, 0] and width == pytest.approx(2.0)
    # one weight for the whole word: no drift from bold to light along it
    leg = np.array([[0.9, 0.86]] * 4)
    stroke = np.array([[4.0, 2.0], [3.2, 2.0], [2.6, 2.0], [2.0, 2.0]])
    picks, width = choose(leg, stroke, weight=0.3)
    assert picks == [1, 1, 1, 0] and width == pytest.approx(2.0)


# --- vector output ---------------------------------------------------------------------------

def svg_paths(svg: str) -> list[list[BezierPath]]:
    root = ET.fromstring(svg.encode())
    return [parse_svg_path(p.get("d")) for p in root.iter("{http://www.w3.org/2000/svg}path")]


def iou(a: np.ndarray, b: np.ndarray) -> float:
    return float((a & b).sum() / max((a | b).sum(), 1))


def test_svg_rasterises_back_to_the_bitmap(tiny: Model) -> None:
    amb = make_ambigram("Ambigram", "Ambigram", candidates=4, weights=tiny)
    svg = amb.to_svg(color="#336699", background="white", height=300)
    root = ET.fromstring(svg.encode())
    assert root.get("viewBox") == f"0 0 {amb.layout.width} {amb.layout.height}"
    assert root.find("{http://www.w3.org/2000/svg}title").text.startswith(
        "Ambigram / Ambigram (turned 180")
    paths = svg_paths(svg)
    assert len(paths) == 8  # one <path> per glyph
    shape = (amb.layout.height, amb.layout.width)
    back = rasterize([p for ps in paths for p in ps], shape)
    assert iou(back > 0.5, amb.bitmap > 0.5) >= 0.97
    assert len(svg.encode()) < 30_000 * 8 / 6


@pytest.mark.parametrize("word", ["oae8", "OBDQ"])
def test_holes_survive(tiny: Model, word: str) -> None:
    """Each glyph's outline has one contour per ink region and per hole, and the holes come out
    empty when the SVG is rasterised."""
    amb = make_ambigram(word, word, symmetry="flip", candidates=1,
                        weights=with_generator(tiny, Overlay(keep_b=False)))
    paths = svg_paths(amb.to_svg())
    for g, ps, (x, y) in zip(amb.glyphs, paths, amb.offsets, strict=True):
        ink = g > 0.5
        holes = ndi.label(~ink)[1] - 1  # background regions not touching... minus the outside
        regions = ndi.label(ink)[1]
        assert holes >= 1
        assert len(ps) == regions + holes
        back = rasterize(ps, (32, 32), offset=(-x, -y))
        assert iou(back > 0.5, ink) >= 0.95
        counters = ndi.binary_fill_holes(ink) & ~ink
        assert back[ndi.binary_erosion(counters)].max(initial=0) < 0.5


def test_save_png_and_svg_atomically(tiny: Model, tmp_path: Path) -> None:
    amb = make_ambigram("dear", "read", candidates=2, weights=tiny)
    svg = amb.save(tmp_path / "x.svg")
    png = amb.save(tmp_path / "x.PNG", height=100, background="#fff")
    assert svg.read_text().startswith("<?xml") and png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    from PIL import Image

    assert Image.open(png).size[1] == 100
    assert sorted(p.name for p in tmp_path.iterdir()) == ["x.PNG", "x.svg"]  # no temp files
    with pytest.raises(UsageError, match="extension '.jpg' is not supported"):
        amb.save(tmp_path / "x.jpg")
    with pytest.raises(UsageError, match="does not exist"):
        amb.save(tmp_path / "missing" / "x.svg")


def test_preview_shows_both_readings(tiny: Model) -> None:
    amb = make_ambigram("dear", "read", candidates=1, weights=tiny)
    text = amb.preview(columns=40)
    assert text.startswith("dear (as it is)\n") and "\nread (turned)\n" in text
    assert set(text) <= set("dearisturnd ()\n▀▄█")


# --- model files -----------------------------------------------------------------------------


def test_model_file_problems_are_one_line_errors(tmp_path: Path, tiny_model_path: Path) -> None:
    with pytest.raises(DataError, match="no model file at"):
        load_model(tmp_path / "nope.pt")
    (tmp_path / "junk.pt").write_bytes(b"\x00garbage" * 100)
    with pytest.raises(DataError, match="refusing .*junk.pt"):
        load_model(tmp_path / "junk.pt")
    cut = tmp_path / "cut.pt"
    cut.write_bytes(tiny_model_path.read_bytes()[:5000])
    with pytest.raises(DataError, match="refusing"):
        load_model(cut)
    # a verified file whose networks do not fit its configuration (another character set)
    payload = weights.load(tiny_model_path, "model")
    payload["model_config"] = {**payload["model_config"], "chars": "abc"}
    weights.save(tmp_path / "other.pt", "model", payload)
    with pytest.raises(DataError, match="do not match its configuration"):
        load_model(tmp_path / "other.pt")


def test_generator_kind_comes_from_the_weights(tmp_path: Path, tiny_model_path: Path) -> None:
    payload = weights.load(tiny_model_path, "model")
    # weights written before ModelConfig.kind: the one generator there was
    old = {k: v for k, v in payload["model_config"].items() if k != "kind"}
    weights.save(tmp_path / "old.pt", "model", {**payload, "model_config": old})
    model = load_model(tmp_path / "old.pt")
    assert model.config.kind == "fusion" and isinstance(model.generator, GENERATORS["fusion"])
    weights.save(tmp_path / "new.pt", "model",
                 {**payload, "model_config": {**old, "kind": "no-such-kind"}})
    with pytest.raises(DataError, match="model configuration is not one this ambictl under"):
        load_model(tmp_path / "new.pt")


def test_missing_shipped_model_is_named(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    import ambictl.ambigram as mod

    monkeypatch.setattr(mod, "default_weights", lambda: tmp_path / "ambictl.pt")
    with pytest.raises(DataError, match="the shipped model is missing"):
        make_ambigram("dear", "read")


def test_lazy_export_and_bad_words_before_model() -> None:
    assert ambictl.make_ambigram is make_ambigram
    with pytest.raises(UsageError, match="word 1 is empty"):
        make_ambigram("", weights="/nonexistent.pt")  # input is checked before the model
    with pytest.raises(AttributeError):
        _ = ambictl.no_such_thing


# --- case and style choice ------------------------------------------------------------------


def test_case_choice_prefers_the_typed_case_unless_another_reads_clearly_better() -> None:
    from ambictl.ambigram import CASE_MARGIN, _case_penalty, _per_option, best_choice

    options = [case_options(a, b, "word") for a, b in [("d", "d"), ("e", "a")]]
    choices = case_choices(options, "word")
    option = np.array([[0, 1, 2, 3], [0, 1, 2, 3]])
    for gain, typed in ((0.0, True), (CASE_MARGIN / 2, True), (2 * CASE_MARGIN, False)):
        legible = np.full((2, 4), 0.5)
        legible[:, 3] += gain  # one other case combination reads better by `gain` everywhere
        best = _per_option(legible - _case_penalty(option), option, 4)
        k, _ = best_choice(best, choices)
        assert (k == 0) == typed


def test_auto_case_draws_the_typed_case_when_every_case_reads_alike(tiny: Model) -> None:
    flat = with_generator(tiny, Overlay(), flat=True)  # no reading prefers any case
    for case in ("auto", "word", "cell"):
        amb = make_ambigram("DeaR", "reaD", case=case, candidates=4, weights=flat)
        assert amb.drawn == ("DeaR", "reaD") and all(s.typed_case for s in amb.scores)


@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
@given(w1=st.text("dDeEaArR", min_size=1, max_size=5), seed=st.integers(0, 3))
def test_keep_never_changes_a_letters_case(tiny: Model, w1: str, seed: int) -> None:
    w2 = w1.swapcase()[::-1]
    amb = make_ambigram(w1, w2, case="keep", candidates=2, seed=seed, weights=tiny)
    assert amb.drawn == (w1, w2) and amb.pairs == pair_cells(w1, w2, "rotate")


def test_auto_case_and_style_read_at_least_as_well_and_say_what_they_chose(tiny: Model) -> None:
    keep = make_ambigram("dear", "read", case="keep", style=0, candidates=8, weights=tiny)
    auto = make_ambigram("dear", "read", candidates=8, weights=tiny)
    assert auto.case == AUTO_CASE and keep.case == "keep"
    assert [a.lower() for a in auto.drawn] == ["dear", "read"]
    for (a, b), s in zip(auto.pairs, auto.scores, strict=True):
        assert s.typed_case == ((a, b) == (a.lower(), b.lower()))
    # the style search tried every style of the bank and kept the best
    assert [t[0] for t in auto.style_scan] in ([0, 1], [1, 0])
    assert auto.style == auto.style_scan[0][0]
    assert auto.style_scan[0][2] >= auto.style_scan[1][2]
    assert any(line.startswith(f"style {auto.style} ") for line in auto.advice())
    rep = auto.report()
    assert rep["case"] == AUTO_CASE and rep["drawn"] == list(auto.drawn)
    assert len(rep["style_scan"]) == 2


def test_style_by_name_and_weak_cells_advice(tiny: Model) -> None:
    flat = with_generator(tiny, Overlay(), flat=True)  # every letter reads 2/62 (either case
    # among all 62 characters): all weak
    amb = make_ambigram("ab", style=tiny.style_names[1].upper(), candidates=1, weights=flat)
    assert amb.style == 1 and not amb.style_scan
    assert len(amb.weak) == 2
    (line,) = amb.advice()
    assert line.startswith("weak letters (legibility under 0.5): 1 (a / b, 0.03), 2 (b / a")
    assert "--sheet" in line and "--pick" in line
    with pytest.raises(UsageError, match="the model has no style named 'Comic'"):
        make_ambigram("ab", style="Comic", weights=flat)

"""`ambictl eval`: the overlay baseline pixel for pixel, word layout, the figures' arithmetic,
Tesseract (skipped without the binary) and the whole --quick run on a tiny model."""

from __future__ import annotations

import csv
import json
import subprocess
from pathlib import Path

import numpy as np
import pytest
import torch
from conftest import PYTHON, SampleFonts, cli_env, copy_fonts

from ambictl import baselines, compose, eval_words, ocr, vectorize, weights
from ambictl.ambigram import make_ambigram, trace_settings
from ambictl.errors import UsageError
from ambictl.eval_report import colour, heatmap, write_outputs
from ambictl.eval_words import WordPair, edit_distance, parse_pairs
from ambictl.evaluate import (
    Draw,
    EvalConfig,
    delivered,
    evaluate,
    frechet_distance,
    load_model,
    parse_charsets,
    spread,
    style_codes,
)
from ambictl.models import ModelConfig, build_generator
from ambictl.readers import Recognizer
from ambictl.symmetry import apply as apply_symmetry
from ambictl.vectorize import rasterize

TINY_CHARS = "abdpqnuo"
PAIRS = "pod\nupon noun\nbad dab  # a comment\nhello\ndear readingly\n# only a comment\n"
UNEQUAL = "pod upon\nbad abound\n"
has_tesseract = pytest.mark.skipif(ocr.availability()[0] is None,
                                   reason="no tesseract binary with English data")



pytestmark = pytest.mark.usefixtures("one_thread")

# ----------------------------------------------------------------------------- baselines


def _blank(n: int = 1) -> torch.Tensor:
    return torch.zeros(n, 1, 32, 32)


def test_shift_moves_without_wrapping() -> None:
    x = _blank()
    x[0, 0, 0, 0] = 1
    assert baselines.shift(x, 2, 3)[0, 0, 2, 3] == 1
    assert baselines.shift(x, -1, 0).sum() == 0
    assert baselines.shift(x, 40, 0).sum() == 0


def test_overlay_aligns_the_turned_glyph_exactly() -> None:
    a, tb = _blank(3), _blank(3)
    # 0: the same block 2 rows down and 3 columns right: moved back, the union is a alone.
    a[0, 0, 10:12, 10:12] = 1
    tb[0, 0, 12:14, 13:15] = 1
    # 1: a crossing bar overlaps equally at every shift: the smallest move (none) wins.
    a[1, 0, 8, 4:28] = 1
    tb[1, 0, 2:30, 16] = 1
    # 2: too far apart to meet within S/8 = 4 pixels: nothing moves, the union has both.
    a[2, 0, 2:4, 2:4] = 1
    tb[2, 0, 20:22, 20:22] = 1
    moves = baselines.best_shifts(a, tb, 4)
    assert moves.tolist() == [[-2, -3], [0, 0], [0, 0]]
    out = baselines.overlay(a, tb)
    assert torch.equal(out[0], a[0])
    assert torch.equal(out[1], torch.maximum(a[1], tb[1]))
    assert torch.equal(out[2], torch.maximum(a[2], tb[2]))
    assert torch.equal(baselines.upright(a, tb), a)


def test_overlap_table_matches_shifted_products() -> None:
    g = torch.Generator().manual_seed(0)
    a = (torch.rand(4, 1, 16, 16, generator=g) > 0.6).float()
    tb = (torch.rand(4, 1, 16, 16, generator=g) > 0.6).float()
    table = baselines.overlaps(a, tb, 2)
    for dy, dx in baselines.shifts(2):
        want = (a * baselines.shift(tb, dy, dx)).flatten(1).sum(1)
        assert torch.allclose(table[:, dy + 2, dx + 2], want)


# ----------------------------------------------------------------------------- words


def test_parse_pairs() -> None:
    pairs, refused = parse_pairs(PAIRS)
    assert pairs == [WordPair("pod", "pod"), WordPair("upon", "noun"), WordPair("bad", "dab"),
                     WordPair("hello", "hello")]
    assert len(refused) == 1 and "a ratio over 2" in refused[0]
    ok, bad = eval_words.usable_pairs(pairs, TINY_CHARS)
    assert [str(p) for p in ok] == ["pod", "upon/noun", "bad/dab"] and len(bad) == 1


def test_shipped_word_list() -> None:
    pairs, refused = eval_words.load_pairs()
    assert not refused and len(pairs) >= 150
    assert all(3 <= len(p.first) <= 10 for p in pairs)
    assert any(p.first.isupper() for p in pairs) and any(p.first.islower() for p in pairs)
    assert WordPair("dear", "read") in pairs and any(p.first != p.second for p in pairs)
    with pytest.raises(UsageError):
        eval_words.load_pairs("/nonexistent/pairs.txt")


def test_judge_chooses_among_both_cases() -> None:
    assert eval_words.allowed("annaemma", "abcAB") == "abcAB"  # make may choose the case
    assert eval_words.allowed("Anna8", "abcAB0123456789") == "abcAB0123456789"


def test_words_are_read_from_the_picture_make_delivers(tiny: dict[str, Path]) -> None:
    bank = load_model(tiny["model"], torch.device("cpu"))
    pair = WordPair("upon", "noun")
    drawn = eval_words.draw_make(bank.model, pair, "rotate", 0, {"case": "keep", "style": 1})
    amb = make_ambigram("upon", "noun", case="keep", style=1, weights=bank.model)
    cells, picture = amb.delivered(eval_words.OCR_SCALE)
    assert np.array_equal(drawn.cells, cells) and np.array_equal(drawn.picture, picture)
    assert picture.shape[0] == amb.layout.height * eval_words.OCR_SCALE
    assert drawn.letters == ("upon", "noun") and drawn.style == 1
    # the cells are the outline rasterised back: solid ink, no grey the SVG would not show
    assert np.array_equal(cells > 0.5, np.stack([rasterize(o, (32, 32)) > 0.5
                                                 for o in amb.outlines]))


def test_edit_distance() -> None:
    assert edit_distance("kitten", "sitting") == 3
    assert edit_distance("", "abc") == 3 and edit_distance("same", "same") == 0
    assert eval_words.normalised_edit("ab", "abcd") == 0.5


# ----------------------------------------------------------------------------- figures


def test_frechet_distance_and_spread() -> None:
    g = np.random.default_rng(0)
    x = g.normal(size=(400, 6))
    assert abs(frechet_distance(x, x)) < 1e-6
    assert frechet_distance(x, x + 3) == pytest.approx(9 * 6, rel=1e-6)
    same = torch.ones(5, 4, 10)
    assert spread(same) == 0
    two = torch.stack([torch.zeros(1, 10), torch.ones(1, 10)], 1)  # (1 group, 2 styles, 10)
    assert spread(two) == pytest.approx(1.0)


def test_own_font_share_on_features_with_a_known_answer() -> None:
    from ambictl.evaluate import own_font

    g = np.random.default_rng(0)
    k, n, d = 4, 50, 8
    fonts = g.normal(size=(k, 2, d)) * 10  # each font's letters a and b, far apart
    own = np.tile(np.arange(k), n)
    real = np.broadcast_to(fonts, (len(own), k, 2, d))
    near = fonts[own] + g.normal(size=(len(own), 2, d)) * 0.1  # each glyph close to its font
    assert own_font(near, real, own).all()
    assert not own_font(near, real, (own + 1) % k).any()  # nearest a font, just not "its own"
    # One view exactly between two fonts' letters, the other at one of them: still decided.
    half = np.stack([(fonts[0, 0] + fonts[1, 0]) / 2, fonts[0, 1]])[None]
    assert own_font(half, fonts[None], np.array([0])).tolist() == [True]
    # A tie (equidistant from fonts 0 and 1 in both views) is not a hit.
    tie = ((fonts[0] + fonts[1]) / 2)[None]
    assert own_font(tie, fonts[None], np.array([0])).tolist() == [False]
    # Glyphs that ignore their font (all one shape) land at chance, 1/k.
    blob = np.broadcast_to(fonts.mean(0), (len(own), 2, d)) + g.normal(size=(len(own), 2, d))
    assert own_font(blob, real, own).mean() == pytest.approx(1 / k, abs=0.1)


def test_parse_charsets() -> None:
    assert parse_charsets(None) == {"lower": "abcdefghijklmnopqrstuvwxyz",
                                    "upper": "ABCDEFGHIJKLMNOPQRSTUVWXYZ"}
    assert parse_charsets(["abd", "digits"]) == {"set1": "abd", "digits": "0123456789"}
    for bad in ("", "aab", "a b"):
        with pytest.raises(UsageError):
            parse_charsets([bad])


def test_heatmap_png() -> None:
    import io

    from PIL import Image

    m = np.linspace(0, 1, 16).reshape(4, 4)
    img = Image.open(io.BytesIO(heatmap(m, "abcd", "title")))
    assert img.width > 4 * 18 and img.height > 4 * 18
    assert colour(0) == (215, 48, 39) and colour(1) == (26, 152, 80)


# ----------------------------------------------------------------------------- Tesseract


def test_tesseract_can_be_switched_off(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AMBICTL_TESSERACT", "")
    exe, note = ocr.availability()
    assert exe is None and "skipped" in note


def test_ocr_page_is_black_on_white_with_a_margin() -> None:
    word = np.zeros((32, 40))
    word[8:24, 10:30] = 1
    page = ocr.to_page(word)
    assert page.shape == (32 * ocr.SCALE + 2 * ocr.MARGIN, 40 * ocr.SCALE + 2 * ocr.MARGIN)
    assert page[0, 0] == 255 and page.min() == 0
    assert ocr.clean("he llo\n1!") == "hello"


@has_tesseract
def test_tesseract_reads_a_plain_word(sample_fonts: SampleFonts) -> None:
    from ambictl.glyphs import to_model_size
    from ambictl.render import render

    exe, _ = ocr.availability()
    glyphs = to_model_size(torch.from_numpy(render(str(sample_fonts.plain), 0, "hello", 64)), 32)
    word = compose.compose(glyphs[:, 0].numpy())  # laid out as make lays out
    texts = ocr.read_words([word, np.ascontiguousarray(apply_symmetry(word, "rotate"))],
                           exe)
    assert "hello" in [texts[m][0].lower() for m in ocr.MODES]
    assert all(texts[m][1].lower() != "hello" for m in ocr.MODES)


# ----------------------------------------------------------------------------- end to end


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory, sample_fonts: SampleFonts) -> dict[str, Path]:
    """A tiny data set, an untrained tiny model with a style bank from it, a 20-step judge."""
    from ambictl.dataset import build_dataset, load_dataset
    from ambictl.glyphs import GlyphTable
    from ambictl.judge import JudgeTrainConfig, train_judge

    root = tmp_path_factory.mktemp("eval")
    fonts = copy_fonts(sample_fonts.files, root / "fonts")
    ds = build_dataset(root / "ds", chars=TINY_CHARS, size=32, fonts=[fonts], system=False,
                       bundled=False, workers=1).out
    table = GlyphTable(load_dataset(ds, "train"), 32)
    torch.manual_seed(0)
    cfg = ModelConfig(chars=TINY_CHARS, width=8, d_width=8, emb_dim=8, z_dim=4)
    G = build_generator(cfg)
    for p in G.out.parameters():  # an untrained generator that does not just copy its inputs
        p.data.normal_(0, 0.2)
    styles = (table.glyphs[:3, :, 0] * 255).round().byte()
    weights.save(root / "model.pt", "model", {
        "model_config": cfg.to_dict(), "generator": G.state_dict(),
        "recognizers": [{"kind": "vgg", "state": Recognizer(cfg.n_chars, "vgg").state_dict()}],
        "styles": {"names": [f"font {i}" for i in range(len(styles))], "glyphs": styles},
        "meta": {"steps": 0}})
    train_judge(ds, root / "judge.pt", JudgeTrainConfig.quick(), width=8)
    (root / "pairs.txt").write_text(PAIRS)
    (root / "unequal.txt").write_text(UNEQUAL)
    return {"root": root, "model": root / "model.pt", "judge": root / "judge.pt",
            "pairs": root / "pairs.txt", "unequal": root / "unequal.txt"}


def _quick(tiny: dict[str, Path], **kw) -> EvalConfig:
    return EvalConfig.quick_preset(pairs_file=tiny["pairs"], unequal_file=tiny["unequal"],
                                   ocr=False, **kw)


def test_eval_quick_end_to_end(tiny: dict[str, Path], tmp_path: Path) -> None:
    result = evaluate(_quick(tiny), tiny["model"], tiny["judge"], "cpu")
    s = result.summary
    assert s["settings"]["charsets"] == {"quick": "abdnopqu"}  # 's' is not in the tiny model
    r = s["results"]["rotate"]
    for method in ("model", "delivered", "case", "ranked", "overlay", "upright"):
        assert 0 <= r["pairs"]["quick"][method]["mean"] <= 1
        assert len(r["pairs"]["quick"][method]["hardest"]) == 10
        assert set(r["style"][method]) == {"fid", "diversity", "own_font", "own_font_chance"}
        assert 0 <= r["style"][method]["own_font"] <= 1
        assert r["style"][method]["own_font_chance"] == pytest.approx(1 / 3, abs=1e-4)
    assert list(r["words"]) == [*eval_words.WORD_METHODS, *eval_words.OLD_RANKING,
                                *eval_words.BASELINES, "auto, oracle"]
    for method, m in r["words"].items():
        assert m["judge"]["n"] == 3 and m["ocr"] is None, method  # 3 usable pairs, a picture each
    assert list(r["unequal words"]) == [*eval_words.UNEQUAL_METHODS, "overlay", "auto, oracle"]
    # the judge choosing among the alternatives reads at least what make's choice reads
    for key in ("words", "unequal words"):
        assert r[key]["auto, oracle"]["judge"]["both"] >= r[key]["auto"]["judge"]["both"]
    choice = r["choice"]["quick"]  # make's 8 candidates per pair, in one style
    assert choice["candidates"] == 8 and choice["n"] == 64
    assert all(0 <= choice[m] <= choice["oracle"] for m in ("typed", "old ranking", "ranked"))
    for method, m in r["unequal words"].items():
        assert m["judge"]["n"] == 2 and 0 <= m["judge"]["both"] <= 1, method
    assert r["style"]["upright"]["diversity"] == pytest.approx(1.0)
    assert any("skipped" in n for n in s["notes"]) and any("refused" in n for n in s["notes"])

    files = {p.name for p in write_outputs(result, tmp_path / "eval")}
    assert {"heatmap_rotate_quick.png", "pairs_rotate_quick_model.csv", "words_rotate.csv",
            "summary.json", "pairs_rotate_quick_overlay.csv"} <= files
    rows = list(csv.reader((tmp_path / "eval" / "pairs_rotate_quick_model.csv").open()))
    assert rows[0] == ["a\\b", *"abdnopqu"] and len(rows) == 9
    values = np.array([[float(v) for v in row[1:]] for row in rows[1:]])
    assert np.isclose(values.mean(), r["pairs"]["quick"]["model"]["mean"], atol=1e-3)
    assert json.loads((tmp_path / "eval" / "summary.json").read_text())["results"] == \
        json.loads(json.dumps(s["results"]))


def test_delivered_is_the_models_glyph_after_the_vector_round_trip(tiny: dict[str, Path]
                                                                    ) -> None:
    bank = load_model(tiny["model"], torch.device("cpu"))
    draw = Draw(bank, "rotate", style_codes(bank, 0))
    a, b, s = torch.tensor([0, 1, 2]), torch.tensor([2, 0, 1]), torch.tensor([0, 1, 2])
    model, got = draw("model", a, b, s), draw("delivered", a, b, s)
    want = np.stack([vectorize.round_trip(g[0], **trace_settings(g.shape[-1]))
                     for g in model.numpy()])
    assert got.shape == model.shape and np.array_equal(got[:, 0].numpy(), want)
    assert not torch.equal(got, model)


def test_delivered_is_the_same_traced_in_worker_processes() -> None:
    x = torch.zeros(128, 1, 32, 32)
    for i in range(128):  # bars of several widths and grey levels, some under the threshold
        x[i, 0, 4:28, 4 + i % 16:8 + i % 16 + i % 5] = 0.3 + 0.7 * (i % 7) / 6
    one, two = delivered(x, 1), delivered(x, 2)
    assert torch.equal(one, two) and one.shape == x.shape
    assert one[x.amax((1, 2, 3)) < 0.5].max() == 0  # a glyph all under half ink vanishes


def test_eval_is_deterministic_for_a_seed(tiny: dict[str, Path]) -> None:
    def run(seed: int) -> dict:
        s = evaluate(_quick(tiny, seed=seed, max_words=2), tiny["model"], tiny["judge"],
                     "cpu").summary
        return s["results"]

    assert run(3) == run(3)


def test_eval_refuses_characters_the_model_lacks(tiny: dict[str, Path]) -> None:
    cfg = _quick(tiny, charsets={"x": "abz"})
    with pytest.raises(UsageError, match="no 'z'"):
        evaluate(cfg, tiny["model"], tiny["judge"], "cpu")


def test_eval_cli_json(tiny: dict[str, Path], tmp_path: Path) -> None:
    proc = subprocess.run(
        [PYTHON, "-m", "ambictl", "eval", "--quick", "--weights", str(tiny["model"]),
         "--judge", str(tiny["judge"]), "--pairs", str(tiny["pairs"]), "--chars", "pdqb",
         "--unequal-pairs", str(tiny["unequal"]),
         "--symmetry", "mirror", "-o", str(tmp_path / "out"), "--json", "--device", "cpu",
         "--threads", "1"],
        capture_output=True, text=True, env=cli_env(AMBICTL_TESSERACT=""), timeout=120)
    assert proc.returncode == 0, proc.stderr
    s = json.loads(proc.stdout)
    assert list(s["results"]) == ["mirror"] and s["settings"]["charsets"] == {"set1": "pdqb"}
    assert not s["settings"]["ocr"] and any("Tesseract OCR skipped" in n for n in s["notes"])
    assert (tmp_path / "out" / "heatmap_mirror_set1.png").is_file()


@has_tesseract
def test_eval_with_tesseract(tiny: dict[str, Path]) -> None:
    cfg = EvalConfig.quick_preset(pairs_file=tiny["pairs"], unequal_file=tiny["unequal"],
                                  max_words=2)
    s = evaluate(cfg, tiny["model"], tiny["judge"], "cpu").summary
    for key in ("words", "unequal words"):  # Tesseract reads pictures with wide cells too
        ocr_fig = s["results"]["rotate"][key]["overlay"]["ocr"]
        assert set(ocr_fig) == {"line", "word", "either"} and ocr_fig["either"]["n"] == 2


def test_missing_weights_are_clear_errors(tiny: dict[str, Path], tmp_path: Path) -> None:
    from ambictl.errors import DataError

    with pytest.raises(DataError, match="no model file"):
        evaluate(_quick(tiny), tmp_path / "none.pt", tiny["judge"], "cpu")
    with pytest.raises(DataError, match="no judge weights"):
        evaluate(_quick(tiny), tiny["model"], tmp_path / "none.pt", "cpu")


def test_eval_measures_the_pen_strokes_when_asked(tiny: dict[str, Path],
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    from dataclasses import replace

    from ambictl import strokes

    monkeypatch.setattr(strokes, "DEFAULT", replace(strokes.DEFAULT, steps=2))
    s = evaluate(_quick(tiny, strokes=1, choice_styles=0, max_words=1, styles=1,
                        charsets={"quick": "abd"}), tiny["model"], tiny["judge"], "cpu").summary
    r = s["results"]["rotate"]
    for method in ("strokes", "strokes-auto"):  # in the first style only
        assert 0 <= r["pairs"]["quick"][method]["mean"] <= 1
        assert method not in r["style"]
    for key in ("words", "unequal words"):
        assert {"auto, strokes on", "auto, strokes auto"} <= set(r[key])
    assert "auto, strokes on" in s["settings"]["word_methods"]

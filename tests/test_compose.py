"""Tests for ambictl.compose, ambictl.symmetry (cell pairing, case choices) and ambictl.output:
input checks, the symmetric layout, SVG/PNG/preview output. No model and no torch: everything
here is arrays and strings.
"""

from __future__ import annotations

import io
import string
import xml.etree.ElementTree as ET

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

from ambictl import compose, output
from ambictl.compose import (
    MAX_LENGTH,
    check_request,
    check_words,
    describe_charset,
    layout,
)
from ambictl.errors import UsageError
from ambictl.symmetry import (
    AUTO_CASE,
    SYMMETRIES,
    align,
    case_choices,
    case_options,
    pair_cells,
    split_readings,
)
from ambictl.symmetry import apply as apply_symmetry
from ambictl.vectorize import trace

CHARS = string.ascii_uppercase + string.ascii_lowercase + string.digits
S = 32


def blob_glyphs(n: int, seed: int) -> np.ndarray:
    """n random glyph-like bitmaps: a few soft rectangles each, inside the cell, some blank."""
    rng = np.random.default_rng(seed)
    out = np.zeros((n, S, S), np.float32)
    for g in out:
        if rng.random() < 0.1:
            continue  # a blank cell (a space-like glyph) must keep the layout symmetric too
        for _ in range(rng.integers(1, 4)):
            y0, x0 = rng.integers(0, S - 4, 2)
            h, w = rng.integers(2, S // 2, 2)
            g[y0:y0 + h, x0:x0 + w] = np.maximum(g[y0:y0 + h, x0:x0 + w], rng.uniform(0.3, 1))
    return out


# --- input checks --------------------------------------------------------------------------


def test_charset_is_described_as_ranges() -> None:
    assert describe_charset(CHARS) == "0-9 A-Z a-z"
    assert describe_charset("ab") == "a b"
    assert describe_charset("a c") == "U+0020 a c"


@pytest.mark.parametrize(("w1", "w2", "needle"), [
    ("", None, "word 1 is empty"),
    ("   ", None, "word 1 is only whitespace"),
    ("dear", "\t\n", "word 2 is only whitespace"),
    ("a" * (MAX_LENGTH + 1), None, f"at most {MAX_LENGTH}"),
    ("déar", "read", "unsupported character 'é'; the model supports 0-9 A-Z a-z"),
    ("de ar", "re ad", "U+0020"),
    ("dear\x07", "reads", "U+0007"),
    ("dear", "readingly", "the words have 4 and 9 letters: a ratio over 2"),
])
def test_bad_words_get_one_clear_line(w1: str, w2: str | None, needle: str) -> None:
    with pytest.raises(UsageError) as e:
        check_words(w1, w2, CHARS)
    msg = str(e.value)
    assert needle in msg
    assert "\n" not in msg and msg.isprintable()
    assert e.value.exit_code == 2


def test_many_unsupported_characters_are_listed_briefly() -> None:
    with pytest.raises(UsageError, match="and 2 more") as e:
        check_words("!@#$%^&*()", None, CHARS)
    assert len(str(e.value)) < 200


@pytest.mark.parametrize(("kwargs", "needle"), [
    ({"symmetry": "spin"}, "unknown symmetry 'spin': choose one of rotate, mirror, flip"),
    ({"candidates": 0}, "candidates must be a whole number from 1 to 256"),
    ({"candidates": 10**9}, "candidates must be"),
    ({"seed": -1}, "seed must be"),
    ({"style": -3}, "style -3 does not exist: styles are numbered from 0"),
    ({"style": 2.5}, "style must be auto, a number or a name"),
    ({"style": " "}, "style is empty"),
    ({"case": "title"}, "unknown case 'title': choose one of auto, word, cell, keep"),
    ({"pick": "0,x"}, "is not a list of numbers"),
    ({"pick": "0,1"}, "give one per letter (4)"),
    ({"pick": [0, -1, 0, 0]}, "whole numbers from 0"),
    ({"pick": 3}, "pick must be text like 0,2,1"),
    ({"candidates": 2.5}, "candidates must be"),
])
def test_bad_options_are_refused(kwargs: dict, needle: str) -> None:
    with pytest.raises(UsageError) as e:
        check_request("dear", "read", chars=CHARS, **kwargs)
    assert needle in str(e.value)


def test_word2_defaults_to_word1_and_case_is_kept() -> None:
    assert check_request("SOS", chars=CHARS) == ("SOS", "SOS", None)
    assert check_request("Dear", "rEAD", pick="0,1,0,2", chars=CHARS) == ("Dear", "rEAD",
                                                                          (0, 1, 0, 2))


@settings(max_examples=1200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(w1=st.one_of(st.text(max_size=80), st.text(CHARS, min_size=1, max_size=8),
                    st.builds(lambda c, n: c * n, st.text(max_size=3), st.integers(0, 10_000))),
       w2=st.one_of(st.none(), st.text(max_size=80), st.text(CHARS, min_size=1, max_size=8)),
       symmetry=st.sampled_from([*SYMMETRIES, "Rotate", "", "spin\n"]))
def test_random_input_is_accepted_or_refused_with_one_line(w1: str, w2: str | None,
                                                           symmetry: str) -> None:
    """Unicode, controls, surrogates, huge strings: each either validates or raises UsageError
    with one printable line (what the CLI prints), never anything else."""
    try:
        a, b, _ = check_request(w1, w2, symmetry=symmetry, chars=CHARS)
    except UsageError as e:
        msg = str(e)
        assert msg and "\n" not in msg and msg.isprintable() and len(msg) < 300
        return
    assert symmetry in SYMMETRIES
    assert set(a + b) <= set(CHARS) and max(len(a), len(b)) <= min(2 * len(a), 2 * len(b),
                                                                   MAX_LENGTH)
    assert b == (a if w2 is None else w2)
    if len(a) == len(b):
        assert len(pair_cells(a, b, symmetry)) == len(a)
    else:
        assert split_readings(align(a, b, symmetry, {}), symmetry) == (a, b)


# --- pairing -------------------------------------------------------------------------------


def test_pairs_follow_each_symmetry() -> None:
    assert pair_cells("dear", "read", "rotate") == [("d", "d"), ("e", "a"), ("a", "e"),
                                                     ("r", "r")]
    assert pair_cells("bd", "bd", "mirror") == [("b", "d"), ("d", "b")]
    assert pair_cells("AMB", "VWP", "flip") == [("A", "V"), ("M", "W"), ("B", "P")]
    assert pair_cells("69", "69", "rotate") == [("6", "9"), ("9", "6")]


# --- layout --------------------------------------------------------------------------------


@pytest.mark.parametrize("symmetry", SYMMETRIES)
@pytest.mark.parametrize("seed", range(6))
def test_turned_picture_is_exactly_the_other_reading(symmetry: str, seed: int) -> None:
    """The symmetry applied to the whole picture == the picture composed from every glyph with
    the symmetry applied, in the order the other reading sees them: pixel for pixel."""
    glyphs = blob_glyphs(1 + seed * 3, seed)
    picture = compose.compose(glyphs)
    turned = apply_symmetry(glyphs, symmetry)
    if symmetry != "flip":
        turned = turned[::-1]
    np.testing.assert_array_equal(apply_symmetry(picture, symmetry), compose.compose(turned))


def test_layout_spacing_margins_and_crop() -> None:
    glyphs = np.zeros((2, S, S), np.float32)
    glyphs[0, 10:20, 5:12] = 1  # ink columns [5, 12)
    glyphs[1, 12:22, 20:30] = 1  # ink columns [20, 30)
    lay = layout(glyphs, gap=3, margin=4)
    assert lay.xs == (4 - 5, 4 - 5 + 12 + 3 - 20)
    assert lay.width == lay.xs[1] + 30 + 4
    # ink rows 10..21: 10 blank above, 10 below -> cropped equally, then the margin
    assert (lay.top, lay.height) == (4 - 10, S - 20 + 8)
    pic = compose.compose(glyphs, lay)
    cols = np.flatnonzero(pic.max(0) > 0.5)
    rows = np.flatnonzero(pic.max(1) > 0.5)
    assert cols[0] == 4 and cols[-1] == lay.width - 5
    assert rows[0] == 4 and rows[-1] == lay.height - 5
    gap = np.flatnonzero(pic.max(0)[cols[0]:cols[-1]] == 0)
    assert len(gap) == 3


def test_stroke_width_measures_strokes() -> None:
    g = np.zeros((2, S, S))
    g[0, 4:28, 10:13] = 1  # a bar 3 px wide
    g[1, 4:28, 10:16] = 1  # 6 px
    w = compose.stroke_width(g)
    assert w[0] == pytest.approx(3, rel=0.15) and w[1] == pytest.approx(6, rel=0.25)
    assert compose.stroke_width(np.zeros((S, S))) == 0


# --- output --------------------------------------------------------------------------------


def _traced(glyphs: np.ndarray) -> tuple[list, list, compose.Layout]:
    lay = layout(glyphs)
    return [trace(g, refine=1) for g in glyphs], [(float(x), float(lay.top)) for x in lay.xs], lay


def test_svg_is_well_formed_with_title_colour_and_background() -> None:
    glyphs = blob_glyphs(3, 1)
    paths, offs, lay = _traced(glyphs)
    svg = output.svg_document(paths, offs, lay.width, lay.height, title='a<b & "c" / d',
                              color=output.parse_color("#ff000080", "c", allow_none=False),
                              background=output.parse_color("white", "b", allow_none=True),
                              px_height=100)
    root = ET.fromstring(svg.encode())
    ns = "{http://www.w3.org/2000/svg}"
    assert root.get("viewBox") == f"0 0 {lay.width} {lay.height}"
    assert root.get("height") == "100"
    assert root.find(f"{ns}title").text == 'a<b & "c" / d'
    assert root.find(f"{ns}rect").get("fill") == "#ffffff"
    g = root.find(f"{ns}g")
    assert (g.get("fill"), g.get("fill-opacity"), g.get("fill-rule")) == ("#ff0000", "0.502",
                                                                          "evenodd")
    assert len(g.findall(f"{ns}path")) == sum(1 for p in paths if p)


def test_colours_are_checked() -> None:
    assert output.parse_color("none", "bg", allow_none=True) is None
    assert output.parse_color("Transparent", "bg", allow_none=True) is None
    assert output.parse_color("#123", "c", allow_none=False) == (17, 34, 51, 255)
    for bad in ("none", "blurple", '"/><script>'):
        with pytest.raises(UsageError, match="colour"):
            output.parse_color(bad, "--color", allow_none=False)


@pytest.mark.parametrize("height", [0, -5, 7, 8193, 10**9])
def test_height_range(height: int) -> None:
    with pytest.raises(UsageError, match="height must be"):
        output.check_height(height)


def test_png_is_drawn_from_outlines_at_any_height() -> None:
    glyphs = blob_glyphs(2, 3)
    paths, offs, lay = _traced(glyphs)
    cov = output.coverage(paths, offs, lay.width, lay.height, 4 * lay.height)
    assert cov.shape == (4 * lay.height, 4 * lay.width)
    small = cov.reshape(lay.height, 4, lay.width, 4).mean(axis=(1, 3))
    pic = compose.compose(glyphs, lay)
    assert np.mean((small > 0.5) == (pic > 0.5)) > 0.97
    png = output.png_bytes(cov, color=(255, 0, 0, 255))
    img = Image.open(io.BytesIO(png))
    assert img.mode == "RGBA" and img.size == (4 * lay.width, 4 * lay.height)
    rgba = np.asarray(img)
    assert rgba[..., 3].min() == 0 and rgba[..., 3].max() == 255  # transparent background
    assert np.all(rgba[rgba[..., 3] > 0][:, :3] == (255, 0, 0))
    opaque = np.asarray(Image.open(io.BytesIO(output.png_bytes(cov, background=(0, 0, 255, 255)))))
    assert opaque[..., 3].min() == 255


def test_huge_png_is_refused() -> None:
    with pytest.raises(UsageError, match="too large"):
        output.png_size(4000, 40, 8192)


def test_preview_is_half_blocks() -> None:
    pic = np.zeros((8, 8))
    pic[:4, :] = 1  # top half ink
    lines = output.preview_text(pic, 8).split("\n")
    assert lines[0] == "█" * 8 and lines[1] == "█" * 8 and lines[2:] == ["", ""]
    pic2 = np.zeros((2, 4))
    pic2[0] = 1
    assert output.preview_text(pic2, 4) == "▀▀▀▀"
    wide = output.preview_text(np.ones((40, 400)), 50)
    assert max(len(line) for line in wide.splitlines()) == 50


def test_sheet_shows_every_alternative() -> None:
    alts = [blob_glyphs(3, 5), blob_glyphs(1, 6)]
    png = output.sheet_png(alts, [[0.9, 0.5, 0.1], [0.7]],
                           [[("d", "p"), ("D", "p"), ("d", "P")], [("p", "d")]], (0, 0), "rotate")
    img = Image.open(io.BytesIO(png))
    assert img.width > 2 * 2 * 3 * S and img.height > 3 * 3 * S


# --- case rules --------------------------------------------------------------------------------


def test_case_options_put_the_typed_case_first() -> None:
    assert case_options("d", "R", "keep") == [("d", "R")]
    assert case_options("d", "R", "upper") == [("D", "R")]
    assert case_options("d", "R", "lower") == [("d", "r")]
    cell = case_options("d", "R", "cell")
    assert cell[0] == ("d", "R") and sorted(cell) == sorted([("d", "r"), ("d", "R"), ("D", "r"),
                                                            ("D", "R")])
    assert case_options("d", "R", "auto") == case_options("d", "R", AUTO_CASE)
    assert case_options("8", "a", "cell") == [("8", "a"), ("8", "A")]


def test_word_case_keeps_each_reading_in_one_case() -> None:
    cells = pair_cells("deaR", "read", "rotate")
    options = [case_options(a, b, "word") for a, b in cells]
    choices = case_choices(options, "word")
    assert choices[0] == [0] * 4  # as typed first
    readings = set()
    for choice in choices:
        drawn = [options[i][o] for i, o in enumerate(choice)]
        up, turned = "".join(a for a, _ in drawn), "".join(b for _, b in drawn)[::-1]
        assert up.lower() == "dear" and turned.lower() == "read"
        if choice != choices[0]:
            assert up in ("dear", "DEAR") and turned in ("read", "READ")
        readings.add((up, turned))
    assert len(readings) == len(choices) == 5  # typed, then 4 one-case combinations
    assert case_choices(options, "cell") == [[-1] * 4]  # any option per cell


def test_combining_marks_are_named_by_code_point() -> None:
    assert compose.describe_char("\u0301") == "U+0301"
    assert compose.describe_char("é") == "'é'"

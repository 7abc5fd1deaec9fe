"""`make --font PATH`: any font file as the style, on the shipped model (it loads in a moment).

A font is rendered exactly as the data set renders the bank's fonts, so a bank font given as a
file must be its bank style to the bit; a font lacking a letter the word needs is one line.
"""

from __future__ import annotations

import json
import string
import subprocess
from pathlib import Path

import numpy as np
import pytest
from conftest import PYTHON, cli_env, make_collection

from ambictl.ambigram import Model, load_model, make_ambigram
from ambictl.errors import UsageError
from ambictl.resources import fonts_dir
from ambictl.styles import font_style, open_font

pytestmark = pytest.mark.usefixtures("one_thread")

OPEN_SANS = "open-sans/open-sans-latin-400-normal.woff2"  # style 2 of the shipped bank


@pytest.fixture(scope="module")
def shipped() -> Model:
    try:
        return load_model()
    except Exception as e:  # a checkout without the shipped weights
        pytest.skip(f"no shipped model: {e}")


@pytest.fixture(scope="module")
def open_sans() -> Path:
    path = fonts_dir() / OPEN_SANS
    if not path.is_file():
        pytest.skip("the bundled Open Sans is missing")
    return path


def subset(src: Path, chars: str, out: Path) -> Path:
    """`src` reduced to `chars` (fontTools.subset), as a plain TrueType file."""
    from fontTools import subset as fts
    from fontTools.ttLib import TTFont

    font = TTFont(str(src))
    font.flavor = None
    sub = fts.Subsetter()
    sub.populate(unicodes=[ord(c) for c in chars])
    sub.subset(font)
    font.save(str(out))
    return out


def make(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([PYTHON, "-m", "ambictl", "make", *map(str, args)],
                          env=cli_env(COLUMNS="200", OMP_NUM_THREADS="1"), capture_output=True,
                          text=True, timeout=120)


def test_a_bank_font_as_a_file_is_its_bank_style(shipped: Model, open_sans: Path) -> None:
    style = font_style(open_sans, shipped.chars, shipped.config.image_size)
    assert style.name == "Open Sans Regular" and style.missing == ""
    bank = shipped.style_names.index(style.name)
    assert np.array_equal(style.glyphs.numpy(), shipped.style_glyphs[bank].numpy())
    by_font = make_ambigram("dear", "read", font=open_sans, weights=shipped, candidates=4)
    by_style = make_ambigram("dear", "read", style=bank, weights=shipped, candidates=4)
    assert by_font.to_svg() == by_style.to_svg()
    assert (by_font.style, by_font.style_name, by_font.font) == (None, style.name, str(open_sans))
    assert by_font.report()["font"] == str(open_sans) and not by_font.style_scan


def test_letters_the_font_lacks(shipped: Model, open_sans: Path, tmp_path: Path) -> None:
    no_r = subset(open_sans, string.ascii_letters.replace("r", ""), tmp_path / "no-r.ttf")
    with pytest.raises(UsageError, match=r"Open Sans Regular .*no-r\.ttf\) has no 'r'"):
        make_ambigram("dear", "read", font=no_r, weights=shipped, candidates=2)
    lower = subset(open_sans, string.ascii_lowercase, tmp_path / "lower.ttf")
    assert font_style(lower, shipped.chars, 32).missing == string.ascii_uppercase + string.digits
    # Only another case is missing: the case options shrink to what the font has.
    amb = make_ambigram("dear", "read", font=lower, case="cell", weights=shipped, candidates=2)
    assert amb.drawn == ("dear", "read")
    assert all(a.islower() and b.islower() for pairs in amb.alternative_pairs for a, b in pairs)
    with pytest.raises(UsageError, match="has no 'D' 'E' 'A' 'R'"):
        make_ambigram("dear", "read", font=lower, case="upper", weights=shipped, candidates=2)


def test_face_of_a_collection(open_sans: Path, sample_fonts, tmp_path: Path) -> None:
    ttc = make_collection([sample_fonts.plain, open_sans], tmp_path / "two.ttc")
    assert open_font(ttc)[0].index == 0
    assert open_font(f"{ttc}#1")[0].family == "Open Sans"
    with pytest.raises(UsageError, match="has no face #5"):
        open_font(f"{ttc}#5")


def test_cli_font_writes_svg_named_after_the_font(shipped: Model, open_sans: Path,
                                                   tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from ambictl.cli import app

    out = tmp_path / "x.svg"  # in this process: the model is loaded already, torch imported
    r = CliRunner().invoke(app, ["make", "dear", "read", "--font", str(open_sans), "-o",
                                 str(out), "--candidates", "2", "--json"])
    assert r.exit_code == 0, r.output
    report = json.loads(r.stdout)
    assert report["style_name"] == "Open Sans Regular" and report["font"] == str(open_sans)
    assert report["style"] is None and out.read_text().startswith("<?xml")
    assert "font Open Sans Regular" in r.stderr


def test_cli_font_lacking_a_letter_is_one_line(open_sans: Path, tmp_path: Path) -> None:
    no_r = subset(open_sans, string.ascii_letters.replace("r", ""), tmp_path / "no-r.ttf")
    r = make("dear", "read", "--font", no_r, "-o", tmp_path / "x.svg")
    assert r.returncode == 2 and len(r.stderr.strip().splitlines()) == 1, r.stderr
    assert "no-r.ttf" in r.stderr and "has no 'r'" in r.stderr and "Traceback" not in r.stderr
    assert not (tmp_path / "x.svg").exists()


@pytest.mark.parametrize(("font", "extra", "needle"), [
    ("{font}", ["--style", "3"], "--font and --style both choose the style"),
    ("{tmp}/missing.ttf", [], "no font file at"),
    ("{tmp}", [], "is a folder, not a font file"),
    ("{tmp}/notes.txt", [], "is not a font file (.txt)"),
    ("{tmp}/fake.ttf", [], "cannot use the font"),
])
def test_cli_bad_font_is_one_line(open_sans: Path, tmp_path: Path, font: str, extra: list[str],
                                  needle: str) -> None:
    (tmp_path / "notes.txt").write_text("not a font")
    (tmp_path / "fake.ttf").write_bytes(b"\0\1\0\0 not really a font" * 10)
    r = make("dear", "read", "--font", font.format(font=open_sans, tmp=tmp_path), *extra,
             "-o", tmp_path / "x.svg")
    assert r.returncode == 2 and len(r.stderr.strip().splitlines()) == 1, r.stderr
    assert needle in r.stderr and "Traceback" not in r.stderr
    assert not (tmp_path / "x.svg").exists()

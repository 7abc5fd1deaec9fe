"""`ambictl make` end to end: subprocess runs of the real CLI on the tiny model of test_make.

Bad input must give exit code 2, exactly one line on stderr, no traceback and no file. Most of
those runs stop before torch is imported, so they are quick.
"""

from __future__ import annotations

import json
import os
import subprocess
import tempfile
from pathlib import Path

import pytest
from conftest import PYTHON, cli_env
from test_make import build_tiny_model


@pytest.fixture(scope="module")
def model(tmp_path_factory: pytest.TempPathFactory, sample_fonts) -> Path:
    return build_tiny_model(tmp_path_factory.mktemp("cli") / "tiny.pt", sample_fonts.plain,
                            chars="abdeopqrsux8")


def make(*args: str | Path, cwd: Path | None = None) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run([PYTHON, "-m", "ambictl", "make", *map(str, args)], cwd=cwd,
                          env=cli_env(COLUMNS="100"), capture_output=True, timeout=120)


def read_only_dir(tmp_path: Path) -> Path:
    """A folder nobody may write to: chmod for ordinary users; for root (who ignores modes),
    /sys, where creating files fails."""
    if os.geteuid() != 0:
        d = tmp_path / "ro"
        d.mkdir()
        d.chmod(0o555)
        return d
    try:
        os.close(tempfile.mkstemp(dir="/sys")[0])
    except OSError:
        return Path("/sys")
    pytest.skip("no read-only folder to test with")


BAD = [
    (["", "read"], "word 1 is empty"),
    (["   "], "word 1 is only whitespace"),
    (["dear", "readingly"], "the words have 4 and 9 letters: a ratio over 2"),
    (["Christopher", "Al"], "the words have 11 and 2 letters: a ratio over 2 cannot be split"),
    (["a" * 10_000], "10000 characters; at most 64"),
    (["dear", "--symmetry", "spin"], "unknown symmetry 'spin'"),
    (["dear", "--candidates", "0"], "candidates must be a whole number from 1 to 256"),
    (["dear", "--candidates", "-4"], "candidates must be"),
    (["dear", "--candidates", "1000000"], "candidates must be a whole number from 1 to 256"),
    (["dear", "--height", "100000"], "height must be a whole number of pixels from 8 to 8192"),
    (["dear", "--height", "abc"], "Invalid value for '--height'"),
    (["dear", "--color", "blurple"], "'blurple' is not a colour"),
    (["dear", "--pick", "1,x"], "is not a list of numbers"),
    (["dear", "--case", "title"], "unknown case 'title': choose one of auto"),
    (["dear", "--strokes", "maybe"], "unknown --strokes 'maybe': choose one of off, on, auto"),
    (["dear", "-o", "{tmp}/out.jpg"], "extension '.jpg' is not supported; use .svg or .png"),
    (["dear", "-o", "{tmp}/out"], "it has no extension; use .svg or .png"),
    (["dear", "-o", "{tmp}/missing/out.svg"], "does not exist"),
    (["dear", "-o", "{ro}/out.svg"], "cannot write"),
    (["dear", "--sheet", "{tmp}/s.jpg"], "the contact sheet is a .png file"),
    (["dear"], "nothing to write"),
    (["dear", "-o", "-", "--json"], "both write to stdout"),
    (["déar", "-o", "{tmp}/x.svg", "--weights", "{model}"],
     "unsupported character 'é'; the model supports 8 a b d e o-s u x"),
    (["dear", "-o", "{tmp}/x.svg", "--weights", "{tmp}/none.pt"], "no model file at"),
    (["bread", "sad", "--pick", "0,0", "-o", "{tmp}/x.svg", "--weights", "{model}"],
     "--pick has 2 indices; the words were split into 3 cells"),
    (["dear", "-o", "{tmp}/x.svg", "--weights", "{junk}"], "refusing"),
]


@pytest.mark.parametrize(("args", "needle"), BAD, ids=[b[1][:30] for b in BAD])
def test_bad_input_is_one_line_and_exit_2(tmp_path: Path, model: Path, args: list[str],
                                          needle: str) -> None:
    junk = tmp_path / "junk.pt"
    junk.write_bytes(os.urandom(3000))
    fill = {"tmp": tmp_path, "model": model, "junk": junk}
    if any("{ro}" in a for a in args):
        fill["ro"] = read_only_dir(tmp_path)
    before = set(tmp_path.rglob("*"))
    r = make(*(a.format(**fill) for a in args))
    err = r.stderr.decode()
    assert r.returncode == 2, err
    assert len(err.strip().splitlines()) == 1, err
    assert needle in err and "Traceback" not in err
    assert r.stdout == b""
    assert set(tmp_path.rglob("*")) == before  # nothing written, not even a temp file


def test_missing_shipped_weights_say_so(tmp_path: Path) -> None:
    """Without --weights the shipped file is used; when it is missing that is one clear line.

    Runs in a copy of the package without weights/ (the checkout may hold the real model)."""
    import shutil

    import ambictl

    pkg = Path(ambictl.__file__).parent
    shutil.copytree(pkg, tmp_path / "ambictl", ignore=shutil.ignore_patterns("__pycache__"))
    (tmp_path / "weights").mkdir()
    r = subprocess.run([PYTHON, "-m", "ambictl", "make", "dear", "-o", str(tmp_path / "x.svg")],
                       env={**cli_env(), "PYTHONPATH": str(tmp_path)}, capture_output=True,
                       timeout=120, cwd=tmp_path)
    err = r.stderr.decode()
    assert r.returncode == 2 and len(err.strip().splitlines()) == 1, err
    assert "the shipped model is missing" in err and "--weights" in err
    assert not (tmp_path / "x.svg").exists()


def test_svg_png_sheet_json_and_determinism(tmp_path: Path, model: Path) -> None:
    common = ["dear", "read", "--weights", model, "--candidates", "4", "--seed", "3"]
    r1 = make(*common, "-o", "-", "-q")
    assert r1.returncode == 0, r1.stderr.decode()
    assert r1.stdout.startswith(b"<?xml") and r1.stderr == b""
    r = make(*common, "-o", tmp_path / "d.png", "--sheet", tmp_path / "s.png", "--json",
             "--height", "120", "--color", "navy", "--background", "#ffffee", "--preview")
    assert r.returncode == 0, r.stderr.decode()
    report = json.loads(r.stdout)
    assert report["word1"] == "dear" and report["word2"] == "read" and report["seed"] == 3
    assert [g["upright"] + g["turned"] for g in report["glyphs"]] == ["dd", "ea", "ae", "rr"]
    err = r.stderr.decode()
    assert "legible" in err and "dear (as it is)" in err and "read (turned)" in err
    from PIL import Image

    img = Image.open(tmp_path / "d.png")
    assert img.size[1] == 120 and img.getpixel((0, 0)) == (255, 255, 238, 255)
    assert Image.open(tmp_path / "s.png").size[0] > 200
    r3 = make(*common, "-o", tmp_path / "d.svg", "-q")
    # another process, same seed: the same bytes
    assert r3.returncode == 0 and (tmp_path / "d.svg").read_bytes() == r1.stdout
    assert sorted(p.name for p in tmp_path.iterdir()) == ["d.png", "d.svg", "s.png"]


def test_help_lists_make() -> None:
    r = subprocess.run([PYTHON, "-m", "ambictl", "make", "--help"], env=cli_env(COLUMNS="120"),
                       capture_output=True, timeout=60)
    out = r.stdout.decode()
    assert r.returncode == 0 and "--symmetry" in out and "--pick" in out


def test_import_and_failing_checks_do_not_load_torch() -> None:
    code = ("import sys, ambictl, ambictl.cli, ambictl.compose, ambictl.output; "
            "print('torch' in sys.modules)")
    r = subprocess.run([PYTHON, "-c", code], env=cli_env(), capture_output=True, timeout=60)
    assert r.stdout.decode().strip() == "False", r.stderr.decode()


def test_make_help_states_how_many_styles_auto_tries() -> None:
    # The CLI does not import torch to print its help, so it spells AUTO_STYLES out.
    from ambictl.ambigram import AUTO_STYLES

    proc = subprocess.run([PYTHON, "-m", "ambictl", "make", "--help"], env=cli_env(COLUMNS="300"),
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert f"the bank's first {AUTO_STYLES} fonts" in proc.stdout

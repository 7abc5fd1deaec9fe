"""What a new user trips over (issue #16): output paths that cannot be written, error lines
with nothing before them, honest help, --no-bundled-fonts and the `styles` command.

Most runs go through `ambictl.cli.main` in this process (no interpreter start per case, and
every check here fails before any real work); one subprocess run keeps the real entry point
honest.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest
from conftest import CHARS, PYTHON, cli_env, copy_fonts

from ambictl import atomic, cli
from ambictl.errors import UsageError

LINUX = sys.platform.startswith("linux") and Path("/proc/self").is_dir()
needs_linux = pytest.mark.skipif(not LINUX, reason="uses /proc and /sys")


def run(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, *args: str
        ) -> tuple[int, str, str]:
    """`ambictl ARGS` in this process: exit code, stdout, stderr."""
    monkeypatch.setattr(sys, "argv", ["ambictl", *args])
    monkeypatch.setattr(cli, "_debug", False)
    with pytest.raises(SystemExit) as stop:
        cli.main()
    out, err = capsys.readouterr()
    return int(stop.value.code or 0), out, err


def assert_one_error_line(code: int, err: str, *needles: str) -> None:
    assert code == 2, err
    assert err.startswith("error: "), repr(err[:200])  # nothing before it: no blank line, no bar
    assert len(err.strip().splitlines()) == 1, err
    assert "internal error" not in err and "Traceback" not in err
    for needle in needles:
        assert needle in err, err


@pytest.fixture
def a_file(tmp_path: Path) -> Path:
    f = tmp_path / "taken"
    f.write_text("keep me")
    return f


# ----------------------------------------------------------------------------- output paths


def test_probe_output_dir_names_what_is_wrong(tmp_path: Path, a_file: Path) -> None:
    with pytest.raises(UsageError, match="it is a file, not a folder"):
        atomic.probe_output_dir(a_file)
    with pytest.raises(UsageError, match="is a file, not a folder"):
        atomic.probe_output_dir(a_file / "run")
    assert atomic.probe_output_dir(tmp_path / "new" / "run") == tmp_path / "new" / "run"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["taken"]  # the probe left nothing
    with pytest.raises(UsageError, match="it is a folder"):
        atomic.probe_writable_file(tmp_path)
    assert a_file.read_text() == "keep me"


@needs_linux
@pytest.mark.parametrize("path", ["/proc/ambictl-out", "/sys/ambictl-out", "/proc/self/x"])
def test_kernel_file_systems_are_refused_in_plain_words(path: str) -> None:
    for probe in (atomic.probe_output_dir, atomic.probe_writable_file):
        with pytest.raises(UsageError, match="virtual file system") as caught:
            probe(path)
        assert "choose a path on a disk" in str(caught.value)


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() == 0,
                    reason="root may write to any folder")
def test_a_folder_without_write_permission_is_refused(tmp_path: Path) -> None:
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o555)
    try:
        with pytest.raises(UsageError, match="permission denied"):
            atomic.probe_output_dir(locked / "run")
        with pytest.raises(UsageError, match="not writable|permission denied"):
            atomic.probe_writable_file(locked / "judge.pt")
    finally:
        locked.chmod(0o755)


def test_train_into_an_existing_file_is_one_line(small_dataset, a_file: Path) -> None:
    # A real process: this case used to end in "internal error: NotADirectoryError".
    proc = subprocess.run([PYTHON, "-m", "ambictl", "train", str(small_dataset.path), "-o",
                           str(a_file), "--quick", "--device", "cpu"], env=cli_env(),
                          capture_output=True, text=True, timeout=120)
    assert_one_error_line(proc.returncode, proc.stderr, "it is a file, not a folder")
    assert a_file.read_text() == "keep me"


@pytest.mark.parametrize("where", ["file", "under-file"] + (["proc", "sys"] if LINUX else []))
@pytest.mark.parametrize("command", ["train", "train-export", "build-dataset", "train-judge",
                                     "eval", "styles"])
def test_every_output_path_is_checked_before_any_work(capsys, monkeypatch, small_dataset,
                                                      a_file: Path, command: str,
                                                      where: str) -> None:
    folder = {"file": str(a_file), "under-file": str(a_file / "out"),
              "proc": "/proc/ambictl-out", "sys": "/sys/ambictl-out"}[where]
    ds, tmp = str(small_dataset.path), str(a_file.parent)
    args = {
        "train": ["train", ds, "-o", folder, "--quick", "--device", "cpu"],
        "train-export": ["train", ds, "-o", f"{tmp}/run", "--quick", "--device", "cpu",
                         "--export", f"{folder}.pt" if where != "file" else tmp],
        "build-dataset": ["build-dataset", "-o", folder, "--no-system-fonts", "--chars", "ab"],
        "train-judge": ["train-judge", ds, "-o", f"{folder}.pt" if where != "file" else tmp,
                        "--quick"],
        "eval": ["eval", "-o", folder, "--quick", "--no-ocr"],
        "styles": ["styles", "--sheet", f"{folder}.png" if where != "file" else f"{tmp}/"],
    }[command]
    code, _, err = run(capsys, monkeypatch, *args)
    assert_one_error_line(code, err, "cannot")
    assert a_file.read_text() == "keep me"
    assert sorted(p.name for p in a_file.parent.iterdir()) == ["taken"]  # no run folder either


# ----------------------------------------------------------------------------- errors first


@pytest.mark.parametrize("damage", ["missing", "corrupt"])
def test_train_and_build_errors_come_alone(capsys, monkeypatch, tmp_path: Path,
                                           damage: str) -> None:
    ds = tmp_path / "ds"
    if damage == "corrupt":
        ds.mkdir()
        (ds / "manifest.json").write_text("{")
    code, _, err = run(capsys, monkeypatch, "train", str(ds), "-o", str(tmp_path / "run"),
                       "--device", "cpu")
    assert_one_error_line(code, err, str(ds))
    code, _, err = run(capsys, monkeypatch, "build-dataset", "-o", str(tmp_path / "out"),
                       "--size", "3")
    assert_one_error_line(code, err, "--size")


@pytest.mark.parametrize(("extra", "needle"), [
    (["--what", "wider"], "choose generator, classifier, rankers, refiner or wide"),
    (["--what", "rankers", "--words", "dear", "read"], "--what rankers trains the ranking"),
    (["--what", "rankers", "--resume"], "--what rankers trains the ranking"),
    (["--what", "wide", "--wide", "0.5"], "--what wide trains on wide cells only"),
    (["--what", "wide", "--words", "dear", "read"], "--what wide trains on wide cells only"),
])
def test_train_what_misuse_is_one_line(capsys, monkeypatch, tmp_path: Path, extra: list[str],
                                       needle: str) -> None:
    code, _, err = run(capsys, monkeypatch, "train", str(tmp_path / "ds"), "-o",
                       str(tmp_path / "run"), *extra)
    assert_one_error_line(code, err, needle)
    assert not (tmp_path / "run").exists()


def test_eval_with_a_corrupt_model_draws_no_progress_first(capsys, monkeypatch,
                                                           tmp_path: Path) -> None:
    bad = tmp_path / "bad.pt"
    bad.write_bytes(b"\x00not a model")
    code, _, err = run(capsys, monkeypatch, "eval", "--weights", str(bad), "--quick",
                       "--no-ocr", "-o", str(tmp_path / "eval"), "--device", "cpu")
    assert_one_error_line(code, err, str(bad))
    assert "0/100" not in err and not (tmp_path / "eval").exists()


# ----------------------------------------------------------------------------- help


COMMANDS = ["build-dataset", "make", "styles", "train", "train-judge", "eval"]


@pytest.mark.parametrize("command", COMMANDS)
def test_help_is_honest_and_tidy(capsys, monkeypatch, command: str) -> None:
    monkeypatch.setenv("COLUMNS", "200")
    code, out, _ = run(capsys, monkeypatch, command, "--help")
    assert code == 0
    assert "<bool>" not in out  # flags take no value
    assert not re.search(r"\w \.(\s|$)", out)  # "render ." is what a swallowed [default] leaves
    assert "couple of minutes" not in out and "in seconds" not in out


def test_eval_help_keeps_its_paragraph_whole(capsys, monkeypatch) -> None:
    monkeypatch.setenv("COLUMNS", "200")
    _, out, _ = run(capsys, monkeypatch, "eval", "--help")
    lines = out.splitlines()
    first = next(i for i, line in enumerate(lines) if line.strip().startswith("Per symmetry:"))
    end = next(i for i in range(first, len(lines)) if not lines[i].strip())
    para = [line.rstrip() for line in lines[first:end]]
    # Wrapped by the terminal's width, not at the source's line breaks (~90 characters).
    assert len(para) >= 1 and all(len(line) > 150 for line in para[:-1]), para


# ----------------------------------------------------------------------------- your own fonts


def test_a_data_set_from_your_own_fonts_only(capsys, monkeypatch, tmp_path: Path,
                                             sample_fonts) -> None:
    mine = copy_fonts(sample_fonts.files[:3], tmp_path / "mine")
    out = tmp_path / "ds"
    code, _, err = run(capsys, monkeypatch, "build-dataset", "-o", str(out), "--fonts",
                       str(mine), "--no-bundled-fonts", "--no-system-fonts", "--chars", CHARS,
                       "--size", "32", "--workers", "1")
    assert code == 0, err
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["counts"]["fonts"] >= 2
    assert {f["source"] for f in manifest["fonts"]} == {"user"}


def test_no_fonts_at_all_is_one_clear_line(capsys, monkeypatch, tmp_path: Path) -> None:
    code, _, err = run(capsys, monkeypatch, "build-dataset", "-o", str(tmp_path / "ds"),
                       "--no-bundled-fonts", "--no-system-fonts")
    assert_one_error_line(code, err, "no fonts to read", "--fonts")
    empty = tmp_path / "empty"
    empty.mkdir()
    code, _, err = run(capsys, monkeypatch, "build-dataset", "-o", str(tmp_path / "ds"),
                       "--no-bundled-fonts", "--no-system-fonts", "--fonts", str(empty))
    assert_one_error_line(code, err, "no font files found", "folder holds no font files")
    assert not (tmp_path / "ds").exists()


# ----------------------------------------------------------------------------- styles


def test_style_fonts_come_from_the_weights_when_they_name_them() -> None:
    from ambictl.styles import style_infos

    fonts = [{"family": "Lora", "style": "Regular", "path": "fonts/lora/lora.woff2",
              "source": "bundled", "license": "OFL-1.1"},
             {"family": "Mine", "style": "Bold", "path": "/home/me/mine.otf", "source": "user",
              "license": "unknown"}]
    model = SimpleNamespace(style_names=["Lora Regular", "Mine Bold"],
                            meta={"style_fonts": fonts})
    infos = style_infos(model)  # type: ignore[arg-type]
    assert [(i.index, i.font, i.license, i.source) for i in infos] == [
        (0, "fonts/lora/lora.woff2", "OFL-1.1", "bundled"),
        (1, "/home/me/mine.otf", "unknown", "user")]


def test_older_weights_find_their_fonts_among_the_bundled_ones() -> None:
    from ambictl.resources import fonts_dir
    from ambictl.styles import UNKNOWN, style_infos

    if not (fonts_dir() / "lora").is_dir():
        pytest.skip("needs the bundled fonts")
    model = SimpleNamespace(style_names=["Lora Regular", "No Such Font Regular"], meta={})
    lora, nothing = style_infos(model)  # type: ignore[arg-type]
    assert lora.font.startswith("fonts/lora/") and lora.license == "OFL-1.1"
    assert lora.source == "bundled"
    assert (nothing.font, nothing.license, nothing.source) == (UNKNOWN, UNKNOWN, UNKNOWN)


def test_styles_lists_the_shipped_models_styles(capsys, monkeypatch) -> None:
    from ambictl.ambigram import load_model

    names = load_model().style_names
    code, out, err = run(capsys, monkeypatch, "styles", "--json")
    assert code == 0, err
    rows = json.loads(out)
    assert [r["name"] for r in rows] == names and [r["index"] for r in rows] == list(
        range(len(names)))
    assert all(r["legibility"] is None for r in rows)  # nothing drawn without --sheet
    bundled = [r for r in rows if r["source"] == "bundled"]
    assert bundled and all(r["font"].startswith("fonts/") and r["license"] for r in bundled)


def test_styles_sheet_draws_every_style(capsys, monkeypatch, tmp_path: Path) -> None:
    from PIL import Image

    sheet = tmp_path / "styles.png"
    code, out, err = run(capsys, monkeypatch, "styles", "do", "op", "--sheet", str(sheet),
                         "--json")
    assert code == 0, err
    rows = json.loads(out)
    assert all(0 <= r["legibility"] <= 1 for r in rows)
    with Image.open(sheet) as img:
        assert img.format == "PNG" and img.height > 60 * len(rows)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["styles.png"]


def test_every_name_marked_slow_is_a_test() -> None:
    from conftest import SLOW

    sources = "".join(p.read_text() for p in Path(__file__).parent.glob("test_*.py"))
    assert not [name for name in SLOW if f"def {name}(" not in sources]

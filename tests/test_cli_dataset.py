"""`ambictl build-dataset` as a user runs it: exit codes, one-line errors, Ctrl-C."""

from __future__ import annotations

import json
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import PYTHON, cli_env, copy_fonts

from ambictl.resources import fonts_dir

SMALL = ["--no-system-fonts", "--chars", "adpxAH1", "--size", "32", "--workers", "2"]


def ambictl(*args: str, cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([PYTHON, "-m", "ambictl", *args], cwd=cwd, env=cli_env(**env),
                          capture_output=True, text=True, timeout=120)


def assert_one_error_line(proc: subprocess.CompletedProcess[str], *needles: str) -> None:
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error:"), proc.stderr
    for needle in needles:
        assert needle in lines[0]


@pytest.fixture
def bundled(tmp_path: Path, sample_fonts) -> Path:
    """A stand-in for the bundled fonts/ folder: three fonts of the sample."""
    return copy_fonts(sample_fonts.files[:2] + sample_fonts.files[-1:], tmp_path / "bundled")


def test_help_exits_zero(tmp_path: Path) -> None:
    top = ambictl("--help", cwd=tmp_path)
    assert top.returncode == 0 and "build-dataset" in top.stdout
    sub = ambictl("build-dataset", "--help", cwd=tmp_path)
    assert sub.returncode == 0 and "--no-system-fonts" in sub.stdout and "--force" in sub.stdout


def test_no_fonts_found(tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    proc = ambictl("build-dataset", "-o", "out", *SMALL, cwd=tmp_path,
                   AMBICTL_FONTS_DIR=str(empty))
    assert_one_error_line(proc, "no font files found", str(empty), "--fonts")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["empty"]


@pytest.mark.parametrize(("args", "needle"), [
    (["--normalize", "fill"], "--normalize"),
    (["--chars", "aa"], "--chars"),
    (["--chars", ""], "--chars"),
    (["--size", "big"], "--size"),
    (["--bogus"], "--bogus"),
])
def test_bad_options(tmp_path: Path, bundled: Path, args: list[str], needle: str) -> None:
    proc = ambictl("build-dataset", "-o", "out", *SMALL, *args, cwd=tmp_path,
                   AMBICTL_FONTS_DIR=str(bundled))
    assert_one_error_line(proc, needle)
    assert not (tmp_path / "out").exists()


def test_existing_output_needs_force(tmp_path: Path, bundled: Path) -> None:
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "keep.txt").write_text("old")
    proc = ambictl("build-dataset", "-o", "out", *SMALL, cwd=tmp_path,
                   AMBICTL_FONTS_DIR=str(bundled))
    assert_one_error_line(proc, "already exists", "--force")
    assert (tmp_path / "out" / "keep.txt").read_text() == "old"


def test_small_build_writes_manifest_with_skipped_fonts(tmp_path: Path, bundled: Path) -> None:
    first = sorted(bundled.iterdir())[0]
    (bundled / f"dup-{first.name}").write_bytes(first.read_bytes())
    (tmp_path / "notes.txt").write_text("not a font")
    proc = ambictl("build-dataset", "-o", "out", *SMALL, "--fonts", "notes.txt", "--fonts",
                   "missing.ttf", cwd=tmp_path, AMBICTL_FONTS_DIR=str(bundled))
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr and "Skipped fonts" in proc.stderr
    manifest = json.loads((tmp_path / "out" / "manifest.json").read_text())
    skipped = {s["path"]: s["reason"] for s in manifest["skipped"]}
    assert "not a font file" in skipped["notes.txt"]
    assert "no such file" in skipped["missing.ttf"]
    assert sum("duplicate" in r for r in skipped.values()) == 1
    assert manifest["counts"]["fonts"] == 3
    assert all(f["source"] == "bundled" and f["path"].startswith("fonts/")
               for f in manifest["fonts"])
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")) == []


# ----------------------------------------------------------------------------- Ctrl-C


def _children(pid: int) -> list[int]:
    """Processes whose parent is `pid` (Linux /proc)."""
    kids = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if int(fields[1]) == pid:
            kids.append(int(stat.parent.name))
    return kids


def _interrupt_build(cwd: Path, size: int, sig: int = signal.SIGINT
                     ) -> subprocess.CompletedProcess[str] | None:
    """Start a full build, signal it once its workers run; None if it ended first."""
    proc = subprocess.Popen([PYTHON, "-m", "ambictl", "build-dataset", "-o", "out",
                             "--no-system-fonts", "--size", str(size), "--workers", "2"],
                            cwd=cwd, env=cli_env(), stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 30
    while proc.poll() is None and not _children(proc.pid) and time.monotonic() < deadline:
        time.sleep(0.02)  # wait for the worker pool: Python and ambictl are loaded by then
    time.sleep(0.5)
    if proc.poll() is not None:
        proc.communicate()
        return None
    proc.send_signal(sig)
    out, err = proc.communicate(timeout=60)
    if proc.returncode == 0:  # the signal landed after the build had finished its last write
        return None
    return subprocess.CompletedProcess(proc.args, proc.returncode, out, err)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="uses /proc and SIGINT")
@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_ctrl_c_leaves_nothing_behind(tmp_path: Path, sig: int) -> None:
    if len(list(fonts_dir().rglob("*.woff2"))) < 20:
        pytest.skip("needs the bundled fonts for a build that lasts a few seconds")
    for size in (64, 256):
        proc = _interrupt_build(tmp_path, size, sig)
        if proc is not None:
            break
        for leftover in tmp_path.iterdir():  # the build beat the signal: clear it, go bigger
            if leftover.is_dir():
                shutil.rmtree(leftover)
    else:
        pytest.skip("every build finished before it could be interrupted")
    assert proc.returncode == 130, proc.stderr
    assert "Traceback" not in proc.stderr
    assert "interrupted" in proc.stderr
    assert list(tmp_path.iterdir()) == []

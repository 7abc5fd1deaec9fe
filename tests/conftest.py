"""Shared fixtures: a handful of real fonts, fonts made on the spot with fontTools, and a small
data set built once per session.

Real fonts come from the bundled fonts/ folder (the checkout always has it); DejaVu from the
system stands in where it is absent. Everything is kept tiny (a few fonts, a few characters,
32 px), yet training, eval and the CLI's subprocesses add up: the whole suite takes minutes on
2 CPU cores, `pytest -m "not slow"` (every test but those in SLOW below) well under one. The
README's "Tests" section has both commands with their measured times.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

import ambictl
from ambictl.resources import fonts_dir
from ambictl.vectorize import BezierPath, Point

PKG_PARENT = Path(ambictl.__file__).parent.parent
# Tests of several seconds each (timed file by file with --durations on 2 shared cores): they
# train, evaluate or run the CLI in many subprocesses. Marked `slow` here, in one list, so
# `pytest -m "not slow"` skips them; a plain `pytest` (CI) runs everything. Names are test
# functions: every parametrisation of one is marked.
SLOW = {
    # test_training.py: real training runs
    "test_train_writes_run_and_resume_reaches_the_same_result",
    "test_existing_run_needs_resume_and_resume_needs_the_same_data",
    "test_a_fine_tune_reuses_the_recognizers_it_asks_for_and_trains_the_others",
    "test_cli_quick_end_to_end_and_sigint_resume",
    "test_cli_train_on_a_bad_data_set_is_one_line",
    "test_one_generator_step_lowers_the_legibility_loss_on_a_fixed_batch",
    # test_eval.py: whole eval runs
    "test_eval_is_deterministic_for_a_seed",
    "test_eval_cli_json",
    "test_eval_quick_end_to_end",
    "test_eval_with_tesseract",
    "test_delivered_is_the_same_traced_in_worker_processes",
    "test_eval_measures_the_pen_strokes_when_asked",
    # test_strokes.py: words refined as strokes
    "test_wide_cells_get_strokes_too",
    "test_strokes_keep_the_letters_and_the_bytes_for_a_seed",
    # test_make.py, test_make_cli.py, test_compose.py: many words or many subprocesses
    "test_same_seed_same_bytes",
    "test_svg_rasterises_back_to_the_bitmap",
    "test_pick_chooses_among_alternatives",
    "test_keep_never_changes_a_letters_case",
    "test_api_either_succeeds_or_raises_usage_error",
    "test_svg_png_sheet_json_and_determinism",
    "test_missing_shipped_weights_say_so",
    "test_bad_input_is_one_line_and_exit_2",
    "test_random_input_is_accepted_or_refused_with_one_line",
    # test_cli_errors.py: a real process, and every style drawn
    "test_train_into_an_existing_file_is_one_line",
    "test_styles_sheet_draws_every_style",
    # test_refine.py: three training runs
    "test_the_refiner_trains_on_finished_weights_and_resumes",
}


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if getattr(item, "originalname", item.name) in SLOW:
            item.add_marker(pytest.mark.slow)
SIZE = 32
CHARS = "adpxAH1"  # small, but with a descender, an ascender, capitals and a digit
# Plain sans families (bundled family ids) to test the frame on, best first.
PLAIN_SANS = ("inter", "roboto", "open-sans", "noto-sans", "lato", "ibm-plex-sans")
DEJAVU = Path("/usr/share/fonts/truetype/dejavu")


@dataclass(frozen=True)
class SampleFonts:
    """A few real font files: `plain` is a plain sans; `files` span >= 3 families, two of them
    with two faces each (`paired` holds one such pair)."""

    plain: Path
    files: tuple[Path, ...]
    paired: tuple[Path, Path]


def _bundled_families() -> dict[str, list[Path]]:
    root = fonts_dir()
    manifest = root / "manifest.json"
    if not manifest.is_file():
        return {}
    families: dict[str, list[Path]] = {}
    for entry in json.loads(manifest.read_text()):
        path = root / entry["file"]
        if path.is_file():
            families.setdefault(entry.get("family_id") or entry["family"], []).append(path)
    return {k: sorted(v) for k, v in sorted(families.items())}


def _pick_bundled() -> SampleFonts | None:
    families = _bundled_families()
    plain_id = next((f for f in PLAIN_SANS if len(families.get(f, ())) >= 2), None)
    if plain_id is None:
        return None
    plain = families[plain_id]
    others = [f for f, files in families.items() if f != plain_id]
    pair_id = next((f for f in others if len(families[f]) >= 2), None)
    singles = [families[f][0] for f in others if len(families[f]) == 1][:2]
    if pair_id is None or len(singles) < 2:
        return None
    pair = families[pair_id][:2]
    return SampleFonts(plain[0], (*plain[:2], *pair, *singles), (pair[0], pair[1]))


def _pick_dejavu() -> SampleFonts | None:
    names = ("DejaVuSans.ttf", "DejaVuSans-Bold.ttf", "DejaVuSerif.ttf", "DejaVuSerif-Bold.ttf",
             "DejaVuSansMono.ttf")
    files = tuple(DEJAVU / n for n in names)
    if not all(f.is_file() for f in files):
        return None
    return SampleFonts(files[0], files, (files[2], files[3]))


@pytest.fixture(scope="session")
def sample_fonts() -> SampleFonts:
    found = _pick_bundled() or _pick_dejavu()
    if found is None:
        pytest.skip("no bundled fonts (fonts/) and no DejaVu fonts to test with")
    return found


def copy_fonts(files: tuple[Path, ...] | list[Path], folder: Path) -> Path:
    """Copy font files flat into `folder` (created), keeping their names."""
    folder.mkdir(parents=True, exist_ok=True)
    for f in files:
        shutil.copyfile(f, folder / f.name)
    return folder


@pytest.fixture
def font_dir(tmp_path: Path, sample_fonts: SampleFonts) -> Path:
    """A private folder holding copies of the sample fonts."""
    return copy_fonts(sample_fonts.files, tmp_path / "fonts")


def make_font(path: Path, chars: str, *, family: str = "Test Sans", style: str = "Regular",
              symbol: bool = False, panose_family: int = 2) -> Path:
    """A tiny TrueType font with fontTools: one block per character, each of its own size,
    and a hollow .notdef box.

    `symbol` rewrites the Unicode cmap as a (3, 0) Microsoft Symbol subtable.
    """
    from fontTools.fontBuilder import FontBuilder
    from fontTools.pens.ttGlyphPen import TTGlyphPen

    def rect(pen: TTGlyphPen, x0: int, y0: int, x1: int, y1: int, clockwise: bool = True) -> None:
        corners = [(x0, y0), (x0, y1), (x1, y1), (x1, y0)]
        pen.moveTo(corners[0])
        for xy in corners[1:] if clockwise else corners[:0:-1]:
            pen.lineTo(xy)
        pen.closePath()

    names = [".notdef"] + [f"uni{ord(c):04X}" for c in chars]
    glyphs, metrics = {}, {}
    for i, name in enumerate(names):
        pen = TTGlyphPen(None)
        if i == 0:
            rect(pen, 50, 0, 550, 700)
            rect(pen, 100, 50, 500, 650, clockwise=False)
        else:
            rect(pen, 50, 0, 50 + 60 * i, 100 + 60 * i)
        glyphs[name] = pen.glyph()
        metrics[name] = (700, 50)
    fb = FontBuilder(1000, isTTF=True)
    fb.setupGlyphOrder(names)
    fb.setupCharacterMap({ord(c): n for c, n in zip(chars, names[1:], strict=True)})
    fb.setupGlyf(glyphs)
    fb.setupHorizontalMetrics(metrics)
    fb.setupHorizontalHeader(ascent=800, descent=-200)
    fb.setupNameTable({"familyName": family, "styleName": style})
    fb.setupOS2(sTypoAscender=800, sTypoDescender=-200, usWinAscent=800, usWinDescent=200)
    fb.font["OS/2"].panose.bFamilyType = panose_family
    fb.setupPost()
    if symbol:
        cmap = fb.font["cmap"]
        cmap.tables = [t for t in cmap.tables if t.platformID == 3]
        for t in cmap.tables:
            t.platEncID = 0
    fb.save(str(path))
    return path


@pytest.fixture
def font_factory() -> Callable[..., Path]:
    return make_font


def make_collection(sources: tuple[Path, ...] | list[Path], path: Path) -> Path:
    """A .ttc holding one face per source font file."""
    from fontTools.ttLib import TTCollection, TTFont

    collection = TTCollection()
    for src in sources:
        font = TTFont(str(src))
        font.flavor = None  # WOFF2 in, plain sfnt out
        collection.fonts.append(font)
    collection.save(str(path))
    return path


@dataclass(frozen=True)
class BuiltDataset:
    path: Path
    manifest: dict
    font_dir: Path


@pytest.fixture(scope="session")
def small_dataset(tmp_path_factory: pytest.TempPathFactory, sample_fonts: SampleFonts
                  ) -> BuiltDataset:
    """The sample fonts built once, read-only for the tests that use it."""
    from ambictl.dataset import build_dataset

    root = tmp_path_factory.mktemp("small")
    fonts = copy_fonts(sample_fonts.files, root / "fonts")
    report = build_dataset(root / "ds", chars=CHARS, size=SIZE, fonts=[fonts], system=False,
                           bundled=False, workers=2)
    return BuiltDataset(report.out, report.manifest, fonts)


def cli_env(**extra: str) -> dict[str, str]:
    """Environment for running `python -m ambictl` in a subprocess: plain output, this checkout."""
    env = {k: v for k, v in os.environ.items()
           if k not in ("FORCE_COLOR", "AMBICTL_DEBUG", "AMBICTL_FONTS_DIR", "TTY_COMPATIBLE")}
    env["NO_COLOR"] = "1"
    # The subprocess imports the same ambictl as these tests (checkout or installed).
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(PKG_PARENT), env.get("PYTHONPATH")]))
    env.update(extra)
    return env


PYTHON = sys.executable


@pytest.fixture(scope="module")
def one_thread():
    """Tiny models gain nothing from threads, and on a busy machine two threads can be ten
    times slower than one; restore the setting afterwards. Use with
    `pytestmark = pytest.mark.usefixtures("one_thread")`."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def parse_svg_path(d: str) -> list[BezierPath]:
    """BezierPaths back from absolute M/L/C/Z path data (commands may repeat implicitly)."""
    paths: list[BezierPath] = []
    start: Point = (0.0, 0.0)
    segs: list[tuple[Point, Point, Point]] = []
    cur = start
    for cmd, body in re.findall(r"([MLCZ])([^MLCZ]*)", d):
        nums = [float(t) for t in re.findall(r"-?(?:\d+\.?\d*|\.\d+)", body)]
        pts = list(zip(nums[::2], nums[1::2], strict=True))
        if cmd == "M":
            start = cur = pts[0]
            segs = []
        elif cmd == "L":
            for p in pts:
                segs.append((cur, p, p))
                cur = p
        elif cmd == "C":
            for k in range(0, len(pts), 3):
                segs.append((pts[k], pts[k + 1], pts[k + 2]))
                cur = pts[k + 2]
        else:
            if cur != start:  # Z draws the line home
                segs.append((cur, start, start))
            paths.append(BezierPath(start, tuple(segs)))
    return paths

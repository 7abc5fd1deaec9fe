"""Building the glyph data set (split, determinism, atomicity, skipped fonts) and loading it."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import numpy as np
import pytest
import torch
from conftest import CHARS, SIZE, copy_fonts, make_collection
from PIL import Image

from ambictl import dataset
from ambictl.dataset import (
    ARRAYS,
    assign_splits,
    build_dataset,
    char_dirname,
    load_dataset,
    read_manifest,
)
from ambictl.errors import DataError, UsageError


def _build(out: Path, fonts: list[Path], **kw) -> dataset.BuildReport:
    opts = {"chars": CHARS, "size": SIZE, "system": False, "bundled": False, "workers": 2}
    return build_dataset(out, fonts=fonts, **{**opts, **kw})


def _leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.startswith("."))


def _skip_reasons(report: dataset.BuildReport) -> dict[str, str]:
    return {Path(s.path.split("#")[0]).name: s.reason for s in report.skipped}


# ----------------------------------------------------------------------------- the split


def test_split_is_by_font_family(small_dataset) -> None:
    m = small_dataset.manifest
    split_of: dict[str, set[str]] = {}
    for font in m["fonts"]:
        split_of.setdefault(font["family"], set()).add(font["split"])
    assert all(len(s) == 1 for s in split_of.values()), split_of
    faces = [f["family"] for f in m["fonts"]]
    assert len(split_of) >= 3 and any(faces.count(f) >= 2 for f in split_of)
    train, val = m["split"]["train"], m["split"]["val"]
    assert train and val
    assert sorted(train + val) == [f["id"] for f in m["fonts"]]
    assert {f["id"] for f in m["fonts"] if f["split"] == "val"} == set(val)
    assert m["counts"]["train_fonts"] == len(train) and m["counts"]["val_fonts"] == len(val)


def test_assign_splits_is_stable_and_fills_both_splits() -> None:
    families = [f"Family {i}" for i in range(60)]
    split = assign_splits(families)
    assert split == assign_splits(list(reversed(families)) + families[:5])
    val = sum(s == "val" for s in split.values())
    assert 1 <= val <= 20
    assert set(assign_splits(["One", "Two"]).values()) == {"train", "val"}
    for name in families[:20]:
        assert assign_splits([name]) == {name: "train"}
    assert assign_splits([]) == {}


# ----------------------------------------------------------------------------- the build


def test_build_is_deterministic(tmp_path: Path, small_dataset) -> None:
    again = _build(tmp_path / "again", [small_dataset.font_dir], workers=1)
    assert again.manifest["content_hash"] == small_dataset.manifest["content_hash"]
    for name in ARRAYS:
        first = (small_dataset.path / f"{name}.npy").read_bytes()
        assert first == (again.out / f"{name}.npy").read_bytes(), name

    def tree(root: Path) -> dict[str, bytes]:
        return {p.relative_to(root).as_posix(): p.read_bytes()
                for p in sorted((root / "png").rglob("*.png"))}

    assert tree(small_dataset.path) == tree(again.out)


def test_png_tree_matches_the_arrays_and_survives_case_folding(small_dataset) -> None:
    root, m = small_dataset.path, small_dataset.manifest
    dirs = sorted(p.name for p in (root / "png").iterdir())
    assert dirs == sorted(char_dirname(c) for c in CHARS)
    assert len({d.lower() for d in dirs}) == len(dirs)
    assert char_dirname("a") != char_dirname("A") and char_dirname("a").lower() != \
        char_dirname("A").lower()
    pngs = sorted((root / "png").rglob("*.png"))
    assert len(pngs) == m["counts"]["glyphs"]
    images = np.load(root / "images.npy")
    labels = np.load(root / "labels.npy")
    font_ids = np.load(root / "font_ids.npy")
    for i in (0, len(labels) // 2, len(labels) - 1):
        folder = root / "png" / char_dirname(CHARS[labels[i]])
        [png] = folder.glob(f"{font_ids[i]:04d}-*.png")
        assert np.array_equal(np.asarray(Image.open(png)), images[i])


def test_manifest_describes_fonts_and_counts(small_dataset) -> None:
    m = read_manifest(small_dataset.path)
    assert (m["chars"], m["size"], m["normalize"]) == (CHARS, SIZE, "em")
    assert m["counts"]["fonts"] == len(m["fonts"]) >= 5
    assert m["counts"]["glyphs"] == len(np.load(small_dataset.path / "labels.npy"))
    for font in m["fonts"]:
        assert {"family", "style", "path", "license", "split", "source"} <= set(font)


def test_existing_output_is_kept_without_force(tmp_path: Path, font_dir: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "keep.txt").write_text("old")
    with pytest.raises(UsageError, match="already exists"):
        _build(out, [font_dir])
    assert [p.name for p in out.iterdir()] == ["keep.txt"]
    report = _build(out, [font_dir], force=True)
    assert not (out / "keep.txt").exists() and (out / "manifest.json").is_file()
    if os.name == "posix":  # readable by all, like any folder made with the usual umask
        assert out.stat().st_mode & 0o777 == 0o755
    assert report.manifest["counts"]["fonts"] >= 5
    assert _leftovers(tmp_path) == []


def test_no_fonts_is_a_usage_error_naming_where_it_looked(tmp_path: Path) -> None:
    empty = tmp_path / "nofonts"
    empty.mkdir()
    with pytest.raises(UsageError, match="no font files found") as info:
        _build(tmp_path / "out", [empty])
    assert str(empty) in str(info.value)
    assert not (tmp_path / "out").exists()


def test_output_inside_the_font_folder_is_refused(font_dir: Path) -> None:
    before = sorted(font_dir.iterdir())
    for out in (font_dir / "ds", font_dir / "a" / "b", font_dir):
        with pytest.raises(UsageError, match="font folder"):
            _build(out, [font_dir], force=True)
    assert sorted(font_dir.iterdir()) == before


def test_duplicate_fonts_are_kept_once(tmp_path: Path, sample_fonts) -> None:
    folder = copy_fonts([sample_fonts.plain, sample_fonts.files[-1]], tmp_path / "fonts")
    shutil.copyfile(sample_fonts.plain, folder / ("copy-of-" + sample_fonts.plain.name))
    report = _build(tmp_path / "out", [folder])
    assert report.manifest["counts"]["fonts"] == 2
    dupes = [s for s in report.skipped if "duplicate" in s.reason]
    assert len(dupes) == 1
    assert {Path(dupes[0].path).name, Path(dupes[0].reason.split()[-1]).name} == \
        {sample_fonts.plain.name, "copy-of-" + sample_fonts.plain.name}


def test_bad_fonts_are_skipped_with_reasons(tmp_path: Path, sample_fonts, font_factory) -> None:
    folder = copy_fonts([sample_fonts.plain], tmp_path / "fonts")
    (folder / "junk.ttf").write_bytes(bytes(range(256)) * 20)
    (folder / "cut.ttf").write_bytes(sample_fonts.plain.read_bytes()[:3000])
    font_factory(folder / "symbol.ttf", CHARS, symbol=True)
    font_factory(folder / "lacking.ttf", CHARS.replace("d", "").replace("H", ""))
    font_factory(folder / "blocks.ttf", CHARS, family="Blocks")  # a valid made-up font
    note = tmp_path / "notes.txt"
    note.write_text("not a font")
    report = _build(tmp_path / "out", [folder, note, tmp_path / "missing"])
    reasons = _skip_reasons(report)
    assert set(reasons) == {"junk.ttf", "cut.ttf", "symbol.ttf", "lacking.ttf", "notes.txt",
                            "missing"}
    assert "unreadable" in reasons["junk.ttf"]
    assert "symbol" in reasons["symbol.ttf"]
    assert "lacks 2" in reasons["lacking.ttf"] and "dH" in reasons["lacking.ttf"]
    assert "not a font" in reasons["notes.txt"] and "no such" in reasons["missing"]
    kept = sorted(Path(f["path"]).name for f in report.manifest["fonts"])
    assert kept == sorted([sample_fonts.plain.name, "blocks.ttf"])
    assert len(report.manifest["skipped"]) == len(report.skipped) == 6


def test_every_face_of_a_collection_is_built(tmp_path: Path, sample_fonts) -> None:
    folder = tmp_path / "fonts"
    folder.mkdir()
    ttc = make_collection([sample_fonts.paired[0], sample_fonts.files[-1]], folder / "two.ttc")
    report = _build(tmp_path / "out", [folder])
    faces = [(Path(f["path"]).name, f["index"]) for f in report.manifest["fonts"]]
    assert faces == [(ttc.name, 0), (ttc.name, 1)]


@pytest.mark.parametrize(("option", "match"), [
    ({"normalize": "fill"}, "normalize"), ({"size": 4}, "size"), ({"chars": ""}, "empty"),
    ({"chars": "aa"}, "repeats"), ({"chars": "a b"}, "cannot be rendered")])
def test_bad_options_fail_before_any_work(tmp_path: Path, option: dict, match: str) -> None:
    with pytest.raises(UsageError, match=match):
        _build(tmp_path / "out", [tmp_path / "nothing-read"], **option)
    assert sorted(p.name for p in tmp_path.iterdir()) == []


def test_an_interrupted_build_leaves_nothing(tmp_path: Path, font_dir: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    def interrupted(*args, **kwargs) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(dataset, "_write_pngs", interrupted)
    with pytest.raises(KeyboardInterrupt):
        _build(tmp_path / "out", [font_dir])
    assert sorted(p.name for p in tmp_path.iterdir()) == ["fonts"]


# ----------------------------------------------------------------------------- loading


def test_load_dataset_gives_tensors_of_the_right_shape(small_dataset) -> None:
    glyphs = load_dataset(small_dataset.path)
    n = small_dataset.manifest["counts"]["glyphs"]
    assert len(glyphs) == n and glyphs.chars == CHARS
    assert glyphs.images.shape == (n, SIZE, SIZE) and glyphs.images.dtype == torch.uint8
    assert glyphs.labels.shape == (n,) and glyphs.labels.dtype == torch.int64
    assert glyphs.font_ids.shape == (n,) and glyphs.font_ids.dtype == torch.int64
    assert int(glyphs.labels.max()) < len(CHARS)
    assert int(glyphs.font_ids.max()) < small_dataset.manifest["counts"]["fonts"]


def test_subsets_hold_only_their_fonts(small_dataset) -> None:
    glyphs = load_dataset(small_dataset.path)
    split = small_dataset.manifest["split"]
    val, train = glyphs.subset("val"), load_dataset(small_dataset.path, "train")
    assert len(val) and len(train) and len(val) + len(train) == len(glyphs)
    assert set(val.font_ids.tolist()) == set(split["val"])
    assert set(train.font_ids.tolist()) == set(split["train"])
    assert torch.equal(load_dataset(small_dataset.path, "val").images, val.images)
    with pytest.raises(UsageError, match="split"):
        glyphs.subset("test")


def test_a_tampered_data_set_is_refused(tmp_path: Path, small_dataset) -> None:
    root = shutil.copytree(small_dataset.path, tmp_path / "ds")
    images = root / "images.npy"
    data = bytearray(images.read_bytes())
    data[-1] ^= 0xFF
    images.write_bytes(bytes(data))
    with pytest.raises(DataError, match="content hash"):
        load_dataset(root)
    images.write_bytes(bytes(data[:-100]))
    with pytest.raises(DataError):
        load_dataset(root)
    assert len(load_dataset(small_dataset.path)) > 0


def test_missing_or_broken_data_sets_are_data_errors(tmp_path: Path, small_dataset) -> None:
    with pytest.raises(DataError, match="no data set"):
        load_dataset(tmp_path / "nowhere")
    root = shutil.copytree(small_dataset.path, tmp_path / "ds")
    (root / "labels.npy").unlink()
    with pytest.raises(DataError, match="labels"):
        load_dataset(root)
    manifest = root / "manifest.json"
    manifest.write_text(json.dumps({"chars": CHARS})[:-3])
    with pytest.raises(DataError, match="manifest"):
        load_dataset(root)

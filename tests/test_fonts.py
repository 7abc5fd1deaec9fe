"""Font discovery (which files are candidates) and validation (which faces can serve)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from conftest import make_collection

from ambictl import fonts
from ambictl.fonts import discover, expand_paths, missing_chars, open_faces


def _touch(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"\0")
    return path


def _reasons(skipped: list[fonts.Skipped]) -> dict[str, str]:
    return {Path(s.path).name: s.reason for s in skipped}


# ----------------------------------------------------------------------------- discovery


def test_folder_walk_finds_every_font_suffix_case_insensitively(tmp_path: Path) -> None:
    names = ["a.ttf", "b.OTF", "c.Ttc", "d.woff", "e.WOFF2", "f.otc", "deep/er/g.ttf"]
    fonts_ = {_touch(tmp_path / n) for n in names}
    for other in ("notes.txt", "LICENSE", "h.ttf.bak", "deep/i.png"):
        _touch(tmp_path / other)
    (tmp_path / "folder.ttf").mkdir()  # a folder with a font's name is no font
    found, skipped = expand_paths([tmp_path])
    assert set(found) == fonts_
    assert len(found) == len(fonts_)
    assert skipped == []


def test_named_non_font_missing_path_and_empty_folder_are_reported(tmp_path: Path) -> None:
    text = _touch(tmp_path / "readme.txt")
    bare = _touch(tmp_path / "noext")
    empty = tmp_path / "empty"
    empty.mkdir()
    missing = tmp_path / "nothere.ttf"
    font = _touch(tmp_path / "ok.TTF")
    found, skipped = expand_paths([text, bare, empty, missing, font])
    assert found == [font]
    reasons = _reasons(skipped)
    assert "not a font file" in reasons["readme.txt"] and ".txt" in reasons["readme.txt"]
    assert "not a font file" in reasons["noext"]
    assert "no font files" in reasons["empty"]
    assert "no such file" in reasons["nothere.ttf"]


def test_system_false_ignores_system_fonts(tmp_path: Path, monkeypatch: pytest.MonkeyPatch
                                           ) -> None:
    system_font = _touch(tmp_path / "system" / "sys.ttf")
    user_font = _touch(tmp_path / "user" / "mine.ttf")
    calls: list[int] = []

    def fake_system_files() -> list[Path]:
        calls.append(1)
        return [system_font]

    monkeypatch.setattr(fonts, "system_font_files", fake_system_files)
    files, _, looked = discover([user_font.parent], system=False, bundled=False)
    assert [(p, src) for p, src, _ in files] == [(user_font, "user")]
    assert calls == [] and looked == [str(user_font.parent)]
    files, _, _ = discover([user_font.parent], system=True, bundled=False)
    assert [(p, src) for p, src, _ in files] == [(system_font, "system"), (user_font, "user")]


def test_bundled_fonts_come_first_with_their_licence(tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    bundled = tmp_path / "bundled"
    font = _touch(bundled / "fam" / "fam-400.woff2")
    (bundled / "manifest.json").write_text('[{"file": "fam/fam-400.woff2", "license": "OFL-1.1"}]')
    monkeypatch.setenv("AMBICTL_FONTS_DIR", str(bundled))
    user = _touch(tmp_path / "user" / "a.ttf")
    files, _, looked = discover([user], system=False)
    assert files == [(font, "bundled", "OFL-1.1"), (user, "user", None)]
    assert looked[0] == str(bundled)
    files, _, looked = discover(None, system=False, bundled=False)
    assert files == [] and looked == []


def test_each_file_appears_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AMBICTL_FONTS_DIR", str(tmp_path / "user"))  # bundled = user's folder
    a = _touch(tmp_path / "user" / "a.ttf")
    b = _touch(tmp_path / "user" / "sub" / "b.otf")
    link = tmp_path / "link.ttf"
    try:
        os.symlink(a, link)
    except (OSError, NotImplementedError):
        link = a
    files, _, _ = discover([tmp_path / "user", a, tmp_path / "user" / "sub", b, link],
                           system=False)
    paths = [p.resolve() for p, _, _ in files]
    assert sorted(paths) == sorted({a.resolve(), b.resolve()})
    assert all(src == "bundled" for _, src, _ in files)


# ----------------------------------------------------------------------------- validation


def test_good_font_yields_one_face_with_names_and_cmap(tmp_path: Path, font_factory) -> None:
    path = font_factory(tmp_path / "good.ttf", "abc", family="Good Sans", style="Bold")
    faces, skipped, cmaps = open_faces(path, "user")
    assert skipped == []
    [face] = faces
    assert (face.family, face.style, face.index, face.source) == ("Good Sans", "Bold", 0, "user")
    assert missing_chars(cmaps[face.key], "abcd") == "d"


@pytest.mark.parametrize("kind", ["symbol cmap", "pictorial panose"])
def test_symbol_font_is_rejected(tmp_path: Path, font_factory, kind: str) -> None:
    if kind == "symbol cmap":
        path = font_factory(tmp_path / "sym.ttf", "abc", symbol=True)
    else:
        path = font_factory(tmp_path / "sym.ttf", "abc", panose_family=5)
    faces, skipped, _ = open_faces(path, "user")
    assert faces == []
    assert [s.path for s in skipped] == [str(path)]
    assert "symbol" in skipped[0].reason


def test_corrupt_files_are_skipped_with_a_reason(tmp_path: Path, sample_fonts) -> None:
    junk = tmp_path / "junk.ttf"
    junk.write_bytes(os.urandom(4096))
    empty = tmp_path / "empty.otf"
    empty.write_bytes(b"")
    truncated = tmp_path / "truncated.woff2"
    truncated.write_bytes(sample_fonts.plain.read_bytes()[:2000])
    for path in (junk, empty, truncated):
        faces, skipped, cmaps = open_faces(path, "user")
        assert faces == [] and cmaps == {}
        assert len(skipped) == 1 and skipped[0].path == str(path)
        assert "unreadable" in skipped[0].reason or "corrupt" in skipped[0].reason


def test_collection_yields_every_face(tmp_path: Path, sample_fonts) -> None:
    a, b = sample_fonts.paired[0], sample_fonts.files[-1]
    path = make_collection([a, b], tmp_path / "pair.ttc")
    faces, skipped, cmaps = open_faces(path, "user")
    assert skipped == []
    assert [f.index for f in faces] == [0, 1]
    assert faces[0].family != faces[1].family
    assert [f.key for f in faces] == [f"{path}#0", f"{path}#1"]
    assert all(missing_chars(cmaps[f.key], "abcABC012") == "" for f in faces)


def test_collection_with_one_bad_face_keeps_the_good_one(tmp_path: Path, sample_fonts,
                                                          font_factory) -> None:
    sym = font_factory(tmp_path / "sym.ttf", "abc", symbol=True)
    path = make_collection([sample_fonts.plain, sym], tmp_path / "mixed.ttc")
    faces, skipped, _ = open_faces(path, "user")
    assert [f.index for f in faces] == [0]
    assert [s.path for s in skipped] == [f"{path}#1"]


def test_open_faces_reads_woff2_and_bundled_licence(tmp_path: Path, sample_fonts) -> None:
    path = shutil.copy(sample_fonts.plain, tmp_path / sample_fonts.plain.name)
    faces, skipped, _ = open_faces(Path(path), "bundled", "OFL-1.1")
    assert skipped == [] and faces[0].license == "OFL-1.1"

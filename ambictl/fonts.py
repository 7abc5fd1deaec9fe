"""Font discovery and validation.

Fonts come from three places: the curated open-licensed set shipped in fonts/, the system's fonts
(fontconfig, else the usual folders), and paths the user names. Every face of every file is checked
with fontTools before anything is rendered; a font that cannot serve is skipped with a reason,
never a crash.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from .resources import fonts_dir

FONT_SUFFIXES = (".ttf", ".otf", ".ttc", ".otc", ".woff", ".woff2")
_COLLECTION_SUFFIXES = (".ttc", ".otc")


@dataclass(frozen=True)
class FontFace:
    """One face of one font file, with what we know of where it came from."""

    path: str
    index: int  # face number inside a .ttc/.otc collection, 0 otherwise
    family: str
    style: str
    source: str  # "bundled", "system", "user", or "rank" (the user's, for the ranking readers)
    license: str

    @property
    def key(self) -> str:
        return f"{self.path}#{self.index}"


@dataclass(frozen=True)
class Skipped:
    """A font file or face that was not used, and why."""

    path: str
    reason: str


def system_font_dirs() -> list[Path]:
    """The usual font folders of Linux, macOS and Windows (used when fontconfig is absent)."""
    home = Path.home()
    if sys.platform == "darwin":
        dirs = ["/System/Library/Fonts", "/Library/Fonts", home / "Library/Fonts"]
    elif sys.platform.startswith("win"):
        windir = os.environ.get("WINDIR", r"C:\Windows")
        local = os.environ.get("LOCALAPPDATA", str(home / "AppData/Local"))
        dirs = [Path(windir) / "Fonts", Path(local) / "Microsoft/Windows/Fonts"]
    else:
        dirs = ["/usr/share/fonts", "/usr/local/share/fonts", home / ".fonts",
                home / ".local/share/fonts"]
    return [Path(d) for d in dirs]


def _is_font_file(path: Path) -> bool:
    return path.suffix.lower() in FONT_SUFFIXES and path.is_file()


def _walk_fonts(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if _is_font_file(p))


def system_font_files() -> list[Path]:
    """Font files installed on this machine: fontconfig's list where it exists, else the folders."""
    fc_list = shutil.which("fc-list")
    if fc_list:
        try:
            out = subprocess.run([fc_list, "--format", "%{file}\n"], capture_output=True,
                                 text=True, timeout=30, check=True).stdout
            files = {Path(line.strip()) for line in out.splitlines() if line.strip()}
            return sorted(p for p in files if _is_font_file(p))
        except (OSError, subprocess.SubprocessError):
            pass
    found: set[Path] = set()
    for d in system_font_dirs():
        if d.is_dir():
            found.update(_walk_fonts(d))
    return sorted(found)


def expand_paths(paths: list[Path]) -> tuple[list[Path], list[Skipped]]:
    """Files and folders named by the user -> font files; a path that is neither is reported."""
    files: list[Path] = []
    skipped: list[Skipped] = []
    for p in paths:
        p = Path(p)
        if p.is_dir():
            found = _walk_fonts(p)
            if not found:
                skipped.append(Skipped(str(p), "folder holds no font files"))
            files.extend(found)
        elif p.is_file():
            if p.suffix.lower() in FONT_SUFFIXES:
                files.append(p)
            else:
                skipped.append(Skipped(str(p), f"not a font file ({p.suffix or 'no extension'})"))
        else:
            skipped.append(Skipped(str(p), "no such file or folder"))
    return files, skipped


def bundled_manifest() -> dict[str, dict]:
    """fonts/manifest.json indexed by file path relative to fonts/ ({} when absent)."""
    path = fonts_dir() / "manifest.json"
    if not path.is_file():
        return {}
    return {entry["file"]: entry for entry in json.loads(path.read_text())}


def _name(font, name_id: int) -> str:
    name = font["name"].getDebugName(name_id) if "name" in font else None
    return (name or "").strip()


def _is_symbol_font(font) -> bool:
    """Symbol / dingbat / pi fonts: a Microsoft Symbol cmap, or a 'pictorial' PANOSE family."""
    if "cmap" in font and any(t.platformID == 3 and t.platEncID == 0 for t in font["cmap"].tables):
        return True
    os2 = font.get("OS/2")
    return bool(os2 is not None and getattr(os2.panose, "bFamilyType", 0) == 5)


def open_faces(path: Path, source: str, licence: str | None = None
               ) -> tuple[list[FontFace], list[Skipped], dict[str, set[int]]]:
    """Read every face of a font file with fontTools: faces, skipped faces, and each face's cmap."""
    from fontTools.ttLib import TTCollection, TTFont, TTLibError

    path = Path(path)
    try:
        if path.suffix.lower() in _COLLECTION_SUFFIXES:
            fonts = list(TTCollection(str(path), lazy=True).fonts)
        else:
            fonts = [TTFont(str(path), lazy=True)]
    except (TTLibError, OSError, ValueError, KeyError, AssertionError, EOFError) as e:
        return [], [Skipped(str(path), f"unreadable font file ({type(e).__name__}: {e})")], {}
    except Exception as e:  # fontTools raises many types on corrupt data
        return [], [Skipped(str(path), f"unreadable font file ({type(e).__name__})")], {}
    faces: list[FontFace] = []
    skipped: list[Skipped] = []
    cmaps: dict[str, set[int]] = {}
    for index, font in enumerate(fonts):
        where = f"{path}#{index}" if len(fonts) > 1 else str(path)
        try:
            if _is_symbol_font(font):
                skipped.append(Skipped(where, "symbol / dingbat font"))
                continue
            cmap = font.getBestCmap() or {}
            family = _name(font, 16) or _name(font, 1) or path.stem
            style = _name(font, 17) or _name(font, 2) or "Regular"
            lic = licence or _name(font, 13)[:80] or "unknown"
        except Exception as e:  # a face whose tables are corrupt
            skipped.append(Skipped(where, f"corrupt font tables ({type(e).__name__})"))
            continue
        face = FontFace(str(path), index, family, style, source, lic)
        faces.append(face)
        cmaps[face.key] = set(cmap)
    return faces, skipped, cmaps


def missing_chars(cmap: set[int], chars: str) -> str:
    """The characters of `chars` that the cmap does not map."""
    return "".join(c for c in chars if ord(c) not in cmap)


def discover(extra: list[Path] | None = None, *, system: bool = True, bundled: bool = True,
             rank: list[Path] | None = None
             ) -> tuple[list[tuple[Path, str, str | None]], list[Skipped], list[str]]:
    """All candidate font files in a stable order: (path, source, licence), skips, places looked.

    Bundled fonts first (sorted), then the system's, then the user's fonts for the ranking
    readers (`rank`, source "rank"), then the user's others, each file once.
    """
    files: list[tuple[Path, str, str | None]] = []
    skipped: list[Skipped] = []
    looked: list[str] = []
    seen: set[Path] = set()

    def add(path: Path, source: str, licence: str | None) -> None:
        real = path.resolve()
        if real not in seen:
            seen.add(real)
            files.append((path, source, licence))

    if bundled:
        root = fonts_dir()
        looked.append(str(root))
        manifest = bundled_manifest()
        if root.is_dir():
            for p in _walk_fonts(root):
                entry = manifest.get(p.relative_to(root).as_posix(), {})
                add(p, "bundled", entry.get("license"))
    if system:
        looked.append("system fonts (fc-list)" if shutil.which("fc-list")
                      else ", ".join(str(d) for d in system_font_dirs()))
        for p in system_font_files():
            add(p, "system", None)
    for paths, source in ((rank, "rank"), (extra, "user")):
        if paths:
            looked.extend(str(p) for p in paths)
            user_files, user_skipped = expand_paths(paths)
            skipped.extend(user_skipped)
            for p in user_files:
                add(p, source, None)
    return files, skipped, looked

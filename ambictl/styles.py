"""The model's styles, so a user can choose one by name and by eye (`ambictl styles`).

Each style is one real font of the model's style bank. Where that font comes from: the weights
of a recent training run name it (meta["style_fonts"], from the data set's manifest); older
weights only carry the style's name ("Lora Regular"), which is looked up among the bundled
fonts (fonts/manifest.json, with their licences) and then among the system's fonts.

Any font file can also serve as a style (`make --font PATH`): `font_style` renders it exactly
as the data set and training render the bank's fonts, the one place a bank entry is built from
a font.
"""

from __future__ import annotations

import io
import os
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from .compose import describe_char
from .errors import UsageError
from .fonts import FONT_SUFFIXES, FontFace, bundled_manifest, open_faces, system_font_files
from .resources import fonts_dir
from .symmetry import apply as apply_symmetry

if TYPE_CHECKING:
    import torch

    from .ambigram import Ambigram, Model

SAMPLE = ("dear", "read")  # the README's example pair
UNKNOWN = "unknown"


@dataclass(frozen=True)
class StyleInfo:
    index: int
    name: str
    font: str  # font file: fonts/... for a bundled font, a path for a system font, or UNKNOWN
    license: str  # SPDX-like id for bundled fonts, the font's own licence line otherwise
    source: str  # bundled, system, user or UNKNOWN


def _key(text: str) -> str:
    return re.sub(r"[^a-z0-9]", "", text.lower())


def _face_name(face: FontFace) -> str:
    return f"{face.family} {face.style}"  # as training names a style (training.export_weights)


# --- any font file as a style (make --font) -------------------------------------------------

SOURCE_SIZE = 64  # px the data set renders glyphs at before training shrinks them (build-dataset)


@dataclass(frozen=True)
class FontStyle:
    """One font file as a style: a style bank entry built as training builds the bank's."""

    name: str  # family + style, as a bank style is named ("Tinos Regular")
    path: str
    index: int  # face in a collection
    glyphs: torch.Tensor  # (n_chars, 1, S, S) float in [0, 1] (uint8 steps, as the bank's)
    missing: str  # characters of the model the font cannot draw (their glyphs are blank)
    source: torch.Tensor  # (n_chars, 1, SOURCE_SIZE, SOURCE_SIZE): as rendered, for the refiner

    @property
    def spec(self) -> str:
        """The font as --font names it: PATH, or PATH#N for face N of a collection."""
        return f"{self.path}#{self.index}" if self.index else self.path

    def lacking(self, needed: str) -> None:
        """A UsageError naming the font and the characters of `needed` it cannot draw."""
        lacking(self.name, self.spec, "".join(c for c in needed if c in self.missing))


def lacking(name: str, spec: str, missing: str) -> None:
    """Raise the one-line UsageError for a font without characters the word needs, if any."""
    if missing:
        shown = " ".join(describe_char(c) for c in dict.fromkeys(missing))
        raise UsageError(f"the font {name} ({spec}) has no {shown}, which the word needs; "
                         "choose another font or drop --font")


def parse_font(spec: str | os.PathLike[str]) -> tuple[Path, int]:
    """'PATH' or 'PATH#N' (face N of a .ttc/.otc collection) -> (path, face index)."""
    text = os.fspath(spec)
    path, _, face = text.rpartition("#")
    if path and face.isdigit() and not Path(text).exists():
        return Path(path), int(face)
    return Path(text), 0


def open_font(spec: str | os.PathLike[str]) -> tuple[FontFace, set[int]]:
    """The face a --font names and its cmap, checked with fontTools (no rendering, no torch):
    every way the path can be wrong is a UsageError of one line."""
    path, index = parse_font(spec)
    if not path.exists():
        raise UsageError(f"no font file at {path}")
    if path.is_dir():
        raise UsageError(f"{path} is a folder, not a font file")
    if path.suffix.lower() not in FONT_SUFFIXES:
        raise UsageError(f"{path} is not a font file ({path.suffix or 'no extension'}); give a "
                         ".ttf, .otf, .ttc, .otc, .woff or .woff2")
    faces, skipped, cmaps = open_faces(path, "user")
    if index and not any(f.index == index for f in faces) and not skipped:
        raise UsageError(f"{path} has no face #{index} (it holds {len(faces)}, from #0)")
    face = next((f for f in faces if f.index == index), None)
    if face is None:
        why = next((s.reason for s in skipped if s.path in (str(path), f"{path}#{index}")),
                   skipped[0].reason if skipped else "no usable face")
        raise UsageError(f"cannot use the font {path}: {why}")
    return face, cmaps[face.key]


def check_font(spec: str | os.PathLike[str], needed: str = "") -> FontFace:
    """open_font, and the characters of `needed` in the font's cmap: the checks `make` does
    before torch is imported (a mapped character drawn as the .notdef box is only found by
    font_style)."""
    from .fonts import missing_chars

    face, cmap = open_font(spec)
    lacking(_face_name(face), f"{face.path}#{face.index}" if face.index else face.path,
            missing_chars(cmap, "".join(dict.fromkeys(needed))))
    return face


def font_style(spec: str | os.PathLike[str], chars: str, size: int) -> FontStyle:
    """A font file as a style of a model drawing `chars` at `size` px: rendered on the data
    set's em frame at SOURCE_SIZE px (render.render, as build-dataset does), area-shrunk to
    `size` (glyphs.to_model_size, as training's GlyphTable does) and kept in uint8 steps (as
    the shipped bank is), so a bank font given as a file is its bank style to the bit.

    Characters the font does not map, or draws empty or as its .notdef box, are `missing`
    (blank glyphs); the frame's scale comes from the characters it has (for a font with every
    character, all of `chars`, as in the data set)."""
    import torch

    from .fonts import missing_chars
    from .glyphs import to_model_size
    from .render import NOTDEF_PROBE, glyph_problems, render

    face, cmap = open_font(spec)
    have = "".join(c for c in chars if c not in missing_chars(cmap, chars))
    images = np.zeros((len(chars), SOURCE_SIZE, SOURCE_SIZE), np.uint8)
    problems: dict[str, str] = {}
    if have:
        try:
            drawn = render(face.path, face.index, have + NOTDEF_PROBE, SOURCE_SIZE)
        except Exception as e:  # FreeType refusing a face fontTools accepted
            raise UsageError(f"cannot render the font {face.path} ({type(e).__name__})") from None
        problems = glyph_problems(drawn[:-1], have, drawn[-1])
        for ch, img in zip(have, drawn[:-1], strict=True):
            images[chars.index(ch)] = img
    bad = {c for c, why in problems.items() if not why.startswith("identical")}  # twins draw
    missing = "".join(c for c in chars if c not in have or c in bad)
    for ch in missing:
        images[chars.index(ch)] = 0
    source = torch.from_numpy(images)
    glyphs = (to_model_size(source, size).clamp(0, 1) * 255).round() / 255
    return FontStyle(_face_name(face), face.path, face.index, glyphs, missing,
                     to_model_size(source, SOURCE_SIZE))


def _from_meta(entry: dict[str, Any], index: int, name: str) -> StyleInfo:
    return StyleInfo(index, name, str(entry.get("path") or UNKNOWN),
                     str(entry.get("license") or UNKNOWN), str(entry.get("source") or UNKNOWN))


def _bundled(names: list[str]) -> dict[str, StyleInfo]:
    """Styles found among the bundled fonts: the families whose name starts the style's name,
    each file opened to compare the exact family and style names."""
    root = fonts_dir()
    by_family: dict[str, list[tuple[str, dict[str, Any]]]] = {}
    for rel, entry in bundled_manifest().items():
        by_family.setdefault(_key(entry.get("family", "")), []).append((rel, entry))
    found: dict[str, StyleInfo] = {}
    for name in names:
        family = max((f for f in by_family if f and _key(name).startswith(f)), key=len,
                     default=None)
        for rel, entry in by_family.get(family, []) if family else []:
            path = root / rel
            if not path.is_file():
                continue
            faces, _, _ = open_faces(path, "bundled", entry.get("license"))
            if any(_face_name(f) == name for f in faces):
                found[name] = StyleInfo(-1, name, f"fonts/{rel}",
                                        str(entry.get("license") or UNKNOWN), "bundled")
                break
    return found


def _system(names: list[str]) -> dict[str, StyleInfo]:
    """Styles found among the system's fonts (only files whose name shares the style's first
    word are opened, so this stays quick on a machine with many fonts)."""
    firsts = {_key(n.split()[0]) for n in names if n.split()}
    found: dict[str, StyleInfo] = {}
    for path in system_font_files():
        if not any(f and _key(path.stem).startswith(f) for f in firsts):
            continue
        faces, _, _ = open_faces(path, "system")
        for face in faces:
            name = _face_name(face)
            if name in names and name not in found:
                lines = face.license.strip().splitlines() or [UNKNOWN]  # its first sentence
                found[name] = StyleInfo(-1, name, face.path, " ".join(lines[0].split()), "system")
    return found


def style_infos(model: Model) -> list[StyleInfo]:
    """Every style of `model`: number, name, font file, licence, where the font came from."""
    names = list(model.style_names)
    meta = model.meta.get("style_fonts")
    if isinstance(meta, list) and len(meta) == len(names) and all(isinstance(e, dict)
                                                                  for e in meta):
        return [_from_meta(e, i, n) for i, (e, n) in enumerate(zip(meta, names, strict=True))]
    found = _bundled(names)
    missing = [n for n in names if n not in found]
    if missing:
        found.update(_system(missing))
    out = []
    for i, name in enumerate(names):
        info = found.get(name)
        out.append(StyleInfo(i, name, info.font, info.license, info.source) if info
                   else StyleInfo(i, name, UNKNOWN, UNKNOWN, UNKNOWN))
    return out


def draw_samples(model: Model, word1: str, word2: str | None, *, symmetry: str = "rotate",
                 seed: int = 0, candidates: int = 16,
                 progress: Callable[[int], None] | None = None) -> list[Ambigram]:
    """The same ambigram in every style of the model, as `make --style N` would draw it."""
    from .ambigram import make_ambigram

    out = []
    for i in range(len(model.style_names)):
        out.append(make_ambigram(word1, word2, symmetry=symmetry, seed=seed,
                                 candidates=candidates, style=i, weights=model))
        if progress:
            progress(i + 1)
    return out


def sheet_png(samples: list[Ambigram], infos: list[StyleInfo], height: int = 72) -> bytes:
    """One row per style: its number, name and licence, the ambigram as delivered (rendered
    from its outlines, as `make` writes it), and the same picture with the symmetry applied."""
    from PIL import Image, ImageDraw, ImageFont

    def picture(amb: Ambigram) -> Image.Image:
        img = Image.open(io.BytesIO(amb.to_png(background="white", height=height)))
        return img.convert("L")

    def transformed(img: Image.Image, symmetry: str) -> Image.Image:
        return Image.fromarray(np.ascontiguousarray(apply_symmetry(np.asarray(img), symmetry)))

    pictures = [picture(a) for a in samples]
    try:
        font = ImageFont.load_default(size=14)
    except TypeError:  # Pillow < 10.1: the bitmap font, one size
        font = ImageFont.load_default()
    label_w, pad = 330, 8
    pic_w = max(p.width for p in pictures)
    row_h = height + 2 * pad
    sheet = Image.new("L", (label_w + 2 * pic_w + 3 * pad, row_h * len(samples) + pad), 255)
    draw = ImageDraw.Draw(sheet)
    for row, (amb, info, pic) in enumerate(zip(samples, infos, pictures, strict=True)):
        y = pad + row * row_h
        if row:
            draw.line([(0, y - pad // 2), (sheet.width, y - pad // 2)], fill=215)
        lines = [f"{info.index}  {info.name}", f"legibility {amb.legibility:.2f}; {info.license}",
                 f"{amb.word1} / {amb.word2}"]
        for k, text in enumerate(lines):
            while draw.textlength(text, font=font) > label_w - 2 * pad and len(text) > 2:
                text = text[:-2] + "…"  # a long licence line ends where the picture begins
            draw.text((pad, y + 4 + 20 * k), text, fill=0 if k == 0 else 90, font=font)
        sheet.paste(pic, (label_w + pad, y))
        sheet.paste(transformed(pic, amb.symmetry), (label_w + 2 * pad + pic_w, y))
    buf = io.BytesIO()
    sheet.save(buf, format="PNG", optimize=True)
    return buf.getvalue()


"""The notMNIST-like glyph data set: building it from fonts, and loading it back.

A data set folder holds
  images.npy    (N, S, S) uint8, ink = 255 on 0
  labels.npy    (N,) int16, index into manifest["chars"]
  font_ids.npy  (N,) int32, index into manifest["fonts"]
  png/<char>/<font>.png  the same glyphs as a browsable tree (lower_a, upper_A, digit_0, ...)
  manifest.json fonts with licences, skipped fonts with reasons, the split BY FONT, counts, hash.
The arrays are byte-identical for the same fonts and options.
"""

from __future__ import annotations

import hashlib
import io
import json
import multiprocessing as mp
import os
import re
import signal
import string
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from . import atomic
from .errors import DataError, UsageError
from .fonts import FontFace, Skipped, bundled_manifest, discover, missing_chars, open_faces
from .render import NORMALIZATIONS, NOTDEF_PROBE, glyph_problems, render
from .resources import fonts_dir

if TYPE_CHECKING:
    import torch

DEFAULT_CHARS = string.ascii_uppercase + string.ascii_lowercase + string.digits
FORMAT_VERSION = 1
VAL_FRACTION = 0.15  # share of font FAMILIES held out for validation
# The splits, by font family: "train" (the generator and its training recognisers), "val" (the
# held-out judges of `eval`) and "rank" (ranking readers, ambictl.rankers, which no training
# and no judge sees). Train and val are drawn from the family name; a family is "rank" only when
# reserved for it: the bundled fonts whose fonts/manifest.json entry says "split": "rank", and
# the fonts given with `build-dataset --rank-fonts`.
SPLITS = ("train", "val", "rank")
MAX_BAD_GLYPHS = 0.1  # a font with more unusable glyphs than this share is skipped whole
ARRAYS = ("images", "labels", "font_ids")


def char_dirname(ch: str) -> str:
    """Folder name for a character, safe on case-insensitive file systems (a vs A)."""
    if ch.isascii() and ch.isalpha():
        return ("lower_" if ch.islower() else "upper_") + ch
    if ch.isascii() and ch.isdigit():
        return "digit_" + ch
    return f"u{ord(ch):04x}"


def _family_rank(family: str) -> float:
    """A stable pseudo-random number in [0, 1) for a family name."""
    digest = hashlib.sha256(family.strip().lower().encode()).digest()
    return int.from_bytes(digest[:4], "big") / 2**32


def assign_splits(families: list[str], reserved: set[str] | frozenset[str] = frozenset()
                  ) -> dict[str, str]:
    """The split of every family: 'rank' for the `reserved` ones, else 'train' or 'val' fixed by
    the name alone, so every face of a family goes together and validation measures unseen fonts.
    With two or more unreserved families train and val get one each; a lone family goes to
    train. Reserving families never moves another family between train and val."""
    ranked = sorted(set(families) - set(reserved), key=lambda f: (_family_rank(f), f))
    split = {f: "val" if _family_rank(f) < VAL_FRACTION else "train" for f in ranked}
    if ranked:
        split[ranked[-1]] = "train"  # a lone family trains; it cannot also validate
    if len(ranked) >= 2:
        split[ranked[0]] = "val"
    return {**split, **{f: "rank" for f in set(families) & set(reserved)}}


def check_chars(chars: str) -> str:
    if not chars:
        raise UsageError("--chars is empty: give the characters to render, e.g. abc")
    if len(set(chars)) != len(chars):
        raise UsageError(f"--chars repeats characters: {chars!r}")
    bad = [c for c in chars if not c.isprintable() or c.isspace()]
    if bad:
        raise UsageError(f"--chars holds characters that cannot be rendered: {bad!r}")
    return chars


@dataclass
class FaceRendering:
    face: FontFace
    images: np.ndarray
    problems: dict[str, str]


@dataclass
class FileResult:
    renderings: list[FaceRendering] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)


def _render_file(job: tuple[str, str, str | None, str, int, str]) -> FileResult:
    """Worker: validate every face of one file with fontTools, then render it."""
    path, source, licence, chars, size, normalize = job
    result = FileResult()
    faces, result.skipped, cmaps = open_faces(Path(path), source, licence)
    for face in faces:
        lacking = missing_chars(cmaps[face.key], chars)
        where = face.key if face.index else face.path
        if lacking:
            shown = lacking if len(lacking) <= 12 else lacking[:12] + "..."
            result.skipped.append(Skipped(where, f"lacks {len(lacking)} characters: {shown}"))
            continue
        try:
            images = render(path, face.index, chars + NOTDEF_PROBE, size, normalize)
        except Exception as e:  # FreeType refusing a face that fontTools accepted
            result.skipped.append(Skipped(where, f"cannot be rendered ({type(e).__name__})"))
            continue
        problems = glyph_problems(images[:-1], chars, images[-1])
        result.renderings.append(FaceRendering(face, images[:-1], problems))
    return result


def _ignore_sigint() -> None:
    """Workers leave Ctrl-C to the parent, and die quietly when the pool terminates them."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)


@dataclass
class Collected:
    fonts: list[dict[str, Any]]
    images: list[np.ndarray]
    skipped: list[Skipped]


def _collect(results: list[FileResult], chars: str) -> Collected:
    """Keep usable faces in order; drop bad glyphs, fonts with too many, and duplicate fonts."""
    out = Collected([], [], [])
    seen: dict[bytes, str] = {}
    for res in results:
        out.skipped.extend(res.skipped)
        for r in res.renderings:
            where = r.face.key if r.face.index else r.face.path
            if len(r.problems) > MAX_BAD_GLYPHS * len(chars):
                listed = "; ".join(f"{c!r} {why}" for c, why in list(r.problems.items())[:4])
                out.skipped.append(Skipped(where, f"{len(r.problems)} unusable glyphs ({listed})"))
                continue
            digest = hashlib.sha256(r.images.tobytes()).digest()
            if digest in seen:
                out.skipped.append(Skipped(where, f"duplicate of {seen[digest]}"))
                continue
            seen[digest] = where
            face = r.face
            out.fonts.append({
                "id": len(out.fonts), "family": face.family, "style": face.style,
                "path": _portable(face.path), "index": face.index, "source": face.source,
                "license": face.license, "split": "",
                "rejected_glyphs": dict(sorted(r.problems.items())),
            })
            out.images.append(r.images)
    bundled = bundled_manifest()

    def reserved(font: dict[str, Any]) -> bool:
        return font["source"] == "rank" or (font["source"] == "bundled" and bundled.get(
            font["path"].removeprefix("fonts/"), {}).get("split") == "rank")

    splits = assign_splits([f["family"] for f in out.fonts],
                           {f["family"] for f in out.fonts if reserved(f)})
    for font in out.fonts:
        font["split"] = splits[font["family"]]
    return out


def _portable(path: str) -> str:
    """Bundled fonts are named relative to the project (fonts/...), so manifests travel."""
    try:
        return "fonts/" + Path(path).resolve().relative_to(fonts_dir().resolve()).as_posix()
    except ValueError:
        return path


def _pack(collected: Collected, chars: str) -> dict[str, np.ndarray]:
    images, labels, font_ids = [], [], []
    for font, imgs in zip(collected.fonts, collected.images, strict=True):
        keep = [i for i, c in enumerate(chars) if c not in font["rejected_glyphs"]]
        images.append(imgs[keep])
        labels.append(np.asarray(keep, np.int16))
        font_ids.append(np.full(len(keep), font["id"], np.int32))
    return {"images": np.concatenate(images), "labels": np.concatenate(labels),
            "font_ids": np.concatenate(font_ids)}


def _npy_bytes(array: np.ndarray) -> bytes:
    buf = io.BytesIO()
    np.save(buf, np.ascontiguousarray(array), allow_pickle=False)
    return buf.getvalue()


def content_hash(blobs: dict[str, bytes], chars: str) -> str:
    h = hashlib.sha256(chars.encode())
    for name in ARRAYS:
        h.update(blobs[name])
    return h.hexdigest()


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:40] or "font"


def _write_pngs(root: Path, arrays: dict[str, np.ndarray], fonts: list[dict], chars: str) -> None:
    from PIL import Image

    for ch in chars:
        (root / "png" / char_dirname(ch)).mkdir(parents=True)
    names = [f"{f['id']:04d}-{_slug(f['family'] + ' ' + f['style'])}.png" for f in fonts]
    for img, label, fid in zip(arrays["images"], arrays["labels"], arrays["font_ids"],
                               strict=True):
        Image.fromarray(img).save(root / "png" / char_dirname(chars[label]) / names[fid])


@dataclass
class BuildReport:
    out: Path
    manifest: dict[str, Any]
    skipped: list[Skipped]


def build_dataset(out: str | os.PathLike[str], *, chars: str = DEFAULT_CHARS, size: int = 64,
                  normalize: str = "em", fonts: list[Path] | None = None, system: bool = True,
                  bundled: bool = True, force: bool = False, workers: int | None = None,
                  progress: Callable[[int, int], None] | None = None,
                  rank_fonts: list[Path] | None = None) -> BuildReport:
    """Render every valid font x character into a data set folder at `out` (atomically);
    `rank_fonts` (files or folders) form the "rank" split, with the bundled fonts reserved
    for it."""
    out = Path(out)
    chars = check_chars(chars)
    if normalize not in NORMALIZATIONS:
        raise UsageError(f"unknown --normalize {normalize!r}; "
                         f"choose from {', '.join(NORMALIZATIONS)}")
    if not 8 <= size <= 512:
        raise UsageError(f"--size {size} is out of range (8..512)")
    atomic.probe_output_dir(out, beside=True)  # a file, /proc, a read-only folder: before work
    if out.exists() and not force:
        raise UsageError(f"{out} already exists; pass --force to replace it")
    for src in [*(fonts or []), *(rank_fonts or [])]:
        if Path(src).is_dir() and Path(src).resolve() in (out.resolve(), *out.resolve().parents):
            raise UsageError(f"the output {out} lies inside the font folder {src}; choose another")
    if not (fonts or rank_fonts or system or bundled):
        raise UsageError("no fonts to read: without the bundled and the system fonts, name "
                         "yours with --fonts PATH (a file or folder)")
    files, skipped, looked = discover(fonts, system=system, bundled=bundled, rank=rank_fonts)
    if not files:
        why = "; ".join(f"{s.path}: {s.reason}" for s in skipped[:3])
        raise UsageError("no font files found (looked in: " + "; ".join(looked) + ")"
                         + (f" ({why})" if why else "")
                         + "; add fonts with --fonts PATH (a file or folder)")
    jobs = [(str(p), src, lic, chars, size, normalize) for p, src, lic in files]
    results: list[FileResult] = []
    workers = max(1, min(workers or os.cpu_count() or 1, len(jobs)))
    ctx = mp.get_context("fork" if "fork" in mp.get_all_start_methods() else "spawn")
    with ctx.Pool(workers, initializer=_ignore_sigint) as pool:
        for res in pool.imap(_render_file, jobs, chunksize=2):
            results.append(res)
            if progress:
                progress(len(results), len(jobs))
    collected = _collect(results, chars)
    skipped += collected.skipped
    if not collected.fonts:
        raise UsageError(f"none of the {len(files)} font files found can render {chars!r} "
                         f"(first reason: {skipped[0].reason if skipped else 'unknown'}); "
                         "add fonts with --fonts PATH")
    arrays = _pack(collected, chars)
    blobs = {name: _npy_bytes(arrays[name]) for name in ARRAYS}
    splits = {s: [f["id"] for f in collected.fonts if f["split"] == s] for s in SPLITS}
    manifest = {
        "format": FORMAT_VERSION, "chars": chars, "size": size, "normalize": normalize,
        "counts": {"fonts": len(collected.fonts), "glyphs": int(len(arrays["labels"])),
                   "skipped": len(skipped),
                   **{f"{s}_fonts": len(ids) for s, ids in splits.items()}},
        "split": splits, "content_hash": content_hash(blobs, chars),
        "fonts": collected.fonts,
        "skipped": [{"path": s.path, "reason": s.reason} for s in skipped],
    }
    with atomic.staging_dir(out, replace=force) as tmp:
        for name in ARRAYS:
            (tmp / f"{name}.npy").write_bytes(blobs[name])
        _write_pngs(tmp, arrays, collected.fonts, chars)
        (tmp / "manifest.json").write_text(json.dumps(manifest, indent=1, ensure_ascii=False))
    return BuildReport(out, manifest, skipped)


# ----------------------------------------------------------------------------- loading


@dataclass
class GlyphSet:
    """A loaded data set (or one split of it) as torch tensors."""

    images: torch.Tensor  # (N, S, S) uint8
    labels: torch.Tensor  # (N,) int64
    font_ids: torch.Tensor  # (N,) int64
    chars: str
    manifest: dict[str, Any]

    def __len__(self) -> int:
        return int(self.labels.shape[0])

    def subset(self, split: str) -> GlyphSet:
        if split not in self.manifest["split"]:
            raise UsageError(f"unknown split {split!r}; choose from "
                             f"{', '.join(self.manifest['split'])}")
        ids = set(self.manifest["split"][split])
        keep = np.isin(self.font_ids.numpy(), sorted(ids))
        import torch

        idx = torch.from_numpy(np.nonzero(keep)[0])
        return GlyphSet(self.images[idx], self.labels[idx], self.font_ids[idx], self.chars,
                        self.manifest)


def read_manifest(path: str | os.PathLike[str]) -> dict[str, Any]:
    root = Path(path)
    if not root.is_dir():
        raise DataError(f"no data set at {root} (build one with: ambictl build-dataset -o {root})")
    try:
        manifest = json.loads((root / "manifest.json").read_text())
        manifest["chars"], manifest["split"], manifest["content_hash"]  # noqa: B018
    except (OSError, ValueError, KeyError, TypeError) as e:
        raise DataError(f"{root} is not a valid data set: manifest.json is missing or corrupt "
                        f"({type(e).__name__})") from None
    return manifest


def load_dataset(path: str | os.PathLike[str], split: str | None = None, *,
                 verify: bool = True) -> GlyphSet:
    """Load a data set folder (optionally one split, 'train' or 'val') as torch tensors."""
    import torch

    root = Path(path)
    manifest = read_manifest(root)
    blobs: dict[str, bytes] = {}
    arrays: dict[str, np.ndarray] = {}
    try:
        for name in ARRAYS:
            blobs[name] = (root / f"{name}.npy").read_bytes()
            arrays[name] = np.load(io.BytesIO(blobs[name]), allow_pickle=False)
    except (OSError, ValueError, EOFError) as e:
        raise DataError(f"{root}: {name}.npy is missing or corrupt ({type(e).__name__}); "
                        "rebuild the data set") from None
    if verify and content_hash(blobs, manifest["chars"]) != manifest["content_hash"]:
        raise DataError(f"{root}: the arrays do not match the manifest's content hash; "
                        "the data set was modified or damaged, rebuild it")
    n = len(arrays["labels"])
    if n == 0 or arrays["images"].ndim != 3 or len(arrays["images"]) != n or \
            len(arrays["font_ids"]) != n:
        raise DataError(f"{root}: the arrays are empty or of inconsistent shapes")
    glyphs = GlyphSet(torch.from_numpy(arrays["images"].copy()),
                      torch.from_numpy(arrays["labels"].astype(np.int64)),
                      torch.from_numpy(arrays["font_ids"].astype(np.int64)),
                      manifest["chars"], manifest)
    return glyphs.subset(split) if split else glyphs

"""Tesseract word OCR: an outside reader that no part of ambictl was trained against.

Optional: used when the `tesseract` binary (with English data) is on PATH, e.g. Debian's
`tesseract-ocr tesseract-ocr-eng`; otherwise `ambictl eval` skips it with a note.

How it is asked: each word is drawn black on white with a margin, enlarged so that a 32 px glyph
frame becomes 128 px (Tesseract wants capitals 20+ px tall), and read in two page-segmentation
modes, single text line (--psm 7) and single word (--psm 8), with the letters A-Z a-z as the only
allowed characters. Many images go through one process (a list file), so the start-up cost is paid
once per mode.

Its weaknesses, which is why the glyph-level judge is always reported beside it: Tesseract reads
words, not letters, so single glyphs and short words fail often; it leans on an English language
model, so invented words and names read worse than dictionary words; it is unsure of case where
both cases share a shape (c/C, o/O, s/S, v/V, w/W, x/X, z/Z), so its readings are compared
case-insensitively.
"""

from __future__ import annotations

import os
import shutil
import string
import subprocess
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

MODES = {"line": 7, "word": 8}
SEPARATOR = "<<PAGE>>"  # between pages in Tesseract's output; no letter, so never read as text
SCALE = 4
MARGIN = 24  # white border in pixels of the enlarged page
TIMEOUT_S = 600


def tesseract_binary() -> str | None:
    """The tesseract executable, or None. AMBICTL_TESSERACT names another one ('' disables)."""
    override = os.environ.get("AMBICTL_TESSERACT")
    if override is not None:
        return shutil.which(override) if override else None
    return shutil.which("tesseract")


def availability() -> tuple[str | None, str]:
    """(binary, note): the binary when it can read English, else None and why not."""
    exe = tesseract_binary()
    if exe is None:
        return None, ("Tesseract OCR skipped: no `tesseract` binary on PATH (Debian/Ubuntu: "
                      "apt-get install tesseract-ocr tesseract-ocr-eng)")
    try:
        langs = subprocess.run([exe, "--list-langs"], capture_output=True, text=True,
                               timeout=30).stdout.split()
    except (OSError, subprocess.SubprocessError) as e:
        return None, f"Tesseract OCR skipped: {exe} does not run ({type(e).__name__})"
    if "eng" not in langs:
        return None, "Tesseract OCR skipped: English data missing (install tesseract-ocr-eng)"
    return exe, "Tesseract OCR: --psm 7 (line) and --psm 8 (word), letters only"


def to_page(word: np.ndarray, scale: int = SCALE, margin: int = MARGIN) -> np.ndarray:
    """A word image (H, W) float, ink = 1 on 0, as Tesseract likes it: uint8 black on white,
    enlarged (bilinear, so strokes stay smooth) with a white margin."""
    from PIL import Image

    ink = np.clip(word, 0, 1)
    img = Image.fromarray((255 - ink * 255).round().astype(np.uint8))
    img = img.resize((img.width * scale, img.height * scale), Image.Resampling.BILINEAR)
    page = Image.new("L", (img.width + 2 * margin, img.height + 2 * margin), 255)
    page.paste(img, (margin, margin))
    return np.asarray(page)


def clean(text: str) -> str:
    """Letters only: what Tesseract's whitelist allows, minus spaces and line breaks."""
    return "".join(c for c in text if c in string.ascii_letters)


def _run(exe: str, listing: Path, psm: int, n: int) -> list[str]:
    cmd = [exe, str(listing), "stdout", "--psm", str(psm), "-l", "eng",
           "-c", f"tessedit_char_whitelist={string.ascii_letters}",
           "-c", f"page_separator={SEPARATOR}"]
    env = {**os.environ, "OMP_THREAD_LIMIT": "1"}  # one core per process; modes run side by side
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=TIMEOUT_S, env=env)
    if proc.returncode != 0:
        raise RuntimeError(f"tesseract failed ({proc.returncode}): {proc.stderr.strip()[-300:]}")
    pages = proc.stdout.split(SEPARATOR)
    if len(pages) != n:
        raise RuntimeError(f"tesseract returned {len(pages)} pages for {n} images")
    return [clean(p) for p in pages]


def read_words(words: list[np.ndarray], exe: str, modes: tuple[str, ...] = tuple(MODES),
               scale: int = SCALE) -> dict[str, list[str]]:
    """Read each word image (H, W) float, ink = 1 on 0, in each mode: {mode: [text, ...]}.
    `scale`: the enlargement to_page applies (1 for pictures already rendered large)."""
    from PIL import Image

    if not words:
        return {m: [] for m in modes}
    with tempfile.TemporaryDirectory(prefix="ambictl-ocr-") as tmp:
        root = Path(tmp)
        names = []
        for i, w in enumerate(words):
            name = root / f"{i:05d}.png"
            Image.fromarray(to_page(w, scale)).save(name)
            names.append(str(name))
        listing = root / "pages.txt"
        listing.write_text("\n".join(names) + "\n")
        with ThreadPoolExecutor(max_workers=len(modes)) as pool:
            futures = {m: pool.submit(_run, exe, listing, MODES[m], len(words)) for m in modes}
            return {m: f.result() for m, f in futures.items()}

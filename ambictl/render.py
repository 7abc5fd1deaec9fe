"""Rendering glyphs onto the ambigram frame.

The `em` frame (the default) serves ambigrams: every character of a font is drawn at the same
scale, horizontally centred on its ink, with the frame's vertical centre on the middle of the
x-height band for lower case and of the cap-height band for capitals and digits. Turning the frame
180 degrees then maps the x-height band onto itself and ascenders onto descenders, so a `d` turned
lands where a `p` sits. `bbox` is the plain notMNIST fill: each glyph's ink box scaled to the frame.

Images are uint8, ink = 255 on background 0 (the MNIST convention).
"""

from __future__ import annotations

import numpy as np
from PIL import Image, ImageDraw, ImageFont

NORMALIZATIONS = ("em", "bbox")
MARGIN_FRACTION = 1 / 32  # empty border kept around the frame, in frame sizes
_MEASURE_PX = 200  # pixels per em used to measure a font before choosing its scale
_MIN_HALF_EXTENT_EM = 0.5  # a normal font's tallest / widest glyph reaches half an em from centre
NOTDEF_PROBE = "\U0010fffd"  # a private-use code point no real font maps: renders as .notdef


def band_centre(ch: str, x_height: float, cap_height: float) -> float:
    """Height above the baseline of the frame's centre line for `ch` (lower case: x-height)."""
    return x_height / 2 if ch.islower() else cap_height / 2


def _load(path: str, index: int, px_per_em: float) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(path, size=px_per_em, index=index,
                              layout_engine=ImageFont.Layout.BASIC)


def _bands(font: ImageFont.FreeTypeFont) -> tuple[float, float]:
    """x-height and cap-height in pixels, measured from the ink of `x` and `H`."""
    x_top = -font.getbbox("x", anchor="ls")[1]
    h_top = -font.getbbox("H", anchor="ls")[1]
    return float(max(x_top, 1)), float(max(h_top, 1))


def em_scale(path: str, index: int, chars: str, size: int) -> float:
    """Pixels per em for a font: the em frame, shrunk only when some glyph would not fit."""
    font = _load(path, index, _MEASURE_PX)
    x_height, cap_height = _bands(font)
    extent = _MIN_HALF_EXTENT_EM * _MEASURE_PX
    for ch in chars:
        if ch == NOTDEF_PROBE:  # a probe, not a glyph: it must not change the frame's scale
            continue
        left, top, right, bottom = font.getbbox(ch, anchor="ls")
        centre = band_centre(ch, x_height, cap_height)
        extent = max(extent, -top - centre, bottom + centre, (right - left) / 2)
    half = size / 2 - size * MARGIN_FRACTION
    return _MEASURE_PX * half / extent


def _draw(font: ImageFont.FreeTypeFont, ch: str, size: int, origin: tuple[float, float]
          ) -> np.ndarray:
    img = Image.new("L", (size, size), 0)
    ImageDraw.Draw(img).text(origin, ch, font=font, fill=255, anchor="ls")
    return np.asarray(img)


def render_em(path: str, index: int, chars: str, size: int) -> np.ndarray:
    """Glyphs of `chars` on the em frame: (len(chars), size, size) uint8."""
    font = _load(path, index, em_scale(path, index, chars, size))
    x_height, cap_height = _bands(font)
    out = np.zeros((len(chars), size, size), np.uint8)
    for i, ch in enumerate(chars):
        left, _, right, _ = font.getbbox(ch, anchor="ls")
        origin = (size / 2 - (left + right) / 2, size / 2 + band_centre(ch, x_height, cap_height))
        out[i] = _draw(font, ch, size, origin)
    return out


def render_bbox(path: str, index: int, chars: str, size: int) -> np.ndarray:
    """notMNIST-style glyphs: each ink box scaled (aspect kept) to fill the frame."""
    font = _load(path, index, 4 * size)
    inner = size - 2 * max(1, round(size * MARGIN_FRACTION))
    out = np.zeros((len(chars), size, size), np.uint8)
    for i, ch in enumerate(chars):
        left, top, right, bottom = font.getbbox(ch, anchor="ls")
        w, h = max(right - left, 1), max(bottom - top, 1)
        big = Image.new("L", (w + 8, h + 8), 0)
        ImageDraw.Draw(big).text((4 - left, 4 - top), ch, font=font, fill=255, anchor="ls")
        box = big.getbbox()
        if box is None:
            continue
        glyph = big.crop(box)
        scale = inner / max(glyph.width, glyph.height)
        gw, gh = max(1, round(glyph.width * scale)), max(1, round(glyph.height * scale))
        glyph = glyph.resize((gw, gh), Image.Resampling.LANCZOS)
        canvas = Image.new("L", (size, size), 0)
        canvas.paste(glyph, ((size - gw) // 2, (size - gh) // 2))
        out[i] = np.asarray(canvas)
    return out


def render(path: str, index: int, chars: str, size: int, normalize: str = "em") -> np.ndarray:
    """Render `chars` from one font face; see the module docstring for the two frames."""
    if normalize == "em":
        return render_em(path, index, chars, size)
    if normalize == "bbox":
        return render_bbox(path, index, chars, size)
    raise ValueError(f"unknown normalisation {normalize!r}; choose from {NORMALIZATIONS}")


def glyph_problems(images: np.ndarray, chars: str, notdef: np.ndarray) -> dict[str, str]:
    """Glyphs that cannot be used, with the reason: empty, the .notdef box, or a twin of another.

    `notdef` is the rendering of NOTDEF_PROBE in the same frame (what the font draws for a
    character it lacks).
    """
    problems: dict[str, str] = {}
    first_seen: dict[bytes, str] = {}
    notdef_ink = notdef.any()
    for ch, img in zip(chars, images, strict=True):
        if int(img.max()) < 64 or (img > 64).sum() < 3:
            problems[ch] = "renders empty"
            continue
        if notdef_ink and _same_shape(img, notdef):
            problems[ch] = "renders as the .notdef box"
            continue
        digest = img.tobytes()
        if digest in first_seen:
            twin = first_seen[digest]
            problems[ch] = f"identical to {twin!r}"
            problems.setdefault(twin, f"identical to {ch!r}")
        else:
            first_seen[digest] = ch
    return problems


def _same_shape(a: np.ndarray, b: np.ndarray) -> bool:
    """Ink boxes of equal content (position ignored): how a .notdef box is recognised."""
    def crop(x: np.ndarray) -> np.ndarray:
        rows, cols = np.nonzero(x > 64)
        if rows.size == 0:
            return x[:0, :0]
        return x[rows.min():rows.max() + 1, cols.min():cols.max() + 1] > 64

    ca, cb = crop(a), crop(b)
    return ca.shape == cb.shape and bool((ca == cb).mean() > 0.97)

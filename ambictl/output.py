"""What an ambigram becomes: SVG text, PNG bytes, a terminal preview, a contact sheet.

Pure functions of traced outlines and bitmaps; nothing here knows about the model. The SVG and the
PNG are drawn from the same vector outlines (one `<path>` per glyph, even-odd fill), so the PNG
looks like the SVG at any height, not like an enlarged 32 px bitmap.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from xml.sax.saxutils import escape, quoteattr

import numpy as np
from PIL import Image, ImageColor, ImageDraw, ImageFont

from .errors import UsageError
from .pens import PolygonPen, draw
from .symmetry import apply as apply_symmetry
from .vectorize import BezierPath, fill, path_data

RGBA = tuple[int, int, int, int]
NONE_WORDS = ("none", "transparent", "")
MIN_HEIGHT, MAX_HEIGHT = 8, 8192  # PNG/SVG height in px
MAX_PIXELS = 50_000_000  # a PNG larger than this is refused (float coverage would need > 200 MB)
_PREVIEW_INK = 0.35  # downsampled coverage shown as ink: thin strokes survive shrinking


def parse_color(text: str | None, what: str, *, allow_none: bool) -> RGBA | None:
    """CSS-like colour (name, #rgb, #rrggbb[aa], rgb(), hsl()) as RGBA; 'none' when allowed.

    Colours are normalised before they reach the SVG, so no user text lands in an attribute.
    """
    if text is None or (allow_none and text.strip().lower() in NONE_WORDS):
        if allow_none:
            return None
        raise UsageError(f"{what} must be a colour")
    try:
        c = ImageColor.getrgb(text.strip())
    except (ValueError, AttributeError):
        hint = " or 'none'" if allow_none else ""
        raise UsageError(f"{what} {text[:40]!r} is not a colour: use a name like black, a hex "
                         f"code like #1a2b3c{hint}") from None
    return (*c[:3], c[3] if len(c) == 4 else 255)  # type: ignore[return-value]


def _hex(c: RGBA) -> str:
    return f"#{c[0]:02x}{c[1]:02x}{c[2]:02x}"


def _opacity(c: RGBA, attr: str) -> str:
    return f' {attr}="{c[3] / 255:.3g}"' if c[3] < 255 else ""


def check_height(height: int) -> int:
    if not isinstance(height, int) or isinstance(height, bool) \
            or not MIN_HEIGHT <= height <= MAX_HEIGHT:
        raise UsageError(f"height must be a whole number of pixels from {MIN_HEIGHT} to "
                         f"{MAX_HEIGHT}, got {height!r}")
    return height


def svg_document(glyph_paths: Sequence[list[BezierPath]], offsets: Sequence[tuple[float, float]],
                 width: int, height: int, *, title: str, color: RGBA = (0, 0, 0, 255),
                 background: RGBA | None = None, px_height: int = 256,
                 precision: int = 2) -> str:
    """A standalone SVG: viewBox in the bitmap's pixels, one even-odd `<path>` per glyph.

    `width`/`height` attributes give the size it opens at (`px_height` tall); the viewBox keeps it
    scalable. Glyphs without ink produce no path element. Each `d` is written by the SVG
    path pen (`vectorize.path_data`: lines as L, cubics as C).
    """
    scale = px_height / height
    parts = [
        '<?xml version="1.0" encoding="UTF-8"?>\n',
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'width="{width * scale:.6g}" height="{px_height}">\n',
        f"<title>{escape(title)}</title>\n",
    ]
    if background is not None:
        parts.append(f'<rect width="{width}" height="{height}" fill="{_hex(background)}"'
                     f'{_opacity(background, "fill-opacity")}/>\n')
    parts.append(f'<g fill="{_hex(color)}"{_opacity(color, "fill-opacity")} '
                 'fill-rule="evenodd">\n')
    for paths, off in zip(glyph_paths, offsets, strict=True):
        if paths:
            parts.append(f"<path d={quoteattr(path_data(paths, offset=off, precision=precision))}"
                         "/>\n")
    parts.append("</g>\n</svg>\n")
    return "".join(parts)


def png_size(width: int, height: int, px_height: int) -> tuple[int, int]:
    """(width, height) in px of the PNG for a picture `width` x `height` drawn `px_height` tall."""
    pw = max(1, round(width * px_height / height))
    if pw * px_height > MAX_PIXELS:
        raise UsageError(f"a {pw} x {px_height} px PNG is too large (over {MAX_PIXELS:,} "
                         "pixels); choose a smaller --height")
    return pw, px_height


def coverage(glyph_paths: Sequence[list[BezierPath]], offsets: Sequence[tuple[float, float]],
             width: int, height: int, px_height: int) -> np.ndarray:
    """Anti-aliased ink coverage (px_height, W') of all glyphs, drawn from their outlines
    through one PolygonPen (each glyph at its offset, scaled to the picture) and filled."""
    pw, ph = png_size(width, height, px_height)
    scale = ph / height
    pen = PolygonPen()
    for paths, (ox, oy) in zip(glyph_paths, offsets, strict=True):
        draw(paths, pen, scale, (ox * scale, oy * scale))
    return fill(pen.polygons, (ph, pw))


def place(glyph_paths: Sequence[list[BezierPath]], offsets: Sequence[tuple[float, float]]
          ) -> list[BezierPath]:
    """All glyphs' outlines moved from cell to picture coordinates, as one list."""
    return [BezierPath(start=(p.start[0] + ox, p.start[1] + oy),
                       segments=tuple(tuple((x + ox, y + oy) for x, y in seg)  # type: ignore
                                      for seg in p.segments))
            for ps, (ox, oy) in zip(glyph_paths, offsets, strict=True) for p in ps]


def png_bytes(cov: np.ndarray, *, color: RGBA = (0, 0, 0, 255),
              background: RGBA | None = None) -> bytes:
    """RGBA PNG of coverage `cov` in `color` over `background` (transparent when None)."""
    a = np.clip(cov, 0.0, 1.0)[..., None] * (color[3] / 255)
    fg = np.asarray(color[:3], np.float32) / 255
    if background is None:
        rgb = np.broadcast_to(fg, a.shape[:2] + (3,))
        alpha = a
    else:
        bg = np.asarray(background[:3], np.float32) / 255
        ba = background[3] / 255
        alpha = a + ba * (1 - a)
        rgb = (fg * a + bg * ba * (1 - a)) / np.maximum(alpha, 1e-6)
    img = np.concatenate([rgb, alpha], axis=-1)
    buf = io.BytesIO()
    Image.fromarray(np.round(img * 255).astype(np.uint8), "RGBA").save(buf, "PNG", optimize=False)
    return buf.getvalue()


# --- terminal preview ----------------------------------------------------------------------


def preview_text(bitmap: np.ndarray, columns: int = 80) -> str:
    """The picture in half-block characters, at most `columns` wide: one character = one
    column x two rows of (shrunk) pixels, so the aspect ratio survives."""
    h, w = bitmap.shape
    cols = max(1, min(columns, w))
    rows = max(2, round(h * cols / w / 2) * 2)
    img = Image.fromarray(np.clip(bitmap * 255, 0, 255).astype(np.uint8), "L")
    small = np.asarray(img.resize((cols, rows), Image.Resampling.BOX)) / 255 > _PREVIEW_INK
    chars = {(False, False): " ", (True, False): "▀", (False, True): "▄", (True, True): "█"}
    lines = ["".join(chars[(bool(top), bool(bot))] for top, bot in zip(small[r], small[r + 1],
                                                                        strict=True)).rstrip()
             for r in range(0, rows, 2)]
    return "\n".join(lines)


# --- contact sheet -------------------------------------------------------------------------


def sheet_png(alternatives: Sequence[np.ndarray], scores: Sequence[Sequence[float]],
              pairs: Sequence[Sequence[tuple[str, str]]], chosen: Sequence[int], symmetry: str,
              zoom: int = 3) -> bytes:
    """Alternatives per cell, best first: column = cell, row = `--pick` index; each tile shows
    the glyph as it is and with the symmetry applied, its score and the letters it is drawn as
    (`pairs`, one per alternative: the case may differ); the chosen one is framed. A cell's
    alternatives (m_i, S, W_i) share one width; a double-width cell gets a wider column."""
    m = max(len(a) for a in alternatives)
    size = alternatives[0].shape[-2] * zoom
    widths = [a.shape[-1] * zoom for a in alternatives]
    pad, label_h, rank_w = 6, 16, 22
    tile_ws, tile_h = [2 * w + 3 * pad for w in widths], size + label_h + 2 * pad
    sheet = Image.new("RGB", (rank_w + sum(tile_ws), label_h + pad + m * tile_h), "white")
    draw = ImageDraw.Draw(sheet)
    font = ImageFont.load_default()
    for i, (alts, sc, letters) in enumerate(zip(alternatives, scores, pairs, strict=True)):
        x0, w, tile_w = rank_w + sum(tile_ws[:i]), widths[i], tile_ws[i]
        draw.text((x0 + pad, 2), f"letter {i}", fill="black", font=font)
        for r, (g, s, (a, b)) in enumerate(zip(alts, sc, letters, strict=True)):
            y0 = label_h + pad + r * tile_h
            for k, img in enumerate((g, apply_symmetry(g, symmetry))):
                tile = Image.fromarray(np.clip(255 - img * 255, 0, 255).astype(np.uint8), "L")
                tile = tile.resize((w, size), Image.Resampling.NEAREST)
                sheet.paste(tile, (x0 + pad + k * (w + pad), y0 + pad))
            draw.text((x0 + pad, y0 + pad + size + 1), f"{s:.2f}  {a} / {b}", fill="black",
                      font=font)
            box = (x0 + 2, y0 + 2, x0 + tile_w - 3, y0 + tile_h - 3)
            draw.rectangle(box, outline="red" if r == chosen[i] else "#dddddd",
                           width=2 if r == chosen[i] else 1)
    for r in range(m):
        draw.text((4, label_h + pad + r * tile_h + tile_h // 2 - 6), str(r), fill="black",
                  font=font)
    buf = io.BytesIO()
    sheet.save(buf, "PNG")
    return buf.getvalue()

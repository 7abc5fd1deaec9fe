"""What `ambictl eval` leaves behind: CSV matrices, heatmaps, word sheets, summary.json, and
the rich tables on the terminal.

Files in the output folder (default eval/):
  summary.json                   everything the terminal shows (also what --json prints)
  pairs_<sym>_<set>_<method>.csv  the ambigramability matrix: rows a (read as is), columns b
                                  (read transformed), values = share of styles read both ways
  heatmap_<sym>_<set>.png        the model's matrix as a picture (green = reads both ways)
  words_<sym>.csv                every word pair x style x method with its readings
  words_<sym>.png                a few word pairs by each method, upright and transformed
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from . import atomic

if TYPE_CHECKING:
    from rich.console import Console

    from .eval_words import WordResults
    from .evaluate import EvalResult, PairResult

CELL = 18  # heatmap cell size in pixels


def _font(size: int) -> Any:
    from PIL import ImageFont

    try:
        return ImageFont.load_default(size=size)
    except TypeError:  # Pillow < 10.1: a fixed bitmap font
        return ImageFont.load_default()


def _png_bytes(img: Any) -> bytes:
    buf = io.BytesIO()
    img.save(buf, format="PNG")
    return buf.getvalue()


def colour(v: float) -> tuple[int, int, int]:
    """0 -> red, 0.5 -> yellow, 1 -> green (a colour-blind-safer ramp than pure red/green)."""
    stops = [(0.0, (215, 48, 39)), (0.5, (254, 224, 139)), (1.0, (26, 152, 80))]
    v = float(np.clip(v, 0, 1))
    for (x0, c0), (x1, c1) in zip(stops, stops[1:], strict=False):
        if v <= x1:
            t = (v - x0) / (x1 - x0)
            return tuple(round(a + t * (b - a)) for a, b in zip(c0, c1, strict=True))
    return stops[-1][1]


def heatmap(matrix: np.ndarray, chars: str, title: str) -> bytes:
    """The matrix as a PNG: rows = the letter read as it is, columns = the letter read turned."""
    from PIL import Image, ImageDraw

    n = len(chars)
    left, top = 2 * CELL, 3 * CELL
    font, small = _font(12), _font(11)
    subtitle = "rows: reads as it is   columns: reads transformed"
    probe = ImageDraw.Draw(Image.new("RGB", (1, 1)))
    text_w = max(probe.textlength(title, font=font), probe.textlength(subtitle, font=small))
    width = max(left + n * CELL + CELL, int(text_w) + 8)
    img = Image.new("RGB", (width, top + n * CELL + 2 * CELL), "white")
    d = ImageDraw.Draw(img)
    d.text((4, 4), title, fill="black", font=font)
    d.text((4, 4 + CELL), subtitle, fill=(90, 90, 90), font=small)
    for i, ch in enumerate(chars):
        d.text((left + i * CELL + CELL // 2, top - 4), ch, fill="black", font=font, anchor="mb")
        d.text((left - 6, top + i * CELL + CELL // 2), ch, fill="black", font=font, anchor="rm")
        for j in range(n):
            x0, y0 = left + j * CELL, top + i * CELL
            d.rectangle([x0, y0, x0 + CELL - 2, y0 + CELL - 2], fill=colour(matrix[i, j]))
    # A legend: the colour ramp from 0 % to 100 %.
    y = top + n * CELL + CELL // 2
    for k in range(n * CELL):
        d.line([left + k, y, left + k, y + CELL // 2], fill=colour(k / max(n * CELL - 1, 1)))
    d.text((left, y + CELL // 2 + 1), "0%", fill="black", font=small)
    d.text((left + n * CELL, y + CELL // 2 + 1), "100%", fill="black", font=small, anchor="ra")
    return _png_bytes(img)


def matrix_csv(result: PairResult) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["a\\b", *result.chars])
    for ch, row in zip(result.chars, result.matrix, strict=True):
        w.writerow([ch, *(f"{v:.4f}" for v in row)])
    return buf.getvalue()


def words_csv(words: WordResults, style_names: list[str]) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    modes = list(words.ocr_modes)
    w.writerow(["word1", "word2", "style", "method", "drawn1", "drawn2", "judge_view1",
                "judge_view2", *(f"ocr_{m}_view{v}" for m in modes for v in (1, 2))])
    for r in words.records:
        ocr = [r.ocr[m][v] if m in r.ocr else "" for m in modes for v in (0, 1)]
        w.writerow([r.pair.first, r.pair.second, style_names[r.style], r.method, *r.drawn,
                    *r.judge, *ocr])
    return buf.getvalue()


def word_sheet(words: WordResults, scale: float = 0.5) -> bytes | None:
    """Per method a column pair: the word upright and transformed, a few pairs down the page
    (the delivered pictures, rendered at 4x the frame, shown at `scale`)."""
    from PIL import Image, ImageDraw

    from .symmetry import apply as apply_symmetry

    methods = [m for m, ex in words.examples.items() if ex]
    if not methods:
        return None
    rows = max(len(words.examples[m]) for m in methods)
    size = next(iter(words.examples[methods[0]]))[1].shape[0]
    width = max(w.shape[1] for m in methods for _, w in words.examples[m])
    col = round((width * 2 + size) * scale)
    row_h = round((size + 4) * scale)
    img = Image.new("L", (len(methods) * col, CELL + rows * row_h), 255)
    d = ImageDraw.Draw(img)
    for k, m in enumerate(methods):
        d.text((k * col + 4, 2), f"{m}: upright | {words.symmetry}", fill=0, font=_font(12))
        for i, (_, word) in enumerate(words.examples[m]):
            for v, pic in enumerate((word, apply_symmetry(word, words.symmetry))):
                tile = Image.fromarray((255 - np.clip(pic, 0, 1) * 255).astype(np.uint8))
                tile = tile.resize((round(tile.width * scale), round(tile.height * scale)),
                                   Image.Resampling.LANCZOS)
                img.paste(tile, (k * col + round(v * (width + size // 2) * scale),
                                 CELL + i * row_h))
    return _png_bytes(img)


def write_outputs(result: EvalResult, out: Path) -> list[Path]:
    """Write every file of the eval folder (atomically each); returns their paths."""
    out.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []

    def put(name: str, data: bytes | str) -> None:
        path = out / name
        atomic.write_bytes(path, data.encode() if isinstance(data, str) else data)
        written.append(path)

    for sym, sets in result.pairs.items():
        for name, methods in sets.items():
            for method, r in methods.items():
                put(f"pairs_{sym}_{name}_{method}.csv", matrix_csv(r))
            model = methods["model"]
            put(f"heatmap_{sym}_{name}.png",
                heatmap(model.matrix, model.chars,
                        f"ambictl model, {sym}, {name}: both views read {model.mean:.1%}"))
    for sym, words in result.words.items():
        put(f"words_{sym}.csv", words_csv(words, result.bank.names))
        sheet = word_sheet(words)
        if sheet:
            put(f"words_{sym}.png", sheet)
    summary = {**result.summary, "files": [p.name for p in written] + ["summary.json"]}
    put("summary.json", json.dumps(summary, indent=1, ensure_ascii=False) + "\n")
    return written


# ----------------------------------------------------------------------------- terminal


def _pct(v: float | None) -> str:
    return "-" if v is None or v != v else f"{v:.1%}"


def print_report(summary: dict[str, Any], console: Console) -> None:
    """The rich tables: ambigramability, hardest and easiest pairs, words, style quality."""
    from rich.table import Table

    results = summary["results"]
    t = Table(title="Ambigramability: share of pairs x styles whose both views the judge reads",
              title_justify="left")
    refined = any("refined" in m for r in results.values() for m in r["pairs"].values())
    for col in ("symmetry", "set", "model", "delivered", "case free", "ranked",
                *(("refined",) if refined else ()), "overlay", "upright",
                "model: as is / turned"):
        t.add_column(col, justify="left" if col in ("symmetry", "set") else "right")
    for sym, r in results.items():
        for name, m in r["pairs"].items():
            t.add_row(sym, name, f"[bold]{_pct(m['model']['mean'])}[/]",
                      _pct(m["delivered"]["mean"]), f"[bold]{_pct(m['case']['mean'])}[/]",
                      f"[bold]{_pct(m['ranked']['mean'])}[/]",
                      *((f"[bold]{_pct(m.get('refined', {}).get('mean'))}[/]",) if refined
                        else ()),
                      _pct(m["overlay"]["mean"]), _pct(m["upright"]["mean"]),
                      f"{_pct(m['model']['view1'])} / {_pct(m['model']['view2'])}")
    console.print(t)
    for sym, r in results.items():
        for name, m in r["pairs"].items():
            hard = "  ".join(f"{p} {_pct(v)}" for p, v in m["model"]["hardest"])
            easy = "  ".join(f"{p} {_pct(v)}" for p, v in m["model"]["easiest"])
            console.print(f"[bold]{sym} {name}[/] hardest: {hard}", soft_wrap=True)
            console.print(f"[bold]{sym} {name}[/] easiest: {easy}", soft_wrap=True)

    c = Table(title="Choice among make's candidates (as delivered, the judge reading among both "
                    "cases): share of pairs x styles whose chosen candidate reads both ways",
              title_justify="left")
    rankers = any("rankers" in m for r in results.values() for m in r.get("choice", {}).values())
    for col in ("symmetry", "set", "candidates", "typed case", "old ranking", "ranked",
                *(("rankers",) if rankers else ()), "oracle", "n"):
        c.add_column(col, justify="left" if col in ("symmetry", "set") else "right")
    for sym, r in results.items():
        for name, m in r.get("choice", {}).items():
            c.add_row(sym, name, str(m["candidates"]), _pct(m["typed"]),
                      _pct(m["old ranking"]), f"[bold]{_pct(m['ranked'])}[/]",
                      *((_pct(m.get("rankers")),) if rankers else ()),
                      _pct(m["oracle"]), str(m["n"]))
    if c.row_count:
        console.print(c)

    w = Table(title="Words read exactly: both views / as is / transformed; edit = normalised "
                    "edit distance", title_justify="left")
    for col in ("symmetry", "method", "judge", "edit", "Tesseract", "edit", "n"):
        w.add_column(col, justify="left" if col in ("symmetry", "method") else "right")

    def trio(m: dict[str, float]) -> str:
        return f"[bold]{_pct(m['both'])}[/] / {_pct(m['view1'])} / {_pct(m['view2'])}"

    for sym, r in results.items():
        for key in ("words", "unequal words"):
            for method, m in r.get(key, {}).items():
                j, o = m["judge"], (m["ocr"] or {}).get("either")
                w.add_row(sym, method if key == "words" else f"{method}, unequal lengths",
                          trio(j), f"{j['edit']:.2f}", trio(o) if o else "-",
                          f"{o['edit']:.2f}" if o else "-", str(j["n"]))
    console.print(w)

    n_styles = summary.get("settings", {}).get("styles", 0)
    chance = f"1/{n_styles} = {_pct(1 / n_styles)}" if n_styles > 1 else "-"
    s = Table(title="Style quality (FID-like on judge features: lower = closer to real glyphs; "
                    "diversity across styles, real fonts = 1.0; own font: share of glyphs "
                    "nearer their own style's font than any other style's in judge features, "
                    f"chance {chance})", title_justify="left")
    for col in ("symmetry", "method", "FID-like", "diversity", "own font"):
        s.add_column(col, justify="left" if col in ("symmetry", "method") else "right")
    for sym, r in results.items():
        for method, q in r["style"].items():
            s.add_row(sym, method, f"{q['fid']:.2f}", f"{q['diversity']:.2f}",
                      _pct(q.get("own_font")))
    console.print(s)
    acc = summary.get("judge", {}).get("metrics", {}).get("clean_accuracy_unseen_fonts", {})
    if acc:
        console.print(f"judge: clean accuracy on fonts it never saw {_pct(acc.get('all'))} "
                      f"(case-merged {_pct(acc.get('case_merged'))}, within lower case "
                      f"{_pct(acc.get('within_lower'))}, within capitals "
                      f"{_pct(acc.get('within_upper'))})", soft_wrap=True)
    for note in summary.get("notes", []):
        console.print(f"[dim]note:[/] {note}", soft_wrap=True)

"""The `ambictl` command line: a thin Typer layer over the Python API.

Every failure the user can act on becomes one line on stderr and a non-zero exit code; `--debug`
(or AMBICTL_DEBUG=1) shows the full traceback instead.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape

from .errors import AmbictlError, UsageError

try:  # typer >= 0.2x carries its own copy of click (click itself may not be installed)
    from typer._click.exceptions import ClickException
except ImportError:  # older typer uses click itself
    from click import ClickException

app = typer.Typer(
    name="ambictl",
    help="Generate ambigrams: lettering that reads as one word upright and as another turned.",
    rich_markup_mode="rich",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)
err = Console(stderr=True, highlight=False)
_debug = bool(os.environ.get("AMBICTL_DEBUG"))


def _flag_takes_no_value(display_type_rich: Any) -> Any:  # typer's TyperOption method, wrapped
    def show(self: Any, ctx: Any) -> str | None:
        return None if getattr(self, "is_flag", False) else display_type_rich(self, ctx)
    return show


# Typer shows a type for every option, so flags read "--preview <bool>" as if they took a value.
try:
    from typer.core import TyperOption as _TyperOption

    _TyperOption.display_type_rich = _flag_takes_no_value(  # type: ignore[method-assign]
        _TyperOption.display_type_rich)
except (ImportError, AttributeError):  # another typer: its help is what it is
    pass

DATA = "Data"
MODEL = "Model"


@app.callback()
def _root(
    debug: Annotated[bool, typer.Option("--debug", help="Show full tracebacks on errors.")] = False,
) -> None:
    global _debug
    _debug = _debug or debug


def _progress(disable: bool = False, transient: bool = False):  # -> rich Progress (lazy import)
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    return Progress(TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
                    TimeElapsedColumn(), TimeRemainingColumn(), console=err, transient=transient,
                    disable=disable)


class _LazyProgress:
    """A rich Progress that draws nothing until the work reports its first step, so a failing
    input check ends in its error line alone (no empty bar, no blank line before it).
    Use as a context manager; add_task and update go to the bar."""

    def __init__(self, disable: bool = False, info: bool = False, transient: bool = False
                 ) -> None:
        from rich.progress import TextColumn

        self.bar = _progress(disable, transient)
        if info:
            self.bar.columns = (*self.bar.columns, TextColumn("[dim]{task.fields[info]}"))
        self.started = False

    def add_task(self, *args: Any, **kwargs: Any) -> int:
        return self.bar.add_task(*args, **kwargs)

    def update(self, *args: Any, **kwargs: Any) -> None:
        if not self.started:
            self.started = True
            self.bar.start()
        self.bar.update(*args, **kwargs)

    def __enter__(self) -> _LazyProgress:
        return self

    def __exit__(self, *exc: object) -> None:
        if self.started:
            self.bar.stop()


def _check_png(path: Path, what: str) -> None:
    """A PNG output, checked writable before any work (make's and styles' --sheet)."""
    from . import atomic

    if path.suffix.lower() != ".png":
        raise UsageError(f"cannot write {path}: {what} is a .png file")
    atomic.probe_writable_file(path)


@app.command("build-dataset", rich_help_panel=DATA)
def build_dataset_cmd(
    out: Annotated[Path, typer.Option("-o", "--out", help="Output folder for the data set.")],
    fonts: Annotated[list[Path] | None, typer.Option(
        "--fonts", metavar="PATH",
        help="Your own font file or folder, added to the others (repeatable).")] = None,
    rank_fonts: Annotated[list[Path] | None, typer.Option(
        "--rank-fonts", metavar="PATH",
        help="Font file or folder for the ranking readers only: the data set's 'rank' split, "
             "beside the bundled families reserved for it (repeatable).")] = None,
    no_system_fonts: Annotated[bool, typer.Option(
        "--no-system-fonts", help="Skip the fonts installed on this machine.")] = False,
    no_bundled_fonts: Annotated[bool, typer.Option(
        "--no-bundled-fonts", help="Skip the bundled fonts/ (with --no-system-fonts: only "
        "--fonts).")] = False,
    chars: Annotated[str | None, typer.Option(
        help="Characters to render \\[default: A-Z a-z 0-9].")] = None,
    size: Annotated[int, typer.Option(help="Image size in pixels.")] = 64,
    normalize: Annotated[str, typer.Option(
        help="Frame: 'em' (ambigram frame, same scale per font) or 'bbox' (notMNIST fill).")
    ] = "em",
    workers: Annotated[int | None, typer.Option(
        help="Parallel processes \\[default: all cores].")] = None,
    force: Annotated[bool, typer.Option("--force", help="Replace an existing output.")] = False,
) -> None:
    """Render every valid font x character into a notMNIST-like glyph data set."""
    from rich.table import Table

    from .dataset import DEFAULT_CHARS, build_dataset

    bar = _LazyProgress()
    task = bar.add_task("rendering fonts", total=None)

    def on_progress(done: int, total: int) -> None:
        bar.update(task, completed=done, total=total)

    with bar:
        report = build_dataset(
            out, chars=chars if chars is not None else DEFAULT_CHARS, size=size,
            normalize=normalize, fonts=fonts, system=not no_system_fonts,
            bundled=not no_bundled_fonts, force=force, workers=workers, progress=on_progress,
            rank_fonts=rank_fonts)
    if report.skipped:
        table = Table(title=f"Skipped fonts ({len(report.skipped)})", title_justify="left")
        table.add_column("font", overflow="fold")
        table.add_column("reason", overflow="fold")
        for s in report.skipped:
            table.add_row(s.path, s.reason)
        err.print(table)
    c = report.manifest["counts"]
    err.print(f"[green]wrote[/] {report.out}: {c['glyphs']} glyphs from {c['fonts']} fonts "
              f"({c['train_fonts']} train / {c['val_fonts']} validation / "
              f"{c.get('rank_fonts', 0)} ranking), "
              f"{len(report.manifest['chars'])} characters at {report.manifest['size']} px")


# ---- make


@app.command("make", rich_help_panel="Ambigrams")
def make_cmd(
    word1: Annotated[str, typer.Argument(help="The word as it is.", show_default=False)],
    word2: Annotated[str | None, typer.Argument(
        help="The word read turned (mirrored, flipped) \\[default: WORD1].",
        show_default=False)
    ] = None,
    out: Annotated[str | None, typer.Option(
        "-o", "--out", help="Output file, .svg or .png; '-' writes the SVG to stdout.")] = None,
    symmetry: Annotated[str, typer.Option(
        help="rotate (half turn), mirror (left-right) or flip (upside down).")] = "rotate",
    candidates: Annotated[int, typer.Option(help="Candidates tried per letter (1-256).")] = 16,
    seed: Annotated[int, typer.Option(help="Random seed: same seed, same bytes.")] = 0,
    style: Annotated[str, typer.Option(
        help="auto (the best of the bank's first 4 fonts for this word), a style number or "
             "name (ambictl styles lists them).")] = "auto",
    font: Annotated[str | None, typer.Option(
        metavar="PATH", help="Draw in this font file instead (.ttf .otf .ttc .woff .woff2; "
        "PATH#N: face N of a collection).")] = None,
    case: Annotated[str, typer.Option(
        help="auto (= word: each reading in one case, the one that reads best, as typed "
             "unless another reads clearly better), cell (each letter chooses), keep, upper "
             "or lower.")] = "auto",
    pick: Annotated[str | None, typer.Option(
        help="Alternative per cell, e.g. 0,2,1,0 (0 = best; see --sheet).")] = None,
    ranking: Annotated[str, typer.Option(
        help="Who ranks the candidates: delivered (the recognisers reading each as delivered, "
             "among both cases), within-case (as before 2026-12-04) or rankers (weights' own "
             "ranking readers: train --what rankers).")] = "delivered",
    strokes: Annotated[str, typer.Option(
        help="Redraw each letter as a few smooth pen strokes, refined to read both ways: auto "
             "(where they read at least as well as the generator's glyph), on (every letter) "
             "or off. Seconds per letter: see the README.")] = "off",
    sheet: Annotated[Path | None, typer.Option(
        help="Also write a contact sheet PNG of each letter's alternatives.")] = None,
    preview: Annotated[bool, typer.Option(
        "--preview", help="Show the result in the terminal, as it is and turned.")] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No score table.")] = False,
    json_report: Annotated[bool, typer.Option("--json", help="Print a JSON report on stdout.")
                           ] = False,
    weights: Annotated[Path | None, typer.Option(
        help="Model file \\[default: the shipped weights].")] = None,
    color: Annotated[str, typer.Option(help="Ink colour: a name or #hex.")] = "black",
    background: Annotated[str, typer.Option(help="Background colour, or none (transparent).")
                          ] = "none",
    height: Annotated[int, typer.Option(
        help="PNG height in px (also the size an SVG opens at).")] = 256,
) -> None:
    """Make an ambigram: WORD1 as it is, WORD2 turned. Words of up to 64 letters; of different
    lengths (Alex Sam), some cells hold two letters one way and one the other."""
    from . import atomic, compose, output

    # Everything that can be checked without the model fails here, before torch is imported.
    w1, w2, _ = compose.check_request(word1, word2, symmetry=symmetry, candidates=candidates,
                                      seed=seed, style=style, case=case, pick=pick, font=font,
                                      strokes=strokes)
    output.check_height(height)
    output.parse_color(color, "--color", allow_none=False)
    output.parse_color(background, "--background", allow_none=True)
    if out is None and not (preview or json_report or sheet):
        raise UsageError("nothing to write: give -o FILE (.svg or .png, - for stdout), "
                         "--preview, --json or --sheet")
    if out == "-" and json_report:
        raise UsageError("-o - and --json both write to stdout; write the SVG to a file")
    if out not in (None, "-"):
        compose.check_output(out)
    if weights is not None and not weights.is_file():
        raise UsageError(f"no model file at {weights}")
    if sheet is not None:
        _check_png(sheet, "the contact sheet")
    if font is not None:  # fontTools only: a bad font fails before torch is imported
        from .styles import check_font
        from .symmetry import case_options

        typed = "".join(case_options(w1, w2, case)[0])  # the words as typed (or --case folds)
        # A character no model draws (é) is left to the model's own, clearer, message.
        check_font(font, "".join(c for c in typed if c.isascii() and c.isalnum()))

    from .ambigram import make_ambigram

    amb = make_ambigram(w1, w2, symmetry=symmetry, seed=seed, candidates=candidates,
                        style=style, case=case, pick=pick, weights=weights, font=font,
                        ranking=ranking, strokes=strokes)
    look = {"color": color, "background": background, "height": height}
    if out == "-":
        sys.stdout.write(amb.to_svg(**look))
        sys.stdout.flush()
    elif out is not None:
        amb.save(out, **look)
    if sheet is not None:
        try:
            atomic.write_bytes(sheet, amb.sheet_png())
        except OSError as e:
            raise UsageError(f"cannot write {sheet}: {e.strerror or e}") from None
    if not quiet:
        from rich.markup import escape

        err.print(_score_table(amb))
        wrote = [str(p) for p in (out if out != "-" else "stdout", sheet) if p is not None]
        err.print(f"[green]made[/] {escape(amb.title)}: legibility {amb.legibility:.2f} (weakest "
                  f"letter), "
                  + (f"font {escape(amb.style_name)} ({escape(amb.font)})" if amb.font
                     else f"style {amb.style} {escape(amb.style_name)}")
                  + (f"; wrote {escape(', '.join(wrote))}" if wrote else ""), soft_wrap=True)
        for line in amb.advice():
            err.print(escape(line), soft_wrap=True)
    if preview:
        # On stdout unless stdout carries the SVG or the JSON report.
        con = Console(highlight=False) if out != "-" and not json_report else err
        con.print(amb.preview(columns=min(80, max(20, con.width - 1))), markup=False)
    if json_report:
        import json

        report = amb.report()
        report["output"] = out
        report["sheet"] = str(sheet) if sheet else None
        sys.stdout.write(json.dumps(report, ensure_ascii=False) + "\n")


def _score_table(amb):  # an Ambigram -> a rich Table (both imported lazily)
    """Compact per-letter scores: both readings' probabilities, legibility, style agreement."""
    from rich.markup import escape
    from rich.table import Table

    how = {"rotate": "turned", "mirror": "mirrored", "flip": "flipped"}[amb.symmetry]
    drawn = " / ".join(amb.drawn)
    table = Table(title=escape(f"{amb.word1} / {amb.word2} ({amb.symmetry}), drawn {drawn}, "
                               f"case {amb.case}"), title_justify="left", box=None,
                  pad_edge=False)
    for name in ("#", "pair", "as is", how, "legible", "stroke", "style", "pick"):
        table.add_column(name, justify="left" if name == "pair" else "right")
    for s in amb.scores:
        bad = "[red]" if s.legibility < 0.5 else ""
        table.add_row(str(s.cell), escape(f"{s.upright} / {s.turned}"), f"{s.p_upright:.2f}",
                      f"{s.p_turned:.2f}", f"{bad}{s.legibility:.2f}", f"{s.stroke:.1f}",
                      f"{s.style:.2f}", f"{s.pick}/{s.alternatives - 1}")
    return table


# ---- styles


@app.command("styles", rich_help_panel="Ambigrams")
def styles_cmd(
    word1: Annotated[str | None, typer.Argument(
        help="Sample word for --sheet \\[default: the pair dear read].", show_default=False)
    ] = None,
    word2: Annotated[str | None, typer.Argument(
        help="The sample's turned reading \\[default: WORD1].", show_default=False)] = None,
    sheet: Annotated[Path | None, typer.Option(
        help="Also write a PNG of the sample ambigram in every style, as it is and turned.")
    ] = None,
    symmetry: Annotated[str, typer.Option(
        help="rotate (half turn), mirror (left-right) or flip (upside down).")] = "rotate",
    seed: Annotated[int, typer.Option(help="Random seed of the samples.")] = 0,
    weights: Annotated[Path | None, typer.Option(
        help="Model file \\[default: the shipped weights].")] = None,
    json_out: Annotated[bool, typer.Option("--json", help="Print the list as JSON on stdout.")
                        ] = False,
) -> None:
    """List the model's styles with their fonts and licences; --sheet draws a sample in each,
    to choose `make --style N` by eye."""
    from . import atomic, styles

    if sheet is not None:
        _check_png(sheet, "the style sheet")
    if weights is not None and not weights.is_file():
        raise UsageError(f"no model file at {weights}")
    if word1 is None:
        word1, word2 = styles.SAMPLE
    from .ambigram import load_model

    model = load_model(weights)
    infos = styles.style_infos(model)
    legibility: list[float | None] = [None] * len(infos)
    if sheet is not None:
        bar = _LazyProgress(transient=True)
        task = bar.add_task("drawing styles", total=len(infos))
        with bar:
            samples = styles.draw_samples(model, word1, word2, symmetry=symmetry, seed=seed,
                                          progress=lambda done: bar.update(task, completed=done))
        legibility = [a.legibility for a in samples]
        try:
            atomic.write_bytes(sheet, styles.sheet_png(samples, infos))
        except OSError as e:
            raise UsageError(f"cannot write {sheet}: {atomic.plain_reason(e)}") from None
    if json_out:
        import json
        from dataclasses import asdict

        rows = [{**asdict(i), "legibility": v} for i, v in zip(infos, legibility, strict=True)]
        sys.stdout.write(json.dumps(rows, ensure_ascii=False) + "\n")
    else:  # plain aligned lines: a table folded to 80 columns would cut the file names apart
        name_w = max(len(i.name) for i in infos)
        lic_w = min(24, max(len(i.license) for i in infos))
        print(f" #  {'style':<{name_w}}  {'licence':<{lic_w}}  font file")
        for info, v in zip(infos, legibility, strict=True):
            lic = info.license if len(info.license) <= lic_w else info.license[:lic_w - 1] + "…"
            read = f"  legibility {v:.2f}" if v is not None else ""
            print(f"{info.index:>2}  {info.name:<{name_w}}  {lic:<{lic_w}}  {info.font}{read}")
    if sheet is not None:
        err.print(f"[green]wrote[/] {escape(str(sheet))}: {escape(word1)} in {len(infos)} styles",
                  soft_wrap=True)


# ---- train


@app.command("train", rich_help_panel=MODEL)
def train_cmd(
    dataset: Annotated[Path, typer.Argument(help="Data set folder (from build-dataset).")],
    out: Annotated[Path, typer.Option("-o", "--out", help="Run folder: checkpoint, samples, "
                                      "metrics, weights.pt.")],
    what: Annotated[str, typer.Option(
        help="'generator' (recognisers, then the GAN), 'classifier' (recognisers only), "
             "'rankers' (experimental: readers on the data set's ranking fonts, for "
             "make --ranking rankers), "
             "'refiner' (the experimental 64 px second stage) or 'wide' (a second generator "
             "for cells of two letters one way; --batch-size is its wide cells a step); the "
             "last three on --weights \\[default: the shipped model].")] = "generator",
    steps: Annotated[int | None, typer.Option(help="Generator steps \\[default: 8000; "
                                              "300 with --words; refiner, wide: 2000; rankers: "
                                              "1000 each].")] = None,
    batch_size: Annotated[int | None, typer.Option(help="Batch size \\[default: 32].")] = None,
    wide: Annotated[float | None, typer.Option(
        help="Double-width cells (words of different lengths) per batch, as a share of the "
             "batch size, e.g. 0.25 \\[default: 0, off].")] = None,
    seed: Annotated[int, typer.Option(help="Random seed.")] = 0,
    device: Annotated[str, typer.Option(help="auto, cpu, cuda or mps.")] = "auto",
    resume: Annotated[bool, typer.Option("--resume", help="Continue the run in --out.")] = False,
    quick: Annotated[bool, typer.Option("--quick", help="A tiny run of the whole pipeline "
                                        "(16 fonts, one recogniser, 30 generator steps; under "
                                        "2 minutes on 2 CPU cores): a smoke test, not a usable "
                                        "model.")] = False,
    words: Annotated[tuple[str, str] | None, typer.Option(
        help="Fine-tune on just the pairs that this word pair needs: --words dear read.")] = None,
    symmetry: Annotated[str, typer.Option(help="Symmetry for --words: rotate, mirror, flip.")
                        ] = "rotate",
    weights: Annotated[Path | None, typer.Option(
        help="Start from these weights \\[default with --words: the shipped model].")] = None,
    export: Annotated[Path | None, typer.Option(
        help="Also copy the final weights here (e.g. weights/ambictl.pt).")] = None,
) -> None:
    """Train the recognisers and the pair-conditional ambigram generator."""
    from dataclasses import replace

    from . import atomic, training
    from . import weights as wfile
    from .symmetry import check_symmetry, pair_cells

    if what not in ("generator", "classifier", "rankers", "refiner", "wide"):
        raise UsageError(f"unknown --what {what!r}; choose generator, classifier, rankers, "
                         "refiner or wide")
    if what == "rankers" and (wide is not None or words or resume):
        raise UsageError("--what rankers trains the ranking readers of finished weights: "
                         "--wide, --words and --resume are for generator runs")
    if what == "wide" and (wide is not None or words):
        raise UsageError("--what wide trains on wide cells only: --wide and --words are for "
                         "generator runs (--batch-size sets its wide cells a step)")
    cfg = training.TrainConfig.quick() if quick else training.TrainConfig()
    init = str(weights) if weights else None
    if words:
        check_symmetry(symmetry)
        if not words[0] or len(words[0]) != len(words[1]):
            raise UsageError("--words needs two non-empty words of the same length")
        cfg.pairs = sorted({(a, b, symmetry) for a, b in pair_cells(*words, symmetry)})
        init = init or str(wfile.default_path())
        # A gentle fine-tune: fewer steps, half the learning rates (see PairSampler on focus).
        cfg = replace(cfg, steps=300, sample_every=50, checkpoint_every=100,
                      lr_g=cfg.lr_g / 2, lr_d=cfg.lr_d / 2)
    if what in ("refiner", "wide", "rankers"):  # parts of finished weights: the shipped ones
        # by default
        init = init or str(wfile.default_path())
    if what == "refiner":  # --steps and --batch-size are the refiner's
        cfg.refine = {**cfg.refine, **{k: v for k, v in (("steps", steps),
                                                         ("batch_size", batch_size)) if v}}
        steps = batch_size = None
    if what == "rankers":  # --steps and --batch-size are the rankers'
        cfg.rankers = {**cfg.rankers, **{k: v for k, v in (("steps", steps),
                                                           ("batch_size", batch_size)) if v}}
        steps = batch_size = None
    if what == "wide":  # --batch-size is its wide cells a step
        cfg = training.wide_only(replace(cfg, steps=steps or (
            cfg.steps if quick else training.WIDE_ONLY_STEPS)), batch_size or
            training.WIDE_ONLY_CELLS)
        steps = batch_size = None
    cfg = replace(cfg, seed=seed, **{k: v for k, v in (("steps", steps),
                                                        ("batch_size", batch_size)) if v})
    if wide is not None:
        if not 0 <= wide <= 4:
            raise UsageError(f"--wide must be from 0 to 4 (a share of the batch size), got {wide}")
        cfg = replace(cfg, wide=wide)
    if cfg.steps < 1 or cfg.batch_size < 2:
        raise UsageError("--steps must be >= 1 and --batch-size >= 2")
    if export is not None:
        atomic.probe_writable_file(export)  # before the training, not after it
    rank = int(os.environ.get("RANK", 0))  # under torchrun only rank 0 reports
    with _LazyProgress(disable=rank > 0, info=True) as bar:
        result = training.train(dataset, out, cfg, device=device, resume=resume,
                                init_weights=init, what=what, progress=bar)
    if rank > 0:
        return
    if export:
        import shutil

        atomic.write_bytes(export, result.weights_path.read_bytes())
        shutil.copystat(result.weights_path, export)
    acc = ", ".join(f"{a:.1%}" for a in result.recognizer_accuracy) or "n/a"
    readers = "ranking readers' accuracy on the generator's fonts" if what == "rankers" else \
        f"{result.steps} steps, recogniser accuracy on held-out fonts"
    err.print(f"[green]done[/] in {result.seconds:.0f} s: {readers} {acc}; weights in "
              f"{result.weights_path}"
              + (f" (copied to {export})" if export else ""))


# ---- train-judge, eval


def _threads(threads: int | None) -> None:
    if threads is not None:
        if threads < 1:
            raise UsageError("--threads must be >= 1")
        import torch

        torch.set_num_threads(threads)


@app.command("train-judge", rich_help_panel=MODEL)
def train_judge_cmd(
    dataset: Annotated[Path, typer.Argument(help="Data set folder (from build-dataset).")],
    out: Annotated[Path, typer.Option("-o", "--out", help="Judge weights file to write, "
                                      "e.g. weights/judge.pt.")],
    steps: Annotated[int | None, typer.Option(help="Training steps \\[default: 1500].")] = None,
    batch_size: Annotated[int | None, typer.Option(help="Batch size \\[default: 96].")] = None,
    seed: Annotated[int, typer.Option(help="Random seed.")] = 0,
    device: Annotated[str, typer.Option(help="auto, cpu, cuda or mps.")] = "cpu",
    threads: Annotated[int | None, typer.Option(
        help="CPU threads for torch (1 is often fastest on a busy machine).")] = None,
    quick: Annotated[bool, typer.Option("--quick", help="20 steps (about half a minute on 2 "
                                        "CPU cores): a structural run, not a usable judge.")
                     ] = False,
    augment: Annotated[str, typer.Option(
        help="strong (the shipped judge) or light (a cross-check judge that shares no "
             "augmentation with the training recognisers).")] = "strong",
) -> None:
    """Train the held-out judge that `eval` uses, on the data set's VALIDATION fonts only."""
    from dataclasses import replace

    from .augment import READER_AUGMENTATIONS
    from .judge import JudgeTrainConfig, train_judge

    _threads(threads)
    cfg = JudgeTrainConfig.quick() if quick else JudgeTrainConfig()
    if augment not in READER_AUGMENTATIONS:
        raise UsageError(f"unknown --augment {augment!r}; choose strong or light")
    cfg = replace(cfg, seed=seed, augment=augment, **{
        k: v for k, v in (("steps", steps), ("batch_size", batch_size)) if v})
    if cfg.steps < 1 or cfg.batch_size < 2:
        raise UsageError("--steps must be >= 1 and --batch-size >= 2")
    bar = _LazyProgress(info=True)
    task = bar.add_task("judge", total=cfg.steps, info="")
    with bar:
        report = train_judge(dataset, out, cfg, device=device, tick=lambda m: bar.update(
            task, completed=m["step"], info=f"loss {m['loss']:.3f}"))
    acc = report.metrics["clean_accuracy_unseen_fonts"]
    err.print(f"[green]done[/] in {report.seconds:.0f} s: clean accuracy on the "
              f"{report.metrics['unseen_fonts']} fonts it never saw {acc.get('all', 0):.1%} "
              f"(case-merged {acc.get('case_merged', 0):.1%}, within lower case "
              f"{acc.get('within_lower', 0):.1%}, within capitals {acc.get('within_upper', 0):.1%}"
              f"); wrote {report.path}", soft_wrap=True)


@app.command("eval", rich_help_panel=MODEL)
def eval_cmd(
    weights: Annotated[Path | None, typer.Option(
        help="Model weights \\[default: the shipped weights/ambictl.pt].")] = None,
    judge: Annotated[Path | None, typer.Option(
        help="Judge weights, or 'light' for the shipped cross-check judge "
             "\\[default: the shipped weights/judge.pt].")] = None,
    out: Annotated[Path, typer.Option("-o", "--out", help="Folder for CSVs, heatmaps, "
                                      "word sheets and summary.json.")] = Path("eval"),
    chars: Annotated[list[str] | None, typer.Option(
        help="Character set to pair up (repeatable): lower, upper, digits or the characters "
             "themselves \\[default: lower and upper].")] = None,
    symmetry: Annotated[list[str] | None, typer.Option(
        help="rotate, mirror or flip (repeatable) \\[default: all three].")] = None,
    styles: Annotated[int | None, typer.Option(
        help="Styles (fonts of the model's bank) per pair; 0 = all \\[default: 8].")] = None,
    pairs: Annotated[Path | None, typer.Option(
        help="Word pairs file: lines 'word1 word2' \\[default: the shipped list].")] = None,
    unequal_pairs: Annotated[Path | None, typer.Option(
        help="Word pairs of different lengths (at most 2:1) \\[default: the shipped list of "
             "names and words].")] = None,
    max_words: Annotated[int | None, typer.Option(help="Use only the first N pairs of each "
                                                  "list.")] = None,
    choice_styles: Annotated[int | None, typer.Option(
        help="Styles in which make's choice among its candidates is measured (every candidate "
             "traced); 0 = off \\[default: 2].")] = None,
    candidates: Annotated[int | None, typer.Option(
        help="Candidates per pair for the choice \\[default: make's, 16].")] = None,
    strokes: Annotated[int, typer.Option(
        help="Styles in which pairs are also measured redrawn in pen strokes (make --strokes "
             "on / auto), and words too; 0 = off (seconds per glyph).")] = 0,
    ocr: Annotated[bool, typer.Option("--ocr/--no-ocr", help="Read words with Tesseract when "
                                      "it is installed.")] = True,
    quick: Annotated[bool, typer.Option("--quick", help="A small subset: rotate, 9 letters, "
                                        "4 styles, 12 words (1.5 to 7 minutes on 2 CPU cores, "
                                        "by load).")] = False,
    seed: Annotated[int, typer.Option(help="Seed of the styles' noise codes.")] = 0,
    json_out: Annotated[bool, typer.Option("--json", help="Print summary.json to stdout "
                                           "instead of tables.")] = False,
    device: Annotated[str, typer.Option(help="auto, cpu, cuda or mps.")] = "auto",
    threads: Annotated[int | None, typer.Option(help="CPU threads for torch.")] = None,
) -> None:
    """Measure ambigram quality with a held-out judge (and Tesseract), beside baselines.

    Per symmetry: the share of character pairs x styles whose both views the judge reads (it
    chooses among the evaluated set only, e.g. the 26 lower-case letters), the same for the
    overlay and upright baselines, word pairs drawn as `make` draws them (its defaults, and
    the case kept as typed; equal lengths, and a list of different lengths) read glyph by
    glyph and by Tesseract as delivered, and style
    quality (FID-like realism, diversity across styles). Files go to --out.
    """
    import json
    from dataclasses import replace

    from . import atomic, compose
    from .eval_report import print_report, write_outputs
    from .evaluate import EvalConfig, evaluate, parse_charsets

    _threads(threads)
    cfg = EvalConfig.quick_preset() if quick else EvalConfig()
    given = {"styles": styles, "max_words": max_words, "choice_styles": choice_styles,
             "candidates": candidates, "strokes": strokes}
    cfg = replace(cfg, seed=seed, ocr=ocr, pairs_file=pairs, unequal_file=unequal_pairs,
                  **{k: v for k, v in given.items() if v is not None})
    if chars:
        cfg = replace(cfg, charsets=parse_charsets(chars))
    if symmetry:
        cfg = replace(cfg, symmetries=tuple(dict.fromkeys(symmetry)))
    if min(cfg.styles, cfg.choice_styles, cfg.strokes) < 0 or (cfg.max_words is not None
                                                                and cfg.max_words < 1):
        raise UsageError("--styles, --choice-styles and --strokes must be >= 0, --max-words "
                         ">= 1")
    compose.check_request("a", None, candidates=cfg.candidates)  # make's bounds, one line
    atomic.probe_output_dir(out)  # before the model is loaded, not after the whole eval
    bar = _LazyProgress(transient=True)
    task = bar.add_task("eval", total=100)
    with bar:
        result = evaluate(cfg, weights, judge, device, progress=lambda what, frac: bar.update(
            task, completed=round(100 * frac), description=f"eval {what}"))
    written = write_outputs(result, out)
    if json_out:
        print(json.dumps({**result.summary, "files": [p.name for p in written]
                          + ["summary.json"]}, indent=1, ensure_ascii=False))
        return
    print_report(result.summary, Console(highlight=False))
    err.print(f"[green]wrote[/] {len(written) + 1} files to {out}/ in "
              f"{result.summary['seconds']:.0f} s", soft_wrap=True)


def _unwrap(doc: str) -> str:
    """A docstring's paragraphs as single lines: the terminal wraps them to its width (typer's
    rich help would keep the source's line breaks inside a paragraph, mid-sentence)."""
    import inspect

    return "\n\n".join(" ".join(p.split()) for p in inspect.cleandoc(doc).split("\n\n"))


for _info in app.registered_commands:  # every command above, whoever wrote its docstring
    if _info.callback is not None and _info.callback.__doc__:
        _info.callback.__doc__ = _unwrap(_info.callback.__doc__)


def _terminate(signum: int, frame: object) -> None:
    raise KeyboardInterrupt  # SIGTERM cleans up like Ctrl-C (temp files and folders removed)


def main() -> None:
    """Console entry point: run the app, turning known failures into one line on stderr."""
    signal.signal(signal.SIGTERM, _terminate)
    try:
        code = app(standalone_mode=False)  # an int only from an exit: --help, Ctrl-C (130)
    except AmbictlError as e:
        if _debug:
            raise
        err.print(f"[red]error:[/] {escape(str(e))}", soft_wrap=True)
        sys.exit(e.exit_code)
    except ClickException as e:
        if _debug:
            raise
        err.print(f"[red]error:[/] {escape(e.format_message())} (see --help)", soft_wrap=True)
        sys.exit(e.exit_code)
    except (KeyboardInterrupt, typer.Abort):
        code = 130
    except Exception as e:
        if _debug:
            raise
        err.print(f"[red]internal error:[/] {type(e).__name__}: {escape(str(e))} "
                  "(run with --debug for the traceback)", soft_wrap=True)
        sys.exit(1)
    if code == 130:
        err.print("[yellow]interrupted[/]: nothing half-written was left behind", soft_wrap=True)
    sys.exit(code if isinstance(code, int) else 0)


def run() -> None:
    """The `ambictl` command: `main`, then leave without tearing the interpreter down.

    Every file is written and closed by then; what is left is freeing torch's thousands of
    objects one by one, which takes 0.4-0.8 s of a 3 s `make` on two cores. Tests call `main`,
    whose SystemExit they can catch; only a real process ends this way."""
    try:
        main()
        code: int | str | None = 0
    except SystemExit as e:
        code = e.code
    if isinstance(code, str):  # sys.exit("message") prints it, as the interpreter would
        print(code, file=sys.stderr)
        code = 1
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError):  # a closed pipe (`ambictl ... | head`)
            stream.flush()
    os._exit(code or 0)

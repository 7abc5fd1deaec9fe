"""The `ambictl` command line: a thin Typer layer over the Python API.

Every failure the user can act on becomes one line on stderr and a non-zero exit code; `--debug`
(or AMBICTL_DEBUG=1) shows the full traceback instead.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from .errors import AmbictlError

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

DATA = "Data"
MODEL = "Model"


@app.callback()
def _root(
    debug: Annotated[bool, typer.Option("--debug", help="Show full tracebacks on errors.")] = False,
) -> None:
    global _debug
    _debug = _debug or debug


def _progress():
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    return Progress(TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
                    TimeElapsedColumn(), TimeRemainingColumn(), console=err, transient=False)


@app.command("build-dataset", rich_help_panel=DATA)
def build_dataset_cmd(
    out: Annotated[Path, typer.Option("-o", "--out", help="Output folder for the data set.")],
    fonts: Annotated[list[Path] | None, typer.Option(
        "--fonts", help="Extra font file or folder (repeatable).")] = None,
    no_system_fonts: Annotated[bool, typer.Option(
        "--no-system-fonts", help="Use only the bundled fonts/ and --fonts.")] = False,
    chars: Annotated[str | None, typer.Option(
        help="Characters to render [default: A-Z a-z 0-9].")] = None,
    size: Annotated[int, typer.Option(help="Image size in pixels.")] = 64,
    normalize: Annotated[str, typer.Option(
        help="Frame: 'em' (ambigram frame, same scale per font) or 'bbox' (notMNIST fill).")
    ] = "em",
    workers: Annotated[int | None, typer.Option(help="Parallel processes [default: all cores].")
                       ] = None,
    force: Annotated[bool, typer.Option("--force", help="Replace an existing output.")] = False,
) -> None:
    """Render every valid font x character into a notMNIST-like glyph data set."""
    from rich.table import Table

    from .dataset import DEFAULT_CHARS, build_dataset

    bar = _progress()
    task = bar.add_task("rendering fonts", total=None)

    def on_progress(done: int, total: int) -> None:
        bar.start()  # only once rendering runs: a bad option fails with its error line alone
        bar.update(task, completed=done, total=total)

    try:
        report = build_dataset(
            out, chars=chars if chars is not None else DEFAULT_CHARS, size=size,
            normalize=normalize, fonts=fonts, system=not no_system_fonts, force=force,
            workers=workers, progress=on_progress)
    finally:
        bar.stop()
    if report.skipped:
        table = Table(title=f"Skipped fonts ({len(report.skipped)})", title_justify="left")
        table.add_column("font", overflow="fold")
        table.add_column("reason", overflow="fold")
        for s in report.skipped:
            table.add_row(s.path, s.reason)
        err.print(table)
    c = report.manifest["counts"]
    err.print(f"[green]wrote[/] {report.out}: {c['glyphs']} glyphs from {c['fonts']} fonts "
              f"({c['train_fonts']} train / {c['val_fonts']} validation), "
              f"{len(report.manifest['chars'])} characters at {report.manifest['size']} px")


def main() -> None:
    """Console entry point: run the app, turning known failures into one line on stderr."""
    try:
        code = app(standalone_mode=False)  # an int only from an exit: --help, Ctrl-C (130)
    except AmbictlError as e:
        if _debug:
            raise
        err.print(f"[red]error:[/] {e}", soft_wrap=True)
        sys.exit(e.exit_code)
    except ClickException as e:
        if _debug:
            raise
        err.print(f"[red]error:[/] {e.format_message()} (see --help)", soft_wrap=True)
        sys.exit(e.exit_code)
    except (KeyboardInterrupt, typer.Abort):
        code = 130
    except Exception as e:
        if _debug:
            raise
        err.print(f"[red]internal error:[/] {type(e).__name__}: {e} "
                  "(run with --debug for the traceback)", soft_wrap=True)
        sys.exit(1)
    if code == 130:
        err.print("[yellow]interrupted[/]: nothing half-written was left behind", soft_wrap=True)
    sys.exit(code if isinstance(code, int) else 0)

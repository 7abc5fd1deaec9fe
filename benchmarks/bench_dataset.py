"""Benchmark `build-dataset`: the bundled fonts only, 64 px, all 62 default characters.

    python benchmarks/bench_dataset.py [--workers 2] [--size 64] [--repeat 1]

Prints glyphs per second for the whole build (target: >= 1,500 on 2 cores) and where the time
goes: font discovery, the worker pool (fontTools validation + rendering, in parallel), packing,
the .npy arrays, the PNG tree. fontTools validation is also timed alone, on one core.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ambictl import dataset
from ambictl.fonts import discover, open_faces

TARGET = 1500  # glyphs per second on 2 cores


def _timed(phases: dict[str, float], name: str, fn: Callable[..., Any]) -> Callable[..., Any]:
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        start = time.perf_counter()
        try:
            return fn(*args, **kwargs)
        finally:
            phases[name] += time.perf_counter() - start

    return wrapper


def build_once(out: Path, workers: int, size: int) -> tuple[float, dict[str, float], dict]:
    """One timed build with the main process's phases measured by wrapping their functions."""
    phases: dict[str, float] = defaultdict(float)
    originals = {name: getattr(dataset, name) for name in
                 ("discover", "_collect", "_pack", "_npy_bytes", "_write_pngs")}
    marks: dict[str, float] = {}

    def progress(done: int, total: int) -> None:
        marks.setdefault("first", time.perf_counter())
        marks["last"] = time.perf_counter()

    for name, fn in originals.items():
        setattr(dataset, name, _timed(phases, name.strip("_"), fn))
    try:
        start = time.perf_counter()
        report = dataset.build_dataset(out, size=size, system=False, bundled=True,
                                       workers=workers, progress=progress)
        total = time.perf_counter() - start
    finally:
        for name, fn in originals.items():
            setattr(dataset, name, fn)
    phases["pool (validate + render)"] = marks["last"] - start - phases["discover"]
    return total, dict(phases), report.manifest


def validation_time() -> tuple[float, int]:
    """fontTools validation of every bundled file, in this process (one core)."""
    files, _, _ = discover(None, system=False, bundled=True)
    start = time.perf_counter()
    for path, source, licence in files:
        open_faces(path, source, licence)
    return time.perf_counter() - start, len(files)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--size", type=int, default=64)
    parser.add_argument("--repeat", type=int, default=1, help="builds to run; the best is shown")
    args = parser.parse_args()
    best: tuple[float, dict[str, float], dict] | None = None
    with tempfile.TemporaryDirectory(prefix="ambictl-bench-") as tmp:
        for i in range(args.repeat):
            run = build_once(Path(tmp) / f"ds{i}", args.workers, args.size)
            if best is None or run[0] < best[0]:
                best = run
    assert best is not None
    total, phases, manifest = best
    glyphs, fonts = manifest["counts"]["glyphs"], manifest["counts"]["fonts"]
    rate = glyphs / total
    print(f"build-dataset: {glyphs} glyphs from {fonts} fonts ({manifest['counts']['skipped']} "
          f"skipped), {len(manifest['chars'])} chars at {manifest['size']} px, "
          f"{args.workers} workers")
    print(f"  total {total:6.2f} s   {rate:7.0f} glyphs/s   "
          f"({'meets' if rate >= TARGET else 'BELOW'} the {TARGET} glyphs/s target)")
    order = ["discover", "pool (validate + render)", "collect", "pack", "npy_bytes",
             "write_pngs"]
    for name in order:
        print(f"  {name:<26}{phases.get(name, 0.0):6.2f} s")
    other = total - sum(phases.get(n, 0.0) for n in order)
    print(f"  {'other (write .npy, rename)':<26}{other:6.2f} s")
    seconds, files = validation_time()
    print(f"  fontTools validation alone: {seconds:.2f} s for {files} files on one core "
          f"(inside the pool above)")


if __name__ == "__main__":
    main()

"""All of ambictl's speed and fidelity figures in one run, for the README's "Quality and speed".

    python benchmarks/bench.py [--dataset DIR] [--skip-dataset] [--skip-make] [--weights PATH]
                               [--steps 10] [--threads N]

1. dataset: `build-dataset` on the bundled fonts (64 px, 62 characters), glyphs per second;
2. training: generator steps per second on the CPU (GanTrainer, default sizes, batch 32; the
   recognisers are untrained, which costs the same);
3. make (only when ambictl.ambigram exists): cold `ambictl make dear read -o out.svg` wall time in
   a subprocess, in-process latency of 8 letters x 16 candidates (with make's case and style
   search, and without it: what the search costs), the SVG's fidelity (IoU of
   the outline rasterised back against the bitmap) and size, and the time to trace one of the
   model's glyphs into its outline as `make` (and eval's `delivered`) does, on one core.
The date, machine, torch threads and load average are printed first: on a busy machine the
timings measure the machine, not the code.
"""

from __future__ import annotations

import argparse
import datetime
import importlib.util
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))  # bench_dataset beside this file

ROOT = Path(__file__).resolve().parent.parent
MAKE_WORDS = [("dear", "read"), ("ambigram", "ambigram"), ("SWIMS", "SWIMS"), ("pod", "pod"),
              ("sense", "sense"), ("nun", "nun")]


def header() -> None:
    import torch

    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"ambictl benchmark, {datetime.date.today().isoformat()}, {platform.machine()} "
          f"{platform.processor() or platform.system()}, {os.cpu_count()} CPUs, torch "
          f"{torch.__version__} with {torch.get_num_threads()} threads, load average {load:.2f}")


def bench_dataset(out: Path, workers: int) -> Path:
    from bench_dataset import TARGET, build_once

    total, _, manifest = build_once(out, workers, 64)
    glyphs = manifest["counts"]["glyphs"]
    print(f"dataset: {glyphs} glyphs from {manifest['counts']['fonts']} bundled fonts in "
          f"{total:.1f} s = {glyphs / total:.0f} glyphs/s with {workers} workers "
          f"(target >= {TARGET})")
    return out


def bench_training(dataset: Path, steps: int) -> None:
    import torch

    from ambictl.dataset import load_dataset
    from ambictl.device import Dist
    from ambictl.glyphs import GlyphTable
    from ambictl.models import ModelConfig
    from ambictl.readers import Recognizer
    from ambictl.training import GanTrainer, TrainConfig

    glyph_set = load_dataset(dataset, "train", verify=False)
    table = GlyphTable(glyph_set, ModelConfig(chars=glyph_set.chars).image_size)
    tcfg = TrainConfig()
    mcfg = ModelConfig(chars=glyph_set.chars, **tcfg.model)
    recognizers = [Recognizer(len(glyph_set.chars), k).eval() for k in tcfg.recognizer_kinds]
    trainer = GanTrainer(mcfg, tcfg, table, recognizers, torch.device("cpu"), Dist())
    for _ in range(2):  # warm-up: allocator, first-call overheads
        trainer.train_step()
    t = time.perf_counter()
    for _ in range(steps):
        trainer.train_step()
    rate = steps / (time.perf_counter() - t)
    print(f"training: {rate:.2f} generator steps/s on the CPU (batch {tcfg.batch_size}, "
          f"{steps} steps timed); {tcfg.steps} default steps = {tcfg.steps / rate / 60:.0f} min")


def bench_make(weights: str | None, repeat: int) -> None:
    if importlib.util.find_spec("ambictl.ambigram") is None:
        print("make: skipped, ambictl.ambigram (the make module) is not installed")
        return
    import numpy as np

    from ambictl.ambigram import load_model, make_ambigram
    from ambictl.errors import AmbictlError

    try:
        model = load_model(weights)
    except AmbictlError as e:
        print(f"make: skipped, no model to run ({e})")
        return
    cold = []
    with tempfile.TemporaryDirectory() as tmp:
        cmd = [sys.executable, "-m", "ambictl", "make", "dear", "read", "-o",
               str(Path(tmp) / "out.svg"), "-q"] + (["--weights", weights] if weights else [])
        for _ in range(repeat):
            t = time.perf_counter()
            proc = subprocess.run(cmd, capture_output=True, text=True)
            cold.append(time.perf_counter() - t)
            if proc.returncode != 0:
                print(f"make: cold run failed: {proc.stderr.strip()[-200:]}")
                return
    print(f"make cold (subprocess, dear/read to SVG): median {statistics.median(cold):.2f} s, "
          f"best {min(cold):.2f} s (target <= 3 s)")
    make_ambigram("warm", "warm", weights=model)
    for what, options in (("defaults: case and style search", {}),
                          ("--case keep --style 0: no search", {"case": "keep", "style": 0})):
        lat = []
        for _ in range(max(repeat, 3)):
            t = time.perf_counter()
            make_ambigram("ambigram", "ambigram", candidates=16, weights=model, **options)
            lat.append(time.perf_counter() - t)
        print(f"make in-process, 8 letters x 16 candidates, {what}: median "
              f"{statistics.median(lat):.3f} s")
    try:
        from ambictl.output import place
        from ambictl.vectorize import rasterize
    except ImportError as e:
        print(f"make SVG fidelity: skipped ({e})")
        return
    ious, sizes = [], []
    for w1, w2 in MAKE_WORDS:
        if not set(w1 + w2) <= set(model.chars):
            continue
        amb = make_ambigram(w1, w2, weights=model)
        back = rasterize(place(amb.outlines, amb.offsets), amb.bitmap.shape) > 0.5
        ink = amb.bitmap > 0.5
        ious.append(float((back & ink).sum() / max((back | ink).sum(), 1)))
        sizes.append(len(amb.to_svg().encode()) * 6 / len(w1))
    if ious:
        print(f"make SVG: IoU with the bitmap mean {np.mean(ious):.4f}, min {min(ious):.4f} "
              f"(target >= 0.97); size per 6 letters mean {np.mean(sizes) / 1024:.1f} KB "
              "(target <= 30 KB)")
    bench_trace(model, repeat)


def bench_trace(model, repeat: int) -> None:  # a loaded ambictl.ambigram.Model
    """Tracing, timed on the model's own glyphs (the words above), best of `repeat` rounds."""
    import numpy as np

    from ambictl.ambigram import make_ambigram, trace_glyphs

    glyphs = np.concatenate([make_ambigram(w1, w2, weights=model).glyphs
                             for w1, w2 in MAKE_WORDS if set(w1 + w2) <= set(model.chars)])
    trace_glyphs(glyphs[:1])  # warm imports and caches
    best = float("inf")
    for _ in range(max(repeat, 3)):
        t = time.perf_counter()
        trace_glyphs(glyphs)
        best = min(best, (time.perf_counter() - t) / len(glyphs))
    print(f"trace (make's settings, one process): {best * 1000:.1f} ms per glyph, best of "
          f"{max(repeat, 3)} rounds over {len(glyphs)} of the model's glyphs "
          f"({model.config.image_size} px)")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--dataset", type=Path, default=None,
                    help="existing data set for the training figure (skips no build)")
    ap.add_argument("--skip-dataset", action="store_true", help="do not time build-dataset")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--steps", type=int, default=10, help="generator steps to time")
    ap.add_argument("--weights", default=None, help="model for make [default: shipped]")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--threads", type=int, default=None,
                    help="torch CPU threads (on a busy machine 1 can beat 2 by far)")
    ap.add_argument("--skip-make", action="store_true", help="do not time make")
    args = ap.parse_args()
    if args.threads:
        import torch

        torch.set_num_threads(args.threads)
    header()
    with tempfile.TemporaryDirectory(prefix="ambictl-bench-") as tmp:
        dataset = args.dataset
        if not args.skip_dataset:
            built = bench_dataset(Path(tmp) / "ds", args.workers)
            dataset = dataset or built
        dataset = dataset or (ROOT / "data" / "glyphs")
        if (Path(dataset) / "manifest.json").is_file():
            bench_training(Path(dataset), args.steps)
        else:
            print(f"training: skipped, no data set at {dataset} (pass --dataset)")
    if args.skip_make:
        print("make: skipped (--skip-make)")
    else:
        bench_make(args.weights, args.repeat)


if __name__ == "__main__":
    main()

"""Benchmark `ambictl make`: cold start, in-process latency, vector fidelity and size.

    python benchmarks/bench_make.py [--weights PATH] [--repeat 3]

Targets (issue 4): cold `ambictl make dear read -o out.svg` <= 3 s wall on 2 cores; in-process
8 letters x 16 candidates <= 0.3 s; the SVG rasterised back at the model's resolution matches
the bitmap with IoU >= 0.97; <= 30 KB for a 6-letter word. The machine's load average is printed
too: on a busy machine the timings are not the code's.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

WORDS = [("dear", "read"), ("ambigram", "ambigram"), ("SWIMS", "SWIMS"), ("pod", "pod"),
         ("Hello", "olleH"), ("69", "69"), ("sense", "sense"), ("nun", "nun")]


def cold_start(weights: str | None, repeat: int) -> list[float]:
    times = []
    with tempfile.TemporaryDirectory() as tmp:
        cmd = [sys.executable, "-m", "ambictl", "make", "dear", "read", "-o",
               str(Path(tmp) / "out.svg"), "-q"]
        if weights:
            cmd += ["--weights", weights]
        for _ in range(repeat):
            t = time.perf_counter()
            subprocess.run(cmd, check=True)
            times.append(time.perf_counter() - t)
    return times


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--weights", default=None, help="model file [default: the shipped one]")
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    print(f"load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs")

    cold = cold_start(args.weights, args.repeat)
    print(f"cold start: median {statistics.median(cold):.2f} s, best {min(cold):.2f} s "
          "(target <= 3 s)")

    from ambictl.ambigram import load_model, make_ambigram
    from ambictl.output import place
    from ambictl.vectorize import rasterize

    model = load_model(args.weights)
    make_ambigram("warm", "warm", weights=model)
    t8 = []
    for _ in range(max(args.repeat, 3)):
        t = time.perf_counter()
        make_ambigram("ambigram", "ambigram", candidates=16, weights=model)
        t8.append(time.perf_counter() - t)
    print(f"in-process 8 letters x 16 candidates: median {statistics.median(t8):.3f} s, best "
          f"{min(t8):.3f} s (target <= 0.3 s)")

    ious, sizes = [], []
    for w1, w2 in WORDS:
        if not set(w1 + w2) <= set(model.chars):
            continue
        amb = make_ambigram(w1, w2, weights=model)
        back = rasterize(place(amb.outlines, amb.offsets), amb.bitmap.shape) > 0.5
        ink = amb.bitmap > 0.5
        ious.append(float((back & ink).sum() / max((back | ink).sum(), 1)))
        size = len(amb.to_svg().encode())
        sizes.append(size * 6 / len(w1))
        print(f"  {w1:>9} / {w2:<9} IoU {ious[-1]:.4f}  SVG {size / 1024:.1f} KB  legibility "
              f"{amb.legibility:.2f}")
    print(f"SVG IoU at model resolution: mean {np.mean(ious):.4f}, min {min(ious):.4f} "
          "(target >= 0.97)")
    print(f"SVG size per 6 letters: mean {np.mean(sizes) / 1024:.1f} KB, max "
          f"{max(sizes) / 1024:.1f} KB (target <= 30 KB)")


if __name__ == "__main__":
    main()

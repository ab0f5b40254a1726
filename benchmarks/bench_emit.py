"""Milliseconds per emit of the seed Sigma rule, for each target (pySigma parse, pipeline, backend).

Each call parses the YAML afresh and builds a fresh pipeline and backend,
as `emit` always does; the figure is the median of 50 calls after one
warm-up call (the first call also imports pySigma and the backend).

Usage: `python -m benchmarks emit`.
"""

from __future__ import annotations

import statistics
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT / "tests" / "fixtures" / "sigma" / "seed.yml"
CALLS = 50


def main() -> None:
    from converters.emit import TARGETS, emit

    text = SEED.read_text(encoding="utf-8")
    total = 0.0
    for name in TARGETS:
        start = time.perf_counter()
        emit(text, name)
        first = (time.perf_counter() - start) * 1000
        times = []
        for _ in range(CALLS):
            start = time.perf_counter()
            emit(text, name)
            times.append((time.perf_counter() - start) * 1000)
        median = statistics.median(times)
        total += median
        print(f"{name:16s} median {median:7.2f} ms/emit   first call {first:7.1f} ms")
    print(f"{'all targets':16s} {total:7.2f} ms per rule")


if __name__ == "__main__":
    main()

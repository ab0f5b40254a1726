"""The corpus figures side by side, in one run: convert against bare pySigma, validate, prove, memory.

Each command runs as `ruleport` would in CI, in its own process, on every core
(`--jobs` defaults to the CPU count); its wall time and the peak resident memory
of the largest process it ran (workers and the Lucene JVM included) are
printed next to the budget it is held to (issue figures: convert at least as
fast as bare pySigma per rule-target conversion, validate under 3 s, prove under
5 minutes, every process under 500 MB).

Usage: `python -m benchmarks corpus` (needs ../shared: the Elastic corpus).
"""

from __future__ import annotations

import multiprocessing
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

from benchmarks import bench_convert

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT.parent / "shared" / "corpus" / "elastic-detection-rules"
RULEPORT = str(Path(sys.executable).with_name("ruleport"))


def _run(cmd: list[str], conn) -> None:
    start = time.perf_counter()
    proc = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    elapsed = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024   # the largest descendant
    last = (proc.stderr.strip().splitlines() or [""])[-1]
    conn.send({"seconds": elapsed, "peak_mb": peak, "code": proc.returncode, "last": last,
               "stdout": proc.stdout})


def measure(cmd: list[str]) -> dict:
    """Wall time and the peak RSS of the largest process of `cmd`, measured from a fresh process."""
    ctx = multiprocessing.get_context("fork")
    parent, child = ctx.Pipe(duplex=False)
    proc = ctx.Process(target=_run, args=(cmd, child))
    proc.start()
    child.close()
    row = parent.recv()
    proc.join()
    return row


def main() -> None:
    if not CORPUS.is_dir():
        print(f"skipped: {CORPUS} is missing")
        return
    cores = os.cpu_count() or 1
    texts = bench_convert._sigma_rules()
    bare = bench_convert._measure(bench_convert._bare, texts)
    convert = bench_convert._measure(bench_convert._ruleport, cores)
    validate = measure([RULEPORT, "validate", str(CORPUS), "--format", "json"])
    prove = measure([RULEPORT, "prove", str(CORPUS), "--format", "json"])
    bare_rate = bare["pairs"] / bare["seconds"]
    rate = convert["pairs"] / convert["seconds"]
    print(f"corpus: {convert['rules']} rules ({convert['translated']} translated to Sigma); {cores} cores")
    print(f"{'measure':<44} {'figure':>14} {'budget':>14} {'peak MB':>8}")
    rows = [
        ("bare pySigma, 5 stock backends (pairs/s)", f"{bare_rate:,.0f}", "baseline", bare["rss_mb"]),
        ("ruleport convert, 8 SIEM targets (pairs/s)", f"{rate:,.0f}", f">= {bare_rate:,.0f}", convert["rss_mb"]),
        ("  ratio to bare pySigma", f"{rate / bare_rate:.2f}", ">= 1.00", None),
        ("ruleport validate (s)", f"{validate['seconds']:.1f}", "< 3.0", validate["peak_mb"]),
        ("ruleport prove, all targets (s)", f"{prove['seconds']:.1f}", "< 300", prove["peak_mb"]),
    ]
    for label, figure, budget, peak in rows:
        print(f"{label:<44} {figure:>14} {budget:>14} {'' if peak is None else f'{peak:.0f}':>8}")
    print("memory budget: < 500 MB for the largest process of each command")
    print(f"prove: {prove['last']}")


if __name__ == "__main__":
    main()

"""The corpus figures side by side, in one run: convert against bare pySigma, validate, prove, memory.

Each command runs as `ruleport` would in CI, in its own process, on every core
(`--jobs` defaults to the CPU count); its wall time and the peak resident memory
of the largest process it ran (workers and the Lucene JVM included) are
printed next to the budget it is held to (issue figures: convert at least as
fast as bare pySigma per rule-target conversion, validate under 3 s, prove under
5 minutes, every process under 500 MB).

How memory is measured: `getrusage(RUSAGE_CHILDREN).ru_maxrss` in a fresh
process that only runs the command gives the peak RSS of the largest process of
the command that was waited for. A process whose parent never waits for it (a
helper JVM that outlives its worker) escapes it, so on Linux a sampler also reads
every descendant's `VmHWM` (its own peak RSS, kept by the kernel) from /proc
every 0.1 s, by role: the command's own process (the parent), the largest worker
process, the largest Lucene helper JVM. A process's growth in its last 0.1 s can
escape the sampler, never the rusage figure.

Usage: `python -m benchmarks corpus` (needs ../shared: the Elastic corpus).
"""

from __future__ import annotations

import os
import resource
import subprocess
import sys
import threading
import time
from pathlib import Path

from benchmarks import bench_convert

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT.parent / "shared" / "corpus" / "elastic-detection-rules"
RULEPORT = str(Path(sys.executable).with_name("ruleport"))


def _status_kb(pid: int, key: str) -> int:
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith(key):
                    return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return 0


def _descendants(root: int) -> dict[int, str]:
    """pid -> role ("parent", "worker", "jvm", "other") of `root` and every process under it (Linux /proc)."""
    parents, names = {}, {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as f:
                    stat = f.read()
            except OSError:
                continue
            name, rest = stat[stat.index("(") + 1:stat.rindex(")")], stat[stat.rindex(")") + 2:].split()
            parents[int(entry)], names[int(entry)] = int(rest[1]), name
    roles, frontier = {root: "parent"}, [root]
    while frontier:
        pid = frontier.pop()
        for child, parent in parents.items():
            if parent == pid and child not in roles:
                roles[child] = "jvm" if names[child] == "java" else "worker" if "python" in names[child] or \
                    names[child] == "ruleport" else "other"
                frontier.append(child)
    return roles


class _Sampler(threading.Thread):
    """The peak RSS (VmHWM) of each process under `pid`, by role, sampled every `every` seconds."""

    def __init__(self, pid: int, every: float = 0.1):
        super().__init__(daemon=True)
        self.pid, self.every, self.done = pid, every, threading.Event()
        self.peaks: dict[str, int] = {}
        self.counts: dict[str, set] = {}

    def run(self) -> None:
        while not self.done.is_set():
            for pid, role in _descendants(self.pid).items():
                self.peaks[role] = max(self.peaks.get(role, 0), _status_kb(pid, "VmHWM"))
                self.counts.setdefault(role, set()).add(pid)
            self.done.wait(self.every)


def _run(cmd: list[str], conn) -> None:
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    sampler = _Sampler(proc.pid) if os.path.isdir("/proc/self") else None
    if sampler:
        sampler.start()
    stdout, stderr = proc.communicate()
    elapsed = time.perf_counter() - start
    if sampler:
        sampler.done.set()
        sampler.join()
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024   # the largest descendant waited for
    roles = {role: kb / 1024 for role, kb in (sampler.peaks if sampler else {}).items()}
    counts = {role: len(pids) for role, pids in (sampler.counts if sampler else {}).items()}
    last = (stderr.strip().splitlines() or [""])[-1]
    conn.send({"seconds": elapsed, "peak_mb": max([peak, *roles.values()]), "roles": roles, "counts": counts,
               "code": proc.returncode, "last": last, "stdout": stdout})


def measure(cmd: list[str]) -> dict:
    """Wall time and the peak RSS of the largest process of `cmd`, measured from a fresh process."""
    return bench_convert._measure(_run, cmd)


def main() -> None:
    if not CORPUS.is_dir():
        print(f"skipped: {CORPUS} is missing")
        return
    cores = os.cpu_count() or 1
    texts = bench_convert._sigma_rules()
    bare = bench_convert._measure(bench_convert._bare, texts)
    convert = bench_convert._measure(bench_convert._ruleport, cores)
    validate = measure([RULEPORT, "validate", str(CORPUS), "--format", "json"])
    prove = measure([RULEPORT, "prove", str(CORPUS), "--format", "json", "--jobs", str(cores)])
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
    for role, label in (("parent", "parent process"), ("worker", "largest worker"), ("jvm", "largest Lucene JVM")):
        if role in prove["roles"]:
            count = prove["counts"][role]
            rows.append((f"  prove peak RSS, {label} (of {count})", f"{prove['roles'][role]:.0f} MB", "< 500 MB", None))
    for label, figure, budget, peak in rows:
        print(f"{label:<44} {figure:>14} {budget:>14} {'' if peak is None else f'{peak:.0f}':>8}")
    print("memory budget: < 500 MB for the largest process of each command; peak MB: the largest process")
    print("(rusage of the waited-for descendants, and /proc VmHWM sampled every 0.1 s per process; see the docstring)")
    print(f"prove: {prove['last']}")


if __name__ == "__main__":
    main()

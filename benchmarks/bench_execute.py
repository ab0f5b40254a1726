"""Events per second of each executor on 100,000 generated events (the seed rule's queries).

Events are seeded variations of the seed fixture
(benchmarks.variations: other users, hosts, process ids, drive
letters, letter case, extra arguments), so the mix of matching and
non-matching events stays close to the fixture's. They are
generated once; each target runs in a forked child that renders them for
its platform (not timed), then times `executor.run(query, records)` on the query `ruleport
convert` emits for that target, best of three runs. Peak RSS is the child's, the generated
events and the platform's records included; Lucene's JVM is a process of
its own and not counted (getrusage cannot tell its peak from the fork that
started it).

Usage: `python -m benchmarks execute` (make bench runs it with the others);
`python benchmarks/bench_execute.py N` tries another number of events.
"""

from __future__ import annotations

import json
import multiprocessing
import resource
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SEED_RULE = ROOT / "rules" / "windows" / "execution_nodejs_susp_patterns.toml"
SEED_EVENTS = ROOT / "tests" / "fixtures" / "windows" / "execution_nodejs_susp_patterns.jsonl"
EVENTS = 100_000
REPEAT = 3
SEED = 20250821

def generate(n: int = EVENTS, seed: int = SEED) -> list[dict]:
    """`n` variations of the fixture events (benchmarks.variations), the same for the same seed."""
    from benchmarks.variations import variations

    base = [json.loads(line) for line in SEED_EVENTS.read_text(encoding="utf-8").splitlines() if line.strip()]
    return [event for _, event in variations(base, n, seed)]


def _child(label: str, spec, query: str, events: list[dict], conn) -> None:
    make, platform = spec
    try:
        executor = make()
        reason = executor.unavailable()
        if reason:
            conn.send({"label": label, "skipped": reason})
            return
        records, _ = platform.records(events)
        elapsed = float("inf")
        for _ in range(REPEAT):  # best of REPEAT: the machine is shared, the minimum is the least disturbed
            start = time.perf_counter()
            matched = executor.run(query, records)
            elapsed = min(elapsed, time.perf_counter() - start)
        conn.send({"label": label, "engine": executor.engine, "records": len(records), "matched": len(matched),
                   "seconds": elapsed,
                   "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024})
    except Exception as exc:  # a benchmark row, not a crash: show what failed
        conn.send({"label": label, "error": f"{type(exc).__name__}: {' '.join(str(exc).split())[:120]}"})
    finally:
        conn.close()


def _columns():
    """(label, (executor factory, platform model), query or None, why there is no query) for the
    original rule and each target."""
    from converters.convert import convert_file
    from converters.emit.targets import TARGETS
    from converters.load import load_rule
    from converters.platforms.models import ELASTIC
    from converters.prove.matrix import ORIGINAL

    rule = load_rule(SEED_RULE).rule
    rows = [("original", (ORIGINAL[rule["language"]], ELASTIC), rule["query"], None)]
    conversion = convert_file(SEED_RULE, str(SEED_RULE.relative_to(ROOT)), list(TARGETS))
    for name, target in TARGETS.items():
        spec = (target.executor, target.platform)
        if name in conversion.outputs:
            rows.append((name, spec, conversion.outputs[name], None))
        else:
            why = "; ".join(e["message"] for e in conversion.errors if e["target"] in (None, name))
            rows.append((name, spec, None, why or "nothing emitted"))
    return rows


def main(n: int = EVENTS) -> None:
    ctx = multiprocessing.get_context("fork")
    events = generate(n)  # once, before forking: every child shares it
    print(f"{n} generated events (seed {SEED}); best of {REPEAT} executor.run times; peak RSS of the child process")
    print(f"{'target':<15} {'records':>8} {'matched':>8} {'seconds':>8} {'events/s':>10} {'peak MB':>8}  engine")
    for label, spec, query, why in _columns():
        if query is None:
            print(f"{label:<15} {'-':>8} {'-':>8} {'-':>8} {'-':>10} {'-':>8}  no query: {why[:80]}")
            continue
        parent, child = ctx.Pipe(duplex=False)
        proc = ctx.Process(target=_child, args=(label, spec, query, events, child))
        proc.start()
        child.close()
        try:
            row = parent.recv()
        except EOFError:
            row = {"label": label, "error": "the benchmark process died"}
        proc.join()
        if "skipped" in row or "error" in row:
            print(f"{label:<15} {'-':>8} {'-':>8} {'-':>8} {'-':>10} {'-':>8}  "
                  f"{'skipped: ' + row['skipped'] if 'skipped' in row else 'ERROR ' + row['error']}")
            continue
        rate = row["records"] / row["seconds"] if row["seconds"] else float("inf")
        peak = f"{row['rss_mb']:.0f}"
        print(f"{label:<15} {row['records']:>8} {row['matched']:>8} {row['seconds']:>8.2f} {rate:>10,.0f} "
              f"{peak:>8}  {row['engine']}", flush=True)


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    main(int(sys.argv[1]) if len(sys.argv) > 1 else EVENTS)

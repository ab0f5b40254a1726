"""Corpus convert against bare pySigma on the same Sigma rules, side by side in one run.

- ruleport: `convert_file` (load, translate, emit) for every rule of the corpus and every SIEM
  target (all targets but `sigma`), as `ruleport convert` runs it; one process, then all cores.
- bare pySigma: each of ruleport's Sigma rules parsed once (SigmaCollection.from_yaml) and
  converted by the stock Lucene, EQL, ES|QL, Splunk and Kusto backends (no pipelines, built once).
The rate is rule-target conversions per second (a refusal counts as a conversion done); the ratio
is ruleport's rate over bare pySigma's. Peak RSS is each measuring process's own.

Usage: `python -m benchmarks convert` (needs ../shared: the Elastic corpus).
"""

from __future__ import annotations

import multiprocessing
import os
import resource
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT.parent / "shared" / "corpus" / "elastic-detection-rules"


def _files() -> list[tuple[str, str]]:
    from converters.load import iter_rule_paths

    return [(str(f), shown) for f, shown in iter_rule_paths(str(CORPUS))]


def _siem_targets() -> list[str]:
    from converters.emit.targets import TARGETS

    return [t for t in TARGETS if t != "sigma"]


def _ruleport(jobs: int, conn) -> None:
    from converters.convert import convert_files

    files, targets = _files(), _siem_targets()
    start = time.perf_counter()
    results = convert_files(files, targets, jobs=jobs)
    elapsed = time.perf_counter() - start
    translated = sum(1 for r in results if not any(e["target"] is None for e in r.errors))
    conn.send({"seconds": elapsed, "pairs": translated * len(targets), "rules": len(files),
               "translated": translated, "rss_mb": _peak_mb()})


def _peak_mb() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return max(own, children) / 1024


def _sigma_rules() -> list[str]:
    from converters.errors import RuleportError
    from converters.load import load_rule
    from converters.translate import translate_rule

    out = []
    for f, shown in _files():
        try:
            out.append(translate_rule(load_rule(f, shown)).sigma_yaml)
        except RuleportError:
            continue
    return out


def _bare(texts: list[str], conn) -> None:
    from sigma.backends.elasticsearch import EqlBackend, ESQLBackend, LuceneBackend
    from sigma.backends.kusto import KustoBackend
    from sigma.backends.splunk import SplunkBackend
    from sigma.collection import SigmaCollection

    backends = [LuceneBackend(), EqlBackend(), ESQLBackend(), SplunkBackend(), KustoBackend()]
    start = time.perf_counter()
    pairs = 0
    for text in texts:
        collection = SigmaCollection.from_yaml(text)
        for backend in backends:
            pairs += 1
            try:
                backend.convert(collection)
            except Exception:  # a refusal is a conversion done, as for ruleport
                pass
    conn.send({"seconds": time.perf_counter() - start, "pairs": pairs, "rss_mb": _peak_mb()})


def _measure(target, *args) -> dict:
    ctx = multiprocessing.get_context("fork")
    parent, child = ctx.Pipe(duplex=False)
    proc = ctx.Process(target=target, args=(*args, child))
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
    texts = _sigma_rules()
    bare = _measure(_bare, texts)
    one = _measure(_ruleport, 1)
    every = _measure(_ruleport, cores) if cores > 1 else one
    bare_rate = bare["pairs"] / bare["seconds"]
    print(f"{'run':<34} {'pairs':>7} {'seconds':>8} {'pairs/s':>9} {'ratio':>6} {'peak MB':>8}")
    print(f"{'bare pySigma (5 stock backends)':<34} {bare['pairs']:>7} {bare['seconds']:>8.1f} "
          f"{bare_rate:>9,.0f} {1.0:>6.2f} {bare['rss_mb']:>8.0f}")
    for label, row in (("ruleport convert, 1 job", one), (f"ruleport convert, {cores} jobs", every)):
        rate = row["pairs"] / row["seconds"]
        print(f"{label:<34} {row['pairs']:>7} {row['seconds']:>8.1f} {rate:>9,.0f} {rate / bare_rate:>6.2f} "
              f"{row['rss_mb']:>8.0f}")
    print(f"({one['rules']} corpus rules, {one['translated']} translated to Sigma; "
          f"{len(_siem_targets())} SIEM targets each)")


if __name__ == "__main__":
    main()

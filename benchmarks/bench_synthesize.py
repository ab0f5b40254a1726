"""Event synthesis over the whole Elastic corpus: what it builds, how well, how fast.

For every EQL and kuery rule of ../shared/corpus/elastic-detection-rules:
whether synthesis succeeds (or which refusal), whether its events include
both a match and a non-match (else the proof is vacuous), the share of
branches (DNF conjuncts, or a cover's) an event the rule matches satisfies,
the number of events and the time per rule. Every event is also checked for
internal consistency (tests/prove/synthesis_checks.py). Rules run in worker
processes (one per CPU), so times are per rule, not wall time.

Usage: `python -m benchmarks synthesize` (make bench runs it with the others);
`python benchmarks/bench_synthesize.py [CORPUS_DIR] [--json FILE]`.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT.parent / "shared" / "corpus" / "elastic-detection-rules"


def survey(corpus: Path, jobs: int | None = None) -> tuple[dict, list[dict]]:
    from tests.prove.synthesis_checks import summarize, survey_rule

    paths = sorted(str(p) for p in corpus.rglob("*.toml"))
    with multiprocessing.Pool(jobs or os.cpu_count() or 1) as pool:
        results = [r for r in pool.map(survey_rule, paths, chunksize=4) if r is not None]
    return summarize(results), results


def main(argv: list[str] | None = None) -> None:
    args = list(argv or [])
    out = None
    if "--json" in args:
        i = args.index("--json")
        out = args[i + 1]
        del args[i:i + 2]
    corpus = Path(args[0]) if args else CORPUS
    if not corpus.is_dir():
        print(f"bench_synthesize: {corpus} is missing (../shared is not beside the checkout); skipped")
        return
    sys.path.insert(0, str(ROOT))
    summary, results = survey(corpus)
    for key, value in summary.items():
        print(f"  {key}: {round(value, 4) if isinstance(value, float) else value}")
    if out:
        Path(out).write_text(json.dumps({"summary": summary, "rules": results}, indent=1) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main(sys.argv[1:])

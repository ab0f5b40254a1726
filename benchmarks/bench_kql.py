"""Time parsing every kuery query of the Elastic corpus with converters.kql."""

from __future__ import annotations

import time
import tomllib
from pathlib import Path

CORPUS = Path(__file__).resolve().parent.parent.parent / "shared" / "corpus" / "elastic-detection-rules"


def _queries() -> list[str]:
    out = []
    for sub in ("rules", "rules_building_block"):
        for path in sorted((CORPUS / sub).rglob("*.toml")):
            rule = tomllib.loads(path.read_text(encoding="utf-8")).get("rule", {})
            if rule.get("language") == "kuery" and isinstance(rule.get("query"), str):
                out.append(rule["query"])
    return out


def main() -> None:
    if not CORPUS.exists():
        print(f"skipped: {CORPUS} is missing (../shared is not beside the checkout)")
        return
    from converters.kql import KqlSyntaxError, parse_kql

    queries = _queries()
    chars = sum(len(q) for q in queries)
    best = float("inf")
    failed = 0
    for _ in range(5):
        failed = 0
        start = time.perf_counter()
        for q in queries:
            try:
                parse_kql(q)
            except KqlSyntaxError:
                failed += 1
        best = min(best, time.perf_counter() - start)
    print(f"kql parse: {len(queries)} kuery queries, {chars} chars, {failed} failed")
    print(f"kql parse: best of 5 {best * 1000:.1f} ms total, {best / max(len(queries), 1) * 1e6:.0f} us per query")

"""What the tests share: the repository's paths, and how a test asks for an engine or data set.

Engines and data a test needs skip locally when missing and fail under CI=true,
so a missing engine or corpus can never turn into a green run.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures"
SHARED = ROOT.parent / "shared"
CORPUS = SHARED / "corpus" / "elastic-detection-rules"
SIGMA_SPEC = SHARED / "sigma-specification"
SEED_RULE = ROOT / "rules" / "windows" / "execution_nodejs_susp_patterns.toml"
SEED_EVENTS = FIXTURES / "windows" / "execution_nodejs_susp_patterns.jsonl"
SEED_EXPECT = FIXTURES / "windows" / "execution_nodejs_susp_patterns.expect.json"


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() == "true"


def require(what: str, reason: str | None) -> None:
    """A real engine or data set the test needs: skip locally without it, fail in CI."""
    if reason is None:
        return
    if in_ci():
        pytest.fail(f"{what} must be available in CI: {reason}")
    pytest.skip(reason)


def need_shared(path: Path) -> Path:
    """Return `path` under ../shared, or fail (CI) / skip (locally) when absent."""
    require("../shared", None if path.exists() else f"{path} is missing (../shared is not beside the checkout)")
    return path


def fixture_report(folder: Path, stem: str) -> tuple[int, dict]:
    """`ruleport test --format json` on folder/<stem>.toml with its .jsonl events and .expect.json:
    (exit code, report). Outside CI only Lucene may skip (no Java)."""
    import contextlib
    import io
    import json

    from converters.cli import main

    argv = ["test", str(folder / f"{stem}.toml"), "--events", str(folder / f"{stem}.jsonl"),
            "--expect", str(folder / f"{stem}.expect.json"), "--format", "json"]
    if not in_ci():
        argv.append("--allow-skip")
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = main(argv)
    return code, json.loads(out.getvalue())


def matched(target: str, query: str, events: list[dict]) -> set[int]:
    """The events (their indexes) a target's query matches: run by the target's executor over the
    records its platform model makes of them."""
    from converters.emit.targets import TARGETS  # pySigma loads only for the tests that emit

    spec = TARGETS[target]
    records, origin = spec.platform.records(events)
    return {origin[i] for i in spec.executor().run(query, records)}


def alerted(target: str, query: str, events: list[dict]) -> set[tuple[int, ...]]:
    """The alerts a target's correlation query raises, each as the indexes of its events."""
    from converters.emit.targets import TARGETS

    spec = TARGETS[target]
    records, origin = spec.platform.records(events)
    return {tuple(sorted({origin[i] for i in group})) for group in spec.executor().alerts(query, records)}


def emit_and_match(target: str, sigma_yaml: str, events: list[dict]) -> tuple[set[int], object]:
    """The events a rule's emitted query matches on `target`, and what emit gave."""
    from converters.emit import emit

    out = emit(sigma_yaml, target)
    return matched(target, out.queries[0], events), out

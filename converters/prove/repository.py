"""`ruleport prove`: the proof of every rule of a repository, one status per rule and target.

For each rule under the PATH arguments: the events are DIR/<rule stem>.jsonl
(with DIR/<rule stem>.expect.json when present) from `--events-dir`, or else
synthesized from the rule's query (converters/prove/synthesize.py); then the
`ruleport test` matrix runs (converters/prove/matrix.py) and each target gets
one status:

    agree     every event gets the original's verdict
    accepted  the differences are all explained by declared notes (or the expect file)
    differs   at least one difference nothing explains (`lines`: 1-based event lines)
    refused   the target emits nothing for the rule (`code`: the translate/emit code)
    skipped   the rule or the target cannot be proven here (`code` says why: a query
              language the proof cannot run, an engine that is not installed, events
              that cannot be synthesized)
    error     an engine failed on the emitted query, or the original did

One rule's failure never stops the others. Rules are proven in parallel
over `jobs` worker processes; the report is the same, in the same order, as
with one job.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable

from converters.batch import run_batch
from converters.convert import convert_rule, prepare
from converters.emit.targets import TARGETS
from converters.errors import RuleportError
from converters.load import iter_rule_paths, load_rule
from converters.prove.fixtures import FixtureError, fixture_of, load_events, load_expect
from converters.prove.matrix import Executors, prove_rule, rule_query

STATUSES = ("agree", "accepted", "differs", "refused", "skipped", "error")
FAILING = ("differs", "error")

#: makes the events of a rule with no fixture: (rule file, seed) -> ECS events; raises RuleportError
Synthesizer = Callable[..., list]


@dataclass
class Options:
    targets: list[str] = field(default_factory=lambda: list(TARGETS))
    events_dir: str | None = None
    seed: int = 0
    jobs: int = 1
    synthesize: Synthesizer | None = None


def _status(column: dict) -> dict:
    """One target's status for one rule, from its matrix column."""
    if "emit_error" in column:
        return {"status": "refused", "code": column.get("emit_code"), "lines": []}
    if "skipped" in column:
        return {"status": "skipped", "code": "prove/engine-unavailable", "lines": []}
    if "error" in column:
        return {"status": "error", "code": "prove/engine-error", "lines": [], "message": column["error"]}
    if column.get("agrees") is None:
        return {"status": "error", "code": "prove/no-reference", "lines": []}
    differs = column.get("differs", [])
    unexplained = [d["line"] + 1 for d in differs if d["accepted"] is None]
    if unexplained:
        return {"status": "differs", "code": None, "lines": unexplained}
    if differs:
        codes = sorted({d["accepted"] for d in differs})
        return {"status": "accepted", "code": ",".join(codes), "lines": [d["line"] + 1 for d in differs]}
    return {"status": "agree", "code": None, "lines": []}


def _all(targets: list[str], status: str, code: str | None, message: str | None = None) -> dict:
    entry = {"status": status, "code": code, "lines": []}
    if message:
        entry["message"] = message
    return {t: dict(entry) for t in targets}


_EXECUTORS: Executors | None = None   # per worker process: engines are made once and reused


def prove_one(path: str, display: str, options: Options) -> dict:
    """The proof entry of one rule file (never raises for a problem of that rule)."""
    global _EXECUTORS
    if _EXECUTORS is None:
        _EXECUTORS = Executors()
    entry: dict = {"path": display, "events": 0, "targets": {}}
    try:
        rule_file = load_rule(path, display)
    except RuleportError as exc:
        entry["targets"] = _all(options.targets, "error", exc.code, exc.message)
        return entry
    try:
        rule_query(rule_file)
    except FixtureError as exc:
        entry["targets"] = _all(options.targets, "skipped", exc.code, exc.message)
        return entry
    stem = Path(path).stem
    fixture = expect = None
    try:
        if options.events_dir and (Path(options.events_dir) / f"{stem}.jsonl").is_file():
            events_file = Path(options.events_dir) / f"{stem}.jsonl"
            fixture = load_events(str(events_file))
            expect_file = events_file.with_name(f"{stem}.expect.json")
            if expect_file.is_file():
                expect = load_expect(str(expect_file), fixture, TARGETS)
            entry["events_file"] = str(events_file)
        elif options.synthesize is not None:
            fixture = fixture_of(options.synthesize(rule_file, seed=options.seed), f"(synthesized for {display})")
            entry["events_file"] = None
        else:
            entry["targets"] = _all(options.targets, "skipped", "prove/no-events",
                                    f"no {stem}.jsonl in the events directory")
            return entry
    except RuleportError as exc:
        status = "error" if isinstance(exc, FixtureError) else "skipped"
        entry["targets"] = _all(options.targets, status, exc.code, str(exc))
        return entry
    try:
        conversion = convert_rule(rule_file, options.targets)
        report = prove_rule(rule_file, fixture, expect, options.targets, _EXECUTORS, conversion)
    except Exception as exc:  # a bug on one rule must not stop the others: shown, and fails the run
        entry["targets"] = _all(options.targets, "error", "ruleport/internal", f"{type(exc).__name__}: {exc}")
        return entry
    entry["events"] = report["events"]
    entry["matched"] = len(report["targets"]["original"]["matched"] or [])
    if report["rejected"]:
        entry["rejected"] = report["rejected"]
    if report["warnings"]:
        entry["warnings"] = report["warnings"]
    if report["expect"] is not None and not report["expect"]["ok"]:
        entry["expect_differs"] = [d["line"] + 1 for d in report["expect"]["differs"]]
    entry["targets"] = {t: _status(report["targets"][t]) for t in options.targets}
    return entry


def _work(item: tuple) -> dict:
    return prove_one(*item)


def rule_files(paths: Iterable[str]) -> list[tuple[str, str]]:
    """(file, display path) for every rule under the PATH arguments, each once, in a stable order."""
    out, seen = [], set()
    for arg in paths:
        for f, shown in iter_rule_paths(arg):
            key = os.path.realpath(f)
            if key not in seen:
                seen.add(key)
                out.append((str(f), shown))
    return out


def prove_repository(paths: Iterable[str], options: Options, progress: Callable[[], None] | None = None) -> dict:
    """The whole report: a summary per target and one entry per rule, in file order."""
    files = rule_files(paths)
    work = [(f, d, options) for f, d in files]
    # executors (the Lucene JVM, DuckDB...) start in each worker, on its first rule: never before the fork
    rules = run_batch(_work, work, options.jobs, chunksize=4, warm=lambda: prepare(options.targets),
                      progress=progress)
    return {"summary": summarize(rules, options.targets), "rules": rules}


def summarize(rules: list[dict], targets: list[str]) -> dict:
    summary = {t: dict.fromkeys(STATUSES, 0) for t in targets}
    for rule in rules:
        for t, result in rule["targets"].items():
            summary[t][result["status"]] += 1
    return summary


def exit_code(report: dict) -> int:
    """1 when any target of any rule differs or errs, else 0."""
    failing = any(r["status"] in FAILING for rule in report["rules"] for r in rule["targets"].values())
    return 1 if failing else 0

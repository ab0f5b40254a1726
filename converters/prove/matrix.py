"""The proof matrix: the original rule and every target, run over the same fixture events.

For one rule and one JSONL fixture:
- the original rule's query runs on the Elastic rendering with its own
  language's executor (EQL evaluator, or the KQL executor for a kuery rule);
  its verdicts are the reference (`expected`);
- each target's query is what `ruleport convert` produces for it
  (converters.convert: translate, then emit), run by that target's
  executor (its record in converters.emit.targets) over that target's
  platform rendering (converters.platforms.models);
- an event a platform never receives counts as not matched there;
- a difference on an event is accepted when a note the conversion declared
  for that target (or for the Sigma rule) explains it: its `affects`
  direction fits and its condition holds on that event
  (converters/prove/explain.py); `differs[].accepted` is then the note's code
  and `reason` its message;
- otherwise it is accepted only when the fixture's sidecar `accept` names
  the target and the line, and the conversion declared something for that
  target (a Note or an emit error) that could explain it; an accept entry
  may pin the note code it relies on (`"note": "emit/..."`); `accepted` is
  then "expect" and `reason` the entry's;
- a target that emits nothing (EmitError) matches nothing and disagrees as
  a whole, unless an accept entry names it with `"lines": []` and a reason.

Lines are 0-based physical line numbers of the JSONL file (blank lines are
skipped but counted); messages cite FILE:N with N 1-based.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any, Callable

from converters.convert import convert_rule
from converters.emit.targets import TARGETS
from converters.engine.executor import ExecutionError, Executor
from converters.eql.evaluator import EqlExecutor
from converters.errors import RuleportError
from converters.kql.evaluator import KibanaKqlExecutor
from converters.load import load_rule
from converters.platforms.models import ELASTIC, PlatformModel
from converters.prove.explain import explaining_note
from converters.prove.fixtures import Fixture, FixtureError, load_events, load_expect

#: the original rule's executor, by rule language; the original runs over the Elastic records
ORIGINAL: dict[str, Callable[[], Executor]] = {"eql": EqlExecutor, "kuery": KibanaKqlExecutor}


# --- running ----------------------------------------------------------------

def _run(executor: Executor, queries: list[str], platform: PlatformModel, fixture: Fixture) -> list[int]:
    records, origin = platform.records(fixture.events)
    matched: set[int] = set()
    for query in queries:
        for i in executor.run(query, records):
            matched.add(fixture.lines[origin[i]])
    return sorted(matched)


def _run_column(make: Callable[[], Executor], platform: PlatformModel, queries: list[str],
                fixture: Fixture) -> dict:
    """{"matched": [...], "engine": ...} or {"skipped": reason} / {"error": message}, with matched None."""
    try:
        executor = make()
    except Exception as exc:  # only unavailable() may skip a column; a broken executor is an error
        return {"matched": None, "engine": None, "error": f"cannot load the executor: {type(exc).__name__}: {exc}"}
    column: dict[str, Any] = {"matched": None, "engine": executor.engine}
    reason = executor.unavailable()
    if reason:
        column["skipped"] = reason
        return column
    try:
        adapted = [n for q in queries for n in executor.adaptation_notes(q)]
        if adapted:
            column["adaptation_notes"] = adapted
        column["matched"] = _run(executor, queries, platform, fixture)
    except ExecutionError as exc:
        column["error"] = f"{executor.engine}: {exc}"
    except Exception as exc:  # an executor bug must not hide the other columns; shown, and fails the run
        column["error"] = f"{executor.engine}: internal error: {type(exc).__name__}: {exc}"
    return column


def _accepting(entries: list[dict], target: str, line: int, declared: set[str],
               used: set[int] | None = None) -> str | None:
    """The reason of the accept entry covering (target, line), when the conversion declared a note for it.

    The index of the entry applied is added to `used`."""
    for i, entry in enumerate(entries):
        if entry["target"] != target or line not in entry["lines"]:
            continue
        pinned = entry.get("note")
        if (pinned and pinned in declared) or (not pinned and declared):
            if used is not None:
                used.add(i)
            return entry["reason"]
    return None


def run_matrix(rule_path: str, events_path: str, expect_path: str | None = None,
               targets: list[str] | None = None) -> dict:
    """Run the original rule and each target over the fixture; the result as the JSON report's dict."""
    names = list(TARGETS) if not targets else list(dict.fromkeys(targets))
    unknown = [t for t in names if t not in TARGETS]
    if unknown:
        raise FixtureError(f"unknown target(s) {', '.join(unknown)} (known: {', '.join(TARGETS)})")
    try:
        rule_file = load_rule(rule_path)
    except RuleportError as exc:
        raise FixtureError(exc.message, path=exc.path or rule_path, line=exc.line) from None
    language = rule_file.rule.get("language")
    query = rule_file.rule.get("query")
    if language not in ORIGINAL or not isinstance(query, str):
        raise FixtureError(f"cannot run a {language or 'query-less'} rule (supported: {', '.join(ORIGINAL)})",
                           path=rule_path)
    fixture = load_events(events_path)
    expect = load_expect(expect_path, fixture, TARGETS) if expect_path else None

    original = _run_column(ORIGINAL[language], ELASTIC, [query], fixture)
    if original["matched"] is not None:
        reference: set[int] | None = set(original["matched"])
    else:
        reference = expect.match if expect else None

    conversion = convert_rule(rule_file, names)
    event_at = dict(zip(fixture.lines, fixture.events))
    common_notes = [n for n in conversion.notes if n.target is None]
    columns: dict[str, dict] = {"original": original}
    used_accepts: set[int] = set()
    for name in names:
        notes = common_notes + [n for n in conversion.notes if n.target == name]
        errors = [e for e in conversion.errors if e["target"] in (None, name)]
        declared = {n.code for n in notes} | {e["code"] for e in errors}
        if name in conversion.outputs:
            target = TARGETS[name]
            column = _run_column(target.executor, target.platform, [conversion.outputs[name]], fixture)
            column["query"] = conversion.outputs[name]
            # what the executor itself adapts for its platform is declared like an emit note
            notes = notes + [replace(n, target=name) for n in column.pop("adaptation_notes", [])
                             if replace(n, target=name) not in notes]
        else:
            # nothing emitted: the target detects nothing, and says why
            column = {"matched": [], "engine": None, "emit_error": "; ".join(e["message"] for e in errors)
                      or "nothing emitted"}
        column["notes"] = [n.as_dict() for n in notes]
        column["differs"] = []
        if "skipped" in column or (reference is None and column["matched"] is not None):
            # nothing to compare; but a target that emitted nothing has failed whatever the reference
            column["agrees"] = False if "emit_error" in column else None
        elif column["matched"] is None:
            column["agrees"] = False     # the engine failed on the emitted query
        else:
            got = set(column["matched"])
            differs = []
            # a target that emitted nothing disagrees as a whole, unless an accept entry with no
            # lines names it (then every line it misses is accepted with that entry's reason)
            whole = None
            if "emit_error" in column:
                whole = next((e["reason"] for e in (expect.accept if expect else ())
                              if e["target"] == name and e["lines"] == []), None)
                used_accepts.update(i for i, e in enumerate(expect.accept if expect else ())
                                    if e["target"] == name and e["lines"] == [] and whole is not None)
            # the target's own notes first: they are the more specific explanation
            ordered = [n for n in notes if n.target] + [n for n in notes if not n.target]
            for line in sorted(got ^ reference):
                expected, matched = line in reference, line in got
                entry = {"line": line, "expected": expected, "got": matched, "accepted": None, "reason": None}
                note = explaining_note(ordered, event_at[line], expected, matched)
                if note is not None:
                    entry.update(accepted=note.code, reason=note.message)
                else:
                    reason = whole or _accepting(expect.accept if expect else [], name, line, declared, used_accepts)
                    if reason is not None:
                        entry.update(accepted="expect", reason=reason)
                differs.append(entry)
            column["differs"] = differs
            column["agrees"] = (all(d["accepted"] is not None for d in differs)
                                and ("emit_error" not in column or whole is not None))
        columns[name] = column

    report = {"rule": rule_path, "events": len(fixture.events), "events_file": events_path,
              "event_lines": fixture.lines, "targets": columns, "expect": None}
    if expect:
        got = set(original["matched"]) if original["matched"] is not None else None
        differs = [] if got is None else [
            {"line": line, "expected": line in expect.match, "got": line in got, "why": expect.why.get(line)}
            for line in sorted(got ^ expect.match)]
        report["expect"] = {"ok": got is not None and not differs, "differs": differs,
                            "unused_accept": [i for i in range(len(expect.accept)) if i not in used_accepts],
                            "match": sorted(expect.match),
                            "why": {str(k): v for k, v in sorted(expect.why.items())}}
    ran = [c for c in columns.values() if "skipped" not in c]
    report["agree"] = all(c.get("agrees", True) is not False and "error" not in c for c in ran)
    report["skipped"] = [n for n, c in columns.items() if "skipped" in c]
    return report


def exit_code(report: dict, allow_skip: bool = False) -> int:
    """0 when every target that ran agrees, the expect file holds and nothing was skipped (unless allowed)."""
    if not report["agree"]:
        return 1
    if report["expect"] is not None and not report["expect"]["ok"]:
        return 1
    if report["skipped"] and not allow_skip:
        return 1
    return 0

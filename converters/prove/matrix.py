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
  a whole, unless an accept entry names it with `"lines": []` and a reason;
- a rule that correlates events (EQL sequence or sample, threshold rule) is
  run over the stream in `@timestamp` order by every column, each column
  listing its alerts (the events behind each) and matching their union;
  notes explain its differences on alert groups (converters/prove/correlation.py).

Lines are 0-based physical line numbers of the JSONL file (blank lines are
skipped but counted); messages cite FILE:N with N 1-based.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any, Callable

from converters.convert import Conversion, convert_rule
from converters.emit.targets import TARGETS
from converters.engine.executor import ExecutionError, Executor
from converters.eql.evaluator import EqlExecutor
from converters.errors import RuleportError
from converters.kql.evaluator import KibanaKqlExecutor
from converters.lint.checks_query import fields_of, parse_rule_query
from converters.load import RuleFile, load_rule
from converters.platforms.models import ELASTIC, PlatformModel
from converters.prove.correlation import correlation_kind, eql_original, original_executor, time_ordered
from converters.prove.explain import explaining_note
from converters.prove.stream_explain import StreamContext
from converters.prove.stream_explain import explaining_note as explaining_stream_note
from converters.prove.fixtures import Expectation, Fixture, FixtureError, load_events, load_expect

#: the original rule's executor, by rule language; the original runs over the Elastic records
ORIGINAL: dict[str, Callable[[], Executor]] = {"eql": EqlExecutor, "kuery": KibanaKqlExecutor}


# --- running ----------------------------------------------------------------

def _run(executor: Executor, queries: list[str], platform: PlatformModel, fixture: Fixture) -> list[int]:
    records, origin = fixture.records(platform)
    matched: set[int] = set()
    for query in queries:
        for i in executor.run(query, records):
            matched.add(fixture.lines[origin[i]])
    return sorted(matched)


def _run_alerts(executor: Executor, queries: list[str], platform: PlatformModel, fixture: Fixture) -> list[list[int]]:
    """A correlation's alerts: for each, the lines of the events behind it."""
    records, origin = fixture.records(platform)
    found: list[list[int]] = []
    for query in queries:
        for group in executor.alerts(query, records):
            lines = sorted({fixture.lines[origin[i]] for i in group})
            if lines not in found:
                found.append(lines)
    return found


def _run_column(make: Callable[[], Executor], platform: PlatformModel, queries: list[str],
                fixture: Fixture, executors: Executors, alerts: bool = False) -> dict:
    """{"matched": [...], "engine": ...} or {"skipped": reason} / {"error": message}, with matched None."""
    try:
        executor = executors.get(make)
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
        if alerts:
            column["alerts"] = _run_alerts(executor, queries, platform, fixture)
            column["matched"] = sorted({line for group in column["alerts"] for line in group})
        else:
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


def rule_query(rule_file: RuleFile) -> tuple[str, str]:
    """(language, query) of a rule the proof can run, else FixtureError naming why not."""
    language = rule_file.rule.get("language")
    query = rule_file.rule.get("query")
    if language not in ORIGINAL or not isinstance(query, str):
        raise FixtureError(f"cannot run a {language or 'query-less'} rule (supported: {', '.join(ORIGINAL)})",
                           path=rule_file.path, code="prove/language-unsupported")
    return language, query


def run_matrix(rule_path: str, events_path: str, expect_path: str | None = None,
               targets: list[str] | None = None) -> dict:
    """Run the original rule and each target over a fixture file; the result as the JSON report's dict."""
    names = list(TARGETS) if not targets else list(dict.fromkeys(targets))
    unknown = [t for t in names if t not in TARGETS]
    if unknown:
        raise FixtureError(f"unknown target(s) {', '.join(unknown)} (known: {', '.join(TARGETS)})")
    try:
        rule_file = load_rule(rule_path)
    except RuleportError as exc:
        raise FixtureError(exc.message, path=exc.path or rule_path, line=exc.line) from None
    rule_query(rule_file)
    fixture = load_events(events_path)
    expect = load_expect(expect_path, fixture, TARGETS) if expect_path else None
    return prove_rule(rule_file, fixture, expect, names)


class Executors:
    """Executors made once and reused over many rules (`ruleport prove`): one per target, one per language."""

    def __init__(self):
        self._made: dict[object, Executor] = {}

    def get(self, make: Callable[[], Executor]) -> Executor:
        if make not in self._made:
            self._made[make] = make()
        return self._made[make]


def prove_rule(rule_file: RuleFile, fixture: Fixture, expect: Expectation | None = None,
               targets: list[str] | None = None, executors: Executors | None = None,
               conversion: Conversion | None = None) -> dict:
    """The proof of one loaded rule over one fixture (events already checked): the report's dict."""
    names = list(TARGETS) if not targets else list(targets)
    language, query = rule_query(rule_file)
    executors = executors or Executors()

    kind = correlation_kind(rule_file)
    if kind:
        fixture = time_ordered(fixture)
    plain = eql_original(rule_file.rule) if language == "eql" else ORIGINAL[language]
    original = _run_column(original_executor(rule_file) if kind else plain, ELASTIC, [query],
                           fixture, executors, alerts=bool(kind))
    if original["matched"] is not None:
        reference: set[int] | None = set(original["matched"])
    else:
        reference = expect.match if expect else None

    conversion = conversion or convert_rule(rule_file, names)
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
            column = _run_column(target.executor, target.platform, [conversion.outputs[name]], fixture, executors,
                                 alerts=bool(kind))
            column["query"] = conversion.outputs[name]
            # what the executor itself adapts for its platform is declared like an emit note
            notes = notes + [replace(n, target=name) for n in column.pop("adaptation_notes", [])
                             if replace(n, target=name) not in notes]
        else:
            # nothing emitted: the target detects nothing, and says why
            column = {"matched": [], "engine": None, "emit_error": "; ".join(e["message"] for e in errors)
                      or "nothing emitted", "emit_code": errors[0]["code"] if errors else None}
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
            stream = StreamContext(event_at, [tuple(g) for g in original.get("alerts") or ()],
                                   [tuple(g) for g in column.get("alerts") or ()]) if kind else None
            for line in sorted(got ^ reference):
                expected, matched = line in reference, line in got
                entry = {"line": line, "expected": expected, "got": matched, "accepted": None, "reason": None}
                if stream is not None:
                    note = explaining_stream_note(ordered, line, expected, matched, stream)
                else:
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

    report = {"rule": rule_file.path, "events": len(fixture.events), "events_file": fixture.path,
              "event_lines": sorted(fixture.lines), "rejected": fixture.rejected, "targets": columns, "expect": None,
              "warnings": _warnings(rule_file, language, fixture, original)}
    if kind:
        report["correlation"] = kind
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


def _warnings(rule_file: RuleFile, language: str, fixture: Fixture, original: dict) -> list[str]:
    """What makes a proof weaker than it looks: nothing matched, fields the rule reads that no event has."""
    out = []
    if original.get("matched") == [] and fixture.events:
        out.append(f"the original rule matches none of the {len(fixture.events)} events: every target "
                   "agrees with it vacuously (add events it matches)")
    tree = parse_rule_query(rule_file)[1]
    if tree is not None and fixture.events:
        read = sorted(f for f in fields_of(tree) if not f.startswith("_"))
        docs = ELASTIC.records(fixture.events)[0]
        present = {k.removesuffix(".caseless") for d in docs for k in d}
        prefixes = {p for k in present for p in _prefixes(k)}
        missing = [f for f in read if f not in present and f not in prefixes]
        if missing:
            out.append(f"no event has {', '.join(missing)}, which the rule reads: the proof does not exercise "
                       f"{'them' if len(missing) > 1 else 'it'}")
    return out


def _prefixes(field: str) -> list[str]:
    parts = field.split(".")
    return [".".join(parts[:i]) for i in range(1, len(parts))]


def exit_code(report: dict, allow_skip: bool = False) -> int:
    """0 when every target that ran agrees, the expect file holds and nothing was skipped (unless allowed)."""
    if not report["agree"]:
        return 1
    if report["expect"] is not None and not report["expect"]["ok"]:
        return 1
    if report["skipped"] and not allow_skip:
        return 1
    return 0

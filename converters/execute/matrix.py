"""The proof matrix: the original rule and every target, run over the same fixture events.

For one rule and one JSONL fixture:
- the original rule's query runs on the Elastic rendering with its own
  language's executor (EQL evaluator, or the KQL executor for a kuery rule);
  its verdicts are the reference (`expected`);
- each target's query is what `ruleport convert` produces for it
  (converters.convert.convert_file: translate, then emit), run by that
  target's executor over that target's platform rendering (platforms.py);
- an event a platform never receives counts as not matched there;
- a difference is accepted only when the fixture's sidecar `accept` names
  the target and the line, and the conversion declared something for that
  target (a Note or an emit error) that could explain it; an accept entry
  may pin the note code it relies on (`"note": "emit/..."`);
- a target that emits nothing (EmitError) matches nothing and disagrees as
  a whole, unless an accept entry names it with `"lines": []` and a reason.

Lines are 0-based physical line numbers of the JSONL file (blank lines are
skipped but counted); messages cite FILE:N with N 1-based.
"""

from __future__ import annotations

import importlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from converters.errors import RuleportError
from converters.execute.base import ExecutionError, Executor
from converters.execute.platforms import render_events


class FixtureError(RuleportError):
    """Bad input to the proof harness: events, expect file, rule (exit code 2)."""

    code = "test/bad-input"


@dataclass(frozen=True)
class TargetSpec:
    module: str      # converters.execute.<module>
    executor: str    # executor class (or factory function) in that module, called with no argument
    platform: str    # platforms.RENDERERS key


#: every target the harness proves, in matrix order, with its executor and platform
TARGETS: dict[str, TargetSpec] = {
    "sigma": TargetSpec("sigma_sqlite", "SigmaSqliteExecutor", "sigma"),
    "splunk": TargetSpec("splunk_search", "SplunkSearchExecutor", "sysmon"),
    "splunk-cim": TargetSpec("splunk_search", "SplunkSearchExecutor", "cim"),
    "lucene": TargetSpec("lucene", "LuceneExecutor", "elastic"),
    "eql": TargetSpec("evaluate_eql", "EqlExecutor", "elastic"),
    "esql": TargetSpec("esql", "EsqlExecutor", "elastic"),
    "kibana-kql": TargetSpec("kibana_kql", "KibanaKqlExecutor", "elastic"),
    "kusto-defender": TargetSpec("kusto", "defender_executor", "defender"),
    "kusto-sentinel": TargetSpec("kusto", "sentinel_executor", "asim"),
}

#: the original rule's executor, by rule language
ORIGINAL = {
    "eql": TargetSpec("evaluate_eql", "EqlExecutor", "elastic"),
    "kuery": TargetSpec("kibana_kql", "KibanaKqlExecutor", "elastic"),
}


def load_executor(spec: TargetSpec) -> Executor:
    """The executor named by `spec` (imported on first use: pySigma, Java and the like load only then)."""
    module = importlib.import_module(f"converters.execute.{spec.module}")
    make = getattr(module, spec.executor, None)
    if make is None:
        raise ImportError(f"converters.execute.{spec.module} has no {spec.executor}")
    executor = make()
    if not isinstance(executor, Executor):
        raise ImportError(f"converters.execute.{spec.module}.{spec.executor} did not make an Executor")
    return executor


# --- input ------------------------------------------------------------------

@dataclass
class Fixture:
    path: str
    events: list[dict]
    lines: list[int]          # 0-based physical line of each event


def load_events(path: str) -> Fixture:
    """Read a JSONL fixture: one JSON object per line; blank lines skipped but counted."""
    try:
        raw = Path(path).read_bytes()
    except OSError as exc:
        raise FixtureError(f"cannot read events: {exc.strerror or exc}", path=path) from None
    events, lines = [], []
    for n, line in enumerate(raw.split(b"\n")):
        if not line.strip():
            continue
        try:
            event = json.loads(line)
        except UnicodeDecodeError:
            raise FixtureError("line is not valid UTF-8", path=path, line=n + 1) from None
        except json.JSONDecodeError as exc:
            raise FixtureError(f"not valid JSON: {exc.msg} (column {exc.colno})", path=path, line=n + 1) from None
        if not isinstance(event, dict):
            raise FixtureError(f"an event must be a JSON object, not {type(event).__name__}", path=path, line=n + 1)
        events.append(event)
        lines.append(n)
    return Fixture(path, events, lines)


@dataclass
class Expectation:
    path: str
    match: set[int]
    why: dict[int, str] = field(default_factory=dict)
    accept: list[dict] = field(default_factory=list)


def load_expect(path: str, fixture: Fixture) -> Expectation:
    """Read the sidecar `{"match": [...], "why": {...}, "accept": [...]}` and check it against the fixture."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise FixtureError(f"cannot read expect file: {exc.strerror or exc}", path=path) from None
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        line = getattr(exc, "lineno", None)
        raise FixtureError(f"not valid JSON: {getattr(exc, 'msg', exc)}", path=path, line=line) from None
    if not isinstance(data, dict) or not isinstance(data.get("match"), list):
        raise FixtureError('expected an object with a "match" list of 0-based line numbers', path=path)
    event_lines = set(fixture.lines)

    def check_lines(values, what):
        if not all(isinstance(v, int) and not isinstance(v, bool) for v in values):
            raise FixtureError(f"{what}: line numbers must be integers", path=path)
        bad = sorted(set(values) - event_lines)
        if bad:
            raise FixtureError(f"{what}: no event on 0-based line(s) {', '.join(map(str, bad))} of {fixture.path}",
                               path=path)
        return set(values)

    match = check_lines(data["match"], "match")
    why_raw = data.get("why", {})
    if not isinstance(why_raw, dict):
        raise FixtureError('"why" must map line numbers to one-line reasons', path=path)
    why = {}
    for key, text in why_raw.items():
        if not (isinstance(key, str) and key.isdigit()) or not isinstance(text, str):
            raise FixtureError(f'"why": bad entry {key!r}', path=path)
        why[int(key)] = text
    accept = data.get("accept", [])
    if not isinstance(accept, list):
        raise FixtureError('"accept" must be a list', path=path)
    for i, entry in enumerate(accept):
        if not isinstance(entry, dict) or not {"target", "lines", "reason"} <= set(entry):
            raise FixtureError(f'accept[{i}]: needs "target", "lines" and "reason"', path=path)
        if entry["target"] not in TARGETS:
            raise FixtureError(f'accept[{i}]: unknown target {entry["target"]!r}', path=path)
        if not isinstance(entry["reason"], str) or not entry["reason"].strip():
            raise FixtureError(f'accept[{i}]: the reason must be a non-empty string', path=path)
        if not isinstance(entry["lines"], list):
            raise FixtureError(f'accept[{i}]: "lines" must be a list', path=path)
        check_lines(entry["lines"], f"accept[{i}]")
    return Expectation(path, match, why, accept)


# --- running ----------------------------------------------------------------

def _run(executor: Executor, queries: list[str], platform: str, fixture: Fixture) -> list[int]:
    records, origin = render_events(platform, fixture.events)
    matched: set[int] = set()
    for query in queries:
        for i in executor.run(query, records):
            matched.add(fixture.lines[origin[i]])
    return sorted(matched)


def _run_column(spec: TargetSpec, queries: list[str], fixture: Fixture) -> dict:
    """{"matched": [...], "engine": ...} or {"skipped": reason} / {"error": message}, with matched None."""
    try:
        executor = load_executor(spec)
    except Exception as exc:  # only unavailable() may skip a column; a broken executor is an error
        return {"matched": None, "engine": None, "error": f"cannot load the executor: {type(exc).__name__}: {exc}"}
    column: dict[str, Any] = {"matched": None, "engine": executor.engine}
    reason = executor.unavailable()
    if reason:
        column["skipped"] = reason
        return column
    try:
        column["matched"] = _run(executor, queries, spec.platform, fixture)
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
    from converters.convert import convert_file
    from converters.load import load_rule

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
    expect = load_expect(expect_path, fixture) if expect_path else None

    original = _run_column(ORIGINAL[language], [query], fixture)
    if original["matched"] is not None:
        reference: set[int] | None = set(original["matched"])
    else:
        reference = expect.match if expect else None

    conversion = convert_file(rule_path, rule_path, names)
    common_notes = [n for n in conversion.notes if n.target is None]
    columns: dict[str, dict] = {"original": original}
    used_accepts: set[int] = set()
    for name in names:
        notes = common_notes + [n for n in conversion.notes if n.target == name]
        errors = [e for e in conversion.errors if e["target"] in (None, name)]
        declared = {n.code for n in notes} | {e["code"] for e in errors}
        if name in conversion.outputs:
            column = _run_column(TARGETS[name], [conversion.outputs[name]], fixture)
            column["query"] = conversion.outputs[name]
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
            for line in sorted(got ^ reference):
                reason = whole or _accepting(expect.accept if expect else [], name, line, declared, used_accepts)
                differs.append({"line": line, "expected": line in reference, "got": line in got,
                                "accepted": reason})
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


# --- text -------------------------------------------------------------------

#: short column headings for the text matrix
SHORT = {"original": "orig", "sigma": "sigma", "splunk": "spl", "splunk-cim": "cim", "lucene": "luc",
         "eql": "eql", "esql": "esql", "kibana-kql": "kql", "kusto-defender": "mde", "kusto-sentinel": "asim"}


def _cell(column: dict, line: int) -> str:
    if "skipped" in column:
        return "-"
    if column["matched"] is None:
        return "E"
    mark = "M" if line in column["matched"] else "."
    for d in column.get("differs", ()):
        if d["line"] == line:
            return mark + ("~" if d["accepted"] is not None else "!")
    return mark


def _one_line(text: str, limit: int = 160) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _verdict(flag: bool) -> str:
    return "match" if flag else "no match"


def render_text(report: dict) -> str:
    """A readable matrix: one row per event line, one column per target, then what differs and why."""
    events_file = report.get("events_file", "events")
    columns = report["targets"]
    expect = report["expect"]
    why = expect["why"] if expect else {}
    out = [f"rule:   {report['rule']}", f"events: {events_file} ({report['events']} events)", ""]
    width = max(len(n) for n in columns)
    for name, col in columns.items():
        engine = col.get("engine") or "-"
        if "skipped" in col:
            state = f"skipped: {_one_line(col['skipped'])}"
        elif "error" in col:
            state = f"ERROR: {_one_line(col['error'])}"
        elif name == "original":
            state = f"{len(col['matched'])} matched"
        else:
            state = {True: "agrees", False: "DISAGREES", None: "not compared"}[col.get("agrees")]
            accepted = sum(1 for d in col["differs"] if d["accepted"] is not None)
            if accepted:
                state += f" ({accepted} accepted difference{'s' if accepted != 1 else ''})"
            if "emit_error" in col:
                state += f"; nothing emitted: {_one_line(col['emit_error'])}"
        out.append(f"  {SHORT.get(name, name):>5} {name:<{width}}  {state}  [{engine}]")
    out.append("")
    heads = (["line", "exp"] if expect else ["line"]) + [SHORT.get(n, n) for n in columns]
    widths = [max(len(h), 4) for h in heads]
    out.append("  ".join(h.rjust(w) for h, w in zip(heads, widths)))
    for line in report["event_lines"]:
        cells = [str(line + 1)]
        if expect:
            bad = any(d["line"] == line for d in expect["differs"])
            cells.append(("M" if line in expect["match"] else ".") + ("!" if bad else ""))
        cells += [_cell(c, line) for c in columns.values()]
        out.append("  ".join(c.rjust(w) for c, w in zip(cells, widths)))
    out.append("legend: M matched  . not matched  ! differs (not accepted)  ~ accepted difference  "
               "- skipped  E engine error; line = 1-based line of the events file")
    problems, accepted, stale = [], [], []
    if expect:
        for d in expect["differs"]:
            problems.append(f"{events_file}:{d['line'] + 1}: original rule: expected {_verdict(d['expected'])}, "
                            f"got {_verdict(d['got'])}" + (f" ({d['why']})" if d.get("why") else ""))
        stale = [f"accept[{i}] was not applied: no such difference any more (remove it), or the conversion "
                 "declared no note for it" for i in expect.get("unused_accept", ())]
    for name, col in columns.items():
        for d in col.get("differs", ()):
            text = (f"{events_file}:{d['line'] + 1}: {name}: expected {_verdict(d['expected'])}, "
                    f"got {_verdict(d['got'])}")
            if d["accepted"] is not None:
                accepted.append(f"{text}; accepted: {d['accepted']}")
            else:
                reason = why.get(str(d["line"]))
                problems.append(text + (f" (rule: {reason})" if reason else ""))
    if problems:
        out += ["", "differences:"] + [f"  {p}" for p in problems]
    if accepted:
        out += ["", "accepted:"] + [f"  {a}" for a in accepted]
    if stale:
        out += ["", "stale accept entries in the expect file:"] + [f"  {a}" for a in stale]
    notes = [(name, n) for name, col in columns.items() for n in col.get("notes", ()) if n.get("target")]
    shared = {(n["code"], n["message"]) for col in columns.values() for n in col.get("notes", ())
              if not n.get("target")}
    if shared or notes:
        out += ["", "notes declared by the conversion:"]
        out += [f"  (all) {code}: {msg}" for code, msg in sorted(shared)]
        out += [f"  {name}: {n['code']}: {n['message']}" for name, n in notes]
    verdict = "every target agrees" if report["agree"] else "targets disagree"
    if expect:
        verdict += "; expect file holds" if expect["ok"] else "; expect file does NOT hold"
    if report["skipped"]:
        verdict += f"; skipped: {', '.join(report['skipped'])}"
    out += ["", verdict]
    return "\n".join(out) + "\n"

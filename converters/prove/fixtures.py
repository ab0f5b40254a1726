"""Fixture events and their expect sidecars, read and checked.

Events are JSONL: one JSON object per line; blank lines are skipped but
counted. Internally (and in the JSON reports) an event is known by its
0-based physical line; everything a person reads or writes (expect files,
the text matrix, messages) uses 1-based line numbers, as editors show them.

An event Elasticsearch would not index (a type that does not fit its ECS
mapping: converters/prove/mapping.py) is rejected: reported by line and
field, and left out of every column.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from converters.errors import RuleportError
from converters.prove.mapping import rejections


class FixtureError(RuleportError):
    """Bad input to the proof harness: events, expect file, rule (exit code 2)."""

    code = "test/bad-input"


@dataclass
class Fixture:
    path: str
    events: list[dict]
    lines: list[int]          # 0-based physical line of each event
    #: events left out because Elasticsearch would reject them: {"line" (0-based), "field", "reason"}
    rejected: list[dict] = field(default_factory=list)
    #: each platform's records of the events, made once (several columns share a platform)
    _records: dict = field(default_factory=dict, repr=False, compare=False)

    def records(self, platform) -> tuple[list[dict], list[int]]:
        """`platform.records(self.events)`, computed once per platform model."""
        if platform.name not in self._records:
            self._records[platform.name] = platform.records(self.events)
        return self._records[platform.name]


def fixture_of(events: list[dict], path: str = "(synthesized)") -> Fixture:
    """A fixture from events in memory (line i is event i), with the same rejections as a file."""
    fixture = Fixture(path, [], [])
    for n, event in enumerate(events):
        _admit(fixture, event, n)
    return fixture


def _admit(fixture: Fixture, event: dict, n: int) -> None:
    problems = rejections(event)
    if problems:
        fixture.rejected += [{"line": n, "field": f, "reason": why} for f, why in problems]
    else:
        fixture.events.append(event)
        fixture.lines.append(n)


def load_events(path: str) -> Fixture:
    """Read a JSONL fixture: one JSON object per line; blank lines skipped but counted."""
    try:
        raw = Path(path).read_bytes()
    except OSError as exc:
        raise FixtureError(f"cannot read events: {exc.strerror or exc}", path=path) from None
    fixture = Fixture(path, [], [])
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
        _admit(fixture, event, n)
    return fixture


@dataclass
class Expectation:
    """An expect file, its lines turned 0-based like the fixture's."""

    path: str
    match: set[int]
    why: dict[int, str] = field(default_factory=dict)
    accept: list[dict] = field(default_factory=list)


def load_expect(path: str, fixture: Fixture, targets) -> Expectation:
    """Read the sidecar `{"match": [...], "why": {...}, "accept": [...]}` and check it against the fixture.

    Lines in the file are 1-based, as the events file shows in an editor; the Expectation holds
    them 0-based. `targets`: the target names an accept entry may name."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise FixtureError(f"cannot read expect file: {exc.strerror or exc}", path=path) from None
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        line = getattr(exc, "lineno", None)
        raise FixtureError(f"not valid JSON: {getattr(exc, 'msg', exc)}", path=path, line=line) from None
    if not isinstance(data, dict) or not isinstance(data.get("match"), list):
        raise FixtureError('expected an object with a "match" list of line numbers (1-based)', path=path)
    event_lines = set(fixture.lines)
    rejected = {r["line"]: r for r in fixture.rejected}

    def check_lines(values, what):
        if not all(isinstance(v, int) and not isinstance(v, bool) for v in values):
            raise FixtureError(f"{what}: line numbers must be integers", path=path)
        for v in sorted(set(values)):
            if v - 1 in rejected:
                r = rejected[v - 1]
                raise FixtureError(f"{what}: the event on line {v} of {fixture.path} was rejected "
                                   f"({r['field']}: {r['reason']})", path=path)
        bad = sorted(v for v in set(values) if v - 1 not in event_lines)
        if bad:
            raise FixtureError(f"{what}: no event on line(s) {', '.join(map(str, bad))} of {fixture.path} "
                               "(lines are 1-based)", path=path)
        return {v - 1 for v in values}

    match = check_lines(data["match"], "match")
    why_raw = data.get("why", {})
    if not isinstance(why_raw, dict):
        raise FixtureError('"why" must map line numbers to one-line reasons', path=path)
    why = {}
    for key, text in why_raw.items():
        if not (isinstance(key, str) and key.isdigit()) or not isinstance(text, str):
            raise FixtureError(f'"why": bad entry {key!r}', path=path)
        why[int(key) - 1] = text
    accept = data.get("accept", [])
    if not isinstance(accept, list):
        raise FixtureError('"accept" must be a list', path=path)
    for i, entry in enumerate(accept):
        if not isinstance(entry, dict) or not {"target", "lines", "reason"} <= set(entry):
            raise FixtureError(f'accept[{i}]: needs "target", "lines" and "reason"', path=path)
        if entry["target"] not in targets:
            raise FixtureError(f'accept[{i}]: unknown target {entry["target"]!r}', path=path)
        if not isinstance(entry["reason"], str) or not entry["reason"].strip():
            raise FixtureError(f'accept[{i}]: the reason must be a non-empty string', path=path)
        if not isinstance(entry["lines"], list):
            raise FixtureError(f'accept[{i}]: "lines" must be a list', path=path)
        accept[i] = {**entry, "lines": sorted(check_lines(entry["lines"], f"accept[{i}]"))}
    return Expectation(path, match, why, accept)

"""Fixture events and their expect sidecars, read and checked.

Events are JSONL: one JSON object per line; blank lines are skipped but
counted. Lines are kept as 0-based physical line numbers; errors cite
FILE:N with N 1-based, as editors show them.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from converters.errors import RuleportError


class FixtureError(RuleportError):
    """Bad input to the proof harness: events, expect file, rule (exit code 2)."""

    code = "test/bad-input"


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


def load_expect(path: str, fixture: Fixture, targets) -> Expectation:
    """Read the sidecar `{"match": [...], "why": {...}, "accept": [...]}` and check it against the fixture.

    `targets`: the target names an accept entry may name."""
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
        if entry["target"] not in targets:
            raise FixtureError(f'accept[{i}]: unknown target {entry["target"]!r}', path=path)
        if not isinstance(entry["reason"], str) or not entry["reason"].strip():
            raise FixtureError(f'accept[{i}]: the reason must be a non-empty string', path=path)
        if not isinstance(entry["lines"], list):
            raise FixtureError(f'accept[{i}]: "lines" must be a list', path=path)
        check_lines(entry["lines"], f"accept[{i}]")
    return Expectation(path, match, why, accept)

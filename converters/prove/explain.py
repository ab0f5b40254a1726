"""Does a declared note explain a difference? Evaluate a note's `affects` on one ECS event.

The condition language is documented in converters/notes.py. Conditions are
evaluated over the original event as Elasticsearch's doc values see it
(dotted field -> list of values; converters.engine.documents.flatten_ecs, and
`_index`: the index the Elastic platform model places it in): a
field condition holds when any value of the field satisfies it, and never on
a field the event lacks.

A difference on an event is explained by a note when the note's direction
fits (a target matching an event the original does not needs "more" or
"either"; missing one needs "less" or "either") and its condition holds on
that event. A note without `affects` explains nothing by itself.
"""

from __future__ import annotations

import json
import re
from functools import lru_cache
from typing import Any, Callable, Iterable, Mapping

from converters.engine.documents import flatten_ecs
from converters.platforms.activity import Activity
from converters.platforms.elastic import INDEX, index_of
from converters.engine.patterns import PatternError, wildcard_matcher
from converters.notes import EITHER, LESS, MORE, Note

Doc = Mapping[str, list]


class ConditionError(ValueError):
    """A note's `affects` condition is malformed (a bug in the note, reported as such)."""


def _texts(doc: Doc, field: str) -> list[str]:
    return [v if isinstance(v, str) else _scalar_text(v) for v in doc.get(field, ())]


def _scalar_text(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    return str(v)


@lru_cache(maxsize=2048)
def _regex(pattern: str, insensitive: bool) -> re.Pattern:
    try:
        return re.compile(pattern, re.DOTALL | (re.IGNORECASE if insensitive else 0))
    except re.error as exc:
        raise ConditionError(f"bad regex {pattern!r} in a note: {exc}") from None


def _value_test(kind: str, wanted: list, insensitive: bool) -> Callable[[str], bool]:
    if kind == "eq":
        texts = {(_scalar_text(w) if not isinstance(w, str) else w) for w in wanted}
        if insensitive:
            texts = {t.lower() for t in texts}
            return lambda v: v.lower() in texts
        return lambda v: v in texts
    if kind == "wildcard":
        try:
            tests = [wildcard_matcher(p, ignore_case=insensitive, escape=True) for p in wanted]
        except PatternError as exc:
            raise ConditionError(str(exc)) from None
        return lambda v: any(t(v) for t in tests)
    if kind == "regex":
        rxs = [_regex(p, insensitive) for p in wanted]
        return lambda v: any(rx.search(v) for rx in rxs)
    if kind == "contains":
        subs = [s.lower() for s in wanted] if insensitive else list(wanted)
        if insensitive:
            return lambda v: any(s in v.lower() for s in subs)
        return lambda v: any(s in v for s in subs)
    raise ConditionError(f"unknown field test {kind!r}")


def split_command_line(command_line: str) -> list[str]:
    """Arguments as the argv approximation reads a command line: runs separated by whitespace
    outside double quotes, the quotes themselves removed (converters/emit/argv.py)."""
    args, current, quoted, started = [], [], False, False
    for ch in command_line:
        if ch == '"':
            quoted, started = not quoted, True
        elif ch.isspace() and not quoted:
            if started:
                args.append("".join(current))
            current, started = [], False
        else:
            current.append(ch)
            started = True
    if started:
        args.append("".join(current))
    return args


def _basename(path: str) -> str:
    return path[max(path.rfind("/"), path.rfind("\\")) + 1:]


def holds(condition: Mapping[str, Any], doc: Doc) -> bool:
    """Whether `condition` (converters/notes.py) holds on the doc-values view `doc`."""
    return _predicate(condition)(doc)


@lru_cache(maxsize=1024)
def _compiled(where: str) -> Callable[[Doc], bool]:
    """The predicate of a note's condition, from its canonical JSON text (Affects.where), made once:
    the proof asks the same notes about many events, and a note's value lists can be long."""
    return _predicate(json.loads(where))


def _failing(error: ConditionError) -> Callable[[Doc], bool]:
    # a malformed part fails when it is evaluated, never before: short-circuits keep their meaning
    def fail(doc: Doc) -> bool:
        raise error
    return fail


def _predicate(condition: Any) -> Callable[[Doc], bool]:
    if not isinstance(condition, Mapping):
        return _failing(ConditionError(f"a condition must be an object, not {condition!r}"))
    if "exists" in condition:
        field = condition["exists"]
        prefix = field + "."
        return lambda doc: field in doc or any(k.startswith(prefix) for k in doc)
    if "not" in condition:
        inner = _predicate(condition["not"])
        return lambda doc: not inner(doc)
    if "all" in condition:
        parts = [_predicate(c) for c in condition["all"]]
        return lambda doc: all(p(doc) for p in parts)
    if "any" in condition:
        parts = [_predicate(c) for c in condition["any"]]
        return lambda doc: any(p(doc) for p in parts)
    if "argv_mismatch" in condition:
        args_field, cmd_field = condition["argv_mismatch"]

        def argv_mismatch(doc: Doc) -> bool:
            args, cmds = _texts(doc, args_field), _texts(doc, cmd_field)
            if not args and not cmds:
                return False
            return not cmds or split_command_line(cmds[0]) != args
        return argv_mismatch
    if "basename_mismatch" in condition:
        name_field, path_field = condition["basename_mismatch"]

        def basename_mismatch(doc: Doc) -> bool:
            names, paths = _texts(doc, name_field), _texts(doc, path_field)
            if not names and not paths:
                return False
            return not paths or {_basename(p) for p in paths} != set(names)
        return basename_mismatch
    if "values_differ" in condition:
        first, second = condition["values_differ"]
        return lambda doc: set(_texts(doc, first)) != set(_texts(doc, second))
    if "field" in condition:
        field = condition["field"]
        kinds = [k for k in ("eq", "wildcard", "regex", "contains") if k in condition]
        if len(kinds) != 1:
            return _failing(ConditionError(
                f"a field condition needs exactly one of eq, wildcard, regex, contains: {condition}"))
        try:
            test = _value_test(kinds[0], list(condition[kinds[0]]), condition.get("case") == "insensitive")
        except ConditionError as exc:
            return _failing(exc)
        return lambda doc: any(test(v) for v in _texts(doc, field))
    return _failing(ConditionError(f"unknown condition {condition!r}"))


def note_doc(event: Mapping[str, Any]) -> dict:
    """The event as a note's condition reads it: its doc values and the index it lives in."""
    doc = flatten_ecs(event)
    doc[INDEX] = [index_of(event, Activity(event).kind)]
    return doc


def _fits(direction: str, expected: bool, got: bool) -> bool:
    if direction == EITHER:
        return True
    return (direction == MORE and got and not expected) or (direction == LESS and expected and not got)


def explaining_note(notes: Iterable[Note], event: Mapping[str, Any], expected: bool, got: bool) -> Note | None:
    """The first note whose `affects` explains this difference on `event` (an ECS event), else None."""
    doc = None
    for note in notes:
        if note.affects is None or not _fits(note.affects.direction, expected, got):
            continue
        if doc is None:
            doc = note_doc(event)
        if _compiled(note.affects.where)(doc):
            return note
    return None

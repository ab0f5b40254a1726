"""Would Elasticsearch index this event? ECS types checked as an index mapping checks them.

A fixture event is a document for an index mapped with ECS (Elastic Defend
and the integrations map ECS fields with ECS's types). Elasticsearch rejects
a document whose value cannot be parsed as its field's type (a
`mapper_parsing_exception`: "failed to parse field") and indexes the others;
the proof does the same: a rejected event is reported by line and left out
of every column, and the other events are run.

What is checked, per the Elasticsearch field-type reference
(https://www.elastic.co/guide/en/elasticsearch/reference/current/mapping-types.html),
with its default `coerce: true`:
- an object (JSON object) where ECS maps a leaf field (keyword, long, ip...)
  is rejected ("object mapping for [f] tried to parse field as object, but
  found a concrete value" is the reverse case: a value where ECS has an
  object, also rejected);
- keyword, wildcard, constant_keyword, match_only_text: strings, numbers and
  booleans are accepted (indexed as their text);
- long, float, scaled_float: numbers, and strings that parse as numbers
  (coercion; a long truncates a fraction); booleans and other strings are
  rejected;
- boolean: true, false, "true", "false" and "" (false); anything else is
  rejected;
- ip: an IPv4 or IPv6 address string;
- date, geo_point: any scalar is let through (formats are not modelled);
- object, nested, flattened fields and fields outside ECS are not checked
  (dynamic mapping takes them).
Arrays are checked element by element; a null, or an empty array, is no
value at all (Elasticsearch indexes nothing for it), never a rejection.
"""

from __future__ import annotations

import ipaddress
from typing import Any, Iterator, Mapping

from converters.lint.ecs import ecs_table

_TEXT = {"keyword", "wildcard", "constant_keyword", "match_only_text", "text"}
_NUMBER = {"long", "integer", "short", "byte", "float", "double", "scaled_float", "half_float", "unsigned_long"}
_UNCHECKED = {"object", "nested", "flattened", "date", "geo_point"}


def _leaves(value: Any, path: str) -> Iterator[tuple[str, Any]]:
    """(dotted path, value) for every value of a nested event; arrays yield each element."""
    if isinstance(value, Mapping):
        if path:
            yield path, value   # the object itself: a leaf field given an object is a conflict
        for key, sub in value.items():
            yield from _leaves(sub, f"{path}.{key}" if path else str(key))
    elif isinstance(value, (list, tuple)):
        for item in value:
            yield from _leaves(item, path)
    elif value is not None:
        yield path, value


def _number_ok(value: Any) -> bool:
    if isinstance(value, bool):
        return False
    if isinstance(value, (int, float)):
        return True
    if isinstance(value, str):
        try:
            float(value)
        except ValueError:
            return False
        return True
    return False


def _problem(kind: str, value: Any) -> str | None:
    if isinstance(value, Mapping):
        return f"an object where ECS maps a {kind} field"
    if kind in _TEXT:
        return None
    if kind in _NUMBER:
        return None if _number_ok(value) else f"{value!r} is not a number ({kind} field)"
    if kind == "boolean":
        return None if value in (True, False, "true", "false", "") else f"{value!r} is not a boolean"
    if kind == "ip":
        if isinstance(value, str):
            try:
                ipaddress.ip_address(value)
                return None
            except ValueError:
                pass
        return f"{value!r} is not an IP address"
    return None


def rejections(event: Mapping[str, Any]) -> list[tuple[str, str]]:
    """(field, why) for each value Elasticsearch would refuse to index; empty when the event indexes."""
    table = ecs_table()
    out: list[tuple[str, str]] = []
    seen: set[str] = set()
    for path, value in _leaves(event, ""):
        kind = table.type_of(path)
        if isinstance(value, Mapping) and kind is None:
            continue   # an object where ECS has one, or outside ECS
        if kind is None:
            # a concrete value where ECS has an object (e.g. "process": "x")
            if not isinstance(value, Mapping) and table.is_object(path) and not table.is_open(path):
                problem = f"a value where ECS has the object {path}"
            else:
                continue
        elif kind in _UNCHECKED:
            continue
        else:
            problem = _problem(kind, value)
        if problem and path not in seen:
            seen.add(path)
            out.append((path, problem))
    return out

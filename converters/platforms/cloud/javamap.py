"""Java's Map.toString text, read back into the object it was printed from.

Elastic's CloudTrail pipeline keeps requestParameters, responseElements and
additionalEventData twice: as an object (``aws.cloudtrail.flattened.*``) and as
the text Painless prints for it, which is Java's AbstractMap.toString:
``{key=value, other={nested=1}, list=[a, b]}`` with no quoting at all.

That text is ambiguous (a value may itself hold ", " or "="), so reading it
back is a best effort, used only to render a fixture event that carries the
text without the object: a text that does not read back cleanly gives None.
Scalars read back as Jackson parsed them: true/false as booleans, integers as
numbers, ``null`` as None, anything else as a string.
"""

from __future__ import annotations

import re
from typing import Any

_INT = re.compile(r"-?\d{1,18}")


def parse(text: str) -> dict | None:
    """The object `text` prints, or None when it is not a clean Map.toString text."""
    text = text.strip()
    if not (text.startswith("{") and text.endswith("}")):
        return None
    try:
        value, end = _value(text, 0)
    except ValueError:
        return None
    return value if end == len(text) and isinstance(value, dict) else None


def _scalar(token: str) -> Any:
    if token == "true":
        return True
    if token == "false":
        return False
    if token == "null":
        return None
    if _INT.fullmatch(token):
        return int(token)
    return token


def _value(text: str, i: int) -> tuple[Any, int]:
    if text.startswith("{", i):
        return _map(text, i)
    if text.startswith("[", i):
        return _list(text, i)
    # a scalar runs to the next separator of the enclosing structure
    j = i
    depth = 0
    while j < len(text):
        ch = text[j]
        if ch in "{[":
            depth += 1
        elif ch in "}]":
            if depth == 0:
                break
            depth -= 1
        elif ch == "," and depth == 0 and text.startswith(", ", j):
            break
        j += 1
    return _scalar(text[i:j]), j


def _map(text: str, i: int) -> tuple[dict, int]:
    out: dict = {}
    i += 1
    if text.startswith("}", i):
        return out, i + 1
    while True:
        eq = text.find("=", i)
        if eq < 0:
            raise ValueError("key without a value")
        key = text[i:eq]
        if not key or any(c in key for c in "{}[],"):
            raise ValueError("not a key")
        value, i = _value(text, eq + 1)
        out[key] = value
        if text.startswith(", ", i):
            i += 2
            continue
        if text.startswith("}", i):
            return out, i + 1
        raise ValueError("expected , or }")


def _list(text: str, i: int) -> tuple[list, int]:
    out: list = []
    i += 1
    if text.startswith("]", i):
        return out, i + 1
    while True:
        value, i = _value(text, i)
        out.append(value)
        if text.startswith(", ", i):
            i += 2
            continue
        if text.startswith("]", i):
            return out, i + 1
        raise ValueError("expected , or ]")


def dumps(value: Any) -> str:
    """Java's toString of a JSON value as Jackson reads it (for tests and the emit notes)."""
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}={dumps(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(dumps(v) for v in value) + "]"
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)

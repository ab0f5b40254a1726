r"""Kusto tokens and string literals, shared by the single-row evaluator (executor) and the tabular one.

String literals (Microsoft's "String data type" page): "..." and '...' with
backslash escapes (see _ESCAPES, and \uXXXX), verbatim @"..." / @'...'
where a backslash is itself and a doubled quote is a quote, ```multi-line```
literals (no escapes), and h"..." (hidden) literals.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from converters.engine.executor import ExecutionError


@dataclass(frozen=True)
class Token:
    kind: str  # ident, string, number, op, word, eof
    value: Any
    pos: int


_ESCAPES = {"\\": "\\", '"': '"', "'": "'", "t": "\t", "n": "\n", "r": "\r", "0": "\0"}


def _read_string(text: str, i: int) -> tuple[str, int]:
    """Read one string literal starting at text[i]; return (value, next index)."""
    start = i
    if text.startswith("```", i):
        end = text.find("```", i + 3)
        if end < 0:
            raise ExecutionError(f"unterminated multi-line string literal at offset {start}")
        return text[i + 3:end], end + 3
    verbatim = False
    if text[i] in "hH" and i + 1 < len(text) and text[i + 1] in "\"'@":
        i += 1
    if text[i] == "@":
        verbatim = True
        i += 1
    quote = text[i]
    i += 1
    out: list[str] = []
    while i < len(text):
        ch = text[i]
        if verbatim:
            if ch == quote:
                if i + 1 < len(text) and text[i + 1] == quote:
                    out.append(quote)
                    i += 2
                    continue
                return "".join(out), i + 1
        else:
            if ch == "\\":
                if i + 1 >= len(text):
                    break
                nxt = text[i + 1]
                if nxt == "u" and re.fullmatch(r"[0-9A-Fa-f]{4}", text[i + 2:i + 6] or ""):
                    out.append(chr(int(text[i + 2:i + 6], 16)))
                    i += 6
                    continue
                if nxt not in _ESCAPES:
                    raise ExecutionError(f"unknown escape \\{nxt} in string literal at offset {start}")
                out.append(_ESCAPES[nxt])
                i += 2
                continue
            if ch == quote:
                return "".join(out), i + 1
            if ch in "\r\n":
                break
        out.append(ch)
        i += 1
    raise ExecutionError(f"unterminated string literal at offset {start}")

r"""Kusto's tokens: one tokenizer for the single-row queries (converters.kusto.parser) and the
correlation queries' scalar expressions and tabular operators (converters.kusto.scalar, tabular).

After Microsoft's pages (https://learn.microsoft.com/kusto/query/...):

- String literals (scalar-data-types/string): "..." and '...' with backslash
  escapes (see _ESCAPES, and \uXXXX); verbatim @"..." / @'...' where a
  backslash is itself and a doubled quote is a quote; ```multi-line```
  literals (no escapes); h"..." / H@'...' obfuscated literals (read as their
  text). Literals with nothing, or only white space and comments, between
  them are spliced into one ("Splicing string literals").
- Identifiers (schema-entities/entity-names): letters, digits and `_`, not
  starting with a digit. A name with other characters, or a keyword's name,
  is quoted as ['name'] / ["name"]: the parsers read that as `[` string `]`.
- Keywords: the operators spelled as words (`and`, `or`, `contains`, `has`,
  `in`, `matches`, `between`, `where`, ... in _WORDS) are `word` tokens, not
  identifiers (Kusto asks for a column named `in` to be bracketed). A
  negated operator is one token, `!` and the word with nothing between:
  `!contains`, `!has_cs`, `!in~`; so are `in~` and the symbols of
  datatypes-string-operators and the comparison operators (`==`, `!=`, `=~`,
  `!~`, `<=`, `>=`). A `!` alone is no Kusto operator (negation is `not()`),
  hence an error here.
- Numbers (scalar-data-types/int, real): digits, then an optional fraction
  and exponent; with either it is a real (`1e5` is a real), else an integer.
- Timespans (scalar-data-types/timespan): a number followed at once by a
  unit (`5m`, `1.5h`, `100ms`, `1tick`; the units in _TIME_UNITS) is one
  literal, a Timespan in seconds.
- `//` comments run to the end of the line.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from converters.engine.executor import ExecutionError


@dataclass(frozen=True)
class Token:
    kind: str  # ident, word, string, number, timespan, op, eof
    value: Any
    pos: int


class Timespan(float):
    """A Kusto timespan, in seconds."""


_ESCAPES = {"\\": "\\", '"': '"', "'": "'", "t": "\t", "n": "\n", "r": "\r", "0": "\0"}

# the operators and keywords spelled as words
_WORDS = frozenset({
    "contains", "contains_cs", "startswith", "startswith_cs", "endswith", "endswith_cs",
    "has", "has_cs", "hasprefix", "hasprefix_cs", "hassuffix", "hassuffix_cs",
    "has_any", "has_all", "in", "matches", "and", "or", "where", "between",
})
# longest first, so that `==` is never read as `=` `=`
_SYMBOLS = ("==", "!=", "=~", "!~", "<=", ">=", "=>", "<", ">", "=", "(", ")", ",", "|", "[", "]", ".", ":", ";",
            "+", "-", "*", "/")
_IDENT_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_NUMBER_RE = re.compile(r"\d+(?:\.\d+)?(?:[eE][+-]?\d+)?")
_TIME_UNITS = {"d": 86400, "h": 3600, "m": 60, "s": 1, "ms": 0.001, "tick": 1e-7}
_TIMESPAN_RE = re.compile(r"(\d+(?:\.\d+)?)(ms|tick|d|h|m|s)(?![A-Za-z0-9_])")


def tokenize(text: str) -> list[Token]:
    """The tokens of a query with their offsets, ending with an `eof` token."""
    tokens: list[Token] = []
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch.isspace():
            i += 1
            continue
        if text.startswith("//", i):
            end = text.find("\n", i)
            i = n if end < 0 else end
            continue
        if _starts_string(text, i):
            value, end = _read_string(text, i)
            if tokens and tokens[-1].kind == "string":  # spliced: "ab" 'cd' is "abcd"
                tokens[-1] = Token("string", tokens[-1].value + value, tokens[-1].pos)
            else:
                tokens.append(Token("string", value, i))
            i = end
            continue
        m = _IDENT_RE.match(text, i + 1 if ch == "!" else i)
        if m:
            word, end = m.group(0), m.end()
            if word == "in" and text.startswith("~", end):
                word, end = "in~", end + 1
            if ch == "!":
                tokens.append(Token("op", "!" + word, i))
            elif word == "in~":
                tokens.append(Token("op", word, i))
            else:
                tokens.append(Token("word" if word in _WORDS else "ident", word, i))
            i = end
            continue
        m = _TIMESPAN_RE.match(text, i)
        if m:
            tokens.append(Token("timespan", Timespan(float(m.group(1)) * _TIME_UNITS[m.group(2)]), i))
            i = m.end()
            continue
        m = _NUMBER_RE.match(text, i)
        if m:
            raw = m.group(0)
            tokens.append(Token("number", float(raw) if any(c in raw for c in ".eE") else int(raw), i))
            i = m.end()
            continue
        sym = next((s for s in _SYMBOLS if text.startswith(s, i)), None)
        if sym is None:
            raise ExecutionError(f"unexpected character {ch!r} at offset {i}")
        tokens.append(Token("op", sym, i))
        i += len(sym)
    tokens.append(Token("eof", None, n))
    return tokens


def _starts_string(text: str, i: int) -> bool:
    ch, nxt = text[i], text[i + 1:i + 2]
    return ch in "\"'" or text.startswith("```", i) or (ch == "@" and nxt in ("\"", "'")) \
        or (ch in "hH" and nxt in ("\"", "'", "@"))


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

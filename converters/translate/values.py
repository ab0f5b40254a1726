"""Values: EQL/KQL patterns as Sigma strings, modifiers and regexes.

A pattern is a tuple of parts: literal text (str) and the wildcards STAR
(any run of characters) and ONE (exactly one character). Sigma writes the
same two wildcards as `*` and `?`; a literal `*` or `?` is escaped with a
backslash, and so a backslash that precedes `*`, `?` or another backslash
must be doubled, or it would be read as an escape. Every other backslash
stays single (pySigma keeps it literal).
"""

from __future__ import annotations

import re
from typing import Union


class Wildcard(str):
    """A wildcard part of a pattern (kept apart from literal `*`/`?` text)."""


STAR = Wildcard("*")
ONE = Wildcard("?")
Part = Union[str, Wildcard]
Pattern = tuple  # tuple[Part, ...]


def wildcard_pattern(text: str) -> Pattern:
    """An EQL `:`/`like` pattern: every `*` and `?` is a wildcard (EQL has no escape for them)."""
    parts: list[Part] = []
    buf = ""
    for ch in text:
        if ch in "*?":
            if buf:
                parts.append(buf)
                buf = ""
            parts.append(STAR if ch == "*" else ONE)
        else:
            buf += ch
    if buf:
        parts.append(buf)
    return tuple(parts)


def literal_pattern(text: str) -> Pattern:
    return (text,) if text else ()


def has_wildcards(pattern: Pattern) -> bool:
    return any(isinstance(p, Wildcard) for p in pattern)


def sigma_string(pattern: Pattern) -> str:
    """Render a pattern as a Sigma string value (escaping as described above)."""
    chars: list[tuple[str, bool]] = []   # (char, is_wildcard)
    for part in pattern:
        if isinstance(part, Wildcard):
            chars.append((str(part), True))
        else:
            chars.extend((c, False) for c in part)
    out = []
    for i, (c, wild) in enumerate(chars):
        if wild:
            out.append(c)
        elif c in "*?":
            out.append("\\" + c)
        elif c == "\\":
            nxt = chars[i + 1][0] if i + 1 < len(chars) else ""
            out.append("\\\\" if nxt in ("*", "?", "\\") else "\\")
        else:
            out.append(c)
    return "".join(out)


def split_modifier(pattern: Pattern) -> tuple[str | None, Pattern]:
    """Use contains/startswith/endswith where the pattern's outer wildcards say so."""
    if len(pattern) >= 2 and pattern[0] is STAR and pattern[-1] is STAR:
        return "contains", pattern[1:-1]
    if len(pattern) >= 2 and pattern[0] is STAR:
        return "endswith", pattern[1:]
    if len(pattern) >= 2 and pattern[-1] is STAR:
        return "startswith", pattern[:-1]
    return None, pattern


def pattern_regex(pattern: Pattern, star: str = ".*", one: str = ".") -> str:
    return "".join(star if p is STAR else one if p is ONE else re.escape(p) for p in pattern)


def basename_regex(pattern: Pattern, separator: str) -> str:
    """Regex on a full path whose last component matches `pattern`."""
    sep = re.escape(separator)
    body = pattern_regex(pattern, star=f"[^{sep}]*", one=f"[^{sep}]")
    return f"(?:^|{sep}){body}$"


# Elasticsearch (Lucene) regex syntax differs from Sigma's PCRE-like `re` in a
# few places; these are the constructs whose meaning changes or that PCRE lacks.
_LUCENE_ONLY = re.compile(r"(?<!\\)[<>@&~#]")


def lucene_regex_to_sigma(regex: str) -> tuple[str, bool]:
    """Anchor an EQL/Lucene regex (implicitly whole-value) for Sigma (a search).

    Returns (regex, exact): exact is False when the regex uses Lucene-only
    operators (intervals, intersection, complement, empty language) that
    PCRE reads differently.
    """
    exact = not _LUCENE_ONLY.search(regex)
    return f"^(?:{regex})$", exact

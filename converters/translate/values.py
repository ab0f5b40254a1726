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

from converters.engine.lucene_regexp import lucene_regex_to_pcre


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


def has_non_ascii_letters(pattern: Pattern) -> bool:
    return any(not isinstance(p, Wildcard) and any(not c.isascii() and c.lower() != c.upper() for c in p)
               for p in pattern)


def ascii_folded_regex(pattern: Pattern, separator: str | None = None) -> str:
    """A case_insensitive EQL pattern (`:`, `like~`) as a case-sensitive Sigma regex with its meaning:
    Elasticsearch folds ASCII letters only, where Sigma's case-insensitive match folds every letter,
    so `É` must stay `É` while `e` becomes `[Ee]`. With `separator`, the last component of a path."""
    sep = re.escape(separator) if separator else None
    out = []
    for part in pattern:
        if part is STAR:
            out.append(f"[^{sep}]*" if sep else "[\\s\\S]*")
        elif part is ONE:
            out.append(f"[^{sep}]" if sep else "[\\s\\S]")
        else:
            out.extend(f"[{c.upper()}{c.lower()}]" if c.isascii() and c.isalpha() else re.escape(c) for c in part)
    body = "".join(out)
    return f"(?:^|{sep}){body}$" if sep else f"^{body}$"


def lucene_regex_to_sigma(regex: str, case_insensitive: bool, basename_separator: str | None = None) -> str:
    """An EQL `regex`/`regex~` (Lucene's RegExp, whole value) as a Sigma `|re` value with the same meaning.

    Sigma's `|re` is a PCRE-style search and its `i` flag folds every letter, ranges too; Lucene's
    regex matches the whole value, its `.` also matches a newline, `\\s` is `[ \\t\\n\\r]`, and
    `regex~` folds only single ASCII letters (converters.engine.lucene_regexp). So the regex is
    rewritten with every class explicit and the folding spelled out (`[Aa]`), anchored with `^`
    and `$`, and used with no flag: PCRE, RE2 and Python then read it as Lucene does (held to
    the real Lucene by benchmarks/bench_leaves.py), except that PCRE and Python also let `$`
    match before a final newline. With `basename_separator`, the value must be the last
    component of a path: `(?:^|SEP)` before it.

    Raises PatternError for what Lucene rejects and for `&`, `~` and `<...>` (not modelled).
    """
    body = lucene_regex_to_pcre(regex, case_insensitive)
    if basename_separator is not None:
        return f"(?:^|{re.escape(basename_separator)})(?:{body})$"
    return f"^(?:{body})$"

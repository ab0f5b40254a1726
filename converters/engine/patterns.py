"""Pattern dialects of the query languages, translated to Python's `re`.

Every translation returns regex source meant for `fullmatch` (wildcards
match the whole value) except `pcre_to_python`, which keeps PCRE's
unanchored search semantics for the caller to `search` with. `re.DOTALL` is
always used: a wildcard `?`/`*` also matches a newline. `wildcard_matcher`
folds case the simple way (Python's lower-casing, for Splunk and the notes'
conditions); Elasticsearch's own rules are converters.engine.leaves.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Callable


from converters.engine.lucene_regexp import PatternError, lucene_regex_to_python  # noqa: F401 (re-exported)


def wildcard_to_regex(pattern: str, *, escape: bool, single: str | None = "?", multi: str = "*") -> str:
    """Regex source for a wildcard pattern.

    `multi` matches any run of characters, `single` (None: no such wildcard)
    exactly one. With `escape`, a backslash makes the next character literal
    (a trailing lone backslash is literal); without, a backslash is an
    ordinary character.
    """
    out = []
    i, n = 0, len(pattern)
    while i < n:
        c = pattern[i]
        if escape and c == "\\" and i + 1 < n:
            out.append(re.escape(pattern[i + 1]))
            i += 2
            continue
        if c == multi:
            out.append(".*")
        elif single is not None and c == single:
            out.append(".")
        else:
            out.append(re.escape(c))
        i += 1
    return "".join(out)


@lru_cache(maxsize=4096)
def wildcard_matcher(pattern: str, *, ignore_case: bool, escape: bool, single: str | None = "?",
                     multi: str = "*") -> Callable[[str], bool]:
    """A fast `value -> bool` test of a whole value against a wildcard pattern.

    With `ignore_case` the caller's value is lower-cased here, so callers pass
    values as stored.
    """
    special = {multi} | ({single} if single else set()) | ({"\\"} if escape else set())
    body = pattern.lower() if ignore_case else pattern
    if not any(ch in special for ch in body):
        if ignore_case:
            return lambda v: v.lower() == body
        return lambda v: v == body
    inner = body[1:-1]
    if (escape is False or "\\" not in body) and not any(ch in special for ch in inner):
        # *x*, x*, *x: the common shapes of detection patterns, without re
        starts, ends = body[0] == multi, body[-1] == multi and len(body) > 1
        if starts and ends:
            if ignore_case:
                return lambda v: inner in v.lower()
            return lambda v: inner in v
    if (escape is False or "\\" not in body) and body.endswith(multi) and not any(ch in special for ch in body[:-1]):
        prefix = body[:-1]
        if ignore_case:
            return lambda v: v.lower().startswith(prefix)
        return lambda v: v.startswith(prefix)
    if (escape is False or "\\" not in body) and body.startswith(multi) and not any(ch in special for ch in body[1:]):
        suffix = body[1:]
        if ignore_case:
            return lambda v: v.lower().endswith(suffix)
        return lambda v: v.endswith(suffix)
    rx = re.compile(wildcard_to_regex(pattern, escape=escape, single=single, multi=multi),
                    re.DOTALL | (re.IGNORECASE if ignore_case else 0))
    return lambda v: rx.fullmatch(v) is not None


# Lucene's RegExp (Elasticsearch regexp, EQL regex, ES|QL RLIKE) lives in
# converters.engine.lucene_regexp, and Elasticsearch's leaf queries in converters.engine.leaves.


# --- PCRE -----------------------------------------------------------------
_PCRE_UNSUPPORTED = re.compile(r"\\[QEGKRXhHvVNgk]|\(\*|\(\?[|>]?R|\(\?\d|\(\?&|\(\?C")


@lru_cache(maxsize=1024)
def pcre_to_python(pattern: str) -> str:
    """Translate the PCRE subset Splunk searches use to Python `re` (unanchored).

    Named groups `(?<name>...)`/`(?'name'...)` become `(?P<name>...)`,
    `\\z` becomes `\\Z`; constructs Python lacks (\\Q...\\E, \\K, \\R, \\h,
    recursion, callouts, backtracking verbs) raise PatternError.
    """
    bad = _PCRE_UNSUPPORTED.search(_strip_escaped_backslashes(pattern))
    if bad:
        raise PatternError(f"PCRE construct {bad.group(0)!r} in {pattern!r} has no Python equivalent here")
    out = _scope_inline_flags(pattern)
    out = re.sub(r"\(\?<([A-Za-z_]\w*)>", r"(?P<\1>", out)
    out = re.sub(r"\(\?'([A-Za-z_]\w*)'", r"(?P<\1>", out)
    out = re.sub(r"(?<!\\)((?:\\\\)*)\\z", r"\1\\Z", out)
    try:
        re.compile(out)
    except re.error as exc:
        raise PatternError(f"bad regex {pattern!r}: {exc}") from None
    return out


_INLINE_FLAGS = re.compile(r"\(\?([imsx]+)\)")


def _scope_inline_flags(pattern: str) -> str:
    """PCRE `(?i)` mid-pattern applies to the rest of its group (every later
    alternative included); Python wants a scoped `(?i:...)`, so each flag
    group is closed before a `|` or `)` of its level and reopened after `|`.
    A flag group at the very start stays global (Python accepts that).
    """
    out: list[str] = []
    levels: list[list[str]] = [[]]   # per open group, the scoped flag groups active in it
    i, n, in_class = 0, len(pattern), False
    while i < n:
        c = pattern[i]
        if c == "\\":
            out.append(pattern[i:i + 2])
            i += 2
            continue
        if in_class:
            in_class = c != "]"
            out.append(c)
            i += 1
            continue
        if c == "[":
            in_class = True
            skip = 3 if pattern.startswith("^]", i + 1) else 2 if pattern.startswith("]", i + 1) else 1
            out.append(pattern[i:i + skip])
            i += skip
            continue
        m = _INLINE_FLAGS.match(pattern, i)
        if m and i > 0:
            out.append(f"(?{m.group(1)}:")
            levels[-1].append(m.group(1))
            i = m.end()
            continue
        if c == "(":
            levels.append([])
        elif c == "|":
            active = levels[-1]
            out.append(")" * len(active) + "|" + "".join(f"(?{f}:" for f in active))
            i += 1
            continue
        elif c == ")" and len(levels) > 1:
            out.append(")" * len(levels.pop()))
        out.append(c)
        i += 1
    out.append(")" * len(levels[-1]))
    return "".join(out)


def _strip_escaped_backslashes(text: str) -> str:
    return text.replace("\\\\", "")

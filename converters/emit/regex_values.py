"""Sigma regexes as lists of values and wildcard patterns, for query languages without regexes (KQL).

A regex that denotes a finite set of values, or a wildcard pattern, can be
written as values: `^(?:php-fpm|php)[0-9]?$`... `expand` reads the regex
with converters.emit.regex's parser (search semantics: an unanchored side
is `*`) and returns the SigmaStrings whose union the target matches:

- characters are literal; an alternative, `?`, a bounded repeat and a class
  are enumerated (exact) while there are at most VALUE_LIMIT values; a
  class of a letter's two cases (`[Aa]`, how the translation writes an EQL
  case-insensitive letter) stays one letter matched case-insensitively;
- `.*` with the `s` flag, `[\\s\\S]*` and any other "any character" run is
  `*` (exact);
- a run (`*`, `+`, `{n,}`) of a negated class or of `.` without the `s`
  flag (`[^\\\\]*`, `.+`) and a single such character are `*`: WIDER than
  the regex (`[^/]*` also accepts a `/`; `.+` also the empty run);
- anything else (a run or repeat of a positive class such as `\\d` or
  `[a-z]`, more than VALUE_LIMIT values) is refused, naming the construct.

The result says whether it is exact; where it is not, the caller records a
note whose condition is "matches one of the patterns and not the regex".
A value is case-insensitive when every cased letter in it came from such a
class (else its folded letters are spelled out); the regex's own `i` flag is
the caller's.
"""

from __future__ import annotations

from dataclasses import dataclass

from converters.emit.regex import _edges, _Parser, _Unsupported
from converters.engine.lucene_regexp import MAX_CODE_POINT
from sigma.types import SigmaString, SpecialChars

VALUE_LIMIT = 64
CLASS_LIMIT = VALUE_LIMIT


class _Folded(str):
    """A letter written as the class of its two cases (`[Aa]`, how the translation spells an EQL
    case_insensitive letter): kept as one letter matched case-insensitively, not as two values."""
_STAR = SpecialChars.WILDCARD_MULTI
_ANY = ((0, MAX_CODE_POINT),)


class NotExpandable(Exception):
    """The regex is not a finite set of values or a wildcard pattern (the message names why)."""


@dataclass
class Expansion:
    """`values`: (value, case_insensitive) pairs, whose union is what the regex denotes (or more,
    when not `exact`). A value is case_insensitive when every cased letter in it was a `[Aa]` class."""

    values: list[tuple[SigmaString, bool]]
    exact: bool


def _size(ranges) -> int:
    return sum(hi - lo + 1 for lo, hi in ranges)


def _negated(ranges) -> bool:
    return bool(ranges) and ranges[0][0] == 0 and ranges[-1][1] == MAX_CODE_POINT


class _Expander:
    def __init__(self):
        self.exact = True

    def product(self, left: list[tuple], right: list[tuple]) -> list[tuple]:
        out = [a + b for a in left for b in right]
        if len(out) > VALUE_LIMIT:
            raise NotExpandable(f"it denotes more than {VALUE_LIMIT} values or patterns")
        return out

    def seq(self, items) -> list[tuple]:
        out: list[tuple] = [()]
        for item in items:
            out = self.product(out, self.item(item))
        return out

    def item(self, node) -> list[tuple]:
        kind = node[0]
        if kind == "set":
            ranges = node[1]
            pair = _case_pair(ranges)
            if pair is not None:
                return [(_Folded(pair),)]
            if _size(ranges) <= CLASS_LIMIT:
                return [(chr(cp),) for lo, hi in ranges for cp in range(lo, hi + 1)]
            if ranges == _ANY:
                self.exact = False  # one character -> any run
                return [(_STAR,)]
            if _negated(ranges):
                self.exact = False
                return [(_STAR,)]
            raise NotExpandable(f"the class {_describe(ranges)} has more than {CLASS_LIMIT} characters")
        if kind == "group":
            return [p for branch in node[1][1] for p in self.seq(branch[1])]
        if kind == "rep":
            inner, lo, hi = node[1], node[2], node[3]
            if hi is None:
                if inner[0] == "set" and inner[1] == _ANY:
                    if lo > 0:
                        self.exact = False  # `.+` with the s flag: also the empty run
                    return [(_STAR,)]
                if inner[0] == "set" and _negated(inner[1]):
                    self.exact = False
                    return [(_STAR,)]
                raise NotExpandable("an unbounded repeat of a class or group that is not 'any character'")
            options = self.item(inner)
            out: list[tuple] = []
            for n in range(lo, hi + 1):
                rep: list[tuple] = [()]
                for _ in range(n):
                    rep = self.product(rep, options)
                out.extend(rep)
                if len(out) > VALUE_LIMIT:
                    raise NotExpandable(f"it denotes more than {VALUE_LIMIT} values or patterns")
            return out
        raise NotExpandable(f"an anchor inside the pattern ({node[1]})")


def _case_pair(ranges) -> str | None:
    if len(ranges) != 2 or ranges[0][0] != ranges[0][1] or ranges[1][0] != ranges[1][1]:
        return None
    a, b = chr(ranges[0][0]), chr(ranges[1][0])
    return a.lower() if a != b and a.lower() == b.lower() and a.upper() == b.upper() else None


def _with_cases(parts: tuple) -> list[tuple[tuple, bool]]:
    """A pattern holding `_Folded` letters: one case_insensitive pattern when every cased letter is
    folded, else its spellings of the folded letters (all cased then)."""
    folded = [p for p in parts if isinstance(p, _Folded)]
    if not folded:
        return [(parts, False)]
    plain = [p for p in parts if p is not _STAR and not isinstance(p, _Folded)]
    if not any(c.lower() != c.upper() for p in plain for c in p):
        return [(tuple(str(p) if isinstance(p, _Folded) else p for p in parts), True)]
    if 2 ** len(folded) > VALUE_LIMIT:
        raise NotExpandable(f"it mixes case-insensitive and case-sensitive letters in more than "
                            f"{VALUE_LIMIT} spellings")
    out: list[tuple] = [()]
    for p in parts:
        choices = (p.lower(), p.upper()) if isinstance(p, _Folded) else (p,)
        out = [o + (c,) for o in out for c in choices]
    return [(o, False) for o in out]


def _describe(ranges) -> str:
    if _negated(ranges):
        return "a negated class"
    return "[" + "".join(chr(lo) if lo == hi else f"{chr(lo)}-{chr(hi)}" for lo, hi in ranges[:6]) + \
        ("..." if len(ranges) > 6 else "") + "]"


def _sigma_string(parts: tuple) -> SigmaString:
    out: list = []
    for p in parts:
        if p is _STAR:
            if not (out and out[-1] is _STAR):  # `**` is `*`
                out.append(p)
        elif out and isinstance(out[-1], str):
            out[-1] += p
        else:
            out.append(p)
    value = SigmaString("")
    value.s = tuple(out)
    return value


def expand(regex: str, *, dotall: bool = False) -> Expansion:
    """The values and wildcard patterns a Sigma regex denotes (module docstring); raises NotExpandable."""
    try:
        tree = _Parser(regex, dotall, False).parse()
        readings = [r for branch in tree[1] for r in _edges(branch[1])]
    except _Unsupported as exc:
        raise NotExpandable(str(exc)) from None
    expander = _Expander()
    patterns: list[tuple] = []
    for start, items, end in readings:
        body = expander.seq(items)
        patterns.extend(((() if start else (_STAR,)) + p + (() if end else (_STAR,))) for p in body)
        if len(patterns) > VALUE_LIMIT:
            raise NotExpandable(f"it denotes more than {VALUE_LIMIT} values or patterns")
    spelled = [(v, ci) for p in patterns for v, ci in _with_cases(p)]
    if len(spelled) > VALUE_LIMIT:
        raise NotExpandable(f"it denotes more than {VALUE_LIMIT} values or patterns")
    values = {(str(_sigma_string(p)), ci): (_sigma_string(p), ci) for p, ci in spelled}
    return Expansion(list(values.values()), expander.exact)

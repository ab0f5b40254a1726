"""Sigma string values rendered as regular expressions and case variants.

A Sigma string is a list of plain parts and wildcards (`*` any run, `?`
exactly one character). Several targets need it in another shape: a
PCRE/RE2 regex (Splunk, Kusto), a Lucene regex (whole-term, no flags), or
the list of its case variants (Kibana KQL has neither regex nor a
case-insensitive operator on keyword fields).
"""

from __future__ import annotations

import itertools
from functools import lru_cache
from typing import Callable

from converters.emit.errors import EmitError
from converters.emit.regex import sigma_regex_to_lucene  # noqa: F401 (Sigma regexes: converters.emit.regex)
from sigma.types import SigmaString, SpecialChars

# PCRE, RE2 and Python agree on these metacharacters; escaping only them keeps
# the output valid for all three (RE2 rejects some needless escapes).
_RE_META = set("\\.^$*+?()[]{}|/")
# Lucene RegExp reserved characters (a backslash escapes any of them).
_LUCENE_META = set('.?+*|{}[]()"\\#@&<>~/')


def _parts(s: SigmaString):
    for part in s.s:
        if isinstance(part, str) or isinstance(part, SpecialChars):
            yield part
        else:  # a placeholder left unresolved
            raise EmitError(f"unresolved placeholder in value {s}", code="emit/placeholder")


def render(s: SigmaString, *, any_run: str, any_char: str, literal: Callable[[str], str]) -> str:
    """`s` with each `*` as `any_run`, each `?` as `any_char` and each plain part through
    `literal`: the one walk over a Sigma string that every rendering of one shares."""
    return "".join(any_run if part is SpecialChars.WILDCARD_MULTI
                   else any_char if part is SpecialChars.WILDCARD_SINGLE
                   else literal(part) for part in _parts(s))


def wildcard_text(s: SigmaString, *, single: str = "?") -> str:
    """The value as a wildcard pattern of converters/notes.py (`*`, `?`, backslash escapes);
    `single` is what a one-character wildcard becomes (`*` to state a widened pattern)."""
    return render(s, any_run="*", any_char=single,
                  literal=lambda part: "".join("\\" + c if c in "*?\\" else c for c in part))


def pcre_escape(text: str) -> str:
    return "".join("\\" + c if c in _RE_META else c for c in text)


def to_pcre(s: SigmaString, *, anchored: bool = True, any_char: str = ".") -> str:
    """PCRE/RE2 body for a Sigma string: `*` -> `.*`, `?` -> one character."""
    body = render(s, any_run=any_char + "*", any_char=any_char, literal=pcre_escape)
    return f"^{body}$" if anchored else body


def to_lucene_regex(s: SigmaString, *, case_insensitive: bool, any_char: str = ".") -> str:
    """Lucene RegExp (always whole-term) for a Sigma string.

    Lucene's regex has no case-insensitive flag, so each letter becomes a
    two-letter class (`[oO]`): exact, and valid in Lucene query strings and
    ES|QL RLIKE alike.
    """
    def literal(part: str) -> str:
        return "".join(f"[{c.lower()}{c.upper()}]" if case_insensitive and c.lower() != c.upper()
                       else "\\" + c if c in _LUCENE_META else c for c in part)

    return render(s, any_run=any_char + "*", any_char=any_char, literal=literal)


def letters(s: SigmaString) -> int:
    """How many characters of `s` have an upper and a lower case."""
    return sum(_cased_count(part) for part in _parts(s) if isinstance(part, str))


@lru_cache(maxsize=8192)
def _cased_count(text: str) -> int:
    # the backends ask this of every value of every rule, once per target
    return sum(1 for c in text if c.lower() != c.upper())


def case_variants(s: SigmaString, limit: int) -> list[SigmaString] | None:
    """Every upper/lower-case spelling of `s` (wildcards kept), or None when
    there would be more than `limit` of them."""
    if 2 ** letters(s) > limit:
        return None
    slots: list = []  # per character: the choices, or a wildcard
    for part in _parts(s):
        if isinstance(part, SpecialChars):
            slots.append((part,))
        else:
            for c in part:
                slots.append((c.lower(), c.upper()) if c.lower() != c.upper() else (c,))
    variants = []
    for combo in itertools.product(*slots):
        v = SigmaString("")
        v.s = []
        for item in combo:
            if isinstance(item, str) and v.s and isinstance(v.s[-1], str):
                v.s[-1] += item
            else:
                v.s.append(item)
        variants.append(v)
    return variants


def has_single_wildcard(s: SigmaString) -> bool:
    return any(part is SpecialChars.WILDCARD_SINGLE for part in s.s)



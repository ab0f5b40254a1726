"""Sigma string values rendered as regular expressions and case variants.

A Sigma string is a list of plain parts and wildcards (`*` any run, `?`
exactly one character). Several targets need it in another shape: a
PCRE/RE2 regex (Splunk, Kusto), a Lucene regex (whole-term, no flags), or
the list of its case variants (Kibana KQL has neither regex nor a
case-insensitive operator on keyword fields).
"""

from __future__ import annotations

import itertools
import re

from converters.emit.errors import EmitError
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


def wildcard_text(s: SigmaString, *, single: str = "?") -> str:
    """The value as a wildcard pattern of converters/notes.py (`*`, `?`, backslash escapes);
    `single` is what a one-character wildcard becomes (`*` to state a widened pattern)."""
    out = []
    for part in _parts(s):
        if part is SpecialChars.WILDCARD_MULTI:
            out.append("*")
        elif part is SpecialChars.WILDCARD_SINGLE:
            out.append(single)
        else:
            out.append("".join("\\" + c if c in "*?\\" else c for c in part))
    return "".join(out)


def pcre_escape(text: str) -> str:
    return "".join("\\" + c if c in _RE_META else c for c in text)


def to_pcre(s: SigmaString, *, anchored: bool = True, any_char: str = ".") -> str:
    """PCRE/RE2 body for a Sigma string: `*` -> `.*`, `?` -> one character."""
    out = []
    for part in _parts(s):
        if part is SpecialChars.WILDCARD_MULTI:
            out.append(any_char + "*")
        elif part is SpecialChars.WILDCARD_SINGLE:
            out.append(any_char)
        else:
            out.append(pcre_escape(part))
    body = "".join(out)
    return f"^{body}$" if anchored else body


def to_lucene_regex(s: SigmaString, *, case_insensitive: bool, any_char: str = ".") -> str:
    """Lucene RegExp (always whole-term) for a Sigma string.

    Lucene's regex has no case-insensitive flag, so each letter becomes a
    two-letter class (`[oO]`): exact, and valid in Lucene query strings and
    ES|QL RLIKE alike.
    """
    out = []
    for part in _parts(s):
        if part is SpecialChars.WILDCARD_MULTI:
            out.append(any_char + "*")
        elif part is SpecialChars.WILDCARD_SINGLE:
            out.append(any_char)
        else:
            for c in part:
                if case_insensitive and c.lower() != c.upper():
                    out.append(f"[{c.lower()}{c.upper()}]")
                elif c in _LUCENE_META:
                    out.append("\\" + c)
                else:
                    out.append(c)
    return "".join(out)


def letters(s: SigmaString) -> int:
    return sum(1 for part in _parts(s) if isinstance(part, str) for c in part if c.lower() != c.upper())


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


# PCRE constructs Lucene's RegExp lacks: class shorthands, assertions, inline
# flags and lookarounds, lazy quantifiers.
_PCRE_ONLY_ESCAPES = set("dDwWsSbBAZzQEGhHvVRXKNpP")
_PCRE_ONLY = re.compile(r"\(\?(?!:)|[*+?}]\?")  # inline flags/lookarounds, lazy quantifiers
_LUCENE_OPERATORS = set('<>@&~#"')  # literal in PCRE, operators in Lucene


def _top_level_alternation(body: str) -> bool:
    depth, i, in_class = 0, 0, False
    while i < len(body):
        c = body[i]
        if c == "\\":
            i += 2
            continue
        if in_class:
            in_class = c != "]"
        elif c == "[":
            in_class = True
        elif c == "(":
            depth += 1
        elif c == ")":
            depth -= 1
        elif c == "|" and depth == 0:
            return True
        i += 1
    return False


def _class_with_cases(content: str) -> str:
    """Add the other case of every letter (and letter range) in a class body."""
    extra = []
    i = 0
    while i < len(content):
        c = content[i]
        if c == "\\":
            i += 2
            continue
        if i + 2 < len(content) and content[i + 1] == "-" and content[i + 2] != "\\":
            lo, hi = c, content[i + 2]
            if lo.isalpha() and hi.isalpha() and lo.islower() == hi.islower():
                extra.append(f"{lo.swapcase()}-{hi.swapcase()}")
            i += 3
            continue
        if c.lower() != c.upper():
            extra.append(c.swapcase())
        i += 1
    return content + "".join(extra)


def sigma_regex_to_lucene(regex: str, *, case_insensitive: bool) -> str:
    """A Sigma (PCRE-like, search) regex as a Lucene RegExp (whole-term match).

    `(?:` becomes `(`; a leading `^` / trailing `$` anchor is dropped, else
    the side is opened with `.*`; case-insensitivity (Lucene has no flag)
    becomes two-case classes. PCRE-only constructs raise EmitError.
    """
    unsupported = EmitError(f"regex {regex!r} uses PCRE constructs Lucene's regex lacks",
                            code="emit/regex-unsupported")
    if _PCRE_ONLY.search(re.sub(r"\\.", "", regex)):
        raise unsupported
    body = regex.replace("(?:", "(")
    left = right = ".*"
    if body.startswith("^"):
        body, left = body[1:], ""
    if body.endswith("$") and not body.endswith("\\$"):
        body, right = body[:-1], ""
    if (left == "" or right == "") and _top_level_alternation(body):
        raise EmitError(f"regex {regex!r}: anchors on alternatives", code="emit/regex-unsupported")
    out = []
    i = 0
    while i < len(body):
        c = body[i]
        if c == "\\":
            if body[i + 1:i + 2] in _PCRE_ONLY_ESCAPES:
                raise unsupported
            out.append(body[i:i + 2])
            i += 2
        elif c == "[":
            end = i + 1
            if end < len(body) and body[end] == "^":
                end += 1
            if end < len(body) and body[end] == "]":
                end += 1
            while end < len(body) and body[end] != "]":
                end += 2 if body[end] == "\\" else 1
            content = body[i + 1:end]
            out.append("[" + (_class_with_cases(content) if case_insensitive else content) + "]")
            i = end + 1
        elif c in "^$":
            raise EmitError(f"regex {regex!r}: anchors inside the pattern", code="emit/regex-unsupported")
        elif c in _LUCENE_OPERATORS:
            out.append("\\" + c)
            i += 1
        elif case_insensitive and c.lower() != c.upper():
            out.append(f"[{c.lower()}{c.upper()}]")
            i += 1
        else:
            out.append(c)
            i += 1
    core = "".join(out)
    if left or right:
        core = f"({core})" if _top_level_alternation(core) else core
    return left + core + right

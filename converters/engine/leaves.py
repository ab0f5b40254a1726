"""Elasticsearch's leaf queries on keyword fields: term, wildcard and regexp, as value tests.

EQL (`==`, `:`, `like`, `regex` and their `~` forms), Kibana KQL and ES|QL
(`==`, `=~`, LIKE, RLIKE) all end in one of these Lucene queries; each
evaluator calls the matcher here so that the three agree with each other and
with Lucene. What we follow (Elasticsearch's term/wildcard/regexp query
reference and its source, server/.../AutomatonQueries.java and the keyword
field type; Lucene 9.12's WildcardQuery and RegExp), held to the real Lucene
by benchmarks/bench_leaves.py and tests/engine/test_leaves.py:

- term: the whole value equals the pattern (code point for code point).
- wildcard: `*` any run (also empty), `?` exactly one code point, a
  backslash makes the next code point literal (a trailing one is literal).
- regexp: Lucene's RegExp over the whole value (converters.engine.lucene_regexp).
- case_insensitive (term, wildcard, regexp alike; EQL `:`, `in~`, `like~`,
  `regex~`, ES|QL `=~`): only ASCII letters fold (code points up to
  U+0080), so `é` never matches `É` and the Kelvin sign never matches `k`.
  A wildcard's backslash-escaped character is NOT folded (Elasticsearch
  adds it as it is), and a regexp folds only single characters, not ranges
  or class shorthands (see lucene_regexp).
- the empty pattern: Lucene builds a wildcard, and Elasticsearch a
  case-insensitive term, by concatenating one automaton per character, and
  the concatenation of none accepts nothing: `like ""`, `: ""` and a
  case_insensitive term "" match no value (a cased term "" matches "").
- normalizer (a keyword field with ECS's `lowercase` normalizer, the
  `.caseless` multi-fields): the indexed value is lower-cased code point by
  code point (Lucene's LowerCaseFilter, Java's Character.toLowerCase), and
  Elasticsearch lower-cases the query the same way before building it: a
  term's whole text, a wildcard's text outside its escapes and wildcards
  (`normalizeWildcardPattern`), and a regexp's WHOLE pattern text (the
  keyword field's `indexedValueForSearch`), so on such a field `\\D`
  becomes `\\d` and `[A-Z]` becomes `[a-z]`.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Callable

from converters.engine.lucene_regexp import PatternError, folded, lucene_regex

Test = Callable[[str], bool]

_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")


def ascii_lower(text: str) -> str:
    """Lower-case A-Z only: two texts equal under Elasticsearch's case_insensitive have equal ascii_lower."""
    return text.translate(_ASCII_LOWER)


def lucene_lower(text: str) -> str:
    """Lucene's LowerCaseFilter: each code point on its own (Java's Character.toLowerCase), so no
    final-sigma rule and U+0130 gives a plain `i` (Python's str.lower differs there)."""
    if text.isascii():
        return text.lower()
    return "".join(c.lower()[0] for c in text)


def _never(value: str) -> bool:
    return False


# --- term --------------------------------------------------------------------

@lru_cache(maxsize=8192)
def term_test(pattern: str, *, case_insensitive: bool = False, normalizer: bool = False) -> Test:
    if normalizer:
        pattern = lucene_lower(pattern)
    if case_insensitive:
        if not pattern:
            return _never
        want = ascii_lower(pattern)
        if normalizer:
            return lambda v: ascii_lower(lucene_lower(v)) == want
        return lambda v: ascii_lower(v) == want
    if normalizer:
        return lambda v: lucene_lower(v) == pattern
    return lambda v: v == pattern


# --- wildcard ----------------------------------------------------------------

_WILDCARD_TOKENS = re.compile(r"(\\.)|([?*]+)", re.DOTALL)


def eql_wildcard(pattern: str) -> str:
    """An EQL `:`/`like` pattern in Lucene's wildcard syntax: EQL has no escape, so Elasticsearch
    escapes every backslash (the pattern's `*` and `?` stay wildcards)."""
    return pattern.replace("\\", "\\\\")


def normalize_wildcard(pattern: str) -> str:
    """Elasticsearch's normalizeWildcardPattern with a lowercase normalizer: the text between
    escapes and wildcards is lower-cased, escapes and wildcards are kept as they are."""
    out, last = [], 0
    for m in _WILDCARD_TOKENS.finditer(pattern):
        out.append(lucene_lower(pattern[last:m.start()]))
        out.append(m.group(0))
        last = m.end()
    out.append(lucene_lower(pattern[last:]))
    return "".join(out)


def _parts(pattern: str) -> list[tuple[str, bool]]:
    """(text, escaped) pieces: `*`/`?` as ("*", False)/("?", False) wildcards, text otherwise."""
    out: list[tuple[str, bool]] = []
    i, n = 0, len(pattern)
    while i < n:
        c = pattern[i]
        if c == "\\" and i + 1 < n:
            out.append((pattern[i + 1], True))
            i += 2
            continue
        out.append((c, False))
        i += 1
    return out


def wildcard_source(pattern: str, *, case_insensitive: bool = False) -> str:
    """Python regex source (fullmatch, DOTALL) of a Lucene wildcard pattern (module docstring)."""
    out = []
    for c, escaped in _parts(pattern):
        if not escaped and c == "*":
            out.append(".*")
        elif not escaped and c == "?":
            out.append(".")
        elif case_insensitive and not escaped and len(folded(ord(c))) == 2:
            out.append(f"[{c.lower()}{c.upper()}]")
        else:
            out.append(re.escape(c))
    return "".join(out)


@lru_cache(maxsize=8192)
def wildcard_test(pattern: str, *, case_insensitive: bool = False, normalizer: bool = False) -> Test:
    """A Lucene wildcard pattern (`*`, `?`, backslash escapes) as a value test."""
    if not pattern:
        return _never
    if normalizer:
        pattern = normalize_wildcard(pattern)
    prepare = lucene_lower if normalizer else None
    parts = _parts(pattern)
    escaped_letter = any(e and c.isascii() and c.isalpha() for c, e in parts)
    if not (case_insensitive and escaped_letter):
        # Fast shapes (exact, *x*, x*, *x) compare texts; case_insensitive folds both sides to ASCII lower case.
        fold = ascii_lower if case_insensitive else None
        literal = "".join(c for c, _ in parts)
        wild = [i for i, (c, e) in enumerate(parts) if not e and c in "*?"]
        body = fold(literal) if fold else literal
        n = len(parts)
        shape = None
        if not wild:
            shape = "eq"
        elif wild == [0, n - 1] and n >= 2 and parts[0][0] == parts[-1][0] == "*":
            shape, body = "in", body[1:-1]
        elif wild == [n - 1] and parts[-1][0] == "*":
            shape, body = "start", body[:-1]
        elif wild == [0] and parts[0][0] == "*":
            shape, body = "end", body[1:]
        if shape is not None:
            def value_of(v: str, prepare=prepare, fold=fold) -> str:
                if prepare:
                    v = prepare(v)
                return fold(v) if fold else v
            if shape == "eq":
                return lambda v: value_of(v) == body
            if shape == "in":
                return lambda v: body in value_of(v)
            if shape == "start":
                return lambda v: value_of(v).startswith(body)
            return lambda v: value_of(v).endswith(body)
    glob = _glob(parts, case_insensitive)
    if prepare:
        return lambda v: glob(prepare(v))
    return glob


def _glob(parts: list[tuple[str, bool]], case_insensitive: bool) -> Test:
    """A wildcard pattern's fullmatch without backtracking over its `*`s (a regex `.*a.*b.*c` backtracks
    polynomially on a long value that almost matches): the pieces between `*`s have a fixed length
    (one code point per character or `?`), so the first is matched at the start, the last at the end,
    and each other one at its leftmost place after the previous one (leftmost is never worse: what
    follows may start anywhere after it)."""
    pieces: list[list[tuple[str, bool]]] = [[]]
    for c, escaped in parts:
        if not escaped and c == "*":
            pieces.append([])
        else:
            pieces[-1].append((c, escaped))

    def compiled(piece: list[tuple[str, bool]]) -> re.Pattern:
        text = "".join("\\" + c if e else c for c, e in piece)
        return re.compile(wildcard_source(text, case_insensitive=case_insensitive), re.DOTALL)

    if len(pieces) == 1:
        whole = compiled(pieces[0])
        return lambda v: whole.fullmatch(v) is not None
    first, last = compiled(pieces[0]), compiled(pieces[-1])
    tail = len(pieces[-1])
    middle = [compiled(p) for p in pieces[1:-1] if p]

    def test(v: str) -> bool:
        end = len(v) - tail
        if end < len(pieces[0]) or first.match(v, 0, end) is None or last.fullmatch(v, end) is None:
            return False
        pos = len(pieces[0])
        for piece in middle:
            found = piece.search(v, pos, end)
            if found is None:
                return False
            pos = found.end()
        return True
    return test


def like_test(pattern: str, *, case_insensitive: bool = False, normalizer: bool = False) -> Test:
    """A LIKE (EQL `like`, ES|QL LIKE) in Lucene wildcard syntax: Elasticsearch's optimizer turns one
    without an unescaped `*` or `?` into an equality, a term query on its unescaped text."""
    parts = _parts(pattern)
    if any(not e and c in "*?" for c, e in parts):
        return wildcard_test(pattern, case_insensitive=case_insensitive, normalizer=normalizer)
    return term_test("".join(c for c, _ in parts), case_insensitive=case_insensitive, normalizer=normalizer)


# --- regexp ------------------------------------------------------------------

@lru_cache(maxsize=4096)
def regexp_test(pattern: str, *, case_insensitive: bool = False, normalizer: bool = False) -> Test:
    """A Lucene RegExp as a value test; raises PatternError for what Lucene rejects or we do not model."""
    if normalizer:
        pattern = lucene_lower(pattern)
    rx = lucene_regex(pattern, case_insensitive)
    if normalizer:
        return lambda v: rx.fullmatch(lucene_lower(v)) is not None
    return lambda v: rx.fullmatch(v) is not None


KINDS: dict[str, Callable[..., Test]] = {"term": term_test, "wildcard": wildcard_test, "regexp": regexp_test}

__all__ = ["KINDS", "PatternError", "ascii_lower", "eql_wildcard", "like_test", "lucene_lower", "normalize_wildcard",
           "regexp_test", "term_test", "wildcard_source", "wildcard_test"]

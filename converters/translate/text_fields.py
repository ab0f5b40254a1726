"""KQL on analysed text fields: which events Sigma's `|contains` can judge differently.

Kibana turns `field:value` on a text field into a query on the field's
words (tokens, after its analyzer): a quoted phrase must appear as
consecutive tokens, an unquoted value matches when any of its tokens is
one of the field's, an unquoted `*` pattern matches one whole token
(converters/kql/evaluator.py has the details and the sources). Sigma
matches raw values, so the translation says `|contains` (case-insensitive)
of the value, and the note states where the two can disagree:

- the windows integration's `powershell_script_analyzer` splits at every
  character outside [A-Za-z0-9_-] and lower-cases: KQL's verdict is then a
  regex over the raw value (tokens bounded by such characters), and the
  note's `affects` is exact: events where exactly one of "contains" and
  "KQL's regex" holds;
- the `standard` analyzer (Unicode word segmentation) has no such regex;
  the note bounds the events instead: a KQL match needs one of the query's
  tokens in the value (a substring, ignoring case) and a Sigma match needs
  the value itself, so only events holding one of them can differ.
"""

from __future__ import annotations

import re

from converters.kql import ast
from converters.kql.evaluator import ANALYZERS, lower_case
from converters.notes import EITHER, Affects, Note, all_, any_, contains, exists, not_, regex, wildcard

_TOKEN = "[A-Za-z0-9_-]"
_SEPARATOR = "[^A-Za-z0-9_-]"
_SPACE = re.compile(r"[ \t\n\r\u3000]+")  # where Lucene's classic query parser splits query_string terms


def _clauses(value: ast.Value) -> list[list]:
    """The whitespace-separated terms of an unquoted value with wildcards (query_string's view)."""
    clauses: list[list] = [[]]
    for part in value.parts:
        if isinstance(part, ast.Wildcard):
            clauses[-1].append(part)
            continue
        for n, piece in enumerate(_SPACE.split(part)):
            if n:
                clauses.append([])
            if piece:
                clauses[-1].append(piece)
    return [c for c in clauses if c]


def _bounded(body: str) -> str:
    return f"(?:\\A|{_SEPARATOR}){body}(?:{_SEPARATOR}|\\Z)"


def powershell_regex(value: ast.Value) -> str | None:
    """A regex (ignoring case) that holds exactly when KQL matches `value` under the
    powershell_script_analyzer; None when KQL matches nothing."""
    tokens_of = ANALYZERS["powershell_script_analyzer"]
    if not value.has_wildcard:
        tokens = tokens_of(value.literal or "")
        if not tokens:
            return None
        if value.quoted:  # match_phrase: consecutive tokens
            return _bounded(f"{_SEPARATOR}+".join(re.escape(t) for t in tokens))
        return _bounded("(?:" + "|".join(re.escape(t) for t in dict.fromkeys(tokens)) + ")")
    alternatives = []
    for clause in _clauses(value):
        if any(isinstance(p, ast.Wildcard) for p in clause):
            texts = [p for p in clause if not isinstance(p, ast.Wildcard)]
            if all(re.fullmatch(f"{_TOKEN}*", t) for t in texts):  # else no single token can match
                alternatives.append(_bounded("".join(f"{_TOKEN}*" if isinstance(p, ast.Wildcard) else re.escape(p)
                                                     for p in clause)))
        else:
            alternatives.extend(_bounded(re.escape(t)) for t in tokens_of("".join(clause)))
    return "|".join(dict.fromkeys(alternatives)) or None


def standard_bound(value: ast.Value) -> list[str]:
    """Strings one of which a value must contain (ignoring case) for KQL to match it
    under the standard analyzer; [""] when any present value may match."""
    tokens_of = ANALYZERS["standard"]
    if not value.has_wildcard:
        return list(dict.fromkeys(tokens_of(value.literal or "")))
    out: list[str] = []
    for clause in _clauses(value):
        if any(isinstance(p, ast.Wildcard) for p in clause):
            texts = [lower_case(p) for p in clause if not isinstance(p, ast.Wildcard)]
            out.append(max(texts, key=len) if texts else "")
        else:
            out.extend(tokens_of("".join(clause)))
    return list(dict.fromkeys(out))


def _sigma_side(field: str, value: ast.Value) -> dict:
    """What the translation's `|contains` (case-insensitive) holds for."""
    if not value.has_wildcard:
        return contains(field, value.literal or "", case_insensitive=True)
    pattern = "".join("*" if isinstance(p, ast.Wildcard) else re.sub(r"([*?\\])", r"\\\1", p) for p in value.parts)
    return wildcard(field, f"*{pattern}*", case_insensitive=True)


def differences(field: str, analyzer: str, value: ast.Value) -> dict:
    """The events on which `field:value` (KQL) and `field|contains: value` (Sigma) may differ."""
    sigma = _sigma_side(field, value)
    if analyzer == "powershell_script_analyzer":
        rx = powershell_regex(value)
        if rx is None:
            return sigma
        kql = regex(field, rx, case_insensitive=True)
        return any_(all_(sigma, not_(kql)), all_(kql, not_(sigma)))
    bound = standard_bound(value)
    if "" in bound:
        return exists(field)
    return any_(sigma, contains(field, bound, case_insensitive=True)) if bound else sigma


class TextFieldNotes:
    """Gathers the text-field leaves of one query: one note per field, its `affects` the union."""

    def __init__(self) -> None:
        self._where: dict[str, list[dict]] = {}

    def add(self, field: str, analyzer: str, value: ast.Value) -> None:
        # a `.text` multi-field is indexed from its parent: an event may hold either
        sources = [field] + ([field[: -len(".text")]] if field.endswith(".text") else [])
        where = self._where.setdefault(field, [])
        for source in sources:
            condition = differences(source, analyzer, value)
            if condition not in where:
                where.append(condition)

    def notes(self) -> list[Note]:
        return [Note("translate/text-field",
                     f"{field} is a text field: KQL matches its analysed words, Sigma's |contains the raw value "
                     "(ignoring case)", None, field, Affects.of(EITHER, any_(*where)))
                for field, where in self._where.items()]

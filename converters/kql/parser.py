"""Parse KQL (Kibana "kuery") text into ruleport's AST (converters.kql.ast).

A hand-written recursive-descent parser that accepts what Kibana's own
grammar (kbn-es-query) accepts and reads it the same way. The rules we
follow, including Kibana's less obvious ones:

- `or`, `and`, `not` are keywords in any case. `and` binds tighter than
  `or`; `not` applies to one term (`not not x` is an error, as in Kibana).
- `or`/`and` need whitespace on both sides and `not` needs whitespace
  after it: `a or(b)` and `not(x)` are syntax errors in Kibana too.
- An unquoted value runs up to a special character `\\ ( ) : < > " * { }`
  (where `*` is a wildcard and continues the value) or up to a keyword
  with its whitespace; it may contain spaces (`a:win xp` is the one value
  `win xp`), and surrounding whitespace is trimmed. Because `not ` ends a
  value anywhere, `a:cannot be` is an error in Kibana, and here.
- Unquoted escapes: `\\t \\r \\n` (whitespace), a backslash before a special
  character, `\\uXXXX`, and a backslash before a keyword (`\\or`). They are
  tried in that order, so `\\not` reads as a newline followed by `ot`
  (write `\\NOT` or quote the value); any other backslash is an error.
- Quoted values are phrases: `*` inside quotes is literal text. Escapes
  there are `\\t \\r \\n`, `\\uXXXX`, `\\\\` and `\\"`; any other backslash
  is kept as a literal backslash (`"C:\\Windows"` is `C:\\Windows`).
- `field:*` (unquoted lone wildcard) is an existence test; a lone `*`
  and `*:*` match everything, as does an empty query.
- Kibana reads the unquoted field name `null` as no field: `null:x` is
  free text. (`null > 1` and `null:{...}` fail when Kibana builds the
  Elasticsearch query; we leave them as field `null`.)
- Where we differ: a literal `*` in a field name (`"a*":x`, `a\\*:x`) is
  rejected, since field names are plain strings with `*` as wildcard;
  groups nest at most MAX_DEPTH deep, where Kibana has no limit.

Checked against Kibana's generated parser on the corpus and on random and
mutated queries: same trees, and errors at the same offsets.

Parsing is linear: a few compiled regular expressions scan each token.
"""

from __future__ import annotations

from functools import lru_cache

import re

from converters.errors import RuleportError
from converters.kql import ast


class KqlSyntaxError(RuleportError):
    """KQL text that does not parse. `line`/`column` are 1-based, within the query."""

    code = "query/kql-syntax"

    def __init__(self, message: str, line: int | None = None, column: int | None = None):
        super().__init__(message, line=line)
        self.column = column


_SP = " \t\r\n\u00a0"  # Kibana's whitespace between tokens
# What JavaScript's String.prototype.trim() removes (Kibana trims unquoted values with it).
_JS_TRIM = "\t\n\v\f\r \u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000\ufeff"

_SPACE = re.compile(f"[{_SP}]*")
_OR = re.compile(f"[{_SP}]+(?i:or)[{_SP}]+")
_AND = re.compile(f"[{_SP}]+(?i:and)[{_SP}]+")
_NOT = re.compile(f"(?i:not)[{_SP}]+")
_RANGE_OP = re.compile(r"<=|>=|<|>")
_QUOTED = re.compile(r'"[^"\\]*(?:\\[\s\S][^"\\]*)*"')
_QUOTED_ESCAPE = re.compile(r'\\(?:([trn])|u([0-9a-fA-F]{4})|([\\"]))')
_ESCAPED_WS = {"t": "\t", "r": "\r", "n": "\n"}

# One step of an unquoted value. `stop` is a keyword (with its whitespace)
# that ends the value; `plain` leaves out `n`/`N` and whitespace, where a
# keyword may begin, so that they are looked at one by one.
_UNQUOTED = re.compile(
    rf'(?P<plain>[^\\():<>"*{{}}nN{_SP}]+)'
    rf"|(?P<stop>[{_SP}]+(?i:or|and)(?=[{_SP}])|(?i:not)(?=[{_SP}]))"
    rf"|(?P<space>[{_SP}]+)"
    r"|(?P<n>[nN])"
    r"|(?P<star>\*)"
    r'|\\(?:(?P<ws>[trn])|(?P<special>[\\():<>"*{}])|u(?P<hex>[0-9a-fA-F]{4})|(?P<kw>(?i:or|and|not)))'
)


def _position(text: str, pos: int) -> tuple[int, int]:
    line = text.count("\n", 0, pos) + 1
    column = pos - (text.rfind("\n", 0, pos) + 1) + 1
    return line, column


def _merge(parts: list) -> tuple:
    """Join adjacent literal strings and drop empty ones."""
    out: list = []
    for p in parts:
        if isinstance(p, str):
            if not p:
                continue
            if out and isinstance(out[-1], str):
                out[-1] += p
                continue
        out.append(p)
    return tuple(out)


MAX_DEPTH = 100  # nested (), {} and value-list groups; keeps us far from Python's recursion limit


class _Parser:
    __slots__ = ("text", "pos", "end", "depth")

    def __init__(self, text: str):
        self.text = text
        self.pos = 0
        self.end = len(text)
        self.depth = 0

    def enter(self) -> None:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise self.error(f"groups nest more than {MAX_DEPTH} deep")

    # --- errors --------------------------------------------------------
    def error(self, message: str, pos: int | None = None, hint: str = "") -> KqlSyntaxError:
        pos = self.pos if pos is None else pos
        found = "end of query" if pos >= self.end else repr(self.text[pos])
        line, column = _position(self.text, pos)
        tail = f"; {hint}" if hint else ""
        return KqlSyntaxError(f"KQL syntax error at line {line}, column {column}: {message}, found {found}{tail}", line, column)

    def unexpected(self, message: str) -> KqlSyntaxError:
        return self.error(message, hint=self.hint())

    def hint(self) -> str:
        """Why Kibana stops here too, for the surprises of its grammar."""
        pos, text = self.pos, self.text
        if pos >= self.end:
            return ""
        rest = text[pos:pos + 4]
        if _NOT.match(rest) and pos > 0 and text[pos - 1] not in _SP:
            return "an unquoted value ends before `not `: quote the value"
        before = text[max(0, pos - 4):pos].lower()
        if rest[:1] in '("' and re.search(r"(^|[^a-z0-9_.*])(not|or|and)$", before):
            return "`and`, `or` and `not` need whitespace around them"
        if pos > 0 and text[pos - 1] in _SP:
            return "join terms with `and` or `or`"
        return ""

    def skip_space(self) -> None:
        self.pos = _SPACE.match(self.text, self.pos).end()

    def keyword(self, regex: re.Pattern) -> bool:
        m = regex.match(self.text, self.pos)
        if m is None:
            return False
        self.pos = m.end()
        return True

    def expect(self, char: str, what: str) -> None:
        if self.pos < self.end and self.text[self.pos] == char:
            self.pos += 1
            return
        raise self.unexpected(f"expected {what}")

    # --- queries -------------------------------------------------------
    def parse(self) -> ast.Query:
        self.skip_space()
        if self.pos >= self.end:
            return ast.MatchAll()
        query = self.or_query()
        self.skip_space()
        if self.pos < self.end:
            raise self.unexpected("expected `and`, `or` or the end of the query")
        return query

    def or_query(self) -> ast.Query:
        first = self.and_query()
        if not self.keyword(_OR):
            return first
        terms = [first, self.and_query()]
        while self.keyword(_OR):
            terms.append(self.and_query())
        return ast.Or(tuple(terms))

    def and_query(self) -> ast.Query:
        first = self.not_query()
        if not self.keyword(_AND):
            return first
        terms = [first, self.not_query()]
        while self.keyword(_AND):
            terms.append(self.not_query())
        return ast.And(tuple(terms))

    def not_query(self) -> ast.Query:
        if self.keyword(_NOT):
            return ast.Not(self.sub_query())
        return self.sub_query()

    def sub_query(self) -> ast.Query:
        if self.pos < self.end and self.text[self.pos] == "(":
            self.enter()
            self.pos += 1
            self.skip_space()
            query = self.or_query()
            self.skip_space()
            self.expect(")", "`)`, `and` or `or`")
            self.depth -= 1
            return query
        return self.expression()

    def expression(self) -> ast.Query:
        start = self.pos
        first = self.literal("a field name or a value")
        after_literal = self.pos
        self.skip_space()
        char = self.text[self.pos] if self.pos < self.end else ""
        if char == ":":
            field = self.field_name(first, start)
            self.pos += 1
            self.skip_space()
            if self.pos < self.end and self.text[self.pos] == "{":
                self.enter()
                self.pos += 1
                self.skip_space()
                query = self.or_query()
                self.skip_space()
                self.expect("}", "`}`, `and` or `or`")
                self.depth -= 1
                return ast.Nested(field, query)
            if not first.quoted and first.parts == ("null",):
                # Kibana reads unquoted `null` as no field at all: `null:x` searches every field.
                return self.list_of_values(None)
            return self.list_of_values(field)
        if char in ("<", ">"):
            field = self.field_name(first, start)
            op = _RANGE_OP.match(self.text, self.pos).group()
            self.pos += len(op)
            self.skip_space()
            return ast.Range(field, op, self.literal("a value after `" + op + "`"))
        self.pos = after_literal
        return _is(None, first)

    # --- value lists: field:(a or b and not c) -------------------------
    def list_of_values(self, field: str | None) -> ast.Query:
        if self.pos < self.end and self.text[self.pos] == "(":
            self.enter()
            self.pos += 1
            self.skip_space()
            query = self.or_values(field)
            self.skip_space()
            self.expect(")", "`)`, `and` or `or` in the value list")
            self.depth -= 1
            return query
        return _is(field, self.literal("a value"))

    def or_values(self, field: str | None) -> ast.Query:
        first = self.and_values(field)
        if not self.keyword(_OR):
            return first
        terms = [first, self.and_values(field)]
        while self.keyword(_OR):
            terms.append(self.and_values(field))
        return ast.Or(tuple(terms))

    def and_values(self, field: str | None) -> ast.Query:
        first = self.not_values(field)
        if not self.keyword(_AND):
            return first
        terms = [first, self.not_values(field)]
        while self.keyword(_AND):
            terms.append(self.not_values(field))
        return ast.And(tuple(terms))

    def not_values(self, field: str | None) -> ast.Query:
        if self.keyword(_NOT):
            return ast.Not(self.list_of_values(field))
        return self.list_of_values(field)

    # --- literals ------------------------------------------------------
    def literal(self, what: str) -> ast.Value:
        text, pos = self.text, self.pos
        if pos < self.end and text[pos] == '"':
            m = _QUOTED.match(text, pos)
            if m is None:
                raise self.error("unterminated quoted string")
            self.pos = m.end()
            body = text[pos + 1:m.end() - 1]
            if "\\" in body:
                body = _QUOTED_ESCAPE.sub(_quoted_escape, body)
            return ast.Value((body,) if body else (), True)
        return self.unquoted(what)

    def unquoted(self, what: str) -> ast.Value:
        text, pos, end = self.text, self.pos, self.end
        parts: list = []
        match = _UNQUOTED.match
        while pos < end:
            m = match(text, pos)
            if m is None:
                if text[pos] == "\\":
                    raise self.error(
                        "a backslash escapes only whitespace (\\t \\r \\n), \\uXXXX, a keyword or one of"
                        ' \\ ( ) : < > " * { }', pos)
                break
            kind = m.lastgroup
            if kind == "stop":
                break
            if kind == "star":
                parts.append(ast.WILDCARD)
            elif kind in ("plain", "space", "n"):
                parts.append(m.group())
            elif kind == "ws":
                parts.append(_ESCAPED_WS[m.group(kind)])
            elif kind == "hex":
                parts.append(chr(int(m.group(kind), 16)))
            else:  # special, kw: the escaped text itself
                parts.append(m.group(kind))
            pos = m.end()
        if pos == self.pos:
            raise self.error("expected " + what)
        self.pos = pos
        # Kibana trims the value after reading escapes, so an escaped `\n` at an end goes too.
        merged = list(_merge(parts))
        if isinstance(merged[0], str):
            merged[0] = merged[0].lstrip(_JS_TRIM)
        if isinstance(merged[-1], str):
            merged[-1] = merged[-1].rstrip(_JS_TRIM)
        return ast.Value(_merge(merged), False)

    def field_name(self, value: ast.Value, pos: int) -> str:
        # A literal `*` (escaped, or quoted) cannot be told from a wildcard in a str field name.
        if any(isinstance(p, str) and "*" in p for p in value.parts):
            raise self.error("a literal `*` in a field name is not supported", pos)
        return value.pattern()


def _quoted_escape(m: re.Match) -> str:
    if m.group(1):
        return _ESCAPED_WS[m.group(1)]
    if m.group(2):
        return chr(int(m.group(2), 16))
    return m.group(3)


def _lone_wildcard(value: ast.Value) -> bool:
    return not value.quoted and value.parts == (ast.WILDCARD,)


def _is(field: str | None, value: ast.Value) -> ast.Query:
    """Kibana's `is`: exists for `f:*`, match-all for `*` and `*:*`."""
    if _lone_wildcard(value):
        if field is None or field == "*":
            return ast.MatchAll()
        return ast.FieldExists(field)
    if field is None:
        return ast.FreeText(value)
    return ast.FieldMatch(field, value)


def parse_kql(text: str) -> ast.Query:
    """Parse one KQL query. Raises KqlSyntaxError (1-based line/column) on bad input."""
    if not isinstance(text, str):
        raise KqlSyntaxError(f"a KQL query must be a string, not {type(text).__name__}")
    return _parse(text)


@lru_cache(maxsize=512)
def _parse(text: str) -> ast.Query:
    # cached as EQL's: every stage parses the same rule, and the AST is immutable
    return _Parser(text).parse()

"""Splunk SPL (search, regex, rex, eval, where, tstats) over flat events.

Events are flat dicts: field -> str, or a list of str for a multi-value
field (the Sysmon platform), or CIM data-model fields such as
`Processes.process` (the tstats platform). What we follow, from Splunk's
Search Manual and Search Reference:

The search command (also the implied one at the start, and `| search`)
  - Terms are joined by an implied AND; `OR` binds tighter than AND and
    `NOT` tighter than both, so `a b OR c` is `a AND (b OR c)`. The boolean
    keywords are upper-case only (`or` is a search term).
  - `field=value` compares the whole value, case-insensitively, with `*`
    matching any run of characters. A backslash cannot escape `*` (Splunk
    documents this), so `*` is always a wildcard. A multi-value field
    matches when any value does. A missing field never matches;
    `field=*` is true when the field is present.
  - `field!=value` is true only when the field is PRESENT and no value
    matches; `NOT field=value` is also true when the field is missing.
  - `field IN (v1, v2, ...)`: any value, same rules as `=` (wildcards too).
  - A value in CIDR notation (`field="10.0.0.0/8"`, IPv4 or IPv6) also
    matches every IP address of that subnet (the search command's CIDR
    matching); a value that is no IP address is compared as text.
  - `<`, `<=`, `>`, `>=` compare numerically when both sides are numbers,
    else as lower-cased text.
  - Quoted values: `\\\\` is one backslash and `\\"` a quote; any other
    backslash stays as it is. Unquoted values follow the same rule.
  - `field=CASE(Value)` matches case-sensitively. `TERM(x)` only changes how
    the index is searched (x as one indexed term); against a field value
    here it is the same as `x`.
  - A lone `*` matches every event. A bare term (no field) matches when `_raw`
    (or, for an event without `_raw`, any field value) contains it as whole
    segments: case-insensitive, `*` extending it, and not glued to a letter
    or digit at an end that is a letter or digit (`enc` is not found in
    `-encoded`). An approximation of Splunk's segment-based index search.
  - Field names are case-sensitive. Wildcards in field names raise.

Other commands
  - `regex field="re"` keeps events where the PCRE `re` is found anywhere in
    the value (unanchored; `regex "re"` searches `_raw`); `field!="re"`
    keeps events where it is not found (including events without the
    field). The quoted string is unescaped as above first, so `\\\\\\\\`
    in the query is a regex-escaped backslash.
  - `rex field=f "(?<name>re)"` sets the named groups of the first match as
    fields (absent when no match); `mode=sed` raises.
  - `eval x=expr, ...` and `where expr` use eval expressions: AND binds
    tighter than OR; string comparisons (`=`, `==`, `!=`) are
    case-SENSITIVE; `like(s, "a%_")` is SQL LIKE; `match(s, re)` a PCRE
    search; functions `lower upper len isnull isnotnull if coalesce match
    like cidrmatch in tostring`. A comparison with a null operand is null and
    `where` keeps only true rows (null is not false under NOT).
  - `| tstats ... from datamodel=<Model>[.<Dataset>] where <search> by f ...`
    reads the records of that data model dataset (a record names its
    dataset in `$datamodel`, e.g. "Endpoint.Filesystem"; `from
    datamodel=Endpoint` reads every Endpoint dataset; a record without
    `$datamodel` is read by every tstats), applies the where search
    (search-command rules) to each, and with `by` fields drops a record
    missing one unless `fillnull_value` is given, which fills it.
    Aggregations are not computed, except with `by _time span=<span> ...`:
    then one row per time bucket and by-values, `_time` the bucket's start
    and `count` its records (the events behind the row).
  - `append [ <search> ]` adds the subsearch's results (run over the events)
    after the current ones.
  - `convert`, `table`, `fields` and the `drop_dm_object_name(X)`
    macro (which strips the `X.` prefix) do not filter; `multisearch`,
    `sort`, `streamstats`, `stats` and `bin` work across events
    (converters/spl/stats.py, which also says which events stand behind each
    result: `alerts()`); any other command raises ExecutionError. A
    `[ ... ]` subsearch is read by multisearch only.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Callable, Sequence

from converters.engine.documents import gc_paused
from converters.engine.executor import Event, ExecutionError, RowsExecutor
from converters.engine.patterns import PatternError, pcre_to_python, wildcard_matcher
from converters.spl.expressions import compile_eval, parse_eval_assignments, regex_test
from converters.spl import stats as cross
from converters.spl.lexer import Tok, split_pipeline, tokenize, unescape

Record = dict
Pred = Callable[[Record], bool]

#: the key of a CIM record naming its data model dataset (converters.platforms.cim sets it)
DATAMODEL_KEY = "$datamodel"


class SplunkSearchExecutor(RowsExecutor):
    """Splunk's search pipeline over events (see the module docstring)."""

    name = "splunk"
    engine = "ruleport SPL evaluator (Splunk search semantics)"

    def _rows(self, query: str, events: Sequence[Event]) -> list:
        stages = compile_spl(query)
        with gc_paused():
            source = rows = [(i, e) for i, e in enumerate(events)]
            for stage in stages:
                rows = stage(rows, source) if getattr(stage, "reads_source", False) else stage(rows)
            return rows


@lru_cache(maxsize=256)
def compile_spl(text: str) -> tuple:
    """Compile an SPL pipeline to a tuple of `rows -> rows` stages."""
    raw_stages = split_pipeline(text)
    if not raw_stages:
        raise ExecutionError("empty SPL query")
    stages = []
    for n, (explicit_pipe, stage) in enumerate(raw_stages):
        words = stage.split(None, 1)
        if n == 0 and not explicit_pipe:
            command, rest = "search", stage
        elif stage.startswith("`"):
            command, rest = "`macro", stage
        else:
            command, rest = words[0].lower(), (words[1] if len(words) > 1 else "")
        stages.append(_command(command, rest, first=(n == 0)))
    return tuple(stages)


def _subsearch_outside_quotes(text: str) -> bool:
    return "[" in re.sub(r'"(?:\\.|[^"\\])*"', "", text)


class _Owned(dict):
    """A copy of an event that later commands may change in place (the event itself is never changed)."""


def _owned(record: Record) -> _Owned:
    return record if type(record) is _Owned else _Owned(record)


def _filter(pred: Pred):
    return lambda rows: [(i, r) for i, r in rows if pred(r)]


def _command(command: str, rest: str, first: bool):
    if "[" in rest and command != "multisearch" and command in ("search", "where", "eval", "regex"):
        if _subsearch_outside_quotes(rest):
            raise ExecutionError(f"SPL subsearches are supported in multisearch only, not in {command}")
    if command == "multisearch":
        if not first:
            raise ExecutionError("multisearch must be the first command of the search")
        return cross.multisearch(rest, compile_spl)
    if command == "sort":
        return cross.sort(rest)
    if command == "append":
        return cross.append(rest, compile_spl)
    if command == "streamstats":
        return cross.streamstats(rest)
    if command == "stats":
        return cross.stats(rest)
    if command == "bin":
        return cross.bin_command(rest)
    if command == "search":
        return _filter(compile_search(rest))
    if command == "regex":
        return _filter(_regex_command(rest))
    if command == "where":
        test = compile_eval(rest)
        return _filter(lambda r: test(r) is True)
    if command == "rex":
        return _rex_command(rest)
    if command == "eval":
        assignments = parse_eval_assignments(rest)

        def evaluate(rows):
            out = []
            for i, r in rows:
                r = _owned(r)
                for name, fn in assignments:
                    value = fn(r)
                    if value is None:
                        r.pop(name, None)
                    else:
                        r[name] = value
                out.append((i, r))
            return out

        return evaluate
    if command == "tstats":
        if not first:
            raise ExecutionError("tstats must be the first command of the search")
        return _tstats(rest)
    if command == "`macro":
        m = re.fullmatch(r"`drop_dm_object_name\(\s*\"?([\w.]+)\"?\s*\)`", rest.strip())
        if not m:
            raise ExecutionError(f"SPL macro {rest.strip()} is not supported")
        prefix = m.group(1) + "."
        return lambda rows: [(i, {(k[len(prefix):] if k.startswith(prefix) else k): v for k, v in r.items()})
                             for i, r in rows]
    if command in ("convert", "table", "fields"):
        return lambda rows: rows
    raise ExecutionError(f"SPL command `{command}` is not supported by the Splunk executor")


# --- search command ------------------------------------------------------------

def _values(record: Record, field: str) -> list[str]:
    v = record.get(field)
    if v is None:
        return []
    if isinstance(v, (list, tuple)):
        return [_text(x) for x in v if x is not None]
    return [_text(v)]


def _text(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    return str(v)


def _number(s: str) -> float | None:
    try:
        return float(s)
    except ValueError:
        return None


@dataclass
class _Value:
    text: str
    case_sensitive: bool = False


class _SearchParser:
    def __init__(self, tokens: list[Tok], source: str):
        self.toks = tokens
        self.i = 0
        self.source = source

    def fail(self, why: str):
        tok = self.toks[self.i] if self.i < len(self.toks) else None
        where = f" near {tok.text!r}" if tok else " at the end"
        raise ExecutionError(f"SPL search: {why}{where} in {self.source.strip()[:120]!r}")

    def peek(self, k: int = 0) -> Tok | None:
        j = self.i + k
        return self.toks[j] if j < len(self.toks) else None

    def is_word(self, text: str, k: int = 0) -> bool:
        t = self.peek(k)
        return t is not None and t.kind == "word" and t.text == text

    def parse(self) -> Pred:
        if not self.toks:
            return lambda r: True
        pred = self.and_expr()
        if self.i < len(self.toks):
            self.fail("unexpected token")
        return pred

    def and_expr(self) -> Pred:
        parts = []
        while True:
            t = self.peek()
            if t is None or t.kind == ")":
                break
            if self.is_word("AND"):
                if not parts:
                    self.fail("AND with nothing before it")
                self.i += 1
                continue
            if self.is_word("OR"):
                self.fail("OR with nothing before it")
            parts.append(self.or_expr())
        if not parts:
            self.fail("empty expression")
        if len(parts) == 1:
            return parts[0]
        return lambda r: all(p(r) for p in parts)

    def or_expr(self) -> Pred:
        parts = [self.unary()]
        while self.is_word("OR"):
            self.i += 1
            if self.peek() is None or self.peek().kind == ")" or self.is_word("AND") or self.is_word("OR"):
                self.fail("OR with nothing after it")
            parts.append(self.unary())
        if len(parts) == 1:
            return parts[0]
        return lambda r: any(p(r) for p in parts)

    def unary(self) -> Pred:
        if self.is_word("NOT"):
            self.i += 1
            inner = self.unary()
            return lambda r: not inner(r)
        return self.primary()

    def primary(self) -> Pred:
        t = self.peek()
        if t is None:
            self.fail("expected a term")
        if t.kind == "(":
            self.i += 1
            inner = self.and_expr()
            if self.peek() is None or self.peek().kind != ")":
                self.fail("unclosed parenthesis")
            self.i += 1
            return inner
        if t.kind == "word":
            nxt = self.peek(1)
            if nxt is not None and nxt.kind == "op":
                return self.comparison()
            if nxt is not None and nxt.kind == "word" and nxt.text.upper() == "IN" and \
                    self.peek(2) is not None and self.peek(2).kind == "(":
                return self.in_list()
        if t.kind in ("word", "string"):
            self.i += 1
            value = self.value_of(t)
            return _keyword_test(value)
        self.fail("unexpected token")

    def value_of(self, t: Tok) -> _Value:
        """A value token, with CASE()/TERM() unwrapped (they arrive as one token)."""
        if t.kind == "string":
            return _Value(unescape(t.text[1:-1]))
        m = re.fullmatch(r"(?i)(CASE|TERM)\((.*)\)", t.text, re.DOTALL)
        if m:
            inner = m.group(2)
            if len(inner) >= 2 and inner[0] == inner[-1] == '"':
                inner = inner[1:-1]
            return _Value(unescape(inner), case_sensitive=m.group(1).upper() == "CASE")
        return _Value(unescape(t.text))

    def field_name(self, t: Tok) -> str:
        name = t.text
        if t.kind == "string" or "*" in name:
            self.fail("wildcard or quoted field names are not supported")
        return name

    def comparison(self) -> Pred:
        field = self.field_name(self.toks[self.i])
        op = self.toks[self.i + 1].text
        self.i += 2
        t = self.peek()
        if t is None or t.kind not in ("word", "string"):
            self.fail(f"expected a value after {field}{op}")
        self.i += 1
        value = self.value_of(t)
        if op in ("=", "!="):
            test = _value_test(value)

            def eq(r: Record) -> bool:
                return any(test(v) for v in _values(r, field))

            if op == "=":
                return eq
            return lambda r: field in r and r[field] is not None and not eq(r)
        return _order_test(field, op, value.text)

    def in_list(self) -> Pred:
        field = self.field_name(self.toks[self.i])
        self.i += 3
        tests = []
        while True:
            t = self.peek()
            if t is None:
                self.fail("unclosed IN list")
            self.i += 1
            if t.kind == ")":
                break
            if t.kind == ",":
                continue
            if t.kind not in ("word", "string"):
                self.fail("bad IN list member")
            tests.append(_value_test(self.value_of(t)))
        if not tests:
            self.fail("empty IN list")
        return lambda r: any(test(v) for v in _values(r, field) for test in tests)


def _value_test(value: _Value) -> Callable[[str], bool]:
    plain = wildcard_matcher(value.text, ignore_case=not value.case_sensitive, escape=False, single=None)
    net = _network(value.text)
    if net is None:
        return plain
    return lambda v: plain(v) or _address_in(v, net)


def _network(text: str):
    """The subnet a `field=a.b.c.d/n` value names (search's CIDR matching), else None."""
    if "/" not in text or "*" in text:
        return None
    try:
        return ipaddress.ip_network(text.strip(), strict=False)
    except ValueError:
        return None


def _address_in(value: str, net) -> bool:
    try:
        return ipaddress.ip_address(value.strip()) in net
    except ValueError:
        return False


def _order_test(field: str, op: str, text: str) -> Pred:
    ops = {"<": lambda a, b: a < b, "<=": lambda a, b: a <= b, ">": lambda a, b: a > b, ">=": lambda a, b: a >= b}
    if op not in ops:
        raise ExecutionError(f"SPL operator {op} is not supported in search")
    cmp, num = ops[op], _number(text)

    def test(r: Record) -> bool:
        for v in _values(r, field):
            n = _number(v)
            if num is not None and n is not None:
                if cmp(n, num):
                    return True
            elif cmp(v.lower(), text.lower()):
                return True
        return False

    return test


def _keyword_test(value: _Value) -> Pred:
    text = value.text
    if text.strip("*") == "":
        return lambda r: True  # a lone `*` selects every event
    # whole segments: not glued to a letter or digit on a side without a wildcard
    body = "".join(".*" if c == "*" else re.escape(c) for c in text)
    lead = "" if text.startswith("*") or not text[0].isalnum() else "(?<![^\\W_])"
    tail = "" if text.endswith("*") or not text[-1].isalnum() else "(?![^\\W_])"
    rx = re.compile(lead + body + tail, re.DOTALL | (0 if value.case_sensitive else re.IGNORECASE))

    def keyword(r: Record) -> bool:
        if "_raw" in r:
            return any(rx.search(v) for v in _values(r, "_raw"))
        return any(rx.search(v) for k in r for v in _values(r, k))

    return keyword


@lru_cache(maxsize=512)
def compile_search(text: str) -> Pred:
    """The search command's expression as a `record -> bool` test."""
    return _SearchParser(tokenize(text), text).parse()


# --- regex / rex ----------------------------------------------------------------

_FIELD_ARG = re.compile(r'\s*(?:(?P<field>[\w.{}/@:-]+)\s*(?P<op>!=|=)\s*)?(?P<q>"(?:\\.|[^"\\])*")\s*$', re.DOTALL)


def _regex_command(rest: str) -> Pred:
    m = _FIELD_ARG.match(rest)
    if not m:
        raise ExecutionError(f"SPL regex: cannot read {rest.strip()[:80]!r} (expected field=\"regex\")")
    field = m.group("field") or "_raw"
    search = regex_test(unescape(m.group("q")[1:-1]))
    if m.group("op") == "!=":
        return lambda r: not any(search(v) for v in _values(r, field))
    return lambda r: any(search(v) for v in _values(r, field))


def _rex_command(rest: str):
    opts = dict(re.findall(r'(\w+)=("[^"]*"|\S+)', re.sub(r'"(?:\\.|[^"\\])*"\s*$', "", rest)))
    if opts.get("mode", "").strip('"') == "sed":
        raise ExecutionError("SPL rex mode=sed is not supported")
    q = re.search(r'"((?:\\.|[^"\\])*)"\s*$', rest)
    if not q:
        raise ExecutionError(f"SPL rex: no quoted regex in {rest.strip()[:80]!r}")
    field = opts.get("field", "_raw").strip('"')
    try:
        rx = re.compile(pcre_to_python(unescape(q.group(1))), re.DOTALL)
    except PatternError as exc:
        raise ExecutionError(f"SPL rex: {exc}") from None

    def extract(rows):
        out = []
        for i, r in rows:
            values = _values(r, field)
            m = next((m for m in (rx.search(v) for v in values) if m), None)
            if m is not None or rx.groupindex:
                r = _owned(r)
                for name in rx.groupindex:
                    r.pop(name, None)
                if m is not None:
                    r.update({k: v for k, v in m.groupdict().items() if v is not None})
            out.append((i, r))
        return out

    return extract


# --- tstats -----------------------------------------------------------------------

def _tstats(rest: str):
    toks = tokenize(rest)
    words = [t.text if t.kind == "word" else None for t in toks]
    try:
        at_from = words.index("from")
    except ValueError:
        raise ExecutionError("tstats without `from datamodel=...`") from None
    if at_from + 3 > len(toks) or words[at_from + 1] != "datamodel" or toks[at_from + 2].text != "=":
        raise ExecutionError("tstats: expected `from datamodel=<name>`")
    model = toks[at_from + 3].text

    def in_model(r) -> bool:
        dataset = r.get(DATAMODEL_KEY)
        return dataset is None or dataset == model or dataset.startswith(model + ".")
    fillnull = None
    for j in range(at_from):
        if words[j] == "fillnull_value" and j + 2 < at_from:
            fillnull = unescape(toks[j + 2].text[1:-1]) if toks[j + 2].kind == "string" else toks[j + 2].text
    where_at = words.index("where") if "where" in words else None
    by_at = words.index("by") if "by" in words else len(toks)
    cond = (lambda r: True)
    if where_at is not None:
        cond = _SearchParser(toks[where_at + 1:by_at], rest).parse()
    by, span = [], None
    after = toks[by_at + 1:]
    j = 0
    while j < len(after):
        if after[j].text == "span" and j + 2 < len(after) and after[j + 1].text == "=":
            span = cross.span_seconds(after[j + 2].text)
            j += 3
            continue
        if after[j].kind == "word":
            by.append(after[j].text)
        j += 1
    if span is not None:
        if "_time" not in by:
            raise ExecutionError("tstats: span= needs _time among the by fields")
        where = cond
        return cross.tstats_buckets(lambda r: in_model(r) and where(r), [f for f in by if f != "_time"], span,
                                    fillnull)

    def run(rows):
        out = []
        for i, r in rows:
            if not in_model(r) or not cond(r):
                continue
            if by:
                row = {}
                for f in by:
                    if r.get(f) is None:
                        if fillnull is None:
                            break
                        row[f] = fillnull
                    else:
                        row[f] = r[f]
                else:
                    out.append((i, row))
            else:
                out.append((i, r))
        return out

    return run

"""EQL over single events, with Elasticsearch's semantics (not the `eql` package's).

The evaluator runs ruleport's own EQL AST (converters.eql) over events in the
doc-values view (converters.engine.documents: dotted path -> list of values).
It follows how Elasticsearch runs an event query, which compiles every
condition to a Query DSL clause:

Event category, timestamp and tiebreaker fields
  `process where ...` keeps events whose `event.category` holds the value
  "process" (exact, as a term query); `any where ...` keeps every event.
  The field the category is read from is a parameter (`category_field`):
  Elasticsearch's EQL search API takes it as `event_category_field`, and an
  Elastic detection rule sets it with `event_category_override` (as it sets
  `timestamp_field` and `tiebreaker_field`, which sequences read:
  converters.eql.sequences). "EQL search API" (Elasticsearch reference,
  request body: event_category_field, timestamp_field, tiebreaker_field) and
  detection-rules' rule schema / Kibana's "Create rule" API (EQL rules:
  event_category_override, timestamp_field, tiebreaker_field). So with
  `event_category_override = "event.type"`, `info where x` keeps the events
  whose event.type holds "info", whatever their event.category.

Values, arrays and missing fields
  A field is the list of its values; a missing field (or `?field` absent from
  the event: the two are the same here, since we see no mapping) is null.
  A leaf condition (comparison, `:`, like, regex, in, boolean function) is
  true when ANY value of a multi-valued operand satisfies it, as a Lucene
  query on an array field is. A leaf whose operand is null is false.
  That holds where Elasticsearch turns the leaf into a query: a field
  compared with constants (==, !=, <..., :, like, regex, in) and
  startsWith/endsWith/stringContains/cidrMatch/wildcard on a field with
  constant arguments. Anything else runs as a script, which reads a field's
  FIRST doc value only: for an array that is its smallest value (keyword doc
  values are sorted by UTF-8 bytes), so `length(process.args) > 3` or
  `process.name == process.parent.name` look at one element.
  `not`, `!=` and `not in` negate the whole leaf, as `must_not` does: so
  `f != "x"` and `not f : "x"` are TRUE when f is missing, and false when
  any element of an array equals "x". `f == null` is true when f is missing,
  `f != null` when it is present (Elasticsearch's field-existence checks).

Strings (each leaf is the Lucene query Elasticsearch builds: converters.engine.leaves
documents and tests their rules, held to the real Lucene on generated pairs)
  `==`, `!=`, `in`, `like`, `regex` and functions are case-sensitive; `:`,
  `in~`, `like~`, `regex~` and `fn~()` are case_insensitive queries, which
  fold ASCII letters only (`é` never matches `É`), and a regex~ folds single
  characters, not ranges (`[a-z]` still rejects `A`).
  `:` and `like`/`like~` take wildcard patterns: `*` any run (also empty),
  `?` exactly one character; a backslash is an ordinary character in a
  pattern (EQL strings already consumed their escapes, and Elasticsearch
  escapes every backslash of the Lucene wildcard it builds), and there is no
  way to write a literal `*` or `?`. A pattern without `*` or `?` is an
  (insensitive) equality, a term query (Elasticsearch's optimizer rewrites
  it): `like ""` matches the empty string, while a case_insensitive term ""
  (`: ""`, `like~ ""`, `in~ ("")`) matches nothing. `==` never treats `*`
  as a wildcard. `!=` is parsed by Elasticsearch as `not (a == b)`, which is
  why it behaves as must_not above.
  `regex`/`regex~` use Lucene 9's RegExp anchored to the whole value
  (converters.engine.lucene_regexp): `\\d \\s \\w` are ASCII classes, `^`
  and `$` are literal; `&`, `~` and `<...>` raise ExecutionError (not modelled).

Normalized fields
  A field named `*.caseless` is a keyword field with ECS's `lowercase`
  normalizer: its values are lower-cased as indexed, and Elasticsearch
  lower-cases the query's constants for it: term (`==`, `in`, `:`),
  wildcard (`like`, outside wildcards) and regexp patterns alike, the
  regexp pattern as a whole text (so `\\D` there becomes `\\d`).

Numbers
  Two numbers compare numerically; a number and a string compare as strings
  (a term query on a keyword field), except `<`/`>` where a numeric string
  is read as a number. Booleans render as "true"/"false".
  Integer `/` and `divide` truncate toward zero, `%`/`modulo` take the sign of
  the dividend (Java arithmetic); any null operand gives null.

Functions (null in, null out; a null boolean result makes the leaf false)
  add subtract multiply divide modulo; between(s, left, right[, greedy]);
  cidrMatch(ip, cidr...); concat(v...) (null if any value is null);
  endsWith, startsWith, stringContains (and ~ variants; stringContains(s, "")
  is false); indexOf(s, sub[, start])
  (null when not found); length(s); number(s[, base]) ("0x" text is hexadecimal); string(v);
  substring(s, start[, end]) (Python-style negative offsets);
  wildcard(s, pattern...) (a like; wildcard~ a like~).

Sequences and samples run over the event stream (converters.eql.sequences);
joins and pipes raise ExecutionError, as do functions not listed above.
"""

from __future__ import annotations

import ipaddress
import itertools
import math
from functools import lru_cache, partial
from typing import Any, Callable, Sequence

from converters.engine.documents import doc_values_reader, gc_paused
from converters.engine.executor import Event, ExecutionError, Executor
from converters.engine.leaves import (
    PatternError, ascii_lower, eql_wildcard, lucene_lower, regexp_test, term_test, wildcard_test,
)
from converters.eql import ast, parse_query
from converters.eql.parser import EqlSyntaxError
from converters.eql.sequences import find_sequences

Doc = dict
Values = Callable[[Doc], list]
Pred = Callable[[Doc], bool]

#: Elasticsearch's defaults of event_category_field and timestamp_field
CATEGORY_FIELD = "event.category"
TIMESTAMP_FIELD = "@timestamp"


class EqlExecutor(Executor):
    """EQL event queries, evaluated the way Elasticsearch runs them (see the module docstring);
    sequences and samples over the event stream in converters.eql.sequences."""

    name = "eql"
    engine = "ruleport EQL evaluator (Elasticsearch semantics)"

    def __init__(self, category_field: str = CATEGORY_FIELD, timestamp_field: str = TIMESTAMP_FIELD,
                 tiebreaker_field: str | None = None):
        """The fields a rule may override (event_category_override, timestamp_field, tiebreaker_field)."""
        self.category_field = category_field
        self.timestamp_field = timestamp_field
        self.tiebreaker_field = tiebreaker_field

    def run(self, query: str, events: Sequence[Event]) -> list[int]:
        if _is_multi_event(query):
            return sorted({i for group in self.alerts(query, events) for i in group})
        matches = compile_eql(query, self.category_field)
        read = _reader(query, self.category_field)
        with gc_paused():
            return [i for i, event in enumerate(events) if matches(read(event))]

    def alerts(self, query: str, events: Sequence[Event]) -> list[tuple[int, ...]]:
        """The sequences (or samples) a multi-event query finds: each a tuple of event indexes."""
        if not _is_multi_event(query):  # an event query: each event it matches is an alert
            return [(i,) for i in self.run(query, events)]
        with gc_paused():
            return find_sequences(query, events, event_query_compiler(self.category_field),
                                  category_field=self.category_field, timestamp_field=self.timestamp_field,
                                  tiebreaker_field=self.tiebreaker_field)


@lru_cache(maxsize=256)
def _is_multi_event(text: str) -> bool:
    try:
        return isinstance(parse_query(text).base, (ast.Sequence, ast.Sample, ast.Join))
    except EqlSyntaxError:
        return False


@lru_cache(maxsize=256)
def _reader(text: str, category_field: str = CATEGORY_FIELD):
    query = parse_query(text)
    return doc_values_reader([f.path for f in ast.fields_of(query)] + [category_field])


@lru_cache(maxsize=256)
def compile_eql(text: str, category_field: str = CATEGORY_FIELD) -> Pred:
    """Compile an EQL event query to a `doc -> bool` test (doc: path -> values); `category_field`:
    the field `<category> where` reads (a rule's event_category_override)."""
    try:
        query = parse_query(text)
    except EqlSyntaxError as exc:
        raise ExecutionError(f"EQL does not parse: {exc}") from None
    if query.pipes:
        raise ExecutionError(f"EQL pipes (| {query.pipes[0].name}) are not supported by the event-level evaluator")
    base = query.base
    if not isinstance(base, ast.EventQuery):
        raise ExecutionError("sequences are not supported by the event-level evaluator")
    return compile_event_query(base, category_field)


def compile_event_query(base: ast.EventQuery, category_field: str = CATEGORY_FIELD) -> Pred:
    """One event query (a rule's, or a step of a sequence) as a `doc -> bool` test; `<category> where`
    tests `category_field` (event.category unless the rule overrides it) as a term query."""
    cond = _Compiler().pred(base.condition)
    if base.category == "any":
        return cond
    category = base.category

    def in_category(doc: Doc) -> bool:
        return category in doc.get(category_field, ()) and cond(doc)

    return in_category


@lru_cache(maxsize=16)
def event_query_compiler(category_field: str = CATEGORY_FIELD) -> Callable[[ast.EventQuery], Pred]:
    """compile_event_query bound to a category field: one object per field, so that the sequence
    compiler's cache (keyed on it) holds."""
    if category_field == CATEGORY_FIELD:
        return compile_event_query
    return partial(compile_event_query, category_field=category_field)


def compile_condition(node: ast.Expr) -> Pred:
    """One condition of an event query (any AST node below `where`) as a `doc -> bool` test.

    Event synthesis checks each leaf and each branch of a rule with it, so that the
    events it writes are judged by these semantics, not by a second model of them.
    """
    return _Compiler().pred(node)


# --- value semantics ------------------------------------------------------

def _is_num(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def to_text(v: Any) -> str:
    if type(v) is str:
        return v
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float) and v.is_integer():
        return str(v)
    return str(v)


def _as_number(v: Any) -> float | int | None:
    if _is_num(v):
        return v
    if isinstance(v, str):
        try:
            return int(v)
        except ValueError:
            try:
                return float(v)
            except ValueError:
                return None
    return None


def _equal(a: Any, b: Any, fold: Callable[[str], str] | None = None) -> bool:
    if _is_num(a) and _is_num(b):
        return a == b
    if isinstance(a, bool) and isinstance(b, bool):
        return a == b
    sa, sb = to_text(a), to_text(b)
    if fold:
        return fold(sa) == fold(sb)
    return sa == sb


def _text_key(case_insensitive: bool, normalizer: bool) -> Callable[[str], str] | None:
    """How a term query compares texts: a lowercase normalizer lower-cases both sides (Lucene's
    per-code-point lower case), case_insensitive folds ASCII letters only (engine.leaves)."""
    if case_insensitive and normalizer:
        return lambda t: ascii_lower(lucene_lower(t))
    if case_insensitive:
        return ascii_lower
    if normalizer:
        return lucene_lower
    return None


def _like_test(pattern: str, case_insensitive: bool, normalizer: bool) -> Callable[[str], bool]:
    """`:`, `like`, `like~` and wildcard(): Elasticsearch's optimizer turns a pattern without `*` or `?`
    into an (insensitive) equality, a term query; the others are wildcard queries. EQL strings have
    no wildcard escape: Elasticsearch escapes each backslash (engine.leaves.eql_wildcard)."""
    if "*" not in pattern and "?" not in pattern:
        return term_test(pattern, case_insensitive=case_insensitive, normalizer=normalizer)
    return wildcard_test(eql_wildcard(pattern), case_insensitive=case_insensitive, normalizer=normalizer)


def _order(a: Any, b: Any) -> tuple[Any, Any] | None:
    if _is_num(a) or _is_num(b):
        na, nb = _as_number(a), _as_number(b)
        if na is None or nb is None:
            return None
        return na, nb
    if isinstance(a, str) and isinstance(b, str):
        return a, b
    return None


_ORDER_OPS = {
    "<": lambda a, b: a < b,
    "<=": lambda a, b: a <= b,
    ">": lambda a, b: a > b,
    ">=": lambda a, b: a >= b,
}


def _java_div(a, b):
    if b == 0:
        return None
    if isinstance(a, int) and isinstance(b, int):
        q = abs(a) // abs(b)
        return q if (a >= 0) == (b >= 0) else -q
    return a / b


def _java_mod(a, b):
    if b == 0:
        return None
    if isinstance(a, int) and isinstance(b, int):
        r = abs(a) % abs(b)
        return r if a >= 0 else -r
    return math.fmod(a, b)


_ARITH = {
    "+": lambda a, b: a + b,
    "-": lambda a, b: a - b,
    "*": lambda a, b: a * b,
    "/": _java_div,
    "%": _java_mod,
}
_ARITH_FUNCS = {"add": "+", "subtract": "-", "multiply": "*", "divide": "/", "modulo": "%"}


def _between(s, left, right, greedy=False, fold=False):
    hay = s.lower() if fold else s
    lft = left.lower() if fold else left
    rgt = right.lower() if fold else right
    start = hay.find(lft)
    if start < 0:
        return ""
    start += len(lft)
    end = hay.rfind(rgt) if greedy else hay.find(rgt, start)
    if end < start:
        return ""
    return s[start:end]


def _index_of(s, sub, start=0, fold=False):
    if start is None:
        return None
    if fold:
        s, sub = s.lower(), sub.lower()
    start = max(int(start), 0)
    if start > len(s):
        return None
    pos = s.find(sub, start)
    return None if pos < 0 else pos


def _substring(s, start, end=None):
    return s[int(start):] if end is None else s[int(start):int(end)]


def _number(s, base=None):
    if _is_num(s):
        return s
    text = to_text(s).strip()
    try:
        if text.lstrip("+-").lower().startswith("0x"):
            return int(text, 16)
        if base is None:
            return _as_number(text)
        return int(text, int(base))
    except ValueError:
        return None


def _cidr_match(ip, *cidrs):
    try:
        addr = ipaddress.ip_address(to_text(ip))
    except ValueError:
        return False
    for c in cidrs:
        try:
            if addr in ipaddress.ip_network(to_text(c), strict=False):
                return True
        except ValueError:
            raise ExecutionError(f"cidrMatch: {c!r} is not a CIDR block") from None
    return False


def _str_fn(fn):
    """Wrap a function of strings: every argument rendered as text."""
    def call(*args, fold=False):
        return fn(*[to_text(a) for a in args], fold=fold)
    return call


_FUNCS: dict[str, Callable] = {
    # `~` forms fold ASCII letters, as the prefix and wildcard queries they become do (engine.leaves)
    "startswith": _str_fn(lambda s, p, fold: (ascii_lower(s).startswith(ascii_lower(p)) if fold else s.startswith(p))),
    "endswith": _str_fn(lambda s, p, fold: (ascii_lower(s).endswith(ascii_lower(p)) if fold else s.endswith(p))),
    # an empty substring is never "contained" (Elasticsearch's documented edge case)
    "stringcontains": _str_fn(lambda s, p, fold: p != "" and ((ascii_lower(p) in ascii_lower(s)) if fold else (p in s))),
    "length": lambda s, fold=False: len(to_text(s)),
    "concat": lambda *a, fold=False: "".join(to_text(x) for x in a),
    "string": lambda v, fold=False: to_text(v),
    "substring": lambda s, start, end=None, fold=False: _substring(to_text(s), start, end),
    "indexof": lambda s, sub, start=0, fold=False: _index_of(to_text(s), to_text(sub), start, fold),
    "between": lambda s, l, r, greedy=False, fold=False: _between(to_text(s), to_text(l), to_text(r), greedy, fold),
    "number": lambda s, base=None, fold=False: _number(s, base),
    "cidrmatch": lambda ip, *c, fold=False: _cidr_match(ip, *c),
}
_ARITY = {"startswith": (2, 2), "endswith": (2, 2), "stringcontains": (2, 2), "length": (1, 1),
          "concat": (1, 99), "string": (1, 1), "substring": (2, 3), "indexof": (2, 3), "between": (3, 4),
          "number": (1, 2), "cidrmatch": (2, 99), "add": (2, 2), "subtract": (2, 2), "multiply": (2, 2),
          "divide": (2, 2), "modulo": (2, 2), "wildcard": (2, 99)}
_FOLDABLE = {"startswith", "endswith", "stringcontains", "indexof", "between", "wildcard"}


_PUSHED_DOWN_FUNCTIONS = {"startswith", "endswith", "stringcontains", "cidrmatch", "wildcard"}


def _pushed_down(node: ast.FunctionCall) -> bool:
    """Elasticsearch turns these calls on a field with constant arguments into queries."""
    return (node.name.lower() in _PUSHED_DOWN_FUNCTIONS and bool(node.args) and isinstance(node.args[0], ast.Field)
            and all(isinstance(a, ast.Literal) for a in node.args[1:]))


def _field_and_constant(a, b) -> bool:
    return (isinstance(a, ast.Field) and isinstance(b, ast.Literal)) or \
        (isinstance(b, ast.Field) and isinstance(a, ast.Literal))


def _first_doc_value(values: list) -> list:
    """A script reads a field's first doc value: for an array, the smallest (doc values are sorted;
    Python's code-point order of strings is the UTF-8 byte order Lucene sorts by)."""
    if len(values) < 2:
        return values
    try:
        return [min(values)]
    except TypeError:
        return values[:1]


def _normalized(node) -> bool:
    return isinstance(node, ast.Field) and node.path.endswith(".caseless")


# --- compilation --------------------------------------------------------------

class _Compiler:
    def pred(self, node) -> Pred:
        if isinstance(node, ast.And):
            parts = [self.pred(t) for t in node.terms]
            return lambda d: all(p(d) for p in parts)
        if isinstance(node, ast.Or):
            parts = [self.pred(t) for t in node.terms]
            return lambda d: any(p(d) for p in parts)
        if isinstance(node, ast.Not):
            inner = self.pred(node.term)
            return lambda d: not inner(d)
        if isinstance(node, ast.Comparison):
            return self.comparison(node)
        if isinstance(node, ast.StringPredicate):
            return self.string_predicate(node)
        if isinstance(node, ast.InSet):
            return self.in_set(node)
        if isinstance(node, ast.FunctionCall):
            values = self.values(node, script=not _pushed_down(node))
            return lambda d: any(v is True for v in values(d))
        if isinstance(node, ast.Field):
            values = self.values(node)
            return lambda d: any(v is True for v in values(d))
        if isinstance(node, ast.Literal):
            result = node.value is True
            return lambda d: result
        raise ExecutionError(f"EQL construct {type(node).__name__} is not a condition")

    # leaves -----------------------------------------------------------------
    def comparison(self, node: ast.Comparison) -> Pred:
        left, right = node.left, node.right
        if isinstance(right, ast.Literal) and right.value is None:
            left, right = right, left
        if isinstance(left, ast.Literal) and left.value is None:
            # field == null / field != null: Elasticsearch's existence checks
            other = self.values(right, script=not isinstance(right, ast.Field))
            if node.op == "==":
                return lambda d: not other(d)
            if node.op == "!=":
                return lambda d: bool(other(d))
            return lambda d: False
        script = not _field_and_constant(node.left, node.right)
        lv, rv = self.values(node.left, script), self.values(node.right, script)
        if node.op in ("==", "!="):
            if isinstance(node.right, ast.Literal):
                const, fold = node.right.value, _text_key(False, _normalized(node.left))
                eq = lambda d: any(_equal(v, const, fold) for v in lv(d))  # noqa: E731
            else:
                eq = lambda d: any(_equal(a, b) for a in lv(d) for b in rv(d))  # noqa: E731
            if node.op == "==":
                return eq
            return lambda d: not eq(d)
        cmp = _ORDER_OPS.get(node.op)
        if cmp is None:
            raise ExecutionError(f"EQL operator {node.op} is not supported")

        def ordered(d: Doc) -> bool:
            for a in lv(d):
                for b in rv(d):
                    pair = _order(a, b)
                    if pair is not None and cmp(*pair):
                        return True
            return False

        return ordered

    def string_predicate(self, node: ast.StringPredicate) -> Pred:
        normalizer = _normalized(node.left)
        try:
            if node.is_regex:
                tests = [regexp_test(p, case_insensitive=node.case_insensitive, normalizer=normalizer)
                         for p in node.patterns]
            else:
                tests = [_like_test(p, node.case_insensitive, normalizer) for p in node.patterns]
        except PatternError as exc:
            raise ExecutionError(str(exc)) from None
        values = self.values(node.left, script=not isinstance(node.left, ast.Field))
        if len(tests) == 1:
            test = tests[0]
            return lambda d: any(test(to_text(v)) for v in values(d))
        return lambda d: any(t(to_text(v)) for v in values(d) for t in tests)

    def in_set(self, node: ast.InSet) -> Pred:
        fold = _text_key(node.case_insensitive, _normalized(node.left))
        constant = all(isinstance(v, ast.Literal) for v in node.values)
        script = not (constant and isinstance(node.left, ast.Field))
        values = self.values(node.left, script)
        if constant:
            consts = [v.value for v in node.values if v.value is not None]
            # a case-insensitive term "" matches nothing (see engine.leaves)
            texts = {fold(to_text(c)) if fold else to_text(c) for c in consts
                     if not _is_num(c) and not (node.case_insensitive and to_text(c) == "")}
            nums = [c for c in consts if _is_num(c)]

            def member(d: Doc) -> bool:
                for v in values(d):
                    if _is_num(v):
                        if any(v == n for n in nums) or to_text(v) in texts:
                            return True
                    else:
                        t = to_text(v)
                        if (fold(t) if fold else t) in texts:
                            return True
                        if nums and any(_equal(v, n) for n in nums):
                            return True
                return False
        else:
            others = [self.values(v, script) for v in node.values]

            def member(d: Doc) -> bool:
                return any(_equal(a, b, fold) for a in values(d) for o in others for b in o(d))

        if node.negated:
            return lambda d: not member(d)
        return member

    # values ------------------------------------------------------------------
    def values(self, node, script: bool = False) -> Values:
        """The values of an expression; `script`: evaluated in a script, where a field is its first doc value."""
        if isinstance(node, ast.Field):
            path = node.path
            empty: list = []
            if script:
                return lambda d: _first_doc_value(d.get(path, empty))
            return lambda d: d.get(path, empty)
        if isinstance(node, ast.Literal):
            const = [] if node.value is None else [node.value]
            return lambda d: const
        if isinstance(node, ast.Negative):
            inner = self.values(node.operand, script=True)
            return lambda d: [-v for v in inner(d) if _is_num(v)]
        if isinstance(node, ast.Arithmetic):
            return self._apply(_ARITH[node.op], [node.left, node.right], script=True, numeric=True)
        if isinstance(node, ast.FunctionCall):
            return self.function(node, script)
        if isinstance(node, (ast.And, ast.Or, ast.Not, ast.Comparison, ast.StringPredicate, ast.InSet)):
            test = self.pred(node)
            return lambda d: [test(d)]
        raise ExecutionError(f"EQL construct {type(node).__name__} is not supported")

    def function(self, node: ast.FunctionCall, script: bool) -> Values:
        name = node.name.lower()
        if name not in _ARITY:
            raise ExecutionError(f"EQL function {node.name}() is not supported by the evaluator")
        lo, hi = _ARITY[name]
        if not lo <= len(node.args) <= hi:
            raise ExecutionError(f"EQL function {node.name}() takes {lo}..{hi} arguments, got {len(node.args)}")
        fold = node.case_insensitive
        if fold and name not in _FOLDABLE:
            raise ExecutionError(f"EQL function {node.name}~() has no case-insensitive form")
        if name in _ARITH_FUNCS:
            return self._apply(_ARITH[_ARITH_FUNCS[name]], node.args, script=True, numeric=True)
        if name == "wildcard":
            pred = self.string_predicate(ast.StringPredicate(
                node.args[0], "like~" if fold else "like", tuple(self._literal_strings(node))))
            return lambda d: [pred(d)]
        fn = _FUNCS[name]
        if name in _FOLDABLE:
            return self._apply(lambda *a: fn(*a, fold=fold), node.args, script)
        return self._apply(fn, node.args, script)

    def _literal_strings(self, node: ast.FunctionCall) -> list[str]:
        out = []
        for a in node.args[1:]:
            if not (isinstance(a, ast.Literal) and isinstance(a.value, str)):
                raise ExecutionError(f"{node.name}() needs literal string patterns")
            out.append(a.value)
        return out

    def _apply(self, fn: Callable, args, script: bool, numeric: bool = False) -> Values:
        getters = [self.values(a, script) for a in args]

        def call(d: Doc) -> list:
            lists = [g(d) for g in getters]
            if any(not lst for lst in lists):
                return []  # a null argument: the result is null
            out = []
            for combo in itertools.product(*lists) if len(lists) > 1 else ((v,) for v in lists[0]):
                if numeric:
                    if not all(_is_num(v) for v in combo):
                        combo = tuple(_as_number(v) for v in combo)
                        if any(v is None for v in combo):
                            continue
                r = fn(*combo)
                if r is not None:
                    out.append(r)
            return out

        return call

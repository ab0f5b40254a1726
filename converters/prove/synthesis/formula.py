"""A rule's condition as a formula over atoms, and its branches.

An atom is one leaf of the query (a comparison, a pattern match, a set
membership, a function test) with what synthesis needs to satisfy it: the
field it constrains, the kind of test, the values or patterns, and whether
case matters. Its truth on an event is always decided by ruleport's own
evaluator (converters.eql.evaluator.compile_condition,
converters.kql.evaluator.compile_node) on the Elastic rendering of the event,
never by a second model here.

The condition is put in negation normal form (`not` only on atoms), then
in disjunctive normal form: each conjunct is a branch, a way for an event to
match. Both evaluators are two-valued (a leaf over a missing field is false,
`not` is must_not), so De Morgan's laws hold and a negated atom is simply an
atom that must be false. When the DNF grows past a limit, a cover is used
instead: branches chosen so that every alternative of every `or` is taken
by at least one of them.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from dataclasses import field as dc_field
from typing import Any, Callable

from converters.eql import ast as eql
from converters.eql.evaluator import compile_condition
from converters.errors import RuleportError
from converters.kql import ast as kql
from converters.kql.evaluator import TEXT_FIELDS, analyzer_of, compile_node, is_ip_field
from converters.kql.render import to_kql
from converters.platforms.models import render_elastic
from converters.prove.synthesis import ecs
from converters.prove.synthesis.patterns import ONE, STAR, normalize, wildcard


class SynthesisError(RuleportError):
    """A rule (or a construct in it) events cannot be synthesized for."""

    code = "fixtures/unsupported"


EQ, WILDCARD, REGEX, RANGE, CIDR, EXISTS, LENGTH, TEXT, RELATION, OPAQUE, CONST = (
    "eq", "wildcard", "regex", "range", "cidr", "exists", "length", "text", "relation", "opaque", "const")
_CASELESS = ".caseless"
_TEXT = ".text"


@dataclass(eq=False)
class Atom:
    """One leaf of the condition. `field` is the ECS field whose value decides it (a `.caseless` or
    `.text` multi-field is read through its parent); RELATION and OPAQUE atoms read `fields`."""

    kind: str
    node: Any
    test_doc: Callable[[dict], bool]
    text: str
    field: str | None = None
    values: tuple = ()
    fold: bool = False
    optional: bool = False
    fields: tuple[str, ...] = ()
    extra: dict = dc_field(default_factory=dict)

    def __post_init__(self):
        self._cache: dict = {}

    @property
    def key(self) -> tuple:
        return (self.kind, self.field, self.fields, repr(self.values), self.fold, self.text)

    def holds(self, doc: dict) -> bool:
        """The atom on an event's doc values (converters.platforms.models.render_elastic)."""
        return self.test_doc(doc)

    def accepts(self, value) -> bool:
        """The atom on an event holding only this value (or list of values) in its field."""
        key = repr(value)
        hit = self._cache.get(key)
        if hit is None:
            values = value if isinstance(value, list) else [value]
            hit = self._cache[key] = bool(self.test_doc(render_elastic({self.field: values})))
        return hit

    @property
    def alternatives(self) -> int:
        return len(self.values) if self.kind in (EQ, WILDCARD, REGEX, CIDR) else 1


@dataclass(frozen=True)
class Lit:
    atom: Atom
    positive: bool

    def holds(self, doc: dict) -> bool:
        return self.atom.holds(doc) == self.positive

    def describe(self) -> str:
        return self.atom.text if self.positive else f"not {self.atom.text}"


@dataclass(frozen=True)
class AndF:
    items: tuple


@dataclass(frozen=True)
class OrF:
    items: tuple


TRUE, FALSE = AndF(()), OrF(())


# --- EQL leaves -------------------------------------------------------------------

def _eql_text(node) -> str:
    if isinstance(node, eql.Field):
        return ("?" if node.optional else "") + node.path
    if isinstance(node, eql.Literal):
        v = node.value
        if isinstance(v, str):
            return '"' + v.replace("\\", "\\\\").replace('"', '\\"') + '"'
        return "null" if v is None else ("true" if v is True else "false" if v is False else str(v))
    if isinstance(node, eql.Comparison):
        return f"{_eql_text(node.left)} {node.op} {_eql_text(node.right)}"
    if isinstance(node, eql.StringPredicate):
        pats = [_eql_text(eql.Literal(p)) for p in node.patterns]
        return f"{_eql_text(node.left)} {node.op} " + (pats[0] if len(pats) == 1 else "(" + ", ".join(pats) + ")")
    if isinstance(node, eql.InSet):
        op = ("not in" if node.negated else "in") + ("~" if node.case_insensitive else "")
        return f"{_eql_text(node.left)} {op} (" + ", ".join(_eql_text(v) for v in node.values) + ")"
    if isinstance(node, eql.FunctionCall):
        return f"{node.name}{'~' if node.case_insensitive else ''}(" + ", ".join(map(_eql_text, node.args)) + ")"
    if isinstance(node, eql.Arithmetic):
        return f"{_eql_text(node.left)} {node.op} {_eql_text(node.right)}"
    if isinstance(node, eql.Not):
        return f"not {_eql_text(node.term)}"
    if isinstance(node, (eql.And, eql.Or)):
        word = " and " if isinstance(node, eql.And) else " or "
        return "(" + word.join(_eql_text(t) for t in node.terms) + ")"
    return type(node).__name__


def _base(path: str) -> tuple[str, bool]:
    """(field that holds the value, whether the path is its lower-cased `.caseless` twin)."""
    if path.endswith(_CASELESS):
        return path[: -len(_CASELESS)], True
    return path, False


_FLIP = {"<": ">", ">": "<", "<=": ">=", ">=": "<=", "==": "==", "!=": "!="}


def _eql_atom(node) -> Lit:
    make = lambda kind, test, **kw: Atom(kind, node, compile_condition(test), _eql_text(test), **kw)  # noqa: E731
    if isinstance(node, eql.Comparison):
        left, op, right = node.left, node.op, node.right
        if isinstance(left, eql.Literal) and not isinstance(right, eql.Literal):
            left, op, right = right, _FLIP[op], left
        if isinstance(left, eql.Field) and isinstance(right, eql.Literal):
            base, folded = _base(left.path)
            if right.value is None and op in ("==", "!="):
                test = eql.Comparison(left, "!=", right)
                return Lit(make(EXISTS, test, field=base, optional=left.optional), op == "!=")
            if op in ("==", "!="):
                test = eql.Comparison(left, "==", right)
                value = ecs.typed(base, right.value)
                return Lit(make(EQ, test, field=base, values=(value,), fold=folded, optional=left.optional), op == "==")
            if isinstance(right.value, (int, float, str)) and not isinstance(right.value, bool):
                return Lit(make(RANGE, eql.Comparison(left, op, right), field=base, values=(op, right.value),
                                optional=left.optional), True)
        if isinstance(left, eql.FunctionCall) and left.name.lower() == "length" and len(left.args) == 1 \
                and isinstance(left.args[0], eql.Field) and isinstance(right, eql.Literal) \
                and isinstance(right.value, int) and op in _FLIP:
            f = left.args[0]
            if op == "!=":
                return Lit(make(LENGTH, eql.Comparison(left, "==", right), field=_base(f.path)[0],
                                values=("==", right.value), optional=f.optional), False)
            return Lit(make(LENGTH, eql.Comparison(left, op, right), field=_base(f.path)[0], values=(op, right.value),
                            optional=f.optional), True)
        if isinstance(left, eql.Field) and isinstance(right, eql.Field) and op in ("==", "!="):
            test = eql.Comparison(left, "==", right)
            return Lit(make(RELATION, test, fields=(left.path, right.path), extra={"fn": "eq"}), op == "==")
        return Lit(make(OPAQUE, node, fields=tuple(f.path for f in eql.fields_of(node))), True)
    if isinstance(node, eql.StringPredicate) and isinstance(node.left, eql.Field):
        base, folded = _base(node.left.path)
        if node.is_regex:
            return Lit(make(REGEX, node, field=base, values=tuple(node.patterns), fold=node.case_insensitive,
                            optional=node.left.optional), True)
        return Lit(make(WILDCARD, node, field=base, values=tuple(wildcard(p) for p in node.patterns),
                        fold=node.case_insensitive or folded, optional=node.left.optional), True)
    if isinstance(node, eql.InSet) and isinstance(node.left, eql.Field) \
            and all(isinstance(v, eql.Literal) for v in node.values):
        base, folded = _base(node.left.path)
        test = eql.InSet(node.left, node.values, node.case_insensitive, False)
        values = tuple(ecs.typed(base, v.value) for v in node.values if v.value is not None)
        return Lit(make(EQ, test, field=base, values=values, fold=node.case_insensitive or folded,
                        optional=node.left.optional), not node.negated)
    if isinstance(node, eql.FunctionCall):
        return Lit(_eql_function_atom(node, make), True)
    if isinstance(node, eql.Field):
        base, _ = _base(node.path)
        test = eql.Comparison(node, "==", eql.Literal(True))
        return Lit(make(EQ, test, field=base, values=(True,), optional=node.optional), True)
    return Lit(make(OPAQUE, node, fields=tuple(f.path for f in eql.fields_of(node))), True)


_AFFIX = {"startswith": lambda s: (s, STAR), "endswith": lambda s: (STAR, s), "stringcontains": lambda s: (STAR, s, STAR)}


def _eql_function_atom(node: eql.FunctionCall, make) -> Atom:
    name, args = node.name.lower(), node.args
    first = args[0] if args else None
    if isinstance(first, eql.Field) and len(args) >= 2:
        base, folded = _base(first.path)
        rest = args[1:]
        consts = all(isinstance(a, eql.Literal) and isinstance(a.value, str) for a in rest)
        if name in _AFFIX and consts and len(rest) == 1 and rest[0].value:
            return make(WILDCARD, node, field=base, values=(normalize(_AFFIX[name](rest[0].value)),),
                        fold=node.case_insensitive, optional=first.optional)
        if name == "wildcard" and consts:
            return make(WILDCARD, node, field=base, values=tuple(wildcard(a.value) for a in rest),
                        fold=node.case_insensitive, optional=first.optional)
        if name == "cidrmatch" and consts:
            try:
                nets = tuple(ipaddress.ip_network(a.value, strict=False) for a in rest)
            except ValueError:
                nets = None
            if nets:
                return make(CIDR, node, field=base, values=nets, optional=first.optional)
        if name in _AFFIX and len(rest) == 1 and isinstance(rest[0], eql.Field):
            return make(RELATION, node, fields=(first.path, rest[0].path), fold=node.case_insensitive,
                        extra={"fn": name})
    return make(OPAQUE, node, fields=tuple(f.path for f in eql.fields_of(node)))


def eql_formula(node, positive: bool = True):
    """EQL condition -> NNF formula."""
    if isinstance(node, eql.Not):
        return eql_formula(node.term, not positive)
    if isinstance(node, (eql.And, eql.Or)):
        items = tuple(eql_formula(t, positive) for t in node.terms)
        return AndF(items) if isinstance(node, eql.And) == positive else OrF(items)
    if isinstance(node, eql.Literal):
        return TRUE if (node.value is True) == positive else FALSE
    lit = _eql_atom(node)
    return lit if positive else Lit(lit.atom, not lit.positive)


# --- KQL leaves ---------------------------------------------------------------------

def _kql_typed(field: str, value: kql.Value):
    text = value.literal or ""
    if value.quoted:
        return text if ecs.ecs_type(field) not in ecs.NUMERIC_TYPES | ecs.FLOAT_TYPES else ecs.typed(field, text)
    return ecs.typed(field, text)


def _kql_atom(node, prefix: str = "") -> Lit:
    text = to_kql(node)
    make = lambda kind, **kw: Atom(kind, node, compile_node(node), text, **kw)  # noqa: E731
    if isinstance(node, kql.FieldExists):
        return Lit(make(EXISTS, field=_base(node.field)[0]), True)
    if isinstance(node, kql.Range):
        base = _base(node.field)[0]
        bound = node.value.literal
        try:
            number = float(bound) if bound is not None else None
        except ValueError:
            number = None
        if number is not None:
            number = int(number) if number.is_integer() and "." not in bound else number
            return Lit(make(RANGE, field=base, values=(node.op, number)), True)
        return Lit(make(OPAQUE, fields=(node.field,)), True)
    if isinstance(node, kql.FieldMatch) and "*" not in node.field:
        field, folded = _base(node.field)
        if is_ip_field(field) and not node.value.has_wildcard:
            try:
                net = ipaddress.ip_network(node.value.literal or "", strict=False)
                return Lit(make(CIDR, field=field, values=(net,)), True)
            except ValueError:
                pass
        analyzer = analyzer_of(node.field)
        if analyzer is not None:
            # a `.text` multi-field is indexed from its parent's value
            target = node.field if node.field in TEXT_FIELDS else node.field[: -len(_TEXT)]
            return Lit(make(TEXT, field=target, values=(node.value,), fold=True, extra={"analyzer": analyzer}), True)
        if node.value.has_wildcard:
            pattern = normalize(STAR if not isinstance(p, str) else p for p in node.value.parts)
            return Lit(make(WILDCARD, field=field, values=(pattern,), fold=folded), True)
        return Lit(make(EQ, field=field, values=(_kql_typed(field, node.value),), fold=folded), True)
    fields = tuple(kql.fields_of(node))
    return Lit(make(OPAQUE, fields=fields), True)


def kql_formula(node, positive: bool = True):
    """KQL query -> NNF formula."""
    if isinstance(node, kql.Not):
        return kql_formula(node.term, not positive)
    if isinstance(node, (kql.And, kql.Or)):
        items = tuple(kql_formula(t, positive) for t in node.terms)
        return AndF(items) if isinstance(node, kql.And) == positive else OrF(items)
    if isinstance(node, kql.MatchAll):
        return TRUE if positive else FALSE
    if isinstance(node, kql.Nested):
        raise SynthesisError(f"KQL nested query {node.field}:{{...}} is not supported (the KQL evaluator "
                             "cannot run it either)", code="fixtures/unsupported")
    lit = _kql_atom(node)
    return lit if positive else Lit(lit.atom, not lit.positive)


# --- branches ----------------------------------------------------------------------------

def dnf_size(f, cap: int) -> int:
    if isinstance(f, Lit):
        return 1
    if isinstance(f, OrF):
        return min(cap + 1, sum(dnf_size(i, cap) for i in f.items))
    total = 1
    for i in f.items:
        total = min(cap + 1, total * dnf_size(i, cap))
    return total


def _dnf(f) -> list[tuple[Lit, ...]]:
    if isinstance(f, Lit):
        return [(f,)]
    if isinstance(f, OrF):
        return [b for i in f.items for b in _dnf(i)]
    result: list[tuple] = [()]
    for i in f.items:
        result = [a + b for a in result for b in _dnf(i)]
    return result


def _clean(branch: tuple[Lit, ...]) -> tuple[Lit, ...] | None:
    """Duplicates dropped; None when the branch holds an atom and its negation."""
    seen: dict = {}
    out = []
    for lit in branch:
        key = lit.atom.key
        if key in seen:
            if seen[key] != lit.positive:
                return None
            continue
        seen[key] = lit.positive
        out.append(lit)
    return tuple(out)


def _cover(f, limit: int) -> list[tuple[Lit, ...]]:
    """Branches until every alternative of every `or` was taken once (greedy, at most `limit`)."""
    wanted = set(or_alternatives(f))
    taken: set = set()
    out = []
    for r in range(limit):
        if out and taken >= wanted:
            break

        def walk(g):
            if isinstance(g, Lit):
                return (g,)
            if isinstance(g, OrF):
                if not g.items:
                    return ()
                k = next((k for k in range(len(g.items)) if (id(g), k) not in taken), r % len(g.items))
                taken.add((id(g), k))
                return walk(g.items[k])
            return tuple(lit for item in g.items for lit in walk(item))

        out.append(walk(f))
    return out


@dataclass
class Branches:
    branches: list[tuple[Lit, ...]]
    dnf_size: int          # the full DNF's size (capped at limit + 1)
    complete: bool         # True: `branches` is the whole DNF; False: a cover of every `or` alternative


def branches(f, limit: int = 256) -> Branches:
    """The DNF of `f` when it has at most `limit` conjuncts, else a cover."""
    if f == FALSE:
        return Branches([], 0, True)
    size = dnf_size(f, limit)
    if size <= limit:
        raw, complete = _dnf(f), True
    else:
        raw, complete = _cover(f, limit), False
    out, seen = [], set()
    for b in raw:
        cleaned = _clean(b)
        if cleaned is None:
            continue
        key = tuple(sorted((id(lit.atom), lit.positive) for lit in cleaned))
        if key not in seen:
            seen.add(key)
            out.append(cleaned)
    return Branches(out, size, complete)


def or_alternatives(f) -> list[tuple[int, int]]:
    """(id of an OrF, index of its alternative) for every alternative of every `or`: what a cover covers."""
    out = []
    if isinstance(f, OrF):
        out.extend((id(f), i) for i in range(len(f.items)))
    if not isinstance(f, Lit):
        for i in f.items:
            out.extend(or_alternatives(i))
    return out


__all__ = ["Atom", "Lit", "AndF", "OrF", "TRUE", "FALSE", "SynthesisError", "eql_formula", "kql_formula",
           "branches", "Branches", "ONE", "STAR"]

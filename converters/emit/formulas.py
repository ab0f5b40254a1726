"""A Sigma rule as a boolean formula over its detection items, rewritten item by item.

Some platforms state one ECS condition as several of their own (an outcome the
platform derives from two columns, a field that only exists under another
field's value) or as a constant (a field the platform never records, the
dataset its scope already selects). A Sigma detection cannot hold a negation,
so such a rewrite cannot stay inside one detection: `rewrite` turns the whole
condition into a formula (and, or, not over single detection items), replaces
each item by what `resolve` makes of it, folds constants, and writes the rule
back as one fresh detection per remaining item (`ruleport_<n>`) and a
condition over them. The meaning is unchanged; only the detection names are.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Union

from converters.emit.errors import EmitError
from sigma.conditions import ConditionAND, ConditionIdentifier, ConditionNOT, ConditionOR, ConditionSelector
from sigma.rule import SigmaDetection, SigmaDetectionItem, SigmaRule


@dataclass(frozen=True)
class Atom:
    item: SigmaDetectionItem


@dataclass(frozen=True)
class And:
    args: tuple


@dataclass(frozen=True)
class Or:
    args: tuple


@dataclass(frozen=True)
class Not:
    arg: object


Formula = Union[bool, Atom, And, Or, Not]

#: resolve(item, positive) -> the item's formula; `positive` is False under an odd number of nots
Resolver = Callable[[SigmaDetectionItem, bool], Formula]


def and_(*args: Formula) -> Formula:
    out = []
    for a in args:
        if a is False:
            return False
        if a is True:
            continue
        out.extend(a.args if isinstance(a, And) else (a,))
    if not out:
        return True
    return out[0] if len(out) == 1 else And(tuple(out))


def or_(*args: Formula) -> Formula:
    out = []
    for a in args:
        if a is True:
            return True
        if a is False:
            continue
        out.extend(a.args if isinstance(a, Or) else (a,))
    if not out:
        return False
    return out[0] if len(out) == 1 else Or(tuple(out))


def not_(arg: Formula) -> Formula:
    if isinstance(arg, bool):
        return not arg
    if isinstance(arg, Not):
        return arg.arg
    return Not(arg)


def map_atoms(f: Formula, fn: Callable[[Atom], Formula]) -> Formula:
    """`f` with each atom replaced by `fn(atom)`, simplified as and_/or_/not_ do."""
    if isinstance(f, Atom):
        return fn(f)
    if isinstance(f, Not):
        return not_(map_atoms(f.arg, fn))
    if isinstance(f, And):
        return and_(*[map_atoms(a, fn) for a in f.args])
    if isinstance(f, Or):
        return or_(*[map_atoms(a, fn) for a in f.args])
    return f


def _fixed(f: Formula) -> tuple[str, frozenset] | None:
    """(field, values) when `f` tests one field for case-sensitive plain values (any of them)."""
    from sigma.conditions import ConditionAND as _And
    from sigma.types import SigmaCasedString

    if not isinstance(f, Atom) or not f.item.value or f.item.value_linking is _And:
        return None
    values = []
    for v in f.item.value:
        if type(v) is not SigmaCasedString or v.contains_special():
            return None
        values.append(v.to_plain())
    return f.item.field, frozenset(values)


def simplify(f: Formula, facts: dict | None = None) -> Formula:
    """Fold tests a surrounding conjunction already decides: under `F in A`, another exact test
    `F in B` is true when A is within B and false when they share nothing (a derivation's cases
    for other actions vanish; a rule naming a workload outside the platform's scope folds)."""
    facts = facts or {}
    fixed = _fixed(f)
    if fixed is not None:
        field, values = fixed
        if field in facts:
            if facts[field] <= values:
                return True
            if not facts[field] & values:
                return False
        return f
    if isinstance(f, Not):
        return not_(simplify(f.arg, facts))
    if isinstance(f, Or):
        return or_(*[simplify(a, facts) for a in f.args])
    if isinstance(f, And):
        own: dict = {}
        for a in f.args:
            fx = _fixed(a)
            if fx is not None:
                known = own.get(fx[0], facts.get(fx[0], fx[1])) & fx[1]
                if not known:
                    return False
                own[fx[0]] = known
        inner = {**facts, **own}
        kept = []
        for n, a in enumerate(f.args):
            fx = _fixed(a)
            if fx is None:
                kept.append(simplify(a, inner))
                continue
            field, values = fx
            if field in facts and facts[field] <= values:
                continue  # the surrounding conjunction already says it
            # a test another one of this conjunction implies says nothing more
            implied = any(o is not a and (ox := _fixed(o)) is not None and ox[0] == field
                          and (ox[1] < values or (ox[1] == values and m < n))
                          for m, o in enumerate(f.args))
            if not implied:
                kept.append(a)
        return and_(*kept)
    return f


def _detection(det, resolve: Resolver, positive: bool) -> Formula:
    if isinstance(det, SigmaDetectionItem):
        return resolve(det, positive)
    parts = [_detection(d, resolve, positive) for d in det.detection_items]
    return or_(*parts) if det.item_linking is ConditionOR else and_(*parts)


def _condition(node, rule: SigmaRule, resolve: Resolver, positive: bool, memo: dict) -> Formula:
    detections = rule.detection.detections
    if isinstance(node, ConditionSelector):
        ids = node.resolve_referenced_detections(rule.detection)
        if not ids:
            raise EmitError("selector matches no detection", code="emit/condition")
        node = node.cond_class([ConditionIdentifier([i]) if isinstance(i, str) else i for i in ids])
    if isinstance(node, str):
        node = ConditionIdentifier([node])
    if isinstance(node, ConditionIdentifier):
        key = (node.identifier, positive)
        if key not in memo:
            if node.identifier not in detections:
                raise EmitError(f"condition names no detection {node.identifier!r}", code="emit/condition")
            memo[key] = _detection(detections[node.identifier], resolve, positive)
        return memo[key]
    if isinstance(node, ConditionNOT):
        return not_(_condition(node.args[0], rule, resolve, not positive, memo))
    if isinstance(node, (ConditionAND, ConditionOR)):
        parts = [_condition(a, rule, resolve, positive, memo) for a in node.args]
        return and_(*parts) if isinstance(node, ConditionAND) else or_(*parts)
    raise EmitError(f"unexpected condition element {node!r}", code="emit/condition")


def _serialize(f: Formula, atoms: dict) -> str:
    if isinstance(f, Atom):
        key = id(f.item)
        if key not in atoms:
            atoms[key] = (f"ruleport_{len(atoms) + 1}", f.item)
        return atoms[key][0]
    if isinstance(f, Not):
        return f"not ({_serialize(f.arg, atoms)})"
    joiner = " and " if isinstance(f, And) else " or "
    return "(" + joiner.join(_serialize(a, atoms) for a in f.args) + ")"


def rewrite(rule: SigmaRule, resolve: Resolver, what: str, scope: Formula = True,
            everything: Formula | None = None) -> None:
    """Rewrite every detection item of `rule` through `resolve` (see the module docstring),
    each condition and-ed with `scope` (what selects the platform's records of the source).

    A condition that folds to a constant cannot be emitted: EmitError names `what`
    made it so (code emit/field-unavailable); with `everything` (a condition every record of
    the platform's tables meets) a condition that always holds is that one."""
    memo: dict = {}
    texts = []
    atoms: dict = {}
    for cond in rule.detection.parsed_condition:
        tree = cond.parse(postprocess=False)
        f = simplify(and_(_condition(tree, rule, resolve, True, memo), scope))
        if f is True and everything is not None:
            f = everything
        if isinstance(f, bool):
            raise EmitError(f"{what}: the condition becomes always {'true' if f else 'false'}",
                            code="emit/field-unavailable")
        texts.append((cond, _serialize(f, atoms)))
    detections = {}
    for name, item in atoms.values():
        detections[name] = SigmaDetection(detection_items=[item], item_linking=ConditionAND)
    rule.detection.detections = detections
    for cond, text in texts:
        cond.condition = text
    rule.detection.condition = [text for _, text in texts]

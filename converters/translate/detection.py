"""Sigma detections built from a boolean condition tree.

Query translators produce a tree of Items (one field, modifiers, values)
combined with CondAnd/CondOr/CondNot; `to_detection` turns it into Sigma's
named selections and a condition string, merging where Sigma allows:
conditions on distinct fields under one AND share a selection, and ORed
values of one field share a list.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Union


@dataclass(frozen=True)
class Item:
    """`field|mod1|mod2: [values]`: true when any value matches (all with |all)."""

    field: str
    modifiers: tuple[str, ...] = ()
    values: tuple[Any, ...] = ()

    @property
    def key(self) -> str:
        return "|".join((self.field,) + self.modifiers)


@dataclass(frozen=True)
class Selection:
    items: tuple[Item, ...]


@dataclass(frozen=True)
class CondAnd:
    terms: tuple


@dataclass(frozen=True)
class CondOr:
    terms: tuple


@dataclass(frozen=True)
class CondNot:
    term: Any


Cond = Union[Selection, CondAnd, CondOr, CondNot]


def item(field: str, modifiers: tuple[str, ...], values: tuple) -> Selection:
    return Selection((Item(field, modifiers, values),))


def all_of(terms: list) -> Cond:
    flat: list = []
    for t in terms:
        flat.extend(t.terms if isinstance(t, CondAnd) else [t])
    # merge plain selections whose keys do not collide into one selection
    merged: list = []
    for t in flat:
        if isinstance(t, Selection):
            for i, m in enumerate(merged):
                if isinstance(m, Selection) and not ({x.key for x in m.items} & {x.key for x in t.items}):
                    merged[i] = Selection(m.items + t.items)
                    break
            else:
                merged.append(t)
        else:
            merged.append(t)
    return merged[0] if len(merged) == 1 else CondAnd(tuple(merged))


def any_of(terms: list) -> Cond:
    flat: list = []
    for t in terms:
        flat.extend(t.terms if isinstance(t, CondOr) else [t])
    # merge single-item selections on the same key into one value list
    merged: list = []
    for t in flat:
        if isinstance(t, Selection) and len(t.items) == 1 and "all" not in t.items[0].modifiers:
            it = t.items[0]
            for i, m in enumerate(merged):
                if isinstance(m, Selection) and len(m.items) == 1 and m.items[0].key == it.key:
                    values = m.items[0].values + tuple(v for v in it.values if v not in m.items[0].values)
                    merged[i] = Selection((Item(it.field, it.modifiers, values),))
                    break
            else:
                merged.append(t)
        else:
            merged.append(t)
    return merged[0] if len(merged) == 1 else CondOr(tuple(merged))


def negate(term: Cond) -> Cond:
    return term.term if isinstance(term, CondNot) else CondNot(term)


@dataclass
class _Namer:
    selections: dict = field(default_factory=dict)
    counter: dict = field(default_factory=dict)

    def name(self, sel: Selection, negated: bool) -> str:
        # SigmaHQ convention: conditions that only exclude are filters
        prefix = "filter" if negated else "selection"
        self.counter[prefix] = self.counter.get(prefix, 0) + 1
        name = f"{prefix}_{self.counter[prefix]}"
        self.selections[name] = sel
        return name


_PRECEDENCE = {CondOr: 1, CondAnd: 2, CondNot: 3, Selection: 4}


def _render(cond: Cond, namer: _Namer, negated: bool = False) -> str:
    if isinstance(cond, Selection):
        return namer.name(cond, negated)
    if isinstance(cond, CondNot):
        inner = _render(cond.term, namer, not negated)
        return "not " + (f"({inner})" if _PRECEDENCE[type(cond.term)] < 3 else inner)
    joiner = " and " if isinstance(cond, CondAnd) else " or "
    mine = _PRECEDENCE[type(cond)]
    parts = []
    for t in cond.terms:
        text = _render(t, namer, negated)
        parts.append(f"({text})" if _PRECEDENCE[type(t)] < mine else text)
    return joiner.join(parts)


def to_detection(cond: Cond) -> tuple[dict[str, Selection], str]:
    """Name the selections of a condition tree; return them and the condition string."""
    namer = _Namer()
    condition = _render(cond, namer)
    return namer.selections, condition

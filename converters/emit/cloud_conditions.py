"""Sigma detection items and the notes' condition language, each in terms of the other.

The cloud data models state an ECS condition a platform cannot read directly
through other ECS conditions (a derivation's `when`, written in the condition
language of converters.notes), and say which events an approximation affects
in that language. This module converts between the two and decides whether a
constant value (a derived value, a dataset) satisfies a detection item.
"""

from __future__ import annotations

import re
from typing import Any

from converters.emit.formulas import Atom, Formula, and_, not_, or_
from converters.emit.strings import to_pcre, wildcard_text
from converters.notes import all_, any_, eq, exists, regex, wildcard
from converters.notes import not_ as cond_not
from sigma.conditions import ConditionAND
from sigma.modifiers import SigmaRegularExpressionFlag
from sigma.rule import SigmaDetectionItem
from sigma.types import (
    SigmaBool,
    SigmaCasedString,
    SigmaCompareExpression,
    SigmaExists,
    SigmaNull,
    SigmaNumber,
    SigmaRegularExpression,
    SigmaString,
)

# --- notes condition -> Sigma items --------------------------------------------


def _escaped(text: str) -> SigmaString:
    """A Sigma string matching `text` literally."""
    s = SigmaString("")
    s.s = (text,) if text else ()
    return s


def _pattern(text: str) -> SigmaString:
    return SigmaString(text)  # `*`, `?` wildcards and `\\` escapes, as the notes language writes them


def item(field: str, values: list, *, all_values: bool = False) -> SigmaDetectionItem:
    linking = ConditionAND if all_values else None
    if linking is None:
        return SigmaDetectionItem(field, [], values)
    return SigmaDetectionItem(field, [], values, value_linking=linking)


def condition_formula(cond: dict) -> Formula:
    """A notes-language condition as a formula over ECS detection items."""
    if "exists" in cond:
        return Atom(item(cond["exists"], [SigmaExists(True)]))
    if "not" in cond:
        return not_(condition_formula(cond["not"]))
    if "all" in cond:
        return and_(*[condition_formula(c) for c in cond["all"]])
    if "any" in cond:
        return or_(*[condition_formula(c) for c in cond["any"]])
    field = cond["field"]
    ci = cond.get("case") == "insensitive"
    values: list = []
    if "eq" in cond:
        for v in cond["eq"]:
            if isinstance(v, bool):
                values.append(SigmaBool(v))
            elif isinstance(v, (int, float)):
                values.append(SigmaNumber(v))
            else:
                s = _escaped(str(v))
                values.append(s if ci else SigmaCasedString.from_sigma_string(s))
    elif "wildcard" in cond:
        for p in cond["wildcard"]:
            s = _pattern(p)
            values.append(s if ci else SigmaCasedString.from_sigma_string(s))
    elif "contains" in cond:
        for v in cond["contains"]:
            s = _pattern("*" + "".join("\\" + c if c in "*?\\" else c for c in v) + "*")
            values.append(s if ci else SigmaCasedString.from_sigma_string(s))
    elif "regex" in cond:
        for r in cond["regex"]:
            rx = SigmaRegularExpression(r)
            if ci:
                rx.add_flag(SigmaRegularExpressionFlag.IGNORECASE)
            values.append(rx)
    else:
        raise ValueError(f"not a condition: {cond!r}")
    return Atom(item(field, values))


# --- Sigma items -> notes condition --------------------------------------------


def item_condition(it: SigmaDetectionItem) -> dict | None:
    """The notes-language condition that holds on exactly the ECS events `it` matches, or None
    when a value has no form in that language."""
    field = it.field
    parts = []
    for v in it.value:
        if isinstance(v, SigmaExists):
            parts.append(exists(field) if v.exists else cond_not(exists(field)))
        elif isinstance(v, SigmaNull):
            parts.append(cond_not(exists(field)))
        elif isinstance(v, SigmaBool):
            parts.append(eq(field, [v.boolean]))
        elif isinstance(v, SigmaNumber):
            parts.append(eq(field, [v.number]))
        elif isinstance(v, SigmaRegularExpression):
            ci = SigmaRegularExpressionFlag.IGNORECASE in v.flags
            parts.append(regex(field, [str(v.regexp)], case_insensitive=ci))
        elif isinstance(v, SigmaString):
            ci = not isinstance(v, SigmaCasedString)
            if v.contains_special():
                parts.append(wildcard(field, [wildcard_text(v)], case_insensitive=ci))
            else:
                parts.append(eq(field, [v.to_plain()], case_insensitive=ci))
        else:
            return None
    if not parts:
        return None
    return all_(*parts) if it.value_linking is ConditionAND else any_(*parts)


# --- does a constant satisfy an item ---------------------------------------------


def value_matches(v, value: Any) -> bool:
    """Whether the ECS value `value` (None: missing) satisfies the Sigma value `v`."""
    if isinstance(v, SigmaExists):
        return (value is not None) == v.exists
    if isinstance(v, SigmaNull):
        return value is None
    if value is None:
        return False
    if isinstance(v, SigmaBool):
        return value is v.boolean or str(value).lower() == str(v.boolean).lower()
    if isinstance(v, SigmaNumber):
        try:
            return float(value) == float(v.number)
        except (TypeError, ValueError):
            return False
    if isinstance(v, SigmaCompareExpression):
        try:
            left, right = float(value), float(v.number.number)
        except (TypeError, ValueError):
            return False
        op = v.op
        return {v.CompareOperators.LT: left < right, v.CompareOperators.LTE: left <= right,
                v.CompareOperators.GT: left > right, v.CompareOperators.GTE: left >= right}[op]
    if isinstance(v, SigmaRegularExpression):
        flags = re.IGNORECASE if SigmaRegularExpressionFlag.IGNORECASE in v.flags else 0
        return re.search(str(v.regexp), str(value), flags) is not None
    if isinstance(v, SigmaString):
        flags = 0 if isinstance(v, SigmaCasedString) else re.IGNORECASE
        return re.fullmatch(to_pcre(v, anchored=False), str(value), flags | re.DOTALL) is not None
    raise ValueError(f"cannot compare with {type(v).__name__}")


def item_matches(it: SigmaDetectionItem, value: Any) -> bool:
    """Whether an ECS field holding `value` (a list: any element) satisfies `it`."""
    values = value if isinstance(value, list) else [value]

    def one(v) -> bool:
        if isinstance(v, (SigmaExists, SigmaNull)):
            return value_matches(v, None if value is None or value == [] else value)
        return any(value_matches(v, x) for x in values)

    tests = [one(v) for v in it.value]
    return all(tests) if it.value_linking is ConditionAND else any(tests)

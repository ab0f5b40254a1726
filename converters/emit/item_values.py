"""A detection item's values in the shapes the platform models read them.

The endpoint models (converters.emit.tables, equivalents, endpoint_items) turn
a detection item into another item on the platform's field, or into a note
saying which events it affects. Both need the item's values in other shapes:
plain strings, wildcard patterns, a regex for "anything but this value", the
caseless variant of an item, and the item's condition as whole-value regexes
over ECS fields (a note's `where`).
"""

from __future__ import annotations

import re

from converters.emit.strings import render, wildcard_text
from converters.notes import all_, any_, exists, not_, regex
from sigma.rule import SigmaDetectionItem
from sigma.types import (
    SigmaBool,
    SigmaCasedString,
    SigmaNumber,
    SigmaRegularExpression,
    SigmaRegularExpressionFlag,
    SigmaString,
)


def plain_values(item: SigmaDetectionItem) -> list[str] | None:
    """The item's values as plain strings, or None when one is not a plain string."""
    out = []
    for v in item.value:
        if type(v) in (SigmaString, SigmaCasedString) and not v.contains_special():
            out.append(v.to_plain())
        elif isinstance(v, SigmaNumber):
            out.append(str(v.number))
        elif isinstance(v, SigmaBool):
            out.append("true" if v.boolean else "false")
        else:
            return None
    return out


def wildcard_values(item: SigmaDetectionItem) -> list[str] | None:
    """The item's string values as wildcard patterns (`*`, `?`; literal ones escaped), else None."""
    if any(type(v) not in (SigmaString, SigmaCasedString) for v in item.value):
        return None
    return [wildcard_text(v) for v in item.value]


def literal_values(it: SigmaDetectionItem, strings: bool = False) -> list | None:
    """The item's values as Python values (bool, number, str; `strings`: all as text), or None
    when one is not a plain value."""
    out = []
    for v in it.value:
        if isinstance(v, SigmaBool):
            out.append(v.boolean)
        elif isinstance(v, SigmaNumber):
            out.append(v.number)
        elif type(v) in (SigmaString, SigmaCasedString) and not v.contains_special():
            out.append(v.to_plain())
        else:
            return None
    return [str(v) if strings and not isinstance(v, str) else v for v in out]


def literal_string(text: str) -> SigmaCasedString:
    """A case-sensitive Sigma string matching `text` literally (no wildcards)."""
    s = SigmaString("")
    s.s = (text,) if text else ()
    return SigmaCasedString.from_sigma_string(s)


def with_values(item: SigmaDetectionItem, field_name: str, values: list) -> SigmaDetectionItem:
    return SigmaDetectionItem(field_name, [], values, value_linking=item.value_linking)


def other_than(text: str) -> SigmaRegularExpression:
    """A regex matching every string but `text` (no lookaround, which RE2 and Kusto lack): a proper
    prefix of it, or its first i characters and then another one, or it followed by more."""
    esc = [re.escape(c) for c in text]
    alternatives = ["".join(esc[:i]) + "$" for i in range(len(text))]
    alternatives += ["".join(esc[:i]) + "[^" + esc[i] + "]" for i in range(len(text))]
    alternatives.append("".join(esc) + ".")
    return SigmaRegularExpression("^(?:" + "|".join(alternatives) + ")", [SigmaRegularExpressionFlag.DOTALL])


def pattern_string(pattern: str, cased: bool) -> SigmaString:
    """A wildcard pattern (as wildcard_values writes it) as a Sigma string, case-sensitive if `cased`."""
    s = SigmaString(pattern)  # `*` and `?` are wildcards, `\\` escapes, as in Sigma
    return SigmaCasedString.from_sigma_string(s) if cased else s


CASELESS = ".caseless"


def caseless(item: SigmaDetectionItem, field_name: str | None = None) -> SigmaDetectionItem:
    """`X.caseless: v` is X compared case-insensitively: the `lowercase` normalizer lower-cases the
    indexed value and the query's alike, so a |cased value there is not case-sensitive."""
    return with_values(item, field_name or item.field, [uncased(v) for v in item.value])


def is_cased(item: SigmaDetectionItem) -> bool:
    """The item compares case-sensitively (`|cased`: an event's other spelling differs)."""
    return any(isinstance(v, SigmaCasedString) for v in item.value)


def uncased(v):
    """A SigmaCasedString as the SigmaString of the same parts (wildcards kept)."""
    if isinstance(v, SigmaCasedString):
        s = SigmaString("")
        s.s = v.s
        return s
    return v


# --- the item's condition as regexes, for a note's `where` -------------------


def element_regexes(item: SigmaDetectionItem) -> tuple[list[str], bool] | None:
    """The item's values as whole-value regexes and whether they ignore case (None: a value
    that is no string, number or regex: null, exists)."""
    out, cased = [], False
    for v in item.value:
        if type(v) in (SigmaString, SigmaCasedString):
            cased = cased or isinstance(v, SigmaCasedString)
            out.append(render(v, any_run=".*", any_char=".", literal=re.escape))
        elif isinstance(v, SigmaNumber):
            out.append(re.escape(str(v.number)))
        elif isinstance(v, SigmaRegularExpression):
            cased = cased or SigmaRegularExpressionFlag.IGNORECASE not in v.flags
            out.append(f".*(?:{v.regexp}).*")   # found anywhere in the value
        else:
            return None
    return (out, not cased) if out else None


def holds_item(found):
    """From element_regexes' answer: a function of an ECS field, the condition that the field
    holds one of the item's values."""
    regexes, insensitive = found
    union = "^(?:" + "|".join(f"(?:{r})" for r in regexes) + ")\\Z"
    return lambda f: regex(f, [union], case_insensitive=insensitive)


def disagree(a: str, b: str, item: SigmaDetectionItem) -> dict:
    """The events where ECS fields `a` and `b` give the item's condition different truths."""
    found = element_regexes(item)
    if found is None:   # null / exists
        return any_(all_(exists(a), not_(exists(b))), all_(exists(b), not_(exists(a))))
    hold = holds_item(found)
    return any_(all_(hold(a), not_(hold(b))), all_(hold(b), not_(hold(a))))

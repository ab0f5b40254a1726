"""Notes: every approximation a translation or emission makes, and the events it can affect.

A `Note` says in words what changed (a condition widened, narrowed or
dropped, a field approximated). When it can also say *which events* the
change can give a different verdict, it carries an `Affects`: a direction
and a condition over the original ECS event. The proof (converters.prove)
then accepts a target's difference on an event only when a declared note's
condition holds for that event and its direction fits; every other
difference is reported as one.

`Affects.where` is a small JSON condition language over ECS fields (dotted
names, as the original rule reads them; array fields hold when any element
does), plus `_index`: the index the event lives in as Elasticsearch holds it
(converters.platforms.elastic.index_of):

    {"exists": F}                                F has a value
    {"field": F, "eq": [v, ...]}                 F equals one of the values
    {"field": F, "wildcard": [p, ...]}           F matches one of the patterns
                                                 (`*` any run, `?` one character, `\\` escapes)
    {"field": F, "regex": [r, ...]}              F matches one of the regexes (Python `re.search`)
    {"field": F, "contains": [s, ...]}           F contains one of the strings
        each of these four may add "case": "insensitive" (default: sensitive)
    {"not": C}   {"all": [C, ...]}   {"any": [C, ...]}
    {"argv_mismatch": [ARGS, COMMAND_LINE]}     the argument array ARGS is not what splitting
                                                 COMMAND_LINE at whitespace outside double quotes gives
    {"basename_mismatch": [NAME, PATH]}         NAME is not the last component of PATH
                                                 (after the last / or \\), or one of them is missing
    {"values_differ": [F, G]}                    F and G do not hold the same values (one has a
                                                 value the other lacks); two missing fields agree

The evaluator lives with the proof (converters/prove/explain.py); this
module is plain data, at the bottom of the package.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

MORE, LESS, EITHER = "more", "less", "either"

#: where pySigma processing pipelines collect their notes (the pipeline's state dict)
PIPELINE_NOTES_KEY = "ruleport_notes"
DIRECTIONS = (MORE, LESS, EITHER)


@dataclass(frozen=True)
class Affects:
    """Which events an approximation can change the verdict of.

    `direction`: "more" (the target may match events the original does not),
    "less" (it may miss events the original matches) or "either". `where` is
    the condition (see the module docstring), kept as canonical JSON text so
    that notes stay hashable and comparable.
    """

    direction: str
    where: str

    @classmethod
    def of(cls, direction: str, where: dict) -> Affects:
        if direction not in DIRECTIONS:
            raise ValueError(f"direction must be one of {DIRECTIONS}, not {direction!r}")
        return cls(direction, json.dumps(where, sort_keys=True, ensure_ascii=False))

    @property
    def condition(self) -> dict:
        return json.loads(self.where)

    def as_dict(self) -> dict:
        return {"direction": self.direction, "where": self.condition}


@dataclass(frozen=True)
class Note:
    """A machine-readable remark on a translation or emission.

    Every approximation is a Note, so that no loss is silent. `target` is
    None for notes on the Sigma translation itself; `field` names the field
    concerned, when one is; `affects` states which events can differ.
    """

    code: str
    message: str
    target: str | None = None
    field: str | None = None
    affects: Affects | None = None

    def as_dict(self) -> dict:
        d: dict[str, Any] = {"code": self.code, "message": self.message, "target": self.target, "field": self.field}
        if self.affects is not None:
            d["affects"] = self.affects.as_dict()
        return d


# --- conditions on a correlation's alert groups ------------------------------------
# A correlation rule fires for groups of events (a sequence, a sample, the events
# of one group-by value within the timespan). These conditions hold on an event
# when one of the alert groups containing it, in the column that matched it
# (the original's when a target misses it, the target's when the target matches
# it alone), has the property. The proof evaluates them over the event stream
# (converters/prove/stream_explain.py).
#
#     {"group_span_over": S}          the group's events span more than S seconds
#                                     (last @timestamp minus first)
#     {"group_crosses_bucket": S}     the group's events do not all fall in one
#                                     S-second bucket aligned on the Unix epoch
#     {"group_fold_case": [F, ...]}   two of the group's events have values of F
#                                     (one of the fields) that differ only in case
#     {"group_shares_bucket": S}      two of the group's events fall in the same
#                                     S-second bucket aligned on the Unix epoch
#     {"group_differs": F}            the group's events do not all have the same
#                                     value of F (one lacking it counts as another value)

def group_span_over(seconds: float) -> dict:
    return {"group_span_over": seconds}


def group_crosses_bucket(seconds: float) -> dict:
    return {"group_crosses_bucket": seconds}


def group_fold_case(fields) -> dict:
    return {"group_fold_case": [fields] if isinstance(fields, str) else list(fields)}


def group_shares_bucket(seconds: float) -> dict:
    """Two of the group's events fall in the same S-second bucket aligned on the Unix epoch."""
    return {"group_shares_bucket": seconds}


def group_differs(field: str) -> dict:
    """The group's events do not all have one value of `field`."""
    return {"group_differs": field}


# --- building conditions ------------------------------------------------------

def exists(field: str) -> dict:
    return {"exists": field}


def _leaf(field: str, kind: str, values, case_insensitive: bool) -> dict:
    values = [values] if isinstance(values, (str, int, float, bool)) else list(values)
    leaf: dict[str, Any] = {"field": field, kind: values}
    if case_insensitive:
        leaf["case"] = "insensitive"
    return leaf


def eq(field: str, values, *, case_insensitive: bool = False) -> dict:
    return _leaf(field, "eq", values, case_insensitive)


def wildcard(field: str, patterns, *, case_insensitive: bool = False) -> dict:
    return _leaf(field, "wildcard", patterns, case_insensitive)


def regex(field: str, patterns, *, case_insensitive: bool = False) -> dict:
    return _leaf(field, "regex", patterns, case_insensitive)


def contains(field: str, values, *, case_insensitive: bool = False) -> dict:
    return _leaf(field, "contains", values, case_insensitive)


def not_(condition: dict) -> dict:
    return {"not": condition}


def all_(*conditions: dict) -> dict:
    return conditions[0] if len(conditions) == 1 else {"all": list(conditions)}


def any_(*conditions: dict) -> dict:
    return conditions[0] if len(conditions) == 1 else {"any": list(conditions)}


def argv_mismatch(args_field: str, command_line_field: str) -> dict:
    return {"argv_mismatch": [args_field, command_line_field]}


def basename_mismatch(name_field: str, path_field: str) -> dict:
    return {"basename_mismatch": [name_field, path_field]}


def values_differ(field: str, other: str) -> dict:
    """Two ECS fields a platform reads from one place (an integration copies one raw field to both)."""
    return {"values_differ": [field, other]}

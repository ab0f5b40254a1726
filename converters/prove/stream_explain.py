"""Does a declared note explain a difference on a correlation rule's event?

For a correlation the verdict on an event depends on the other events of its
alert group (a sequence, the events counted together). A note's `affects`
(converters/notes.py) is evaluated on the alert groups that contain the event,
in the column that matched it: the original's when the target misses the
event, the target's when the target alone matches it (both for "either").

- A group condition (`group_span_over`, `group_crosses_bucket`,
  `group_fold_case`, `group_shares_bucket`, `group_differs`) is evaluated on the group's events.
- Any other condition is an event condition: it holds on a group when it holds
  on one of its events (an approximation that changes one event's verdict can
  make or break the whole group); it is evaluated as a whole, so `not` keeps
  its event meaning.
- `all`, `any` and `not` combine group conditions.
An event in no group of that column is a group of its own.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Mapping, Sequence

from converters.engine.timestamps import epoch_seconds
from converters.notes import EITHER, LESS, MORE, Note
from converters.prove.explain import ConditionError, holds, note_doc

GROUP_KEYS = ("group_span_over", "group_crosses_bucket", "group_fold_case", "group_shares_bucket", "group_differs")


@dataclass
class StreamContext:
    """The events by line and the alert groups (tuples of lines) of the original and of one column."""

    events: Mapping[int, Mapping[str, Any]]
    original: Sequence[tuple[int, ...]]
    column: Sequence[tuple[int, ...]]
    _docs: dict = field(default_factory=dict)

    def doc(self, line: int) -> dict:
        if line not in self._docs:
            self._docs[line] = note_doc(self.events[line])
        return self._docs[line]

    def time(self, line: int) -> float | None:
        return epoch_seconds(self.doc(line).get("@timestamp"))


def _has_group_keys(condition: Mapping) -> bool:
    if any(k in condition for k in GROUP_KEYS):
        return True
    if "not" in condition:
        return _has_group_keys(condition["not"])
    for key in ("all", "any"):
        if key in condition:
            return any(_has_group_keys(c) for c in condition[key])
    return False


def group_holds(condition: Mapping, group: Sequence[int], ctx: StreamContext) -> bool:
    if not isinstance(condition, Mapping):
        raise ConditionError(f"a condition must be an object, not {condition!r}")
    if not _has_group_keys(condition):
        return any(holds(condition, ctx.doc(line)) for line in group)
    if "not" in condition:
        return not group_holds(condition["not"], group, ctx)
    if "all" in condition:
        return all(group_holds(c, group, ctx) for c in condition["all"])
    if "any" in condition:
        return any(group_holds(c, group, ctx) for c in condition["any"])
    times = [t for t in (ctx.time(line) for line in group) if t is not None]
    if "group_span_over" in condition:
        return bool(times) and max(times) - min(times) > float(condition["group_span_over"])
    if "group_crosses_bucket" in condition:
        span = float(condition["group_crosses_bucket"])
        return len({math.floor(t / span) for t in times}) > 1
    if "group_differs" in condition:
        field = condition["group_differs"]
        return len({tuple(ctx.doc(line).get(field, ())) for line in group}) > 1
    if "group_shares_bucket" in condition:
        span = float(condition["group_shares_bucket"])
        buckets = [math.floor(t / span) for t in times]
        return len(set(buckets)) < len(buckets)
    if "group_fold_case" in condition:
        values = {v for line in group for f in condition["group_fold_case"]
                  for v in ctx.doc(line).get(f, ()) if isinstance(v, str)}
        folded = {}
        for v in values:
            folded.setdefault(v.lower(), set()).add(v)
        return any(len(vs) > 1 for vs in folded.values())
    raise ConditionError(f"unknown condition {condition!r}")


def explaining_note(notes: Sequence[Note], line: int, expected: bool, got: bool, ctx: StreamContext) -> Note | None:
    """The first note whose `affects` explains this difference on the event at `line`, else None."""
    for note in notes:
        if note.affects is None:
            continue
        direction = note.affects.direction
        sides = []
        if direction in (LESS, EITHER) and expected and not got:
            sides.append(ctx.original)
        if direction in (MORE, EITHER) and got and not expected:
            sides.append(ctx.column)
        if not sides:
            continue
        groups = [g for side in sides for g in side if line in g] or [(line,)]
        condition = note.affects.condition
        if any(group_holds(condition, g, ctx) for g in groups):
            return note
    return None

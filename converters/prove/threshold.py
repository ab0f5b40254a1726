"""The original column of a threshold rule: its query, then Elastic's threshold.

A threshold rule (Elastic Security, "Create a threshold rule") runs its query
every `interval` over the last look-back (`from`), groups the matching events
by the threshold fields and raises an alert for each group holding at least
`threshold.value` events, and, with `threshold.cardinality`, at least that many
distinct values of the cardinality field. Grouping is a terms aggregation:
an event lacking a group field is in no group, and an event with several
values of a group field is in the group of each; values compare exactly.

The schedule's phase is not part of the rule, so the proof takes every
moment as a possible run: a group fires when some look-back window ending at
one of its events, [t - look-back, t], holds the threshold. The events behind
an alert are those of that window.
"""

from __future__ import annotations

import itertools
from typing import Any, Sequence

from converters.engine.documents import flatten_ecs
from converters.engine.executor import Event, ExecutionError, Executor
from converters.engine.timestamps import epoch_seconds


class ThresholdExecutor(Executor):
    """Runs a threshold rule: the event query by `match`, then the threshold over time windows."""

    name = "threshold"

    def __init__(self, match: Executor, rule: dict, lookback_seconds: float):
        self.match = match
        self.engine = f"{match.engine} + Elastic threshold (look-back windows)"
        threshold = rule.get("threshold") or {}
        fields = threshold.get("field") or []
        self.fields = [fields] if isinstance(fields, str) else list(fields)
        self.value = int(threshold.get("value") or 1)
        card = (threshold.get("cardinality") or [None])[0]
        self.card_field = card.get("field") if card else None
        self.card_value = int(card.get("value")) if card else None
        self.span = lookback_seconds

    def unavailable(self) -> str | None:
        return self.match.unavailable()

    def run(self, query: str, events: Sequence[Event]) -> list[int]:
        return sorted({i for group in self.alerts(query, events) for i in group})

    def alerts(self, query: str, events: Sequence[Event]) -> list[tuple[int, ...]]:
        hits = self.match.run(query, events)
        docs = {i: flatten_ecs(events[i]) for i in hits}
        groups: dict[Any, list[tuple[float, int]]] = {}
        for i in hits:
            t = epoch_seconds(docs[i].get("@timestamp"))
            if t is None:
                continue
            values = [docs[i].get(f) for f in self.fields]
            if any(not v for v in values):
                continue
            for key in itertools.product(*[[_hashable(x) for x in v] for v in values]):
                groups.setdefault(key, []).append((t, i))
        found: list[tuple[int, ...]] = []
        for members in groups.values():
            members.sort()
            for t, _ in members:
                window = [(u, j) for u, j in members if t - self.span <= u <= t]
                if self._fires([j for _, j in window], docs):
                    group = tuple(sorted(j for _, j in window))
                    if group not in found:
                        found.append(group)
        return found

    def _fires(self, window: list[int], docs) -> bool:
        if len(window) < self.value:
            return False
        if self.card_field is None:
            return True
        distinct = {_hashable(v) for j in window for v in docs[j].get(self.card_field, ())}
        return len(distinct) >= self.card_value


def _hashable(value: Any) -> Any:
    if isinstance(value, (dict, list)):
        raise ExecutionError(f"a group-by value must be a scalar, not {type(value).__name__}")
    return value

"""What the proof does differently for a rule that correlates events.

A correlation rule (an EQL sequence or sample, a threshold rule) raises alerts
for groups of events, so every column runs over the whole stream in time
order (the fixture's events sorted by `@timestamp`, ties in file order) and
reports the events behind each alert: a column's `matched` is the union of
its alerts' events, empty exactly when it raises no alert. Differences are
explained by notes evaluated on those alert groups
(converters/prove/stream_explain.py).
"""

from __future__ import annotations

from functools import lru_cache, partial
from typing import Callable

from converters.engine.executor import Executor
from converters.engine.timestamps import epoch_seconds
from converters.eql import EqlSyntaxError, ast, parse_query
from converters.eql.evaluator import EqlExecutor
from converters.kql.evaluator import KibanaKqlExecutor
from converters.load import EqlFields, RuleFile, eql_fields
from converters.prove.fixtures import Fixture


def correlation_kind(rule_file: RuleFile) -> str | None:
    """"sequence", "sample", "threshold" for a rule that correlates events, else None."""
    rule = rule_file.rule
    if rule.get("type") == "threshold":
        return "threshold"
    if rule.get("language") == "eql" and isinstance(rule.get("query"), str):
        try:
            base = parse_query(rule["query"]).base
        except EqlSyntaxError:
            return None
        if isinstance(base, ast.Sequence):
            return "sequence"
        if isinstance(base, (ast.Sample, ast.Join)):
            return "sample"
    return None


class LookBack(Executor):
    """An Elastic rule run with its look-back: each run searches the last `seconds` (`from`).

    The runs' times are not part of the rule, so every moment is taken as a
    possible run: the alerts are those of the searches over [t - look-back, t]
    for every event time t (the same alert found by several runs counts once).
    Used for the EQL queries that only the look-back bounds: samples, and
    sequences without maxspan."""

    name = "look-back"

    def __init__(self, inner: Executor, seconds: float):
        self.inner = inner
        self.seconds = seconds
        self.engine = f"{inner.engine}, one search per look-back window of {seconds:g}s"

    def run(self, query, events):
        return sorted({i for group in self.alerts(query, events) for i in group})

    def alerts(self, query, events):
        from converters.engine.documents import flatten_ecs

        times = [epoch_seconds((flatten_ecs(e).get("@timestamp") or [None])[0]) for e in events]
        found: list[tuple[int, ...]] = []
        for t in sorted({t for t in times if t is not None}):
            window = [i for i, u in enumerate(times) if u is not None and t - self.seconds <= u <= t]
            for group in self.inner.alerts(query, [events[i] for i in window]):
                mapped = tuple(sorted(window[j] for j in group))
                if mapped not in found:
                    found.append(mapped)
        return found


@lru_cache(maxsize=32)
def _eql_factory(fields: EqlFields) -> Callable[[], Executor]:
    if fields == EqlFields():
        return EqlExecutor
    return partial(EqlExecutor, fields.category, fields.timestamp, fields.tiebreaker)


def eql_original(rule: dict) -> Callable[[], Executor]:
    """The EQL evaluator as the rule runs: reading its event_category_override, timestamp_field and
    tiebreaker_field (one factory per set of fields, so that `ruleport prove` reuses the executor)."""
    return _eql_factory(eql_fields(rule))


def original_executor(rule_file: RuleFile) -> Callable[[], Executor]:
    """The original rule's executor for a correlation: EQL sequences natively (under the rule's look-back when
    no maxspan bounds them), thresholds over their query."""
    from converters.translate.correlation import lookback, timespan_seconds

    rule = rule_file.rule
    if rule.get("type") != "threshold":
        base = parse_query(rule["query"]).base
        eql = eql_original(rule)
        if isinstance(base, ast.Sequence) and base.maxspan:
            return eql
        return lambda: LookBack(eql(), timespan_seconds(lookback(rule)))

    def make() -> Executor:
        from converters.prove.threshold import ThresholdExecutor

        match = eql_original(rule)() if rule.get("language") == "eql" else KibanaKqlExecutor()
        return ThresholdExecutor(match, rule, timespan_seconds(lookback(rule)))

    return make


def time_ordered(fixture: Fixture) -> Fixture:
    """The fixture's events in `@timestamp` order (ties and events without a time keep file order)."""
    def key(n: int):
        event = fixture.events[n]
        t = epoch_seconds(event.get("@timestamp"))
        return (0 if t is not None else 1, t or 0.0, n)

    order = sorted(range(len(fixture.events)), key=key)
    return Fixture(fixture.path, [fixture.events[n] for n in order], [fixture.lines[n] for n in order],
                   fixture.rejected)

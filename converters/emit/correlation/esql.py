"""Sigma correlations as ES|QL: STATS over fixed time buckets.

ES|QL has no sliding window (no streamstats, no self-join over time): a
correlation is a STATS per group and per time bucket of the timespan
(`DATE_TRUNC(<timespan>, @timestamp)`, buckets aligned on the epoch). Events
of one group split by a bucket boundary never meet, so a correlation whose
events cross a boundary is missed: noted as such (`emit/fixed-buckets`).
Within a bucket every event is less than the timespan from the others, so
the query never fires where the sliding window would not.

The query (pySigma's ES|QL backend, method "stats", has no temporal_ordered,
binds no per-step keys and lets an event of two rules count once):
- search: `FROM <every step's indexes> | WHERE (<rule 1>) OR (<rule 2>) ...`;
  `ruleport_step` lists the rules each event matches (MV_APPEND of CASEs)
  and MV_EXPAND makes one row per rule, so an event of two rules plays both;
- keys: `ruleport_k<j>` = the step's own join-key field (CASE over
  ruleport_step), as text; rows lacking one are dropped (ES|QL would make
  a null group of them);
- event_count: `COUNT(*)`; value_count: `COUNT_DISTINCT` (exact below ES|QL's
  precision threshold of 3000 distinct values);
- temporal: each rule counted in the bucket;
- temporal_ordered, for rules in two runs (A repeated r times, then B
  repeated s times): the r-th earliest A before the s-th latest B (MIN/MAX
  when r = s = 1); one rule repeated r times: r of its events. Longer chains
  need per-row state STATS does not have: refused.
"""

from __future__ import annotations

from typing import ClassVar

from converters.emit.correlation.base import CorrelationBackend, Step
from converters.translate.logsource import definition_indexes
from converters.notes import LESS, Affects, group_crosses_bucket, not_, wildcard

_UNITS = ((86400, "days"), (3600, "hours"), (60, "minutes"), (1, "seconds"))


class EsqlCorrelation(CorrelationBackend):
    correlation_methods: ClassVar[dict[str, str]] = {
        "stats": "STATS per group and per fixed time bucket of the timespan (ES|QL has no sliding window)",
    }
    default_correlation_method: ClassVar[str] = "stats"

    default_correlation_query: ClassVar[dict[str, str]] = {
        "stats": "FROM {indexes}\n| WHERE {search}\n{typing}\n| EVAL {keys}\n| WHERE {present}\n"
                 "| STATS {aggregate} BY {groupby}\n{condition}"}
    correlation_search_multi_rule_query_expression: ClassVar[str] = "({query})"
    correlation_search_multi_rule_query_expression_joiner: ClassVar[str] = " OR "
    typing_rule_query_expression: ClassVar[str] = "CASE({query}, {step})"
    typing_expression: ClassVar[str] = "| EVAL ruleport_step = {queries}\n| MV_EXPAND ruleport_step"
    key_expression: ClassVar[str] = "ruleport_k{position} = {value}"
    key_case_expression: ClassVar[str] = "ruleport_step == {step}, TO_STRING({field})"
    bucket_expression: ClassVar[str] = \
        "ruleport_bucket = DATE_TRUNC({timespan}, @timestamp), ruleport_ms = TO_LONG(@timestamp)"
    present_condition_expression: ClassVar[str] = "{column} IS NOT NULL"
    groupby_expression: ClassVar[dict[str, str]] = {"stats": "ruleport_bucket{fields}"}
    groupby_field_expression: ClassVar[dict[str, str]] = {"stats": ", ruleport_k{position}"}

    event_count_aggregation_expression: ClassVar[dict[str, str]] = {"stats": "ruleport_count = COUNT(*)"}
    value_count_aggregation_expression: ClassVar[dict[str, str]] = {
        "stats": "ruleport_count = COUNT_DISTINCT(ruleport_value)"}
    event_count_condition_expression: ClassVar[dict[str, str]] = {"stats": "| WHERE ruleport_count {op} {count}"}
    value_count_condition_expression: ClassVar[dict[str, str]] = {"stats": "| WHERE ruleport_count {op} {count}"}
    temporal_aggregation_expression: ClassVar[dict[str, str]] = {
        "stats": "ruleport_n{step} = COUNT(CASE(ruleport_step == {step}, 1))"}
    temporal_condition_expression: ClassVar[dict[str, str]] = {"stats": "ruleport_n{step} > 0"}
    temporal_ordered_first_expression: ClassVar[str] = "ruleport_a = MIN(CASE(ruleport_step == {step}, ruleport_ms))"
    temporal_ordered_last_expression: ClassVar[str] = "ruleport_b = MAX(CASE(ruleport_step == {step}, ruleport_ms))"
    temporal_ordered_runs_expression: ClassVar[str] = "ruleport_{name} = VALUES(CASE(ruleport_step == {step}, ruleport_ms))"
    temporal_ordered_condition_expression: ClassVar[dict[str, str]] = {"stats": "| WHERE ruleport_a < ruleport_b"}
    temporal_ordered_repeat_expression: ClassVar[str] = "ruleport_n = COUNT(CASE(ruleport_step == {step}, 1))"
    temporal_ordered_repeat_condition_expression: ClassVar[str] = "| WHERE ruleport_n >= {count}"
    temporal_ordered_runs_condition_expression: ClassVar[str] = (
        "| EVAL ruleport_a = MV_SLICE(MV_SORT(ruleport_a), {first}), ruleport_b = MV_SLICE(MV_SORT(ruleport_b), {last})\n"
        "| WHERE ruleport_a < ruleport_b")
    correlation_condition_mapping_esql: ClassVar[dict[str, str]] = {
        "lt": "<", "lte": "<=", "gt": ">", "gte": ">=", "eq": "==", "neq": "!="}

    def correlation_query(self, rule, kind, method, steps: list[Step]) -> str:
        width = len(steps[0].keys) - (1 if kind == "value_count" else 0)
        span = rule.timespan.seconds
        indexes = list(dict.fromkeys(i.strip() for s in steps for i in str(s.state.get("index", "*")).split(",")))
        search = self.correlation_search_multi_rule_query_expression_joiner.join(
            self.correlation_search_multi_rule_query_expression.format(query=s.query) for s in steps) \
            if len(steps) > 1 else steps[0].query
        typing = self._typing(steps)
        keys = [self.key_expression.format(position=j, value=self._per_step(steps, j)) for j in range(width)]
        if kind == "value_count":
            keys.append(f"ruleport_value = {self._per_step(steps, len(steps[0].keys) - 1)}")
        keys.append(self.bucket_expression.format(timespan=_esql_span(span)))
        present = " AND ".join(self.present_condition_expression.format(column=f"ruleport_k{j}")
                               for j in range(width)) or "true"
        groupby = self.groupby_expression[method].format(fields="".join(
            self.groupby_field_expression[method].format(position=j) for j in range(width)))
        if kind in ("event_count", "value_count"):
            op, count = self.condition_of(rule)
            aggregate = getattr(self, f"{kind}_aggregation_expression")[method]
            condition = getattr(self, f"{kind}_condition_expression")[method].format(
                op=self.correlation_condition_mapping_esql[op], count=count)
        elif kind == "temporal":
            aggregate = ", ".join(self.temporal_aggregation_expression[method].format(step=s.position) for s in steps)
            condition = "| WHERE " + " AND ".join(
                self.temporal_condition_expression[method].format(step=s.position) for s in steps)
        else:
            aggregate, condition = self._ordered(steps, method)
        self.correlation_note(
            "emit/fixed-buckets",
            f"ES|QL has no sliding window: events are grouped in fixed {rule.timespan.spec} buckets aligned on the "
            f"epoch, so a correlation whose events fall on both sides of a bucket boundary is missed "
            f"(Sigma's timespan is any {rule.timespan.spec} window)",
            Affects.of(LESS, group_crosses_bucket(span)))
        if not all(names_its_indexes(s.rule, str(s.state.get("index", "*"))) for s in steps):
            index_note(self.correlation_note, ", ".join(indexes))  # as for one rule
        query = self.default_correlation_query[method].format(
            indexes=", ".join(indexes), search=search, typing=typing, keys=", ".join(keys), present=present,
            aggregate=aggregate, groupby=groupby, condition=condition)
        return "\n".join(line for line in query.split("\n") if line.strip())

    def _typing(self, steps: list[Step]) -> str:
        if len(steps) == 1:
            return "| EVAL ruleport_step = 1"
        cases = [self.typing_rule_query_expression.format(query=s.query, step=s.position) for s in steps]
        expr = cases[0]
        for case in cases[1:]:
            expr = f"MV_APPEND({expr}, {case})"
        return self.typing_expression.format(queries=expr)

    def _per_step(self, steps: list[Step], position: int) -> str:
        fields = {s.keys[position] for s in steps}
        if len(fields) == 1:
            return f"TO_STRING({self.escape_and_quote_field(steps[0].keys[position])})"
        return "CASE(" + ", ".join(self.key_case_expression.format(
            step=s.position, field=self.escape_and_quote_field(s.keys[position])) for s in steps) + ")"

    def _ordered(self, steps: list[Step], method: str) -> tuple[str, str]:
        runs: list[list[Step]] = []
        for s in steps:
            if runs and runs[-1][-1].query == s.query and runs[-1][-1].keys == s.keys:
                runs[-1].append(s)
            else:
                runs.append([s])
        if len(runs) == 1:  # one kind of step repeated: enough events of it in the bucket
            return (self.temporal_ordered_repeat_expression.format(step=runs[0][0].position),
                    self.temporal_ordered_repeat_condition_expression.format(count=len(runs[0])))
        if len(runs) != 2:
            raise self.refuse(f"ES|QL's STATS can check the order of two kinds of events (each possibly repeated); "
                              f"these {len(runs)} ordered steps need a chain it cannot compute")
        first, last = runs
        if len(first) == 1 and len(last) == 1:
            return (f"{self.temporal_ordered_first_expression.format(step=first[0].position)}, "
                    f"{self.temporal_ordered_last_expression.format(step=last[0].position)}",
                    self.temporal_ordered_condition_expression[method])
        aggregate = (f"{self.temporal_ordered_runs_expression.format(name='a', step=first[0].position)}, "
                     f"{self.temporal_ordered_runs_expression.format(name='b', step=last[0].position)}")
        return aggregate, self.temporal_ordered_runs_condition_expression.format(
            first=len(first) - 1, last=-len(last))


def _esql_span(seconds: float) -> str:
    for size, unit in _UNITS:
        if seconds % size == 0:
            n = int(seconds // size)
            return f"{n} {unit if n != 1 else unit[:-1]}"
    return f"{int(seconds)} seconds"


def names_its_indexes(rule, indexes: str) -> bool:
    """Whether the Sigma rule's logsource definition names exactly the indexes FROM reads (the
    original Elastic rule's, written there by the translator)."""
    named = definition_indexes(getattr(rule.logsource, "definition", None))
    return named is not None and named == [n.strip() for n in indexes.split(",")]


def index_note(record, indexes: str) -> None:
    """FROM reads the data model's indexes (a Sigma category: Elastic Defend's data stream; no category
    and no indexes named: logs-*), not what an original Elastic rule read (Sysmon via Winlogbeat, an
    integration's data stream): narrowed, exactly for the events that live elsewhere."""
    patterns = [p.strip() for p in indexes.split(",") if p.strip()]
    record("emit/index-assumed", f"the query reads {indexes} (the data model's indexes): events in other "
           "indexes are not read", Affects.of(LESS, not_(wildcard("_index", patterns))))

"""Sigma correlations as Elastic EQL: sequences and samples.

pySigma's pinned EQL backend writes `sequence by  with maxspan=..` with
`with runs=` after the last step for every type (eql 1.0.1 rejects it), lets
event_count ignore its operator and turns value_count into runs of one value.
Here, with Elasticsearch's documented semantics (converters.eql.sequences):

- temporal_ordered: `sequence [by K] with maxspan=T` and one `[category
  where query]` per referenced rule, with per-step `by` keys when the steps
  join on different fields; consecutive identical steps are written once
  with `with runs=n` (at most 100, Elasticsearch's limit).
- temporal: `sample by K`, one filter per rule. EQL samples have no time
  window: the timespan is not applied (noted: groups spanning more match).
- event_count `gte n` (`gt n`: n+1): `sequence by K with maxspan=T [q] with
  runs=n`, n events of the same key within T of the first; `gte 1` is every
  event of q with its keys present (an event query). A count of at most or
  exactly n is refused: a sequence cannot say "no more".
- value_count is refused: EQL cannot compare values across events.
"""

from __future__ import annotations

from typing import ClassVar

from converters.emit.correlation.base import CorrelationBackend, Step, same_keys, timespan_units
from converters.notes import MORE, Affects, group_span_over

#: ES limits `with runs` to 1..100 (LogicalPlanBuilder), and a sequence needs two steps at least
MAX_RUNS = 100
_UNITS = (("d", 86400), ("h", 3600), ("m", 60), ("s", 1))


class EqlCorrelation(CorrelationBackend):
    #: Sigma logsource category -> EQL event category (the backend's own table)
    event_categories: ClassVar[dict[str, str]] = {}
    correlation_methods: ClassVar[dict[str, str]] = {
        "sequence": "EQL sequence (ordered, per join key, within maxspan of the first event) or sample",
    }
    default_correlation_method: ClassVar[str] = "sequence"

    temporal_ordered_correlation_query: ClassVar[dict[str, str]] = {
        "sequence": "sequence{groupby} with maxspan={timespan}\n{search}"}
    event_count_correlation_query: ClassVar[dict[str, str]] = {
        "sequence": "sequence{groupby} with maxspan={timespan}\n{search}"}
    temporal_correlation_query: ClassVar[dict[str, str]] = {"sequence": "sample{groupby}\n{search}"}
    #: event_count >= 1: each event of the rule, its join keys present
    event_count_single_query: ClassVar[str] = "{category} where ({query}){present}"
    present_expression: ClassVar[str] = " and {field} != null"

    correlation_search_multi_rule_query_expression: ClassVar[str] = "  [{category} where {query}]{keys}{runs}"
    correlation_search_multi_rule_query_expression_joiner: ClassVar[str] = "\n"
    step_keys_expression: ClassVar[str] = " by {fields}"
    runs_expression: ClassVar[str] = " with runs={runs}"
    groupby_expression: ClassVar[dict[str, str]] = {"sequence": " by {fields}"}
    groupby_field_expression: ClassVar[dict[str, str]] = {"sequence": "{field}"}
    groupby_field_expression_joiner: ClassVar[dict[str, str]] = {"sequence": ", "}

    def correlation_query(self, rule, kind, method, steps: list[Step]) -> str:
        if kind == "value_count":
            raise self.refuse("EQL cannot count distinct values: a sequence compares no values across its events")
        runs = [1] * len(steps)
        if kind == "event_count":
            op, count = self.condition_of(rule)
            if op not in ("gte", "gt"):
                raise self.refuse(f"EQL cannot say a count {op} {count}: a sequence finds at least n events")
            n = count + 1 if op == "gt" else count
            if n > MAX_RUNS:
                raise self.refuse(f"a count of {n} events needs `with runs={n}`; Elasticsearch allows at most "
                                  f"{MAX_RUNS}")
            if n <= 1:
                step = steps[0]
                present = "".join(self.present_expression.format(field=self.escape_and_quote_field(k))
                                  for k in step.keys)
                return self.event_count_single_query.format(category=self._category(step), query=step.query,
                                                            present=present)
            runs = [n]
        elif kind == "temporal_ordered":
            steps, runs = self._collapse(steps)
            if len(steps) == 1 and runs[0] < 2:
                raise self.refuse("a one-step temporal_ordered correlation is not a sequence")
        template = getattr(self, f"{kind}_correlation_query")[method]
        shared = same_keys(steps)
        if kind == "temporal":
            self.correlation_note(
                "emit/sample-no-window",
                f"EQL samples have no time window: the {rule.timespan.spec} timespan is not applied, so groups "
                "whose events are further apart also match",
                Affects.of(MORE, group_span_over(rule.timespan.seconds)))
        groupby = self._groupby(steps[0].keys, method) if shared else ""
        search = self.correlation_search_multi_rule_query_expression_joiner.join(
            self.correlation_search_multi_rule_query_expression.format(
                category=self._category(step), query=step.query,
                keys="" if shared or not step.keys else self.step_keys_expression.format(
                    fields=", ".join(self.escape_and_quote_field(k) for k in step.keys)),
                runs=self.runs_expression.format(runs=r) if r > 1 else "")
            for step, r in zip(steps, runs))
        return template.format(groupby=groupby, timespan=timespan_units(rule.timespan.seconds, _UNITS),
                               search=search)

    def _groupby(self, keys: list[str], method: str) -> str:
        if not keys:
            return ""
        fields = self.groupby_field_expression_joiner[method].join(
            self.groupby_field_expression[method].format(field=self.escape_and_quote_field(k)) for k in keys)
        return self.groupby_expression[method].format(fields=fields)

    def _category(self, step: Step) -> str:
        return self.event_categories.get(step.rule.logsource.category, "any")

    @staticmethod
    def _collapse(steps: list[Step]) -> tuple[list[Step], list[int]]:
        """Consecutive steps with the same query and keys, as one step `with runs=n`."""
        out: list[Step] = []
        runs: list[int] = []
        for step in steps:
            if out and out[-1].query == step.query and out[-1].keys == step.keys and runs[-1] < MAX_RUNS \
                    and out[-1].rule.logsource == step.rule.logsource:
                runs[-1] += 1
            else:
                out.append(step)
                runs.append(1)
        return out, runs

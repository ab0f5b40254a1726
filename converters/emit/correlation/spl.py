"""Sigma correlations as Splunk SPL: sliding windows with streamstats, steps ordered by a chain.

pySigma's Splunk backend (method "stats") bins `_time` into fixed buckets
(`bin _time span=T | stats ... by _time`): events of one group split by a
bucket boundary never meet, and it has no temporal_ordered. Here every type
is a sliding window, as Sigma (and EQL's maxspan) mean it, written with
`streamstats time_window=T ... by <group>` over the events in time order
(Splunk's Search Reference, streamstats: the statistics of the events of the
same by-group within the time window before each event, itself included
unless current=f; the events must be sorted by _time):

- search: one rule, or `| multisearch [ search <rule 1> | eval ruleport_step=1 ... ] ...`
  (rules that start with a generating command, the CIM target's `| tstats`,
  are joined with `append` instead, each tstats counting per second:
  `by _time span=1s`, its `count` summed where events are counted; steps
  within one second cannot be ordered, as noted);
  each step's join keys are copied to `ruleport_k<j>` (its own field per
  step, as Sigma aliases say), and events lacking one are dropped;
- event_count: `streamstats time_window=T count` then `where ruleport_count <op> n`;
- value_count: the same with `dc(<field>)` (Splunk's distinct count is exact
  and case-sensitive);
- temporal: the latest time of each step within T (`max(ruleport_t<n>)`): all present;
- temporal_ordered: a chain. For step 1 the chain start is its time; for step
  k, the latest start of a chain ending at step k-1 strictly earlier within T
  (`streamstats current=f max(...)`), kept when the event is at most T after
  that start. An event completing step n fires: the latest start makes the
  check exact for "steps in order within T of the first".
  Results of one time are sorted by descending step (`sort 0 _time,
  -ruleport_step`): an event that several steps select is one result per step,
  and its step-k result must not count its own step-(k-1) result (or another of
  the same time) as an earlier step, which would also hide the earlier chain
  that it continues (max() takes the latest).
"""

from __future__ import annotations

from typing import ClassVar

from converters.emit.correlation.base import CorrelationBackend, Step, timespan_units
from converters.notes import LESS, MORE, Affects, group_shares_bucket, group_span_over

_UNITS = (("d", 86400), ("h", 3600), ("m", 60), ("s", 1))


class SplCorrelation(CorrelationBackend):
    correlation_methods: ClassVar[dict[str, str]] = {
        "streamstats": "sliding time window per group (streamstats time_window); ordered steps as a chain",
    }
    default_correlation_method: ClassVar[str] = "streamstats"

    default_correlation_query: ClassVar[dict[str, str]] = {
        "streamstats": "{search}\n{present}\n| sort 0 _time, -ruleport_step\n{aggregate}\n{condition}"}
    correlation_search_single_rule_expression: ClassVar[str] = "{query}\n| eval ruleport_step=1{normalization}"
    correlation_search_multi_rule_expression: ClassVar[str] = "| multisearch\n{queries}"
    correlation_search_multi_rule_query_expression: ClassVar[str] = \
        "  [ search {query} | eval ruleport_step={step}{normalization} ]"
    correlation_search_multi_rule_query_expression_joiner: ClassVar[str] = "\n"
    correlation_search_field_normalization_expression: ClassVar[str] = ", ruleport_k{position}={field}"
    present_expression: ClassVar[str] = "| where {conditions}"
    present_condition_expression: ClassVar[str] = "isnotnull(ruleport_k{position})"
    #: tstats fills a missing by-field with the text "null" (fillnull_value="null")
    present_filled_condition_expression: ClassVar[str] = \
        'isnotnull(ruleport_k{position}) AND ruleport_k{position}!="null"'

    groupby_field_expression: ClassVar[dict[str, str]] = {"streamstats": "ruleport_k{position}"}
    groupby_field_expression_joiner: ClassVar[dict[str, str]] = {"streamstats": " "}
    groupby_expression: ClassVar[dict[str, str]] = {"streamstats": " by {fields}"}

    event_count_aggregation_expression: ClassVar[dict[str, str]] = {
        "streamstats": "| streamstats time_window={timespan} {count} as ruleport_count{groupby}"}
    #: what counts the events of a result: one result per event, or a tstats row with its `count`
    event_count_expression: ClassVar[str] = "count"
    summed_count_expression: ClassVar[str] = "sum(count)"
    #: rules starting with a generating command (`| tstats`): the first as is, the others appended
    correlation_search_generating_rule_expression: ClassVar[str] = "{query}\n| eval ruleport_step={step}{normalization}"
    correlation_search_appended_rule_expression: ClassVar[str] = \
        "| append [ {query} | eval ruleport_step={step}{normalization} ]"
    tstats_time_bucket: ClassVar[str] = "_time span=1s"
    value_count_aggregation_expression: ClassVar[dict[str, str]] = {
        "streamstats": "| streamstats time_window={timespan} dc(ruleport_value) as ruleport_count{groupby}"}
    event_count_condition_expression: ClassVar[dict[str, str]] = {
        "streamstats": "| where ruleport_count {op} {count}"}
    value_count_condition_expression: ClassVar[dict[str, str]] = {
        "streamstats": "| where ruleport_count {op} {count}"}
    #: temporal: each step's latest time in the window
    temporal_step_expression: ClassVar[str] = "| eval ruleport_t{step}=if(ruleport_step={step}, _time, null())"
    temporal_aggregation_expression: ClassVar[dict[str, str]] = {
        "streamstats": "{steps}\n| streamstats time_window={timespan} {latest}{groupby}"}
    temporal_latest_expression: ClassVar[str] = "max(ruleport_t{step}) as ruleport_l{step}"
    temporal_condition_expression: ClassVar[dict[str, str]] = {"streamstats": "| where {present}"}
    #: temporal_ordered: the chain start of each step
    chain_first_expression: ClassVar[str] = "| eval ruleport_c1=if(ruleport_step=1, _time, null())"
    chain_step_expression: ClassVar[str] = (
        "| streamstats time_window={timespan} current=f max(ruleport_c{prev}) as ruleport_p{prev}{groupby}\n"
        "| eval ruleport_c{step}=if(ruleport_step={step} AND ruleport_p{prev} < _time "
        "AND _time - ruleport_p{prev} <= {seconds}, ruleport_p{prev}, null())")
    temporal_ordered_condition_expression: ClassVar[dict[str, str]] = {
        "streamstats": "| where isnotnull(ruleport_c{last})"}
    correlation_condition_mapping_spl: ClassVar[dict[str, str]] = {
        "lt": "<", "lte": "<=", "gt": ">", "gte": ">=", "eq": "=", "neq": "!="}

    def correlation_query(self, rule, kind, method, steps: list[Step]) -> str:
        width = len(steps[0].keys)
        if kind == "value_count":
            width -= 1  # the counted field comes last in each step's keys
        search = self._search(steps, width, kind == "value_count")
        generating = steps[0].query.lstrip().startswith("|")
        condition_template = self.present_filled_condition_expression if generating \
            else self.present_condition_expression
        present = self.present_expression.format(conditions=" AND ".join(
            condition_template.format(position=j) for j in range(width))) if width else ""
        groupby = self.groupby_expression[method].format(fields=self.groupby_field_expression_joiner[method].join(
            self.groupby_field_expression[method].format(position=j) for j in range(width))) if width else ""
        timespan = timespan_units(rule.timespan.seconds, _UNITS)
        if generating:
            self.correlation_note(
                "emit/tstats-seconds",
                "tstats counts events per whole second (by _time span=1s), so times are rounded down to the "
                f"second: events up to a second further apart than {rule.timespan.spec} can be correlated",
                Affects.of(MORE, group_span_over(rule.timespan.seconds)))
        if generating and kind in ("temporal", "temporal_ordered"):
            self.correlation_note(
                "emit/tstats-seconds",
                "tstats counts events per whole second (by _time span=1s): steps of a sequence within the same "
                "second cannot be put in order, so such a sequence is missed", Affects.of(LESS, group_shares_bucket(1)))
        if kind in ("event_count", "value_count"):
            op, count = self.condition_of(rule)
            aggregate = getattr(self, f"{kind}_aggregation_expression")[method].format(
                timespan=timespan, groupby=groupby,
                count=self.summed_count_expression if generating else self.event_count_expression)
            condition = getattr(self, f"{kind}_condition_expression")[method].format(
                op=self.correlation_condition_mapping_spl[op], count=count)
        elif kind == "temporal":
            n = len(steps)
            aggregate = self.temporal_aggregation_expression[method].format(
                steps="\n".join(self.temporal_step_expression.format(step=k) for k in range(1, n + 1)),
                timespan=timespan, groupby=groupby,
                latest=" ".join(self.temporal_latest_expression.format(step=k) for k in range(1, n + 1)))
            condition = self.temporal_condition_expression[method].format(
                present=" AND ".join(f"isnotnull(ruleport_l{k})" for k in range(1, n + 1)))
        else:  # temporal_ordered
            n = len(steps)
            lines = [self.chain_first_expression] + [
                self.chain_step_expression.format(timespan=timespan, prev=k - 1, step=k, groupby=groupby,
                                                  seconds=int(rule.timespan.seconds)) for k in range(2, n + 1)]
            aggregate = "\n".join(lines)
            condition = self.temporal_ordered_condition_expression[method].format(last=n)
        query = self.default_correlation_query[method].format(
            search=search, present=present, aggregate=aggregate, condition=condition)
        return "\n".join(line for line in query.split("\n") if line.strip())

    def _search(self, steps: list[Step], width: int, counted: bool) -> str:
        def normalization(step: Step) -> str:
            out = "".join(self.correlation_search_field_normalization_expression.format(
                position=j, field=self._eval_field(step.keys[j])) for j in range(width))
            if counted:
                out += f", ruleport_value={self._eval_field(step.keys[-1])}"
            return out

        if steps[0].query.lstrip().startswith("|"):
            first, *rest = steps
            return "\n".join(
                [self.correlation_search_generating_rule_expression.format(
                    query=self._bucketed(first), step=first.position, normalization=normalization(first))]
                + [self.correlation_search_appended_rule_expression.format(
                    query=self._inline(self._bucketed(s)), step=s.position, normalization=normalization(s))
                   for s in rest])
        if len(steps) == 1:
            return self.correlation_search_single_rule_expression.format(
                query=steps[0].query, normalization=normalization(steps[0]))
        return self.correlation_search_multi_rule_expression.format(
            queries=self.correlation_search_multi_rule_query_expression_joiner.join(
                self.correlation_search_multi_rule_query_expression.format(
                    query=self._inline(step.query), step=step.position, normalization=normalization(step))
                for step in steps))

    def _bucketed(self, step: Step) -> str:
        """A tstats search counting per second: `by <fields>` becomes `by _time span=1s <fields>`."""
        first, _, rest = step.query.partition("\n")
        head, sep, fields = first.rpartition(" by ")
        if not sep:
            raise self.refuse("the tstats search has no by clause to add _time to")
        # the join keys are by-fields too (a tstats row keeps only those)
        keys = [k for k in step.keys if k not in fields.split()]
        first = f"{head} by {self.tstats_time_bucket} {' '.join([fields] + keys)}"
        return first + ("\n" + rest if rest else "")

    @staticmethod
    def _eval_field(field: str) -> str:
        """A field in an eval expression: single-quoted unless a plain name."""
        if field.replace("_", "a").isalnum() and not field[0].isdigit():
            return field
        return "'" + field.replace("'", "\\'") + "'"

    @staticmethod
    def _inline(query: str) -> str:
        """A (possibly multi-line) search as one subsearch pipeline."""
        lines = [line.strip() for line in query.split("\n") if line.strip()]
        return " ".join(lines)

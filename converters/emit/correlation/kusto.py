"""Sigma correlations as Kusto (Defender XDR advanced hunting, Sentinel).

pySigma's Kusto backend has no correlation support. Here (Microsoft's KQL
reference, as converters/kusto/tabular.py runs it):

- search: one table query, or `union (T1 | where <rule 1> | extend ...), ...`;
  each branch names its step (`ruleport_step`), its time
  (`ruleport_time`: Timestamp in Defender XDR's advanced hunting tables,
  Device* and CloudAppEvents, TimeGenerated in Log Analytics tables) and its own join-key fields (`ruleport_key`, the keys packed as a
  JSON array when there are several); rows lacking a key are dropped;
- a composite identity (converters.platforms.facts.Identity: Defender XDR's
  process is `DeviceId`, `ProcessId`, `ProcessCreationTime`, as Microsoft's
  advanced hunting best practices say to join on processes) is packed as its
  columns; a row lacks it when a column of the process is empty (DeviceId is
  on every record); a key that is a composite on some steps and a single id
  column on others is refused (the two never compare equal);
- a process GUID column (converters.platforms.facts.Table.guids: Sentinel's
  ASIM parsers keep Sysmon's braces on some schemas and strip them on others)
  joins as the GUID alone, `trim(@"[{}]", tostring(c))`, so that one process's
  start and its sessions share the key; only the key is normalized, never a
  condition;
- event_count `gte n` (`gt n`: n + 1): sliding and exact, with the rows of
  each key in time order: a row whose (n-1)-th predecessor has the same key
  and is at most the timespan earlier closes n events within the timespan
  (`prev(c, n-1)`); n = 1 is every row;
- temporal_ordered: `partition by ruleport_key ( sort | scan ... )`, one scan
  step per rule, each after the previous one (strictly later) and within the
  timespan of the first step's event; only the last step outputs; a final
  catch-all step moves a completed sequence out, so that it fires once; the
  steps after the first only take a sequence over from the previous step
  (`isnull(s<k>.ruleport_time)`: scan's "check 2" would otherwise let a later
  event of step k replace the record a partial sequence holds there, where an
  EQL sequence keeps its first one); rows of one time are sorted by
  descending step: an event several steps select is one row per step, and
  its step-1 row coming first would replace the partial sequence in s1 that
  its step-2 row continues (scan evaluates each row against the state the rows
  before it left);
- value_count and temporal: `summarize ... by ruleport_key, bin(ruleport_time,
  <timespan>)` over fixed buckets (`make_set`, exact): a group crossing a
  bucket boundary is missed, as noted (`emit/fixed-buckets`); other counting
  conditions are refused.
"""

from __future__ import annotations

from typing import ClassVar

from converters.emit.correlation.base import CorrelationBackend, Step, timespan_units
from converters.emit.errors import EmitError
from converters.notes import LESS, Affects, group_crosses_bucket
from converters.platforms.facts import key_columns

_UNITS = (("d", 86400), ("h", 3600), ("m", 60), ("s", 1))


class KustoCorrelation(CorrelationBackend):
    correlation_methods: ClassVar[dict[str, str]] = {
        "scan": "ordered steps with the scan operator, counts with prev() (both sliding); distinct values and "
                "unordered steps with summarize over fixed bins",
    }
    default_correlation_method: ClassVar[str] = "scan"

    default_correlation_query: ClassVar[dict[str, str]] = {"scan": "{search}\n{present}\n{aggregate}"}
    correlation_search_single_rule_expression: ClassVar[str] = "{table}\n| where {query}\n| extend {normalization}"
    correlation_search_multi_rule_expression: ClassVar[str] = "union\n{queries}"
    correlation_search_multi_rule_query_expression: ClassVar[str] = \
        "    ({table}\n    | where {query}\n    | extend {normalization})"
    correlation_search_multi_rule_query_expression_joiner: ClassVar[str] = ",\n"
    correlation_search_field_normalization_expression: ClassVar[str] = \
        "ruleport_step = {step}, ruleport_time = {time}, ruleport_key = {key}"
    present_expression: ClassVar[str] = "| where isnotempty(ruleport_key)"

    event_count_aggregation_expression: ClassVar[dict[str, str]] = {"scan": (
        "| sort by ruleport_key asc, ruleport_time asc\n"
        "| extend ruleport_first_time = prev(ruleport_time, {back}), ruleport_first_key = prev(ruleport_key, {back})\n"
        "| where ruleport_first_key == ruleport_key and ruleport_time - ruleport_first_time <= {timespan}")}
    value_count_aggregation_expression: ClassVar[dict[str, str]] = {"scan": (
        "| summarize ruleport_values = make_set_if(ruleport_value, isnotempty(ruleport_value)) "
        "by ruleport_key, ruleport_bucket = bin(ruleport_time, {timespan})\n"
        "| where array_length(ruleport_values) {op} {count}")}
    temporal_aggregation_expression: ClassVar[dict[str, str]] = {"scan": (
        "| summarize ruleport_steps = make_set(ruleport_step) by ruleport_key, "
        "ruleport_bucket = bin(ruleport_time, {timespan})\n"
        "| where array_length(ruleport_steps) == {count}")}
    temporal_ordered_aggregation_expression: ClassVar[dict[str, str]] = {"scan": (
        "| partition hint.strategy=native by ruleport_key\n"
        "    (\n    sort by ruleport_time asc, ruleport_step desc\n    | scan with (\n{steps}\n"
        "        step ruleport_done output=none: true;\n    )\n    )")}
    scan_first_step_expression: ClassVar[str] = "        step s1 output=none: ruleport_step == 1;"
    scan_step_expression: ClassVar[str] = (
        "        step s{step}{output}: ruleport_step == {step} and isnull(s{step}.ruleport_time) "
        "and ruleport_time > s{prev}.ruleport_time and ruleport_time - s1.ruleport_time <= {timespan};")
    correlation_condition_mapping_kusto: ClassVar[dict[str, str]] = {
        "lt": "<", "lte": "<=", "gt": ">", "gte": ">=", "eq": "==", "neq": "!="}

    def correlation_query(self, rule, kind, method, steps: list[Step]) -> str:
        width = len(steps[0].keys) - (1 if kind == "value_count" else 0)
        self._comparable_keys(steps, width)
        timespan = timespan_units(rule.timespan.seconds, _UNITS)
        search = self._search(steps, width, kind == "value_count")
        present = self.present_expression if width else ""
        if kind == "event_count":
            op, count = self.condition_of(rule)
            if op not in ("gte", "gt"):
                raise self.refuse(f"a count {op} {count} is not supported on Kusto (only at least n events)")
            n = count + 1 if op == "gt" else count
            aggregate = "" if n <= 1 else self.event_count_aggregation_expression[method].format(
                back=n - 1, timespan=timespan)
        elif kind == "value_count":
            op, count = self.condition_of(rule)
            aggregate = self.value_count_aggregation_expression[method].format(
                timespan=timespan, op=self.correlation_condition_mapping_kusto[op], count=count)
            self._bucket_note(rule)
        elif kind == "temporal":
            aggregate = self.temporal_aggregation_expression[method].format(timespan=timespan, count=len(steps))
            self._bucket_note(rule)
        else:
            n = len(steps)
            lines = [self.scan_first_step_expression] + [self.scan_step_expression.format(
                step=k, prev=k - 1, timespan=timespan, output="" if k == n else " output=none")
                for k in range(2, n + 1)]
            aggregate = self.temporal_ordered_aggregation_expression[method].format(steps="\n".join(lines))
        query = self.default_correlation_query[method].format(search=search, present=present, aggregate=aggregate)
        return "\n".join(line for line in query.split("\n") if line.strip())

    def _comparable_keys(self, steps: list[Step], width: int) -> None:
        """Each join key has one form in every step: a composite identity (Defender XDR's device, PID and
        creation time) never equals a single id column (an ASIM process GUID), even for one process, nor
        a composite of another number of columns (the steps' packed keys, and the `ruleport_k*` columns
        the presence check reads, line up only when every step has as many)."""
        for j in range(width):
            counts = {len(key_columns(s.keys[j])) for s in steps}
            if len(counts) > 1:
                named = "; ".join(f"{s.name}: {' + '.join(key_columns(s.keys[j]))}" for s in steps)
                form = "a composite identity on some steps and a single id on others" if 1 in counts \
                    else "a composite identity of different column counts across steps"
                raise EmitError(f"the join key in position {j + 1} is {form} ({named}): the platform's two ids "
                                "of one entity never compare equal, so no group would form",
                                code="emit/join-key-unavailable")

    def _bucket_note(self, rule) -> None:
        self.correlation_note(
            "emit/fixed-buckets",
            f"Kusto counts distinct values and unordered steps per fixed {rule.timespan.spec} bin aligned on the "
            f"epoch (summarize by bin()), so a correlation whose events fall on both sides of a bin boundary is "
            f"missed (Sigma's timespan is any {rule.timespan.spec} window)",
            Affects.of(LESS, group_crosses_bucket(rule.timespan.seconds)))

    guid_key_expression: ClassVar[str] = 'trim(@"[{{}}]", tostring({column}))'

    def key_value(self, step: Step, column: str, text: bool = True) -> str:
        """A key column as the join compares it (as text, or as it is inside a packed key): a process GUID
        without the braces some parsers keep."""
        field = self.escape_and_quote_field(column)
        if column in step.state.get("query_guids", ()):
            return self.guid_key_expression.format(column=field)
        return f"tostring({field})" if text else field

    def _search(self, steps: list[Step], width: int, counted: bool) -> str:
        def normalization(step: Step) -> str:
            # a composite identity (Defender XDR's device, PID and creation time) joins as its columns
            columns = [c for k in step.keys[:width] for c in key_columns(k)]
            key = self.key_value(step, columns[0]) if len(columns) == 1 else \
                f"tostring(pack_array({', '.join(self.key_value(step, c, text=False) for c in columns)}))" if columns else '"all"'
            out = self.correlation_search_field_normalization_expression.format(
                step=step.position, time=self.time_column(step), key=key)
            out += "".join(f", ruleport_k{j} = {self.key_value(step, f)}"
                           for j, f in enumerate(_present(step.keys[:width])))
            if counted:
                out += f", ruleport_value = tostring({self.escape_and_quote_field(step.keys[-1])})"
            return out

        def branch(step: Step, template: str) -> str:
            # the rule's table with its pre-filter and computed columns (converters.emit.backend_kusto)
            table = str(step.state.get("query_table", ""))
            query = step.query
            if step.state.get("query_union"):
                # a source several tables hold (converters.emit.cloud_pipelines): the rule on each table
                table = "union " + ", ".join(f"({t} | where {query})" for t in step.state["query_union"])
                query = "true"
            if step.state.get("query_extend"):
                table += " | extend " + ", ".join(step.state["query_extend"])
            if step.state.get("query_prefilter"):
                table += f" | where {step.state['query_prefilter']}"
            return template.format(table=table, query=query, normalization=normalization(step))

        if len(steps) == 1:
            text = branch(steps[0], self.correlation_search_single_rule_expression)
        else:
            text = self.correlation_search_multi_rule_expression.format(
                queries=self.correlation_search_multi_rule_query_expression_joiner.join(
                    branch(s, self.correlation_search_multi_rule_query_expression) for s in steps))
        present = len(_present(steps[0].keys[:width]))
        if present:  # every key present (a packed array of empty strings is not empty)
            text += "\n| where " + " and ".join(f"isnotempty(ruleport_k{j})" for j in range(present))
        return text

    @staticmethod
    def time_column(step: Step) -> str:
        """The table's time column: Defender XDR's advanced hunting tables (Device*, CloudAppEvents:
        https://learn.microsoft.com/defender-xdr/advanced-hunting-cloudappevents-table) say
        Timestamp, Log Analytics tables TimeGenerated."""
        table = str(step.state.get("query_table", ""))
        return "Timestamp" if table.startswith("Device") or table == "CloudAppEvents" else "TimeGenerated"


def _present(keys: list[str]) -> list[str]:
    """The columns a row needs for its key to count, checked one by one when the key is packed from
    several (a single plain key is checked as `ruleport_key` itself): a composite identity's own
    columns, not its device column (on every record: converters.platforms.facts.Identity)."""
    if len(keys) == 1 and len(key_columns(keys[0])) == 1:
        return []
    return [c for k in keys for c in (key_columns(k)[1:] or (k,))]

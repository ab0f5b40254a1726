"""Kusto backend for Defender XDR and Sentinel ASIM tables.

Kusto's string operators (the rules followed here): `=~`, `startswith`,
`endswith`, `contains`, `in~` are case-insensitive; `==`,
`startswith_cs`, `endswith_cs`, `contains_cs`, `in` are case-sensitive;
`matches regex` is RE2 and case-sensitive unless the regex starts with
`(?i)`. It has no wildcard operator.

Subclassed from pySigma's KustoBackend because the stock one loses meaning
on wildcards in the middle of a value: it turns `?:\\Users\\*\\node.exe`
into unordered `contains` tests (and `?` into `*`). Here such a value
becomes an anchored regex (`(?i)^.:\\\\Users\\\\.*\\\\node\\.exe$`), which is
exact, and |cased values use the `_cs` operators.

The query's shape comes from the pipeline state (converters.emit.endpoint_pipelines):
the table (`query_table`), a pre-filter on the table's own columns
(`query_prefilter`: ActionType, EventType, DvcOs), put first so that Kusto
narrows on them before anything else, then the computed columns the rule
reads (`query_extend`, e.g. a registry path from RegistryKey and
RegistryValueName), then the rule:

    DeviceRegistryEvents
    | where ActionType in ("RegistryKeyCreated", ...)
    | extend RegistryPath = iff(...)
    | where <rule>

A cloud source held by several tables with the same columns (`query_union`,
converters.emit.cloud_pipelines: Entra sign-ins in SigninLogs and
AADNonInteractiveUserSignInLogs) is read as `union (T1 | where <rule>), (T2 |
where <rule>)`: the rule runs on each table before the union, so a column the
tables type differently (dynamic in one, JSON text in the other) is read with
each table's type (a union's output renames such columns).
"""

from __future__ import annotations

from typing import ClassVar

from converters.emit.backend_base import CombinedPipelineOnce, RegexWhenAsked
from converters.emit.cloud_paths import KUSTO_FUNCTIONS
from converters.emit.correlation.kusto import KustoCorrelation
from converters.emit.strings import to_pcre
from sigma.backends.kusto import KustoBackend
from sigma.types import SigmaCasedString, SigmaString, SpecialChars


def _edge_wildcards_only(value: SigmaString) -> bool:
    """True when the only wildcards are `*` at the start and/or end."""
    inner = list(value.s)
    if inner and inner[0] is SpecialChars.WILDCARD_MULTI:
        inner = inner[1:]
    if inner and inner[-1] is SpecialChars.WILDCARD_MULTI:
        inner = inner[:-1]
    return not any(isinstance(p, SpecialChars) for p in inner)


def _control_escaped(text: str) -> str:
    """A Kusto string literal cannot hold a raw line break or tab: write their escapes."""
    return text.replace("\n", "\\n").replace("\r", "\\r").replace("\t", "\\t")


class RuleportKustoBackend(CombinedPipelineOnce, KustoCorrelation, KustoBackend, RegexWhenAsked):
    name: ClassVar[str] = "ruleport Kusto (exact wildcards)"

    case_sensitive_match_expression: ClassVar[str] = "{field} == {value}"
    case_sensitive_startswith_expression: ClassVar[str] = "{field} startswith_cs {value}"
    case_sensitive_endswith_expression: ClassVar[str] = "{field} endswith_cs {value}"
    case_sensitive_contains_expression: ClassVar[str] = "{field} contains_cs {value}"
    wildcard_match_expression: ClassVar[str] = '{field} matches regex "{regex}"'
    # Kusto strings are never null (a missing value is ""), so the stock isnull()
    # is never true on a string column; isempty() holds for "" and for null.
    field_null_expression: ClassVar[str] = "isempty({field})"

    def decide_convert_condition_as_in_expression(self, cond, state) -> bool:
        # `in~` only for plain values; patterns are converted one by one
        return super().decide_convert_condition_as_in_expression(cond, state) and all(
            isinstance(arg.value, SigmaString) and not isinstance(arg.value, SigmaCasedString)
            and not arg.value.contains_special() for arg in cond.args
        )

    def _regex(self, cond, case_insensitive: bool) -> str:
        body = to_pcre(cond.value, anchored=True)
        body = ("(?is)" if case_insensitive else "(?s)") + body  # (?s): a Sigma `*` spans line breaks too
        escaped = _control_escaped(body.replace("\\", "\\\\").replace('"', '\\"'))
        return f'{self.escape_and_quote_field(cond.field)} matches regex "{escaped}"'

    def convert_condition_field_eq_val_str(self, cond, state):
        if cond.value.contains_special() and not _edge_wildcards_only(cond.value):
            return self._regex(cond, True)
        return super().convert_condition_field_eq_val_str(cond, state)

    def convert_condition_field_eq_val_str_case_sensitive(self, cond, state):
        if cond.value.contains_special() and not _edge_wildcards_only(cond.value):
            return self._regex(cond, False)
        return super().convert_condition_field_eq_val_str_case_sensitive(cond, state)

    def escape_and_quote_field(self, field_name: str) -> str:
        # a cloud data model reads values inside a column's object: `tostring(parse_json(C).path)`
        # is an expression, written as it is (converters.emit.cloud_paths)
        if field_name.startswith(KUSTO_FUNCTIONS):
            return field_name
        return super().escape_and_quote_field(field_name)

    def convert_condition_field_eq_val_cidr(self, cond, state):
        """`ipv4_is_in_range` / `ipv6_is_in_range` by the network's version (the stock backend writes
        ipv4_is_in_range for every CIDR, never true for an IPv6 range), under `coalesce(..., false)`:
        the function is null for a value that is no address of its version, and Sigma's NOT of it
        must hold there."""
        network = cond.value.network
        function = "ipv6_is_in_range" if network.version == 6 else "ipv4_is_in_range"
        return (f'coalesce({function}({self.escape_and_quote_field(cond.field)}, "{network.with_prefixlen}"), '
                "false)")

    def convert_value_str(self, s, state) -> str:
        return _control_escaped(super().convert_value_str(s, state))

    def convert_value_re(self, r, state):
        return _control_escaped(super().convert_value_re(r, state))

    def finalize_query_default(self, rule, query, index, state) -> str:
        ps = state.processing_state
        if ps.get("query_union"):
            # tables holding one source together (converters.emit.cloud_pipelines): the rule on each,
            # so that a column each table types differently is read with that table's type
            return "union\n" + ",\n".join(f"    ({table}\n    | where {query})" for table in ps["query_union"])
        lines = [ps["query_table"]]
        if ps.get("query_prefilter"):
            lines.append(f"| where {ps['query_prefilter']}")
        if ps.get("query_extend"):
            lines.append("| extend " + ", ".join(ps["query_extend"]))
        lines.append(f"| where {query}")
        return "\n".join(lines)

"""Splunk backends: Sysmon EID 1 search and CIM Endpoint.Processes tstats.

Subclassed from pySigma's SplunkBackend because the stock one loses meaning:

* SPL search binds OR tighter than AND (`a b OR c` is `a AND (b OR c)`);
  the stock backend relies on that precedence and, when it defers OR-ed
  regexes, lifts leading `field=value` terms out of the boolean into the
  base search, which changes the rule (and can leave `search OR ...`).
  Here every nested group is parenthesised and AND is written out.
* The scope (source/EventCode) is the base search; the rule is a later
  `| search` whenever regexes had to be computed first (`rex` + `eval`
  flags, the stock mechanism for a regex inside an OR).
* tstats: a `where` clause may only name data-model fields, so when a
  regex flag is needed the boolean moves to a `| search` after tstats.

Values compare case-insensitively in SPL search; case-sensitive and `?`
matches arrive here as regexes (pipeline StringsAsRegex).
"""

from __future__ import annotations

from typing import ClassVar

from converters.emit.backend_base import CombinedPipelineOnce
from converters.emit.correlation.spl import SplCorrelation
from sigma.backends.splunk import SplunkBackend
from sigma.backends.splunk.splunk import SplunkDeferredORRegularExpression
from sigma.conditions import ConditionAND, ConditionFieldEqualsValueExpression, ConditionNOT, ConditionOR
from sigma.conversion.base import TextQueryBackend
from sigma.types import SigmaString


class SplunkSearchBackend(CombinedPipelineOnce, SplCorrelation, SplunkBackend):
    """SPL search over one source, fully parenthesised."""

    name: ClassVar[str] = "ruleport Splunk SPL (explicit grouping)"
    parenthesize = True
    precedence = (ConditionNOT, ConditionOR, ConditionAND)
    and_token: ClassVar[str] = "AND"

    def convert_rule(self, rule, output_format=None, callback=None):
        # the stock flag naming counts per class: start every rule from zero,
        # even after a rule whose conversion failed half-way
        SplunkDeferredORRegularExpression.reset()
        return super().convert_rule(rule, output_format, callback)

    def convert_condition_field_eq_val_re(self, cond, state):
        """Every regex becomes a `rex` + `eval` flag tested in the search (the stock
        mechanism for a regex under OR, used everywhere so that the boolean keeps
        one shape and a rule made only of regexes still has a search)."""
        regex = TextQueryBackend.convert_condition_field_eq_val_re(self, cond, state)
        SplunkDeferredORRegularExpression(state, cond.field, regex).postprocess(None, cond)
        flag = ConditionFieldEqualsValueExpression(
            SplunkDeferredORRegularExpression.get_field_condition(cond.field), SigmaString("true"))
        return self.convert_condition_field_eq_val_str(flag, state)

    def finish_query(self, rule, query, state):
        base = state.processing_state.get("base_search", "")
        rex = []
        others = []
        for deferred in state.deferred:
            if isinstance(deferred, SplunkDeferredORRegularExpression):
                rex.append(deferred.finalize_expression())
            else:
                others.append("| " + deferred.finalize_expression())
        SplunkDeferredORRegularExpression.reset()
        state.deferred[:] = []
        if not isinstance(query, str):  # only deferred parts
            query = ""
        return self.assemble(base, query, rex, others, state)

    def assemble(self, base: str, query: str, rex: list[str], others: list[str], state) -> str:
        lines = []
        if rex:
            lines.append(base or "*")
            lines += ["| " + r for r in rex]
            if query:
                lines.append(f"| search {query}")
        else:
            lines.append(" ".join(p for p in (base, f"({query})" if query and base else query) if p) or "*")
        return "\n".join(lines + others)

    def finalize_query_default(self, rule, query, index, state):
        return query


class SplunkTstatsBackend(SplunkSearchBackend):
    """tstats over a CIM data model; the boolean goes to `where` when it only
    names data-model fields, else to a `| search` after the regex flags."""

    name: ClassVar[str] = "ruleport Splunk CIM tstats"
    convert_or_as_in: ClassVar[bool] = False  # keep tstats `where` to plain field=value terms
    # after tstats, fillnull_value turns a missing by-field into the string "null"
    field_exists_expression: ClassVar[str] = '({field}=* AND NOT {field}="null")'
    field_not_exists_expression: ClassVar[str] = '(NOT {field}=* OR {field}="null")'

    def assemble(self, base, query, rex, others, state) -> str:
        model = state.processing_state["data_model_set"]
        fields = " ".join(state.processing_state["fields"])
        head = (
            "| tstats summariesonly=false allow_old_summaries=true fillnull_value=\"null\" "
            "count min(_time) as firstTime max(_time) as lastTime "
            f"from datamodel={model}"
        )
        if rex:
            lines = [f"{head} by {fields}"] + ["| " + r for r in rex]
            if query:
                lines.append(f"| search {query}")
        else:
            lines = [f"{head} where {query} by {fields}" if query else f"{head} by {fields}"]
        return "\n".join(lines + others)

    def finalize_query_data_model(self, rule, query, index, state):
        return query

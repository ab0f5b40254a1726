"""Splunk backends: SPL search over Sysmon, and tstats over the CIM data models.

Subclassed from pySigma's SplunkBackend because the stock one loses meaning:

* SPL search binds OR tighter than AND (`a b OR c` is `a AND (b OR c)`);
  the stock backend relies on that precedence and, when it defers OR-ed
  regexes, lifts leading `field=value` terms out of the boolean into the
  base search, which changes the rule (and can leave `search OR ...`).
  Here every nested group is parenthesised and AND is written out.
* tstats: a `where` clause may only name data-model fields and has no regex.

What goes where (a search a Splunk admin would accept, as Splunk's own ESCU
detections are written): the rule's top-level conjuncts that Splunk's search
can evaluate go into the base search (after the scope: source/sourcetype and
EventCode from the pipeline state), or into the tstats `where`. A conjunct
that is one regex becomes a `| regex field="..."` filter; a conjunct with a
regex inside an OR gets the stock mechanism (`| rex` + `| eval` flag) and is
tested in a final `| search`. Splitting at top-level AND is exact: every
part must hold either way.

After tstats a missing value is text: fillnull's "null", or the data model's
own fill ("unknown"): `F exists` excludes them, and a pattern that would match
one (`^.`, `*n*`) also says the value is not that text (a regex of every other
string), so that a missing field matches no pattern, as in the original rule.

Values compare case-insensitively in SPL search; case-sensitive and `?`
matches arrive here as regexes (pipeline StringsAsRegex).
"""

from __future__ import annotations

import hashlib
import re
from typing import ClassVar

from converters.emit.backend_base import CombinedPipelineOnce, RegexWhenAsked
from converters.emit.correlation.spl import SplCorrelation
from converters.emit.item_values import other_than
from sigma.backends.splunk import SplunkBackend
from sigma.backends.splunk.splunk import SplunkDeferredORRegularExpression as _StockDeferredRegex
from sigma.conditions import ConditionAND, ConditionFieldEqualsValueExpression, ConditionNOT, ConditionOR
from sigma.conversion.base import TextQueryBackend
from sigma.types import SigmaCasedString, SigmaNull, SigmaRegularExpression, SigmaRegularExpressionFlag, SigmaString


class _FieldRegex(_StockDeferredRegex):
    """The stock deferred regex names its rex group and flag after the field's last path
    component, so two fields ending alike (userIdentity.userName and
    sessionIssuer.userName) would share one flag: the second such field of a query also
    gets a digest of its path. Characters a group name cannot hold ({}, -, /) become _."""

    names: ClassVar[dict[str, str]] = {}

    @classmethod
    def clean_field(cls, field):
        name = cls.names.get(field)
        if name is None:
            name = re.sub(r"\W", "_", re.sub(".*\\.", "", field))
            if name in cls.names.values():
                name = f"{name}_{hashlib.blake2s(field.encode()).hexdigest()[:6]}"
            cls.names[field] = name
        return name

    @classmethod
    def reset(cls):
        super().reset()
        cls.names = {}


_POST = "ruleport_post"   # processing-state key: (regex filters, search terms) after the base search


def spl_term(key: str, value) -> str:
    """`key=value`, the value quoted unless it is a plain word."""
    text = str(value)
    if text.replace("_", "").replace("-", "").replace(".", "").replace(":", "").isalnum():
        return f"{key}={text}"
    return f'{key}="' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _select_terms(select: dict, settings: dict) -> list[str]:
    terms = []
    for key, value in select.items():
        if key == "sourcetype" and "source" in select:
            continue  # the source names the channel; its sourcetype is shared with other channels
        if key == "source" and ("macro" in settings or "source" in settings):
            continue  # the deployment's macro or source says where the data lives
        values = value if isinstance(value, list) else [value]
        terms.append(spl_term(key, values[0]) if len(values) == 1 else f"{key} IN ({', '.join(values)})")
    return terms


def base_search(selects: list[dict], settings: dict | None = None) -> str:
    """The base search of one data model: the deployment's index, macro, sourcetype and source
    (`settings`), then what selects the model's events in each of its tables (source and EventCode
    from the platform facts; several tables are OR-ed). A macro or a source replaces the
    tables' own source: it says where the deployment keeps the data; EventCode stays, since it
    selects the kind of event, not where the data lives."""
    settings = settings or {}
    terms = []
    if "index" in settings:
        indexes = [settings["index"]] if isinstance(settings["index"], str) else list(settings["index"])
        names = [spl_term("index", i) for i in indexes]
        terms.append(names[0] if len(names) == 1 else "(" + " OR ".join(names) + ")")
    if "macro" in settings:
        terms.append(f"`{settings['macro']}`")
    if "sourcetype" in settings:
        terms.append(spl_term("sourcetype", settings["sourcetype"]))
    if "source" in settings:
        terms.append(spl_term("source", settings["source"]))
    parts = [" ".join(_select_terms(sel, settings)) for sel in selects]
    parts = list(dict.fromkeys(p for p in parts if p))
    if len(parts) == 1:
        terms.append(parts[0])
    elif parts:
        terms.append("(" + " OR ".join(f"({p})" for p in parts) + ")")
    return " ".join(terms)


def _conjuncts(cond) -> list:
    """The top-level AND operands, nested ANDs flattened (AND is associative)."""
    if not isinstance(cond, ConditionAND):
        return [cond]
    out = []
    for arg in cond.args:
        out += _conjuncts(arg)
    return out


def _single_regex(cond) -> tuple[object, bool] | None:
    """(the field condition, negated) when `cond` is one regex test or its negation."""
    negated = False
    if isinstance(cond, ConditionNOT) and len(cond.args) == 1:
        cond, negated = cond.args[0], True
    if isinstance(cond, ConditionFieldEqualsValueExpression) and isinstance(cond.value, SigmaRegularExpression):
        return cond, negated
    return None


class SplunkSearchBackend(CombinedPipelineOnce, SplCorrelation, SplunkBackend, RegexWhenAsked):
    """SPL search over one source, fully parenthesised, conditions pushed into the base search."""

    name: ClassVar[str] = "ruleport Splunk SPL (explicit grouping)"
    # a case-sensitive plain value is the CASE() directive of the search command (the Search
    # Reference's `search`: "CASE(<term>) ... case-sensitive matches for terms and field values");
    # cased values with wildcards arrive as regexes (StringsAsRegex)
    case_sensitive_match_expression: ClassVar[str] = "{field}=CASE({value})"
    # cloud data models name JSON paths: array members as key{}.sub, slashes and dashes in keys
    field_quote_pattern: ClassVar = re.compile(r"^[\w.{}/@:-]+$")
    parenthesize = True
    precedence = (ConditionNOT, ConditionOR, ConditionAND)
    and_token: ClassVar[str] = "AND"

    def decide_convert_condition_as_in_expression(self, cond, state) -> bool:
        # IN compares case-insensitively: never for case-sensitive values
        return super().decide_convert_condition_as_in_expression(cond, state) and not any(
            isinstance(arg.value, SigmaCasedString) for arg in cond.args)

    def convert_rule(self, rule, output_format=None, callback=None):
        # the stock flag naming counts per class: start every rule from zero,
        # even after a rule whose conversion failed half-way
        _FieldRegex.reset()
        self._depth = 0
        return super().convert_rule(rule, output_format, callback)

    def convert_condition(self, cond, state):
        if getattr(self, "_depth", 0):
            return super().convert_condition(cond, state)
        self._depth = 1
        try:
            return self._convert_root(cond, state)
        finally:
            self._depth = 0

    def _convert_root(self, cond, state) -> str:
        """The base-search part of the rule; the rest is kept in the state for finish_query."""
        conjuncts = _conjuncts(cond)
        base, regexes, post = [], [], []
        for arg in conjuncts:
            single = _single_regex(arg)
            if single is not None:
                field_cond, negated = single
                value = TextQueryBackend.convert_condition_field_eq_val_re(self, field_cond, state)
                regexes.append(f'regex {self.escape_and_quote_field(field_cond.field)}{"!=" if negated else "="}'
                               f'"{value}"')
                continue
            before = len(state.deferred)
            grouped = isinstance(arg, (ConditionAND, ConditionOR)) and len(conjuncts) > 1
            text = self.convert_condition_group(arg, state) if grouped else super().convert_condition(arg, state)
            (post if len(state.deferred) > before else base).append(text)
        state.processing_state[_POST] = (list(dict.fromkeys(regexes)), list(dict.fromkeys(post)))
        return f" {self.and_token} ".join(dict.fromkeys(base))   # a conjunct said twice: once

    def convert_condition_not(self, cond, state):
        """`not F: null` is `F exists` (`F=*`), not `NOT NOT F=*`."""
        arg = cond.args[0]
        if isinstance(arg, ConditionFieldEqualsValueExpression) and isinstance(arg.value, SigmaNull):
            return self.convert_condition_field_exists(arg, state)
        return super().convert_condition_not(cond, state)

    def convert_condition_field_eq_val_re(self, cond, state):
        """A regex inside an OR becomes a `rex` + `eval` flag tested in the final search (the stock
        mechanism, used for every such regex so that the boolean keeps one shape)."""
        regex = TextQueryBackend.convert_condition_field_eq_val_re(self, cond, state)
        _FieldRegex(state, cond.field, regex).postprocess(None, cond)
        flag = ConditionFieldEqualsValueExpression(
            _FieldRegex.get_field_condition(cond.field), SigmaString("true"))
        return self.convert_condition_field_eq_val_str(flag, state)

    def finish_query(self, rule, query, state):
        ps = state.processing_state
        base = ps.get("base_search", "")
        if ps.get("base_search_settings") and ps.get("base_search_selects"):
            base = base_search(ps["base_search_selects"], ps["base_search_settings"])
        regexes, post = state.processing_state.pop(_POST, ([], []))
        rex, others = [], []
        for deferred in state.deferred:
            if isinstance(deferred, _FieldRegex):
                rex.append(deferred.finalize_expression())
            else:
                others.append(deferred.finalize_expression())
        _FieldRegex.reset()
        state.deferred[:] = []
        if not isinstance(query, str):
            query = ""
        return self.assemble(base, query, regexes + rex, post, others, state)

    def assemble(self, base: str, query: str, stages: list[str], post: list[str], others: list[str], state) -> str:
        head = " ".join(p for p in (base, f"({query})" if query and base else query) if p) or "*"
        lines = [head] + ["| " + s for s in stages]
        if post:
            lines.append(f"| search {f' {self.and_token} '.join(post)}")
        return "\n".join(lines + ["| " + o for o in others])

    def finalize_query_default(self, rule, query, index, state):
        return query


class SplunkTstatsBackend(SplunkSearchBackend):
    """tstats over a CIM data model: the conditions tstats can evaluate in `where`, the rest
    after it on the grouped fields (every field the rule reads is a `by` field)."""

    name: ClassVar[str] = "ruleport Splunk CIM tstats"
    convert_or_as_in: ClassVar[bool] = False  # keep tstats `where` to plain field=value terms

    def _filled(self, state, field) -> list[str]:
        """What a missing value of `field` looks like after tstats: fillnull's "null", and the
        data model's own fill ("unknown") where it has one."""
        filled = state.processing_state.get("filled", {}).get(field)
        return ["null"] + ([filled] if filled else [])

    def convert_condition(self, cond, state):
        if not getattr(self, "_depth", 0):
            cond = self._fills_are_no_values(cond, state)
        return super().convert_condition(cond, state)

    def _fills_are_no_values(self, cond, state):
        """A pattern (regex or wildcards) that a missing value's text would match ("null", the data
        model's "unknown") also says the value is not that text: a missing field matches no pattern
        in the original rule, and keeps doing so under NOT."""
        if isinstance(cond, (ConditionAND, ConditionOR, ConditionNOT)):
            cond.args = [self._fills_are_no_values(arg, state) for arg in cond.args]
            for arg in cond.args:
                arg.parent = cond
            return cond
        if not isinstance(cond, ConditionFieldEqualsValueExpression) or not isinstance(cond.field, str):
            return cond
        value = cond.value
        if isinstance(value, SigmaRegularExpression):
            flags = re.DOTALL if SigmaRegularExpressionFlag.DOTALL in value.flags else 0
            flags |= re.IGNORECASE if SigmaRegularExpressionFlag.IGNORECASE in value.flags else 0
            pattern = str(value.regexp)
        elif isinstance(value, SigmaString) and value.contains_special():
            flags = re.DOTALL | (0 if isinstance(value, SigmaCasedString) else re.IGNORECASE)  # search is caseless
            pattern = "^" + str(value.to_regex().regexp) + "$"
        else:
            return cond
        try:
            compiled = re.compile(pattern, flags)
        except re.error:
            return cond
        fills = [f for f in self._filled(state, cond.field) if compiled.search(f)]
        if not fills:
            return cond
        parent = cond.parent
        out = ConditionAND([cond] + [ConditionFieldEqualsValueExpression(cond.field, other_than(f)) for f in fills])
        out.parent = parent
        for arg in out.args:
            arg.parent = out
        return out

    def convert_condition_field_exists(self, cond, state):
        field = self.escape_and_quote_field(cond.field)
        nots = " AND ".join(f'NOT {field}="{v}"' for v in self._filled(state, cond.field))
        return f"({field}=* AND {nots})"

    def convert_condition_field_not_exists(self, cond, state):
        field = self.escape_and_quote_field(cond.field)
        ors = " OR ".join(f'{field}="{v}"' for v in self._filled(state, cond.field))
        return f"(NOT {field}=* OR {ors})"

    def convert_condition_field_eq_val_null(self, cond, state):
        return self.convert_condition_field_not_exists(cond, state)

    def assemble(self, base, query, stages, post, others, state) -> str:
        ps = state.processing_state
        model = ps["data_model_set"]
        fields = " ".join(dict.fromkeys(list(ps.get("fields", ())) + sorted(ps.get("fields_used", ()))))
        head = (
            "| tstats summariesonly=false allow_old_summaries=true fillnull_value=\"null\" "
            "count min(_time) as firstTime max(_time) as lastTime "
            f"from datamodel={model}"
        )
        where = list(ps.get("data_model_where", ())) + ([f"({query})" if ps.get("data_model_where") else query]
                                                          if query else [])
        head += f" where {' AND '.join(where)}" if where else ""
        lines = [f"{head} by {fields}"] + ["| " + s for s in stages]
        if post:
            lines.append(f"| search {f' {self.and_token} '.join(post)}")
        return "\n".join(lines + ["| " + o for o in others])

    def finalize_query_data_model(self, rule, query, index, state):
        return query

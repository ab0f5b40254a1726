"""A pySigma backend for the Kibana Query Language (KQL).

pySigma has no KQL backend; this one declares the language the
TextQueryBackend way. The rules of KQL it follows (Kibana docs):

* `field:value`; `field:(a or b)` for a list; `not`, `and`, `or` with that
  precedence (tighter first), and parentheses (always written here).
* A quoted value `"..."` is matched literally (escapes `\\"` and `\\\\`);
  an unquoted value may hold `*` (any run), must escape `\\():<>"*{}`
  with a backslash and has no escaped space (`\\u0020` instead).
* On keyword fields a match is exact and case-sensitive. There is no
  one-character wildcard and no regex.

Hence, for Sigma semantics:

* case-insensitive values go to `.caseless` multi-fields in the pipeline
  (lower-cased, exact) when every index the rule reads has one (its index
  template, in the platform facts); otherwise a value with few letters is
  written as all its case spellings (`process.args:("-r" or "-R")`, exact);
  with more than MAX_CASE_VARIANTS spellings it is matched as written and a
  note `emit/case-narrowed` says so: on a field some of the rule's indexes
  have a `.caseless` multi-field of, as `(f.caseless:v or f:V)` (ignoring
  case in those indexes), the note's events being those of the other
  indexes (`_index`) whose value matches only ignoring case.
* `?` becomes `*` (note `emit/wildcard-widened`).
* a regex is written as the values and wildcard patterns it denotes
  (converters.emit.regex_values): exact for finite sets (`^(?:php|lua)[0-9]?$`)
  and `.*` runs; a negated class or `.` becomes `*`, with a note
  `emit/regex-widened` whose condition is "one of the patterns and not the
  regex". An `i` regex goes to the field's `.caseless` multi-field when it
  has one, else each value is spelled in its cases as above. Any other
  regex (a run of `\\d`, a class of more than eight characters, more than
  64 values) is refused (`emit/regex-unsupported`), naming the construct.
"""

from __future__ import annotations

import re
from typing import ClassVar

from converters.emit.backend_base import CombinedPipelineOnce, RegexWhenAsked
from converters.emit.correlation.base import CorrelationBackend
from converters.emit.errors import EmitError
from converters.emit.regex_values import NotExpandable, expand
from converters.emit.strings import case_variants, letters, render, wildcard_text
from converters.emit.text_match import analyzer_of, phrase
from converters.emit.transforms import record_note
from converters.notes import EITHER, Affects, all_, any_, not_, regex, wildcard
from sigma.conditions import ConditionAND, ConditionFieldEqualsValueExpression, ConditionNOT, ConditionOR
from sigma.modifiers import SigmaRegularExpressionFlag
from sigma.types import SigmaCasedString, SigmaCompareExpression, SigmaString, SpecialChars

MAX_CASE_VARIANTS = 64
CASELESS = ".caseless"
_UNQUOTED_SPECIAL = set('\\():<>"*{}')
_WHITESPACE_ESCAPES = {"\t": "\\t", "\r": "\\r", "\n": "\\n"}


def _unquoted_char(c: str) -> str:
    """One character of an unquoted KQL value: Kibana's grammar escapes the
    specials with a backslash and has no escaped space: other whitespace is
    written as a \\uXXXX sequence."""
    if c in _UNQUOTED_SPECIAL:
        return "\\" + c
    if c.isspace():
        return _WHITESPACE_ESCAPES.get(c, f"\\u{ord(c):04x}")
    return c


class KibanaKqlBackend(CombinedPipelineOnce, CorrelationBackend, RegexWhenAsked):
    """Kibana Query Language over keyword fields (see module docstring)."""

    correlation_refusal: ClassVar[str] = (
        "Kibana KQL filters single documents: it has no aggregation, sequence or time window, so a "
        "correlation has no KQL form (EQL and ES|QL run it on Elastic data)")
    name: ClassVar[str] = "ruleport Kibana KQL"
    formats: ClassVar[dict[str, str]] = {"default": "KQL query strings"}
    requires_pipeline: ClassVar[bool] = True

    precedence: ClassVar[tuple] = (ConditionNOT, ConditionAND, ConditionOR)
    parenthesize = True
    group_expression: ClassVar[str] = "({expr})"
    token_separator: str = " "
    or_token: ClassVar[str] = "or"
    and_token: ClassVar[str] = "and"
    not_token: ClassVar[str] = "not"
    eq_token: ClassVar[str] = ":"

    field_escape: ClassVar[str] = "\\"
    field_escape_pattern: ClassVar[re.Pattern] = re.compile(r'[\s\\():<>"*{}]')

    str_quote: ClassVar[str] = '"'
    escape_char: ClassVar[str] = "\\"
    wildcard_multi: ClassVar[str] = "*"
    wildcard_single: ClassVar[str] = "*"  # KQL has none: widened, with a note
    bool_values: ClassVar[dict] = {True: "true", False: "false"}

    case_sensitive_match_expression: ClassVar[str] = "{field}:{value}"

    compare_op_expression: ClassVar[str] = "{field} {operator} {value}"
    compare_operators: ClassVar[dict] = {
        SigmaCompareExpression.CompareOperators.LT: "<",
        SigmaCompareExpression.CompareOperators.LTE: "<=",
        SigmaCompareExpression.CompareOperators.GT: ">",
        SigmaCompareExpression.CompareOperators.GTE: ">=",
    }
    field_null_expression: ClassVar[str] = "not {field}:*"
    field_exists_expression: ClassVar[str] = "{field}:*"
    field_not_exists_expression: ClassVar[str] = "not {field}:*"

    convert_or_as_in: ClassVar[bool] = True
    convert_and_as_in: ClassVar[bool] = False
    in_expressions_allow_wildcards: ClassVar[bool] = True
    field_in_list_expression: ClassVar[str] = "{field}{op}({list})"
    or_in_operator: ClassVar[str] = ":"
    list_separator: ClassVar[str] = " or "

    unbound_value_str_expression: ClassVar[str] = "{value}"
    unbound_value_num_expression: ClassVar[str] = "{value}"
    # ECS ip fields take a CIDR block in a term query; pySigma's fallback (wildcard
    # prefixes such as 10.*) is rejected by Elasticsearch on ip fields.
    cidr_expression: ClassVar[str] = '{field}:"{value}"'

    def _note(self, code: str, message: str, field: str | None, affects: Affects | None = None) -> None:
        record_note(self.last_processing_pipeline, code, message, field, affects)

    @staticmethod
    def _leaf(field: str, pattern: str, case_insensitive: bool) -> dict:
        """A value test on the original ECS field (a `.caseless` field stands for its base field)."""
        if field.endswith(CASELESS):
            field, case_insensitive = field[: -len(CASELESS)], True
        return wildcard(field, pattern, case_insensitive=case_insensitive)

    def _differs(self, field: str, before: str, after: str, ci_before: bool, ci_after: bool) -> Affects:
        """The events on which the leaf's verdict changes: exactly one of the two tests holds
        (either direction: the leaf may sit under a `not`)."""
        a, b = self._leaf(field, before, ci_before), self._leaf(field, after, ci_after)
        return Affects.of(EITHER, any_(all_(a, not_(b)), all_(b, not_(a))))

    def _check_value(self, field: str, value: SigmaString, case_insensitive: bool) -> None:
        """Note what KQL cannot say of this value: a `?` wildcard, whitespace at an unquoted edge."""
        if not value.s:  # the empty string (`f: ''`): nothing to widen or trim
            return
        original = wildcard_text(value)
        if any(p is SpecialChars.WILDCARD_SINGLE for p in value.s):
            self._note("emit/wildcard-widened",
                       f"KQL has no one-character wildcard: `?` in {value} became `*` (matches more)", field,
                       self._differs(field, original, wildcard_text(value, single="*"),
                                     case_insensitive, case_insensitive))
        if not value.s:  # the empty string: no wildcard, no edge to trim
            return
        first, last = value.s[0], value.s[-1]
        if value.contains_special() and ((isinstance(first, str) and first[:1].isspace())
                                         or (isinstance(last, str) and last[-1:].isspace())):
            # Kibana trims an unquoted value after reading its escapes: edge whitespace is lost
            trimmed = SigmaString("")
            trimmed.s = tuple(value.s)
            parts = list(value.s)
            if isinstance(parts[0], str):
                parts[0] = parts[0].lstrip()
            if isinstance(parts[-1], str):
                parts[-1] = parts[-1].rstrip()
            trimmed.s = tuple(p for p in parts if p != "")
            self._note("emit/whitespace-trimmed",
                       f"KQL trims whitespace at the ends of an unquoted value: {value} is matched without it "
                       "(matches more)", field,
                       self._differs(field, original, wildcard_text(trimmed), case_insensitive, case_insensitive))

    # values -----------------------------------------------------------------

    def convert_value_str(self, s: SigmaString, state) -> str:
        if not s.contains_special():
            text = "".join(p for p in s.s if isinstance(p, str))
            return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'
        return render(s, any_run="*", any_char="*", literal=lambda part: "".join(_unquoted_char(c) for c in part))

    def decide_convert_condition_as_in_expression(self, cond, state) -> bool:
        if any(analyzer_of(getattr(arg, "field", None), state) for arg in cond.args):
            return False  # each value its own phrase
        return super().decide_convert_condition_as_in_expression(cond, state) and all(
            isinstance(arg.value, SigmaCasedString)
            or (isinstance(arg.value, SigmaString) and letters(arg.value) == 0) for arg in cond.args
        )  # numbers (typed KQL values) are ORed: `letters` reads strings only

    def convert_condition_as_in_expression(self, cond, state):
        for arg in cond.args:  # (only cased values and values without letters come this way)
            self._check_value(arg.field, arg.value, arg.field.endswith(CASELESS))
        return super().convert_condition_as_in_expression(cond, state)

    def _phrase(self, cond, state) -> str | None:
        """A |contains value on an analysed text field, as a phrase (converters.emit.text_match)."""
        analyzer = analyzer_of(cond.field, state)
        if analyzer is None:
            return None
        text = phrase(self.last_processing_pipeline, cond.field, analyzer, cond.value, "KQL")
        quoted = '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'
        return f"{self.escape_and_quote_field(cond.field)}:{quoted}"

    def convert_condition_field_eq_val_str_case_sensitive(self, cond, state):
        if analyzer_of(cond.field, state):
            raise EmitError(f"{cond.field} is an analysed text field: its words are matched ignoring case, so a "
                            "|cased value has no KQL form", code="emit/text-field")
        self._check_value(cond.field, cond.value, cond.field.endswith(CASELESS))
        return self.case_sensitive_match_expression.format(
            field=self.escape_and_quote_field(cond.field), value=self.convert_value_str(cond.value, state))

    def convert_condition_field_eq_val_str(self, cond, state):
        """Case-insensitive match on a field without `.caseless`: spell every case."""
        text_phrase = self._phrase(cond, state)
        if text_phrase is not None:
            return text_phrase
        value = cond.value
        if letters(value) == 0:
            return self.convert_condition_field_eq_val_str_case_sensitive(cond, state)
        self._check_value(cond.field, value, True)
        field = self.escape_and_quote_field(cond.field)
        variants = case_variants(value, MAX_CASE_VARIANTS)
        templates = state.processing_state.get("caseless_some", {}).get(cond.field) if state else None
        if variants is None and templates:
            return self._caseless_where_held(cond, value, templates, state)
        if variants is None:
            pattern = wildcard_text(value)
            self._note("emit/case-narrowed",
                       f"KQL matches keyword fields case-sensitively and {cond.field} has no .caseless "
                       f"multi-field: {value} is matched with its case as written (matches less)", cond.field,
                       self._differs(cond.field, pattern, pattern, True, False))
            return f"{field}:{self.convert_value_str(value, state)}"
        listed = " or ".join(self.convert_value_str(v, state) for v in variants)
        return f"{field}:({listed})"

    def _caseless_where_held(self, cond, value: SigmaString, templates: tuple[str, ...], state) -> str:
        """Some indexes of the rule give the field a `.caseless` multi-field, others not: the value is
        matched there ignoring case and elsewhere as written. On an index without the multi-field the
        first test finds no value and the second is the narrowed one, so only events of those indexes
        whose value matches ignoring case but not as written get another verdict."""
        field = self.escape_and_quote_field(cond.field)
        pattern = wildcard_text(value)
        differs = self._differs(cond.field, pattern, pattern, True, False)
        self._note("emit/case-narrowed",
                   f"KQL matches keyword fields case-sensitively and {cond.field} has a .caseless multi-field only "
                   f"in {', '.join(templates)}: {value} is matched ignoring case there and with its case as written "
                   "in the rule's other indexes (matches less there)", cond.field,
                   Affects.of(differs.direction, all_(not_(wildcard("_index", list(templates))), differs.condition)))
        caseless = self.escape_and_quote_field(cond.field + CASELESS)
        return (f"({caseless}:{self.convert_value_str(value.lower(), state)} or "
                f"{field}:{self.convert_value_str(value, state)})")

    def convert_condition_not(self, cond, state):
        # `not not x` does not parse in Kibana's grammar: the negated part is always grouped
        return f"not ({self.convert_condition(cond.args[0], state)})"

    def convert_condition_field_eq_val_re(self, cond, state):
        """KQL has no regex: write the values and wildcard patterns the regex denotes (module docstring)."""
        if analyzer_of(cond.field, state):
            raise EmitError(f"{cond.field} is an analysed text field: KQL matches its words, and a regex over "
                            "its value has no KQL form", code="emit/text-field")
        flags = set(cond.value.flags)
        text = str(cond.value.regexp)
        if SigmaRegularExpressionFlag.MULTILINE in flags:
            raise EmitError(f"KQL has no regular expressions, and {cond.field}'s regex uses the m flag",
                            code="emit/regex-unsupported")
        try:
            expansion = expand(text, dotall=SigmaRegularExpressionFlag.DOTALL in flags)
        except NotExpandable as exc:
            raise EmitError(f"KQL has no regular expressions and {cond.field}'s regex {text!r} is not a set of "
                            f"values or wildcard patterns: {exc}", code="emit/regex-unsupported") from None
        regex_ci = SigmaRegularExpressionFlag.IGNORECASE in flags
        caseless = cond.field in state.processing_state.get("caseless_fields", ())
        parts = []
        for value, folded in expansion.values:
            ci = regex_ci or folded
            one = ConditionFieldEqualsValueExpression(cond.field + CASELESS if ci and caseless else cond.field,
                                                      value.lower() if ci and caseless else value)
            one.parent = cond.parent
            parts.append(self.convert_condition_field_eq_val_str(one, state) if ci and not caseless
                         else self.convert_condition_field_eq_val_str_case_sensitive(one, state))
        if not expansion.exact:
            patterns = [wildcard_text(v, single="*") for v, _ in expansion.values]
            tests = [wildcard(cond.field, wildcard_text(v, single="*"), case_insensitive=regex_ci or folded)
                     for v, folded in expansion.values]
            widened = tests[0] if len(tests) == 1 else any_(*tests)
            self._note("emit/regex-widened",
                       f"KQL has no regular expressions: {cond.field}'s regex {text!r} is matched as "
                       f"{' or '.join(patterns)} (matches more)", cond.field,
                       Affects.of(EITHER, all_(widened, not_(regex(cond.field, text, case_insensitive=regex_ci)))))
        return parts[0] if len(parts) == 1 else "(" + " or ".join(parts) + ")"

    def convert_condition_val_re(self, cond, state):
        raise EmitError("KQL has no regular expressions (a regex on no field)", code="emit/regex-unsupported")

"""What every ruleport backend adds to its pySigma base class."""

from __future__ import annotations

from functools import lru_cache
from string import Formatter

from sigma.conversion.base import TextQueryBackend
from sigma.types import SigmaString, SpecialChars


class CombinedPipelineOnce:
    """Combine the backend's pipelines once per output format, not once per rule.

    pySigma's Backend.convert combines the backend, processing and output-format
    pipelines anew for every rule (a new ProcessingPipeline, every item re-bound
    to it): a seventh of the conversion time on the corpus. For one backend
    instance the combination never changes, and ProcessingPipeline.apply resets
    every per-rule field (applied items, field tracking, state), so the first
    combination is kept and reused. Put before the pySigma base class.
    """

    def init_processing_pipeline(self, output_format: str | None = None) -> None:
        combined = self.__dict__.setdefault("_ruleport_combined", {})
        key = output_format or self.default_format
        if key not in combined:
            super().init_processing_pipeline(output_format)
            combined[key] = self.last_processing_pipeline
        self.last_processing_pipeline = combined[key]


class RegexWhenAsked(TextQueryBackend):
    """Build a string comparison's regular expression only when its template reads one.

    pySigma's TextQueryBackend turns every string comparison into a regular
    expression (SigmaString.to_regex, which compiles it to check it) before it
    fills the template it chose, whether that template reads `{regex}` or not;
    of ruleport's templates only Kusto's wildcard match does. On the corpus that
    unused regex was about a twentieth of the conversion time.

    The template is chosen as pySigma chooses it: the first of startswith,
    endswith, contains, wildcard match (case-sensitive: match) and equality
    that the value's shape fits, each `_allow_special` flag respected; when the
    chosen template reads `{regex}`, or none fits, pySigma's own method runs.
    Listed after a stock pySigma backend in a class's bases, it sits between that
    backend's overrides and TextQueryBackend.
    """

    def convert_condition_field_eq_val_str(self, cond, state):
        return self._compare(cond, state, "", super().convert_condition_field_eq_val_str)

    def convert_condition_field_eq_val_str_case_sensitive(self, cond, state):
        return self._compare(cond, state, "case_sensitive_", super().convert_condition_field_eq_val_str_case_sensitive)

    def _compare(self, cond, state, kind: str, stock):
        value = cond.value
        chosen = self._template(kind, value) if isinstance(value, SigmaString) else None
        if chosen is None or _reads_regex(chosen[0]):
            return stock(cond, state)
        template, part = chosen
        try:
            return template.format(field=self.escape_and_quote_field(cond.field),
                                   value=self.convert_value_str(part, state), backend=self)
        except TypeError:   # a template pySigma rejects: its method says so
            return stock(cond, state)

    def _template(self, kind: str, value: SigmaString):
        """(template, the part of `value` it is filled with), or None when no template fits."""
        def fits(shape: str, part: SigmaString):
            template = getattr(self, f"{kind}{shape}_expression")
            if template is None:
                return None
            if getattr(self, f"{kind}{shape}_expression_allow_special") or not part.contains_special():
                return template, part
            return None

        star = SpecialChars.WILDCARD_MULTI
        ends, starts = value.endswith(star), value.startswith(star)
        chosen = (ends and fits("startswith", value[:-1])) or (starts and fits("endswith", value[1:])) \
            or (starts and ends and fits("contains", value[1:-1]))
        if chosen:
            return chosen
        if kind:
            match = self.case_sensitive_match_expression
            return (match, value) if match is not None else None
        if self.wildcard_match_expression is not None and value.contains_special():
            return self.wildcard_match_expression, value
        return self.eq_expression, value


@lru_cache(maxsize=256)
def _reads_regex(template: str) -> bool:
    """The template has a `{regex}` field (`{regex!s}`, `{regex:...}` too)."""
    return any(name == "regex" for _, name, _, _ in Formatter().parse(template))

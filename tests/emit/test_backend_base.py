"""backend_base.RegexWhenAsked: the template pySigma would fill, without the regex nobody reads."""

from __future__ import annotations

import pytest
from sigma.conditions import ConditionFieldEqualsValueExpression
from sigma.conversion.base import TextQueryBackend
from sigma.conversion.state import ConversionState
from sigma.types import SigmaCasedString, SigmaString

from converters.emit.backend_base import RegexWhenAsked
from converters.emit.targets import TARGETS

VALUES = ["node.exe", "node*", "*\\node.exe", "*--eval*", "a*b", "a?b", "*", "**", "*a?*", "", "a\\*b", "C:\\*\\x*"]
SIEM = [name for name, t in TARGETS.items() if t.backend]


@pytest.mark.parametrize("target", SIEM)
@pytest.mark.parametrize("cased", [False, True])
def test_same_text_as_pysigma_for_every_value_shape(target, cased):
    spec = TARGETS[target]
    backend = spec.backend(spec.build_pipeline())
    assert isinstance(backend, RegexWhenAsked)
    kind = "_case_sensitive" if cased else ""
    ours = getattr(RegexWhenAsked, f"convert_condition_field_eq_val_str{kind}")
    stock = getattr(TextQueryBackend, f"convert_condition_field_eq_val_str{kind}")
    compared = 0
    for text in VALUES:
        value = SigmaCasedString(text) if cased else SigmaString(text)

        def run(method):
            try:
                return method(backend, ConditionFieldEqualsValueExpression("CommandLine", value), ConversionState())
            except Exception as exc:   # a refusal must be the same refusal
                return type(exc).__name__

        assert run(ours) == run(stock), (target, text)
        compared += 1
    assert compared == len(VALUES)


def test_the_regex_is_built_only_for_a_template_that_reads_it(monkeypatch):
    built = []
    original = SigmaString.to_regex
    monkeypatch.setattr(SigmaString, "to_regex", lambda self, *a: built.append(str(self)) or original(self, *a))
    lucene = TARGETS["lucene"].backend(TARGETS["lucene"].build_pipeline())
    cond = ConditionFieldEqualsValueExpression("CommandLine", SigmaString("a*b"))
    ours = RegexWhenAsked.convert_condition_field_eq_val_str(lucene, cond, ConversionState())
    assert built == []
    assert TextQueryBackend.convert_condition_field_eq_val_str(lucene, cond, ConversionState()) == ours
    assert built == ["a*b"]   # pySigma's own method builds it, and fills a template without it


def test_a_template_reads_the_regex_however_its_field_is_written():
    from converters.emit.backend_base import _reads_regex

    assert _reads_regex('{field} matches regex "{regex}"') and _reads_regex("{field} rlike {regex!s}")
    assert _reads_regex("{regex:>10}")
    assert not _reads_regex("{field}:{value}") and not _reads_regex("{field} == '{{regex}}'")

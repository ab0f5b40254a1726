"""The corpus's correlation rules (EQL sequences and samples, threshold rules) through translation and emission.

Figures at the time of writing (docs/translation.md, docs/targets.md): of 251 rules, 241 translate to a
Sigma correlation that pySigma parses; eql emits 207 and esql 211 (the rest: value counts on EQL, fields
the Elastic Defend process model does not list in steps reading only Defend's indexes, longer ordered
chains on ES|QL). Fewer is a regression.
"""

from __future__ import annotations

import eql
import pytest
from sigma.collection import SigmaCollection

from converters.emit import EmitError, emit
from converters.emit.targets import TARGETS
from converters.eql import ast, parse_query
from converters.errors import TranslationError
from converters.load import load_rule
from converters.translate import translate_rule

pytestmark = pytest.mark.corpus


@pytest.fixture(scope="module")
def correlations(corpus_dir):
    out = {}
    for path in sorted(corpus_dir.rglob("*.toml")):
        rule = load_rule(path, str(path.relative_to(corpus_dir)))
        r = rule.rule
        multi = False
        if r.get("language") == "eql" and isinstance(r.get("query"), str):
            try:
                multi = isinstance(parse_query(r["query"]).base, (ast.Sequence, ast.Sample, ast.Join))
            except Exception:
                multi = False
        if r.get("type") == "threshold" or multi:
            try:
                out[rule.path] = translate_rule(rule)
            except TranslationError as exc:
                out[rule.path] = exc
    return out


def test_nine_in_ten_correlation_rules_become_sigma_correlations_pysigma_reads(correlations):
    assert len(correlations) == 251
    good = 0
    for t in correlations.values():
        if isinstance(t, TranslationError):
            assert t.code.startswith("translate/")
            continue
        collection = SigmaCollection.from_yaml(t.sigma_yaml, collect_errors=True)
        collection.resolve_rule_references()
        assert not collection.errors
        good += 1
    assert good >= 241 and good / len(correlations) >= 0.9


def test_eql_outputs_parse_in_eql_1_0_1_and_in_ruleport(correlations):
    emitted = 0
    for t in correlations.values():
        if isinstance(t, TranslationError):
            continue
        try:
            query = emit(t.sigma_yaml, "eql").queries[0]
        except EmitError:
            continue
        emitted += 1
        with eql.parser.elasticsearch_syntax, eql.parser.ignore_missing_functions, eql.parser.allow_runs, \
                eql.parser.allow_sample:
            eql.parse_query(query)
        parse_query(query)
    assert emitted >= 207


@pytest.mark.parametrize("target", ["esql", "splunk", "splunk-cim", "kusto-defender", "kusto-sentinel"])
def test_every_emitted_correlation_runs_in_its_target_s_executor(correlations, target):
    executor = TARGETS[target].executor()
    emitted = 0
    for t in correlations.values():
        if isinstance(t, TranslationError):
            continue
        try:
            query = emit(t.sigma_yaml, target).queries[0]
        except EmitError as exc:
            assert exc.code.startswith("emit/"), exc.message
            continue
        emitted += 1
        assert executor.alerts(query, []) == []
    if target == "esql":
        assert emitted >= 211

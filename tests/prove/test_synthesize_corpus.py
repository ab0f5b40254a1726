"""Event synthesis on a fixed sample of the Elastic corpus: the figures the whole corpus is held to.

Whole-corpus figures come from `python -m benchmarks synthesize` (docs/proving.md);
this sample (every 30th rule file, in path order) keeps them from sliding:
at least 95% of the single-event EQL and kuery rules get both a match and a
non-match, at least 95% of their branches are matched by an event, every
event gets the verdict it was built for from the rule's own evaluator, and
no event is inconsistent.
"""

from __future__ import annotations

import pytest

from converters.eql.evaluator import EqlExecutor
from converters.kql.evaluator import KibanaKqlExecutor
from converters.load import load_rule
from converters.platforms.models import ELASTIC
from converters.prove.synthesize import synthesize_cases
from tests.prove.synthesis_checks import summarize, survey_rule

pytestmark = pytest.mark.corpus

#: why synthesis may refuse a rule of the sample; anything else (a crash) fails
REFUSALS = {"fixtures/multi-event", "fixtures/threshold", "fixtures/unsupported", "fixtures/unsatisfiable"}


@pytest.fixture(scope="module")
def sample(corpus_dir):
    return [str(p) for p in sorted(corpus_dir.rglob("*.toml"))[::30]]


@pytest.fixture(scope="module")
def results(sample):
    return [r for r in map(survey_rule, sample) if r is not None]


def test_sample_figures(results):
    assert len(results) >= 50
    assert {r["status"] for r in results} <= REFUSALS | {"ok"}
    summary = summarize(results)
    assert summary["share_with_both"] >= 0.95, summary
    assert summary["branch_coverage"] >= 0.95, summary
    assert summary["hard_problems"] == 0, summary
    assert summary["soft_problems"] <= 0.02 * summary["events"], summary


def test_every_event_gets_the_verdict_it_was_built_for(sample):
    checked = 0
    for path in sample[::3]:
        rule = load_rule(path)
        if rule.rule.get("language") not in ("eql", "kuery") or rule.rule.get("type") == "threshold":
            continue
        try:
            fixtures = synthesize_cases(rule)
        except Exception as exc:  # refusals are counted by test_sample_figures
            assert getattr(exc, "code", "") in REFUSALS, f"{path}: {exc!r}"
            continue
        executor = EqlExecutor() if rule.rule["language"] == "eql" else KibanaKqlExecutor()
        docs, _ = ELASTIC.records(fixtures.events)
        hits = set(executor.run(rule.rule["query"], docs))
        assert [i in hits for i in range(len(docs))] == [c.expect for c in fixtures.cases], path
        checked += 1
    assert checked >= 12

"""A fixed sample of the corpus proven on every target with synthesized events (issue 8).

The sample is every 12th rule of the corpus in path order (about 180 rules of every folder),
so it changes only when the corpus does. The whole corpus's figures are in
docs/corpus-proof.md (`make corpus-proof`); this test keeps the same promises on the sample:
the four Elastic targets never differ from the original rule, and no target errs.
"""

from __future__ import annotations

import pytest

from converters.prove.repository import Options, prove_repository, rule_files
from converters.prove.streams import Synthesizer
from converters.prove.synthesize import synthesize

pytestmark = pytest.mark.corpus

ELASTIC = ("lucene", "eql", "esql", "kibana-kql")
STEP = 12


@pytest.fixture(scope="module")
def report(corpus_dir, lucene):  # lucene: the real engine must be there (fails in CI without it)
    sample = [path for path, _ in rule_files([str(corpus_dir)])][::STEP]
    assert len(sample) > 150
    return prove_repository(sample, Options(synthesize=Synthesizer(single=synthesize)))


def _failing(report, target, status):
    return [rule["path"].rsplit("/", 2)[-2:] + [rule["targets"][target].get("lines") or
                                               rule["targets"][target].get("message")]
            for rule in report["rules"] if rule["targets"][target]["status"] == status]


@pytest.mark.parametrize("target", ELASTIC)
def test_elastic_targets_never_differ_from_the_original(report, target):
    assert _failing(report, target, "differs") == []


def test_no_target_errs(report):
    errors = {t: _failing(report, t, "error") for t in report["summary"]}
    assert {t: e for t, e in errors.items() if e} == {}


def test_most_of_the_sample_is_proven_not_skipped(report):
    # a rule is skipped only when no events can be made for it (ES|QL rules, machine-learning jobs)
    summary = report["summary"]["eql"]
    assert summary["agree"] + summary["accepted"] > 0.6 * len(report["rules"]), summary

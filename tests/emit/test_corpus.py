"""A sample of the Elastic corpus, translated then emitted: no crash, and the
queries parse in the project's engines (EQL, KQL, ES|QL, SPL)."""

from __future__ import annotations

import pytest

from converters.emit import EmitError, emit
from converters.emit.targets import TARGETS

pytestmark = pytest.mark.corpus

#: why a target may refuse a rule; anything else (a backend error, an internal error) fails
REFUSALS = {"emit/logsource-unsupported", "emit/field-unmapped", "emit/field-unavailable", "emit/unsupported",
            "emit/field-unsupported",
            "emit/regex-unsupported", "emit/keyword-unsupported", "emit/condition"}
REFUSALS |= {"emit/correlation-unsupported", "emit/join-key-unavailable"}  # correlations


@pytest.fixture(scope="module")
def sample(corpus_dir):
    from converters.load import load_rule
    from converters.translate import translate_rule

    paths = sorted(corpus_dir.rglob("*.toml"))
    out = []
    for path in paths[::25]:  # every 25th rule keeps the test to a few seconds
        try:
            out.append((path.name, translate_rule(load_rule(path)).sigma_yaml))
        except Exception:  # untranslatable rules are the translator's tests' business
            continue
    return out


def test_corpus_sample_emits_or_refuses_cleanly(sample):
    emitted = {t: 0 for t in TARGETS}
    for name, text in sample:
        for target in TARGETS:
            try:
                emit(text, target)
                emitted[target] += 1
            except EmitError as exc:
                assert exc.code in REFUSALS, (name, target, exc.code, exc.message)
    assert emitted["sigma"] == len(sample)
    # process rules make up about a third of the corpus: each target emits a good share of them
    assert all(n > len(sample) // 10 for n in emitted.values()), emitted
    # the Elastic targets also take file/network/registry/library/DNS and category-less
    # rules (about two thirds of the translated corpus; a third before those data models)
    for target in ("lucene", "eql", "esql"):
        assert emitted[target] > emitted["sigma"] * 0.55, emitted
    assert emitted["kibana-kql"] > emitted["sigma"] * 0.45, emitted


def test_corpus_sample_covers_every_elastic_data_model(sample):
    import yaml

    emitted_categories = set()
    for _name, text in sample:
        try:
            emit(text, "eql")
        except EmitError:
            continue
        emitted_categories.update(doc["logsource"].get("category") for doc in yaml.safe_load_all(text)
                                  if "logsource" in doc)
    # (network rules are too few in the corpus for every 25th rule to hold one)
    assert {"process_creation", "file_event", "registry_event", "image_load", None} <= emitted_categories, \
        emitted_categories


def test_corpus_sample_queries_parse(sample):
    """Every query a target emits parses in that target's own executor (the real Lucene engine is
    held to the same in tests/lucene)."""
    parsed = {}
    for target in TARGETS.values():
        if target.language in ("sigma", "lucene"):
            continue
        executor = target.executor()
        parsed[target.name] = 0
        for _name, text in sample:
            try:
                query = emit(text, target.name).queries[0]
            except EmitError:
                continue
            if target.name == "esql":  # the executor holds process-index events only: parse the WHERE part
                query = "FROM logs-*\n" + query.partition("\n")[2]
            assert executor.run(query, []) == []  # raises ExecutionError when the query does not parse
            parsed[target.name] += 1
    assert all(n > len(sample) // 10 for n in parsed.values()), parsed


def test_reused_backends_and_parsed_rules_convert_as_fresh_ones_do(sample):
    """emit() reuses one backend (and its combined pipeline) per target and parses each rule once;
    converting the sample in another order with everything built afresh gives the same bytes."""
    import random

    from sigma.collection import SigmaCollection

    from converters.emit.core import _collect_notes

    def fresh(text, target):
        backend = target.backend(target.build_pipeline())
        try:
            queries = backend.convert(SigmaCollection.from_yaml(text))
        except Exception as exc:  # the refusal itself must match too
            return type(exc).__name__
        return [str(q) for q in queries], _collect_notes(backend, target.name)

    def cached(text, target):
        try:
            e = emit(text, target.name)
        except EmitError as exc:
            return exc.code
        return e.queries, e.notes

    pairs = [(text, t) for _name, text in sample for t in TARGETS.values() if t.backend]
    reused = [cached(text, t) for text, t in pairs]
    order = list(range(len(pairs)))
    random.Random(5).shuffle(order)
    for i in order:
        text, target = pairs[i]
        expected = fresh(text, target)
        if isinstance(reused[i], str):
            assert isinstance(expected, str), (target.name, text[:200])
        else:
            assert reused[i] == expected, (target.name, text[:300])

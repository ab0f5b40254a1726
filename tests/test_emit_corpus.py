"""A sample of the Elastic corpus, translated then emitted: no crash, and the
queries parse in the project's engines (EQL, KQL, ES|QL, SPL)."""

from __future__ import annotations

import pytest

from converters.emit import TARGETS, EmitError, emit

pytestmark = pytest.mark.corpus

PARSED_BY = {
    "eql": ("evaluate_eql", "EqlExecutor", "elastic"),
    "kibana-kql": ("kibana_kql", "KibanaKqlExecutor", "elastic"),
    "esql": ("esql", "EsqlExecutor", "elastic"),
    "splunk": ("splunk_search", "SplunkSearchExecutor", "sysmon"),
    "splunk-cim": ("splunk_search", "SplunkSearchExecutor", "cim"),
}


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
                assert exc.code.startswith("emit/"), (name, target)
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
        emitted_categories.add(yaml.safe_load(text)["logsource"].get("category"))
    # (network rules are too few in the corpus for every 25th rule to hold one)
    assert {"process_creation", "file_event", "registry_event", "image_load", None} <= emitted_categories, \
        emitted_categories


def test_corpus_sample_queries_parse(sample):
    from converters.execute.matrix import TargetSpec, load_executor

    for target, spec in PARSED_BY.items():
        executor = load_executor(TargetSpec(*spec))
        for _name, text in sample:
            try:
                query = emit(text, target).queries[0]
            except EmitError:
                continue
            if target == "esql":  # the executor holds process-index events only: parse the WHERE part
                query = "FROM logs-*\n" + query.partition("\n")[2]
            executor.run(query, [])  # raises ExecutionError when the query does not parse

"""rule_copy: each target converts its own copy of one pySigma rule built per rule."""

from __future__ import annotations

from sigma.collection import SigmaCollection

from converters.emit import emit
from converters.emit.rule_copy import copy_collection, copyable
from converters.emit.targets import TARGETS
from tests.support import ROOT

SEED_SIGMA = ROOT / "sigma" / "windows" / "execution_nodejs_susp_patterns.yml"
SIEM = [name for name, t in TARGETS.items() if t.backend]


def _shape(rule):
    """What a pipeline may rewrite, as plain data."""
    items = {name: [(i.field, [str(v) for v in i.value], [m.__name__ for m in i.modifiers])
                    for i in d.detection_items] for name, d in rule.detection.detections.items()}
    return (items, rule.logsource.category, rule.logsource.product, sorted(rule.custom_attributes),
            len(rule.applied_processing_items))


def test_a_copy_converts_alone_and_leaves_its_source_unchanged():
    built = SigmaCollection.from_yaml(SEED_SIGMA.read_text())
    assert copyable(built)
    before = _shape(built.rules[0])
    for name in SIEM:
        target = TARGETS[name]
        copy = copy_collection(built)
        assert copy.rules[0] is not built.rules[0]
        queries = target.backend(target.build_pipeline()).convert(copy)
        fresh = target.backend(target.build_pipeline()).convert(SigmaCollection.from_yaml(SEED_SIGMA.read_text()))
        assert [str(q) for q in queries] == [str(q) for q in fresh], name
        assert copy.rules[0].applied_processing_items    # the pipeline ran on the copy...
    assert _shape(built.rules[0]) == before            # ...and never on the rule it came from
    assert not built.rules[0].applied_processing_items


def test_targets_in_any_order_emit_the_same():
    text = SEED_SIGMA.read_text()
    forward = {name: emit(text, name).queries for name in SIEM}
    backward = {name: emit(text, name).queries for name in reversed(SIEM)}
    assert forward == backward


def test_correlations_are_not_copied_this_way():
    text = """title: base
name: base
logsource: {category: process_creation, product: windows}
detection: {sel: {Image: x}, condition: sel}
---
title: corr
correlation: {type: event_count, rules: [base], group-by: [Image], timespan: 5m, condition: {gte: 3}}
"""
    assert not copyable(SigmaCollection.from_yaml(text))

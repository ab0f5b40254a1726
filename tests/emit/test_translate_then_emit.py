"""End to end: the seed Elastic rule, translated by converters.translate, emitted for every target."""

from __future__ import annotations

import pytest
import yaml

from converters import translate
from converters.emit import TARGETS, emit
from tests.emit.helpers import seed_yaml


@pytest.fixture(scope="module")
def translated(seed_rule):
    from converters.load import load_rule

    return translate.translate_rule(load_rule(seed_rule))


def test_every_target_emits_the_translated_seed(translated):
    for name in TARGETS:
        e = emit(translated.sigma_yaml, name)
        assert len(e.queries) == 1, name
        assert all(n.target == name for n in e.notes)


def _shape_with_start(definition: str) -> str:
    """The contract shape plus the seed's `event.type == "start"`, which the translator keeps in the
    detection: Sigma's process_creation also covers events typed process_started; and the seed's
    index patterns, which the translator keeps as the logsource definition."""
    text = seed_yaml().replace("detection:\n", "detection:\n  start:\n    event.type|cased: start\n", 1)
    text = text.replace("  product: windows\n", f"  product: windows\n  definition: '{definition}'\n", 1)
    return text.replace("  condition: (", "  condition: start and (", 1)


def test_translated_seed_emits_like_the_contract_shape(translated):
    """The translator's rule and SIGMA_SHAPE's (the fixture) differ only in spelling
    (e.g. `CommandLine|contains`), so every target must give the same queries."""
    definition = yaml.safe_load(translated.sigma_yaml)["logsource"]["definition"]
    assert definition.startswith("Elastic indexes: endgame-*, ")
    for name in TARGETS:
        if name == "sigma":
            continue
        assert emit(translated.sigma_yaml, name).queries == emit(_shape_with_start(definition), name).queries, name


def test_sigma_target_returns_the_translation(translated):
    assert emit(translated.sigma_yaml, "sigma").queries == [translated.sigma_yaml]

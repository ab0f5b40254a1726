"""The generated Sigma rule is valid Sigma: pySigma's validators (with local
ATT&CK data, never the network) and Sigma's own JSON schema."""

import json

import pytest
import yaml
from sigma.collection import SigmaCollection
from sigma.validation import SigmaValidator
from sigma.validators.core import validators

from converters.load import load_rule
from converters.translate import translate_rule
from converters.translate.pysigma_data import use_local_data


@pytest.fixture(scope="module")
def seed_sigma(seed_rule):
    return translate_rule(load_rule(seed_rule)).sigma_yaml


@pytest.fixture(scope="module")
def local_attack(tmp_path_factory, seed_rule):
    """ATT&CK data from the seed's own threat mapping, handed to pySigma as a file."""
    threat = load_rule(seed_rule).rule["threat"]
    tactics = {t["tactic"]["id"]: t["tactic"]["name"].lower() for t in threat}
    techniques = {}
    for t in threat:
        for tech in t["technique"]:
            techniques[tech["id"]] = (tech["name"], [t["tactic"]["name"].lower()])
            for sub in tech.get("subtechnique", []):
                techniques[sub["id"]] = (sub["name"], [t["tactic"]["name"].lower()])
    use_local_data(tmp_path_factory.mktemp("pysigma-data"), tactics, techniques)


def test_pysigma_parses_without_errors(seed_sigma):
    collection = SigmaCollection.from_yaml(seed_sigma, collect_errors=True)
    assert collection.errors == []
    assert [r.errors for r in collection.rules] == [[]]


def test_pysigma_validators_pass_offline(seed_sigma, local_attack, monkeypatch):
    import urllib.request

    def no_network(*args, **kwargs):
        raise AssertionError("pySigma tried to reach the network")

    monkeypatch.setattr(urllib.request, "urlopen", no_network)
    monkeypatch.setattr("sigma.data.mitre_attack.urlopen", no_network, raising=False)
    monkeypatch.setattr("sigma.data.mitre_d3fend.urlopen", no_network, raising=False)
    collection = SigmaCollection.from_yaml(seed_sigma)
    validator = SigmaValidator(validators.values())
    assert validator.validate_rules(collection) == []


def test_attack_tag_validator_uses_the_local_data(local_attack):
    from sigma.validators.core.tags import ATTACKTagValidator

    bad = SigmaCollection.from_yaml(
        "title: t\nlogsource: {category: process_creation}\ndetection: {s: {Image: x}, condition: s}\n"
        "tags: [attack.t9999, attack.t1059.007]\n").rules[0]
    issues = ATTACKTagValidator().validate(bad)
    assert [str(i.tag) for i in issues] == ["attack.t9999"]


@pytest.mark.corpus
def test_seed_sigma_matches_sigma_json_schema(seed_sigma, sigma_spec_dir):
    import jsonschema

    schema = json.loads((sigma_spec_dir / "sigma-detection-rule-schema.json").read_text())
    doc = yaml.safe_load(seed_sigma)
    errors = sorted(jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker())
                    .iter_errors(doc), key=str)
    assert errors == []


def test_translation_documents_are_the_rule_its_yaml_holds(seed_rule):
    """emit reads Translation.documents instead of parsing sigma_yaml: same data, and so the
    same query on every target."""
    from converters.emit import emit
    from converters.emit.targets import TARGETS

    t = translate_rule(load_rule(seed_rule))
    assert t.documents is not None
    assert list(yaml.safe_load_all(t.sigma_yaml)) == list(t.documents)
    for name, target in TARGETS.items():
        if target.backend:
            assert emit(t.sigma_yaml, name).queries == emit(t.sigma_yaml, name, (), t.documents).queries

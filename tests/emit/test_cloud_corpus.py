"""The corpus's cloud and SaaS audit rules (every translated rule whose logsource product is a cloud
product: AWS, Azure, Microsoft 365, GCP, Okta, Kubernetes, GitHub, Google Workspace) on the four
targets that read them through the cloud data models (issue 10's acceptance figures)."""

from __future__ import annotations

from collections import Counter

import pytest
import yaml

from converters.emit import EmitError, emit
from converters.platforms.cloud.facts import CLOUD_PRODUCTS

pytestmark = pytest.mark.corpus

REFUSALS = {"emit/logsource-unsupported", "emit/field-unavailable", "emit/field-unsupported", "emit/field-unmapped"}


@pytest.fixture(scope="module")
def cloud_rules(corpus_dir):
    from converters.load import load_rule
    from converters.translate import translate_rule

    out = []
    for path in sorted(corpus_dir.rglob("*.toml")):
        try:
            text = translate_rule(load_rule(path)).sigma_yaml
        except Exception:  # untranslatable rules are the translator's tests' business
            continue
        first = next(d for d in yaml.safe_load_all(text) if d)
        if (first.get("logsource") or {}).get("product") in CLOUD_PRODUCTS:
            out.append((path.name, text))
    return out


def _emit_all(rules, target):
    emitted, refused = 0, Counter()
    for name, text in rules:
        try:
            emit(text, target)
            emitted += 1
        except EmitError as exc:
            assert exc.code in REFUSALS, (name, target, exc.code, exc.message)
            assert exc.message, (name, target)
            refused[exc.code] += 1
    return emitted, refused


def test_the_corpus_holds_about_five_hundred_cloud_rules(cloud_rules):
    # new-terms rules (119 of the cloud folders) are refused by the translator: about four hundred remain
    assert 350 <= len(cloud_rules) <= 600, len(cloud_rules)


# measured on the corpus: splunk 362/395 (91.6 %), kusto-sentinel 348/395 (88.1 %) with Google
# Workspace admin and Entra ID Protection declared (Azure platform logs, AAD Graph activity and
# Google Workspace login/token/alert have no model yet); issue 10 asks for 80 %
@pytest.mark.parametrize("target, share", [("splunk", 0.8), ("kusto-sentinel", 0.8)])
def test_splunk_and_sentinel_emit_four_fifths_of_the_cloud_rules(cloud_rules, target, share):
    emitted, _ = _emit_all(cloud_rules, target)
    assert emitted >= share * len(cloud_rules), (target, emitted, len(cloud_rules))


def test_splunk_cim_refuses_every_cloud_rule_naming_the_add_on(cloud_rules):
    emitted, refused = _emit_all(cloud_rules, "splunk-cim")
    assert emitted == 0 and set(refused) == {"emit/logsource-unsupported"}


def test_defender_emits_microsoft_365_rules_only(cloud_rules):
    o365 = [(n, t) for n, t in cloud_rules if "product: o365" in t]
    emitted, _ = _emit_all(o365, "kusto-defender")
    assert emitted >= 0.8 * len(o365)
    others = [(n, t) for n, t in cloud_rules if "product: o365" not in t]
    emitted, refused = _emit_all(others, "kusto-defender")
    assert emitted == 0 and refused["emit/logsource-unsupported"] == len(others)

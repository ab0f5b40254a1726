"""`ruleport package` on a corpus sample (every 50th Elastic rule): every artifact written meets its
platform's requirements, every rule a target converts is packaged for it unless the platform documents a
limit the rule exceeds, and the Kibana ndjson reads back as rules valid for ruleport's rule schema."""

import json
from collections import Counter

import jsonschema
import pytest

from converters.emit.targets import TARGETS
from converters.lint.schema import flat_schema
from converters.load import iter_rule_paths
from converters.load.ndjson import read_kibana_ndjson
from converters.load.settings import Settings
from converters.package.run import package
from tests.package import validators

pytestmark = pytest.mark.corpus

# limits a platform documents, which a rule may exceed (each is an error for that rule and target)
ACCEPTED = {"package/query-too-long"}


@pytest.fixture(scope="module")
def sample(corpus_dir, tmp_path_factory):
    paths = [str(p) for p, _ in iter_rule_paths(str(corpus_dir))][::50]
    out = tmp_path_factory.mktemp("corpus")
    result = package(paths, str(out), list(TARGETS), Settings())
    return out, result


def test_every_converted_rule_is_packaged(sample):
    out, result = sample
    assert len(result.rules) >= 40
    refused = Counter(e["code"] for r in result.rules for e in r.errors if e["code"].startswith("package/"))
    assert set(refused) <= ACCEPTED, refused
    for target in TARGETS:
        assert result.counts[target] >= 1, target
    print("packaged per target:", result.counts, "of", len(result.rules))


def test_every_artifact_meets_its_platform(sample):
    out, _ = sample
    problems = []
    for target in ("lucene", "eql", "esql", "kibana-kql"):
        for line in (out / target / "rules.ndjson").read_text().splitlines():
            problems += validators.kibana_errors(line)
    for path in (out / "kusto-sentinel").rglob("*.yaml"):
        problems += [f"{path}: {e}" for e in validators.sentinel_errors(path.read_text())]
    problems += validators.arm_errors((out / "kusto-sentinel" / "azuredeploy.json").read_text())
    for path in (out / "kusto-defender").rglob("*.json"):
        problems += [f"{path}: {e}" for e in validators.graph_errors(path.read_text())]
    for path in (out / "navigator").glob("*.json"):
        problems += [f"{path}: {e}" for e in validators.navigator_errors(path.read_text())]
    for target in ("splunk", "splunk-cim"):
        (app,) = (out / target).iterdir()
        files = {str(p.relative_to(app)): p.read_text() for p in app.rglob("*") if p.is_file()}
        problems += validators.splunk_app_errors(files)
    assert problems == []


def test_artifact_counts_match_the_packaged_rules(sample):
    out, result = sample
    assert len((out / "eql" / "rules.ndjson").read_text().splitlines()) == result.counts["eql"]
    assert len(list((out / "kusto-sentinel").rglob("*.yaml"))) == result.counts["kusto-sentinel"]
    assert len(list((out / "kusto-defender").rglob("*.json"))) == result.counts["kusto-defender"]
    assert len(list((out / "sigma").rglob("*.yml"))) == result.counts["sigma"]
    arm = json.loads((out / "kusto-sentinel" / "azuredeploy.json").read_text())
    assert len(arm["resources"]) == result.counts["kusto-sentinel"]


def test_kibana_ndjson_reads_back_as_valid_rules(sample):
    out, _ = sample
    validator = jsonschema.Draft202012Validator(flat_schema()["properties"]["rule"])
    for target in ("lucene", "eql", "esql", "kibana-kql"):
        for rf in read_kibana_ndjson(out / target / "rules.ndjson"):
            body = {k: v for k, v in rf.rule.items() if k not in ("version", "meta")}
            assert [e.message for e in validator.iter_errors(body)] == [], rf.path

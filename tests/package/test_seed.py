"""`ruleport package` on the seed rule: every target's artifacts exist and meet their platform's requirements,
and they read back: the Kibana ndjson as rules (ruleport's loader, schema and translator), the Splunk
savedsearches.conf by the .conf rules, the Sentinel YAML and ARM template as the same rule."""

import json

import pytest
import yaml

from converters.emit.targets import TARGETS
from converters.lint.schema import flat_schema
from converters.load import load_rule, rule_meta
from converters.load.ndjson import read_kibana_ndjson
from converters.load.settings import Settings
from converters.package import conf
from converters.package.run import package
from converters.translate import translate_rule
from tests.package import validators
from tests.support import SEED_RULE

ELASTIC = ("lucene", "eql", "esql", "kibana-kql")


@pytest.fixture(scope="module")
def packaged(tmp_path_factory):
    out = tmp_path_factory.mktemp("dist")
    result = package([str(SEED_RULE.parent.parent)], str(out), list(TARGETS), Settings())
    return out, result


def test_every_target_packages_the_seed(packaged):
    out, result = packaged
    assert not result.failed, [r.errors for r in result.rules]
    assert result.counts == {t: 1 for t in TARGETS}
    for target in TARGETS:
        assert (out / "navigator" / f"{target}.json").is_file()


@pytest.mark.parametrize("target", ELASTIC)
def test_kibana_ndjson_meets_the_import_schema(packaged, target):
    out, _ = packaged
    lines = (out / target / "rules.ndjson").read_text().splitlines()
    assert len(lines) == 1
    assert validators.kibana_errors(lines[0]) == []
    rule = json.loads(lines[0])
    assert rule["rule_id"] != "55f711c1-6b4d-4787-930d-c9317a885adf"
    assert rule["meta"]["ruleport"]["derived_from"] == "55f711c1-6b4d-4787-930d-c9317a885adf"
    assert (rule["interval"], rule["from"], rule["severity"], rule["risk_score"]) == ("5m", "now-9m", "high", 73)
    assert rule["threat"][0]["technique"][0]["subtechnique"][0]["id"] == "T1059.007"


def test_each_elastic_target_has_its_own_rule_id_and_type(packaged):
    out, _ = packaged
    rules = {t: json.loads((out / t / "rules.ndjson").read_text()) for t in ELASTIC}
    assert len({r["rule_id"] for r in rules.values()}) == 4
    assert {t: (r["type"], r["language"]) for t, r in rules.items()} == {
        "lucene": ("query", "lucene"), "eql": ("eql", "eql"), "esql": ("esql", "esql"),
        "kibana-kql": ("query", "kuery")}
    # the original rule's indexes (the translator keeps them in the logsource definition)
    indexes = load_rule(SEED_RULE).rule["index"]
    assert "index" not in rules["esql"] and rules["esql"]["query"].startswith(
        f"FROM {', '.join(indexes)} METADATA _id, _version, _index\n")
    assert rules["eql"]["index"] == rules["lucene"]["index"] == rules["kibana-kql"]["index"] == indexes


def test_kibana_ndjson_reads_back_as_rules(packaged):
    """Round trip: the loader reads each line as a rule; the [rule] part is valid for ruleport's own rule
    schema (API-only keys aside); its metadata is the original's; the EQL rule translates again."""
    out, _ = packaged
    original = load_rule(SEED_RULE)
    validator = __import__("jsonschema").Draft202012Validator(flat_schema()["properties"]["rule"])
    for target in ELASTIC:
        (rf,) = read_kibana_ndjson(out / target / "rules.ndjson")
        body = {k: v for k, v in rf.rule.items() if k not in ("version", "meta")}
        assert [e.message for e in validator.iter_errors(body)] == []
        again, before = rule_meta(rf.rule).as_dict(), rule_meta(original.rule).as_dict()
        for key in ("severity", "risk_score", "interval", "from", "tags", "references", "author", "license",
                    "tactics", "techniques"):
            assert again[key] == before[key], key
        assert rf.rule["description"] == original.rule["description"].strip()
    (eql,) = read_kibana_ndjson(out / "eql" / "rules.ndjson")
    again = translate_rule(eql)
    assert "process_creation" in again.sigma_yaml and "node.exe" in again.sigma_yaml


@pytest.mark.parametrize("target", ("splunk", "splunk-cim"))
def test_splunk_app_is_documented_conf(packaged, target):
    out, _ = packaged
    app = out / target / ("ruleport_" + target.replace("-", "_"))
    files = {str(p.relative_to(app)): p.read_text() for p in app.rglob("*") if p.is_file()}
    assert validators.splunk_app_errors(files) == []


@pytest.mark.parametrize("target", ("splunk", "splunk-cim"))
def test_savedsearches_search_reads_back_as_the_emitted_query(packaged, target):
    """The .conf continuation lines give back the exact query `convert` emits."""
    from converters.convert import convert_file

    out, _ = packaged
    text = (out / target / ("ruleport_" + target.replace("-", "_")) / "default" / "savedsearches.conf").read_text()
    (stanza,) = conf.parse(text).values()
    emitted = convert_file(SEED_RULE, str(SEED_RULE), [target]).outputs[target]
    assert stanza["search"] == emitted and "\n" in emitted
    assert (stanza["cron_schedule"], stanza["dispatch.earliest_time"]) == ("*/5 * * * *", "-9m")
    assert json.loads(stanza["action.correlationsearch.annotations"]) == {"mitre_attack": ["T1059", "T1059.007"]}
    assert {r["risk_score"] for r in json.loads(stanza["action.risk.param._risk"])} == {73}


def test_sentinel_yaml_and_arm_template(packaged):
    out, _ = packaged
    (path,) = (out / "kusto-sentinel").rglob("*.yaml")
    assert path.relative_to(out / "kusto-sentinel").as_posix() == "windows/execution_nodejs_susp_patterns.yaml"
    text = path.read_text()
    assert validators.sentinel_errors(text) == []
    doc = yaml.safe_load(text)
    assert doc["query"].startswith("imProcessCreate\n| where ")
    assert (doc["queryFrequency"], doc["queryPeriod"], doc["severity"]) == ("5m", "9m", "High")
    assert doc["tactics"] == ["Execution"] and doc["relevantTechniques"] == ["T1059", "T1059.007"]
    assert {e["entityType"] for e in doc["entityMappings"]} == {"Host", "Account", "Process", "FileHash", "IP"}
    arm_text = (out / "kusto-sentinel" / "azuredeploy.json").read_text()
    assert validators.arm_errors(arm_text) == []
    (resource,) = json.loads(arm_text)["resources"]
    assert resource["name"] == doc["id"]
    props = resource["properties"]
    assert (props["queryFrequency"], props["queryPeriod"], props["query"]) == ("PT5M", "PT9M", doc["query"])
    assert props["techniques"] == ["T1059"]


def test_defender_detection_rule(packaged):
    out, result = packaged
    (path,) = (out / "kusto-defender").rglob("*.json")
    text = path.read_text()
    assert validators.graph_errors(text) == []
    rule = json.loads(text)
    assert rule["queryCondition"]["queryText"].startswith("DeviceProcessEvents\n| where ")
    # a 5-minute interval is nearest to continuous (NRT), and the note says so
    assert rule["schedule"]["period"] == "0"
    notes = [n for n in result.rules[0].notes if n.target == "kusto-defender" and n.code == "package/schedule"]
    assert notes and "continuously" in notes[0].message
    template = rule["detectionAction"]["alertTemplate"]
    assert (template["severity"], template["category"]) == ("high", "Execution")
    assert template["mitreTechniques"] == ["T1059", "T1059.007"]


def test_sigma_folder_is_sigmahq_style(packaged):
    out, _ = packaged
    path = out / "sigma" / "rules" / "windows" / "process_creation" / "proc_creation_win_execution_nodejs_susp_patterns.yml"
    assert path.read_text() == (SEED_RULE.parent.parent.parent / "sigma" / "windows" /
                                "execution_nodejs_susp_patterns.yml").read_text()


@pytest.mark.parametrize("target", list(TARGETS))
def test_navigator_layer(packaged, target):
    out, _ = packaged
    text = (out / "navigator" / f"{target}.json").read_text()
    assert validators.navigator_errors(text) == []
    layer = json.loads(text)
    scored = {t["techniqueID"]: t["score"] for t in layer["techniques"] if "score" in t}
    assert scored == {"T1059": 1, "T1059.007": 1}


def test_a_correlation_is_refused_by_kibana_query_rules():
    from converters.package.kibana import KibanaRules
    from converters.package.model import ArtifactError, Context, Packaged
    from pathlib import PurePosixPath

    sigma = "title: base\nname: base\ndetection: {s: {a: 1}, condition: s}\n---\ntitle: c\ncorrelation:\n  type: event_count\n"
    item = Packaged("r.toml", PurePosixPath("r.toml"), rule_meta({"name": "r", "description": "d"}), "lucene",
                    "a:1", sigma, {"index": "logs-*"})
    with pytest.raises(ArtifactError, match="correlation"):
        KibanaRules().entry(item, Context(TARGETS["lucene"]))
    item.target, item.query = "eql", "sequence [any where true] [any where true]"
    assert KibanaRules().entry(item, Context(TARGETS["eql"])).data["type"] == "eql"

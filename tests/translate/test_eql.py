"""EQL rules to Sigma: the seed rule and each construct on its own."""

import uuid

import pytest
import yaml
from sigma.collection import SigmaCollection
from sigma.modifiers import SigmaCaseSensitiveModifier, SigmaEndswithModifier

from converters.errors import TranslationError
from converters.load import load_rule
from converters.translate import translate_rule
from converters.translate.metadata import SIGMA_ID_NAMESPACE, false_positives


@pytest.fixture(scope="module")
def seed(seed_rule):
    return translate_rule(load_rule(seed_rule))


@pytest.fixture(scope="module")
def seed_doc(seed):
    return yaml.safe_load(seed.sigma_yaml)


def rule_toml(query, **extra):
    lines = ["[metadata]", 'creation_date = "2024/01/02"', 'maturity = "production"', 'updated_date = "2024/03/04"',
             "[rule]", 'author = ["Elastic"]', 'description = "d"', 'language = "eql"',
             'license = "Elastic License v2"', 'name = "n"', 'risk_score = 47',
             'rule_id = "00000000-0000-4000-8000-000000000001"', 'severity = "medium"', 'type = "eql"',
             f"query = '''\n{query}\n'''"]
    lines += [f"{k} = {v}" for k, v in extra.items()]
    return "\n".join(lines) + "\n"


def translate_text(tmp_path, query, **extra):
    path = tmp_path / "r.toml"
    path.write_text(rule_toml(query, **extra))
    return translate_rule(load_rule(path))


def detection(tmp_path, query, **extra):
    doc = yaml.safe_load(translate_text(tmp_path, query, **extra).sigma_yaml)
    return doc["logsource"], doc["detection"]


# --- the seed -----------------------------------------------------------------

def test_seed_metadata(seed_doc):
    rule_id = "55f711c1-6b4d-4787-930d-c9317a885adf"
    assert seed_doc["title"] == "Suspicious Execution with NodeJS"
    assert seed_doc["id"] == str(uuid.uuid5(SIGMA_ID_NAMESPACE, rule_id)) != rule_id
    assert seed_doc["related"] == [{"id": rule_id, "type": "derived"}]
    assert seed_doc["status"] == "stable"
    assert seed_doc["level"] == "high"
    assert seed_doc["date"] == "2025-08-21" and seed_doc["modified"] == "2025-08-21"
    assert seed_doc["tags"] == ["attack.execution", "attack.t1059.007"]
    assert seed_doc["license"] == "Elastic-2.0"
    assert seed_doc["author"] == "Elastic"
    assert seed_doc["references"] == ["https://nodejs.org"]
    assert len(seed_doc["falsepositives"]) == 5
    assert seed_doc["falsepositives"][0].startswith("Legitimate script automation tools")


def test_seed_logsource_absorbs_os_and_keeps_start(seed_doc, seed, seed_rule):
    logsource = dict(seed_doc["logsource"])
    indexes = logsource.pop("definition")
    assert logsource == {"category": "process_creation", "product": "windows"}
    # the original rule's index patterns, which no Sigma field names, are the logsource definition
    assert indexes == "Elastic indexes: " + ", ".join(load_rule(seed_rule).rule["index"])
    text = yaml.safe_dump(seed_doc["detection"])
    assert "host.os.type" not in text
    # process_creation also covers events typed process_started: the seed's narrower
    # `event.type == "start"` stays in the detection, and nothing is lost, so no note
    assert seed_doc["detection"]["selection_1"] == {"event.type|cased": "start"}
    assert not any(n.code == "translate/logsource-narrowed" for n in seed.notes)


def test_seed_detection_keeps_every_branch_and_case_rule(seed):
    rule = SigmaCollection.from_yaml(seed.sigma_yaml).rules[0]
    items = {}
    for name, det in rule.detection.detections.items():
        for di in det.detection_items:
            items.setdefault(di.field, []).append((name, di.modifiers, [str(v) for v in di.value]))
    # process.name : "node.exe" -> basename of Image, case-insensitive
    assert ("selection_2", [SigmaEndswithModifier], ["*\\node.exe"]) in items["Image"]
    # ?process.pe.original_file_name == "node.exe" -> case-sensitive
    assert items["OriginalFileName"] == [("selection_3", [SigmaCaseSensitiveModifier], ["node.exe"])]
    # the signer condition is kept under its ECS name, not dropped
    assert items["process.code_signature.subject_name"][0][2] == ["OpenJS Foundation"]
    assert {v for _, _, vals in items["process.args"] for v in vals} == {"*.js", "-r"}
    assert items["ParentImage"][0][2] == ["*\\powershell.exe"]
    assert sorted(items["CommandLine"][0][2]) == ["*atob(*", "*eval(*", "*require*child_process*"]
    assert rule.detection.condition == [
        "selection_1 and (selection_2 or selection_3 or selection_4) and (selection_5 or selection_6 or selection_7)"]


def test_seed_executable_patterns_survive(seed):
    rule = SigmaCollection.from_yaml(seed.sigma_yaml).rules[0]
    det = rule.detection.detections["selection_5"]
    image = next(di for di in det.detection_items if di.field == "Image")
    values = [v.s for v in image.value]
    assert values[0][1] == ":\\Users\\"
    assert values[1][2] == "\\\\Users\\"   # two real backslashes before Users


def test_seed_notes_are_machine_readable_and_in_the_yaml(seed):
    codes = {(n.code, n.field) for n in seed.notes}
    assert ("translate/custom-field", "process.code_signature.subject_name") in codes
    assert ("translate/custom-field", "process.args") in codes
    assert ("translate/array-field", "process.args") in codes
    assert ("translate/basename", "process.name") in codes
    for n in seed.notes:
        assert n.target is None
        assert f"#   {n.code} [{n.field}]" in seed.sigma_yaml


def test_translation_is_deterministic(seed_rule):
    a = translate_rule(load_rule(seed_rule)).sigma_yaml
    b = translate_rule(load_rule(seed_rule)).sigma_yaml
    assert a == b


# --- constructs ---------------------------------------------------------------

def test_case_sensitive_forms_get_cased(tmp_path):
    _, det = detection(tmp_path, 'process where process.command_line like "*Foo*" and process.executable in ("A", "B")')
    sel = det["selection_1"]
    assert sel["CommandLine|contains|cased"] == "Foo"
    assert sel["Image|cased"] == ["A", "B"]


def test_insensitive_forms_have_no_cased(tmp_path):
    _, det = detection(tmp_path, 'process where process.command_line like~ "*Foo*" and process.executable in~ ("A")')
    assert det["selection_1"] == {"CommandLine|contains": "Foo", "Image": "A"}


def test_equality_values_are_literal(tmp_path):
    _, det = detection(tmp_path, 'process where process.command_line == "a*b?"')
    assert det["selection_1"]["CommandLine|cased"] == "a\\*b\\?"


def test_negation_becomes_a_filter_with_a_note(tmp_path):
    t = translate_text(tmp_path, 'process where host.os.type == "windows" and process.name : "a.exe" and '
                                 'not process.parent.name : "b.exe"')
    doc = yaml.safe_load(t.sigma_yaml)
    assert doc["detection"]["condition"] == "selection_1 and not filter_1"
    assert doc["detection"]["filter_1"] == {"ParentImage|endswith": "\\b.exe"}
    assert any(n.code == "translate/negation-missing-field" for n in t.notes)


def test_wildcard_process_name_becomes_an_anchored_basename_regex(tmp_path):
    _, det = detection(tmp_path, 'process where host.os.type == "linux" and process.name : "python*"')
    (key, value), = det["selection_1"].items()
    assert key == "Image|re|i"
    assert value == "(?:^|/)python[^/]*$"


def test_string_functions_are_case_sensitive_unless_tilde(tmp_path):
    _, det = detection(tmp_path, 'process where host.os.type == "windows" and '
                                 '(startsWith(process.name, "py") or endsWith~(process.executable, ".EXE"))')
    assert det["selection_1"] == {"Image|re": "(?:^|\\\\)py[^\\\\]*$"}
    assert det["selection_2"] == {"Image|endswith": ".EXE"}


def test_regex_is_anchored(tmp_path):
    _, det = detection(tmp_path, 'process where process.command_line regex~ ".*-e(nc)?.*"')
    # Lucene's meaning spelled out for Sigma: `.` also matches a newline, regex~ folds ASCII letters
    assert det["selection_1"] == {"CommandLine|re": "^(?:[\\s\\S]*-[Ee](?:[Nn][Cc])?[\\s\\S]*)$"}


def test_regex_keeps_lucene_meaning_for_sigma(tmp_path):
    import re

    _, det = detection(tmp_path, 'process where process.command_line regex~ """[a-c]\\s\\d+"""')
    (key, value), = det["selection_1"].items()
    assert key == "CommandLine|re"  # no `i`: Sigma's would fold the range, Lucene's does not
    rx = re.compile(value)
    assert rx.search("b 12") and not rx.search("B 12") and not rx.search("b\x0b12") and not rx.search("xb 1")


def test_case_insensitive_pattern_with_non_ascii_letters_folds_ascii_only(tmp_path):
    import re

    _, det = detection(tmp_path, 'process where process.command_line : "*é*"')
    (key, value), = det["selection_1"].items()
    assert key == "CommandLine|re"
    assert re.search(value, "x é y") and not re.search(value, "x É y")


def test_numbers_and_ranges(tmp_path):
    _, det = detection(tmp_path, 'process where process.pid > 4 and process.parent.pid == 1')
    assert det["selection_1"] == {"ProcessId|gt": 4, "ParentProcessId": 1}


def test_process_without_start_is_noted(tmp_path):
    t = translate_text(tmp_path, 'process where process.name : "a.exe"', tags='["OS: Windows"]')
    codes = {n.code for n in t.notes}
    assert "translate/logsource-narrowed" in codes and "translate/product-from-tag" in codes
    assert yaml.safe_load(t.sigma_yaml)["logsource"] == {"category": "process_creation", "product": "windows"}


def test_any_query_gets_a_logsource_from_the_dataset(tmp_path):
    logsource, det = detection(tmp_path, 'any where event.dataset == "aws.cloudtrail" and event.action : "StopLogging"')
    assert logsource == {"product": "aws", "service": "cloudtrail"}
    assert det["selection_1"]["event.action"] == "StopLogging"


@pytest.mark.parametrize("query, code", [
    ("sequence [process where true] [file where true] until [process where true]", "translate/until"),
    ("join [process where true] [file where true]", "translate/multi-event"),
    ('process where process.name : "a" | head 1', "translate/pipes"),
    ("process where length(substring(process.name, 1)) > 3", "translate/unsupported-expression"),
    ("process where startsWith(process.executable, process.command_line)", "translate/unsupported-expression"),
    ('process where user.id >= "1000"', "translate/unsupported-expression"),
    ('process where host.os.type == "windows"', "translate/empty-detection"),
    ("process where process.name == ", "translate/query-syntax"),
])
def test_untranslatable_queries_raise_with_a_code(tmp_path, query, code):
    with pytest.raises(TranslationError) as err:
        translate_text(tmp_path, query)
    assert err.value.code == code
    assert err.value.message


def test_false_positive_section_is_read_from_the_guide():
    note = "## Triage\n- not this\n### False positive analysis\n- one\n- two\n### Response\n- not this either\n"
    assert false_positives(note) == ["one", "two"]


def test_every_field_mapping_is_documented():
    from tests.support import ROOT
    from converters.translate.fieldmap import FIELD_MAPPINGS

    doc = (ROOT / "docs" / "translation.md").read_text()
    for category, table in FIELD_MAPPINGS.items():
        for ecs, mapping in table.items():
            assert f"| {category} | `{ecs}` | `{mapping.sigma}`" in doc, (category, ecs)


def test_every_logsource_keeps_the_rules_index_patterns_as_its_definition(tmp_path, sigma_spec_dir):
    """The original rule's `index` list is what the Elastic targets read (ES|QL's FROM, the Kibana rule's
    indexes, which `.caseless` multi-fields exist): the logsource definition keeps it for any logsource,
    and the rule stays valid against Sigma's schema (definition is free text)."""
    import json

    import jsonschema

    from converters.translate.logsource import definition_indexes

    index = '["logs-endpoint.events.process-*", "winlogbeat-*", "logs-windows.sysmon_operational-*"]'
    query = 'process where host.os.type == "windows" and process.name : "a.exe"'
    t = translate_text(tmp_path, query, index=index)
    doc = yaml.safe_load(t.sigma_yaml)
    assert doc["logsource"] == {"category": "process_creation", "product": "windows", "definition":
                                "Elastic indexes: logs-endpoint.events.process-*, winlogbeat-*, "
                                "logs-windows.sysmon_operational-*"}
    assert definition_indexes(doc["logsource"]["definition"]) == json.loads(index)
    schema = json.loads((sigma_spec_dir / "sigma-detection-rule-schema.json").read_text())
    assert not list(jsonschema.Draft202012Validator(schema).iter_errors(doc))
    # the dataset's product/service too
    logsource, _ = detection(tmp_path, 'any where event.dataset == "aws.cloudtrail" and event.action : "x"',
                             index='["logs-aws.cloudtrail-*"]')
    assert logsource == {"product": "aws", "service": "cloudtrail", "definition": "Elastic indexes: logs-aws.cloudtrail-*"}
    # a rule reading a data view names no index: no definition, and none is read back
    logsource, _ = detection(tmp_path, query)
    assert "definition" not in logsource
    assert definition_indexes("Elastic indexes: the rule's data view") is None


def test_event_category_override_puts_the_category_on_its_field(tmp_path):
    # `info where` under event_category_override = "event.type" (13 CloudTrail rules of Elastic's corpus)
    query = 'info where data_stream.dataset == "aws.cloudtrail" and event.action == "PutBucketVersioning"'
    doc = yaml.safe_load(translate_text(tmp_path, query, event_category_override='"event.type"').sigma_yaml)
    assert doc["logsource"] == {"product": "aws", "service": "cloudtrail"}   # no Sigma category says event.type
    assert doc["detection"]["selection_1"]["event.type|cased"] == "info"
    assert "event.category|cased" not in doc["detection"]["selection_1"]
    # without the override, the same query tests event.category
    plain = yaml.safe_load(translate_text(tmp_path, query).sigma_yaml)
    assert plain["detection"]["selection_1"]["event.category|cased"] == "info"
    assert "event.type|cased" not in plain["detection"]["selection_1"]


def test_an_override_naming_event_category_and_any_where_change_nothing(tmp_path):
    query = 'process where process.name == "a.exe" and host.os.type == "windows" and event.type == "start"'
    same = translate_text(tmp_path, query, event_category_override='"event.category"').sigma_yaml
    assert yaml.safe_load(same)["logsource"] == yaml.safe_load(translate_text(tmp_path, query).sigma_yaml)["logsource"]
    assert yaml.safe_load(same)["logsource"]["category"] == "process_creation"
    doc = yaml.safe_load(translate_text(tmp_path, 'any where event.action == "x"',
                                        event_category_override='"event.type"').sigma_yaml)
    assert "event.type|cased" not in doc["detection"]["selection_1"]

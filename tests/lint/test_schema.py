"""The rule JSON Schema (schemas/elastic-rule.schema.json): each kind of violation, on its line."""

import json

import jsonschema
import pytest

from converters.lint.runner import Options, lint_files
from converters.lint.schema import SCHEMA_PATH, is_valid_fast, reference_validator, schema_findings
from converters.load import RuleFile, load_rule
from tests.support import SEED_RULE

SEED = SEED_RULE
SEED_TEXT = SEED.read_text()


def edit(text, old, new):
    assert old in text, old
    return text.replace(old, new, 1)


def lint_text(tmp_path, text, name="execution_case.toml"):
    p = tmp_path / name
    p.write_text(text)
    return lint_files([(str(p), str(p))], Options(jobs=1))


def line_of(text, needle):
    return next(n for n, line in enumerate(text.split("\n"), 1) if needle in line)


def test_schema_is_valid_draft_2020_12():
    schema = json.loads(SCHEMA_PATH.read_text())
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    jsonschema.Draft202012Validator.check_schema(schema)


def test_seed_has_no_schema_finding():
    assert schema_findings(load_rule(SEED), fast=False) == []


@pytest.mark.parametrize("old,new,code,needle,words", [
    ('risk_score = 73', 'risk_score = 173', "schema/range", "risk_score = 173", "at most 100"),
    ('risk_score = 73', 'risk_score = "73"', "schema/type", 'risk_score = "73"', "integer"),
    ('severity = "high"', 'severity = "severe"', "schema/enum", 'severity = "severe"', "'critical'"),
    ('maturity = "production"', 'maturity = "prod"', "schema/enum", 'maturity = "prod"', "'production'"),
    ('rule_id = "55f711c1-6b4d-4787-930d-c9317a885adf"', 'rule_id = "55f711c1-6b4d"', "schema/format",
     'rule_id = "55f711c1-6b4d"', "UUID"),
    ('creation_date = "2025/08/21"', 'creation_date = "2025-08-21"', "schema/format", "creation_date", "YYYY/MM/DD"),
    ('from = "now-9m"', 'from = "9 minutes ago"', "schema/format", "from = ", "now-9m"),
    ('from = "now-9m"', 'from = "now-9m"\ninterval = "5 minutes"', "schema/format", "interval", "5m"),
    ('timestamp_override = "event.ingested"', 'timestamp_override = "event.ingested"\nseverity_level = 3',
     "schema/unknown-key", "severity_level", "'severity_level'"),
    ('id = "T1059.007"', 'id = "T1059.007"\nurl = "x"', "schema/unknown-key", 'url = "x"', "subtechnique[0].url"),
    ('language = "eql"\n', '', "schema/conditional", "[rule]", "EQL"),
    ('id = "TA0002"', 'id = "TA2"', "schema/format", 'id = "TA2"', "TA2"),
])
def test_each_violation_is_reported_on_its_line(tmp_path, old, new, code, needle, words):
    text = edit(SEED_TEXT, old, new)
    found = [f for f in lint_text(tmp_path, text) if f.code.startswith("schema/")]
    assert [f.code for f in found] == [code], found
    assert found[0].line == line_of(text, needle)
    assert words in found[0].message
    assert found[0].severity == "error" and found[0].hint


def test_missing_required_key_points_at_table_header(tmp_path):
    text = edit(SEED_TEXT, 'name = "Suspicious Execution with NodeJS"\n', "")
    found = [f for f in lint_text(tmp_path, text) if f.code.startswith("schema/")]
    assert [(f.code, f.line) for f in found] == [("schema/required", line_of(text, "[rule]"))]
    assert "'name'" in found[0].message


def test_type_language_pairing(tmp_path):
    text = edit(SEED_TEXT, 'type = "eql"', 'type = "query"')
    found = [f for f in lint_text(tmp_path, text) if f.code.startswith("schema/")]
    assert [f.code for f in found] == ["schema/conditional"]
    assert found[0].line == line_of(text, 'language = "eql"')
    assert "kuery" in found[0].message


def test_threshold_rule_needs_its_table_and_others_may_not_have_it(tmp_path):
    text = edit(edit(SEED_TEXT, 'type = "eql"', 'type = "threshold"'), 'language = "eql"', 'language = "kuery"')
    found = [f for f in lint_text(tmp_path, text) if f.code.startswith("schema/")]
    assert any(f.code == "schema/conditional" and "'threshold'" in f.message for f in found)
    ok = text + '\n[rule.threshold]\nfield = ["host.id"]\nvalue = 5\n'
    assert [f for f in lint_text(tmp_path, ok) if f.code.startswith("schema/")] == []
    stray = SEED_TEXT + '\n[rule.threshold]\nfield = ["host.id"]\nvalue = 5\n'
    found = [f for f in lint_text(tmp_path, stray) if f.code.startswith("schema/")]
    assert [f.code for f in found] == ["schema/conditional"]
    assert found[0].line == line_of(stray, "[rule.threshold]")


def test_machine_learning_rule_has_no_query(tmp_path):
    text = edit(SEED_TEXT, 'type = "eql"', 'type = "machine_learning"\nanomaly_threshold = 75\n'
                'machine_learning_job_id = "job"')
    found = [f for f in lint_text(tmp_path, text, "execution_ml.toml") if f.code.startswith("schema/")]
    assert [f.code for f in found] == ["schema/conditional"]
    assert "'query'" in found[0].message and "'language'" in found[0].message


def test_one_rule_many_errors_all_reported(tmp_path):
    text = edit(edit(SEED_TEXT, 'risk_score = 73', 'risk_score = -1'), 'severity = "high"', 'severity = 3')
    found = [f.code for f in lint_text(tmp_path, text) if f.code.startswith("schema/")]
    assert sorted(found) == ["schema/enum", "schema/range"]


@pytest.mark.parametrize("old,new", [
    ('risk_score = 73', 'risk_score = 101'),
    ('risk_score = 73', 'risk_score = true'),
    ('from = "now-9m"', 'from = "now-9m"\nmax_signals = false'),
    ('[metadata]', '[metadata]\npromotion = 1'),
    ('severity = "high"', 'severity = "High"'),
    ('type = "eql"', 'type = "esql"'),
    ('language = "eql"', 'language = "esql"'),
    ('[metadata]', '[metadata]\nmaturity2 = "x"'),
    ('framework = "MITRE ATT&CK"', 'framework = "MITRE"'),
    ('tags = [', 'tags = ["OS: Windows",'),
])
def test_fast_path_agrees_with_reference(old, new):
    import tomllib

    data = tomllib.loads(edit(SEED_TEXT, old, new))
    rf = RuleFile("x.toml", "", data)
    assert is_valid_fast(data) == (not list(reference_validator().iter_errors(data)))
    assert schema_findings(rf, fast=True) == schema_findings(rf, fast=False)
    assert schema_findings(rf, fast=False)


def test_missing_top_level_table_is_on_line_1(tmp_path):
    text = SEED_TEXT[SEED_TEXT.index("[rule]"):]
    found = [f for f in lint_text(tmp_path, text) if f.code.startswith("schema/")]
    assert [(f.code, f.line) for f in found] == [("schema/required", 1)]
    assert "'metadata'" in found[0].message


def test_duplicate_tags_are_a_schema_violation(tmp_path):
    text = edit(SEED_TEXT, '"OS: Windows",', '"OS: Windows",\n "OS: Windows",')
    found = [f for f in lint_text(tmp_path, text) if f.code.startswith("schema/")]
    assert [(f.code, f.line) for f in found] == [("schema/invalid", line_of(text, "tags = ["))]
    assert "duplicate" in found[0].message


def test_integration_must_be_string_or_list_of_strings(tmp_path):
    text = edit(SEED_TEXT, 'integration = ["endpoint"', 'integration = [1')
    found = [f for f in lint_text(tmp_path, text) if f.code.startswith("schema/")]
    assert [(f.code, f.line) for f in found] == [("schema/type", 3)]
    ok = edit(SEED_TEXT, SEED_TEXT.split("\n")[2], 'integration = "endpoint"')
    assert [f for f in lint_text(tmp_path, ok) if f.code.startswith("schema/")] == []


@pytest.mark.parametrize("typo, key, suggestion", [
    ("risk_score = 73", "risk_scroe = 73", " (did you mean risk_score?)"),
    ('timestamp_override = "event.ingested"', 'timestamp_overide = "event.ingested"',
     " (did you mean timestamp_override?)"),
    ('creation_date = "2025/08/21"', 'creation_dat = "2025/08/21"', " (did you mean creation_date?)"),
    ("risk_score = 73", "risk_score = 73\nzzz = 1", ""),          # nothing near: no suggestion
])
def test_unknown_key_suggests_the_nearest_known_one(tmp_path, typo, key, suggestion):
    text = edit(SEED_TEXT, typo, key)
    found = [f for f in lint_text(tmp_path, text) if f.code == "schema/unknown-key"]
    name = key.split("\n")[-1].split(" =")[0]
    assert len(found) == 1 and found[0].line == line_of(text, f"{name} =")
    assert found[0].message.endswith(f"unknown key {name!r}{suggestion}")

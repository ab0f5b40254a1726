"""Finding formatters: SARIF validates against SARIF 2.1.0; GitHub annotations escape; text and JSON."""

import json

import jsonschema
import pytest

from converters.errors import Finding
from converters.report import render, summary
from tests.support import FIXTURES

SARIF_SCHEMA = FIXTURES / "lint" / "sarif-2.1.0-rtm.5.json"

FINDINGS = [
    Finding("rules/a b/x.toml", 12, "error", "meta/license", "license is 'X', expected 'Y'", "Use Y."),
    Finding("rules/y.toml", None, "warning", "ecs/unknown-field", "field 'a,b:c' is not in ECS\nsecond line 100%"),
    Finding("/abs/z.toml", 3, "info", "query/not-checked", "ES|QL query not checked", "n/a"),
]


def test_sarif_validates_against_the_official_schema():
    schema = json.loads(SARIF_SCHEMA.read_text())
    log = json.loads(render("sarif", FINDINGS, files=3, rules={"meta/license": ("License string", "Use Y.")}))
    jsonschema.Draft4Validator.check_schema(schema)
    errors = list(jsonschema.Draft4Validator(schema).iter_errors(log))
    assert errors == []
    run = log["runs"][0]
    assert [r["id"] for r in run["tool"]["driver"]["rules"]] == ["ecs/unknown-field", "meta/license", "query/not-checked"]
    first = run["results"][0]
    assert first["level"] == "error" and first["ruleId"] == "meta/license"
    loc = first["locations"][0]["physicalLocation"]
    assert loc["artifactLocation"] == {"uri": "rules/a%20b/x.toml", "uriBaseId": "%SRCROOT%"}
    assert loc["region"] == {"startLine": 12}
    assert "region" not in run["results"][1]["locations"][0]["physicalLocation"]
    assert run["results"][2]["level"] == "note"
    assert run["results"][2]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "file:///abs/z.toml"


def test_sarif_schema_rejects_a_broken_log():
    schema = json.loads(SARIF_SCHEMA.read_text())
    log = json.loads(render("sarif", FINDINGS, files=3))
    log["runs"][0]["results"][0]["level"] = "fatal"
    assert list(jsonschema.Draft4Validator(schema).iter_errors(log))


def test_github_annotations_escape_properties_and_data():
    lines = render("github", FINDINGS, files=3).splitlines()
    assert lines[0] == "::error file=rules/a b/x.toml,line=12,title=meta/license::license is 'X', expected 'Y' (hint: Use Y.)"
    assert lines[1] == ("::warning file=rules/y.toml,title=ecs/unknown-field::"
                        "field 'a,b:c' is not in ECS%0Asecond line 100%25")
    assert lines[2].startswith("::notice file=/abs/z.toml,line=3,")


def test_github_property_escaping():
    f = Finding("dir,x/a:b.toml", 1, "error", "meta/license", "m")
    assert render("github", [f], files=1).startswith("::error file=dir%2Cx/a%3Ab.toml,line=1,")


def test_text_and_json():
    text = render("text", FINDINGS, files=3)
    assert text.splitlines()[0] == "rules/a b/x.toml:12: error: license is 'X', expected 'Y' [meta/license]"
    assert text.splitlines()[1] == "    hint: Use Y."
    assert text.splitlines()[2].startswith("rules/y.toml: warning: ")
    doc = json.loads(render("json", FINDINGS, files=3))
    assert doc["files"] == 3 and doc["findings"][1]["line"] is None and "hint" not in doc["findings"][1]
    assert summary(FINDINGS, 3) == "3 files checked: 1 error(s), 1 warning(s), 1 info"


def test_empty_outputs():
    assert render("text", [], files=0) == ""
    assert render("github", [], files=0) == ""
    assert json.loads(render("sarif", [], files=0))["runs"][0]["results"] == []
    with pytest.raises(ValueError):
        render("xml", [], files=0)

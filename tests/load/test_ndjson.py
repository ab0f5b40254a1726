"""Kibana's rule ndjson read as rules."""

import json

import pytest

from converters.errors import RuleLoadError
from converters.load.ndjson import read_kibana_ndjson


def test_rules_and_the_export_summary(tmp_path):
    path = tmp_path / "export.ndjson"
    rule = {"rule_id": "x", "name": "n", "type": "query", "query": "a:b"}
    path.write_text(json.dumps(rule) + "\n\n" + json.dumps({"exported_count": 1, "missing_rules": []}) + "\n")
    (rf,) = read_kibana_ndjson(path)
    assert rf.rule == rule and rf.metadata == {}
    assert rf.path == f"{path}:1" and rf.line_of(("rule", "query")) == 1


def test_a_bad_line_names_its_number(tmp_path):
    path = tmp_path / "bad.ndjson"
    path.write_text('{"rule_id": "x"}\n[1, 2]\n')
    with pytest.raises(RuleLoadError) as info:
        read_kibana_ndjson(path)
    assert info.value.line == 2

"""KQL (kuery) rules to Sigma: Kibana's matching rules kept."""

import pytest
import yaml

from converters.errors import TranslationError
from converters.load import load_rule
from converters.translate import translate_rule


def translate(tmp_path, query, tags='["OS: Windows"]'):
    path = tmp_path / "r.toml"
    path.write_text("\n".join([
        "[metadata]", 'creation_date = "2024/01/02"', 'maturity = "development"', 'updated_date = "2024/01/02"',
        "[rule]", 'author = ["Elastic"]', 'description = "d"', 'language = "kuery"', 'name = "n"',
        'risk_score = 21', 'rule_id = "00000000-0000-4000-8000-000000000002"', 'severity = "low"',
        'type = "query"', f"tags = {tags}", f"query = '''\n{query}\n'''"]) + "\n")
    result = translate_rule(load_rule(path))
    return result, yaml.safe_load(result.sigma_yaml)


def test_scoping_becomes_the_logsource(tmp_path):
    result, doc = translate(tmp_path, 'event.category:process and event.type:(start or process_started) and '
                                      'host.os.type:windows and process.name:cmd.exe')
    assert doc["logsource"] == {"category": "process_creation", "product": "windows"}
    assert doc["detection"]["selection_1"] == {"Image|endswith|cased": "\\cmd.exe"}
    assert not any(n.code == "translate/logsource-narrowed" for n in result.notes)
    assert doc["status"] == "experimental" and doc["level"] == "low"


def test_keyword_values_are_exact_and_case_sensitive(tmp_path):
    _, doc = translate(tmp_path, 'event.category:process and event.type:start and '
                                 'process.command_line:*Invoke-Mimikatz* and user.name:("Admin" or "root")')
    sel = doc["detection"]["selection_1"]
    assert sel["CommandLine|contains|cased"] == "Invoke-Mimikatz"
    assert sel["User|cased"] == ["Admin", "root"]


def test_quoted_values_are_literal(tmp_path):
    _, doc = translate(tmp_path, 'event.category:process and event.type:start and process.command_line:"a*b"')
    assert doc["detection"]["selection_1"] == {"event.type|cased": "start", "CommandLine|cased": "a\\*b"}


def test_digits_need_no_case_rule(tmp_path):
    _, doc = translate(tmp_path, 'event.code:4624 and winlog.logon.type:"Network"')
    assert doc["detection"]["selection_1"]["event.code"] == "4624"
    assert doc["detection"]["selection_1"]["winlog.logon.type|cased"] == "Network"


def test_exists_not_and_ranges(tmp_path):
    result, doc = translate(tmp_path, 'event.category:network and destination.port >= 1024 and '
                                      'not process.name:* and event.outcome:success')
    det = doc["detection"]
    assert det["condition"] == "selection_1 and not filter_1"
    assert det["selection_1"] == {"DestinationPort|gte": 1024, "event.outcome|cased": "success"}
    assert det["filter_1"] == {"process.name|exists": True}   # the name's existence, not the path's
    assert any(n.code == "translate/negation-missing-field" for n in result.notes)


def test_process_events_without_start_are_noted(tmp_path):
    result, _ = translate(tmp_path, 'event.category:process and process.name:a.exe')
    assert "translate/logsource-narrowed" in {n.code for n in result.notes}


@pytest.mark.parametrize("query", ['azure.x.*:value', 'user:{ first: "a" }', '"free text"'])
def test_untranslatable_kql_is_refused(tmp_path, query):
    with pytest.raises(TranslationError) as err:
        translate(tmp_path, query)
    assert err.value.code == "translate/unsupported-expression"


def test_kql_syntax_errors_are_refused_with_their_code(tmp_path):
    with pytest.raises(TranslationError) as err:
        translate(tmp_path, 'process.name:(a or')
    assert err.value.code == "translate/query-syntax"


def test_text_fields_are_noted_and_matched_as_words_inside(tmp_path):
    result, doc = translate(tmp_path, 'event.category:process and event.type:start and '
                                      'powershell.file.script_block_text:"New-MailboxExportRequest" and '
                                      'error.stack_trace:*Overflow*')
    sel = doc["detection"]["selection_1"]
    assert sel["powershell.file.script_block_text|contains"] == "New-MailboxExportRequest"
    assert sel["error.stack_trace|contains|cased"] == "Overflow"   # wildcard type: whole value, cased
    noted = {n.field for n in result.notes if n.code == "translate/text-field"}
    assert noted == {"powershell.file.script_block_text"}

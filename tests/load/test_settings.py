"""Deployment settings: found in the rules repository, read from ruleport.toml or [tool.ruleport],
every value checked, and every error naming the file, the key and its line."""

import pytest

from converters.load.settings import SettingsError, find_settings, load_settings


def test_pyproject_table(tmp_path):
    (tmp_path / "pyproject.toml").write_text(
        '[project]\nname = "x"\n\n[tool.ruleport]\nlicense = "Elastic License v2"\n\n'
        '[tool.ruleport.package]\nenabled = false\n\n[tool.ruleport.targets.splunk]\nindex = ["sysmon", "edr"]\n'
        'macro = "sysmon_events"\n')
    (tmp_path / "rules").mkdir()
    path = find_settings(tmp_path / "rules")
    assert path == tmp_path / "pyproject.toml"
    settings = load_settings(path)
    assert settings.for_target("splunk") == {"enabled": False, "index": ["sysmon", "edr"], "macro": "sysmon_events"}
    assert settings.for_target("eql") == {"enabled": False}


def test_ruleport_toml_wins_over_pyproject(tmp_path):
    (tmp_path / "pyproject.toml").write_text("[tool.ruleport.targets.eql]\nindex = 'a-*'\n")
    (tmp_path / "ruleport.toml").write_text("[targets.eql]\nindex = 'b-*'\n")
    settings = load_settings(find_settings(tmp_path))
    assert settings.for_target("eql") == {"index": "b-*"} and settings.prefix == ""


def test_a_pyproject_without_our_table_is_not_a_settings_file(tmp_path):
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "x"\n')
    assert find_settings(tmp_path) != tmp_path / "pyproject.toml"
    assert load_settings(None).targets == {}


@pytest.mark.parametrize("body, key, line", [
    ("[tool.ruleport.targets.splunk]\nindex = 3\n", "tool.ruleport.targets.splunk.index", 2),
    ("[tool.ruleport.targets.splunk]\nsourcetype = 'x'\nindx = 'a'\n", "tool.ruleport.targets.splunk.indx", 3),
    ("[tool.ruleport.package]\nenabled = 'yes'\n", "tool.ruleport.package.enabled", 2),
    ("[tool.ruleport.targets.kusto-sentinel]\nfields = { DvcHostname = 1 }\n",
     "tool.ruleport.targets.kusto-sentinel.fields", 2),
    ("[tool.ruleport.targets.kusto-sentinel]\nconnectors = [{ connectorId = 'X' }]\n",
     "tool.ruleport.targets.kusto-sentinel.connectors", 2),
    ("[tool.ruleport]\ntargets = 'splunk'\n", "tool.ruleport.targets", 2),
])
def test_errors_name_the_key_and_its_line(tmp_path, body, key, line):
    path = tmp_path / "pyproject.toml"
    path.write_text(body)
    with pytest.raises(SettingsError) as info:
        load_settings(path)
    assert key in info.value.message
    assert info.value.path == str(path) and info.value.line == line
    assert str(info.value).startswith(f"{path}:{line}: ")


def test_bad_toml_is_a_settings_error(tmp_path):
    path = tmp_path / "ruleport.toml"
    path.write_text("[targets.eql\n")
    with pytest.raises(SettingsError, match="TOML syntax error"):
        load_settings(path)

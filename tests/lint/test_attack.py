"""ATT&CK mapping checks against the pinned 18.1 table."""


import pytest

from converters.lint.attack import attack_table
from converters.lint.runner import Options, lint_files
from tests.support import SEED_RULE

SEED = SEED_RULE
SEED_TEXT = SEED.read_text()


def edit(text, old, new):
    assert old in text, old
    return text.replace(old, new, 1)


def attack_findings(tmp_path, text, name="execution_case.toml"):
    p = tmp_path / name
    p.write_text(text)
    return [f for f in lint_files([(str(p), str(p))], Options(jobs=1)) if f.code.startswith("attack/")]


def line_of(text, needle):
    return next(n for n, line in enumerate(text.split("\n"), 1) if needle in line)


def test_table_is_attack_18_1_with_tactics_and_replacements():
    t = attack_table()
    assert t.version == "18.1"
    assert t.tactics["TA0005"].name == "Defense Evasion" and t.tactics["TA0005"].shortname == "defense-evasion"
    assert t.techniques["T1059.007"].name == "JavaScript" and t.techniques["T1059.007"].parent == "T1059"
    assert t.techniques["T1547.011"].status == "revoked" and t.techniques["T1547.011"].replaced_by == "T1647"
    assert "execution" in t.techniques["T1059"].tactics


def test_seed_mapping_is_clean(tmp_path):
    assert attack_findings(tmp_path, SEED_TEXT) == []


@pytest.mark.parametrize("old,new,code,needle,words", [
    ('id = "TA0002"', 'id = "TA0099"', "attack/unknown-tactic", 'id = "TA0099"', "TA0099"),
    # the sub-technique T1059.007 then sits under the wrong parent too
    ('id = "T1059"\n', 'id = "T1999"\n', "attack/unknown-technique|attack/subtechnique-parent", 'id = "T1999"', "T1999"),
    ('id = "T1059.007"', 'id = "T1059.099"', "attack/unknown-technique", 'id = "T1059.099"', "sub-technique"),
    ('name = "JavaScript"', 'name = "Javascript"', "attack/name-mismatch", 'name = "Javascript"', "'JavaScript'"),
    ('name = "Execution"\n', 'name = "Executions"\n', "attack/name-mismatch", 'name = "Executions"', "TA0002"),
    ('reference = "https://attack.mitre.org/techniques/T1059/007/"',
     'reference = "https://attack.mitre.org/techniques/T1059/006/"',
     "attack/reference-mismatch", "T1059/006", "T1059.007"),
    ('reference = "https://attack.mitre.org/tactics/TA0002/"', 'reference = "https://attack.mitre.org/tactics/TA0003/"',
     "attack/reference-mismatch", "tactics/TA0003", "TA0002"),
])
def test_mapping_defects(tmp_path, old, new, code, needle, words):
    text = edit(SEED_TEXT, old, new)
    found = attack_findings(tmp_path, text)
    assert [f.code for f in found] == code.split("|"), found
    assert found[0].line == line_of(text, needle)
    assert words in found[0].message


def test_subtechnique_under_wrong_parent(tmp_path):
    text = edit(edit(edit(SEED_TEXT, 'id = "T1059.007"', 'id = "T1027.010"'),
                     'name = "JavaScript"', 'name = "Command Obfuscation"'),
                "techniques/T1059/007/", "techniques/T1027/010/")
    found = attack_findings(tmp_path, text)
    assert [f.code for f in found] == ["attack/subtechnique-parent"]
    assert "T1027" in found[0].message and found[0].line == line_of(text, 'id = "T1027.010"')


def test_technique_under_a_tactic_it_does_not_belong_to(tmp_path):
    text = edit(edit(edit(SEED_TEXT, 'id = "TA0002"', 'id = "TA0010"'), 'name = "Execution"\n', 'name = "Exfiltration"\n'),
                "tactics/TA0002/", "tactics/TA0010/")
    found = attack_findings(tmp_path, text, "exfiltration_case.toml")
    assert [f.code for f in found] == ["attack/technique-tactic"]
    assert "Execution" in found[0].message and "TA0010" in found[0].message


def test_revoked_technique_names_its_replacement(tmp_path):
    text = edit(edit(edit(SEED_TEXT, 'id = "T1059.007"', 'id = "T1547.011"'),
                     'name = "JavaScript"', 'name = "Plist Modification"'),
                "techniques/T1059/007/", "techniques/T1547/011/")
    found = attack_findings(tmp_path, text)
    codes = [f.code for f in found]
    assert "attack/revoked" in codes
    revoked = next(f for f in found if f.code == "attack/revoked")
    assert "T1647" in revoked.message and "Plist File Modification" in revoked.message


def test_deprecated_technique(tmp_path):
    deprecated = next(t for t in attack_table().techniques.values() if t.status == "deprecated" and not t.parent)
    text = edit(edit(edit(SEED_TEXT, 'id = "T1059"\n', f'id = "{deprecated.id}"\n'),
                     'name = "Command and Scripting Interpreter"', f'name = "{deprecated.name}"'),
                "techniques/T1059/\"", f"techniques/{deprecated.id}/\"")
    text = text[: text.index("[[rule.threat.technique.subtechnique]]")] + text[text.index("[rule.threat.tactic]"):]
    found = attack_findings(tmp_path, text)
    assert "attack/deprecated" in [f.code for f in found]


def test_duplicate_tactic(tmp_path):
    extra = ('\n[[rule.threat]]\nframework = "MITRE ATT&CK"\n[rule.threat.tactic]\nid = "TA0002"\n'
             'name = "Execution"\nreference = "https://attack.mitre.org/tactics/TA0002/"\n')
    text = SEED_TEXT + extra
    found = attack_findings(tmp_path, text)
    assert [f.code for f in found] == ["attack/duplicate-tactic"]
    assert found[0].line == len(SEED_TEXT.split("\n")) + 4


def test_duplicate_technique_under_one_tactic(tmp_path):
    block = ('[[rule.threat.technique]]\nid = "T1059"\nname = "Command and Scripting Interpreter"\n'
             'reference = "https://attack.mitre.org/techniques/T1059/"\n\n')
    text = edit(SEED_TEXT, "[rule.threat.tactic]", block + "[rule.threat.tactic]")
    found = attack_findings(tmp_path, text)
    assert [(f.code, f.severity) for f in found] == [("attack/duplicate-technique", "warning")]
    assert found[0].line == text.split("\n").index('id = "T1059"', line_of(text, 'id = "T1059.007"')) + 1

"""Elastic's conventions: severity bands, tags, guide, dates, license, file names, duplicates."""

from pathlib import Path

import pytest

from converters.lint.runner import Options, lint_files
from tests.support import SEED_RULE

SEED = SEED_RULE
SEED_TEXT = SEED.read_text()


def edit(text, old, new):
    assert old in text, old
    return text.replace(old, new, 1)


def lint_text(tmp_path, text, name="execution_case.toml", group=None):
    p = tmp_path / name
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_text(text)
    found = lint_files([(str(p), str(p))], Options(jobs=1))
    return [f for f in found if group is None or f.code.startswith(group)]


def line_of(text, needle):
    return next(n for n, line in enumerate(text.split("\n"), 1) if needle in line)


@pytest.mark.parametrize("severity,score,bad", [
    ("low", 21, False), ("low", 22, True), ("medium", 22, False), ("medium", 47, False), ("medium", 48, True),
    ("high", 48, False), ("high", 73, False), ("high", 74, True), ("critical", 74, False), ("critical", 73, True),
])
def test_severity_risk_score_bands(tmp_path, severity, score, bad):
    text = edit(edit(SEED_TEXT, 'risk_score = 73', f'risk_score = {score}'), 'severity = "high"', f'severity = "{severity}"')
    found = lint_text(tmp_path, text, group="meta/severity")
    assert [f.code for f in found] == (["meta/severity-risk-score"] if bad else [])
    if bad:
        assert found[0].line == line_of(text, "risk_score =") and str(score) in found[0].message


def test_tactic_tag_without_mapping_is_an_error_the_reverse_is_not(tmp_path):
    text = edit(SEED_TEXT, '"Tactic: Execution",', '"Tactic: Execution",\n "Tactic: Persistence",')
    found = lint_text(tmp_path, text, group="tags/")
    assert [(f.code, f.severity) for f in found] == [("tags/tactic-unmapped", "error")]
    assert "Persistence" in found[0].message and found[0].line == line_of(text, '"Tactic: Persistence"')
    untagged = edit(SEED_TEXT, ' "Tactic: Execution",\n', "")
    assert lint_text(tmp_path, untagged, group="tags/") == []


def test_investigation_guide_tag_needs_a_note(tmp_path):
    start = SEED_TEXT.index('note = """')
    end = SEED_TEXT.index('"""', start + 10) + 3
    text = SEED_TEXT[:start] + SEED_TEXT[end:]
    found = lint_text(tmp_path, text, group="meta/investigation")
    assert [(f.code, f.line) for f in found] == [("meta/investigation-guide",
                                                  line_of(text, '"Resources: Investigation Guide"'))]
    untagged = edit(text, ' "Resources: Investigation Guide",\n', "")
    assert lint_text(tmp_path, untagged, group="meta/investigation") == []


def test_updated_date_not_before_creation(tmp_path):
    text = edit(SEED_TEXT, 'updated_date = "2025/08/21"', 'updated_date = "2025/08/20"')
    found = lint_text(tmp_path, text, group="meta/dates")
    assert [(f.code, f.line) for f in found] == [("meta/dates-order", line_of(text, "updated_date"))]
    later = edit(SEED_TEXT, 'updated_date = "2025/08/21"', 'updated_date = "2026/01/02"')
    assert lint_text(tmp_path, later, group="meta/dates") == []


def test_license_must_be_exact(tmp_path):
    text = edit(SEED_TEXT, 'license = "Elastic License v2"', 'license = "Elastic Licence v2"')
    found = lint_text(tmp_path, text, group="meta/license")
    assert [(f.code, f.line) for f in found] == [("meta/license", line_of(text, "license ="))]
    assert "'Elastic License v2'" in found[0].message


def test_file_name_starts_with_primary_tactic(tmp_path):
    found = lint_text(tmp_path, SEED_TEXT, "persistence_nodejs.toml", group="meta/filename")
    assert [f.code for f in found] == ["meta/filename-tactic"]
    assert "'execution'" in found[0].message
    assert lint_text(tmp_path, SEED_TEXT, "execution_nodejs.toml", group="meta/filename") == []


def test_duplicate_rule_id_and_name_across_files(tmp_path):
    a, b = tmp_path / "execution_a.toml", tmp_path / "execution_b.toml"
    a.write_text(SEED_TEXT)
    b.write_text(SEED_TEXT)
    found = [f for f in lint_files([(str(a), str(a)), (str(b), str(b))], Options(jobs=1)) if f.code.startswith("repo/")]
    assert sorted((Path(f.path).name, f.code) for f in found) == [
        ("execution_a.toml", "repo/duplicate-name"), ("execution_a.toml", "repo/duplicate-rule-id"),
        ("execution_b.toml", "repo/duplicate-name"), ("execution_b.toml", "repo/duplicate-rule-id")]
    assert all(f.line for f in found)
    other = edit(edit(SEED_TEXT, "55f711c1-6b4d-4787-930d-c9317a885adf", "55f711c1-6b4d-4787-930d-c9317a885adb"),
                 'name = "Suspicious Execution with NodeJS"', 'name = "Other"')
    b.write_text(other)
    assert [f for f in lint_files([(str(a), str(a)), (str(b), str(b))], Options(jobs=1)) if f.code.startswith("repo/")] == []


def test_deprecated_rules_get_the_schema_only(tmp_path):
    text = edit(SEED_TEXT, 'license = "Elastic License v2"', 'license = "Elastic Licence v2"')
    text = edit(text, 'risk_score = 73', 'risk_score = 101')
    found = lint_text(tmp_path, text, "_deprecated/other_name.toml")
    assert sorted(f.code for f in found) == ["schema/range"]


def test_a_failing_check_is_reported_and_other_rules_go_on(tmp_path, monkeypatch):
    import converters.lint.checks as checks

    def broken(ctx):
        raise KeyError("boom")

    monkeypatch.setattr(checks, "CHECKS", tuple(checks.Check(c.name, c.codes, broken) if c.name == "conventions"
                                                else c for c in checks.CHECKS))
    a = tmp_path / "execution_a.toml"
    a.write_text(SEED_TEXT.replace("risk_score = 73", "risk_score = 101"))
    found = lint_files([(str(a), str(a))], Options(jobs=1))
    assert sorted(f.code for f in found) == ["ruleport/internal", "schema/range"]


def test_wrong_types_do_not_break_the_checks(tmp_path):
    text = edit(edit(SEED_TEXT, 'id = "TA0002"', 'id = ["TA0002"]'), 'severity = "high"', 'severity = ["high"]')
    found = lint_text(tmp_path, text)
    assert "ruleport/internal" not in [f.code for f in found]
    assert {"schema/type", "schema/enum"} <= {f.code for f in found}


def test_a_file_that_breaks_the_loader_is_reported_and_others_go_on(tmp_path, monkeypatch):
    import converters.lint.runner as runner

    real = runner.load_rule

    def flaky(file, display=None):
        if "broken" in str(file):
            raise RecursionError("nested too deep")
        return real(file, display)

    monkeypatch.setattr(runner, "load_rule", flaky)
    bad, good = tmp_path / "execution_broken.toml", tmp_path / "execution_good.toml"
    bad.write_text(SEED_TEXT)
    good.write_text(SEED_TEXT.replace("risk_score = 73", "risk_score = 101"))
    found = lint_files([(str(bad), str(bad)), (str(good), str(good))], Options(jobs=1))
    assert sorted((Path(f.path).name, f.code) for f in found) == [
        ("execution_broken.toml", "ruleport/internal"), ("execution_good.toml", "schema/range")]

"""Turning checks off, per rule (comment) or per repository ([tool.ruleport]), always with a reason."""


from converters.lint.config import load_config
from converters.lint.runner import Options, lint_files
from tests.support import ROOT, SEED_RULE

SEED = SEED_RULE
SEED_TEXT = SEED.read_text()
BAD_LICENSE = SEED_TEXT.replace('license = "Elastic License v2"', 'license = "Apache-2.0"')


def run(tmp_path, text, config=None, name="execution_case.toml"):
    p = tmp_path / name
    p.write_text(text)
    return lint_files([(str(p), str(p))], Options(config=config or load_config(start=tmp_path), jobs=1))


def test_rule_comment_with_reason_suppresses(tmp_path):
    assert [f.code for f in run(tmp_path, BAD_LICENSE)] == ["meta/license"]
    text = "# ruleport: disable=meta/license -- this rule is shared under Apache-2.0\n" + BAD_LICENSE
    assert run(tmp_path, text) == []


def test_rule_comment_without_reason_is_an_error_and_suppresses_nothing(tmp_path):
    text = "# ruleport: disable=meta/license\n" + BAD_LICENSE
    found = run(tmp_path, text)
    license_line = next(n for n, line in enumerate(text.split("\n"), 1) if line.startswith("license ="))
    assert sorted((f.code, f.line) for f in found) == [("config/no-reason", 1), ("meta/license", license_line)]


def test_unknown_code_in_comment_is_a_warning(tmp_path):
    text = "# ruleport: disable=meta/licence -- typo\n" + SEED_TEXT
    assert [(f.code, f.severity) for f in run(tmp_path, text)] == [("config/unknown-code", "warning")]


def test_repository_config_license_and_group_suppression(tmp_path):
    (tmp_path / "pyproject.toml").write_text(
        '[tool.ruleport]\nlicense = "Apache-2.0"\n\n[[tool.ruleport.disable]]\ncode = "meta/*"\n'
        'reason = "file names are ours"\npaths = ["*/other_*"]\n')
    cfg = load_config(start=tmp_path)
    assert run(tmp_path, BAD_LICENSE, cfg) == []
    # the group suppression covers only the matching paths
    assert [f.code for f in run(tmp_path, BAD_LICENSE, cfg, "persistence_x.toml")] == ["meta/filename-tactic"]
    assert run(tmp_path, BAD_LICENSE, cfg, "other_x.toml") == []


def test_repository_suppression_without_reason_is_reported(tmp_path):
    (tmp_path / "pyproject.toml").write_text('[[tool.ruleport.disable]]\ncode = "meta/license"\n')
    cfg = load_config(start=tmp_path)
    found = run(tmp_path, BAD_LICENSE, cfg)
    assert sorted(f.code for f in found) == ["config/no-reason", "meta/license"]


def test_invalid_repository_config_is_reported(tmp_path):
    (tmp_path / "pyproject.toml").write_text('[tool.ruleport]\ndisable = "all"\n')
    cfg = load_config(start=tmp_path)
    assert [f.code for f in cfg.findings] == ["config/invalid"]
    broken = tmp_path / "broken.toml"
    broken.write_text("[tool.ruleport\n")
    assert [f.code for f in load_config(broken).findings] == ["config/invalid"]


def test_unreadable_file_is_reported_and_others_go_on(tmp_path):
    good = tmp_path / "execution_ok.toml"
    good.write_text(SEED_TEXT)
    missing = tmp_path / "execution_gone.toml"
    found = lint_files([(str(missing), str(missing)), (str(good), str(good))], Options(jobs=1))
    assert [(f.code, f.path) for f in found] == [("file/unreadable", str(missing))]


def test_every_code_is_documented():
    from converters.lint.codes import CODES

    doc = (ROOT / "docs" / "validate.md").read_text()
    assert [c for c in CODES if f"`{c}`" not in doc] == []


def test_every_check_declares_registered_codes_and_every_code_has_an_owner():
    from converters.lint.checks import CHECKS
    from converters.lint.codes import CODES

    claimed = {code for check in CHECKS for code in check.codes}
    assert claimed <= set(CODES)
    assert len({c.name for c in CHECKS}) == len(CHECKS)
    # codes reported outside the per-rule checks: loading, schema, suppressions, repository-wide
    elsewhere = {c for c in CODES if c.split("/")[0] in ("file", "toml", "schema", "config", "repo", "ruleport")}
    assert set(CODES) - elsewhere <= claimed, set(CODES) - elsewhere - claimed


def test_a_crashing_check_is_one_finding_and_the_others_still_run():
    from converters.lint.checks import CHECKS, Check, run_checks
    from converters.load import load_rule

    def boom(ctx):
        raise KeyError("threat")

    checks = (Check("exploding", (), boom),) + CHECKS
    bad = load_rule(SEED_RULE)
    bad.data["rule"]["risk_score"] = 99  # severity says high: the conventions check still reports it
    found = run_checks(bad, checks=checks)
    assert [f.code for f in found if f.code == "ruleport/internal"] == ["ruleport/internal"]
    assert "exploding check" in next(f.message for f in found if f.code == "ruleport/internal")
    assert "meta/severity-risk-score" in {f.code for f in found}


def test_misspelt_codes_and_keys_get_the_nearest_known_one(tmp_path):
    text = "# ruleport: disable=meta/licence -- typo\n" + SEED_TEXT
    (found,) = run(tmp_path, text)
    assert found.message == "suppression names unknown code 'meta/licence' (did you mean meta/license?)"
    (tmp_path / "pyproject.toml").write_text(
        '[tool.ruleport]\nlicence = "x"\nfail-on = "warnings"\nrule-dirs = "rules"\n'
        '[[tool.ruleport.disable]]\ncode = "attack/revokd"\nreason = "r"\n')
    cfg = load_config(start=tmp_path)
    assert sorted((f.code, f.message) for f in cfg.findings) == [
        ("config/invalid", "tool.ruleport.fail-on is 'warnings'; use one of info, warning, error "
                           "(did you mean warning?)"),
        ("config/invalid", "tool.ruleport.rule-dirs must be an array of folder names"),
        ("config/unknown-code", "tool.ruleport.disable entry 1 names unknown code 'attack/revokd' "
                                "(did you mean attack/revoked?)"),
        ("config/unknown-key", "[tool.ruleport]: unknown key 'licence' (did you mean license?)"),
    ]
    assert cfg.fail_on is None


def test_suppression_paths_match_relative_to_the_configuration_too(tmp_path, monkeypatch):
    (tmp_path / "pyproject.toml").write_text(
        '[[tool.ruleport.disable]]\ncode = "meta/license"\nreason = "ours"\npaths = ["rules/*"]\n')
    (tmp_path / "rules").mkdir()
    p = tmp_path / "rules" / "execution_case.toml"
    p.write_text(BAD_LICENSE)
    cfg = load_config(start=tmp_path)
    # named by an absolute path, or from inside rules/: the pattern still matches
    assert lint_files([(str(p), str(p))], Options(config=cfg, jobs=1)) == []
    monkeypatch.chdir(tmp_path / "rules")
    assert lint_files([("execution_case.toml", "execution_case.toml")], Options(config=cfg, jobs=1)) == []

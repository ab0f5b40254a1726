"""`ruleport validate` on Elastic's corpus (../shared): exactly the reviewed findings.

tests/lint/corpus_findings.tsv pins every finding as (path, code,
severity), path relative to the corpus root. Any change in what the corpus
reports must be a deliberate edit of that file. To regenerate it after a
reviewed change: `.venv/bin/python -m tests.lint.test_corpus`.
"""

from __future__ import annotations

import json
import tomllib
from collections import Counter
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
PINNED = HERE / "corpus_findings.tsv"


def corpus_findings(corpus: Path) -> list[tuple[str, str, str]]:
    from converters.lint.runner import Options, collect_files, lint_files

    findings = lint_files(collect_files([str(corpus)]), Options())
    return sorted((str(Path(f.path).relative_to(corpus)), f.code, f.severity) for f in findings)


def read_pinned() -> list[tuple[str, str, str]]:
    rows = []
    for line in PINNED.read_text(encoding="utf-8").splitlines():
        if line and not line.startswith("#"):
            path, code, severity = line.split("\t")
            rows.append((path, code, severity))
    return sorted(rows)


@pytest.mark.corpus
def test_corpus_findings_are_exactly_the_pinned_ones(corpus_dir, capsys):
    from converters.cli import main

    code = main(["validate", str(corpus_dir), "--format", "json"])
    doc = json.loads(capsys.readouterr().out)
    assert doc["files"] == 2192
    got = sorted((str(Path(f["path"]).relative_to(corpus_dir)), f["code"], f["severity"]) for f in doc["findings"])
    pinned = read_pinned()
    missing = Counter(pinned) - Counter(got)
    extra = Counter(got) - Counter(pinned)
    assert not missing and not extra, f"not reported any more: {sorted(missing)}; new: {sorted(extra)}"
    assert code == 1     # the corpus has real defects (errors)
    assert all(f["line"] for f in doc["findings"]), "every corpus finding carries a line"


@pytest.mark.corpus
def test_fast_paths_agree_with_the_reference_on_the_corpus(corpus_dir):
    """tomli = tomllib, fastjsonschema's verdict = jsonschema's, text-read identity = TOML's,
    on every corpus file."""
    from converters.lint.runner import _quick_identity
    from converters.lint.schema import is_valid_fast, reference_validator, schema_findings
    from converters.load import load_rule

    validator = reference_validator()
    invalid = 0
    for path in sorted(corpus_dir.rglob("*.toml")):
        rf = load_rule(path)
        assert rf.data == tomllib.loads(rf.text), f"tomli and tomllib disagree on {path}"
        # --changed-since reads unchanged rules' identity from their text
        quick = _quick_identity(str(path), rf.text)
        assert (quick.rule_id, quick.name, quick.id_line, quick.name_line) == (
            rf.rule["rule_id"], rf.rule["name"], rf.line_of(("rule", "rule_id")), rf.line_of(("rule", "name"))), path
        fast = is_valid_fast(rf.data)
        assert fast == validator.is_valid(rf.data), path
        if not fast:
            invalid += 1
            assert schema_findings(rf, fast=True) == schema_findings(rf, fast=False)
    assert invalid == 2


def _regenerate() -> None:
    from tests.support import CORPUS  # noqa: PLC0415

    rows = corpus_findings(CORPUS)
    header = [
        "# Every finding `ruleport validate` reports on ../shared/corpus/elastic-detection-rules,",
        "# reviewed: path (relative to the corpus root), code, severity. Edit deliberately.",
        "# Real defects (errors) are listed in docs/validate.md, 'What the corpus shows'.",
    ]
    PINNED.write_text("\n".join(header + ["\t".join(r) for r in rows]) + "\n", encoding="utf-8")
    print(f"{PINNED}: {len(rows)} findings")


if __name__ == "__main__":
    _regenerate()

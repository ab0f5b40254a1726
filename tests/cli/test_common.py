"""The helpers every command shares (converters.cli.common): what other commands reuse."""

from __future__ import annotations


import pytest

from converters.cli.common import (
    ensure_directory,
    pick_targets,
    plural,
    require_paths,
    summary_line,
    unknown,
    write_output,
)
from converters.errors import OutputError, UsageError, did_you_mean, location


def test_did_you_mean_and_unknown_share_one_wording():
    assert did_you_mean("risk_scroe", ["risk_score", "severity"]) == " (did you mean risk_score?)"
    assert did_you_mean("zzz", ["risk_score"]) == ""
    assert unknown("target", "splnk", ["sigma", "splunk"]) == \
        "unknown target 'splnk' (did you mean splunk?); known targets: sigma, splunk"


def test_pick_targets_keeps_order_and_drops_repeats():
    assert pick_targets(["esql", "sigma", "esql"]) == ["esql", "sigma"]
    with pytest.raises(UsageError, match=r"unknown target 'sigm' \(did you mean sigma\?\)"):
        pick_targets(["sigm"])


def test_location_is_the_one_line_reference():
    assert location("r.toml", 80, "query line 2, column 5") == "r.toml:80 [query line 2, column 5]"
    assert location("r.toml", 80) == "r.toml:80" and location("r.toml") == "r.toml"


def test_summary_line_and_plural():
    assert plural(1, "rule") == "1 rule" and plural(2, "rule") == "2 rules" and plural(0, "query", "queries") == \
        "0 queries"
    assert summary_line("prove: 2 rules", ("agree per target", {"sigma": 2, "esql": 1}), ("refusals by code", {})) \
        == "prove: 2 rules; agree per target: sigma 2, esql 1"


def test_require_paths_suggests_a_neighbour(tmp_path):
    (tmp_path / "rules").mkdir()
    with pytest.raises(UsageError) as err:
        require_paths([str(tmp_path / "rule"), str(tmp_path / "zzz")])
    assert err.value.message == (f"no such file or directory: {tmp_path}/rule (did you mean {tmp_path}/rules?), "
                                 f"{tmp_path}/zzz")
    require_paths([str(tmp_path / "rules")])


def test_write_output_replaces_whole_files_and_names_the_path_on_failure(tmp_path):
    target = tmp_path / "deep" / "report.json"
    write_output(target, "new\n")
    assert target.read_text() == "new\n"
    (tmp_path / "file").write_text("x")
    with pytest.raises(OutputError) as err:
        write_output(tmp_path / "file" / "r.json", "x")
    assert str(err.value) == f"cannot write {tmp_path}/file/r.json: {tmp_path}/file is a file, not a directory"
    assert isinstance(err.value, UsageError)          # exit 2, as every usage error


def test_ensure_directory(tmp_path):
    assert ensure_directory(tmp_path / "a" / "b").is_dir()
    (tmp_path / "f").write_text("")
    with pytest.raises(OutputError, match="it is a file, not a directory"):
        ensure_directory(tmp_path / "f")
    with pytest.raises(OutputError, match="cannot create the directory /proc/nope"):
        ensure_directory("/proc/nope")

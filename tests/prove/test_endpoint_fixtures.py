"""The proof on one hand-written fixture per endpoint data model (file, registry, network, DNS,
library loads, Linux process starts): tests/fixtures/endpoint/<rule>.toml with its events and
hand-written verdicts (.expect.json, a reason per line).

Every target runs its platform's rendering of the same ECS events. A target either agrees with
the original rule, or differs only on lines a note it declared explains (its `affects` holds on
that event), or refuses the rule for a reason the sidecar names (what the platform lacks).
"""

from __future__ import annotations


import pytest

from converters.prove.matrix import TARGETS
from tests.support import FIXTURES, fixture_report, in_ci

DIR = FIXTURES / "endpoint"
RULES = sorted(p.stem for p in DIR.glob("*.toml"))


@pytest.fixture(scope="module")
def reports() -> dict[str, tuple[int, dict]]:
    return {stem: fixture_report(DIR, stem) for stem in RULES}


def test_there_is_a_fixture_per_endpoint_data_model():
    assert {s.split("_", 1)[0] for s in RULES} >= {"file", "registry", "network", "dns", "library", "linux"}


@pytest.mark.parametrize("stem", RULES)
def test_every_target_agrees_or_its_differences_are_explained(reports, stem):
    code, report = reports[stem]
    assert report["expect"]["ok"], report["expect"]          # the original agrees with the hand verdicts
    assert report["expect"]["unused_accept"] == []
    for name, column in report["targets"].items():
        if name == "original":
            continue
        assert "error" not in column, (stem, name, column.get("error"))
        if "skipped" in column:
            assert name == "lucene" and not in_ci()
            continue
        for d in column["differs"]:
            assert d["accepted"], (stem, name, d)
            if d["accepted"] != "expect":  # explained by a note the target declared, with its affects
                codes = {n["code"] for n in column["notes"] if "affects" in n}
                assert d["accepted"] in codes
        if "emit_error" in column:  # only a refusal the sidecar names, for what the platform lacks
            assert column["agrees"] is True and column["matched"] == []
    assert code == 0


def _differs(report: dict, target: str) -> dict[int, str | None]:
    return {d["line"]: d["accepted"] for d in report["targets"][target]["differs"]}


def test_platform_gaps_are_explained_by_the_notes_that_state_them(reports):
    # Sysmon has no macOS version: the macOS connection is missed, and the note says so
    _, net = reports["network_shell_connects_to_4444"]
    assert _differs(net, "splunk") == {2: "emit/scope-narrowed"}
    # Defender records no DLL signer: the exclusion on it is dropped (matches more); Sentinel reads
    # the same DeviceImageLoadEvents through the Defender XDR connector
    _, lib = reports["library_unsigned_dll_from_temp"]
    for target in ("kusto-defender", "kusto-sentinel"):
        assert _differs(lib, target) == {2: "emit/condition-widened"}
    # Sysmon's EventCode 11 also records overwrites: the rule's event.type creation reads it
    _, files = reports["file_executable_dropped_in_user_dir"]
    assert _differs(files, "splunk") == {3: "emit/action-mapped"}
    # the CIM DNS data model has no process: the exclusion on it is dropped, and no OS field
    _, dns = reports["dns_lookup_of_tor_or_top_domain"]
    cim = _differs(dns, "splunk-cim")
    assert set(cim) == {2, 5} and cim[2] == "emit/condition-widened"
    assert cim[5] in ("emit/scope-widened", "emit/condition-widened")  # a Linux host; either note holds
    # the kernel spelling of a registry root is matched by Defender and ASIM as the full root (no
    # difference there); a value's creation is a value set on Windows (RegSetValueEx), so the
    # rule's event.type change also reads the new value NewKey, and the note says so
    _, reg = reports["registry_run_key_script"]
    for target in ("kusto-defender", "kusto-sentinel", "splunk"):
        assert _differs(reg, target) == {6: "emit/action-mapped"}


def test_the_refusals_name_what_the_platform_lacks(reports):
    _, lib = reports["library_unsigned_dll_from_temp"]
    assert "library" in lib["targets"]["splunk-cim"]["emit_error"]
    assert "emit_error" not in lib["targets"]["kusto-sentinel"]  # DeviceImageLoadEvents via the connector
    _, net = reports["network_shell_connects_to_4444"]
    assert "Image" in net["targets"]["splunk-cim"]["emit_error"]


def test_every_target_ran_each_fixture(reports):
    for _, report in reports.values():
        assert list(report["targets"]) == ["original", *TARGETS]

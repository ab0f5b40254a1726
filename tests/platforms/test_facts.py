"""The platform facts: every table is cited and well formed, and emit's data models name only
fields the facts declare (one table of facts, read by emit and by the platform models)."""

from __future__ import annotations

import pytest

from converters.platforms import facts

PLATFORMS = tuple(facts.FILES)


@pytest.mark.parametrize("name", PLATFORMS)
def test_every_table_is_cited_and_has_a_kind_oses_and_fields(name):
    platform = facts.platform(name)
    assert platform.source and platform.tables
    for table in platform.tables.values():
        assert table.source, table.name
        assert table.kind in facts.KINDS
        assert set(table.os) <= {"windows", "linux", "macos"} and table.os
        assert table.fields and all(f.type for f in table.fields.values())
        if table.actions is not None and table.actions.field is not None:
            assert table.actions.field in table.fields or table.actions.field in table.select, table.name
            assert all(r.value for r in table.actions.rules if r.recorded)


def test_elastic_facts_are_defends_templates():
    process = facts.table("elastic", "logs-endpoint.events.process")
    assert {"process.name", "process.executable", "process.command_line", "process.parent.name"} \
        <= set(process.with_multi("caseless"))
    assert "user.name" not in process.with_multi("caseless")  # user.name has .text only
    files = facts.table("elastic", "logs-endpoint.events.file")
    assert "file.path" in files.with_multi("caseless") and "file.name" not in files.with_multi("caseless")
    assert files.type_of("file.size") == "long" and process.type_of("process.pid") == "long"
    assert facts.table("elastic", "logs-endpoint.events.registry").os == ("windows",)
    assert "endpoint-package" in facts.platform("elastic").source


def test_cim_fills_missing_values_with_unknown():
    processes = facts.table("cim", "Endpoint.Processes")
    filled = processes.filled()
    assert filled["Processes.process_name"] == "unknown" and "Processes.process_path" not in filled


def test_decision_lists_name_actions_and_unrecorded_events():
    files = facts.table("defender", "DeviceFileEvents").actions
    assert files.value({"event.type": ["creation"], "event.action": ["creation"]}) == (True, "FileCreated")
    assert files.value({"event.type": ["change"], "event.action": ["rename"]}) == (True, "FileRenamed")
    assert files.value({"event.type": ["change"], "event.action": ["overwrite"]}) == (True, "FileModified")
    assert files.value({"event.type": ["access"], "event.action": ["open"]}) == (False, None)
    proc = facts.table("asim", "imProcessCreate").actions
    assert proc.value({"event.type": ["start"], "event.action": ["exec"]}) == (True, "ProcessCreated")
    assert proc.value({"event.type": ["start"], "event.action": ["fork"]}) == (False, None)


def test_kusto_schema_merges_tables_and_leaves_computed_columns_out():
    schema = facts.kusto_schema("defender")
    assert {"DeviceProcessEvents", "DeviceFileEvents", "DeviceRegistryEvents", "DeviceNetworkEvents",
            "DeviceImageLoadEvents", "DeviceEvents", "DeviceLogonEvents"} == set(schema)
    assert schema["DeviceEvents"]["AdditionalFields"] == "dynamic"
    assert "RegistryPath" not in schema["DeviceRegistryEvents"]      # an extend column
    assert schema["DeviceProcessEvents"]["ProcessId"] == "long"


def test_sentinel_borrows_defenders_library_and_driver_tables_citing_the_connector():
    for name in ("DeviceImageLoadEvents", "DeviceEvents/DriverLoad"):
        borrowed, declared = facts.table("asim", name), facts.table("defender", name)
        assert (borrowed.platform, borrowed.origin, borrowed.recorded_as) == ("asim", "defender", "defender")
        assert (borrowed.kind, borrowed.os, borrowed.fields, borrowed.select, borrowed.actions) == (
            declared.kind, declared.os, declared.fields, declared.select, declared.actions)
        assert "connect-microsoft-365-defender" in borrowed.source and declared.source in borrowed.source
    assert facts.table("asim", "imFileEvent").recorded_as == "asim"
    schema = facts.kusto_schema("asim")  # what the kusto-sentinel executor knows
    assert schema["DeviceImageLoadEvents"] == facts.kusto_schema("defender")["DeviceImageLoadEvents"]
    assert schema["DeviceEvents"]["FolderPath"] == "string" and "DnsQueryString" not in schema["DeviceEvents"]


@pytest.mark.parametrize("spec, message", [
    ({"table_of": "qradar", "source": "s"}, "names another platform"),
    ({"table_of": "defender", "source": "s", "kind": "library"}, "takes only"),
    ({"table_of": "defender"}, "cites its source"),
    ({"table_of": "defender", "source": "s", "_name": "DeviceTvmSoftwareInventory"}, "has no table"),
])
def test_a_borrowed_table_is_checked(tmp_path, monkeypatch, spec, message):
    import json

    facts.platform("defender")  # loaded (and cached) from the real data
    name = spec.pop("_name", "DeviceImageLoadEvents")
    (tmp_path / "x.json").write_text(json.dumps({"source": "s", "tables": {name: spec}}), encoding="utf-8")
    monkeypatch.setattr(facts, "DATA", tmp_path)
    monkeypatch.setattr(facts, "FILES", {**facts.FILES, "x": "x.json"})
    with pytest.raises(facts.FactsError, match=message) as exc:
        facts._load("x")
    assert "x.json" in str(exc.value)


def test_defender_declares_its_composite_process_identities_citing_microsoft():
    defender = facts.platform("defender")
    assert defender.identity("process").key == "DeviceId+ProcessId+ProcessCreationTime"
    assert defender.identity("initiating_process").columns == ("InitiatingProcessId", "InitiatingProcessCreationTime")
    assert facts.key_columns(defender.identity("initiating_process_parent").key) == (
        "DeviceId", "InitiatingProcessParentId", "InitiatingProcessParentCreationTime")
    assert facts.key_columns("DvcId") == ("DvcId",)
    with pytest.raises(KeyError, match="declares no identity"):
        defender.identity("thread")


@pytest.mark.parametrize("identities, message", [
    ({"process": {"device": "DeviceId", "columns": ["ProcessId"]}}, "cites its"),
    ({"source": "s", "process": {"device": "DeviceId"}}, "expected"),
    ({"source": "s", "process": {"device": "DeviceId", "columns": ["ProcessGuid"]}}, "no table has all of"),
])
def test_identities_are_checked(tmp_path, monkeypatch, identities, message):
    import json

    table = {"kind": "process", "source": "s", "select": {"table": "T"},
             "fields": {"DeviceId": "string", "ProcessId": "long"}}
    (tmp_path / "x.json").write_text(json.dumps({"source": "s", "identities": identities, "tables": {"T": table}}),
                                     encoding="utf-8")
    monkeypatch.setattr(facts, "DATA", tmp_path)
    monkeypatch.setattr(facts, "FILES", {**facts.FILES, "x": "x.json"})
    with pytest.raises(facts.FactsError, match=message):
        facts._load("x")


def test_unknown_platform_and_table_are_errors():
    with pytest.raises(KeyError, match="no platform facts"):
        facts.platform("qradar")
    with pytest.raises(KeyError, match="has no table"):
        facts.table("defender", "DeviceTvmSoftwareInventory")


def _models():
    from converters.emit.tables_microsoft import ASIM_MODELS, DEFENDER_MODELS
    from converters.emit.tables_splunk import CIM_MODELS, SYSMON_MODELS

    return SYSMON_MODELS + CIM_MODELS + DEFENDER_MODELS + ASIM_MODELS


def test_emit_data_models_name_only_fields_the_facts_declare():
    from converters.emit.equivalents import Prefix, Same, Suffix, Template, Values, WellKnownUser

    for model in _models():
        declared = set().union(*(t.fields for t in model.facts_tables())) | {
            k for t in model.facts_tables() for k in t.select if k not in ("table", "extend", "datamodel")}
        targets = set(model.fields.values()) | set(model.names.values()) | set(model.argv.values())
        targets |= {e.target for e in model.equivalents.values()
                    if isinstance(e, (Same, Suffix, Prefix, Template, Values, WellKnownUser))}
        sigma_names = {k for k in model.fields} | {k for k in model.argv.values()}  # mapped afterwards
        missing = {t for t in targets - declared if t not in sigma_names}
        assert not missing, (model.title, missing)


def test_join_key_identities_name_columns_every_table_of_their_model_has():
    from converters.emit.tables import Composite

    composite = 0
    for model in _models():
        for ecs_field, ident in model.identities.items():
            columns = facts.key_columns(model.identity_field(ecs_field))
            composite += isinstance(ident, Composite)
            for t in model.facts_tables():
                assert all(t.has(c) for c in columns), (model.title, ecs_field, columns)
            assert model.identity_field(ecs_field) in model.known_fields()
    assert composite >= 14   # Defender XDR's process, parent and acting process, and Sentinel's streamed tables


def test_elastic_data_models_name_their_data_stream():
    from converters.emit.datamodels import ELASTIC_MODELS

    for dm in ELASTIC_MODELS:
        if dm.facts is not None:  # an integration's data stream (not Defend's)
            assert dm.stream is None and dm.index == dm.table.select["index"], dm.platform
        elif dm.category is not None:
            assert dm.stream in facts.platform("elastic").tables, dm.platform
            assert dm.index == facts.table("elastic", dm.stream).select["index"]


def test_asim_declares_how_each_parser_writes_a_process_guid_citing_the_parsers():
    asim = facts.platform("asim")
    process = asim.table("imProcessCreate")
    assert dict(process.guids) == {"TargetProcessGuid": "braced", "ActingProcessGuid": "braced"}
    assert asim.table("imNetworkSession").guids["LocalProcessGuid"] == "bare"
    assert asim.table("imDns").guids == {"SrcProcessGuid": "bare"}
    assert not facts.table("defender", "DeviceProcessEvents").guids
    raw = facts.read_data(facts.DATA / facts.FILES["asim"])["tables"]
    assert "vimProcessCreateMicrosoftSysmonWidowsEvent.yaml" in raw["imProcessCreate"]["guids"]["source"]
    assert "vimNetworkSessionMicrosoftSysmonWindowsEvent.yaml" in raw["imNetworkSession"]["guids"]["source"]


@pytest.mark.parametrize("guids, message", [
    ({"ProcessGuid": "braced"}, "cites its"),
    ({"source": "s", "Nope": "bare"}, "a column of the table"),
    ({"source": "s", "ProcessGuid": "upper"}, "bare, braced"),
])
def test_guid_forms_are_checked(tmp_path, monkeypatch, guids, message):
    import json

    table = {"kind": "process", "source": "s", "select": {"table": "T"},
             "fields": {"ProcessGuid": "string"}, "guids": guids}
    (tmp_path / "x.json").write_text(json.dumps({"source": "s", "tables": {"T": table}}), encoding="utf-8")
    monkeypatch.setattr(facts, "DATA", tmp_path)
    monkeypatch.setattr(facts, "FILES", {**facts.FILES, "x": "x.json"})
    with pytest.raises(facts.FactsError, match=message):
        facts._load("x")

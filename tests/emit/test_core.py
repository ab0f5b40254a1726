"""emit(): registry, API contract, errors, fresh parsing, no network."""

from __future__ import annotations

import socket

import pytest

from converters.emit import EmitError, Emitted, emit
from converters.emit.targets import TARGETS, Target
from converters.errors import RuleportError
from tests.emit.helpers import rule, seed_yaml

SPEC = [("sigma", ".yml"), ("splunk", ".spl"), ("splunk-cim", ".spl"), ("lucene", ".lucene"), ("eql", ".eql"),
        ("esql", ".esql"), ("kibana-kql", ".kql"), ("kusto-defender", ".kql"), ("kusto-sentinel", ".kql")]


def test_targets_in_spec_order_with_extensions():
    assert [(t.name, t.extension) for t in TARGETS.values()] == SPEC
    assert all(isinstance(t, Target) for t in TARGETS.values())


def test_every_backend_and_pipeline_resolves():
    from sigma.conversion.base import Backend

    for t in TARGETS.values():
        if t.name == "sigma":
            assert t.backend is None and t.pipelines == () and t.build_pipeline() is None
            continue
        assert issubclass(t.backend, Backend) and t.backend.__module__.startswith("converters.emit.")
        assert t.backend_path.startswith("converters.emit.") and t.pipeline_names
        assert all(name.startswith("ruleport.") for name in t.pipeline_names)
        assert t.build_pipeline().items
        assert t.build_pipeline() is not t.build_pipeline()  # fresh each time: transformations bind to one


def test_unknown_target():
    with pytest.raises(EmitError) as exc:
        emit(seed_yaml(), "qradar")
    assert exc.value.code == "emit/unknown-target"
    assert isinstance(exc.value, RuleportError)


def test_invalid_sigma_is_an_emit_error():
    with pytest.raises(EmitError) as exc:
        emit("title: x\ndetection: {}\n", "splunk")
    assert exc.value.code == "emit/sigma-invalid"


def test_emit_returns_emitted():
    e = emit(seed_yaml(), "eql")
    assert isinstance(e, Emitted) and e.target == "eql" and len(e.queries) == 1


def test_each_call_parses_afresh():
    """Pipelines rewrite the rule in place: a second call must not see the first's changes."""
    text = seed_yaml()
    first = {t: emit(text, t).queries for t in TARGETS}
    second = {t: emit(text, t).queries for t in reversed(list(TARGETS))}
    assert first == second


def test_no_network(monkeypatch):
    """pySigma's lazy ATT&CK/D3FEND downloads must never be triggered."""
    def refuse(*args, **kwargs):
        raise AssertionError("network access attempted")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    for t in TARGETS:
        assert emit(seed_yaml(), t).queries


def test_foreign_logsource_is_refused():
    text = rule("  sel:\n    SourceImage|endswith: '\\x.exe'", category="create_remote_thread")  # no target holds it
    for target in ("splunk", "lucene", "kusto-defender"):
        with pytest.raises(EmitError) as exc:
            emit(text, target)
        assert exc.value.code == "emit/logsource-unsupported"


def test_field_the_platform_lacks_is_refused_where_required_and_noted_where_dropped():
    text = rule("  sel:\n    Image|endswith: '\\x.exe'\n    TerminalSessionId: 1")
    with pytest.raises(EmitError) as exc:
        emit(text, "kusto-defender")
    assert exc.value.code == "emit/field-unavailable"
    assert "TerminalSessionId" in exc.value.message and "DeviceProcessEvents" in exc.value.message
    either = rule("  sel:\n    Image|endswith: '\\x.exe'\n  other:\n    TerminalSessionId: 1", "sel or other")
    out = emit(either, "kusto-defender")
    assert "TerminalSessionId" not in out.queries[0]
    [note] = [n for n in out.notes if n.field == "TerminalSessionId"]
    assert note.code == "emit/branch-dropped" and note.affects.direction == "less"
    assert note.affects.condition == {"exists": "TerminalSessionId"}


def test_rule_only_on_missing_field_cannot_be_emitted():
    text = rule("  sel:\n    process.code_signature.subject_name: OpenJS Foundation")
    for target in ("splunk", "splunk-cim", "kusto-defender", "kusto-sentinel"):
        with pytest.raises(EmitError) as exc:
            emit(text, target)
        assert exc.value.code == "emit/field-unavailable"
    assert "subject_name" in emit(text, "lucene").queries[0]


def test_sigma_records_pipeline_for_sqlite():
    """The `sigma` executor reads argv line by line (the records hold the ECS array one value per
    line) with pySigma's SQLite backend; the signer is a column of the Sigma records (an ECS field
    Sigma's taxonomy has no name for)."""
    from sigma.backends.sqlite import sqliteBackend
    from sigma.collection import SigmaCollection

    from converters.emit.pipelines import sigma_records

    backend = sqliteBackend(sigma_records())
    sql = backend.convert(SigmaCollection.from_yaml(seed_yaml()))[0]
    assert "code_signature" in sql and "`process.args` REGEXP '(?m)^" in sql
    assert "OriginalFileName GLOB 'node.exe'" in sql  # |cased kept for the engine


def test_splunk_flag_names_do_not_leak_between_rules():
    from converters.emit import EmitError as Err

    good = rule("  sel:\n    Image: 'C:\\\\x\\\\?.exe'\n  alt:\n    CommandLine: x", "sel or alt")
    first = emit(good, "splunk").queries[0]
    failing = rule("  sel:\n    Image: 'C:\\\\x\\\\?.exe'\n  ref:\n    CommandLine|fieldref: ParentCommandLine",
                   "sel or ref")
    with pytest.raises(Err):  # an OR-ed field reference fails after the regex flag was counted
        emit(failing, "splunk")
    assert emit(good, "splunk").queries[0] == first
    assert "(?<ImageMatch>" in first and "ImageMatch2" not in first


@pytest.mark.parametrize("target, column", [
    ("kusto-defender", "InitiatingProcessCommandLine"),
    ("kusto-sentinel", "ActingProcessCommandLine"),
])
def test_kusto_null_means_empty(target, column):
    """Sigma `field: null` (absent) must hold on Kusto's empty strings: isnull() never does."""
    yaml_text = rule("  sel:\n    Image|endswith: '\\node.exe'\n  filter:\n    ParentCommandLine: null\n",
                     condition="sel and not filter")
    (query,) = emit(yaml_text, target).queries
    assert f"isempty({column})" in query and "isnull" not in query
    run = TARGETS[target].executor().run
    base = {"FileName": "node.exe", "FolderPath": "C:\\x\\node.exe", "TargetProcessName": "C:\\x\\node.exe",
            "ActionType": "ProcessCreated", "EventType": "ProcessCreated", "DvcOs": "Windows"}
    events = [{**base, column: ""}, {**base, column: "powershell.exe -c x"}]
    assert run(query, events) == [1]

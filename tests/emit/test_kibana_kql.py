"""ruleport's Kibana KQL backend: syntax, escaping, case and wildcard handling.

Queries are parsed and run by the project's KQL executor (Kibana's grammar,
Elasticsearch keyword semantics), so each test checks meaning, not just text.
"""

from __future__ import annotations

import pytest

from converters.emit import EmitError, emit
from converters.emit.kibana_kql import MAX_CASE_VARIANTS, KibanaKqlBackend
from converters.kql.evaluator import KibanaKqlExecutor
from tests.emit.helpers import rule, seed_yaml

EX = KibanaKqlExecutor()
SCOPE = {"event.category": ["process"], "event.type": ["start"], "host.os.type": ["windows"]}


def doc(**fields):
    """A doc-values event (lists), with `.caseless` twins lower-cased as Elasticsearch indexes them."""
    out = dict(SCOPE)
    for name, value in fields.items():
        name = name.replace("__", ".")
        values = value if isinstance(value, list) else [value]
        out[name] = values
        if name in ("process.name", "process.executable", "process.command_line", "process.parent.name",
                    "process.parent.executable", "process.parent.command_line", "user.name"):
            out[name + ".caseless"] = [v.lower() for v in values]
    return out


def kql(detection: str, condition: str = "sel"):
    return emit(rule(detection, condition), "kibana-kql")


def hits(query: str, *events) -> list[int]:
    return EX.run(query, list(events))


def test_declared_as_text_query_backend():
    from sigma.conversion.base import TextQueryBackend

    assert issubclass(KibanaKqlBackend, TextQueryBackend)
    assert (KibanaKqlBackend.or_token, KibanaKqlBackend.and_token, KibanaKqlBackend.not_token) == ("or", "and", "not")


def test_special_characters_are_escaped():
    e = kql("  sel:\n    CommandLine|contains: 'a (b): \"c\" <d> {e}'")
    q = e.queries[0]
    assert r'process.command_line.caseless:*a\u0020\(b\)\:\u0020\"c\"\u0020\<d\>\u0020\{e\}*' in q
    assert hits(q, doc(process__command_line='x A (B): "c" <D> {e} y'), doc(process__command_line="a b c")) == [0]


def test_quoted_value_without_wildcard():
    q = kql("  sel:\n    CommandLine: 'DOM\\bob \"x\"'").queries[0]
    assert 'process.command_line.caseless:"dom\\\\bob \\"x\\""' in q
    assert hits(q, doc(process__command_line='DOM\\Bob "x"'), doc(process__command_line="DOM\\bob")) == [0]


def own(emitted) -> list:
    """The notes of the rule's own conditions (without the data-stream scope every Defend query has)."""
    return [n for n in emitted.notes if n.code != "emit/scope-narrowed"]


def test_case_variants_are_exact():
    q = kql("  sel:\n    process.args: '-Rx'").queries[0]
    assert q.count(" or ") == 4  # three for the case variants, one for the scope's two start types
    assert hits(q, doc(process__args=["a", "-rX"]), doc(process__args=["-rx1"]), doc(process__args=["-RX"])) == [0, 2]


def test_too_many_case_variants_narrow_with_a_note():
    e = kql("  sel:\n    process.code_signature.subject_name: Microsoft Windows")
    assert 'process.code_signature.subject_name:"Microsoft Windows"' in e.queries[0]
    assert [n.code for n in own(e)] == ["emit/case-narrowed"]
    assert 2 ** len("MicrosoftWindows") > MAX_CASE_VARIANTS


def test_single_char_wildcard_widens_with_a_note():
    e = kql("  sel:\n    Image: 'C:\\Windows\\\\?.exe'")
    q = e.queries[0]
    assert r"process.executable.caseless:c\:\\windows\\*.exe" in q
    assert ("emit/wildcard-widened", "process.executable.caseless") in {(n.code, n.field) for n in e.notes}
    # the widening is real: two characters match too
    assert hits(q, doc(process__executable="C:\\Windows\\ab.exe")) == [0]


def test_not_and_grouping():
    q = kql("  a:\n    CommandLine|contains: x\n  b:\n    User: bob\n  c:\n    User: eve",
            condition="a and not (b or c)").queries[0]
    assert "not (" in q
    events = [doc(process__command_line="x", user__name="bob"), doc(process__command_line="x", user__name="amy"),
              doc(process__command_line="y", user__name="amy")]
    assert hits(q, *events) == [1]


def test_or_inside_and_is_grouped():
    q = kql("  a:\n    CommandLine|contains: x\n  b:\n    User: bob\n  c:\n    User: eve",
            condition="(a or b) and c").queries[0]
    events = [doc(process__command_line="x", user__name="bob"), doc(process__command_line="x", user__name="eve"),
              doc(process__command_line="y", user__name="bob")]
    assert hits(q, *events) == [1]


def test_regex_of_a_finite_set_becomes_values():
    out = kql("  sel:\n    Image|re: '^C:\\\\(?:php|lua)[5-6]?\\.exe$'")
    q = out.queries[0]
    assert not own(out)
    events = [doc(process__executable=v) for v in ("C:\\php5.exe", "C:\\lua.exe", "C:\\php7.exe", "c:\\php5.exe")]
    assert hits(q, *events) == [0, 1]


def test_regex_with_any_runs_becomes_wildcards_and_a_negated_class_is_noted():
    out = kql("  sel:\n    CommandLine|re: '(?s)curl.*-o'")
    assert not own(out) and hits(out.queries[0], doc(process__command_line="x curl a\n-o y")) == [0]
    out = kql("  sel:\n    Image|re: '^/usr/bin/python[^/]*$'")
    (note,) = own(out)
    assert note.code == "emit/regex-widened" and note.affects is not None
    events = [doc(process__executable=v) for v in ("/usr/bin/python3", "/usr/bin/python3/x", "/usr/bin/perl")]
    assert hits(out.queries[0], *events) == [0, 1]  # the second is the widening the note names
    from converters.prove.explain import holds

    assert [holds(note.affects.condition, e) for e in events] == [False, True, False]


def test_case_folded_regex_letters_go_to_caseless():
    # how the translation writes EQL's regex~: each ASCII letter as the class of its cases
    out = kql("  sel:\n    Image|re: '^(?:[Cc]:\\\\[Tt][Oo][Oo][Ll][Ss]\\\\[^\\\\]*)$'")
    q = out.queries[0]
    assert "process.executable.caseless" in q
    assert hits(q, doc(process__executable="C:\\TOOLS\\x.exe"), doc(process__executable="D:\\tools\\x")) == [0]


def test_regex_that_is_not_a_set_of_values_is_refused_naming_the_construct():
    for regex, why in (("'\\d+\\.\\d+'", "unbounded repeat"), ("'^[0-9]{1,3}x$'", "more than 64"),
                       ("'a\\bb'", "word boundary")):
        with pytest.raises(EmitError) as exc:
            kql(f"  sel:\n    CommandLine|re: {regex}")
        assert exc.value.code == "emit/regex-unsupported" and why in exc.value.message


def test_numbers_and_exists():
    q = kql("  sel:\n    ProcessId: 42\n    ParentProcessId|exists: true").queries[0]
    assert "process.pid:42" in q and "process.parent.pid:*" in q


def test_seed_rule_runs_in_the_kql_executor():
    q = emit(seed_yaml(), "kibana-kql").queries[0]
    node = dict(process__name="NODE.EXE", process__pe__original_file_name="node.exe",
                process__executable="C:\\Users\\bob\\AppData\\Roaming\\node.exe",
                process__command_line="node x.JS", process__args=["node", "x.JS"],
                process__parent__name="cmd.exe")
    wrong_dir = dict(node, process__executable="C:\\Tools\\node.exe")
    preload = dict(node, process__executable="C:\\Tools\\node.exe", process__args=["node", "-R", "x"],
                   process__command_line="node -R x", process__parent__name="PowerShell.exe")
    evalled = dict(wrong_dir, process__command_line="node -e eval(atob('x'))", process__args=["node", "-e"])
    other = dict(node, process__name="cmd.exe", process__pe__original_file_name="Cmd.Exe")
    events = [doc(**e) for e in (node, wrong_dir, preload, evalled, other)]
    assert hits(q, *events) == [0, 2, 3]


def test_edge_whitespace_of_unquoted_values_is_noted():
    e = kql("  sel:\n    CommandLine|startswith: ' -enc'")
    assert "emit/whitespace-trimmed" in {n.code for n in e.notes}
    # Kibana reads the value without its leading space: a command line starting "-enc" matches too
    assert hits(e.queries[0], doc(process__command_line="-enc AAAA")) == [0]
    assert "emit/whitespace-trimmed" not in {n.code for n in kql("  sel:\n    CommandLine|contains: ' -enc'").notes}


def test_cidr_is_a_block_on_ip_fields():
    e = emit(rule("  sel:\n    DestinationIp|cidr: 10.0.0.0/8\n", category="network_connection"), "kibana-kql")
    q = e.queries[0]
    assert 'destination.ip:"10.0.0.0/8"' in q and "10.*" not in q
    net = {"event.category": ["network"], "host.os.type": ["windows"]}
    assert hits(q, {**net, "destination.ip": ["10.1.2.3"]}, {**net, "destination.ip": ["100.1.2.3"]},
                {**net, "destination.ip": ["11.0.0.1", "10.9.9.9"]}) == [0, 2]

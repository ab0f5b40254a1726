"""A note's `affects` condition, evaluated on ECS events (converters/prove/explain.py)."""

from __future__ import annotations

import pytest

from converters import notes as N
from converters.engine.documents import flatten_ecs
from converters.notes import EITHER, LESS, MORE, Affects, Note
from converters.prove.explain import ConditionError, explaining_note, holds, split_command_line

EVENT = {"process": {"name": "node.exe", "executable": "C:\\Program Files\\nodejs\\node.exe",
                     "args": ["node.exe", "-e", "x y"], "command_line": 'node.exe -e "x y"',
                     "code_signature": {"subject_name": "OpenJS Foundation"}},
         "host": {"os": {"type": "windows"}}, "user": {"name": "alice"}}
DOC = flatten_ecs(EVENT)


@pytest.mark.parametrize("condition, expected", [
    (N.exists("process.code_signature.subject_name"), True),
    (N.exists("process.code_signature"), True),          # an object exists when any of its fields does
    (N.exists("process.parent"), False),
    (N.eq("host.os.type", "windows"), True),
    (N.eq("host.os.type", "Windows"), False),
    (N.eq("host.os.type", "Windows", case_insensitive=True), True),
    (N.not_(N.eq("host.os.type", "linux")), True),
    (N.wildcard("process.executable", "?:\\\\program files\\\\*", case_insensitive=True), True),
    (N.wildcard("process.executable", "?:\\\\program files\\\\*"), False),
    (N.wildcard("process.args", "-?"), True),             # any element of an array
    (N.regex("process.command_line", r'-e\s+"'), True),
    (N.contains("process.args", "\n"), False),
    (N.all_(N.exists("user.name"), N.eq("user.name", "bob")), False),
    (N.any_(N.eq("user.name", "bob"), N.eq("user.name", "alice")), True),
    (N.argv_mismatch("process.args", "process.command_line"), False),
    (N.basename_mismatch("process.name", "process.executable"), False),
])
def test_conditions(condition, expected):
    assert holds(condition, DOC) is expected


def test_argv_and_basename_relations_hold_where_the_event_disagrees_with_itself():
    odd = flatten_ecs({"process": {"name": "renamed.exe", "executable": "C:\\x\\node.exe",
                                   "args": ["node.exe", 'a"b'], "command_line": 'node.exe a\\"b'}})
    assert holds(N.argv_mismatch("process.args", "process.command_line"), odd)
    assert holds(N.basename_mismatch("process.name", "process.executable"), odd)
    assert split_command_line('a "b c"  d""') == ["a", "b c", "d"]


def test_values_differ_compares_two_fields_value_sets():
    doc = flatten_ecs({"user": {"id": "a@b.c", "email": "a@b.c"}, "source": {"ip": "10.0.0.1", "address": "h"}})
    assert not holds(N.values_differ("user.id", "user.email"), doc)
    assert holds(N.values_differ("source.ip", "source.address"), doc)
    assert holds(N.values_differ("user.id", "user.name"), doc)        # one side missing
    assert not holds(N.values_differ("user.name", "host.name"), doc)  # both missing agree


def test_a_malformed_condition_is_named():
    with pytest.raises(ConditionError, match="unknown condition"):
        holds({"nonsense": 1}, DOC)
    with pytest.raises(ConditionError, match="exactly one"):
        holds({"field": "user.name", "eq": ["a"], "regex": ["b"]}, DOC)


def test_a_malformed_part_fails_only_when_it_is_evaluated():
    bad = {"field": "user.name", "regex": ["("]}
    assert holds({"any": [N.exists("user.name"), bad]}, DOC)      # short-circuit: never evaluated
    with pytest.raises(ConditionError, match="bad regex"):
        holds({"any": [N.exists("no.such.field"), bad]}, DOC)


def test_a_note_s_condition_is_compiled_once_for_every_event():
    from converters.prove import explain

    values = [f"tool{i}" for i in range(2000)]
    note = Note("emit/x", "long list", "t", None, Affects.of(MORE, N.any_(N.eq("process.name", values))))
    events = [{**EVENT, "process": {"name": name}} for name in ("tool7", "cmd.exe", "tool1999")]
    explain._compiled.cache_clear()
    found = [explaining_note([note], e, expected=False, got=True) for e in events]
    assert found == [note, None, note]
    info = explain._compiled.cache_info()
    assert (info.misses, info.hits) == (1, 2)


def test_direction_and_condition_decide_which_note_explains():
    more = Note("emit/scope-widened", "no OS field", "t", None, Affects.of(MORE, N.not_(N.eq("host.os.type", "windows"))))
    less = Note("emit/branch-dropped", "no signer", "t", None,
                Affects.of(LESS, N.exists("process.code_signature.subject_name")))
    plain = Note("translate/custom-field", "kept", None, None)
    linux = {**EVENT, "host": {"os": {"type": "linux"}}}
    # matched on the target, not by the original: only a "more" note can explain
    assert explaining_note([plain, less, more], linux, expected=False, got=True) is more
    assert explaining_note([plain, less, more], EVENT, expected=False, got=True) is None
    # missed on the target: only a "less" note whose condition holds
    assert explaining_note([plain, more, less], EVENT, expected=True, got=False) is less
    either = Note("x", "y", affects=Affects.of(EITHER, N.exists("user.name")))
    assert explaining_note([either], EVENT, expected=True, got=False) is either


def test_affects_is_canonical_and_rejects_unknown_directions():
    a = Affects.of(MORE, {"b": 1, "a": [2]})
    assert a == Affects.of(MORE, {"a": [2], "b": 1}) and a.as_dict() == {"direction": "more", "where": {"a": [2], "b": 1}}
    with pytest.raises(ValueError):
        Affects.of("sideways", {})

"""The doc-values view shared by the Elastic executors (converters.engine.documents)."""

import gc

from converters.engine.documents import as_doc_values, doc_values_reader, flatten_ecs, gc_paused


def test_flatten_joins_paths_keeps_arrays_and_drops_nulls():
    nested = {"process": {"name": "a.exe", "args": ["a", None, "-r"], "pe": None, "parent": {"pid": 4}},
              "tags": [], "event": {"type": ["start"]}}
    assert flatten_ecs(nested) == {"process.name": ["a.exe"], "process.args": ["a", "-r"],
                                   "process.parent.pid": [4], "event.type": ["start"]}


def test_objects_inside_arrays_spread_their_fields():
    assert flatten_ecs({"a": [{"b": 1}, {"b": 2, "c": "x"}]}) == {"a.b": [1, 2], "a.c": ["x"]}


def test_reader_reads_only_the_named_fields_of_flat_or_nested_events():
    read = doc_values_reader(["process.name", "process.args", "missing"])
    flat = {"process.name": "a.exe", "process.args": ["a", None], "user.name": ["bob"], "missing": None}
    assert read(flat) == {"process.name": ["a.exe"], "process.args": ["a"]}
    nested = {"process": {"name": "a.exe", "args": ["x"]}, "user": {"name": "bob"}}
    assert read(nested) == {"process.name": ["a.exe"], "process.args": ["x"]}
    assert as_doc_values(flat)["user.name"] == ["bob"]


def test_gc_paused_restores_the_collector():
    assert gc.isenabled()
    with gc_paused():
        assert not gc.isenabled()
    assert gc.isenabled()
    gc.disable()
    try:
        with gc_paused():
            pass
        assert not gc.isenabled()  # was off before: stays off
    finally:
        gc.enable()

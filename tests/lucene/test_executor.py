"""The Lucene executor, run on the real engine, against its documented rules.

Locally the tests skip when Java or the Lucene 9.12.2 jars are missing (`make
engines` installs them); under CI=true they fail instead, since .ci/run installs both.
"""

from __future__ import annotations


import pytest

from converters.engine.executor import ExecutionError
from converters.lucene import jars as J
from converters.lucene.executor import LuceneExecutor, encode_batch



EVENTS = [
    {  # 0
        "event.category": ["process"],
        "process.name": ["node.exe"],
        "process.name.caseless": ["node.exe"],
        "process.executable": ["C:\\Users\\bob\\AppData\\Local\\node.exe"],
        "process.executable.caseless": ["c:\\users\\bob\\appdata\\local\\node.exe"],
        "process.args": ["node.exe", "-r", "hook.js"],
        "process.pid": [1234],
    },
    {  # 1
        "event.category": ["process"],
        "process.name": ["Node.EXE"],
        "process.name.caseless": ["node.exe"],
        "process.args": ["Node.EXE", "eval(x)"],
        "process.pid": [99],
        "process.code_signature.subject_name": ["OpenJS Foundation"],
    },
    {  # 2
        "event.category": ["process"],
        "process.name": ["cmd.exe"],
        "process.name.caseless": ["cmd.exe"],
        "process.args": [],
        "process.pid": [100],
    },
]


def run(lucene, query, events=EVENTS):
    return lucene.run(query, events)


def check(lucene, cases, events=EVENTS):
    """Run every (query, expected indexes) case in one JVM and compare."""
    results = lucene.run_many([q for q, _ in cases], events)
    assert list(zip([q for q, _ in cases], results)) == cases


def test_unavailable_names_missing_jars_and_the_command(tmp_path):
    (tmp_path / J.jar_name("core")).write_bytes(b"")
    reason = LuceneExecutor(jar_dir=tmp_path).unavailable()
    assert reason is not None and J.jar_name("queryparser") in reason
    assert "make engines" in reason and "converters.lucene.install" in reason


def test_engine_names_the_lucene_version():
    assert "Lucene 9.12.2" in LuceneExecutor.engine and LuceneExecutor().engine_version() == "9.12.2"


def test_lucene_9_regex_classes(lucene):
    """Lucene 9 reads \\d as a digit (Lucene 8.7, Elasticsearch 7.10's, read it as the letter d)."""
    events = [{"p": ["a7"]}, {"p": ["ad"]}, {"p": ["a "]}, {"p": ["a_"]}]
    check(lucene, [
        ("p:/a\\d/", [0]),
        ("p:/a\\s/", [2]),
        ("p:/a\\w/", [0, 1, 3]),
        ("p:/a\\D/", [1, 2, 3]),
        ("p:/a[\\d_]/", [0, 3]),
    ], events)


def test_regex_on_a_normalized_field_is_lower_cased_whole(lucene):
    """Elasticsearch passes a regexp on a keyword field with a normalizer through the normalizer
    (indexedValueForSearch), as Lucene's classic parser does: on `.caseless` `\\D` becomes `\\d`."""
    events = [{"p.caseless": ["a7"]}, {"p.caseless": ["AB"]}]
    check(lucene, [
        ("p.caseless:/A\\D/", [0]),
        ("p.caseless:/[A-Z]+/", [1]),
    ], events)


def test_keyword_is_exact_and_case_sensitive(lucene):
    check(lucene, [
        ("process.name:node.exe", [0]),
        ("process.name:NODE.EXE", []),
        ("process.name:node", []),  # whole value, no tokenizing
    ])


def test_wildcards_case_sensitive_and_single_char(lucene):
    check(lucene, [
        ("process.name:*.exe", [0, 2]),
        ("process.name:?ode.exe", [0]),
        ("process.name:??de.exe", [0]),
        ("process.name:?de.exe", []),  # ? is exactly one character
    ])


def test_leading_wildcard_allowed(lucene):
    assert run(lucene, "process.executable:*\\\\node.exe") == [0]


def test_caseless_fields_normalize_query_terms(lucene):
    check(lucene, [
        ("process.name.caseless:NODE.EXE", [0, 1]),
        ("process.name.caseless:NoDe*", [0, 1]),
        ("process.executable.caseless:C\\:\\\\USERS\\\\*", [0]),
    ])


def test_arrays_match_any_value(lucene):
    check(lucene, [
        ("process.args:\\-r", [0]),
        ("process.args:*.js", [0]),
        ("process.args:\\-r AND process.args:hook.js", [0]),
    ])


def test_missing_field_and_negation(lucene):
    check(lucene, [
        ("process.code_signature.subject_name:*", [1]),
        ("NOT process.code_signature.subject_name:\"OpenJS Foundation\"", [0, 2]),
    ])


def test_exists_rewritten_to_field_names(lucene):
    check(lucene, [
        ("_exists_:process.code_signature.subject_name", [1]),
        # an empty array is no value at all
        ("_exists_:process.args", [0, 1]),
        ("process.args:*", [0, 1]),
    ])


def test_pure_negative_group_matches_the_rest(lucene):
    check(lucene, [
        ("process.name.caseless:node.exe AND (NOT process.name:node.exe)", [1]),
        ("(NOT process.name:node.exe)", [1, 2]),
    ])


def test_quoted_value_is_one_term_and_operators_split(lucene):
    check(lucene, [
        ('process.code_signature.subject_name:"OpenJS Foundation"', [1]),
        ("process.code_signature.subject_name:OpenJS\\ Foundation", [1]),
        # the field prefix binds the next term only: `Foundation` goes to the default (every) field
        ("process.code_signature.subject_name:OpenJS Foundation", []),
        # query_string splits on operators only: a run of plain terms is analyzed as one text,
        # which the keyword analyzer keeps whole
        ("process.code_signature.subject_name:(OpenJS Foundation)", [1]),
        ("OpenJS Foundation", [1]),
        ("OpenJS OR Foundation", []),
    ])


def test_regexp_is_anchored_lucene_syntax(lucene):
    check(lucene, [
        ("process.name:/[Nn]ode\\.(exe|EXE)/", [0, 1]),
        ("process.name:/ode/", []),  # whole term, not a substring
    ])


def test_numbers_compare_numerically(lucene):
    check(lucene, [
        ("process.pid:1234", [0]),
        ("process.pid:>100", [0]),
        ("process.pid:>=100", [0, 2]),
        ("process.pid:[99 TO 100]", [1, 2]),
        ("process.pid:{99 TO 1234]", [0, 2]),
        ("process.pid:*", [0, 1, 2]),  # `field:*` is exists, for numbers too
    ])


def test_wildcard_on_number_is_an_error(lucene):
    with pytest.raises(ExecutionError, match="process.pid"):
        run(lucene, "process.pid:12*")


def test_unbound_term_searches_every_field(lucene):
    check(lucene, [
        ("hook.js", [0]),
        ("1234", [0]),
    ])


def test_operators_and_precedence(lucene):
    check(lucene, [
        ("process.name:cmd.exe OR process.pid:99", [1, 2]),
        ("+event.category:process -process.name:cmd.exe", [0, 1]),
        # no precedence: AND makes both neighbours required, OR leaves the left one
        # optional, so `a OR b AND c` means `a +b +c` (b and c), not `a OR (b AND c)`
        ("process.name:cmd.exe OR process.pid:99 AND event.category:process", [1]),
    ])


def test_syntax_error_is_execution_error(lucene):
    with pytest.raises(ExecutionError, match="Cannot parse"):
        run(lucene, "process.name:(")


def test_special_characters_in_values_survive_the_batch(lucene):
    events = [{"f": ["a\tb\\c\nd"]}, {"f": ["é\u2603"]}]
    assert run(lucene, 'f:"a\tb\\\\c\nd"', events) == [0]
    assert run(lucene, "f:é\u2603", events) == [1]


def test_indexes_follow_input_order_over_many_events(lucene):
    events = [{"n": [str(i % 7)]} for i in range(5000)]
    assert run(lucene, "n:3", events) == [i for i in range(5000) if i % 7 == 3]


def test_run_many_answers_each_query_and_isolates_errors(lucene):
    results = lucene.run_many(["process.name:node.exe", "process.name:(", "process.pid:>99"], EVENTS)
    assert results[0] == [0]
    assert isinstance(results[1], ExecutionError) and "Cannot parse" in str(results[1])
    assert results[2] == [0, 2]


def test_only_the_fields_a_query_reads_are_sent(lucene):
    events = [{"a": ["b"], "nested": {"x": 1}}, {"a": ["c"]}]
    # `nested` cannot be indexed, but no query reads it: it is never sent
    assert lucene.run("a:b", events) == [0]
    assert lucene.run("_exists_:a AND NOT a:c", events) == [0]
    # a term without a field reads every field, so `nested` is sent and refused
    with pytest.raises(ExecutionError, match="flattened"):
        lucene.run("b", events)


def test_the_helper_heap_is_bounded_and_outgrowing_it_is_a_clear_error(lucene, monkeypatch):
    from converters.lucene import executor as L

    assert f"-Xmx{L.JVM_HEAP}" in L._java_command(lucene.compiled_dir(), [])
    small = LuceneExecutor(lucene.jar_dir)  # a helper of its own, started with a tiny heap
    monkeypatch.setattr(L, "JVM_HEAP", "16m")
    events = [{"a": [f"value {i} " * 40]} for i in range(100_000)]
    with pytest.raises(ExecutionError, match=r"heap is limited to 16m.*OutOfMemoryError"):
        small.run("a:x*", events)
    small.close()


def test_mixed_number_and_string_field_is_keyword():
    payload = encode_batch(["q"], [{"f": [1]}, {"f": ["x"]}, {"g": [1, 2.5]}]).decode()
    assert "F\tf\tk\t1" in payload and "F\tg\td\t2.5" in payload and "F\tg\td\t1.0" in payload


def test_nested_values_rejected():
    with pytest.raises(ExecutionError, match="flattened"):
        encode_batch(["q"], [{"process": {"name": "x"}}])


STOCK_RULE = r"""
title: t
logsource: {category: process_creation, product: windows}
detection:
  a:
    Image|endswith: '\node.exe'
  b:
    Image: '?:\Users\\*\AppData\\*\node.exe'
    CommandLine|contains: 'eval('
  c:
    CommandLine|re: '.*child_process.*'
  d:
    ParentImage: null
  condition: a and (b or c) and not d
"""


def test_stock_pysigma_lucene_output_runs(lucene):
    """pySigma's Lucene backend output (escapes, leading wildcards, regex, _exists_) runs as Elasticsearch would."""
    from sigma.backends.elasticsearch import LuceneBackend
    from sigma.collection import SigmaCollection
    from sigma.pipelines.elasticsearch.windows import ecs_windows

    [query] = LuceneBackend(ecs_windows()).convert(SigmaCollection.from_yaml(STOCK_RULE))
    assert "_exists_:" in query and "/.*child_process.*/" in query

    def event(exe, cmd, parent="c:\\windows\\explorer.exe"):
        e = {"process.executable.caseless": [exe.lower()], "process.command_line": [cmd]}
        if parent:
            e["process.parent.executable.caseless"] = [parent]
        return e

    events = [
        event("C:\\Users\\bob\\AppData\\Roaming\\node.exe", "node -e eval(1)"),  # 0: a and b
        event("C:\\Program Files\\nodejs\\NODE.EXE", "require('child_process')"),  # 1: a and c
        event("C:\\Users\\bob\\AppData\\Roaming\\node.exe", "node -e EVAL(1)"),  # 2: command_line is exact case
        event("C:\\Users\\bob\\AppData\\Roaming\\node.exe", "node -e eval(1)", parent=None),  # 3: not d fails
        event("C:\\Users\\bob\\AppData\\Roaming\\cmd.exe", "eval("),  # 4: not node
    ]
    # `not d` is `_exists_` of the parent: event 3 has no parent executable
    assert lucene.run(query, events) == [0, 1]


def test_one_jvm_serves_every_batch_and_a_dead_one_is_replaced(lucene):
    ex = LuceneExecutor()
    docs = [{"a": ["x"]}, {"a": ["y"]}]
    assert ex.run("a:x", docs) == [0]
    first = ex._running.proc.pid
    assert ex.run_many(["a:y", "a:(x OR y)"], docs) == [[1], [0, 1]]
    assert ex._running.proc.pid == first            # the same JVM answered both batches
    ex._running.proc.kill()
    ex._running.proc.wait()
    assert ex.run("a:y", docs) == [1]               # started again, transparently
    assert ex._running.proc.pid != first
    ex.close()


def test_a_rejected_query_or_a_bad_event_leaves_the_executor_usable(lucene):
    ex = LuceneExecutor()
    with pytest.raises(ExecutionError, match="Lucene rejected"):
        ex.run("a:(x", [{"a": ["x"]}])
    with pytest.raises(ExecutionError):
        ex.run("a:x", [{"a": [{"nested": "object"}]}])   # not text, number nor boolean
    assert ex.run("a:x", [{"a": ["x"]}, {"a": ["z"]}]) == [0]
    ex.close()


# --- fields indexed by their mapped type --------------------------------------------------------

MAPPED = {"source.ip": "ip", "destination.port": "long", "event.code": "keyword", "ratio": "float"}
TYPED_EVENTS = [
    {"source.ip": ["10.1.2.3"], "destination.port": ["26"], "event.code": [4662]},  # a string port is coerced
    {"source.ip": ["::1"], "destination.port": [443.9], "ratio": [0.1]},             # a fraction is truncated
    {"source.ip": ["192.168.0.7", "8.8.8.8"], "destination.port": [8080]},
    {"event.code": ["x"]},
]


@pytest.fixture(scope="module")
def typed(lucene):
    return LuceneExecutor(field_types=MAPPED)


def test_ip_field_terms_take_addresses_and_cidr_blocks(typed):
    # Elasticsearch's term query on an ip field: an address, or `address/prefix` (a block)
    check(typed, [
        ("source.ip:10.0.0.0\\/8", [0]),
        ('source.ip:"10.0.0.0/8"', [0]),
        ("source.ip:\\:\\:1\\/128", [1]),
        ("source.ip:\\:\\:1", [1]),
        ("source.ip:192.168.0.0\\/16", [2]),        # any value of an array
        ("NOT source.ip:10.0.0.0\\/8", [1, 2, 3]),  # a missing field: NOT matches
        ("source.ip:[10.0.0.0 TO 10.255.255.255]", [0]),
        ("source.ip:{10.1.2.3 TO *]", [2]),
        ("source.ip:0.0.0.0\\/0", [0, 2]),          # an IPv4 block holds no IPv6 address
    ], TYPED_EVENTS)


def test_ip_field_rejects_wildcards_and_bad_literals(typed):
    with pytest.raises(ExecutionError, match="source.ip"):
        typed.run("source.ip:10.*", TYPED_EVENTS)
    with pytest.raises(ExecutionError, match="not an IP string literal"):  # no host name is looked up
        typed.run("source.ip:localhost", TYPED_EVENTS)
    with pytest.raises(ExecutionError, match="prefix length"):
        typed.run("source.ip:10.0.0.0\\/33", TYPED_EVENTS)
    with pytest.raises(ExecutionError, match="not an IP address"):
        typed.run("source.ip:10.0.0.0\\/8", [{"source.ip": ["host.example"]}])


def test_mapped_numbers_and_keywords_follow_the_mapping_not_the_values(typed):
    check(typed, [
        ("destination.port:26", [0]),           # "26" indexed as the long 26
        ("destination.port:443", [1]),          # 443.9 coerced to 443
        ("destination.port:>=443", [1, 2]),
        ("event.code:4662", [0]),               # a number in a keyword field is its text
        ("event.code:46*", [0]),                # ... so wildcards apply
        ("ratio:0.1", [1]),                     # a float field compares as a float
    ], TYPED_EVENTS)
    with pytest.raises(ExecutionError, match="destination.port"):
        typed.run("destination.port:2*", TYPED_EVENTS)


def test_a_mapped_type_refuses_values_it_cannot_hold():
    with pytest.raises(ExecutionError, match="not a number"):
        encode_batch(["q"], [{"destination.port": ["http"]}], MAPPED)
    with pytest.raises(ExecutionError, match="boolean"):
        encode_batch(["q"], [{"destination.port": [True]}], MAPPED)
    payload = encode_batch(["q"], [{"source.ip": ["0:0:0:0:0:0:0:1"]}], MAPPED).decode()
    assert "F\tsource.ip\ti\t::1" in payload


def test_the_clause_limit_is_elasticsearchs_for_a_small_node(lucene):
    # Elasticsearch 8 allows at least 1024 clauses and more on any real node (RuleportLucene.MAX_CLAUSE_COUNT)
    events = [{"n": [str(i)]} for i in range(3)]
    assert lucene.run(" OR ".join(f"n:{i}" for i in range(3000)), events) == [0, 1, 2]
    with pytest.raises(ExecutionError, match="too many"):
        lucene.run(" OR ".join(f"n:{i}" for i in range(5000)), events)


def test_lucene_target_indexes_ecs_and_defend_fields_by_type():
    from converters.emit.targets import TARGETS

    types = TARGETS["lucene"].executor().field_types
    assert types["source.ip"] == "ip" and types["destination.port"] == "long"
    assert types["process.name"] == "keyword"
    assert types["process.Ext.effective_parent.pid"] == "long"  # a Defend field ECS lacks


def test_text_fields_are_indexed_as_their_analyzer_words(lucene):
    """`text` (standard analyzer) and `text:powershell_script_analyzer` fields (executor docstring)."""
    executor = LuceneExecutor(field_types={"message": "match_only_text",
                                           "ps": "text:powershell_script_analyzer"})
    events = [{"message": ["Started with executable stack"], "ps": ["$x = New-Object Net.WebClient"]},
              {"message": ["started with executable stacks"], "ps": ["New-ObjectX"]},
              {"message": ["started", "with executable stack"], "ps": ["new object"]}]
    try:
        assert executor.run('message:"started with executable stack"', events) == [0]   # words, ignoring case
        assert executor.run("message:stack", events) == [0, 2]                          # one word
        assert executor.run("message:STAC*", events) == [0, 1, 2]                       # lower-cased, per word
        assert executor.run('message:"started with"', events) == [0, 1]                 # never across two values
        assert executor.run('ps:"new-object net.webclient"', events) == [0]             # `-` stays in a word
        assert executor.run('ps:"new object"', events) == [2]
        assert executor.run('ps:"()"', events) == []                                    # no words: nothing
    finally:
        executor.close()

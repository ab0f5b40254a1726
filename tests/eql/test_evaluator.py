"""The EQL evaluator follows Elasticsearch's semantics (see evaluate_eql's docstring)."""

import tomllib

import pytest

from converters.engine.executor import ExecutionError
from converters.engine.documents import flatten_ecs
from converters.eql.evaluator import EqlExecutor

EX = EqlExecutor()


def proc(**fields):
    doc = {"event.category": ["process"], "event.type": ["start"]}
    for k, v in fields.items():
        doc[k.replace("__", ".")] = v if isinstance(v, list) else [v]
    return doc


def hits(query, *events):
    return EX.run(query, list(events))


def test_category_selects_events_and_any_takes_all():
    net = {"event.category": ["network"], "process.name": ["a.exe"]}
    assert hits('process where process.name == "a.exe"', proc(process__name="a.exe"), net) == [0]
    assert hits('any where process.name == "a.exe"', proc(process__name="a.exe"), net) == [0, 1]
    # event.category is itself an array: any element names the category
    multi = {"event.category": ["network", "process"], "process.name": ["a.exe"]}
    assert hits('process where process.name == "a.exe"', multi) == [0]


def test_colon_ignores_case_and_double_equals_does_not():
    e = proc(process__name="NODE.exe")
    assert hits('process where process.name : "node.EXE"', e) == [0]
    assert hits('process where process.name == "node.exe"', e) == []
    assert hits('process where process.name == "NODE.exe"', e) == [0]


def test_wildcards_star_and_single_question_mark():
    e = proc(process__executable="C:\\Users\\bob\\AppData\\Local\\node.exe")
    assert hits(r'process where process.executable : "?:\\Users\\*\\AppData\\*\\node.exe"', e) == [0]
    assert hits(r'process where process.executable : "??:\\Users\\*"', e) == []
    # `==` takes `*` literally
    assert hits(r'process where process.executable == "C:\\Users\\*"', e) == []
    assert hits('process where process.name : "*"', e) == []  # missing field


def test_backslash_is_literal_in_patterns():
    # "\\\\Users" in EQL is two real backslashes: it must not match one
    one = proc(process__executable="\\Device\\HarddiskVolume3\\Users\\x\\AppData\\y\\node.exe")
    two = proc(process__executable="\\Device\\HarddiskVolume3\\\\Users\\x\\AppData\\y\\node.exe")
    q = r'process where process.executable : "\\Device\\HarddiskVolume?\\\\Users\\*\\AppData\\*\\node.exe"'
    assert hits(q, one, two) == [1]


def test_array_field_matches_when_any_element_does():
    e = proc(process__args=["node.exe", "-r", "evil.js"])
    assert hits('process where process.args : "*.js"', e) == [0]
    assert hits('process where process.args == "-r"', e) == [0]
    assert hits('process where process.args : "-x"', e) == []


def test_not_and_not_equal_are_must_not():
    missing = proc()
    other = proc(process__name="b.exe")
    same = proc(process__name="a.exe")
    assert hits('process where process.name != "a.exe"', missing, other, same) == [0, 1]
    assert hits('process where not process.name : "a.exe"', missing, other, same) == [0, 1]
    arr = proc(process__args=["x", "-r"])
    assert hits('process where process.args != "-r"', arr) == []


def test_missing_field_makes_leaf_false_and_null_checks():
    missing, present = proc(), proc(process__pe__original_file_name="node.exe")
    assert hits('process where ?process.pe.original_file_name == "node.exe"', missing, present) == [1]
    assert hits('process where ?process.pe.original_file_name != null', missing, present) == [1]
    assert hits('process where ?process.pe.original_file_name == null', missing, present) == [0]
    assert hits('process where length(process.pe.original_file_name) > 0', missing, present) == [1]


def test_in_is_case_sensitive_and_in_tilde_is_not():
    e = proc(process__name="Cmd.exe")
    assert hits('process where process.name in ("cmd.exe", "x")', e) == []
    assert hits('process where process.name in~ ("cmd.exe", "x")', e) == [0]
    assert hits('process where process.name not in ("cmd.exe", "x")', e) == [0]
    assert hits('process where process.name in ("Cmd.exe")', e) == [0]
    assert hits('process where process.name in ("Cmd*")', e) == []  # no wildcards in `in`


def test_like_is_case_sensitive_and_like_tilde_is_not():
    e = proc(process__name="Cmd.exe")
    assert hits('process where process.name like "cmd*"', e) == []
    assert hits('process where process.name like~ "cmd*"', e) == [0]
    assert hits('process where process.name like ("x", "C?d.exe")', e) == [0]


def test_regex_is_lucene_anchored_and_case_sensitive_unless_tilde():
    e = proc(process__name="Cmd.exe")
    assert hits('process where process.name regex "C[a-z]d\\\\.exe"', e) == [0]
    assert hits('process where process.name regex "md"', e) == []  # anchored
    assert hits('process where process.name regex "cmd.*"', e) == []
    assert hits('process where process.name regex~ "cmd.*"', e) == [0]
    # ^ is an ordinary character in Lucene regexes
    assert hits('process where process.name regex "^Cmd.exe"', e) == []
    assert hits('process where process.name regex "C@"', e) == [0]  # @: any string (RegExp.ALL)
    with pytest.raises(ExecutionError, match="not modelled"):
        hits('process where process.name regex "a&b"', e)


def test_numbers_compare_numerically_and_against_strings_as_text():
    e = proc(process__pid=1234)
    assert hits("process where process.pid == 1234", e) == [0]
    assert hits('process where process.pid == "1234"', e) == [0]
    assert hits("process where process.pid > 999", e) == [0]
    assert hits('process where process.pid < "999"', e) == []


def test_arithmetic_follows_java():
    e = proc(process__args_count=4)
    assert hits("process where divide(7, process.args_count) == 1", e) == [0]  # integer division
    assert hits("process where divide(-7, process.args_count) == -1", e) == [0]  # toward zero
    assert hits("process where modulo(-10, 6) == -4", e) == [0]
    assert hits("process where process.args_count + 1 == 5 and process.args_count * 2 == 8", e) == [0]
    assert hits("process where add(process.args_count, process.nothing) == 4", e) == []


def test_string_functions():
    e = proc(process__name="regsvr32.exe", file__path="C:\\Windows\\System32\\cmd.exe", url__domain="sub.example.com")
    assert hits('process where startsWith(process.name, "reg")', e) == [0]
    assert hits('process where startsWith(process.name, "REG")', e) == []
    assert hits('process where startsWith~(process.name, "REG")', e) == [0]
    assert hits('process where endsWith~(process.name, ".EXE") and not endsWith(process.name, ".EXE")', e) == [0]
    assert hits('process where stringContains(process.name, "svr") and not stringContains(process.name, "SVR")', e) == [0]
    assert hits('process where stringContains~(process.name, "SVR")', e) == [0]
    assert hits('process where length(process.name) == 12', e) == [0]
    assert hits('process where concat(process.name, "-", 1) == "regsvr32.exe-1"', e) == [0]
    assert hits('process where concat(process.name, process.missing) == "regsvr32.exe"', e) == []
    assert hits('process where substring(process.name, -4) == ".exe"', e) == [0]
    assert hits('process where substring(process.name, 0, 3) == "reg"', e) == [0]
    assert hits('process where indexOf(url.domain, ".", 4) == 11', e) == [0]
    assert hits('process where indexOf(url.domain, "z") >= 0', e) == []  # not found: null, the leaf is false
    assert hits('process where indexOf(url.domain, "z") == null', e) == [0]
    assert hits('process where between(file.path, "System32\\\\", ".exe") == "cmd"', e) == [0]
    assert hits('process where between~(file.path, "system32\\\\", ".EXE") == "cmd"', e) == [0]
    assert hits('process where number("0x1F") == 31 and number(" -42 ") == -42', e) == [0]
    assert hits('process where stringContains(process.name, "")', e) == []
    assert hits('process where number("1F", 16) == 31 and number("42") == 42', e) == [0]
    assert hits('process where string(42) == "42"', e) == [0]
    assert hits('process where wildcard(process.name, "REG*") or wildcard~(process.name, "REG*")', e) == [0]
    assert hits('process where wildcard(process.name, "REG*")', e) == []


def test_cidr_match():
    e = {"event.category": ["network"], "source.ip": ["192.168.152.12"]}
    assert hits('network where cidrMatch(source.ip, "10.0.0.0/8", "192.168.0.0/16")', e) == [0]
    assert hits('network where cidrMatch(source.ip, "10.0.0.0/8")', e) == []
    assert hits('network where not cidrMatch(source.ip, "10.0.0.0/8")', e) == [0]


def test_unsupported_constructs_raise():
    with pytest.raises(ExecutionError, match="joins are not run"):
        hits('join [process where true] [network where true]', proc())
    with pytest.raises(ExecutionError, match="pipes"):
        hits('process where true | head 1', proc())
    with pytest.raises(ExecutionError, match="not supported"):
        hits('process where fooBar(process.name)', proc())
    with pytest.raises(ExecutionError, match="does not parse"):
        hits('process where (', proc())


def test_nested_ecs_events_are_flattened():
    nested = {"event": {"category": ["process"]}, "process": {"name": "a.exe", "args": ["a", "-r"],
                                                              "parent": {"name": "b.exe"}}}
    assert flatten_ecs(nested)["process.parent.name"] == ["b.exe"]
    assert hits('process where process.parent.name == "b.exe" and process.args == "-r"', nested) == [0]


def test_seed_rule(seed_rule):
    query = tomllib.loads(seed_rule.read_text())["rule"]["query"]
    base = dict(host__os__type="windows", process__name="node.exe",
                process__executable="C:\\Users\\bob\\AppData\\Roaming\\node.exe")
    good = proc(**base, process__args=["node.exe", "a.js"])
    no_js = proc(**base, process__args=["node.exe", "a.txt"])
    preload = proc(**{**base, "process__executable": "D:\\tools\\node.exe"},
                   process__args=["node.exe", "-r", "x"], process__parent__name="PowerShell.exe")
    by_pe = proc(host__os__type="windows", process__name="renamed.exe", process__pe__original_file_name="node.exe",
                 process__executable="D:\\x.exe", process__command_line="x -e eval(atob('...'))")
    by_pe_case = proc(host__os__type="windows", process__name="renamed.exe",
                      process__pe__original_file_name="NODE.EXE", process__command_line="x eval(y)")
    assert hits(query, good, no_js, preload, by_pe, by_pe_case) == [0, 2, 3]


def test_caseless_fields_normalize_query_constants():
    e = proc(process__executable__caseless="c:\\tools\\node.exe")
    assert hits(r'process where process.executable.caseless == "C:\\Tools\\NODE.exe"', e) == [0]
    assert hits(r'process where process.executable.caseless like "C:\\*\\NODE.exe"', e) == [0]
    assert hits(r'process where process.executable.caseless in ("C:\\TOOLS\\NODE.EXE")', e) == [0]
    # a regexp pattern goes through the normalizer too, as one text (the keyword field's
    # indexedValueForSearch): upper case in it matches, and `\\W` becomes `\\w`
    assert hits(r'process where process.executable.caseless regex "C:.*"', e) == [0]
    assert hits(r'process where process.executable.caseless regex "c:.*"', e) == [0]
    assert hits(r'process where process.executable.caseless regex "c\\W.*"', e) == []  # ":" is \W, not \w


def test_case_insensitive_leaves_fold_ascii_only():
    e = proc(process__name="ÉCHO.EXE", process__title="\u212aernel")
    assert hits('process where process.name : "écho.exe"', e) == []
    assert hits('process where process.name : "É*.exe"', e) == [0]
    assert hits('process where process.name like~ "?cho.exe"', e) == [0]
    assert hits('process where process.name in~ ("écho.EXE")', e) == []
    assert hits('process where process.title : "kernel"', e) == []  # the Kelvin sign is not a k to Elasticsearch
    assert hits('process where process.name regex~ "[a-z]CHO\\\\.exe"', e) == []  # ranges do not fold
    assert hits('process where process.name regex~ "\\\\wCHO.*"', e) == []  # \\w is ASCII
    assert hits('process where process.name regex~ ".CHO\\\\.exe"', e) == [0]


def test_like_without_wildcards_is_an_equality():
    e = proc(process__name="")
    assert hits('process where process.name like ""', e) == [0]  # rewritten to ==
    assert hits('process where process.name : ""', e) == []  # a case-insensitive term "" matches nothing


@pytest.mark.corpus
def test_every_corpus_event_query_compiles_and_runs(corpus_dir):
    """Every function and operator the corpus's EQL event queries use is evaluated, none refused."""
    refused = []
    event_queries = 0
    for path in sorted(corpus_dir.rglob("*.toml")):
        rule = tomllib.loads(path.read_text()).get("rule", {})
        if rule.get("language") != "eql" or rule.get("type") != "eql":
            continue
        query = rule["query"]
        try:
            matched = EX.run(query, [{}, proc(process__name="x.exe")])
            event_queries += 1
            assert matched in ([], [0], [1], [0, 1])
        except ExecutionError as exc:
            if "sequences are not supported" not in str(exc) and "pipes" not in str(exc):
                refused.append(f"{path.name}: {exc}")
    assert event_queries > 800
    assert refused == []


def test_scripts_read_the_first_doc_value_of_an_array():
    # doc values are sorted: the first value of ["x.js", "node.exe"] is "node.exe"
    e = proc(process__args=["x.js", "node.exe"], process__name="x.js")
    assert hits('process where endsWith(process.args, ".js")', e) == [0]          # a query: any element
    assert hits('process where endsWith(concat(process.args, ""), ".js")', e) == []  # a script: first value
    assert hits("process where length(process.args) == 8", e) == [0]
    assert hits("process where length(process.args) == 4", e) == []
    assert hits("process where process.name == process.args", e) == []            # field vs field: a script
    assert hits('process where process.args == "x.js"', e) == [0]                  # field vs constant: a query
    # sorting is by UTF-8 bytes: upper case before lower case
    f = proc(process__args=["node.exe", "C:\\a.js"])
    assert hits('process where startsWith(string(process.args), "C:")', f) == [0]


def test_the_category_field_is_a_parameter_as_event_category_override_sets_it():
    # Elastic's event_category_override (Elasticsearch's event_category_field): `info where` reads event.type
    bucket = {"event.type": ["info"], "event.action": ["PutBucketVersioning"]}          # no event.category
    iam = {"event.category": ["iam"], "event.type": ["user", "creation"], "event.action": ["CreateUser"]}
    both = {"event.category": ["info"], "event.type": ["access"], "event.action": ["GetUser"]}
    by_type = EqlExecutor(category_field="event.type")
    assert by_type.run('info where event.action != null', [bucket, iam, both]) == [0]
    assert EX.run('info where event.action != null', [bucket, iam, both]) == [2]       # the default: event.category
    assert by_type.run('user where true', [bucket, iam, both]) == [1]                  # any element, exact
    assert by_type.run('User where true', [bucket, iam, both]) == []
    assert by_type.run('any where true', [bucket, iam, both]) == [0, 1, 2]

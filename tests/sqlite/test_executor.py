"""The Sigma-in-SQLite executor against its documented rules."""

from __future__ import annotations

import pytest

from converters.engine.executor import ExecutionError
from converters.emit.pipelines import sigma_records
from converters.sqlite.executor import SigmaSqliteExecutor

HEAD = "title: t\nlogsource: {category: process_creation, product: windows}\ndetection:\n"


def rule(detection: str) -> str:
    return HEAD + detection


@pytest.fixture(scope="module")
def sigma():
    return SigmaSqliteExecutor()


def run(ex, detection, events):
    return ex.run(rule(detection), events)


IMAGES = [
    {"Image": "C:\\Windows\\System32\\cmd.exe"},   # 0
    {"Image": "C:\\WINDOWS\\system32\\CMD.EXE"},   # 1
    {"Image": "C:\\tools\\node.exe"},               # 2
    {},                                             # 3: no Image at all
]


def test_plain_value_is_case_insensitive(sigma):
    det = "  s:\n    Image: 'c:\\windows\\system32\\cmd.exe'\n  condition: s"
    assert run(sigma, det, IMAGES) == [0, 1]
    det = "  s:\n    OriginalFileName: CMD.exe\n  condition: s"
    assert run(sigma, det, [{"OriginalFileName": "cmd.exe"}, {"OriginalFileName": "Cmd.Exe"}]) == [0, 1]


def test_stock_backend_equality_would_be_case_sensitive(sigma):
    """The reason for the subclass: the stock `f='v'` misses differently-cased values."""
    from sigma.backends.sqlite import sqliteBackend
    from sigma.collection import SigmaCollection

    text = rule("  s:\n    OriginalFileName: CMD.exe\n  condition: s")
    [stock] = sqliteBackend().convert(SigmaCollection.from_yaml(text))
    events = [{"OriginalFileName": "cmd.exe"}]
    assert sigma.run_sql([stock], events) == []
    assert sigma.run(text, events) == [0]


def test_case_folding_is_ascii_only(sigma):
    det = "  s:\n    User: 'élodie'\n  condition: s"
    assert run(sigma, det, [{"User": "élodie"}, {"User": "Élodie"}, {"User": "ÉLODIE"}]) == [0]
    det = "  s:\n    User|startswith: 'él'\n  condition: s"
    assert run(sigma, det, [{"User": "Élodie"}, {"User": "éLodie"}]) == [1]


def test_wildcards_star_and_single_char(sigma):
    events = [{"Image": "abc"}, {"Image": "abbc"}, {"Image": "ac"}, {"Image": "ABC"}]
    assert run(sigma, "  s:\n    Image: 'a?c'\n  condition: s", events) == [0, 3]
    assert run(sigma, "  s:\n    Image: 'a*c'\n  condition: s", events) == [0, 1, 2, 3]


def test_literal_percent_underscore_and_escaped_wildcards(sigma):
    events = [{"CommandLine": "x 50%_y"}, {"CommandLine": "x 50abY"}, {"CommandLine": "a*b"}, {"CommandLine": "aXb"}]
    assert run(sigma, "  s:\n    CommandLine|contains: '50%_y'\n  condition: s", events) == [0]
    assert run(sigma, "  s:\n    CommandLine: 'a\\*b'\n  condition: s", events) == [2]


def test_backslashes(sigma):
    assert run(sigma, "  s:\n    Image|endswith: '\\node.exe'\n  condition: s", IMAGES) == [2]
    events = [{"Image": "a\\b"}, {"Image": "a\\\\b"}]
    # in Sigma, `\\` is one literal backslash and a lone `\` is itself
    assert run(sigma, "  s:\n    Image: 'a\\\\\\\\b'\n  condition: s", events) == [1]
    assert run(sigma, "  s:\n    Image: 'a\\\\b'\n  condition: s", events) == [0]
    assert run(sigma, "  s:\n    Image: 'a\\b'\n  condition: s", events) == [0]


def test_cased_uses_glob_case_sensitive(sigma):
    det = "  s:\n    Image|cased: 'C:\\Windows\\System32\\cmd.exe'\n  condition: s"
    assert run(sigma, det, IMAGES) == [0]
    assert "GLOB" in sigma.to_sql(rule(det))[0] and "LIKE" not in sigma.to_sql(rule(det))[0]
    det = "  s:\n    Image|cased|endswith: '\\CMD.EXE'\n  condition: s"
    assert run(sigma, det, IMAGES) == [1]


def test_cased_glob_escapes_metacharacters(sigma):
    events = [{"Image": "a*b[1]?"}, {"Image": "aXb[1]Z"}, {"Image": "aXb1Z"}]
    assert run(sigma, "  s:\n    Image|cased: 'a\\*b[1]\\?'\n  condition: s", events) == [0]
    assert run(sigma, "  s:\n    Image|cased: 'a?b[1]*'\n  condition: s", events) == [0, 1]


def test_regex_unanchored_python_re(sigma):
    events = [{"CommandLine": "node -e eval(x)"}, {"CommandLine": "NODE -E EVAL(X)"}, {}]
    assert run(sigma, "  s:\n    CommandLine|re: 'eval\\('\n  condition: s", events) == [0]
    assert run(sigma, "  s:\n    CommandLine|re|i: 'eval\\('\n  condition: s", events) == [0, 1]
    assert run(sigma, "  s:\n    CommandLine|re: '^node'\n  condition: s", events) == [0]


def test_missing_field_is_null_and_not_folds_it_to_false(sigma):
    det = "  s:\n    Image|endswith: '.exe'\n  f:\n    CommandLine|contains: evil\n  condition: s and not f"
    events = [{"Image": "a.exe", "CommandLine": "evil"}, {"Image": "b.exe"}, {"Image": "c.exe", "CommandLine": "ok"}]
    assert run(sigma, det, events) == [1, 2]
    assert run(sigma, "  s:\n    ParentImage|contains: x\n  condition: s", events) == []


def test_null_and_exists(sigma):
    events = [{"Image": "a"}, {"Image": None}, {}, {"Image": ""}]
    assert run(sigma, "  s:\n    Image: null\n  condition: s", events) == [1, 2]
    assert run(sigma, "  s:\n    Image|exists: true\n  condition: s", events) == [0, 3]


def test_integers_keep_their_type(sigma):
    events = [{"ProcessId": 5}, {"ProcessId": "5"}, {"ProcessId": 6}]
    assert run(sigma, "  s:\n    ProcessId: 5\n  condition: s", events) == [0]
    # SQLite orders every text after every number: the text '5' is "greater than 5"
    assert run(sigma, "  s:\n    ProcessId|gt: 5\n  condition: s", events) == [1, 2]
    assert run(sigma, "  s:\n    ProcessId|lt: 6\n  condition: s", events) == [0]


def test_keywords_unsupported(sigma):
    with pytest.raises(ExecutionError, match="not supported"):
        run(sigma, "  k:\n    - evil\n  condition: k", [{}])


def test_bad_yaml_is_an_error(sigma):
    with pytest.raises(ExecutionError):
        sigma.run("title: [unclosed", [{}])


def test_fields_differing_only_in_case_rejected(sigma):
    with pytest.raises(ExecutionError, match="differ only in case"):
        run(sigma, "  s:\n    Image: x\n  condition: s", [{"Image": "x"}, {"image": "x"}])


SEED_EVENTS = [
    {  # 0: node in AppData running a .js file: appdata (needs process.args)
        "Image": "C:\\Users\\bob\\AppData\\Local\\node.exe", "OriginalFileName": "node.exe",
        "CommandLine": "\"C:\\Users\\bob\\AppData\\Local\\node.exe\" hook.js", "ParentImage": "C:\\x\\explorer.exe",
    },
    {  # 1: node with -r under powershell: preload (needs process.args)
        "Image": "C:\\Program Files\\nodejs\\node.exe", "OriginalFileName": "node.exe",
        "CommandLine": "node.exe -r x.js", "ParentImage": "C:\\Windows\\powershell.exe",
    },
    {  # 2: eval( in the command line: cmdline
        "Image": "C:\\Program Files\\nodejs\\NODE.EXE", "OriginalFileName": "node.exe",
        "CommandLine": "node -e eval(atob('x'))", "ParentImage": "C:\\x\\explorer.exe",
    },
    {  # 3: not node at all
        "Image": "C:\\Windows\\cmd.exe", "OriginalFileName": "Cmd.Exe",
        "CommandLine": "cmd /c eval(", "ParentImage": "C:\\Windows\\powershell.exe",
    },
]


@pytest.fixture(scope="module")
def seed_sigma(seed_rule) -> str:
    from converters.load import load_rule
    from converters.translate import translate_rule

    return translate_rule(load_rule(seed_rule)).sigma_yaml


def test_seed_without_approximations_never_matches_custom_fields(seed_sigma):
    # process.args is NULL in every Sysmon event: the appdata and preload branches are dead;
    # event.type (the seed's `event.type == "start"`, kept in the detection) is NULL too
    assert SigmaSqliteExecutor().run(seed_sigma, SEED_EVENTS) == []
    no_start = seed_sigma.replace("    event.type|cased: start\n", "    CommandLine|exists: true\n")
    assert SigmaSqliteExecutor().run(no_start, SEED_EVENTS) == [2]


def test_seed_with_the_records_pipeline_reads_argv_one_value_per_line(seed_sigma):
    ex = SigmaSqliteExecutor(sigma_records)
    sql = ex.to_sql(seed_sigma)[0]
    assert "`process.args` REGEXP '(?m)^" in sql
    argv = [["C:\\Users\\bob\\AppData\\Local\\node.exe", "hook.js"], ["node.exe", "-r", "x.js"],
            ["node", "-e", "eval(atob('x'))"], ["cmd", "/c", "eval("]]
    # the records hold ECS columns: the seed's kept `event.type == "start"` reads event.type
    events = [{**e, "event.type": "start", "process.args": "\n".join(a)} for e, a in zip(SEED_EVENTS, argv)]
    assert ex.run(seed_sigma, events) == [0, 1, 2]


def test_the_rules_logsource_selects_the_records():
    text = "title: t\nlogsource: {category: process_creation, product: linux}\n" \
           "detection:\n  s:\n    Image|endswith: /bash\n  condition: s\n"
    events = [{"Image": "/bin/bash", "sigma.category": "process_creation", "sigma.product": "linux"},
              {"Image": "/bin/bash", "sigma.category": "process_creation", "sigma.product": "macos"},
              {"Image": "/bin/bash", "sigma.category": "file_event", "sigma.product": "linux"},
              {"Image": "/bin/bash"}]  # names no logsource: read by every rule
    assert SigmaSqliteExecutor(sigma_records).run(text, events) == [0, 3]
    anyos = text.replace(", product: linux", "")
    assert SigmaSqliteExecutor().run(anyos, events) == [0, 1, 3]
    # a product that is no OS (a cloud service) does not select by OS
    cloud = text.replace("{category: process_creation, product: linux}", "{product: aws, service: cloudtrail}")
    assert SigmaSqliteExecutor().run(cloud, events) == [0, 1, 2, 3]


def test_a_quoted_number_matches_a_numeric_column(sigma):
    assert run(sigma, "  s:\n    ProcessId: '5'\n  condition: s\n", [{"ProcessId": 5}, {"ProcessId": 6}]) == [0]


def test_records_pipeline_reads_ecs_arrays_one_value_per_line_and_caseless_as_the_field():
    ex = SigmaSqliteExecutor(sigma_records)
    events = [{"event.type": "access\ncreation", "process.name": "PING.EXE"}, {"event.type": "access"}]
    assert ex.run(rule("  s:\n    event.type|cased: creation\n  condition: s\n"), events) == [0]
    assert ex.run(rule("  s:\n    event.type|cased: access\n  condition: s\n"), events) == [0, 1]
    assert ex.run(rule("  s:\n    process.name.caseless|cased: ping.exe\n  condition: s\n"), events) == [0]


def test_a_regex_on_an_ecs_array_stays_within_one_value():
    ex = SigmaSqliteExecutor(sigma_records)
    events = [{"process.args": "/bin/shred\n-uz"}, {"process.args": "/bin/shred\n-x\nfoo-u"}]
    assert ex.run(rule("  s:\n    process.args|re: '^-[^-]*u'\n  condition: s\n"), events) == [0]
    assert ex.run(rule("  s:\n    process.args|re: 'shred.-'\n  condition: s\n"), events) == []


def test_every_ecs_array_field_is_read_one_value_per_line():
    # process.env_vars is an ECS array (normalize: array) that Elastic Defend does not add: ECS's own list counts
    ex = SigmaSqliteExecutor(sigma_records)
    events = [{"process.env_vars": "other\nLD_PRELOAD=x"}, {"process.env_vars": "LD_PRELOAD="}]
    assert ex.run(rule("  s:\n    process.env_vars|startswith: LD_PRELOAD=?\n  condition: s\n"), events) == [0]


def test_a_bare_user_name_matches_a_windows_record_s_domain_qualified_user_unless_the_rule_is_for_linux():
    ex = SigmaSqliteExecutor(sigma_records)
    events = [{"User": "NT AUTHORITY\\SYSTEM", "sigma.product": "windows"}, {"User": "SYSTEM", "sigma.product": "linux"}]
    detection = "detection:\n  s:\n    User: system\n  condition: s\n"
    for product, found in ((None, [0, 1]), ("windows", [0]), ("linux", [1])):
        logsource = "{category: file_event" + (f", product: {product}" if product else "") + "}"
        assert ex.run(f"title: t\nlogsource: {logsource}\n{detection}", events) == found
    linux = "title: t\nlogsource: {category: file_event, product: linux}\n" + detection
    assert ex.to_sql(linux) == SigmaSqliteExecutor().to_sql(linux)   # no DOMAIN\ reading for Linux records

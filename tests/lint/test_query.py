"""Query checks: EQL and KQL parse (error on the query's own line), ECS fields, OS tags."""


import pytest

from converters.lint.runner import Options, lint_files
from tests.support import SEED_RULE

SEED = SEED_RULE
SEED_TEXT = SEED.read_text()


def edit(text, old, new):
    assert old in text, old
    return text.replace(old, new, 1)


def lint_text(tmp_path, text, group, name="execution_case.toml"):
    p = tmp_path / name
    p.write_text(text)
    return [f for f in lint_files([(str(p), str(p))], Options(jobs=1)) if f.code.startswith(group)]


def line_of(text, needle):
    return next(n for n, line in enumerate(text.split("\n"), 1) if needle in line)


def kql_rule(query, tags_os="Windows"):
    text = edit(SEED_TEXT, 'type = "eql"', 'type = "query"')
    text = edit(text, 'language = "eql"', 'language = "kuery"')
    text = edit(text, '"OS: Windows"', f'"OS: {tags_os}"')
    start = text.index("query = '''")
    end = text.index("'''", start + 11) + 3
    return text[:start] + "query = '''\n" + query + "\n'''" + text[end:]


def test_eql_syntax_error_on_the_line_inside_the_query(tmp_path):
    text = edit(SEED_TEXT, '(process.args : "-r" and', '(process.args : "-r" and and')
    found = lint_text(tmp_path, text, "query/")
    assert [f.code for f in found] == ["query/eql-syntax"]
    assert found[0].line == line_of(text, "and and")


def test_eql_corpus_constructs_parse(tmp_path):
    seq = ('sequence by host.id with maxspan=1m\n [process where host.os.type == "windows" and process.name : "a.exe"] '
           'with runs=2\n ![process where host.os.type == "windows" and process.name : "b.exe"]')
    text = edit(SEED_TEXT, SEED_TEXT[SEED_TEXT.index("query = '''"):SEED_TEXT.index("'''\nnote")],
                "query = '''\n" + seq + "\n")
    assert lint_text(tmp_path, text, "query/") == []


def test_kql_syntax_error_and_clean_kql(tmp_path):
    bad = kql_rule('host.os.type:windows and\n(process.name:"a.exe"))')
    found = lint_text(tmp_path, bad, "query/")
    assert [f.code for f in found] == ["query/kql-syntax"]
    assert found[0].line == line_of(bad, '(process.name:"a.exe"))')
    good = kql_rule('host.os.type:windows and process.name:"a.exe"')
    assert lint_text(tmp_path, good, "query/") == []


def test_esql_is_reported_as_not_checked(tmp_path):
    text = edit(edit(SEED_TEXT, 'type = "eql"', 'type = "esql"'), 'language = "eql"', 'language = "esql"')
    found = lint_text(tmp_path, text, "query/")
    assert [(f.code, f.severity) for f in found] == [("query/not-checked", "info")]


def test_unknown_ecs_field_is_a_warning_other_namespaces_are_not_checked(tmp_path):
    text = edit(SEED_TEXT, 'process.args : "*.js"', 'process.argz : "*.js" and winlog.event_data.Foo : "x" and '
                'process.Ext.token.integrity_level_name : "high" and labels.team : "x"')
    found = lint_text(tmp_path, text, "ecs/")
    assert [(f.code, f.severity) for f in found] == [("ecs/unknown-field", "warning")]
    assert "'process.argz'" in found[0].message
    assert lint_text(tmp_path, SEED_TEXT, "ecs/") == []


def test_kql_fields_are_checked_too(tmp_path):
    found = lint_text(tmp_path, kql_rule('host.os.type:windows and proces.name:"a.exe" and process.name:"b"'), "ecs/")
    assert found == [] or all("proces.name" not in f.message for f in found)  # proces is no field set
    found = lint_text(tmp_path, kql_rule('host.os.type:windows and process.nam:"a.exe"'), "ecs/")
    assert ["'process.nam'" in f.message for f in found] == [True]


@pytest.mark.parametrize("query,tags,bad", [
    ('host.os.type:windows and process.name:"a.exe"', "Windows", False),
    ('host.os.type:linux and process.name:"a"', "Windows", True),
    ('host.os.type:(linux or macos) and process.name:"a"', "Linux", True),
    ('(host.os.type:windows and process.name:"a") or process.name:"b"', "Linux", False),   # not pinned
    ('not host.os.type:windows and process.name:"a"', "Linux", False),
])
def test_os_tags_agree_with_kql(tmp_path, query, tags, bad):
    found = lint_text(tmp_path, kql_rule(query, tags), "tags/os")
    assert [f.code for f in found] == (["tags/os-query"] if bad else [])


def test_os_tags_agree_with_eql(tmp_path):
    text = edit(SEED_TEXT, '"OS: Windows",', '"OS: Windows",\n "OS: macOS",')
    found = lint_text(tmp_path, text, "tags/os")
    assert [f.code for f in found] == ["tags/os-query"]
    assert "macOS" in found[0].message and found[0].line == line_of(text, '"OS: macOS"')
    assert lint_text(tmp_path, SEED_TEXT, "tags/os") == []


def test_unknown_field_is_placed_on_its_query_line(tmp_path):
    text = edit(SEED_TEXT, '(process.args : "-r" and', '(process.argz : "-r" and')
    found = lint_text(tmp_path, text, "ecs/")
    assert [(f.code, f.line) for f in found] == [("ecs/unknown-field", line_of(text, "process.argz"))]


def test_syntax_error_is_on_the_file_line_with_the_query_position_beside_it(tmp_path):
    text = edit(SEED_TEXT, '(process.args : "-r" and', '(process.args : "-r" and and')
    (found,) = lint_text(tmp_path, text, "query/")
    query_start = line_of(text, "query = " + "'" * 3) + 1
    assert found.line == line_of(text, '"-r" and and')
    assert found.within.startswith(f"query line {found.line - query_start + 1}, column ")
    column = int(found.within.rsplit(" ", 1)[1])
    # inside a literal string the query's columns are the file's: the parser stopped at the token after `and and`
    assert text.split("\n")[found.line - 1][column - 1:].startswith("process.parent.name")
    assert found.where.endswith(f".toml:{found.line} [{found.within}]")
    assert "at line" not in found.message and found.message.startswith("EQL syntax error")


def test_query_key_line_with_other_query_keys_around(tmp_path):
    from converters.lint.checks_query import query_key_line
    from converters.load import load_rule

    text = SEED_TEXT + '\n[[transform.osquery]]\nlabel = "x"\nquery = "select 1"\n'
    p = tmp_path / "r.toml"
    p.write_text(text)
    rf = load_rule(p)
    assert query_key_line(rf) == line_of(text, "query = '''") == rf.line_of(("rule", "query"))
    p.write_text(SEED_TEXT)
    assert query_key_line(load_rule(p)) == line_of(SEED_TEXT, "query = '''")


def test_threat_query_of_an_indicator_match_rule_parses(tmp_path):
    base = kql_rule('host.os.type:windows and process.name:"a.exe"')
    base = edit(base, 'type = "query"', 'type = "threat_match"\nthreat_index = ["logs-ti_*"]\n'
                'threat_indicator_path = "threat.indicator"\nthreat_language = "kuery"\n'
                'threat_query = "@timestamp >= \\"now-30d/d\\" and event.category:threat"')
    mapping = ('\n[[rule.threat_mapping]]\n[[rule.threat_mapping.entries]]\nfield = "process.hash.sha256"\n'
               'type = "mapping"\nvalue = "threat.indicator.file.hash.sha256"\n')
    assert lint_text(tmp_path, base + mapping, "query/") == []
    broken = edit(base, 'event.category:threat"', 'event.category:(threat"')
    found = lint_text(tmp_path, broken + mapping, "query/")
    assert [(f.code, f.line) for f in found] == [("query/kql-syntax", line_of(broken, "threat_query ="))]
    assert found[0].within.startswith("threat_query line 1, column ")

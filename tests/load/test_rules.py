"""converters.load: rule files to data with key lines."""

from pathlib import Path

import pytest

from converters.errors import RuleLoadError
from converters.load import index_lines, iter_rule_paths, load_rule
from tests.support import SEED_RULE

SEED = SEED_RULE


def test_seed_lines_point_at_keys_and_headers():
    rf = load_rule(SEED)
    lines = rf.text.split("\n")
    assert lines[rf.line_of(("rule", "risk_score")) - 1].startswith("risk_score = 73")
    assert lines[rf.line_of(("rule",)) - 1] == "[rule]"
    sub = rf.line_of(("rule", "threat", 0, "technique", 0, "subtechnique", 0, "id"))
    assert lines[sub - 1] == 'id = "T1059.007"'
    assert lines[rf.line_of(("rule", "threat", 0, "tactic", "id")) - 1] == 'id = "TA0002"'
    # a key with no line of its own falls back to its table
    assert rf.line_of(("rule", "tags", 3)) == rf.line_of(("rule", "tags"))


def test_multiline_strings_do_not_hide_or_invent_keys():
    text = 'a = """\nb = 1\n"""\nc = 2\n[t]\nd = \'\'\'x\n[u]\n\'\'\'\n'
    lines = index_lines(text)
    assert lines[("a",)] == 1 and lines[("c",)] == 4 and lines[("t", "d")] == 6
    assert ("b",) not in lines and ("u",) not in lines


def test_array_of_tables_are_indexed():
    text = "[[r.t]]\nx = 1\n[[r.t]]\nx = 2\n[r.t.s]\ny = 3\n"
    lines = index_lines(text)
    assert lines[("r", "t", 0, "x")] == 2
    assert lines[("r", "t", 1, "x")] == 4
    assert lines[("r", "t", 1, "s", "y")] == 6


def test_toml_syntax_error_names_file_and_line(tmp_path):
    p = tmp_path / "bad.toml"
    p.write_text('[rule]\nname = "x"\nrisk_score = = 3\n')
    with pytest.raises(RuleLoadError) as exc:
        load_rule(p, "shown/bad.toml")
    assert exc.value.path == "shown/bad.toml"
    assert exc.value.line == 3
    assert exc.value.code == "toml/syntax"
    assert "(at line" not in exc.value.message


def test_non_utf8_is_reported_with_its_line(tmp_path):
    p = tmp_path / "latin.toml"
    p.write_bytes(b'[rule]\nname = "caf\xe9"\n')
    with pytest.raises(RuleLoadError) as exc:
        load_rule(p)
    assert exc.value.code == "file/encoding" and exc.value.line == 2


def test_iter_rule_paths_recurses_and_keeps_the_spelling(tmp_path):
    (tmp_path / "a" / "b").mkdir(parents=True)
    (tmp_path / "a" / "b" / "r.toml").write_text("")
    (tmp_path / "a" / "x.txt").write_text("")
    arg = str(tmp_path / "a")
    got = [shown for _, shown in iter_rule_paths(arg)]
    assert got == [str(Path(arg) / "b" / "r.toml")]
    assert list(iter_rule_paths(str(tmp_path / "empty_dir_missing.toml"))) != []


@pytest.mark.parametrize("text", [
    "a = 1\na = 2\n",                 # duplicate key
    "a = [1, 2\n",                     # unclosed array
    "[t]\nx = 1\n[t]\n",             # table defined twice
    'a = "unterminated\n',
    "a = 1979-13-45\n",                # bad date
    "a = { b = 1 c = 2 }\n",           # missing comma in an inline table
])
def test_invalid_toml_is_refused_like_tomllib_refuses_it(tmp_path, text):
    import tomllib

    p = tmp_path / "r.toml"
    p.write_text(text)
    with pytest.raises(tomllib.TOMLDecodeError):
        tomllib.loads(text)
    with pytest.raises(RuleLoadError) as exc:
        load_rule(p)
    assert exc.value.code == "toml/syntax" and exc.value.line is not None


def test_fast_parser_gives_tomllib_s_data():
    # tomli (compiled) is the parser; tomllib, its standard-library twin, the reference
    import tomllib

    from converters.load import parse_toml

    text = SEED.read_text() + '\n[x]\nd = 1979-05-27\nt = 07:32:00\nf = 1.5e3\ni = 0x1F\nm = """a\\\n  b"""\n'
    assert parse_toml(text) == tomllib.loads(text)


def test_eql_fields_read_a_rule_s_overrides_and_default_to_elasticsearch_s():
    from converters.load import EqlFields, eql_fields

    assert eql_fields({}) == EqlFields("event.category", "@timestamp", None)
    assert not eql_fields({"event_category_override": "  "}).category_overridden
    fields = eql_fields({"event_category_override": "event.type", "timestamp_field": "event.created",
                         "tiebreaker_field": "event.sequence"})
    assert fields == EqlFields("event.type", "event.created", "event.sequence") and fields.category_overridden

"""One line reference everywhere: validate and convert name the same file line for the same query
error, with the position inside the query beside it (`x.toml:58 [query line 8, column 31]`)."""

from __future__ import annotations

import json

import pytest

from converters.cli import main
from tests.lint.test_query import kql_rule
from tests.support import SEED_RULE

SEED_TEXT = SEED_RULE.read_text()
EQL_BROKEN = SEED_TEXT.replace('(process.args : "-r" and process.parent.name',
                               '(process.args : "-r" and and process.parent.name')
KQL_BROKEN = kql_rule('process.name : "a.exe" and\n  process.args:)x')
ONE_LINE_KQL = kql_rule("x").replace("query = '''\nx\n'''", 'query = "process.name : (a or"')


def line_of(text: str, needle: str) -> int:
    return text[: text.index(needle)].count("\n") + 1


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize("text, needle, within", [
    (EQL_BROKEN, '"-r" and and', "query line 8, column 31"),
    (KQL_BROKEN, "process.args:)x", "query line 2, column 16"),
    (ONE_LINE_KQL, 'query = "process.name', "query line 1, column "),
])
def test_validate_and_convert_give_the_same_place(tmp_path, capsys, text, needle, within):
    path = tmp_path / "execution_x.toml"
    path.write_text(text)
    line = line_of(text, needle)

    _, out, _ = run(capsys, "validate", str(path), "--format", "json")
    (finding,) = [f for f in json.loads(out)["findings"] if f["code"].endswith("-syntax")]
    assert finding["line"] == line and finding["within"].startswith(within)

    code, out, err = run(capsys, "convert", str(path), "--target", "sigma", "--format", "json")
    (error,) = json.loads(out)["rules"][0]["errors"]
    assert code == 1 and error["code"] == "translate/query-syntax"
    assert (error["line"], error["within"]) == (finding["line"], finding["within"])
    assert "at line" not in error["message"] and error["message"] == finding["message"]

    reference = f"{path}:{line} [{finding['within']}]"
    _, out, _ = run(capsys, "validate", str(path))
    assert out.startswith(f"{reference}: error: ")
    assert f"{reference}: error: {error['message']} [translate/query-syntax]" in err.splitlines()


def test_a_refusal_is_placed_on_the_query(tmp_path, capsys):
    path = tmp_path / "execution_seq.toml"
    text = SEED_TEXT.replace("process where host.os.type", "sequence [process where true] [process where host.os.type"
                             ).replace("\n)\n'''", "\n)] until [process where true]\n'''")
    path.write_text(text)
    code, _, err = run(capsys, "convert", str(path), "--target", "sigma")
    assert code == 1
    assert f"{path}:{line_of(text, 'query =')}: error: `until` ends pending sequences" in err

"""--help shows worked examples that really parse; convert ends with a summary line on stderr."""

from __future__ import annotations

import json
import shlex
import shutil

import pytest

from converters.cli import COMMANDS, build_parser, main
from tests.support import SEED_RULE

NAMES = ["validate", "convert", "targets", "test", "fixtures", "prove", "package"]


def help_text(capsys, *argv) -> str:
    with pytest.raises(SystemExit) as exit_:
        main([*argv, "--help"])
    assert exit_.value.code == 0
    return capsys.readouterr().out


def examples(text: str) -> list[str]:
    tail = text.split("examples:\n", 1)[1]
    return [line.strip() for line in tail.splitlines() if line.startswith("  ruleport ")]


def test_every_command_is_covered():
    assert [m.__name__.rsplit(".", 1)[1] for m in COMMANDS] == ["validate", "convert", "targets", "matrix", "fixtures", "prove",
                                                              "package"]


@pytest.mark.parametrize("command", [None, *NAMES])
def test_help_has_examples_that_parse(capsys, command):
    text = help_text(capsys, *([command] if command else []))
    found = examples(text)
    assert len(found) >= (3 if command is None else 2)
    for line in found:
        argv = shlex.split(line.split(" > ")[0])[1:]           # the command line without a shell redirect
        args, extra = build_parser().parse_known_args(argv)
        assert extra == [], line
        if command:
            assert args.command == command


def test_top_level_help_states_the_exit_codes(capsys):
    assert "exit codes: 0 success" in help_text(capsys)


def test_convert_ends_with_a_summary_line_on_stderr(capsys, tmp_path):
    rules = tmp_path / "rules"
    rules.mkdir()
    shutil.copy(SEED_RULE, rules / "good.toml")
    (rules / "broken.toml").write_text("[rule\n")
    (rules / "seq.toml").write_text(SEED_RULE.read_text().replace(
        "process where host.os.type", "sequence [process where true] [process where host.os.type"
    ).replace("\n)\n'''", "\n)] until [process where true]\n'''"))
    code = main(["convert", str(rules), "--target", "sigma", "--target", "esql", "--format", "json"])
    out, err = capsys.readouterr()
    assert code == 1
    assert len(json.loads(out)["rules"]) == 3                 # stdout: the JSON document alone
    assert err.splitlines()[-1] == ("convert: 3 rules; converted per target: sigma 1, esql 1; "
                                    "refusals by code: toml/syntax 1, translate/until 1")
    main(["convert", str(rules / "good.toml"), "--target", "sigma"])
    out, err = capsys.readouterr()
    assert out.startswith("=== ") and err.splitlines()[-1] == "convert: 1 rule; converted per target: sigma 1"

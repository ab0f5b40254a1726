"""The `ruleport` command: argument parsing and exit codes only.

Each subcommand lives in its own module (named after the command; `test`'s
is `matrix`) exposing `add_parser(subparsers)` and `run(args) -> int`, which
imports what the command needs when it runs. Exit codes, for every command:
0 success (warnings allowed), 1 findings or failures in the input, 2 usage
errors and I/O failures (a missing PATH, an unwritable --out).

No user error ends in a traceback: a RuleportError is one `ruleport: error:`
line; an OSError that escapes a command (a full disk, a closed pipe) too.
Unknown commands, option values, options, targets and TOML keys get a
"did you mean" from difflib, in the same words everywhere
(converters.errors.did_you_mean).
"""

from __future__ import annotations

import argparse
import os
import sys

from converters import __version__
from converters.cli import common, convert, fixtures, matrix, package, prove, targets, validate
from converters.cli.common import EXIT_FINDINGS, EXIT_OK, EXIT_USAGE
from converters.errors import RuleportError, UsageError, closest, did_you_mean

# the command modules, in the order `--help` lists them
COMMANDS = (validate, convert, targets, matrix, fixtures, prove, package)

EXAMPLES = """\
examples:
  ruleport validate rules
      check every rule below rules/ (schema, ATT&CK, conventions, queries)
  ruleport validate rules --changed-since origin/main --format github
      check what a pull request changed, as annotations on its diff
  ruleport convert rules/windows/x.toml --target splunk
      the rule as Sigma, then as a Splunk search, with every approximation noted

exit codes: 0 success (warnings allowed), 1 findings or failures in the input,
            2 usage errors and unwritable output
Run `ruleport COMMAND --help` for a command's options and examples."""


class _Parser(argparse.ArgumentParser):
    def error(self, message):
        self.print_usage(sys.stderr)
        print(f"{self.prog}: error: {message}", file=sys.stderr)
        raise SystemExit(EXIT_USAGE)

    def _check_value(self, action, value):
        # argparse's "invalid choice" with the nearest choice suggested, worded as every other
        # unknown name is (common.unknown)
        if action.choices is not None and value not in action.choices:
            if isinstance(action, argparse._SubParsersAction):
                raise argparse.ArgumentError(None, common.unknown("command", value, action.choices))
            raise argparse.ArgumentError(action, f"unknown value {value!r}{did_you_mean(value, action.choices)}; "
                                                 f"choose from {', '.join(map(str, action.choices))}")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="ruleport", description="Detection rules as code: validate, translate, emit, prove.",
                     epilog=EXAMPLES, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--version", action="version", version=f"ruleport {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    sub.required = True
    for module in COMMANDS:
        p = module.add_parser(sub)
        p.set_defaults(_run=module.run, _parser=p)
    return parser


def _unrecognized(parser: argparse.ArgumentParser, extra: list[str]) -> None:
    """Options the command does not have, each with the nearest one it has."""
    known = [o for o in parser._option_string_actions if o.startswith("--")]
    words = []
    for arg in extra:
        near = closest(arg.split("=", 1)[0], known) if arg.startswith("-") else None
        words.append(f"{arg} (did you mean {near}?)" if near else arg)
    parser.error("unrecognized arguments: " + " ".join(words))


def _quiet_stdout() -> None:
    """Point stdout at /dev/null, so that Python's flush at exit does not fail a second time."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args, extra = parser.parse_known_args(argv)
    if extra:
        _unrecognized(args._parser, extra)
    try:
        code = args._run(args)
        sys.stdout.flush()
        return code
    except UsageError as exc:
        print(f"ruleport: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except RuleportError as exc:
        print(f"ruleport: error: {exc}", file=sys.stderr)
        return EXIT_FINDINGS
    except KeyboardInterrupt:
        print("ruleport: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # the reader went away (`ruleport ... | head`): not an error of ours or the user's
        _quiet_stdout()
        return EXIT_OK
    except OSError as exc:
        # an I/O failure no command anticipated (stdout on a full disk, say): one line, exit 2
        where = f"{exc.filename}: " if exc.filename else ""
        _quiet_stdout()
        print(f"ruleport: error: {where}{exc.strerror or exc}", file=sys.stderr)
        return EXIT_USAGE


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())

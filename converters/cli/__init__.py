"""The `ruleport` command: argument parsing and exit codes only.

Each subcommand lives in its own module (named after the command; `test`'s
is `matrix`) exposing `add_parser(subparsers)` and `run(args) -> int`, which
imports what the command needs when it runs. Exit codes, for every command:
0 success (warnings allowed), 1 findings or failures in the input, 2 usage
errors.
"""

from __future__ import annotations

import argparse
import sys

from converters import __version__
from converters.cli import convert, matrix, package, prove, targets, validate
from converters.cli.common import EXIT_FINDINGS, EXIT_OK, EXIT_USAGE
from converters.errors import RuleportError, UsageError

# the command modules, in the order `--help` lists them
COMMANDS = (validate, convert, targets, matrix, prove, package)


class _Parser(argparse.ArgumentParser):
    def error(self, message):  # argparse's default is fine, but keep the exit code explicit
        self.print_usage(sys.stderr)
        print(f"{self.prog}: error: {message}", file=sys.stderr)
        raise SystemExit(EXIT_USAGE)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="ruleport", description="Detection rules as code: validate, translate, emit, prove.")
    parser.add_argument("--version", action="version", version=f"ruleport {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    sub.required = True
    for module in COMMANDS:
        p = module.add_parser(sub)
        p.set_defaults(_run=module.run)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args._run(args)
    except UsageError as exc:
        print(f"ruleport: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except RuleportError as exc:
        print(f"ruleport: error: {exc}", file=sys.stderr)
        return EXIT_FINDINGS
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return EXIT_OK


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())

"""`ruleport validate PATH...`: schema and lint checks on Elastic TOML rules.

Exit codes: 0 no finding at or above --fail-on (default: error), 1 at least
one, 2 usage error (a missing PATH, a bad git ref, an unwritable --output).
With --format json|sarif|github only that document goes to stdout; the
summary and other messages go to stderr. --min-severity filters what is
reported, never what is counted in the summary.
"""

from __future__ import annotations

import sys
from pathlib import Path

from converters.cli.common import EXIT_FINDINGS, EXIT_OK, add_command, require_paths, write_output, write_stdout
from converters.errors import SEVERITY_RANK, UsageError
from converters.files import repository_root

FORMATS = ("text", "json", "sarif", "github")
LEVELS = tuple(SEVERITY_RANK)          # info, warning, error


def add_parser(sub):
    p = add_command(
        sub, "validate", help="check Elastic TOML rules: JSON Schema, ATT&CK, conventions, queries",
        description="Check Elastic TOML rules (files, or *.toml below directories). Duplicate rule_id, name "
                    "and file name are sought in the whole repository, even when only some files are named.",
        examples=[
            ("ruleport validate rules", "every rule below rules/, findings as text"),
            ("ruleport validate rules --min-severity warning --fail-on warning",
             "hide info, and fail on warnings too"),
            ("ruleport validate rules --changed-since origin/main --format github",
             "only what a pull request changed, as GitHub annotations (needs fetch-depth: 0)"),
            ("ruleport validate rules --format sarif -o ruleport.sarif", "a SARIF file for code scanning"),
        ])
    p.add_argument("paths", nargs="+", metavar="PATH", help="rule file or directory")
    p.add_argument("--format", choices=FORMATS, default="text", help="output format (default: text)")
    p.add_argument("--changed-since", metavar="REF",
                   help="check only rules added or modified since this git ref (renames followed)")
    p.add_argument("--min-severity", choices=LEVELS, metavar="LEVEL",
                   help="report only findings of LEVEL or above: info, warning, error "
                        "(default: info, or [tool.ruleport] min-severity)")
    p.add_argument("--fail-on", choices=LEVELS, metavar="LEVEL",
                   help="exit 1 when a finding of LEVEL or above is found: info, warning, error "
                        "(default: error, or [tool.ruleport] fail-on)")
    p.add_argument("--config", metavar="FILE",
                   help="pyproject.toml with [tool.ruleport] (default: the nearest one above the first PATH)")
    p.add_argument("--output", "-o", metavar="FILE", help="write the report to FILE instead of stdout")
    p.add_argument("--jobs", "-j", type=int, default=0, metavar="N",
                   help="worker processes (default: one per CPU)")
    return p


def run(args) -> int:
    from converters.lint.config import load_config
    from converters.lint.runner import Options, collect_files, lint_changed, lint_scope, repository_rules
    from converters.report import at_least, render, summary

    require_paths(args.paths)
    if args.config and not Path(args.config).is_file():
        raise UsageError(f"no such configuration file: {args.config}")
    if args.jobs < 0:
        raise UsageError("--jobs must be 0 or more")
    first = Path(args.paths[0])
    config = load_config(args.config, start=first if first.is_dir() else first.parent or ".")
    min_severity = args.min_severity or config.min_severity or "info"
    fail_on = args.fail_on or config.fail_on or "error"
    options = Options(config=config, jobs=args.jobs)
    files = collect_files(args.paths)
    repository = repository_rules(args.paths[0], config)
    if args.changed_since:
        from converters.lint.changes import changed_files

        changed = changed_files(args.changed_since, args.paths[0])
        findings, count = lint_changed(files, changed, options, repository)
    else:
        findings, count = lint_scope(files, options, others=repository)
    from converters.lint.codes import CODES

    text = render(args.format, at_least(findings, min_severity), files=count,
                  rules={c.code: (c.title, c.hint) for c in CODES.values()},
                  root=repository_root(first if first.is_dir() else first.parent))
    if args.output:
        write_output(args.output, text)
    else:
        write_stdout(text)
    print(summary(findings, count, min_severity), file=sys.stderr)
    return EXIT_FINDINGS if at_least(findings, fail_on) else EXIT_OK

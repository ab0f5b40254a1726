"""`ruleport validate PATH...`: schema and lint checks on Elastic TOML rules.

Exit codes: 0 no error (warnings and info allowed), 1 at least one finding
of severity error, 2 usage error (a missing PATH, a bad git ref).
With --format json|sarif|github only that document goes to stdout;
the summary and other messages go to stderr.
"""

from __future__ import annotations

import sys
from pathlib import Path

from converters.cli.common import EXIT_FINDINGS, EXIT_OK, require_paths
from converters.errors import UsageError
from converters.files import atomic_write

FORMATS = ("text", "json", "sarif", "github")


def add_parser(sub):
    p = sub.add_parser("validate", help="check Elastic TOML rules: JSON Schema, ATT&CK, conventions, queries",
                       description="Check Elastic TOML rules (files, or *.toml below directories).")
    p.add_argument("paths", nargs="+", metavar="PATH", help="rule file or directory")
    p.add_argument("--format", choices=FORMATS, default="text", help="output format (default: text)")
    p.add_argument("--changed-since", metavar="REF",
                   help="check only rules added or modified since this git ref (renames followed)")
    p.add_argument("--config", metavar="FILE",
                   help="pyproject.toml with [tool.ruleport] (default: the nearest one above the first PATH)")
    p.add_argument("--output", "-o", metavar="FILE", help="write the report to FILE instead of stdout")
    p.add_argument("--jobs", "-j", type=int, default=0, metavar="N",
                   help="worker processes (default: one per CPU)")
    return p


def run(args) -> int:
    from converters.lint.config import load_config
    from converters.lint.runner import Options, collect_files, lint_changed, lint_files
    from converters.report import render, summary

    require_paths(args.paths)
    if args.config and not Path(args.config).is_file():
        raise UsageError(f"no such configuration file: {args.config}")
    if args.jobs < 0:
        raise UsageError("--jobs must be 0 or more")
    first = Path(args.paths[0])
    options = Options(config=load_config(args.config, start=first if first.is_dir() else first.parent or "."),
                      jobs=args.jobs)
    files = collect_files(args.paths)
    if args.changed_since:
        from converters.lint.changes import changed_files

        changed = changed_files(args.changed_since, args.paths[0])
        findings, count = lint_changed(files, changed, options)
    else:
        findings, count = lint_files(files, options), len(files)
    from converters.lint.codes import CODES

    text = render(args.format, findings, files=count,
                  rules={c.code: (c.title, c.hint) for c in CODES.values()})
    if args.output:
        atomic_write(args.output, text)
    else:
        sys.stdout.write(text)
        sys.stdout.flush()
    print(summary(findings, count), file=sys.stderr)
    return EXIT_FINDINGS if any(f.severity == "error" for f in findings) else EXIT_OK


"""`ruleport package`: the files each platform imports, for every rule and target.

Exit codes, as for convert: 0 every rule packaged for every target asked,
1 a rule (or a target of it) could not be, 2 usage errors and unwritable
output.
"""

from __future__ import annotations

import json
import sys
from collections import Counter

from converters.cli.common import (
    EXIT_FINDINGS,
    EXIT_OK,
    add_command,
    add_speed_options,
    ensure_directory,
    jobs_of,
    pick_targets,
    plural,
    print_summary,
    progress_bar,
    require_paths,
    show_progress,
    summary_line,
    write_stdout,
)
from converters.cli.convert import error_line
from converters.load import iter_rule_paths


def add_parser(sub):
    p = add_command(
        sub, "package", help="write the files each SIEM imports (rules, apps, templates, layers)",
        description="Convert rules and write, per target, the artifacts its platform imports: Kibana rule "
                    "ndjson, a Splunk app, Sentinel analytics rules and an ARM template, Defender XDR detection "
                    "rules, a SigmaHQ-style folder, and an ATT&CK Navigator layer per target. Deployment "
                    "settings come from ruleport.toml or [tool.ruleport] in pyproject.toml (docs/package.md).",
        examples=[("ruleport package rules --out dist",
                   "every target's files under dist/<target>/, and dist/navigator/<target>.json"),
                  ("ruleport package rules/windows --out dist --target kusto-sentinel --settings ruleport.toml",
                   "Sentinel analytics rules and their ARM template, with this repository's table names")])
    p.add_argument("paths", nargs="+", metavar="PATH", help="rule files or directories (*.toml, recursively)")
    p.add_argument("--out", metavar="DIR", required=True, help="where to write DIR/<target>/... and DIR/navigator/")
    p.add_argument("--target", action="append", metavar="NAME",
                   help="a target (repeatable; default: all). See `ruleport targets`.")
    p.add_argument("--pipeline", action="append", metavar="FILE", default=[],
                   help="a pySigma processing pipeline (YAML) to apply as well, as sigma-cli's -p (repeatable)")
    p.add_argument("--settings", metavar="FILE",
                   help="the deployment settings file (default: the nearest ruleport.toml or pyproject.toml "
                        "with [tool.ruleport] above the first PATH)")
    p.add_argument("--format", choices=("text", "json"), default="text")
    add_speed_options(p)
    return p


def run(args) -> int:
    from converters.load.settings import find_settings, load_settings
    from converters.package.run import package

    require_paths(args.paths + ([args.settings] if args.settings else []) + list(args.pipeline))
    targets = pick_targets(args.target)
    settings = load_settings(args.settings or find_settings(args.paths[0]))
    jobs = jobs_of(args)
    out = ensure_directory(args.out)          # an impossible --out fails before any work
    total = sum(1 for arg in args.paths for _ in iter_rule_paths(arg))
    with progress_bar(total, "packaging", enabled=show_progress(args)) as advance:
        result = package(args.paths, str(out), targets, settings, args.pipeline, jobs=jobs, progress=advance)
    if args.format == "json":
        write_stdout(json.dumps(result.as_dict(), indent=2, ensure_ascii=False) + "\n")
    for r in result.rules:
        for e in r.errors:
            print(error_line(r.path, e), file=sys.stderr)
    if settings.source:
        print_summary(f"settings: {settings.source}")
    refusals = Counter(e["code"] for r in result.rules for e in r.errors)
    print_summary(summary_line(f"package: {plural(len(result.rules), 'rule')}, "
                               f"{plural(len(result.written), 'file')} written under {args.out}",
                               ("packaged per target", dict(result.counts)),
                               ("refusals by code", dict(refusals.most_common()))))
    return EXIT_FINDINGS if result.failed else EXIT_OK

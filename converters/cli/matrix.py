"""`ruleport test RULE.toml --events FILE.jsonl`: prove the original rule and every target on fixture events.

(The module is named after what the command prints, the proof matrix, so that it does not read as a test.)

Exit codes: 0 every target agrees with the original rule (accepted
differences allowed), the expect file (if given) holds and no engine was
skipped (unless --allow-skip); 1 otherwise; 2 on bad input (a malformed
events line is reported as FILE:N).
"""

from __future__ import annotations

import json
import sys

from converters.cli.common import EXIT_USAGE, add_command, pick_targets, require_paths, write_stdout


def add_parser(sub):
    p = add_command(
        sub, "test",
        help="run the original rule and each target's query over fixture events",
        description="Run the original rule and every target's emitted query over the same events, "
                    "each as its platform records them, and show where they differ.",
        examples=[
            ("ruleport test rules/windows/x.toml --events tests/fixtures/windows/x.jsonl",
             "the proof matrix: one row per event, one column per target"),
            ("ruleport test rules/windows/x.toml --events x.jsonl --expect x.expect.json --target splunk",
             "one target, checked against hand-written verdicts"),
        ])
    p.add_argument("rule", metavar="RULE.toml", help="the Elastic rule file")
    p.add_argument("--events", required=True, metavar="FILE.jsonl", help="one ECS event (JSON object) per line")
    p.add_argument("--expect", metavar="FILE",
                   help='hand-written verdicts: {"match": [1-based lines], "why": {...}, "accept": [...]}')
    p.add_argument("--format", choices=("text", "json"), default="text", help="output format (default: text)")
    p.add_argument("--target", action="append", metavar="NAME",
                   help="prove only this target (repeatable; default: all). See `ruleport targets`.")
    p.add_argument("--allow-skip", action="store_true",
                   help="an engine that cannot run here (e.g. no Java) does not fail the command")
    return p


def run(args) -> int:
    from converters.prove.fixtures import FixtureError
    from converters.prove.matrix import exit_code, run_matrix
    from converters.report.matrix import render_text

    require_paths([args.rule, args.events] + ([args.expect] if args.expect else []))
    targets = pick_targets(args.target)
    try:
        report = run_matrix(args.rule, args.events, args.expect, targets)
    except FixtureError as exc:
        print(f"ruleport: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    if args.format == "json":
        write_stdout(json.dumps(report, indent=2, sort_keys=False) + "\n")
    else:
        write_stdout(render_text(report))
    return exit_code(report, args.allow_skip)

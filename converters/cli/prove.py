"""`ruleport prove PATH...`: the proof of every rule under PATH, one status per rule and target.

Exit codes: 0 no target differs or errs on any rule (refused and skipped
are reported, not failures); 1 otherwise; 2 usage errors.
"""

from __future__ import annotations

import json
from pathlib import Path

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
    write_output,
    write_stdout,
)
from converters.errors import UsageError


def add_parser(sub):
    p = add_command(
        sub, "prove", help="prove every rule under PATH on every target (synthesized or given events)",
        description="Run the original rule and every target over the same events for each rule under PATH: "
                    "events from --events-dir (<rule stem>.jsonl, with <rule stem>.expect.json) where present, "
                    "else synthesized from the rule. Writes report.json, report.html and summary.md with --out.",
        examples=[("ruleport prove rules/ --out proof/", "every rule on every target; proof/report.html to read"),
                  ("ruleport prove rules/windows --events-dir tests/fixtures/windows --target splunk --jobs 4",
                   "one target, on the fixture events where a rule has some, four processes")])
    p.add_argument("paths", nargs="+", metavar="PATH", help="rule files or directories (*.toml, recursively)")
    p.add_argument("--events-dir", metavar="DIR", help="fixtures: DIR/<rule stem>.jsonl (+ .expect.json)")
    p.add_argument("--out", metavar="DIR", help="write DIR/report.json, DIR/report.html and DIR/summary.md")
    p.add_argument("--format", choices=("text", "json"), default="text")
    p.add_argument("--target", action="append", metavar="NAME",
                   help="prove only this target (repeatable; default: all). See `ruleport targets`.")
    p.add_argument("--seed", type=int, default=0, help="seed of the synthesized events (default 0)")
    add_speed_options(p)
    return p


def run(args) -> int:
    from converters.prove.repository import Options, exit_code, prove_repository, rule_files
    from converters.prove.streams import Synthesizer
    from converters.prove.synthesize import synthesize
    from converters.report.proof import render_html, render_markdown, render_summary

    require_paths(args.paths + ([args.events_dir] if args.events_dir else []))
    if args.events_dir and not Path(args.events_dir).is_dir():
        raise UsageError(f"--events-dir {args.events_dir}: not a directory")
    options = Options(targets=pick_targets(args.target), events_dir=args.events_dir, seed=args.seed,
                      jobs=jobs_of(args),
                      synthesize=Synthesizer(single=synthesize))  # correlation rules: their event streams
    out = ensure_directory(args.out) if args.out else None      # fail before proving anything
    total = len(rule_files(args.paths))
    with progress_bar(total, "proving", enabled=show_progress(args)) as advance:
        report = prove_repository(args.paths, options, progress=advance)
    if out is not None:
        write_output(out / "report.json", json.dumps(report, indent=1) + "\n")
        write_output(out / "report.html", render_html(report))
        write_output(out / "summary.md", render_markdown(report))
    if args.format == "json":
        write_stdout(json.dumps(report, indent=1) + "\n")
        print_summary(_closing(report))
    else:
        write_stdout(render_summary(report) + _closing(report) + "\n")
    return EXIT_FINDINGS if exit_code(report) else EXIT_OK


def _closing(report: dict) -> str:
    totals = {}
    for counts in report["summary"].values():
        for status, n in counts.items():
            totals[status] = totals.get(status, 0) + n
    shown = ", ".join(f"{n} {s}" for s, n in totals.items() if n)
    return (f"{plural(len(report['rules']), 'rule')} proven on {plural(len(report['summary']), 'target')}: "
            f"{shown or 'nothing to prove'}")

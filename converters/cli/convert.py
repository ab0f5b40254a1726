"""`ruleport convert`: Elastic rules to Sigma and SIEM queries.

Errors are reported as `ruleport validate` reports findings, on the file
line (`rules/x.toml:80 [query line 2, column 5]: error: ... [code]`). The
closing summary line (rules, outputs per target, refusals by code) goes to
stderr, so that with --format json stdout holds only the JSON document.
"""

from __future__ import annotations

import json
import os
import sys
from collections import Counter
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
    summary_line,
    write_output,
    write_stdout,
)
from converters.errors import location
from converters.load import iter_rule_paths
from converters.package.header import SIDECAR_SUFFIX, with_header


def add_parser(sub):
    p = add_command(
        sub, "convert", help="translate rules to Sigma and emit SIEM queries",
        description="Translate Elastic TOML rules to Sigma and emit a query for each target. "
                    "Every approximation is reported as a note; a rule or target that cannot be "
                    "converted is refused with a coded error, and the others go on.",
        examples=[
            ("ruleport convert rules/windows/x.toml --target sigma", "the Sigma rule, printed"),
            ("ruleport convert rules --target splunk --target kusto-defender --out build",
             "write build/<target>/<path below rules>.<ext> for two targets"),
            ("ruleport convert rules --format json > conversions.json", "every output, note and refusal as JSON"),
        ])
    p.add_argument("paths", nargs="+", metavar="PATH", help="rule files or directories (*.toml, recursively)")
    p.add_argument("--target", action="append", metavar="NAME",
                   help="a target (repeatable; default: all). See `ruleport targets`.")
    p.add_argument("--out", metavar="DIR",
                   help="write DIR/<target>/<path relative to PATH>.<ext> instead of printing the queries")
    p.add_argument("--format", choices=("text", "json"), default="text", help="output format (default: text)")
    add_speed_options(p)
    return p


def _relative(arg: str, display: str) -> Path:
    if Path(arg).is_dir():
        return Path(os.path.relpath(display, arg))
    return Path(Path(display).name)


def _with_header(conversion, target: str, text: str) -> tuple[str, str | None]:
    """The query with the rule's name, id, severity, ATT&CK techniques and notes as a header
    comment (a sidecar file where the language has no comments); Sigma rules carry theirs already."""
    from converters.emit.targets import TARGETS

    if target == "sigma" or conversion.meta is None:
        return (text if text.endswith("\n") else text + "\n"), None
    return with_header(text, TARGETS[target].language, conversion.meta, target, conversion.notes)


def run(args) -> int:
    from converters.convert import convert_files
    from converters.emit.targets import TARGETS

    require_paths(args.paths)
    targets = pick_targets(args.target)
    jobs = jobs_of(args)
    out_dir = ensure_directory(args.out) if args.out else None      # fail before converting anything
    found = [(str(path), display, arg) for arg in args.paths for path, display in iter_rule_paths(arg)]
    with progress_bar(len(found), "converting", enabled=show_progress(args)) as advance:
        results = convert_files([(p, d) for p, d, _ in found], targets, jobs=jobs, progress=advance)
    written: list[str] = []
    if out_dir is not None:
        for (_path, display, arg), conversion in zip(found, results):
            rel = _relative(arg, display)
            for target, text in conversion.outputs.items():
                dest = out_dir / target / rel.with_suffix(TARGETS[target].extension)
                text, sidecar = _with_header(conversion, target, text)
                write_output(dest, text)
                written.append(str(dest))
                if sidecar:
                    write_output(dest.with_name(dest.name + SIDECAR_SUFFIX), sidecar)
                    written.append(str(dest) + SIDECAR_SUFFIX)
    failed = any(r.errors for r in results)
    if args.format == "json":
        write_stdout(json.dumps({"rules": [r.as_dict() for r in results]}, indent=2, ensure_ascii=False) + "\n")
    else:
        write_stdout(_text(results, show_outputs=out_dir is None))
        for w in written:
            print(f"wrote {w}", file=sys.stderr)
    for r in results:
        for e in r.errors:
            print(error_line(r.path, e), file=sys.stderr)
    print_summary(_summary(results, targets))
    return EXIT_FINDINGS if failed else EXIT_OK


def error_line(path: str, error: dict) -> str:
    """`rules/x.toml:80 [query line 2, column 5]: error: [splunk] message [code]`: the finding format."""
    target = f"[{error['target']}] " if error.get("target") else ""
    where = location(path, error.get("line"), error.get("within"))
    return f"{where}: error: {target}{error['message']} [{error['code']}]"


def _summary(results, targets: list[str]) -> str:
    per_target = {t: sum(1 for r in results if t in r.outputs) for t in targets}
    refusals = Counter(e["code"] for r in results for e in r.errors)
    return summary_line(f"convert: {plural(len(results), 'rule')}", ("converted per target", per_target),
                        ("refusals by code", dict(refusals.most_common())))


def _text(results, show_outputs: bool) -> str:
    out = []
    for r in results:
        out.append(f"=== {r.path}\n")
        if show_outputs:
            for target, text in r.outputs.items():
                out.append(f"--- {target}\n{text.rstrip()}\n")
        if r.notes:
            out.append("--- notes\n")
            for n in r.notes:
                scope = n.target or "sigma"
                where = f" [{n.field}]" if n.field else ""
                out.append(f"  ({scope}) {n.code}{where}: {n.message}\n")
        out.append("\n")
    return "".join(out)

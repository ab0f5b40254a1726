"""`ruleport convert`: Elastic rules to Sigma and SIEM queries."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

from converters.cli.common import (
    EXIT_FINDINGS,
    EXIT_OK,
    add_speed_options,
    jobs_of,
    pick_targets,
    progress_bar,
    require_paths,
    show_progress,
)
from converters.files import atomic_write
from converters.load import iter_rule_paths
from converters.package.header import SIDECAR_SUFFIX, with_header


def add_parser(sub):
    p = sub.add_parser("convert", help="translate rules to Sigma and emit SIEM queries",
                       description="Translate Elastic TOML rules to Sigma and emit a query for each target. "
                                   "Every approximation is reported as a note.")
    p.add_argument("paths", nargs="+", metavar="PATH", help="rule files or directories (*.toml, recursively)")
    p.add_argument("--target", action="append", metavar="NAME",
                   help="a target (repeatable; default: all). See `ruleport targets`.")
    p.add_argument("--out", metavar="DIR",
                   help="write DIR/<target>/<path relative to PATH>.<ext> instead of printing the queries")
    p.add_argument("--format", choices=("text", "json"), default="text")
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
    found = [(str(path), display, arg) for arg in args.paths for path, display in iter_rule_paths(arg)]
    with progress_bar(len(found), "converting", enabled=show_progress(args)) as advance:
        results = convert_files([(p, d) for p, d, _ in found], targets, jobs=jobs_of(args), progress=advance)
    written: list[str] = []
    if args.out:
        for (_path, display, arg), conversion in zip(found, results):
            rel = _relative(arg, display)
            for target, text in conversion.outputs.items():
                dest = Path(args.out) / target / rel.with_suffix(TARGETS[target].extension)
                text, sidecar = _with_header(conversion, target, text)
                atomic_write(dest, text)
                written.append(str(dest))
                if sidecar:
                    atomic_write(dest.with_name(dest.name + SIDECAR_SUFFIX), sidecar)
                    written.append(str(dest) + SIDECAR_SUFFIX)
    failed = any(r.errors for r in results)
    if args.format == "json":
        json.dump({"rules": [r.as_dict() for r in results]}, sys.stdout, indent=2, ensure_ascii=False)
        sys.stdout.write("\n")
    else:
        _print_text(results, show_outputs=not args.out)
        for w in written:
            print(f"wrote {w}", file=sys.stderr)
    for r in results:
        for e in r.errors:
            target = f" [{e['target']}]" if e["target"] else ""
            print(f"{r.path}:{target} error {e['code']}: {e['message']}", file=sys.stderr)
    return EXIT_FINDINGS if failed else EXIT_OK


def _print_text(results, show_outputs: bool) -> None:
    out = sys.stdout
    for r in results:
        out.write(f"=== {r.path}\n")
        if show_outputs:
            for target, text in r.outputs.items():
                out.write(f"--- {target}\n{text.rstrip()}\n")
        if r.notes:
            out.write("--- notes\n")
            for n in r.notes:
                scope = n.target or "sigma"
                where = f" [{n.field}]" if n.field else ""
                out.write(f"  ({scope}) {n.code}{where}: {n.message}\n")
        out.write("\n")

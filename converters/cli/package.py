"""`ruleport package`: the files each platform imports, for every rule and target."""

from __future__ import annotations

import json
import sys

from converters.cli.common import EXIT_FINDINGS, EXIT_OK, pick_targets, require_paths


def add_parser(sub):
    p = sub.add_parser("package", help="write the files each SIEM imports (rules, apps, templates, layers)",
                       description="Convert rules and write, per target, the artifacts its platform imports: "
                                   "Kibana rule ndjson, a Splunk app, Sentinel analytics rules and an ARM "
                                   "template, Defender XDR detection rules, a SigmaHQ-style folder, and an "
                                   "ATT&CK Navigator layer per target. Deployment settings come from "
                                   "ruleport.toml or [tool.ruleport] in pyproject.toml (docs/package.md).")
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
    return p


def run(args) -> int:
    from converters.load.settings import find_settings, load_settings
    from converters.package.run import package

    require_paths(args.paths + ([args.settings] if args.settings else []) + list(args.pipeline))
    targets = pick_targets(args.target)
    settings = load_settings(args.settings or find_settings(args.paths[0]))
    result = package(args.paths, args.out, targets, settings, args.pipeline)
    if args.format == "json":
        json.dump(result.as_dict(), sys.stdout, indent=2, ensure_ascii=False)
        sys.stdout.write("\n")
    for r in result.rules:
        for e in r.errors:
            target = f" [{e['target']}]" if e["target"] else ""
            print(f"{r.path}:{target} error {e['code']}: {e['message']}", file=sys.stderr)
    total = len(result.rules)
    if settings.source:
        print(f"settings: {settings.source}", file=sys.stderr)
    for target, count in result.counts.items():
        print(f"{target}: packaged {count} of {total} rule(s) -> {args.out}/{target}", file=sys.stderr)
    print(f"wrote {len(result.written)} file(s) under {args.out}", file=sys.stderr)
    return EXIT_FINDINGS if result.failed else EXIT_OK

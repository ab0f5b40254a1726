"""`ruleport targets`: the emit targets and what each one assumes."""

from __future__ import annotations

import json
import sys


def add_parser(sub):
    p = sub.add_parser(
        "targets",
        help="list the emit targets: backend, pipelines and the data each assumes",
        description="List every emit target: output extension, pySigma backend, pipelines and assumed data.",
    )
    p.add_argument("--format", choices=("text", "json"), default="text", help="output format (default: text)")
    return p


def run(args) -> int:
    from converters.emit.targets import TARGETS

    if args.format == "json":
        json.dump([t.as_dict() for t in TARGETS.values()], sys.stdout, indent=2)
        sys.stdout.write("\n")
        return 0
    out = []
    for t in TARGETS.values():
        out.append(f"{t.name} ({t.extension})")
        out.append(f"  backend:   {t.backend_path or '(none: the Sigma rule itself)'}")
        if t.base:
            out.append(f"  based on:  {t.base}")
        out.append(f"  pipelines: {', '.join(t.pipeline_names) or '(none)'}")
        out.append(f"  data:      {t.data}")
        out.append(f"  output:    {t.description}")
    sys.stdout.write("\n".join(out) + "\n")
    return 0

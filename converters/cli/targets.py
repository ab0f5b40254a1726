"""`ruleport targets`: the emit targets and what each one assumes."""

from __future__ import annotations

import json

from converters.cli.common import add_command, write_stdout


def add_parser(sub):
    p = add_command(
        sub, "targets",
        help="list the emit targets: backend, pipelines and the data each assumes",
        description="List every emit target: output extension, pySigma backend, pipelines and assumed data.",
        examples=[("ruleport targets", "every target, as text"),
                  ("ruleport targets --format json", "the same as JSON, for scripts")])
    p.add_argument("--format", choices=("text", "json"), default="text", help="output format (default: text)")
    return p


def run(args) -> int:
    from converters.emit.targets import TARGETS

    if args.format == "json":
        write_stdout(json.dumps([t.as_dict() for t in TARGETS.values()], indent=2) + "\n")
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
    write_stdout("\n".join(out) + "\n")
    return 0

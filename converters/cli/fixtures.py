"""`ruleport fixtures RULE.toml [-o FILE.jsonl] [--seed N] [--count N]`: synthesize ECS events for a rule.

Writes one nested ECS event per line (JSONL), to FILE atomically or to
stdout. `--labels FILE` also writes what each event was built to show
(`{"match": [0-based lines], "why": {"line": "..."}}`, the expect file's
shape); those verdicts come from the construction and are checked with
ruleport's own evaluator, so they are not an independent expectation.
A summary goes to stderr.

Exit codes: 0 events written; 1 the rule cannot be synthesized for
(a sequence, a threshold, a construct named in the message); 2 usage.
"""

from __future__ import annotations

import json
import sys

from converters.cli.common import EXIT_OK, require_paths
from converters.errors import UsageError


def add_parser(sub):
    p = sub.add_parser(
        "fixtures",
        help="synthesize ECS events for a rule: matches, near misses, other scopes",
        description="Synthesize ECS events from the rule's parsed query (EQL or KQL): a match for every branch "
                    "of its condition, near misses for every leaf, events of other categories and operating "
                    "systems. Events are internally consistent and the same for the same seed.",
    )
    p.add_argument("rule", metavar="RULE.toml", help="the Elastic rule file")
    p.add_argument("-o", "--output", metavar="FILE.jsonl", help="write the events here (default: stdout)")
    p.add_argument("--seed", type=int, default=0, metavar="N", help="random seed (default 0)")
    p.add_argument("--count", type=int, metavar="N",
                   help="at most N events, the most telling first (one match per branch, then one near miss "
                        "per leaf, other scopes, then the rest); a match and a non-match are always kept")
    p.add_argument("--labels", metavar="FILE",
                   help='also write {"match": [...], "why": {...}} for the events (0-based lines)')
    return p


def run(args) -> int:
    from converters.files import atomic_write
    from converters.load import load_rule
    from converters.prove.synthesize import synthesize_cases

    require_paths([args.rule])
    if args.count is not None and args.count < 1:
        raise UsageError("--count must be at least 1")
    rule_file = load_rule(args.rule)
    fixtures = synthesize_cases(rule_file, seed=args.seed, count=args.count)
    text = "".join(json.dumps(c.event, ensure_ascii=False, separators=(",", ":")) + "\n" for c in fixtures.cases)
    if args.output:
        atomic_write(args.output, text)
    else:
        sys.stdout.write(text)
    if args.labels:
        labels = {"match": [i for i, v in enumerate(fixtures.verdicts) if v],
                  "why": {str(i): f"{c.kind}: {c.why}" for i, c in enumerate(fixtures.cases)}}
        atomic_write(args.labels, json.dumps(labels, indent=1, ensure_ascii=False) + "\n")
    s = fixtures.synthesis
    matched = sum(fixtures.verdicts)
    where = f" to {args.output}" if args.output else ""
    print(f"{args.rule}: {len(fixtures.cases)} events{where} ({matched} match, {len(fixtures.cases) - matched} do not); "
          f"{s.covered} of {s.branches} branches matched"
          + ("" if s.complete else f" (a cover of a {s.dnf_size}+-branch DNF)"), file=sys.stderr)
    for i, field in sorted(s.unsolved.items()):
        print(f"{args.rule}: branch {i + 1}: no consistent event found (at {field})", file=sys.stderr)
    return EXIT_OK

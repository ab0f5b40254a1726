"""`ruleport fixtures RULE.toml [-o FILE.jsonl] [--seed N] [--count N]`: synthesize ECS events for a rule.

Writes one nested ECS event per line (JSONL), to FILE atomically or to
stdout. `--labels FILE` also writes what each event was built to show
(`{"match": [0-based lines], "why": {"line": "..."}}`, the expect file's
shape); those verdicts come from the construction and are checked with
ruleport's own evaluator, so they are not an independent expectation.
A summary goes to stderr.

For a rule that correlates events (an EQL sequence or sample, a threshold
rule) the events are a stream of scenarios on each side of the rule (in
order, out of order, outside maxspan, on another key, cut by `until`, at and
below the threshold: converters/prove/streams.py); the labels mark the events
of the scenarios that raise an alert, and `--count` does not apply.

Exit codes: 0 events written; 1 the rule cannot be synthesized for
(a join, a construct named in the message); 2 usage.
"""

from __future__ import annotations

import json
import sys

from converters.cli.common import EXIT_OK, add_command, plural, print_summary, require_paths, write_stdout
from converters.errors import UsageError


def add_parser(sub):
    p = add_command(
        sub, "fixtures",
        help="synthesize ECS events for a rule: matches, near misses, other scopes",
        description="Synthesize ECS events from the rule's parsed query (EQL or KQL): a match for every branch "
                    "of its condition, near misses for every leaf, events of other categories and operating "
                    "systems. Events are internally consistent and the same for the same seed. For a sequence, "
                    "sample or threshold rule: a stream of scenarios on each side of the rule (in order, out of "
                    "order, outside maxspan, on another key, cut by until, at and below the threshold).",
        examples=[("ruleport fixtures rules/windows/x.toml -o x.jsonl", "the events, one ECS object per line"),
                  ("ruleport fixtures rules/windows/x.toml -o x.jsonl --labels x.labels.json --count 20",
                   "the 20 most telling events, and what each was built to show; then prove every target on "
                   "them with `ruleport test rules/windows/x.toml --events x.jsonl`")])
    p.add_argument("rule", metavar="RULE.toml", help="the Elastic rule file")
    p.add_argument("-o", "--output", metavar="FILE.jsonl", help="write the events here (default: stdout)")
    p.add_argument("--seed", type=int, default=0, metavar="N", help="random seed (default 0)")
    p.add_argument("--count", type=int, metavar="N",
                   help="at most N events, the most telling first (one match per branch, then one near miss "
                        "per leaf, other scopes, then the rest); a match and a non-match are always kept (not for a "
                        "correlation's stream)")
    p.add_argument("--labels", metavar="FILE",
                   help='also write {"match": [...], "why": {...}} for the events (0-based lines)')
    return p


def run(args) -> int:
    from converters.files import write_output
    from converters.load import load_rule
    from converters.prove.correlation import correlation_kind
    from converters.prove.synthesize import synthesize_cases

    require_paths([args.rule])
    if args.count is not None and args.count < 1:
        raise UsageError("--count must be at least 1")
    rule_file = load_rule(args.rule)
    if correlation_kind(rule_file) is not None:
        return _stream(args, rule_file)
    fixtures = synthesize_cases(rule_file, seed=args.seed, count=args.count)
    text = "".join(json.dumps(c.event, ensure_ascii=False, separators=(",", ":")) + "\n" for c in fixtures.cases)
    if args.output:
        write_output(args.output, text)
    else:
        write_stdout(text)
    if args.labels:
        labels = {"match": [i for i, v in enumerate(fixtures.verdicts) if v],
                  "why": {str(i): f"{c.kind}: {c.why}" for i, c in enumerate(fixtures.cases)}}
        write_output(args.labels, json.dumps(labels, indent=1, ensure_ascii=False) + "\n")
    s = fixtures.synthesis
    for i, field in sorted(s.unsolved.items()):
        print(f"{args.rule}: branch {i + 1}: no consistent event found (at {field})", file=sys.stderr)
    matched = sum(fixtures.verdicts)
    where = f" to {args.output}" if args.output else ""
    print_summary(f"{args.rule}: {plural(len(fixtures.cases), 'event')}{where} ({matched} match, "
                  f"{len(fixtures.cases) - matched} do not); {s.covered} of {plural(s.branches, 'branch', 'branches')} "
                  "matched" + ("" if s.complete else f" (a cover of a DNF of more than {s.dnf_size - 1} branches)"))
    return EXIT_OK


def _stream(args, rule_file) -> int:
    """A correlation rule's event stream: its scenarios, one after the other."""
    from converters.files import write_output
    from converters.prove.streams import stream_cases

    stream = stream_cases(rule_file, seed=args.seed)
    events, match, why = [], [], {}
    for scenario in stream.scenarios:
        for event in scenario.events:
            if scenario.fires:
                match.append(len(events))
            why[str(len(events))] = f"{scenario.name}: {'fires' if scenario.fires else 'no alert'}"
            events.append(event)
    text = "".join(json.dumps(e, ensure_ascii=False, separators=(",", ":")) + "\n" for e in events)
    if args.output:
        write_output(args.output, text)
    else:
        write_stdout(text)
    if args.labels:
        write_output(args.labels, json.dumps({"match": match, "why": why}, indent=1, ensure_ascii=False) + "\n")
    for skipped in stream.skipped:
        print(f"{args.rule}: scenario {skipped}", file=sys.stderr)
    where = f" to {args.output}" if args.output else ""
    fires = sum(s.fires for s in stream.scenarios)
    print_summary(f"{args.rule}: {plural(len(events), 'event')}{where} in "
                  f"{plural(len(stream.scenarios), 'scenario')} ({fires} raise an alert, "
                  f"{len(stream.scenarios) - fires} do not)")
    return EXIT_OK

"""What every command shares: exit codes, argument checks, target choice, output files, help
examples, --jobs and the progress bar, and the closing summary line.

For a new command (its module exposes `add_parser(sub)` and `run(args)`):

    p = add_command(sub, "package", help="...", description="...",
                    examples=[("ruleport package rules --out dist", "one import file per target")])
    ...
    require_paths(args.paths)                    # a missing PATH: exit 2, with a did-you-mean
    targets = pick_targets(args.target)          # an unknown target: exit 2, the same words everywhere
    out = ensure_directory(args.out)             # an impossible --out fails before any work
    write_output(out / "x.ndjson", text)         # atomic; an OSError is one line naming the path, exit 2
    write_stdout(json.dumps(doc) + "\n")         # a full disk behind `>` is one line too
    print_summary(summary_line(f"{plural(n, 'rule')} packaged", ("per target", counts),
                               ("refusals by code", refusals)))

Errors are raised, not printed: UsageError (and OutputError) end the command
with `ruleport: error: ...` and exit 2, another RuleportError with exit 1
(converters.cli.main). The summary line always goes to stderr, so stdout
holds only the command's output (a JSON document with --format json).
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager

from converters.errors import OutputError, UsageError, closest, did_you_mean
from converters.files import ensure_directory, write_output

EXIT_OK, EXIT_FINDINGS, EXIT_USAGE = 0, 1, 2

__all__ = ["EXIT_OK", "EXIT_FINDINGS", "EXIT_USAGE", "add_command", "add_speed_options", "did_you_mean",
           "ensure_directory", "jobs_of", "pick_targets", "plural", "print_summary", "progress_bar", "require_paths",
           "show_progress", "summary_line", "unknown", "write_output", "write_stdout"]


def unknown(kind: str, word: str, known: Iterable[str]) -> str:
    """`unknown target 'splnk' (did you mean splunk?); known targets: a, b`: how every command
    words a name it does not know."""
    known = list(known)
    return f"unknown {kind} {word!r}{did_you_mean(word, known)}; known {kind}s: {', '.join(known)}"


def require_paths(paths: Iterable[str]) -> None:
    """A PATH that does not exist is a usage error (exit 2), named plainly, with the nearest
    existing name in its folder suggested."""
    missing = [p for p in paths if not os.path.exists(p)]
    if not missing:
        return
    described = []
    for p in missing:
        folder = os.path.dirname(p)
        try:
            siblings = os.listdir(folder or ".")
        except OSError:
            siblings = []
        near = closest(os.path.basename(p), siblings)
        described.append(p + (f" (did you mean {os.path.join(folder, near)}?)" if near else ""))
    raise UsageError("no such file or directory: " + ", ".join(described))


def pick_targets(requested: list[str] | None) -> list[str]:
    """The target names asked for, in order and each once (all targets when none); an unknown
    name is a usage error worded the same for every command."""
    from converters.emit.targets import TARGETS  # the backends load only for commands that emit

    if not requested:
        return list(TARGETS)
    for name in requested:
        if name not in TARGETS:
            raise UsageError(unknown("target", name, TARGETS))
    return list(dict.fromkeys(requested))


def add_speed_options(parser) -> None:
    """--jobs and --quiet, for the commands that go over many rules."""
    parser.add_argument("--jobs", type=int, default=0, metavar="N",
                        help="worker processes (default: the CPU count; 1 to stay in one process)")
    parser.add_argument("--quiet", "-q", action="store_true", help="no progress bar")


def jobs_of(args) -> int:
    if args.jobs < 0:
        raise UsageError("--jobs must be 0 (the CPU count) or a positive number")
    return args.jobs or os.cpu_count() or 1


def show_progress(args) -> bool:
    """A progress bar only on a terminal, never with --quiet or --format json."""
    return not args.quiet and getattr(args, "format", "text") != "json" and sys.stderr.isatty()


@contextmanager
def progress_bar(total: int, what: str, enabled: bool) -> Iterator[Callable[[], None]]:
    """A function to call once per rule done; draws a bar on stderr when enabled (tqdm)."""
    if not enabled or total < 2:
        yield lambda: None
        return
    from tqdm import tqdm  # a well-kept bar (terminal width, rate, ETA); loaded only when drawn

    with tqdm(total=total, desc=what, unit="rule", file=sys.stderr, leave=False) as bar:
        yield lambda: bar.update(1)


def add_command(sub, name: str, *, help: str, description: str,
                examples: Iterable[tuple[str, str]] = ()) -> argparse.ArgumentParser:
    """A subcommand's parser whose --help ends with worked examples: (command line, what it does)."""
    lines = []
    for command, what in examples:
        lines += [f"  {command}", f"      {what}"]
    epilog = ("examples:\n" + "\n".join(lines)) if lines else None
    return sub.add_parser(name, help=help, description=description, epilog=epilog,
                          formatter_class=argparse.RawDescriptionHelpFormatter)


def plural(n: int, noun: str, many: str | None = None) -> str:
    """`1 rule`, `3 rules` (`many` for irregular plurals)."""
    return f"{n} {noun if n == 1 else (many or noun + 's')}"


def summary_line(head: str, *groups: tuple[str, Mapping[str, int]]) -> str:
    """`head; label: key n, key n; label: ...`: the closing line of a command. Groups that are
    empty are left out; keys keep the mapping's order."""
    parts = [head]
    for label, counts in groups:
        if counts:
            parts.append(f"{label}: " + ", ".join(f"{key} {n}" for key, n in counts.items()))
    return "; ".join(parts)


def write_stdout(text: str) -> None:
    """The command's output document on stdout; a failure to write it (a full disk behind `>`) is
    one OutputError line, exit 2. A reader that went away (`| head`) is left to main()."""
    try:
        sys.stdout.write(text)
        sys.stdout.flush()
    except BrokenPipeError:
        raise
    except OSError as exc:
        raise OutputError(f"cannot write to standard output: {exc.strerror or exc}") from None


def print_summary(line: str) -> None:
    """The summary goes to stderr, whatever the format: stdout stays the command's output alone."""
    print(line, file=sys.stderr)

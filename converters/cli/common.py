"""What every command shares: exit codes, PATH checks, target choice."""

from __future__ import annotations

import difflib
import os
import sys
from contextlib import contextmanager
from pathlib import Path
from typing import Callable, Iterator

from converters.errors import UsageError

EXIT_OK, EXIT_FINDINGS, EXIT_USAGE = 0, 1, 2


def require_paths(paths: list[str]) -> None:
    """A PATH that does not exist is a usage error (exit 2), named plainly."""
    missing = [p for p in paths if not Path(p).exists()]
    if missing:
        raise UsageError("no such file or directory: " + ", ".join(missing))


def did_you_mean(word: str, known) -> str:
    """" (did you mean X?)" when a known word is close to `word`, else ""."""
    close = difflib.get_close_matches(word, list(known), n=1, cutoff=0.6)
    return f" (did you mean {close[0]}?)" if close else ""


def pick_targets(requested: list[str] | None) -> list[str]:
    """The target names asked for, in order and each once (all targets when none); an unknown
    name is a usage error worded the same for every command."""
    from converters.emit.targets import TARGETS  # the backends load only for commands that emit

    if not requested:
        return list(TARGETS)
    for name in requested:
        if name not in TARGETS:
            raise UsageError(f"unknown target {name!r}{did_you_mean(name, TARGETS)}; "
                             f"known targets: {', '.join(TARGETS)}")
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

"""What every command shares: exit codes, PATH checks, target choice."""

from __future__ import annotations

import difflib
from pathlib import Path

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

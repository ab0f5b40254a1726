"""File output that is never half-written, and the repository a file belongs to.

`atomic_write` raises OSError; commands write what the user asked for
through converters.cli.common.write_output, which turns it into a one-line
error naming the path (exit 2).
"""

from __future__ import annotations

import functools
import os
import tempfile
from pathlib import Path


def atomic_write(path: str | os.PathLike, text: str) -> None:
    """Write `text` to `path` through a temporary file in the same directory.

    os.replace is atomic on POSIX and Windows, so readers see the old file
    or the new one, never a truncated one, even if ruleport is interrupted.
    The file gets the mode a plain open() would give (0666 less the umask),
    not mkstemp's private 0600.
    """
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as fh:
            fh.write(text)
        os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, target)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise


def repository_root(folder: str | os.PathLike) -> str | None:
    """The git top level holding `folder`: the nearest directory above it (itself included) with a
    `.git` (a directory, or a file in worktrees and submodules); None outside a repository.
    Found without running git, so that it costs a few stat calls."""
    return _root(os.path.abspath(folder))


@functools.lru_cache(maxsize=256)
def _root(here: str) -> str | None:
    if os.path.exists(os.path.join(here, ".git")):
        return here
    parent = os.path.dirname(here)
    return None if parent == here else _root(parent)


def _umask() -> int:
    # the umask can only be read by setting it; put it straight back
    mask = os.umask(0)
    os.umask(mask)
    return mask

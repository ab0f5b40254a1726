"""File output that is never half-written, and the repository a file belongs to.

`atomic_write` raises OSError; what the user asked for is written through
`write_output` (and its directories made by `ensure_directory`), which turn
any failure into an OutputError naming the path: one line, exit 2.
"""

from __future__ import annotations

import functools
import os
import tempfile
from pathlib import Path

from converters.errors import OutputError


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


def _reason(exc: OSError) -> str:
    return exc.strerror or type(exc).__name__


def _file_in_the_way(path: Path) -> Path | None:
    """The nearest existing folder-to-be of `path` that is a file (mkdir would say "File exists")."""
    for parent in path.parents:
        if parent.exists():
            return None if parent.is_dir() else parent
    return None


def write_output(path: str | os.PathLike, text: str) -> None:
    """converters.files.atomic_write for a file the user asked for; an OSError becomes OutputError naming `path`."""
    if Path(path).is_dir():
        raise OutputError(f"cannot write {path}: it is a directory")
    blocker = _file_in_the_way(Path(path))
    if blocker is not None:
        raise OutputError(f"cannot write {path}: {blocker} is a file, not a directory")
    try:
        atomic_write(path, text)
    except OSError as exc:
        raise OutputError(f"cannot write {path}: {_reason(exc)}") from None


def ensure_directory(path: str | os.PathLike) -> Path:
    """Create the output directory `path` (and its parents) now, before any work is done, so that
    an impossible --out fails at once; OutputError names the path."""
    folder = Path(path)
    if folder.exists() and not folder.is_dir():
        raise OutputError(f"cannot write to {path}: it is a file, not a directory")
    blocker = _file_in_the_way(folder)
    if blocker is not None:
        raise OutputError(f"cannot create the directory {path}: {blocker} is a file, not a directory")
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(f"cannot create the directory {path}: {_reason(exc)}") from None
    if not os.access(folder, os.W_OK | os.X_OK):
        raise OutputError(f"cannot write to {path}: Permission denied")
    return folder

"""Paths as a repository sees them: relative to its git top level, whatever the argument was.

GitHub places an annotation or a code-scanning result on a pull request's
diff only when its path is relative to the repository root; `ruleport
validate /abs/repo/rules/x.toml`, `./rules/x.toml` and `x.toml` run from
`rules/` must all give `rules/x.toml`. The top level is found by walking up
to the directory holding `.git` (converters.files.repository_root), without
running git: validate stays fast and needs no git for this. A file outside any repository is shown relative to the working
directory when it lies below it, else as an absolute path.
"""

from __future__ import annotations

import os
from pathlib import Path, PurePosixPath

from converters.files import repository_root


def _posix(path: str) -> str:
    return str(PurePosixPath(*Path(path).parts)) if os.sep != "/" else path


def repository_path(path: str) -> str:
    """`path` relative to its repository's top level (POSIX separators); outside a repository,
    relative to the working directory when below it, else absolute."""
    full = os.path.abspath(path)
    root = repository_root(os.path.dirname(full))
    if root is not None:
        return _posix(os.path.relpath(full, root))
    cwd = os.getcwd()
    if full == cwd or full.startswith(cwd.rstrip(os.sep) + os.sep):
        return _posix(os.path.relpath(full, cwd))
    return _posix(full)


def common_root(paths) -> str | None:
    """The repository top level of the first path that has one (SARIF's %SRCROOT%), or None."""
    for path in paths:
        root = repository_root(os.path.dirname(os.path.abspath(path)))
        if root is not None:
            return root
    return None

"""Findings and exceptions shared by every stage (the bottom layer)."""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field

ERROR = "error"
WARNING = "warning"
INFO = "info"
SEVERITIES = (ERROR, WARNING, INFO)
# ordered from the least to the most severe, for --min-severity and --fail-on
SEVERITY_RANK = {INFO: 0, WARNING: 1, ERROR: 2}


def did_you_mean(word: str, known) -> str:
    """" (did you mean X?)" when a known word is close to `word` (difflib), else "".

    The one wording of every suggestion ruleport makes: commands, options' values,
    targets, TOML keys, finding codes.
    """
    close = closest(word, known)
    return f" (did you mean {close}?)" if close else ""


def closest(word: str, known) -> str | None:
    """The known word nearest to `word` when one is close enough (difflib's ratio >= 0.6), else None."""
    close = difflib.get_close_matches(word, [str(k) for k in known], n=1, cutoff=0.6)
    return close[0] if close else None


def location(path: str | None, line: int | None = None, within: str | None = None) -> str:
    """The one way a place in a file is written: `path:80`, or `path:80 [query line 2, column 5]`
    when the place is inside a multi-line value (the line inside the query helps to find it)."""
    where = (path or "") + (f":{line}" if line else "")
    return where + (f" [{within}]" if within else "")


_POSITION = re.compile(r" at line \d+, column \d+")


def drop_position(message: str) -> str:
    """A parser's message without its own "at line L, column C" (the caller says where, as a file
    line with the position inside the value: see `location`)."""
    return _POSITION.sub("", message, count=1)


@dataclass(frozen=True, order=True)
class Finding:
    """One thing wrong (or worth knowing) about one rule file.

    `code` is stable, `group/name`, so that CI filters and per-rule
    exceptions can refer to it.
    """

    path: str
    line: int | None
    severity: str
    code: str
    message: str
    hint: str | None = field(default=None, compare=False)
    #: where inside the value on `line`, e.g. "query line 2, column 5" (see `location`)
    within: str | None = field(default=None, compare=False)

    def sort_key(self) -> tuple:
        return (self.path, self.line if self.line is not None else 0, self.code, self.message)

    @property
    def where(self) -> str:
        return location(self.path, self.line, self.within)

    def as_dict(self) -> dict:
        d = {
            "path": self.path,
            "line": self.line,
            "severity": self.severity,
            "code": self.code,
            "message": self.message,
        }
        if self.within:
            d["within"] = self.within
        if self.hint:
            d["hint"] = self.hint
        return d


class RuleportError(Exception):
    """A user-facing error: reported as a message, never as a traceback."""

    code = "ruleport/error"

    def __init__(self, message: str, *, path: str | None = None, line: int | None = None, code: str | None = None,
                 within: str | None = None):
        super().__init__(message)
        self.message = message
        self.path = path
        self.line = line
        self.within = within     # e.g. "query line 2, column 5": see `location`
        if code:
            self.code = code

    def __str__(self) -> str:
        if not self.path:
            return self.message
        return f"{location(self.path, self.line, self.within)}: {self.message}"


class UsageError(RuleportError):
    """Bad command-line use (exit code 2)."""

    code = "usage/error"


class OutputError(UsageError):
    """A file or directory ruleport was asked to write cannot be written (exit code 2, like a usage
    error: the rules are not at fault). The message names the path and the system's reason."""

    code = "output/error"


class RuleLoadError(RuleportError):
    """A rule file that cannot be read or parsed as TOML."""

    code = "toml/syntax"


class TranslationError(RuleportError):
    """A rule that cannot be translated to Sigma (or only part of it)."""

    code = "translate/unsupported"

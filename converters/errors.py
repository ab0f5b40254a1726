"""Findings and exceptions shared by every stage (the bottom layer)."""

from __future__ import annotations

from dataclasses import dataclass, field

ERROR = "error"
WARNING = "warning"
INFO = "info"
SEVERITIES = (ERROR, WARNING, INFO)


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

    def sort_key(self) -> tuple:
        return (self.path, self.line if self.line is not None else 0, self.code, self.message)

    def as_dict(self) -> dict:
        d = {
            "path": self.path,
            "line": self.line,
            "severity": self.severity,
            "code": self.code,
            "message": self.message,
        }
        if self.hint:
            d["hint"] = self.hint
        return d


class RuleportError(Exception):
    """A user-facing error: reported as a message, never as a traceback."""

    code = "ruleport/error"

    def __init__(self, message: str, *, path: str | None = None, line: int | None = None, code: str | None = None):
        super().__init__(message)
        self.message = message
        self.path = path
        self.line = line
        if code:
            self.code = code

    def __str__(self) -> str:
        where = ""
        if self.path:
            where = self.path + (f":{self.line}" if self.line else "") + ": "
        return where + self.message


class UsageError(RuleportError):
    """Bad command-line use (exit code 2)."""

    code = "usage/error"


class RuleLoadError(RuleportError):
    """A rule file that cannot be read or parsed as TOML."""

    code = "toml/syntax"


class TranslationError(RuleportError):
    """A rule that cannot be translated to Sigma (or only part of it)."""

    code = "translate/unsupported"

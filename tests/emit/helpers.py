"""Helpers for the emit tests: read query text back into values to test."""

from __future__ import annotations

import re
from tests.support import FIXTURES

SIGMA_FIXTURES = FIXTURES / "sigma"


def seed_yaml() -> str:
    return (SIGMA_FIXTURES / "seed.yml").read_text(encoding="utf-8")


def rule(detection: str, condition: str = "sel", category: str = "process_creation") -> str:
    """A minimal Sigma rule around a detection block (YAML, indented 2)."""
    return (
        "title: t\nid: 00000000-0000-0000-0000-000000000001\nstatus: test\n"
        f"logsource:\n  category: {category}\n  product: windows\n"
        f"detection:\n{detection}\n  condition: {condition}\nlevel: low\n"
    )


def unquote_backslashes(text: str) -> str:
    """Undo a double-quoted literal's escaping (`\\\\`, `\\"`, `\\n`) as SPL, Kusto and ES|QL do."""
    return re.sub(r'\\(.)', lambda m: {"n": "\n"}.get(m.group(1), m.group(1)), text)


def quoted_after(query: str, prefix: str) -> list[str]:
    """The contents of every double-quoted string that follows `prefix`."""
    return [m.group(1) for m in re.finditer(re.escape(prefix) + r'"((?:[^"\\]|\\.)*)"', query)]


def pcre(regex: str) -> re.Pattern:
    """Python's re reads the PCRE/RE2 subset ruleport writes ((?is), \\s, groups)."""
    return re.compile(regex)

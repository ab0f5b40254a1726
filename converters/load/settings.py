"""Deployment settings: how a rules repository's SIEMs name their own data.

`ruleport package` reads them from the rules repository, in the nearest
folder (from the first PATH upwards) holding either file:

    ruleport.toml                      pyproject.toml
    [package]                          [tool.ruleport.package]
    enabled = false                    enabled = false
    [targets.splunk]                   [tool.ruleport.targets.splunk]
    index = ["sysmon"]                 index = ["sysmon"]

ruleport.toml wins when a folder has both (its tables are those of
`[tool.ruleport]`). `[tool.ruleport]` is shared with `ruleport validate`
(converters/lint/config.py reads its `license` and `disable` keys); the
deployment settings live in their own keys, `package` and `targets`.

This module reads and checks the shape and the type of every value,
naming the key and its line on any error; which keys a target accepts is
declared on the target records (converters.emit.targets) and checked there.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from converters.errors import RuleportError
from converters.load.rules import index_lines, parse_toml


class SettingsError(RuleportError):
    """A deployment settings file that cannot be used (names the file, key and line)."""

    code = "settings/invalid"


def _str(v) -> bool:
    return isinstance(v, str) and v.strip() != ""


def _strings(v) -> bool:
    return _str(v) or (isinstance(v, list) and bool(v) and all(_str(x) for x in v))


def _name(v) -> bool:       # a Splunk app folder, a Kusto table or function name, a macro
    return isinstance(v, str) and re.fullmatch(r"[A-Za-z_][A-Za-z0-9_.-]*", v) is not None


def _mapping(v) -> bool:
    return isinstance(v, dict) and all(_str(k) and _str(x) for k, x in v.items())


def _connectors(v) -> bool:
    return isinstance(v, list) and bool(v) and all(
        isinstance(c, dict) and _str(c.get("connectorId")) and isinstance(c.get("dataTypes"), list)
        and all(_str(d) for d in c["dataTypes"]) and set(c) <= {"connectorId", "dataTypes"} for c in v)


def _bool(v) -> bool:
    return isinstance(v, bool)


@dataclass(frozen=True)
class Setting:
    name: str
    check: Callable[[Any], bool]
    expects: str
    description: str


#: Every setting a target may accept (a target record names the ones it does).
SETTINGS: dict[str, Setting] = {s.name: s for s in (
    Setting("index", _strings, "a string or an array of strings",
            "Elastic: the index patterns the rule searches; Splunk: the indexes the search reads"),
    Setting("sourcetype", _str, "a string", "Splunk: the sourcetype the events carry"),
    Setting("source", _str, "a string", "Splunk: the source the events carry (replaces the default)"),
    Setting("macro", _name, "a macro name", "Splunk: a search macro naming the data (replaces index/source)"),
    Setting("app", _name, "a Splunk app folder name", "Splunk: the app the saved searches are packaged in"),
    Setting("security_domain", _str, "a string", "Splunk ES: the notable's security domain"),
    Setting("table", _name, "a table or function name",
            "Kusto: the table or parser (function) the query reads"),
    Setting("connectors", _connectors, "an array of {connectorId, dataTypes} tables",
            "Sentinel: the data connectors the rule requires (replaces those of the table)"),
    Setting("fields", _mapping, "a table of strings",
            "extra field mappings: the target's field name -> the name in your data"),
    Setting("enabled", _bool, "true or false", "whether the imported rules start enabled"),
)}

#: The keys of the [package] table (settings for every target).
PACKAGE_KEYS: dict[str, Setting] = {"enabled": SETTINGS["enabled"]}


@dataclass
class Settings:
    source: str | None = None                                  # the file read, if any
    package: dict[str, Any] = field(default_factory=dict)
    targets: dict[str, dict[str, Any]] = field(default_factory=dict)
    prefix: str = ""                                           # "tool.ruleport." for pyproject.toml
    lines: dict = field(default_factory=dict, repr=False)

    def key(self, *parts: str) -> str:
        """A key's full dotted name in the file, for messages."""
        return self.prefix + ".".join(parts)

    def line(self, *parts: str) -> int | None:
        path = tuple(self.prefix.rstrip(".").split(".")) + parts if self.prefix else parts
        while path:
            if path in self.lines:
                return self.lines[path]
            path = path[:-1]
        return None

    def error(self, message: str, *parts: str) -> SettingsError:
        return SettingsError(message, path=self.source, line=self.line(*parts) if parts else None)

    def for_target(self, target: str) -> dict[str, Any]:
        """The target's settings with the package-wide ones underneath."""
        return {**self.package, **self.targets.get(target, {})}


def find_settings(start: str | Path) -> Path | None:
    """The settings file of the rules repository holding `start`: the nearest folder upwards
    with a ruleport.toml, or a pyproject.toml that has a [tool.ruleport] table."""
    here = Path(start).resolve()
    if here.is_file():
        here = here.parent
    for folder in (here, *here.parents):
        own = folder / "ruleport.toml"
        if own.is_file():
            return own
        pyproject = folder / "pyproject.toml"
        if pyproject.is_file() and "[tool.ruleport" in pyproject.read_text(encoding="utf-8", errors="replace"):
            return pyproject
    return None


def load_settings(path: str | Path | None) -> Settings:
    """Read and check a settings file (None: no file, empty settings); SettingsError names the key."""
    if path is None:
        return Settings()
    path = Path(path)
    shown = str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise SettingsError(f"cannot read settings: {exc}", path=shown) from None
    try:
        data = parse_toml(text)
    except ValueError as exc:
        raise SettingsError(f"TOML syntax error: {exc}", path=shown) from None
    prefix = ""
    if path.name == "pyproject.toml":
        data = data.get("tool", {}).get("ruleport", {})
        prefix = "tool.ruleport."
    settings = Settings(source=shown, prefix=prefix, lines=index_lines(text))
    if not isinstance(data, dict):
        raise settings.error(f"{prefix.rstrip('.') or 'the file'} must be a table")
    package = data.get("package", {})
    if not isinstance(package, dict):
        raise settings.error(f"{settings.key('package')} must be a table", "package")
    settings.package = _checked(settings, package, PACKAGE_KEYS, ("package",))
    targets = data.get("targets", {})
    if not isinstance(targets, dict) or not all(isinstance(t, dict) for t in targets.values()):
        raise settings.error(f"{settings.key('targets')} must hold one table per target, "
                             f"e.g. [{settings.key('targets', 'splunk')}]", "targets")
    settings.targets = {name: _checked(settings, table, SETTINGS, ("targets", name))
                        for name, table in targets.items()}
    return settings


def _checked(settings: Settings, table: dict, known: dict[str, Setting], where: tuple) -> dict:
    for key, value in table.items():
        setting = known.get(key)
        if setting is None:
            raise settings.error(f"{settings.key(*where, key)}: unknown setting {key!r} "
                                 f"(known: {', '.join(sorted(known))})", *where, key)
        if not setting.check(value):
            raise settings.error(f"{settings.key(*where, key)} must be {setting.expects}", *where, key)
    return dict(table)

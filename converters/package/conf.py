"""Splunk .conf files: written and read by Splunk's configuration file rules.

The rules followed (Splunk Admin Manual, "Configuration file structure" and
the header of every .conf.spec):
* `[stanza]` opens a stanza; `key = value` sets a setting in it (spaces
  around `=` are not part of either); settings before any stanza belong to
  `[default]`.
* A line whose first non-blank character is `#` is a comment; comments have
  their own lines (a `#` inside a value is part of the value).
* A value continues on the next line when its line ends with a backslash:
  the backslash is dropped and the line break is kept in the value (how
  Splunk Web writes multi-line searches). A continued line is taken as it
  is, whatever it starts with.

So a value line that itself ends with a backslash cannot be written (it
would continue); `value_lines` refuses it, and the writers never split a
value where that would happen.
"""

from __future__ import annotations

from converters.errors import RuleportError


class ConfError(RuleportError):
    code = "package/conf"


def value_lines(value: str) -> list[str]:
    """The physical lines of one value: every line but the last ends with the continuation backslash."""
    lines = value.split("\n")
    for line in lines:
        if line.endswith("\\"):
            raise ConfError("a line of the value ends with a backslash, which a .conf file reads as a "
                            "line continuation")
    return [line + "\\" for line in lines[:-1]] + [lines[-1]]


def stanza_name(name: str) -> str:
    """A stanza name on one line, without the brackets that delimit it."""
    return " ".join(name.replace("[", "(").replace("]", ")").split())


def render(stanzas: list[tuple[str | None, list[tuple[str, str]], list[str]]], header: list[str] = ()) -> str:
    """(stanza name, [(key, value)], comment lines) -> .conf text. A None name writes bare settings."""
    out = [f"# {line}" if line else "#" for line in header]
    for name, pairs, comments in stanzas:
        if out:
            out.append("")
        out += [f"# {c}" if c else "#" for c in comments]
        if name is not None:
            out.append(f"[{stanza_name(name)}]")
        for key, value in pairs:
            lines = value_lines(str(value))
            out.append(f"{key} = {lines[0]}".rstrip())
            out += lines[1:]
    return "\n".join(out) + "\n"


def parse(text: str) -> dict[str, dict[str, str]]:
    """A .conf file's stanzas -> {key: value}, following the rules above (later keys win)."""
    stanzas: dict[str, dict[str, str]] = {}
    current = stanzas.setdefault("default", {})
    lines = text.split("\n")
    i = 0
    while i < len(lines):
        line = lines[i].rstrip("\r")
        stripped = line.strip()
        i += 1
        if not stripped or stripped.startswith("#"):
            continue
        if stripped.startswith("[") and stripped.endswith("]"):
            current = stanzas.setdefault(stripped[1:-1], {})
            continue
        if "=" not in line:
            raise ConfError(f"line {i}: neither a stanza, a setting nor a comment: {stripped[:60]!r}")
        key, _, value = line.partition("=")
        value = value.lstrip()
        parts = []
        while value.endswith("\\"):
            parts.append(value[:-1])
            value = lines[i].rstrip("\r") if i < len(lines) else ""
            i += 1
        parts.append(value.rstrip())
        current[key.strip()] = "\n".join(parts)
    if not stanzas["default"]:
        del stanzas["default"]
    return stanzas

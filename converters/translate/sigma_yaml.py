"""Deterministic YAML for Sigma rules, with notes as comments.

PyYAML renders each scalar (so quoting and escaping are YAML's own), while
the layout (key order, indentation, block lists) is fixed here, so the
same rule always gives the same bytes.
"""

from __future__ import annotations

from functools import lru_cache

import yaml

from converters.notes import Note
from converters.translate.detection import Selection

# libyaml's emitter when PyYAML has it: the same scalar styles as the Python one (checked on every
# scalar of the corpus's translations), about ten times faster
_DUMPER = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


def _scalar(value) -> str:
    if value is None:
        return "null"
    if isinstance(value, (str, int, float, bool)):
        return _cached_scalar(value, type(value))
    return _render_scalar(value)


@lru_cache(maxsize=16384)
def _cached_scalar(value, _kind) -> str:  # the type is part of the key: 1 and True and 1.0 differ
    return _render_scalar(value)


def _render_scalar(value) -> str:
    text = yaml.dump(value, Dumper=_DUMPER, default_flow_style=True, allow_unicode=True, width=10**9)
    text = text.strip()
    if text.endswith("\n..."):
        text = text[:-4].strip()
    if text.endswith("..."):
        text = text[:-3].strip()
    return text


def _lines(key: str, value, indent: int) -> list[str]:
    pad = " " * indent
    if isinstance(value, dict):
        out = [f"{pad}{_scalar(key)}:"]
        for k, v in value.items():
            out.extend(_lines(k, v, indent + 2))
        return out
    if isinstance(value, (list, tuple)):
        if not value:
            return [f"{pad}{_scalar(key)}: []"]
        out = [f"{pad}{_scalar(key)}:"]
        for v in value:
            if isinstance(v, dict):
                first = True
                for k2, v2 in v.items():
                    sub = _lines(k2, v2, indent + 4)
                    if first:
                        sub[0] = f"{pad}  - " + sub[0].lstrip()
                        first = False
                    out.extend(sub)
            else:
                out.append(f"{pad}  - {_scalar(v)}")
        return out
    return [f"{pad}{_scalar(key)}: {_scalar(value)}"]


def document(meta: dict, logsource: dict, selections: dict[str, Selection], condition: str,
             trailer: dict) -> dict:
    """The Sigma rule as plain data: what its YAML text loads to (emit builds pySigma rules from it
    without parsing the text again; tests/translate hold the two equal)."""
    detection: dict = {name: {it.key: _value(it.values) for it in sel.items} for name, sel in selections.items()}
    detection["condition"] = condition
    return {**meta, "logsource": logsource, "detection": detection, **trailer}


def _value(values: tuple):
    # one value reads best as a scalar, as Sigma rules customarily write it
    return values[0] if len(values) == 1 else list(values)


def render(header: list[str], doc: dict, notes: list[Note]) -> str:
    """The YAML text of `doc` (a Sigma rule as document() builds it), the notes as comments."""
    out = _comments(header, notes)
    for k, v in doc.items():
        out.extend(_lines(k, v, 0))
    return "\n".join(out) + "\n"


def _comments(header: list[str], notes: list[Note]) -> list[str]:
    out = [f"# {line}" if line else "#" for line in header]
    if notes:
        out.append("# Approximations (also in `ruleport convert --format json`):")
        for n in notes:
            where = f" [{n.field}]" if n.field else ""
            out.append(f"#   {n.code}{where}: {n.message}")
    return out


def _detection_lines(logsource: dict, selections: dict[str, Selection], condition: str) -> list[str]:
    out = _lines("logsource", logsource, 0)
    out.append("detection:")
    for name, sel in selections.items():
        out.append(f"  {name}:")
        for it in sel.items:
            out.extend(_lines(it.key, _value(it.values), 4))
    out.append(f"  condition: {_scalar(condition)}")
    return out


def render_correlation(header: list[str], notes: list[Note], base_rules: list[dict], meta: dict,
                       correlation: dict, trailer: dict) -> str:
    """A Sigma correlation rule and its base rules as one multi-document YAML, base rules first.

    base_rules: dicts with `meta` (title, id, name, status...), `logsource`,
    `selections`, `condition`; `correlation`: the correlation section's keys."""
    out = _comments(header, notes)
    first = True
    for base in base_rules:
        if not first:
            out.append("---")
        first = False
        for k, v in base["meta"].items():
            out.extend(_lines(k, v, 0))
        out.extend(_detection_lines(base["logsource"], base["selections"], base["condition"]))
    out.append("---")
    for k, v in meta.items():
        out.extend(_lines(k, v, 0))
    out.extend(_lines("correlation", correlation, 0))
    for k, v in trailer.items():
        out.extend(_lines(k, v, 0))
    return "\n".join(out) + "\n"

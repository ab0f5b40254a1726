"""Regular expressions over the JSON text a platform keeps of an object.

Where a platform keeps an object as JSON text (Splunk's _raw, a Kusto dynamic
column read with tostring) and no field of its own reaches a value, a
condition on the value is a regex over that text: a Sigma value as the JSON
text it matches (`json_value_regex`), and a pattern over Java's Map.toString
of an object (CloudTrail's request_parameters as Elastic writes them) as the
same pattern over the object's JSON text (`java_map_regex`).
"""

from __future__ import annotations

import re

from converters.emit.strings import pcre_escape, render
from sigma.types import SigmaBool, SigmaCasedString, SigmaNumber, SigmaString


def json_escape(text: str) -> str:
    """`text` as it is written inside a JSON string."""
    return text.replace("\\", "\\\\").replace('"', '\\"')


_JSON_CHAR = r'(?:[^"\\]|\\.)'


def json_value_regex(v) -> str | None:
    """A regex for the JSON text of a value a Sigma value matches (a string, or the literal it is)."""
    if isinstance(v, SigmaBool):
        text = "true" if v.boolean else "false"
        return f'(?:"{text}"|{text})'
    if isinstance(v, SigmaNumber):
        return f'(?:"{v.number}"|{v.number})'
    if type(v) not in (SigmaString, SigmaCasedString):
        return None
    text = render(v, any_run=_JSON_CHAR + "*", any_char=_JSON_CHAR, literal=lambda part: pcre_escape(json_escape(part)))
    literal = v.to_plain() if not v.contains_special() else None
    if literal is not None and re.fullmatch(r"true|false|null|-?\d+(?:\.\d+)?", literal):
        return f'(?:"{text}"|{text})'
    return f'"{text}"'


def java_map_regex(v: SigmaString) -> str:
    """A regex over JSON text for a pattern over Java's Map.toString of the same object."""
    return render(v, any_run=".*", any_char=".", literal=_java_map_part)


def _java_map_part(part: str) -> str:
    """Plain text of Map.toString (`k=v, k2=v2`, `{...}`, `[...]`) as a regex over the JSON text."""
    out = []
    i = 0
    while i < len(part):
        c = part[i]
        if c == "=":
            out.append(r'"?\s*:\s*"?')
        elif part.startswith(", ", i):
            out.append(r'"?\s*,\s*"?')
            i += 1
        elif c == "{":
            out.append(r'\{\s*"?')
        elif c == "}":
            out.append(r'"?\s*\}')
        elif c == "[":
            out.append(r'\[\s*"?')
        elif c == "]":
            out.append(r'"?\s*\]')
        elif c == '"':
            out.append(r'\\"')
        elif c == "\\":
            out.append(r"\\\\")
        else:
            out.append(pcre_escape(c))
        i += 1
    return "".join(out)


"""GitHub Actions workflow commands: `::error file=…,line=…,title=…::message`.

The runner turns each into an annotation on the pull request's diff; it
places one only when `file` is relative to the repository root, so paths
are rewritten that way (converters.report.paths). Escaping follows the
workflow-command rules: in the message `%`, CR and LF; in properties also
`:` and `,`.
"""

from __future__ import annotations

from converters.report.paths import repository_path

_LEVEL = {"error": "error", "warning": "warning", "info": "notice"}


def _data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _prop(text: str) -> str:
    return _data(text).replace(":", "%3A").replace(",", "%2C")


def message_of(f) -> str:
    """The annotation's text: the position inside the value first (the file line is the annotation's)."""
    return (f"[{f.within}] " if f.within else "") + f.message


def render_github(findings: list) -> str:
    out = []
    for f in findings:
        props = [f"file={_prop(repository_path(f.path))}"]
        if f.line:
            props.append(f"line={f.line}")
        props.append(f"title={_prop(f.code)}")
        message = message_of(f) + (f" (hint: {f.hint})" if f.hint else "")
        out.append(f"::{_LEVEL.get(f.severity, 'warning')} {','.join(props)}::{_data(message)}")
    return "\n".join(out) + ("\n" if out else "")

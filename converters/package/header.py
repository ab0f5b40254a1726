"""The header `convert --out` files carry: the rule, its severity and ATT&CK mapping, the notes.

Written as comments in the query language's own syntax, so the file stays a
valid query: SPL ```...``` comments (Splunk 8.2+; after the first command when
the search starts with a generating command such as `| tstats`, so the search
still starts with its pipe), `/* */` in EQL (as Elastic's own rules comment
their queries), `//` line comments in ES|QL and Kusto. Lucene query strings and Kibana KQL have no comment syntax:
their header goes to a sidecar file beside the query (`<file>.header.txt`).
Sigma rules carry their metadata as YAML keys and their notes as comments
already (converters.translate), so they get no second header.
"""

from __future__ import annotations

from converters.load.meta import RuleMeta
from converters.notes import Note

# query language -> (line prefix, line suffix); absent: no comment syntax
COMMENTS = {"spl": ("```", "```"), "eql": ("/* ", " */"), "esql": ("// ", ""), "kusto": ("// ", "")}
# what would close each comment early, and what it becomes
_CLOSERS = {"spl": ("```", "`"), "eql": ("*/", "* /")}
SIDECAR_SUFFIX = ".header.txt"


def header_lines(meta: RuleMeta, target: str, notes: list[Note]) -> list[str]:
    techniques = ", ".join(dict.fromkeys(t.id for t in meta.techniques)) or "none"
    lines = [
        f"{meta.name} (Elastic rule {meta.rule_id or 'without rule_id'})",
        f"severity {meta.severity}, risk score {meta.risk_score if meta.risk_score is not None else 'none'}; "
        f"ATT&CK {techniques}",
        f"ruleport target {target}",
    ]
    mine = [n for n in notes if n.target in (None, target)]
    if mine:
        lines.append("notes:")
        lines += [f"  {n.code}{f' [{n.field}]' if n.field else ''}: {n.message}" for n in mine]
    return [" ".join(line.split()) if not line.startswith("  ") else "  " + " ".join(line.split())
            for line in lines]


def with_header(text: str, language: str, meta: RuleMeta, target: str,
                notes: list[Note]) -> tuple[str, str | None]:
    """(the query file's text, the sidecar's text or None)."""
    lines = header_lines(meta, target, notes)
    body = text if text.endswith("\n") else text + "\n"
    syntax = COMMENTS.get(language)
    if syntax is None:
        return body, "\n".join(lines) + "\n"
    start, end = syntax
    closer, safe = _CLOSERS.get(language, ("\n", " "))
    commented = "".join(f"{start}{line.replace(closer, safe)}{end}\n" for line in lines)
    if language == "spl" and body.lstrip().startswith("|"):
        first, _, rest = body.partition("\n")
        return f"{first}\n{commented}{rest}", None
    return commented + body, None

"""Query checks: the query parses, its fields exist in ECS, its OS agrees with the tags.

EQL goes through converters.eql (the parser accepts what the corpus needs:
sequences `with runs`, missing events `![...]`, samples); KQL through
converters.kql. ES|QL and Lucene are not parsed: reported as not checked.

ECS: a field whose first part is an ECS field set (process, file, host,
...) must be an ECS field; fields elsewhere (winlog.*, aws.*, custom
fields) belong to integrations and are not checked. Elastic Defend's own
extensions (any part named `Ext`, or starting upper-case like
`Effective_process`, and its `.caseless` multi-fields) are Defend's, not
ECS's, and are skipped too.

OS: when the query pins `host.os.type` (see query_os), the rule's `OS:`
tags must name exactly those operating systems. ES|QL is not parsed, so
not checked.
"""

from __future__ import annotations

import dataclasses
import re

from converters.errors import drop_position
from converters.lint.codes import finding
from converters.lint.ecs import ecs_table
from converters.load import RuleFile

_OS_TAGS = {"windows": "windows", "linux": "linux", "macos": "macos"}


_QUERY_KEY = re.compile(r"^query\s*=", re.MULTILINE)


def query_key_line(rf: RuleFile) -> int | None:
    """Line of rule.query. When `query =` starts exactly one line of the file, that is it
    (no need to index every key); otherwise (osquery entries, a note quoting one) ask the index."""
    found = _QUERY_KEY.findall(rf.text)
    if len(found) == 1:
        m = _QUERY_KEY.search(rf.text)
        return rf.text.count("\n", 0, m.start()) + 1
    return rf.line_of(("rule", "query"))


def query_line(rf: RuleFile) -> tuple[int | None, int]:
    """(line of the query key, offset of the query's own line 1 from it)."""
    line = query_key_line(rf)
    if line is None:
        return None, 0
    text = rf.text.split("\n")[line - 1]
    rest = text.split("=", 1)[1].strip() if "=" in text else ""
    # TOML drops the newline right after an opening triple quote
    offset = 1 if rest in ("'''", '"""') else 0
    return line, offset


def parse_rule_query(rf: RuleFile):
    """(language, AST or None, findings) for the rule's query."""
    rule = rf.rule
    query, language = rule.get("query"), rule.get("language")
    if not isinstance(query, str) or not isinstance(language, str):
        return language, None, []
    if language == "eql":
        from converters.eql import EqlSyntaxError, parse_query  # noqa: PLC0415

        try:
            return language, parse_query(query), []
        except EqlSyntaxError as exc:
            return language, None, [_syntax(rf, "query/eql-syntax", exc)]
    if language == "kuery":
        try:
            from converters.kql import KqlSyntaxError, parse_kql  # noqa: PLC0415
        except ImportError:  # the KQL parser is optional for validation
            return language, None, [finding(rf.path, query_key_line(rf), "query/not-checked",
                                            "KQL query not checked: no KQL parser installed")]
        try:
            return language, parse_kql(query), []
        except KqlSyntaxError as exc:
            return language, None, [_syntax(rf, "query/kql-syntax", exc)]
    name = {"esql": "ES|QL", "lucene": "Lucene"}.get(language, language)
    return language, None, [finding(rf.path, query_key_line(rf), "query/not-checked",
                                    f"{name} query not checked (ruleport has no {name} parser)")]


def check_threat_query(rf: RuleFile) -> list:
    """An indicator-match rule's threat_query (KQL) parses too."""
    rule = rf.rule
    text = rule.get("threat_query")
    if not isinstance(text, str) or rule.get("threat_language", "kuery") != "kuery":
        return []
    try:
        from converters.kql import KqlSyntaxError, parse_kql  # noqa: PLC0415
    except ImportError:
        return []
    try:
        parse_kql(text)
    except KqlSyntaxError as exc:
        return [_syntax(rf, "query/kql-syntax", exc, key=("rule", "threat_query"))]
    return []


def _syntax(rf: RuleFile, code: str, exc, key: tuple = ("rule", "query"), key_line: int | None = None):
    """A syntax finding on the file line of the error, with the position inside the query beside it
    (`rules/x.toml:80 [query line 2, column 5]`): the same reference `ruleport convert` gives."""
    if key_line is None:
        key_line = query_key_line(rf) if key == ("rule", "query") else rf.line_of(key)
    line, within = rf.inner_position(key, getattr(exc, "line", None), getattr(exc, "column", None),
                                     key_line=key_line)
    return dataclasses.replace(finding(rf.path, line, code, drop_position(getattr(exc, "message", str(exc)))),
                               within=within)


def fields_of(tree) -> set[str]:
    """Every field name an EQL or KQL AST refers to (KQL nested paths joined)."""
    found: set[str] = set()

    def walk(node, prefix=""):
        if isinstance(node, (list, tuple)):
            for item in node:
                walk(item, prefix)
            return
        if not dataclasses.is_dataclass(node):
            return
        kind = type(node).__name__
        if kind == "Field" and isinstance(getattr(node, "path", None), str):
            found.add(node.path)
        for f in dataclasses.fields(node):
            value = getattr(node, f.name)
            if f.name == "field" and isinstance(value, str):
                found.add(prefix + value)
                if kind == "Nested":
                    walk(node.query, prefix + value + ".")
                    return
            else:
                walk(value, prefix)

    walk(tree)
    return found


def check_ecs_fields(rf: RuleFile, tree) -> list:
    table = ecs_table()
    unknown = []
    for name in sorted(fields_of(tree)):
        parts = name.split(".")
        if len(parts) < 2 or parts[0] not in table.field_sets or "*" in name:
            continue
        if any(p == "Ext" or p[:1].isupper() for p in parts) or parts[-1] == "caseless":
            continue
        if not table.is_field(name):
            unknown.append(name)
    if not unknown:
        return []
    return [finding(rf.path, _field_line(rf, name), "ecs/unknown-field", f"field {name!r} is not in ECS {table.version}")
            for name in unknown]


def _field_line(rf: RuleFile, name: str) -> int | None:
    """The file line where the query first names `name` (else the query key's line)."""
    key_line, offset = query_line(rf)
    query = rf.rule.get("query")
    if key_line is None or not isinstance(query, str):
        return key_line
    m = re.search(r"(?<![\w.])" + re.escape(name) + r"(?![\w])", query)
    if not m:
        return key_line
    return key_line + offset + query.count("\n", 0, m.start())


_OS_FIELD = "host.os.type"


def query_os(tree) -> set[str] | None:
    """Operating systems an EQL or KQL query requires, or None if it does not pin one.

    A query pins the OS when every event it can match needs `host.os.type`
    to be one of some values: a top-level `and` term pins it, an `or` pins
    it only if each branch does, and a sequence or sample only if each of
    its (non-missing) events does. Negations and wildcards pin nothing.
    """
    base = getattr(tree, "base", None)
    if base is not None or type(tree).__name__ == "Query" and hasattr(tree, "pipes"):
        if base is None:
            return None
        if type(base).__name__ == "EventQuery":
            return _os_of(base.condition)
        result: set = set()
        for sub in getattr(base, "subqueries", ()):
            if sub.missing:
                continue
            found = _os_of(sub.query.condition)
            if found is None:
                return None
            result |= found
        return result or None
    return _os_of(tree)


def _os_of(node) -> set[str] | None:
    kind = type(node).__name__
    if kind in ("And", "Or"):
        parts = [_os_of(t) for t in node.terms]
        if kind == "And":
            pinned = [p for p in parts if p is not None]
            return set.intersection(*pinned) if pinned else None
        return set.union(*parts) if parts and all(p is not None for p in parts) else None
    if kind == "FieldMatch" and node.field == _OS_FIELD:           # KQL
        text = node.value.literal
        return {text.lower()} if text else None
    left = getattr(node, "left", None)
    if type(left).__name__ != "Field" or left.path != _OS_FIELD:
        return None
    if kind == "Comparison" and node.op == "==" and type(node.right).__name__ == "Literal":
        return {str(node.right.value).lower()}
    if kind == "StringPredicate" and node.op in (":", "like", "like~") \
            and not any("*" in p or "?" in p for p in node.patterns):
        return {p.lower() for p in node.patterns}
    if kind == "InSet" and not node.negated and all(type(v).__name__ == "Literal" for v in node.values):
        return {str(v.value).lower() for v in node.values}
    return None


def check_os_tags(rf: RuleFile, tree) -> list:
    tags = rf.rule.get("tags")
    if tree is None or not isinstance(tags, list):
        return []
    tagged = {t.split(":", 1)[1].strip().lower() for t in tags
              if isinstance(t, str) and t.startswith("OS:")}
    tagged = {_OS_TAGS[t] for t in tagged if t in _OS_TAGS}
    selected = query_os(tree)
    if not tagged or not selected or tagged == selected:
        return []
    pretty = {"windows": "Windows", "linux": "Linux", "macos": "macOS"}
    from converters.lint.checks_meta import tag_line  # noqa: PLC0415

    extra = sorted(tagged - selected)
    line = tag_line(rf, "OS: " + pretty[extra[0]]) if extra else rf.line_of(("rule", "tags"))
    return [finding(rf.path, line, "tags/os-query",
                    "OS tags name " + ", ".join(pretty[o] for o in sorted(tagged))
                    + " but the query only matches host.os.type " + ", ".join(sorted(selected)))]

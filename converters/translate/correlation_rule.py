"""An Elastic rule that correlates events (EQL sequence/sample, threshold) to a Translation.

Kept apart from converters.translate.correlation (what the correlation is)
so that translate_rule only asks: is this rule a correlation?
"""

from __future__ import annotations

from converters.eql import EqlSyntaxError, ast, parse_query
from converters.errors import TranslationError, drop_position
from converters.load import RuleFile
from converters.notes import Note
from converters.translate import correlation as C


def translate_correlation(rule_file: RuleFile, notes: list[Note]) -> tuple[str, C.Correlation] | None:
    """The Sigma YAML and Correlation of a correlating rule, or None when the rule matches single events."""
    rule = rule_file.rule
    query_text = rule.get("query")
    language = rule.get("language")
    key = ("rule", "query")
    try:
        if language == "eql":
            try:
                query = parse_query(query_text)
            except EqlSyntaxError as exc:
                line, within = rule_file.inner_position(key, exc.line, getattr(exc, "column", None))
                raise TranslationError(drop_position(exc.message), path=rule_file.path, line=line, within=within,
                                       code="translate/query-syntax") from None
            if isinstance(query.base, (ast.Sequence, ast.Sample, ast.Join)):
                corr = C.translate_multi_event(query, rule, notes)
            elif rule.get("type") == "threshold":
                from converters.translate.eql_rule import translate_eql

                logsource, cond = translate_eql(query_text, rule, notes)
                corr = C.threshold_correlation(rule, logsource, cond, notes)
            else:
                return None
        elif rule.get("type") == "threshold" and language == "kuery":
            from converters.translate.kql_rule import translate_kql

            logsource, cond = translate_kql(query_text, rule, notes)
            corr = C.threshold_correlation(rule, logsource, cond, notes)
        else:
            return None
    except TranslationError as exc:
        if exc.path is None:
            exc.path, exc.line = rule_file.path, exc.line or rule_file.line_of(key)
        raise
    if rule.get("exceptions_list"):
        notes.append(Note("translate/exceptions-dropped",
                          "the rule's exception lists live in Kibana, not in the rule file, and are not applied"))
    return C.render(corr, rule, rule_file.metadata, notes), corr

"""ruleport's EQL parser keeps what Elastic's own AST loses: case and `?`."""

import pytest

from converters.eql import EqlSyntaxError, ast, parse_query


def cond(text):
    return parse_query(f"process where {text}").base.condition


@pytest.mark.parametrize("op, insensitive", [(":", True), ("like~", True), ("like", False),
                                             ("regex~", True), ("regex", False)])
def test_string_predicates_keep_their_case_rule(op, insensitive):
    node = cond(f'process.name {op} "a*"')
    assert isinstance(node, ast.StringPredicate)
    assert node.op == op and node.case_insensitive is insensitive


def test_equality_is_a_comparison_not_a_predicate():
    node = cond('process.name == "Node.exe"')
    assert node == ast.Comparison(ast.Field("process.name"), "==", ast.Literal("Node.exe"))


def test_in_and_in_tilde_differ():
    assert cond('process.name in ("a", "b")').case_insensitive is False
    node = cond('process.name in~ ("a", "b")')
    assert node.case_insensitive is True and [v.value for v in node.values] == ["a", "b"]
    assert cond('process.name not in ("a")').negated is True


def test_optional_field_marker_is_kept():
    node = cond('?process.pe.original_file_name == "x"')
    assert node.left == ast.Field("process.pe.original_file_name", optional=True)
    assert cond('process.name == "x"').left.optional is False


def test_double_quoted_strings_unescape_backslashes():
    node = cond(r'process.executable : "\\Device\\HarddiskVolume?\\\\Users\\*"')
    assert node.patterns == ("\\Device\\HarddiskVolume?\\\\Users\\*",)
    assert node.patterns[0].count("\\") == 5


def test_raw_strings_keep_backslashes():
    assert cond(r'process.name : ?"C:\Windows\*"').patterns == ("C:\\Windows\\*",)
    assert cond('process.name : """C:\\x"""').patterns == ("C:\\x",)


def test_boolean_structure_and_precedence():
    node = cond('a.b == 1 or c.d == 2 and not e.f == 3')
    assert isinstance(node, ast.Or)
    assert isinstance(node.terms[1], ast.And)
    assert isinstance(node.terms[1].terms[1], ast.Not)


def test_functions_and_insensitive_functions():
    node = cond('startsWith~(process.name, "x") and length(process.args) > 2')
    call, cmp = node.terms
    assert call == ast.FunctionCall("startsWith", (ast.Field("process.name"), ast.Literal("x")), True)
    assert isinstance(cmp.left, ast.FunctionCall) and cmp.left.name == "length" and cmp.op == ">"


def test_sequences_with_runs_and_missing_events():
    q = parse_query('sequence by host.id with maxspan=1m [process where true] with runs=3 '
                    '![file where file.name : "x"]')
    assert isinstance(q.base, ast.Sequence)
    assert q.base.maxspan == "1m"
    assert q.base.subqueries[0].runs == 3
    assert q.base.subqueries[1].missing is True
    assert q.base.join_by == (ast.Field("host.id"),)


def test_sample_and_pipes():
    q = parse_query('sample by host.id [process where true] [file where true]')
    assert isinstance(q.base, ast.Sample) and len(q.base.subqueries) == 2
    q = parse_query('process where true | head 5')
    assert q.pipes == (ast.Pipe("head", (ast.Literal(5),)),)


def test_syntax_error_names_line_and_column():
    with pytest.raises(EqlSyntaxError) as err:
        parse_query('process where\n  process.name == ')
    assert err.value.line == 2
    assert err.value.column is not None
    assert "line 2" in err.value.message


def test_colon_on_numbers_and_booleans_is_equality():
    assert cond("process.pid : 4") == ast.Comparison(ast.Field("process.pid"), "==", ast.Literal(4))
    node = cond('process.code_signature.trusted : (false, "x")')
    assert isinstance(node, ast.Or)
    assert node.terms[1] == ast.Comparison(ast.Field("process.code_signature.trusted"), "==", ast.Literal(False))
    with pytest.raises(EqlSyntaxError):
        parse_query("process where process.pid like 4")

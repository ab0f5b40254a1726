"""ruleport's pySigma transformations, one behaviour at a time."""

from __future__ import annotations

import re

import pytest
from sigma.types import SigmaString

from converters.emit import EmitError, emit
from converters.emit.argv import argv_regex
from tests.emit.helpers import rule, unquote_backslashes


def _codes(emitted):
    return {(n.code, n.field) for n in emitted.notes}


# --- fields a platform lacks --------------------------------------------------

def test_missing_field_inside_and_drops_that_branch_only():
    text = rule(
        "  a:\n    Image|endswith: '\\a.exe'\n    process.code_signature.subject_name: X\n"
        "  b:\n    CommandLine|contains: evil",
        condition="a or b",
    )
    e = emit(text, "kusto-defender")
    q = e.queries[0]
    assert "a.exe" not in q and 'ProcessCommandLine contains "evil"' in q
    assert ("emit/branch-dropped", "process.code_signature.subject_name") in _codes(e)


def test_negated_missing_field_widens_and_says_so():
    text = rule(
        "  a:\n    Image|endswith: '\\a.exe'\n  f:\n    process.code_signature.subject_name: X",
        condition="a and not f",
    )
    e = emit(text, "splunk")
    assert 'Image="*\\\\a.exe"' in e.queries[0] and "subject" not in e.queries[0]
    assert ("emit/condition-widened", "process.code_signature.subject_name") in _codes(e)
    assert ("emit/branch-dropped", "process.code_signature.subject_name") not in _codes(e)


def test_selector_is_expanded_before_dropping():
    text = rule(
        "  sel_a:\n    Image|endswith: '\\a.exe'\n  sel_b:\n    process.code_signature.subject_name: X\n"
        "  other:\n    CommandLine|contains: z",
        condition="1 of sel_* and other",
    )
    q = emit(text, "kusto-sentinel").queries[0]
    assert 'TargetProcessName endswith "\\\\a.exe" and TargetProcessCommandLine contains "z"' in q


def test_missing_field_among_alternatives_of_one_selection():
    text = rule(
        "  sel:\n    - Image|endswith: '\\a.exe'\n    - process.code_signature.subject_name: X"
    )
    e = emit(text, "splunk")
    assert 'Image="*\\\\a.exe"' in e.queries[0]
    assert any(code == "emit/branch-dropped" for code, _ in _codes(e))


# --- argv from the command line -----------------------------------------------

@pytest.mark.parametrize("value, yes, no", [
    ("-r", ["node -r x", 'n "-r"', "-r", 'a "b c" -R'],
     ["node -rf", "a--r", "node x-r", 'grep.mjs --pattern "-r hook"', 'x "a -r b"']),
    ("*.js", ["node a.js", 'node "C:\\a b\\x.js" y', "node C:\\x.JS"],
     ["a.json", "a.jsx y", 'node --title "build.js watcher" C:\\w.mjs']),
    ("--inspect*", ["node --inspect=9229 x", "node --inspect", 'node "--inspect-brk"'],
     ["node x--inspect", 'node "a --inspect"']),
    ("*child*", ["a child_process"], ["a chil d"]),
    ("*re*ch*", ["x require(child)", 'x "re ch"'], ["x ch re"]),
    ("a?c", ["x abc y"], ["x abbc y", "x ab c"]),
])
def test_argv_regex(value, yes, no):
    regex = re.compile(argv_regex(SigmaString(value)), re.I)
    for v in yes:
        assert regex.search(v), (regex.pattern, v)
    for v in no:
        assert not regex.search(v), (regex.pattern, v)


def test_cased_argv_stays_case_sensitive():
    q = emit(rule("  sel:\n    process.args|cased: -R"), "kusto-defender").queries[0]
    assert 'ProcessCommandLine matches regex "^(?:[^\\"]*\\"[^\\"]*\\")*[^\\"]*(?:^|\\\\s)(?:-R|\\"-R\\")(?:\\\\s|$)"' in q


def test_argv_regex_not_on_whole_arguments_is_refused():
    with pytest.raises(EmitError) as exc:
        emit(rule("  sel:\n    process.args|re: '-r'"), "splunk")
    assert exc.value.code == "emit/field-unavailable"


# --- basename fields ----------------------------------------------------------

def test_endswith_name_goes_to_name_field():
    q = emit(rule("  sel:\n    Image|endswith: '\\cmd.exe'"), "lucene").queries[0]
    assert "process.name.caseless:cmd.exe" in q


def test_endswith_longer_path_stays_on_the_path():
    q = emit(rule("  sel:\n    Image|endswith: '\\System32\\cmd.exe'"), "lucene").queries[0]
    assert r"process.executable.caseless:*\\system32\\cmd.exe" in q


def test_endswith_without_separator_stays_on_the_path():
    q = emit(rule("  sel:\n    Image|endswith: 'cmd.exe'"), "kusto-defender").queries[0]
    assert 'FolderPath endswith "cmd.exe"' in q


def test_cased_name_stays_cased():
    q = emit(rule("  sel:\n    Image|endswith|cased: '\\Cmd.exe'"), "kusto-defender").queries[0]
    assert 'FileName == "Cmd.exe"' in q


# --- .caseless and case -------------------------------------------------------

def test_mixed_case_values_split_between_caseless_and_field():
    text = rule("  sel:\n    CommandLine|cased: Foo\n  sel2:\n    CommandLine: Bar", condition="sel or sel2")
    q = emit(text, "lucene").queries[0]
    assert "process.command_line:Foo" in q and "process.command_line.caseless:bar" in q


def test_splunk_cased_and_single_wildcard_become_exact_regexes():
    # YAML C:\Windows\\?.exe: a real backslash, then the `?` wildcard
    text = rule("  sel:\n    Image: 'C:\\Windows\\\\?.exe'\n    OriginalFileName|cased: Cmd.Exe")
    q = emit(text, "splunk").queries[0]
    lines = q.splitlines()
    assert lines[0] == 'source="XmlWinEventLog:Microsoft-Windows-Sysmon/Operational" EventCode=1'
    # each top-level conjunct that is one regex is a `regex` filter, no rex/eval flag needed
    assert len(lines) == 3 and all(line.startswith("| regex ") for line in lines[1:])
    regex = {m.group(1): m.group(2) for m in re.finditer(r'^\| regex (\w+)="(.*)"$', q, re.M)}
    image = re.compile(unquote_backslashes(regex["Image"]))
    assert image.search(r"c:\windows\a.EXE") and not image.search(r"C:\Windows\ab.exe")
    ofn = re.compile(unquote_backslashes(regex["OriginalFileName"]))
    assert ofn.search("Cmd.Exe") and not ofn.search("cmd.exe")


def test_splunk_without_regex_is_one_search():
    q = emit(rule("  sel:\n    CommandLine|contains: evil\n    IntegrityLevel: High"), "splunk").queries[0]
    assert q == ('source="XmlWinEventLog:Microsoft-Windows-Sysmon/Operational" EventCode=1 '
                 '(CommandLine="*evil*" AND IntegrityLevel="High")')


def test_cim_without_regex_uses_tstats_where():
    q = emit(rule("  sel:\n    CommandLine|contains: evil"), "splunk-cim").queries[0]
    assert 'from datamodel=Endpoint.Processes where Processes.process="*evil*" by ' in q


# --- Sigma regexes on Lucene-dialect targets ------------------------------------

def test_sigma_regex_to_lucene():
    from converters.emit.strings import sigma_regex_to_lucene as conv

    assert conv("^(?:a|b)$", case_insensitive=False) == "(a|b)"
    assert conv("a|b", case_insensitive=False) == ".*(a|b).*"
    assert conv("ab[a-c]x", case_insensitive=True) == ".*[Aa][Bb][A-Ca-c][Xx].*"
    assert conv("x<y", case_insensitive=False) == r".*x\<y.*"
    # what Elasticsearch 8+ runs: class shorthands, lazy repeats (same matches), a leading (?i),
    # anchors on alternatives; PCRE's \s has \v and \f, Lucene's does not; PCRE's `.` stops at \n
    assert conv(r"\d+", case_insensitive=False) == r".*\d+.*"
    assert conv(r"^a\s$", case_insensitive=False) == "a[\t-\r ]"
    assert conv("^a.$", case_insensitive=False) == "a[^\n]"
    assert conv("^a.$", case_insensitive=False, dotall=True) == "a."
    assert conv("(?i)^a$", case_insensitive=False) == "[Aa]"
    assert conv("a*?b", case_insensitive=False) == ".*a*b.*"
    assert conv("^a|b$", case_insensitive=False) == "(a.*)|(.*b)"
    assert conv("(?:^|\\\\)n$", case_insensitive=False) == "(n)|(.*\\\\n)"
    for bad in ("a^b", r"a\bb", "(?=a)", r"(a)\1", "a++", r"\p{L}", "[[:alpha:]]"):
        with pytest.raises(EmitError) as exc:
            conv(bad, case_insensitive=False)
        assert exc.value.code == "emit/regex-unsupported"


def test_translator_basename_regex_goes_to_the_name_field():
    text = rule("  sel:\n    Image|re|i: '(?:^|\\\\)node[^\\\\]*\\.exe$'")
    lucene = emit(text, "lucene").queries[0]
    regex = re.search(r"process\.name:/(.*)/\)?$", lucene).group(1)
    assert re.fullmatch(regex, "NODE64.exe") and not re.fullmatch(regex, "xnode.exe")
    # EQL's regex~ would fold ASCII letters only and no range: the `i` flag is spelled out
    assert 'process.name regex "([Nn][Oo][Dd][Ee][^\\\\\\\\]*\\\\.[Ee][Xx][Ee])"' in emit(text, "eql").queries[0]
    assert 'FileName matches regex "(?i)^(?:node' in emit(text, "kusto-defender").queries[0]
    # no name field in Sysmon: the path regex stays, PCRE reads it as written
    assert '| regex Image="(?i)(?:^|\\\\\\\\)node' in emit(text, "splunk").queries[0]


# --- other operating systems ----------------------------------------------------

def _linux(detection: str) -> str:
    return rule(detection).replace("product: windows", "product: linux")


def test_linux_rule_is_scoped_to_linux_and_uses_slash_names():
    text = _linux("  sel:\n    Image|endswith: '/bash'\n    CommandLine|contains: ' -i'")
    lucene = emit(text, "lucene").queries[0]
    assert lucene.startswith("(event.category:process AND (event.type:(start OR process_started)) AND host.os.type:linux) AND ")
    assert "process.name.caseless:bash" in lucene
    asim = emit(text, "kusto-sentinel").queries[0]
    assert '| where EventType == "ProcessCreated" and DvcOs =~ "Linux"\n' in asim
    assert 'TargetProcessName endswith "/bash"' in asim
    xdr = emit(text, "kusto-defender")
    assert 'FileName =~ "bash"' in xdr.queries[0]
    assert any(n.code == "emit/scope-widened" and "linux" in n.message for n in xdr.notes)
    # Sysmon for Linux, under its own source
    assert emit(text, "splunk").queries[0].startswith('source="Syslog:Linux-Sysmon/Operational" EventCode=1 ')
    with pytest.raises(EmitError) as exc:  # no Sysmon for macOS
        emit(text.replace("product: linux", "product: macos"), "splunk")
    assert exc.value.code == "emit/logsource-unsupported" and "macOS" in exc.value.message


def test_rule_without_product_has_no_os_scope():
    text = rule("  sel:\n    CommandLine|contains: whoami").replace("  product: windows\n", "")
    assert "host.os.type" not in emit(text, "lucene").queries[0]
    assert emit(text, "eql").queries[0].startswith('process where (event.type == "start" or event.type == "process_started") and ')
    assert "DvcOs" not in emit(text, "kusto-sentinel").queries[0]
    # either separator names the last path component
    for path in ("\\\\cmd.exe", "/cmd.exe"):
        text = rule(f"  sel:\n    Image|endswith: '{path}'").replace("  product: windows\n", "")
        assert emit(text, "lucene").queries[0].endswith(" AND process.name.caseless:cmd.exe")


def test_eql_field_exists():
    q = emit(rule("  sel:\n    OriginalFileName|exists: true"), "eql").queries[0]
    assert "process.pe.original_file_name != null" in q


def test_argv_exists_follows_the_command_line():
    q = emit(rule("  sel:\n    process.args|exists: true"), "kusto-defender").queries[0]
    assert "isnotempty(ProcessCommandLine)" in q


def test_start_actions_are_implied_by_the_scope():
    text = _linux("  sel:\n    Image|endswith: '/bash'\n  act:\n    event.action:\n      - exec\n      - fork")
    text = text.replace("condition: sel", "condition: sel and act")
    assert 'event.action' in emit(text, "lucene").queries[0]  # Elastic has it
    e = emit(text, "kusto-sentinel")
    # ASIM names the action in EventType: the start actions are read there, the rest noted
    assert "event.action" not in e.queries[0] and 'TargetProcessName endswith "/bash"' in e.queries[0]
    [note] = [n for n in e.notes if n.field == "event.action"]
    assert note.code == "emit/action-mapped" and note.affects.direction == "either"
    cim = emit(text, "splunk-cim")  # no action field: implied by the data model's scope
    assert ("emit/condition-implied", "event.action") in _codes(cim) and "event.action" not in cim.queries[0]
    only_fork = text.replace("      - exec\n", "")
    with pytest.raises(EmitError) as exc:  # fork is never a process start here: always false
        emit(only_fork, "kusto-sentinel")
    assert exc.value.code == "emit/field-unavailable"


def test_os_condition_in_the_detection():
    text = rule("  sel:\n    CommandLine|contains: whoami\n    host.os.type: windows").replace(
        "  product: windows\n", "")
    assert 'DvcOs =~ "windows"' in emit(text, "kusto-sentinel").queries[0]
    xdr = emit(text, "kusto-defender")
    assert "host.os" not in xdr.queries[0] and ("emit/condition-implied", "host.os.type") in _codes(xdr)
    # Sysmon: the OS is the source (Windows' channel, Linux's syslog)
    splunk = emit(text, "splunk").queries[0]
    assert 'source="XmlWinEventLog:Microsoft-Windows-Sysmon/Operational")' in splunk.splitlines()[0]
    assert 'source="XmlWinEventLog:Microsoft-Windows-Sysmon/Operational"' in splunk.split(") (", 1)[1]
    with pytest.raises(EmitError):  # no Sysmon event records macOS
        emit(text.replace("host.os.type: windows", "host.os.type: macos"), "splunk")


def test_esql_not_is_two_valued():
    """ES|QL's NOT of a comparison on a missing field is null; Sigma's is true."""
    from converters.esql.executor import EsqlExecutor
    from converters.platforms.models import render_elastic

    q = emit(rule("  a:\n    CommandLine|contains: x\n  f:\n    ParentImage|endswith: '\\\\explorer.exe'",
                  "a and not f"), "esql").queries[0]
    assert 'NOT COALESCE(process.parent.name.caseless == "explorer.exe", false)' in q

    def ev(**parent):
        process = {"command_line": "x", "executable": "C:\\a\\x.exe", "name": "x.exe", **parent}
        return render_elastic({"event": {"category": ["process"], "type": ["start"]},
                               "host": {"os": {"type": "windows"}}, "process": process})
    events = [ev(parent={"name": "explorer.exe"}), ev(), ev(parent={"name": "cmd.exe"})]
    assert EsqlExecutor().run(q, events) == [1, 2]


def test_splunk_literal_star_is_a_regex():
    q = emit(rule("  sel:\n    CommandLine|contains: 'a\\*b'"), "splunk").queries[0]
    assert '| regex CommandLine="(?is)^.*a\\\\*b.*$"' in q


@pytest.mark.parametrize("op, n, yes, no", [
    ("gte", 3, ["a b c", 'a "b c" d e'], ["a b", 'a "b c"']),
    ("eq", 2, ["a b", 'a "b c"', "  a b  "], ["a", "a b c"]),
    ("lte", 2, ["a", "a b", ""], ["a b c"]),
    ("eq", 0, ["", "  "], ["a"]),
])
def test_argc_regex(op, n, yes, no):
    from converters.emit.argv import argc_regex

    regex = re.compile(argc_regex(op, n))
    for v in yes:
        assert regex.search(v), (regex.pattern, v)
    for v in no:
        assert not regex.search(v), (regex.pattern, v)


def test_args_count_from_the_command_line():
    text = rule("  sel:\n    process.args_count|gt: 2\n    Image|endswith: '\\\\ssh.exe'")
    e = emit(text, "kusto-defender")
    regex = re.search(r'ProcessCommandLine matches regex "((?:[^"\\]|\\.)*)"', e.queries[0]).group(1)
    regex = re.compile(unquote_backslashes(regex))
    assert regex.search('ssh -R 80 "x y"') and not regex.search("ssh -R")
    assert ("emit/field-approximated", "process.args_count") in _codes(e)
    assert "process.args_count:>2" in emit(text, "lucene").queries[0]  # native on Elastic


def test_bare_user_name_also_matches_after_a_domain():
    """ruleport's Sigma rules carry ECS user.name (bare); Sysmon and ASIM write DOMAIN\\name."""
    text = rule("  sel:\n    User:\n      - SYSTEM\n      - 'NT AUTHORITY\\LOCAL SERVICE'")
    splunk = emit(text, "splunk")
    assert 'User IN ("SYSTEM", "*\\\\SYSTEM", "NT AUTHORITY\\\\LOCAL SERVICE")' in splunk.queries[0]
    assert ("emit/field-approximated", "User") in _codes(splunk)
    assert 'TargetUsername endswith "\\\\SYSTEM"' in emit(text, "kusto-sentinel").queries[0]
    assert "endswith" not in emit(text, "kusto-defender").queries[0]  # AccountName is the bare name


def _eql_parses(q: str) -> None:
    import eql

    with eql.parser.elasticsearch_syntax, eql.parser.ignore_missing_functions:
        eql.parse_query(q)


def test_eql_cased_lists_numbers_and_literal_stars():
    text = _linux("  sel:\n    Image|endswith|cased:\n      - /bash\n      - '/python\\*'\n"
                  "    ParentImage|endswith|cased: '/ht*d'\n    process.args_count: 2\n"
                  "    CommandLine|contains: 'a\\*b'")
    q = emit(text, "eql").queries[0]
    _eql_parses(q)
    assert '(process.name == "bash" or process.name == "python*")' in q  # cased: ==, the star literal
    assert 'process.parent.executable like "*/ht*d"' in q                # cased pattern: like
    assert "process.args_count == 2" in q
    assert "process.interactive == true" in emit(_linux("  sel:\n    process.interactive: true"), "eql").queries[0]
    assert 'process.command_line regex~ ".*a\\\\*b.*"' in q             # literal star, ignoring case


def test_eql_a_value_without_letters_is_compared_with_equals():
    # Elasticsearch's case-insensitive term "" matches nothing: `f : ""` would never find the empty value
    from converters.eql.evaluator import EqlExecutor

    q = emit(_linux("  sel:\n    process.working_directory:\n      - ''\n      - '42'\n      - /tmp"), "eql").queries[0]
    _eql_parses(q)
    assert 'process.working_directory == ""' in q and 'process.working_directory == "42"' in q
    assert 'process.working_directory:"/tmp"' in q
    docs = [{"process.working_directory": v, "event.category": "process", "event.type": "start",
             "host.os.type": "linux"} for v in ("", "42", "/TMP", "x")]
    assert EqlExecutor().run(q, docs) == [0, 1, 2]


def test_kql_double_negation_parses():
    from converters.kql.evaluator import KibanaKqlExecutor

    q = emit(rule("  a:\n    CommandLine|contains: x\n  f:\n    ParentImage|exists: false",
                  "a and not f"), "kibana-kql").queries[0]
    assert "not (not process.parent.executable:*)" in q
    KibanaKqlExecutor().run(q, [])  # parses


def test_kusto_line_breaks_are_escaped():
    q = emit(rule("  sel:\n    process.args: \"a\\nb\""), "kusto-defender").queries[0]
    assert "\n" not in q.rsplit("\n| where ", 1)[1] and "a\\\\nb" not in q and "a\\nb" in q


def test_whole_argument_regex_becomes_a_command_line_token():
    q = emit(rule("  sel:\n    process.args|re|i: '^(?:-[a-z]*r[a-z]*)$'"), "kusto-defender").queries[0]
    regex = re.compile(unquote_backslashes(re.search(r'matches regex "((?:[^"\\]|\\.)*)"', q).group(1)))
    assert regex.search("ssh -fR x") and regex.search('ssh "-R" x')
    assert not regex.search("ssh x-r") and not regex.search('ssh "a -r"')

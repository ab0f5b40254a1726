"""The Splunk executor follows Splunk's search semantics (see splunk_search's docstring)."""

import pytest

from converters.engine.executor import ExecutionError
from converters.spl.executor import SplunkSearchExecutor

EX = SplunkSearchExecutor()


def hits(query, *events):
    return EX.run(query, list(events))


A = {"Image": "C:\\Windows\\cmd.exe", "User": "bob"}
B = {"Image": "C:\\Tools\\node.exe", "User": "alice"}
C = {"Image": "C:\\Tools\\other.exe"}


def test_or_binds_tighter_than_and():
    # Image=a OR Image=b User=alice  ==  (Image=a OR Image=b) AND User=alice
    q = 'Image="*cmd.exe" OR Image="*node.exe" User="alice"'
    assert hits(q, A, B, C) == [1]
    assert hits('(Image="*cmd.exe" OR Image="*node.exe") User="alice"', A, B, C) == [1]
    assert hits('Image="*cmd.exe" OR (Image="*node.exe" User="alice")', A, B, C) == [0, 1]


def test_explicit_and_and_lowercase_or_is_a_term():
    assert hits('Image="*node.exe" AND User="alice"', A, B, C) == [1]
    # lower-case `or` is a search term, not an operator: nothing contains it
    assert hits('Image="*cmd.exe" or Image="*node.exe"', A, B) == []


def test_values_ignore_case_and_star_is_a_wildcard():
    assert hits('Image="c:\\\\windows\\\\CMD.EXE"', A, B) == [0]
    assert hits("Image=*\\\\node.exe", A, B) == [1]
    assert hits('Image="C:*.exe"', A, B, C) == [0, 1, 2]
    # a backslash does not escape `*`: `\\*` is a backslash then a wildcard
    assert hits('Image="C:\\\\Windows\\\\*"', A) == [0]


def test_case_makes_matching_case_sensitive_and_term_is_the_value():
    assert hits('Image=CASE("C:\\\\Windows\\\\cmd.exe")', A) == [0]
    assert hits('Image=CASE("c:\\\\windows\\\\cmd.exe")', A) == []
    assert hits('User=TERM(BOB)', A) == [0]


def test_not_equal_needs_the_field_but_not_does_not():
    assert hits('User!="bob"', A, B, C) == [1]
    assert hits('NOT User="bob"', A, B, C) == [1, 2]


def test_in_list_with_wildcards():
    assert hits('Image IN ("*cmd.exe", "*node.exe")', A, B, C) == [0, 1]
    assert hits('NOT Image IN ("*cmd.exe", "*node.exe")', A, B, C) == [2]


def test_field_exists_and_missing_field():
    assert hits("User=*", A, B, C) == [0, 1]
    assert hits("NOT User=*", A, B, C) == [2]
    assert hits('Missing="x"', A) == []


def test_multivalue_field_matches_when_any_value_does():
    e = {"process.args": ["node.exe", "-r", "x.js"]}
    assert hits('process.args="-R"', e) == [0]
    assert hits('process.args="*.js"', e) == [0]
    assert hits('process.args!="-r"', e) == []


def test_quoted_escapes():
    e = {"CommandLine": 'say "hi" \\ok'}
    assert hits('CommandLine="say \\"hi\\" \\\\ok"', e) == [0]
    # an unknown escape keeps its backslash
    assert hits('CommandLine="*\\ok"', e) == [0]


def test_numeric_comparison():
    e, f = {"EventCode": "10"}, {"EventCode": "9"}
    assert hits("EventCode>9", e, f) == [0]
    assert hits("EventCode=10", e, f) == [0]


def test_bare_terms_search_raw_or_values():
    raw = {"_raw": "<Event>powershell -enc AAA</Event>", "Image": "x"}
    plain = {"CommandLine": "powershell -ENC AAA"}
    assert hits('"-enc"', raw, plain) == [0, 1]
    assert hits("powershell", raw, plain, A) == [0, 1]


def test_regex_command_is_unanchored_pcre_and_case_sensitive():
    e = {"CommandLine": "node -e eval(atob('x'))"}
    assert hits('* | regex CommandLine="eval\\\\(atob"', e) == [0]
    assert hits('* | regex CommandLine="EVAL"', e) == []
    assert hits('* | regex CommandLine="(?i)EVAL"', e) == [0]
    assert hits('* | regex CommandLine!="eval"', e, {}) == [1]
    assert hits('* | regex CommandLine="^eval"', e) == []


def test_regex_with_double_backslash_matches_one_backslash():
    e = {"Image": "C:\\Windows\\cmd.exe"}
    # four backslashes in the query = regex \\ = one real backslash
    assert hits('* | regex Image="Windows\\\\\\\\cmd"', e) == [0]


def test_rex_eval_search_chain():
    e = {"CommandLine": "node eval(x)"}
    f = {"CommandLine": "node ok"}
    q = ('* | rex field=CommandLine "(?<m>eval\\\\(.*)"\n| eval c=if(isnotnull(m), "true", "false")'
         '\n| search c="true"')
    assert hits(q, e, f, {}) == [0]


def test_where_uses_eval_rules():
    e = {"Image": "C:\\Tools\\Node.exe", "User": "bob"}
    assert hits('* | where Image="C:\\\\Tools\\\\node.exe"', e) == []  # case-sensitive
    assert hits('* | where lower(Image)="c:\\\\tools\\\\node.exe"', e) == [0]
    assert hits('* | where like(Image, "%Node.ex_")', e) == [0]
    assert hits('* | where match(Image, "(?i)node\\\\.exe$")', e) == [0]
    # AND before OR in where
    assert hits('* | where User="x" AND User="y" OR User="bob"', e) == [0]
    assert hits('* | where isnull(Missing) AND isnotnull(User)', e) == [0]
    # a comparison with a missing field is null: NOT does not make it true
    assert hits('* | where NOT Missing="x"', e) == []
    assert hits('* | where User IN ("a", "bob")', e) == [0]


def test_tstats_applies_where_to_records_and_fills_null_by_fields():
    rec = {"Processes.process_name": "node.exe", "Processes.process": "node a.js"}
    other = {"Processes.process_name": "cmd.exe", "Processes.process": "cmd"}
    q = ('| tstats summariesonly=false count from datamodel=Endpoint.Processes '
         'where Processes.process_name="NODE.EXE" by Processes.process Processes.user')
    assert hits(q, rec, other) == []  # Processes.user missing: the row is dropped
    q_fill = q.replace("count", 'fillnull_value="null" count')
    assert hits(q_fill, rec, other) == [0]
    after = q_fill + ' | `drop_dm_object_name(Processes)` | search user="null" process="*a.js"'
    assert hits(after, rec, other) == [0]
    # tstats reads the records of the data model dataset it names ($datamodel); unmarked records: all
    net = {"$datamodel": "Network_Traffic.All_Traffic", "All_Traffic.dest_port": "443"}
    proc = {**rec, "$datamodel": "Endpoint.Processes"}
    assert hits("| tstats count from datamodel=Network_Traffic where All_Traffic.dest_port=443", net, proc) == [0]
    assert hits('| tstats count from datamodel=Endpoint where Processes.process_name="node.exe"', net, proc) == [1]
    assert hits("| tstats count from datamodel=Endpoint.Processes", net, proc, other) == [1, 2]


def test_unsupported_syntax_raises():
    for q in ['OR Image="x"', "Image=x | stats median(y)", 'Image="x', "(Image=x", "Image=x [search y]",
              "* | rex mode=sed field=x \"s/a/b/\"", "Im*ge=x", "* | where foo(Image)"]:
        with pytest.raises(ExecutionError):
            hits(q, A)


def test_pcre_inline_flags_mid_pattern_scope_to_their_group():
    # PCRE applies (?i) from where it stands to the end of its group, every later alternative included
    e = {"Image": "C:\\USERS\\x\\Node.exe"}
    assert hits('* | rex field=Image "(?<m>(?is)^c:\\\\\\\\users)" | search m=*', e) == [0]
    assert hits('* | regex Image="a(?i)b|NODE"', e) == [0]
    assert hits('* | regex Image="USERS.(?i)X|zzz"', e) == [0]
    assert hits('* | regex Image="users.(?i)x"', e) == []


def test_bare_terms_match_whole_segments():
    e = {"_raw": "powershell.exe -encoded x_payload"}
    assert hits("enc", e) == []
    assert hits("enc*", e) == [0]
    assert hits("payload", e) == [0]      # `_` is a breaker
    assert hits("ower", e) == []
    assert hits("*ower*", e) == [0]
    assert hits('"powershell.exe -encoded"', e) == [0]


def test_a_cidr_value_matches_the_addresses_of_its_subnet():
    events = [{"ip": "10.1.2.3"}, {"ip": "192.168.0.1"}, {"ip": "fe80::1"}, {"ip": "not-an-ip"}]
    assert EX.run('ip="10.0.0.0/8"', events) == [0]
    assert EX.run('ip IN ("192.168.0.0/16", "fe80::/10")', events) == [1, 2]
    assert EX.run('NOT ip="10.0.0.0/8"', events) == [1, 2, 3]

"""The Kibana KQL executor follows Kibana's and Elasticsearch's semantics (see kibana_kql's docstring)."""

import pytest

from tests.support import require

from converters.engine.executor import ExecutionError
from converters.kql.evaluator import KibanaKqlExecutor

EX = KibanaKqlExecutor()


def hits(query, *events):
    return EX.run(query, list(events))


A = {"process.name": ["Node.exe"], "process.name.caseless": ["node.exe"], "process.args": ["node", "-r", "a.js"],
     "process.pid": [42], "user.name": ["bob"]}
B = {"process.name": ["cmd.exe"], "process.name.caseless": ["cmd.exe"], "process.pid": [7]}


def test_keyword_match_is_exact_and_case_sensitive():
    assert hits("process.name:Node.exe", A, B) == [0]
    assert hits("process.name:node.exe", A, B) == []
    assert hits('process.name:"Node.exe"', A, B) == [0]
    assert hits("process.name:Node", A, B) == []  # whole value, not a token


def test_caseless_fields_are_normalized():
    assert hits("process.name.caseless:NODE.EXE", A, B) == [0]
    assert hits("process.name.caseless:NO*", A, B) == [0]


def test_unquoted_star_is_a_wildcard_and_quoted_star_is_literal():
    assert hits("process.name:N*.exe", A, B) == [0]
    assert hits('process.name:"N*.exe"', A, B) == []
    assert hits('process.name:"N*.exe"', {"process.name": ["N*.exe"]}) == [0]
    # no `?` wildcard in KQL
    assert hits("process.name:Nod?.exe", A) == []
    assert hits("process.name:Nod?.exe", {"process.name": ["Nod?.exe"]}) == [0]


def test_escapes():
    e = {"process.executable": ["C:\\Program Files (x86)\\a.exe"], "x": ["a:b*"]}
    assert hits(r"process.executable:C\:\\Program Files \(x86\)\\*", e) == [0]
    assert hits(r"x:a\:b\*", e) == [0]
    assert hits(r"x:a\:b*", e) == [0]
    assert hits(r"x:a\:bc\*", e) == []
    assert hits(r'x:"a:b*"', e) == [0]


def test_and_binds_tighter_than_or_and_keywords_ignore_case():
    q = "process.name:cmd.exe or process.name:Node.exe and user.name:alice"
    assert hits(q, A, B) == [1]
    assert hits("(process.name:cmd.exe OR process.name:Node.exe) AND user.name:bob", A, B) == [0]


def test_value_lists():
    assert hits("process.name:(cmd.exe or Node.exe)", A, B) == [0, 1]
    assert hits("process.args:(node and a.js)", A, B) == [0]
    assert hits("process.args:(node and b.js)", A, B) == []


def test_arrays_match_when_any_value_does():
    assert hits("process.args:-r", A, B) == [0]
    assert hits("process.args:*.js", A, B) == [0]


def test_not_is_must_not_and_matches_missing_fields():
    assert hits("not user.name:bob", A, B) == [1]
    assert hits("not process.args:-r", A, B) == [1]


def test_exists():
    assert hits("user.name:*", A, B) == [0]
    assert hits("not user.name:*", A, B) == [1]
    assert hits("e:*", {"e": [""]}) == [0]


def test_numbers_and_ranges():
    assert hits("process.pid:42", A, B) == [0]
    assert hits("process.pid >= 10", A, B) == [0]
    assert hits("process.pid < 10", A, B) == [1]
    assert hits("user.name > alice", A, B) == [0]


def test_free_text_searches_every_field():
    assert hits("bob", A, B) == [0]
    assert hits('"cmd.exe"', A, B) == [1]


def test_unsupported_and_bad_queries_raise():
    with pytest.raises(ExecutionError, match="nested"):
        hits("process:{ name: a }", A)
    with pytest.raises(ExecutionError, match="wildcard field"):
        hits("process.*:a", A)
    with pytest.raises(ExecutionError, match="does not parse"):
        hits("process.name:(a or", A)


def test_nested_ecs_objects_are_accepted():
    nested = {"process": {"name": "Node.exe", "parent": {"name": "pwsh.exe"}}}
    assert hits("process.parent.name:pwsh.exe and process.name:Node.exe", nested) == [0]


# --- text fields: analysed as Elasticsearch does (see kibana_kql's docstring) ---

from converters.kql.evaluator import analyzer_of, powershell_tokens, standard_tokens  # noqa: E402
from tests.support import FIXTURES


def msg(*texts):
    return [{"message": [t]} for t in texts]


def test_standard_analyzer_tokens():
    assert standard_tokens("Access DENIED for User-42!") == ("access", "denied", "for", "user", "42")
    # letters joined by . ' : stay one token; digits joined by . , too; mixed pairs split
    assert standard_tokens("cmd.exe don't c:d 1.5 1,000 v1.2") == ("cmd.exe", "don't", "c:d", "1.5", "1,000", "v1.2")
    assert standard_tokens("a.1 x,y a_b C:\\Windows\\x.dll") == ("a", "1", "x", "y", "a_b", "c", "windows", "x.dll")
    assert standard_tokens("東京 ÉCOLE") == ("東", "京", "école")
    assert standard_tokens("a" * 300) == ("a" * 255, "a" * 45)
    assert standard_tokens("-- // ..") == ()


def test_powershell_script_analyzer_keeps_dashes():
    assert powershell_tokens("Get-Mailbox | New-MailboxExportRequest -FilePath \\\\srv\\a.pst") == (
        "get-mailbox", "new-mailboxexportrequest", "-filepath", "srv", "a", "pst")
    assert powershell_tokens("$é=Invoke_X") == ("invoke_x",)


def test_which_fields_are_text():
    assert analyzer_of("message") == "standard"
    assert analyzer_of("powershell.file.script_block_text") == "powershell_script_analyzer"
    assert analyzer_of("process.command_line.text") == "standard"
    assert analyzer_of("process.command_line") is None  # ECS wildcard type: keyword-like
    assert analyzer_of("error.stack_trace") is None and analyzer_of("error.stack_trace.text") == "standard"
    assert analyzer_of("text") is None
    assert analyzer_of("winlog.event_data.ScriptBlockText") is None
    assert analyzer_of("process.name") is None


def test_quoted_value_is_a_phrase_in_order():
    events = msg("user bob logged on", "logged bob user on", "user bob")
    assert hits('message:"bob logged"', *events) == [0]
    assert hits('message:"logged bob"', *events) == [1]
    assert hits('message:"user bob logged on"', *events) == [0]
    # a phrase cannot span two values of an array field
    assert hits('message:"bob logged"', {"message": ["user bob", "logged on"]}) == []


def test_text_matching_folds_case_and_splits_punctuation():
    events = msg("ERROR: Disk /dev/sda1 FULL", "error disk")
    assert hits('message:"error: disk"', *events) == [0, 1]
    assert hits('message:"dev sda1 full"', *events) == [0]
    assert hits("message:FULL", *events) == [0]
    # a keyword field with the same value stays exact and case-sensitive
    assert hits("event.reason:FULL", {"event.reason": ["ERROR: Disk /dev/sda1 FULL"]}) == []


def test_unquoted_words_are_a_match_query_with_operator_or():
    events = msg("alpha beta", "gamma", "delta alpha")
    assert hits("message:beta alpha", *events) == [0, 2]
    assert hits("message:gamma zeta", *events) == [1]
    assert hits("message:zeta", *events) == []
    # no tokens at all: match and match_phrase match nothing (zero_terms_query none)
    assert hits('message:""', *events, {"message": [""]}) == []
    assert hits("message:--", {"message": ["--"]}) == []


def test_wildcards_on_text_fields_match_single_tokens():
    events = msg("Invoke-Mimikatz -DumpCreds", "invoke something", "my mimikatz.exe run")
    assert hits("message:mimi*", *events) == [0, 2]
    assert hits("message:mimikatz.e*", *events) == [2]  # tokens: invoke, mimikatz, dumpcreds / mimikatz.exe
    assert hits("message:INVOKE*", *events) == [0, 1]  # the pattern is lower-cased too
    # `-` is never inside a standard token, so this pattern cannot match (token dependence)
    assert hits("message:*invoke-mimikatz*", *events) == []
    # whitespace splits the query_string into OR'ed clauses, each on one token
    assert hits("message:*kat* something", *events) == [0, 1, 2]
    assert hits("message:zzz* dumpcreds", *events) == [0]


def test_text_multi_fields_read_their_parent_value():
    e = {"process.command_line": ["C:\\Windows\\System32\\cmd.exe /c WHOAMI"]}
    assert hits("process.command_line.text:whoami", e) == [0]
    assert hits('process.command_line.text:"system32 cmd.exe"', e) == [0]
    assert hits("process.command_line.text:*", e) == [0]
    # the parent (ECS wildcard type) keeps exact, case-sensitive matching
    assert hits("process.command_line:whoami", e) == []
    assert hits("process.command_line:*WHOAMI", e) == [0]
    assert hits("process.command_line:*whoami", e) == []


def test_script_block_text_uses_the_powershell_analyzer():
    e = {"powershell.file.script_block_text": ["New-MailboxExportRequest -Mailbox bob -FilePath \\\\s\\b.pst"]}
    assert hits('powershell.file.script_block_text:"new-mailboxexportrequest"', e) == [0]
    assert hits('powershell.file.script_block_text:"-FilePath"', e) == [0]
    assert hits('powershell.file.script_block_text:".pst"', e) == [0]
    assert hits('powershell.file.script_block_text:"Get-Mailbox"', e) == []  # -mailbox is not get-mailbox
    assert hits("powershell.file.script_block_text:New-Mailbox*", e) == [0]  # one token holds the dash


def test_free_text_analyses_text_fields_only():
    e = {"message": ["Service Started OK"], "service.name": ["Spooler Svc"]}
    assert hits("started", e) == [0]
    assert hits('"spooler svc"', e) == []  # keyword field: exact, case-sensitive as before
    assert hits('"Spooler Svc"', e) == [0]


def test_ruleport_test_runs_a_kuery_rule_on_script_block_text(capsys):
    """End to end: the original column of `ruleport test` analyses the script-block text."""
    import json

    from converters.cli import main

    base = FIXTURES / "kql_text" / "mailbox_export_script_block"
    main(["test", f"{base}.toml", "--events", f"{base}.jsonl", "--expect", f"{base}.expect.json",
                 "--target", "kibana-kql", "--format", "json"])
    report = json.loads(capsys.readouterr().out)
    assert report["events"] == 4
    assert report["targets"]["original"]["matched"] == [0, 1]
    assert report["expect"]["ok"] is True and report["expect"]["differs"] == []


def test_analyzers_agree_with_real_lucene():
    """Our Python analyzers against Lucene's own (the lucene column's 9.12.2 jars), on sample texts."""
    import os
    import subprocess

    from converters.lucene.executor import LuceneExecutor

    executor = LuceneExecutor()
    require("Lucene", executor.unavailable())
    here = FIXTURES / "kql_text"
    samples = (here / "analyzer_samples.txt").read_text(encoding="utf-8")
    class_path = os.pathsep.join(str(j) for j in executor._jars())
    for mode, ours in (("standard", standard_tokens), ("powershell", powershell_tokens)):
        proc = subprocess.run(["java", "-cp", class_path, str(here / "AnalyzerTokens.java"), mode],
                              input=samples.encode("utf-8"), capture_output=True, timeout=120)
        assert proc.returncode == 0, proc.stderr.decode("utf-8", "replace")
        lucene = proc.stdout.decode("utf-8").splitlines()
        lines = samples.splitlines()
        assert len(lucene) == len(lines) > 10
        for text, want in zip(lines, lucene):
            assert ours(text) == (tuple(want.split("\t")) if want else ()), (mode, text)


def test_ip_fields_compare_as_addresses():
    from converters.engine.executor import ExecutionError
    from converters.kql.evaluator import KibanaKqlExecutor

    run = KibanaKqlExecutor().run
    events = [{"source.ip": ["192.168.1.5"]}, {"source.ip": ["192.169.0.1"]}, {"source.ip": ["::1"]}]
    assert run('source.ip:"192.168.0.0/16"', events) == [0]
    assert run('source.ip:"0:0:0:0:0:0:0:1"', events) == [2]   # same address, other spelling
    with pytest.raises(ExecutionError):
        run("source.ip:192.168.*", events)

"""The Elastic targets beyond process starts: one data model per Defend event
kind (file, network, registry, library, DNS) and category-less ECS rules.

Each rule is emitted for lucene, eql, esql and kibana-kql and run through the
real executors on small ECS events as Elasticsearch indexes them (the Elastic
platform model: `.caseless` twins exactly where the data stream's index
template declares one, and the document's index, which ES|QL's FROM reads):
which events match says the scope (event.category, OS), the case rules and
the basename rewrites are right.
"""

from __future__ import annotations


import pytest

from converters.emit import EmitError, emit
from converters.esql.executor import EsqlExecutor
from converters.eql.evaluator import EqlExecutor
from converters.kql.evaluator import KibanaKqlExecutor

ELASTIC = ("lucene", "eql", "esql", "kibana-kql")



def sigma(category: str | None, detection: str, condition: str = "sel", product: str | None = "windows",
          extra: str = "") -> str:
    logsource = (f"  category: {category}\n" if category else "") + (f"  product: {product}\n" if product else "")
    return ("title: t\nid: 00000000-0000-0000-0000-000000000002\nstatus: test\n"
            f"logsource:\n{logsource}{extra}detection:\n{detection}\n  condition: {condition}\nlevel: low\n")


def ev(**fields) -> dict:
    """An ECS event (keys: dotted paths written with `__`) as the Elastic platform records it."""
    from converters.platforms.models import render_elastic

    nested: dict = {}
    for key, value in fields.items():
        node = nested
        *parents, leaf = key.split("__")
        for part in parents:
            node = node.setdefault(part, {})
        node[leaf] = value if isinstance(value, list) or leaf not in ("category", "type") else [value]
    return render_elastic(nested)


def run_all(text: str, events: list[dict], lucene, index: str) -> dict[str, list[int]]:
    results = {}
    for target in ELASTIC:
        query = emit(text, target).queries[0]
        if target == "esql":
            head, _, rest = query.partition("\n")
            assert head == f"FROM {index}", query
            results[target] = EsqlExecutor().run(query, events)
        elif target == "eql":
            results[target] = EqlExecutor().run(query, events)
        elif target == "kibana-kql":
            results[target] = KibanaKqlExecutor().run(query, events)
        else:
            results[target] = lucene.run(query, events)
    return results


# --- file_event --------------------------------------------------------------

FILE_RULE = sigma("file_event", "  sel:\n    TargetFilename|endswith: '\\evil.dll'\n    Image|contains: '\\Temp\\'\n"
                  "  filter:\n    User: SYSTEM", condition="sel and not filter")
TEMP_EXE = "C:\\Users\\bob\\AppData\\Local\\Temp\\drop.exe"


def _file(**kw):
    base = dict(event__category="file", host__os__type="windows", file__path="C:\\x\\EVIL.DLL",
                file__name="EVIL.DLL", process__executable=TEMP_EXE, process__name="drop.exe", user__name="bob")
    base.update(kw)
    return ev(**{k: v for k, v in base.items() if v is not None})


FILE_EVENTS = [
    _file(),                                                         # 0 match (case-insensitive name)
    _file(event__category="process"),                                # 1 not a file event
    _file(user__name="System"),                                      # 2 filtered (case-insensitive user)
    _file(file__name="evil.dll.bak", file__path="C:\\x\\evil.dll.bak"),  # 3 basename is exact
    _file(host__os__type="linux"),                                   # 4 other OS
    _file(user__name=None),                                          # 5 no user: `not filter` holds
    _file(process__executable="C:\\Windows\\drop.exe"),             # 6 not under Temp
]


def test_file_event(lucene):
    assert "file where" in emit(FILE_RULE, "eql").queries[0]
    # Defend's file template has file.path.caseless but no file.name.caseless (platform facts)
    lucene_q = emit(FILE_RULE, "lucene").queries[0]
    assert "file.name.caseless" not in lucene_q and "file.name:/[eE][vV][iI][lL]" in lucene_q
    path_rule = FILE_RULE.replace("TargetFilename|endswith: '\\evil.dll'", "TargetFilename|endswith: '\\x\\evil.dll'")
    assert "file.path.caseless:*\\\\x\\\\evil.dll" in emit(path_rule, "lucene").queries[0]
    results = run_all(FILE_RULE, FILE_EVENTS, lucene, "logs-endpoint.events.file-*")
    # KQL has no case-insensitive match on a plain keyword: with more than 64 case spellings the
    # name is matched as written (EVIL.DLL missed), and the note says so
    assert results == {**{t: [0, 5] for t in ELASTIC}, "kibana-kql": []}
    notes = emit(FILE_RULE, "kibana-kql").notes
    assert any(n.code == "emit/case-narrowed" and n.field == "file.name" for n in notes)


# --- network_connection ---------------------------------------------------------

NET_RULE = sigma("network_connection", "  sel:\n    DestinationPort: 4444\n    Image|endswith: '\\nc.exe'\n"
                 "    Protocol: tcp", product=None)


def _net(**kw):
    base = dict(event__category="network", destination__port=4444, destination__ip="10.1.2.3",
                process__executable="C:\\tools\\NC.EXE", process__name="NC.EXE", network__transport="tcp")
    base.update(kw)
    return ev(**{k: v for k, v in base.items() if v is not None})


NET_EVENTS = [
    _net(),                                                          # 0 match
    _net(destination__port=4445),                                    # 1 other port
    _net(event__category="file"),                                    # 2 not a network event
    _net(network__transport="udp"),                                  # 3 other protocol
    _net(process__name="nc.exe.bak", process__executable="/tmp/nc.exe.bak"),  # 4 basename is exact
    _net(process__name="nc.exe", process__executable="/usr/bin/nc.exe", network__transport="TCP"),  # 5 no product: any OS
]


def test_network_connection(lucene):
    results = run_all(NET_RULE, NET_EVENTS, lucene, "logs-endpoint.events.network-*")
    assert results == {t: [0, 5] for t in ELASTIC}


# --- registry_event ---------------------------------------------------------------

REG_RULE = sigma("registry_event", "  sel:\n    TargetObject|contains: '\\Run\\'\n    Details|endswith: '.ps1'")


def _reg(**kw):
    base = dict(event__category="registry", host__os__type="windows",
                registry__path="HKLM\\Software\\Microsoft\\Windows\\CurrentVersion\\RUN\\x",
                registry__data__strings=["first", "C:\\x\\A.PS1"], process__name="reg.exe")
    base.update(kw)
    return ev(**{k: v for k, v in base.items() if v is not None})


REG_EVENTS = [
    _reg(),                                                          # 0 match: any element, any case
    _reg(registry__path="HKLM\\Software\\Microsoft\\Windows\\CurrentVersion\\RunOnce\\x"),  # 1
    _reg(registry__data__strings=["C:\\x\\a.ps2"]),                  # 2 no element ends with .ps1
    _reg(event__category="file"),                                    # 3 not a registry event
    _reg(host__os__type=None),                                       # 4 no OS: the windows scope fails
]


def test_registry_event(lucene):
    results = run_all(REG_RULE, REG_EVENTS, lucene, "logs-endpoint.events.registry-*")
    assert results == {t: [0] for t in ELASTIC}
    with pytest.raises(EmitError) as exc:  # Defend records the registry on Windows only
        emit(REG_RULE.replace("product: windows", "product: linux"), "lucene")
    assert exc.value.code == "emit/logsource-unsupported"


# --- image_load ---------------------------------------------------------------------

LIB_RULE = sigma("image_load", "  sel:\n    ImageLoaded|endswith: '\\ws2_32.dll'\n    Image|endswith: '\\rundll32.exe'")


def _lib(**kw):
    base = dict(event__category="library", host__os__type="windows", dll__name="WS2_32.DLL",
                dll__path="C:\\Windows\\System32\\WS2_32.DLL", process__name="RunDll32.exe",
                process__executable="C:\\Windows\\System32\\RunDll32.exe")
    base.update(kw)
    return ev(**{k: v for k, v in base.items() if v is not None})


LIB_EVENTS = [
    _lib(),                                                          # 0 match (case-insensitive names)
    _lib(dll__name="ws2_32.dll.mui"),                                # 1 basename is exact
    _lib(event__category="process"),                                 # 2 not a library event
    _lib(process__name="other.exe"),                                 # 3 other process
]


def test_image_load(lucene):
    assert "dll.name" in emit(LIB_RULE, "eql").queries[0]
    results = run_all(LIB_RULE, LIB_EVENTS, lucene, "logs-endpoint.events.library-*")
    assert results == {t: [0] for t in ELASTIC}


# --- dns_query -----------------------------------------------------------------------

DNS_RULE = sigma("dns_query", "  sel:\n    QueryName|endswith: '.xyz.io'")


def _dns(**kw):
    base = dict(event__category="network", host__os__type="windows", event__action="lookup_requested",
                dns__question__name="evil.XYZ.io")
    base.update(kw)
    return ev(**{k: v for k, v in base.items() if v is not None})


DNS_EVENTS = [
    _dns(),                                                          # 0 match (case-insensitive)
    _dns(dns__question__name=None, destination__ip="1.2.3.4"),       # 1 a connection, no DNS question
    _dns(dns__question__name="foo.xyz.io.com"),                      # 2 does not end so
    _dns(event__category="process"),                                 # 3 not a network event
]


def test_dns_query(lucene):
    assert emit(DNS_RULE, "eql").queries[0].startswith("network where")
    results = run_all(DNS_RULE, DNS_EVENTS, lucene, "logs-endpoint.events.network-*")
    assert results == {t: [0] for t in ELASTIC}


# --- category-less ECS rules (the translator's fallback) --------------------------------

ECS_RULE = sigma(None, "  sel:\n    event.action|cased: ConsoleLogin\n    cloud.region|startswith: 'us-'",
                 product="elastic", extra="  definition: 'Elastic indexes: logs-aws*, filebeat-*'\n")

ECS_EVENTS = [
    # in the AWS integration's data stream (logs-aws.cloudtrail-default): the rule's indexes hold it
    ev(event__dataset="aws.cloudtrail", event__action="ConsoleLogin", cloud__region="US-east-1"),  # 0 match
    ev(event__dataset="aws.cloudtrail", event__action="consolelogin", cloud__region="us-east-1"),  # 1 |cased
    ev(event__dataset="aws.cloudtrail", event__action="ConsoleLogin", cloud__region="eu-west-1"),  # 2 region
]


def test_category_less_ecs_rule_passes_through(lucene):
    results = run_all(ECS_RULE, ECS_EVENTS, lucene, "logs-aws*, filebeat-*")
    assert results == {t: [0] for t in ELASTIC}
    for target in ELASTIC:
        assert "emit/data-assumed" in {n.code for n in emit(ECS_RULE, target).notes}
    no_indexes = ECS_RULE.replace("Elastic indexes: logs-aws*, filebeat-*", "Elastic indexes: the rule''s data view")
    assert emit(no_indexes, "esql").queries[0].startswith("FROM logs-*\n")
    # an index the FROM does not name is not read
    elsewhere = [ev(event__dataset="gcp.audit", event__action="ConsoleLogin", cloud__region="us-east-1")]
    assert EsqlExecutor().run(emit(ECS_RULE, "esql").queries[0], elsewhere) == []


def test_category_less_rule_with_sigma_field_names_is_refused():
    text = sigma(None, "  sel:\n    EventID: 4624", product="windows", extra="  service: security\n")
    for target in ELASTIC:
        with pytest.raises(EmitError) as exc:
            emit(text, target)
        assert exc.value.code == "emit/field-unmapped"


# --- boundaries -----------------------------------------------------------------------

def test_other_targets_refuse_category_less_ecs_rules():
    for target in ("splunk", "splunk-cim", "kusto-defender", "kusto-sentinel"):
        with pytest.raises(EmitError) as exc:
            emit(ECS_RULE, target)
        assert exc.value.code == "emit/logsource-unsupported"


def test_sigma_names_outside_the_table_are_refused_ecs_names_pass():
    text = sigma("file_event", "  sel:\n    TargetFilename|endswith: '.exe'\n    CommandLine|contains: x")
    with pytest.raises(EmitError) as exc:
        emit(text, "eql")
    assert exc.value.code == "emit/field-unmapped"
    text = sigma("file_event", "  sel:\n    TargetFilename|endswith: '.exe'\n    file.Ext.header_bytes|startswith: 4d5a")
    assert 'file.Ext.header_bytes:"4d5a*"' in emit(text, "eql").queries[0]


def test_unknown_category_is_still_refused():
    text = sigma("driver_load", "  sel:\n    ImageLoaded|endswith: '\\x.sys'")
    for target in ELASTIC:
        with pytest.raises(EmitError) as exc:
            emit(text, target)
        assert exc.value.code == "emit/logsource-unsupported"


def test_category_less_rule_keeps_its_os_and_default_index():
    # the translator turns `host.os.type == "linux"` into the product: the query tests it again
    text = sigma(None, "  sel:\n    process.title|cased: sshd", product="linux")
    assert emit(text, "eql").queries[0] == 'any where host.os.type == "linux" and process.title == "sshd"'
    events = [ev(host__os__type="linux", process__title="sshd"), ev(host__os__type="windows", process__title="sshd")]
    assert EqlExecutor().run(emit(text, "eql").queries[0], events) == [0]
    dataset = sigma(None, "  sel:\n    event.dataset|cased: aws.cloudtrail", product="aws", extra="  service: cloudtrail\n")
    assert emit(dataset, "esql").queries[0].startswith("FROM logs-*\n")


@pytest.mark.parametrize("category, stream", [("process_creation", "logs-endpoint.events.process-"),
                                              ("file_event", "logs-endpoint.events.file-")])
def test_a_defend_query_notes_the_events_of_other_data_streams_it_never_reads(category, stream):
    # the Kibana rule's index / ES|QL's FROM is the Defend data stream: a Sysmon or FIM event lives elsewhere
    # (and has no .caseless multi-field there); the note holds on exactly the events the platform puts elsewhere
    from converters.engine.documents import flatten_ecs
    from converters.platforms.elastic import index_of
    from converters.prove.explain import holds

    dataset = stream[len("logs-"):-1]
    events = [{"event": {"category": ["process"]}},
              {"data_stream": {"dataset": dataset}},
              {"data_stream": {"dataset": dataset, "type": "metrics"}},
              {"data_stream": {"dataset": "windows.sysmon_operational"}},
              {"data_stream": {"dataset": ""}, "event": {"dataset": "fim.event"}},
              {"event": {"dataset": dataset}},
              {"event": {"dataset": "auditd_manager.auditd"}}]
    for target in ELASTIC:
        [note] = [n for n in emit(sigma(category, "  sel:\n    Image|endswith: '\\\\x.exe'"), target).notes
                  if n.code == "emit/scope-narrowed"]
        assert note.affects.direction == "less"
        elsewhere = [not index_of(e, category.split("_")[0]).startswith(stream) for e in events]
        assert elsewhere == [False, False, True, True, True, False, True]
        assert [holds(note.affects.condition, flatten_ecs(e)) for e in events] == elsewhere, target

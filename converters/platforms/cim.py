"""Splunk CIM data models (splunk-cim): the records `| tstats ... from datamodel=` reads.

Keys are `<Dataset>.<field>` as tstats names them; `$datamodel` says which
data model dataset holds the record (Endpoint.Processes, Endpoint.Filesystem,
Endpoint.Registry, Network_Traffic.All_Traffic, Network_Resolution.DNS). The
fields each dataset has, and the ones its eval fills with "unknown" when the
source leaves them empty, are the tables of converters/data/platforms/splunk-cim.json
(the CIM data model definitions). Per dataset:

- Processes: process launches from every OS (the Sysmon add-ons for Windows
  and Linux, and EDR add-ons, feed it). process = command line,
  process_name = basename of process_path, parent_process* likewise,
  original_file_name, process_current_directory, user (bare name), user_id,
  dest = host, os.
- Filesystem: file_path (full path), file_name, action (created, deleted,
  modified, read) and the acting process's process_path / process_name /
  process_id.
- Registry (Windows): registry_path (key\\value for values), registry_key_name,
  registry_value_name, registry_value_data, registry_value_type, action, and
  the acting process.
- All_Traffic: src_ip/src_port (initiator), dest_ip/dest_port, transport,
  direction (outbound for a connection the host made), user. No process.
- DNS: query (the name looked up), answer, query_type. No process.
- Authentication (the root dataset, `from datamodel=Authentication.Authentication`):
  sshd logins from the Unix and Linux add-on's linux_secure: action
  success/failure, app sshd, src (the client), user, dest (the host);
  Elastic's ssh_login events only (auditd's user_login are not sshd's lines).
No data model holds argv, signers, library or driver loads.
"""

from __future__ import annotations

from typing import Any, Mapping

from converters.engine.timestamps import epoch_seconds
from converters.platforms import facts
from converters.platforms.activity import Activity, basename, text, values

MARKER = "$datamodel"


def dataset_of(table: facts.Table) -> str:
    """The `<data model>.<dataset>` tstats reads for a table (tables sharing a dataset name their own)."""
    return table.select.get("datamodel", table.name)


def _acting(a: Activity) -> dict:
    return {
        "process": a("process.command_line"),
        "process_name": a.file_name(),
        "process_path": a.executable(),
        "process_id": text(a("process.pid")),
        "process_guid": a("process.entity_id"),
        "user": a.account("name"),
        "dest": a("host.name"),
    }


def _fields(a: Activity, action: str | None) -> dict:
    kind = a.kind
    if kind == "process":
        parent = a.has_parent()
        return {
            **_acting(a),
            "original_file_name": a("process.pe.original_file_name"),
            "process_current_directory": a("process.working_directory"),
            "process_integrity_level": (a("process.Ext.token.integrity_level_name") or "").lower() or None,
            "process_hash": a("process.hash.sha256"),
            "parent_process": a("process.parent.command_line") if parent else None,
            "parent_process_name": a.file_name("process.parent") if parent else None,
            "parent_process_path": a.executable("process.parent") if parent else None,
            "parent_process_id": text(a("process.parent.pid")) if parent else None,
            "parent_process_guid": a("process.parent.entity_id") if parent else None,
            "user_id": a.account("id"),
            "os": a.os,
        }
    if kind == "file":
        return {**_acting(a), "action": action, "file_path": a.one("file.path"),
                "file_name": a.path_name("file.path", "file.name"), "file_hash": a.one("file.hash.sha256"),
                "file_size": text(a.one("file.size"))}
    if kind == "registry":
        key = a.registry_key()
        data = values(a.event, "registry.data.strings")
        return {**_acting(a), "action": action, "registry_path": a.one("registry.path"),
                "registry_key_name": basename(key, "windows") if key else None,
                "registry_value_name": a.one("registry.value"),
                "registry_value_data": str(data[0]) if data else None,
                "registry_value_type": a.one("registry.data.type"), "registry_hive": a.one("registry.hive")}
    if kind == "network":
        return {"direction": action, "action": "allowed", "src_ip": a.one("source.ip"),
                "src_port": text(a.one("source.port")), "dest_ip": a.one("destination.ip"),
                "dest_port": text(a.one("destination.port")), "transport": a.one("network.transport"),
                "dest": a.one("destination.domain") or a.one("destination.ip"), "src": a.one("source.ip"),
                "user": a.account("name")}
    if kind == "authentication":
        return {"action": action, "app": "sshd", "src": a.one("source.ip"), "user": a.one("user.name"),
                "dest": a("host.name"), "authentication_method": a.one("system.auth.ssh.method"),
                "signature": a.one("system.auth.ssh.event")}
    if kind == "dns":
        answers = [str(v) for v in values(a.event, "dns.resolved_ip")]
        return {"query": a.one("dns.question.name"), "query_type": a.one("dns.question.type"),
                "answer": answers or None, "src": a.one("source.ip") or a("host.name")}
    return {}


def render_cim(event: Mapping[str, Any]) -> dict | None:
    a = Activity(event)
    for table in facts.platform("cim").tables.values():
        recorded, action = a.recorded_by(table)
        if not recorded:
            continue
        model_set = dataset_of(table)
        dataset = model_set.split(".", 1)[1]
        record = {f"{dataset}.{k}": v for k, v in _fields(a, action).items() if v is not None and v != []}
        for name, fill in table.filled().items():
            if record.get(name) in (None, ""):
                record[name] = fill  # the data model's eval: if(isnull(x) OR x="", "unknown", x)
        record[MARKER] = model_set
        time = epoch_seconds(a("@timestamp"))
        if time is not None:
            record["_time"] = time  # every Splunk event (and data-model record) has its time in _time
        return record
    return None

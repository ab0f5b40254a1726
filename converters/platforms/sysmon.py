"""Sysmon as Splunk holds it (splunk), and the same events under Sigma's taxonomy (sigma).

`sysmon` (splunk): Sysmon for Windows events as the Splunk Add-on for
Sysmon extracts them (source XmlWinEventLog:Microsoft-Windows-Sysmon/Operational),
and Sysmon for Linux events as the Splunk Add-on for Sysmon for Linux does
(sourcetype sysmon:linux). All values are strings; fields are Sysmon's own
names. Which event IDs exist, and their fields: the tables of
converters/data/platforms/sysmon.json (Sysmon's documentation). Per event:

- process start, EventCode 1: Image = executable, CommandLine, ParentImage /
  ParentCommandLine, OriginalFileName, User (DOMAIN\\name on Windows, the bare
  name on Linux), CurrentDirectory (with Sysmon's trailing backslash on
  Windows). Version information Sysmon cannot read, and a parent it does not
  know, are `-`. Process end: EventCode 5. ProcessGuid / ParentProcessGuid
  (on every event kind, the acting process's ProcessGuid): Sysmon's own id of
  the process, one per ECS process.entity_id here (emit reads it as a join key
  only; its values are not ECS's).
- file: EventCode 11 (created or overwritten), 23 (deleted); TargetFilename
  = the file's full path. Modifications, renames and reads are not recorded.
- registry: EventCode 12 (CreateKey, DeleteKey, DeleteValue), 13 (SetValue, with Details),
  14 (RenameKey); TargetObject = the registry path (key\\value for values);
  Details renders DWORD/QWORD data as `DWORD (0x00000001)`.
- network: EventCode 3, Initiated true for a connection the process made.
- DNS: EventCode 22, QueryName, QueryResults (`;`-separated).
- library: EventCode 7 (ImageLoaded, Signed, Signature, SignatureStatus);
  driver: EventCode 6. Windows only.
- logons (not Sysmon): sshd's lines in linux_secure (Splunk Add-on for Unix
  and Linux: action success/failure, app sshd, src, src_port, user, dest),
  for Elastic's ssh_login events (its auditd user_login records are another
  sourcetype); Windows Security 4624/4625 (Splunk Add-on for Microsoft
  Windows, source XmlWinEventLog:Security): the EventData names
  (TargetUserName, TargetUserSid, TargetDomainName, IpAddress, '-' without a
  network address, LogonType as its number, Status), Computer.
- other Windows Security channel records (not Sysmon: the Windows add-on's
  XmlWinEventLog:Security; converters.platforms.winlog decides which ECS
  events are such records): EventCode the event ID (event.code, else the one
  code Elastic gives the event's event.action), Computer, Channel, and every
  EventData field under its own name, as text.
- PowerShell script blocks (not Sysmon: the Windows add-on's
  Microsoft-Windows-PowerShell/Operational channel), EventCode 4104:
  ScriptBlockText, ScriptBlockId, Path (the script's file), UserID (SID).
macOS has no Sysmon: its events are never received. No argv, no signer of
processes.

`sigma` (the sigma column): the same records under Sigma's taxonomy, for
Windows, Linux and macOS alike (Sigma's taxonomy is not tied to Sysmon's
platforms), with the Sigma logsource each record belongs to in
`sigma.category` / `sigma.product`: the category of its ECS event.category
as ruleport's rules name it (DNS lookups, which Elastic files under network,
are network_connection records; process ends process_termination), `none`
for an event no Sigma category holds (a process event that is no start or
end, an ECS category such as database), and no category at all for an event
naming no ECS category (every rule reads it). Integers stay integers; the taxonomy's md5/sha1/sha256 stand
beside Sysmon's Hashes; every ECS field that Sigma's taxonomy has no name for
is kept under its ECS name (that is how ruleport's Sigma rules name them),
an array as its values one per line (SQLite holds one value per column; a
condition on an array is read line by line, converters.emit.pipelines.sigma_records).
"""

from __future__ import annotations

from typing import Any, Mapping

from converters.engine.documents import flatten_ecs
from converters.engine.timestamps import epoch_seconds
from converters.platforms import facts, winlog
from converters.platforms.activity import WINDOWS_LOGON_TYPES, Activity, basename, drop_none, first, text

WINDOWS_SOURCE = "XmlWinEventLog:Microsoft-Windows-Sysmon/Operational"

#: Sigma logsource category of each endpoint event kind
SIGMA_CATEGORY = {"process": "process_creation", "file": "file_event", "registry": "registry_event",
                  "network": "network_connection", "dns": "dns_query", "library": "image_load",
                  "driver": "driver_load", "script": "ps_script"}
#: the Sigma category of an event by its ECS event.category, as ruleport's Sigma rules name it:
#: Elastic files DNS lookups under `network`, so they are network_connection records
SIGMA_CATEGORY_OF_ECS = {"process": "process_creation", "file": "file_event", "registry": "registry_event",
                         "network": "network_connection", "dns": "dns_query", "library": "image_load",
                         "driver": "driver_load"}


def _utc(ts: Any) -> str | None:
    # Sysmon writes "2025-08-21 10:00:00.100"
    if not isinstance(ts, str):
        return None
    return ts.replace("T", " ").rstrip("Z")


def _user(a: Activity) -> str | None:
    return a.user_with_domain() if a.os == "windows" else a.account("name")


def _dash(value: Any) -> str:
    return "-" if value is None else str(value)


def _hashes(a: Activity, prefix: str) -> str | None:
    parts = [f"{alg.upper()}={str(a.one(f'{prefix}.hash.{alg}')).upper()}"
             for alg in ("md5", "sha1", "sha256") if a.one(f"{prefix}.hash.{alg}")]
    return ",".join(parts) or None


def _process_create(a: Activity) -> dict:
    cwd = a("process.working_directory")
    if cwd is not None and a.os == "windows" and not cwd.endswith("\\"):
        cwd += "\\"  # Sysmon's CurrentDirectory ends with a backslash
    parent = a.has_parent()
    return {
        "ProcessId": text(a("process.pid")),
        "ProcessGuid": a("process.entity_id"),
        "Image": a.executable(),
        "FileVersion": _dash(a("process.pe.file_version")),
        "Description": _dash(a("process.pe.description")),
        "Product": _dash(a("process.pe.product")),
        "Company": _dash(a("process.pe.company")),
        "OriginalFileName": _dash(a("process.pe.original_file_name")),
        "CommandLine": a("process.command_line"),
        "CurrentDirectory": cwd,
        "User": _user(a),
        "IntegrityLevel": a("process.Ext.token.integrity_level_name") if a.os == "windows" else "no level",
        "Hashes": _hashes(a, "process"),
        "ParentProcessId": text(a("process.parent.pid")) if parent else "0",
        "ParentProcessGuid": a("process.parent.entity_id") if parent else None,
        "ParentImage": a.executable("process.parent") if parent else "-",
        "ParentCommandLine": a("process.parent.command_line") if parent else "-",
    }


def _acting_process(a: Activity) -> dict:
    return {"ProcessId": text(a("process.pid")), "ProcessGuid": a("process.entity_id"),
            "Image": a.executable(), "User": _user(a)}


def _registry_details(a: Activity) -> str | None:
    """Sysmon's rendering of registry data: DWORD (0x%08x), QWORD (0x%08x-0x%08x), Binary Data, or the string."""
    data = [str(v) for v in (a("registry.data.strings") or []) if v is not None] \
        if isinstance(a("registry.data.strings"), list) else ([str(a("registry.data.strings"))]
                                                              if a("registry.data.strings") is not None else [])
    kind = str(a.one("registry.data.type") or "").upper()
    if kind in ("REG_DWORD", "REG_QWORD") and data:
        try:
            n = int(data[0], 0)
        except ValueError:
            return data[0]
        return f"DWORD (0x{n:08x})" if kind == "REG_DWORD" else f"QWORD (0x{n >> 32:08x}-0x{n & 0xFFFFFFFF:08x})"
    if kind == "REG_BINARY":
        return "Binary Data"
    return data[0] if data else None


def _signature(a: Activity, prefix: str) -> dict:
    exists = a.one(f"{prefix}.code_signature.exists")
    trusted = a.one(f"{prefix}.code_signature.trusted")
    status = a.one(f"{prefix}.code_signature.status")
    return {
        "Signed": text(exists) if exists is not None else None,
        "Signature": a.one(f"{prefix}.code_signature.subject_name"),
        "SignatureStatus": "Valid" if trusted is True else (str(status) if status is not None else None),
    }


def _fields(a: Activity, table: facts.Table | None, action: str | None, kind: str | None = None) -> dict:
    kind = kind or a.kind
    if kind == "process":
        if table.select["EventCode"] == ["5"]:
            return _acting_process(a)
        return _process_create(a)
    if kind == "file":
        out = {**_acting_process(a), "TargetFilename": a.one("file.path")}
        if action == "11":
            out["CreationUtcTime"] = _utc(a.one("file.created") or a("@timestamp"))
        else:
            out["Hashes"] = _hashes(a, "file")
        return out
    if kind == "registry":
        out = {**_acting_process(a), "EventType": action, "TargetObject": a.one("registry.path")}
        if action == "SetValue":
            out["Details"] = _registry_details(a)
        return out
    if kind == "network":
        src, dst = a.one("source.ip"), a.one("destination.ip")
        return {**_acting_process(a), "Protocol": (a.one("network.transport") or None), "Initiated": action,
                "SourceIp": src, "SourcePort": text(a.one("source.port")),
                "SourceIsIpv6": None if src is None else text(":" in str(src)),
                "SourceHostname": a.one("source.domain"),
                "DestinationIp": dst, "DestinationPort": text(a.one("destination.port")),
                "DestinationIsIpv6": None if dst is None else text(":" in str(dst)),
                "DestinationHostname": a.one("destination.domain")}
    if kind == "dns":
        answers = [str(v) for v in (a("dns.resolved_ip") or [])] if isinstance(a("dns.resolved_ip"), list) \
            else ([str(a("dns.resolved_ip"))] if a("dns.resolved_ip") is not None else [])
        return {**_acting_process(a), "QueryName": a.one("dns.question.name"), "QueryStatus": "0",
                "QueryResults": ";".join(answers) + ";" if answers else "-"}
    if kind == "library":
        return {**_acting_process(a), "ImageLoaded": a.one("dll.path"), "Hashes": _hashes(a, "dll"),
                "OriginalFileName": _dash(a.one("dll.pe.original_file_name")),
                "Company": _dash(a.one("dll.pe.company")), "Product": _dash(a.one("dll.pe.product")),
                "Description": _dash(a.one("dll.pe.description")),
                "FileVersion": _dash(a.one("dll.pe.file_version")), **_signature(a, "dll")}
    if kind == "driver":
        prefix = "dll" if a.one("dll.path") is not None else "file"
        return {"ImageLoaded": a.one(f"{prefix}.path"), "Hashes": _hashes(a, prefix), **_signature(a, prefix)}
    if kind == "script":
        return {"ScriptBlockText": a.one("powershell.file.script_block_text"),
                "ScriptBlockId": a.one("powershell.file.script_block_id"), "Path": a.one("file.path"),
                "MessageNumber": text(a.one("powershell.sequence")), "MessageTotal": text(a.one("powershell.total")),
                "UserID": a.account("id")}
    return {}


def _logon(a: Activity, table: facts.Table, action: str | None) -> dict:
    """A logon as the Splunk add-ons extract it (linux_secure's sshd line, or Security 4624/4625)."""
    if "EventCode" not in table.select:   # linux_secure: sshd's Accepted / Failed / Invalid user lines
        return {"action": action, "app": "sshd", "process": "sshd", "src": a.one("source.ip"),
                "src_port": text(a.one("source.port")), "user": a.one("user.name"), "dest": a("host.name"),
                "vendor_product": "sshd"}
    number = {v: k for k, v in WINDOWS_LOGON_TYPES.items()}.get(a.logon_type_name() or "")
    return {"EventCode": action, "Computer": a.one("winlog.computer_name") or a("host.name"),
            "TargetUserName": a.one("user.name"),
            "TargetUserSid": a.one("user.id"),
            "TargetDomainName": a.one("user.domain"),
            "IpAddress": a.one("source.ip") or "-",   # Windows writes "-" for no address
            "IpPort": text(a.one("source.port")),
            "LogonType": number, "Status": a.one("winlog.event_data.Status"),
            "SubStatus": a.one("winlog.event_data.SubStatus"),
            "LogonProcessName": a.one("winlog.event_data.LogonProcessName"),
            "AuthenticationPackageName": a.one("winlog.event_data.AuthenticationPackageName"),
            "action": "success" if action == "4624" else "failure"}


def _event_code(table: facts.Table, action: str | None) -> str:
    codes = table.select["EventCode"]
    if table.kind == "file":
        return "11" if action == "11" else codes[1]  # a deletion: 23 (FileDelete)
    if table.kind == "registry":
        return {"SetValue": "13", "RenameKey": "14"}.get(action or "", "12")
    return codes[0]


def sysmon_record(a: Activity) -> tuple[facts.Table, dict] | None:
    """The Sysmon table that records this activity and the record, or None."""
    for table in facts.platform("sysmon").tables.values():
        recorded, action = a.recorded_by(table)
        if not recorded:
            continue
        if table.kind == "winlog":
            rec = winlog.record(a)
            if rec is None or rec.channel != winlog.security().channel:
                continue   # another channel's record, or one with no event ID: not in this source
            return table, drop_none({"source": table.select["source"], "sourcetype": table.select["sourcetype"],
                                     "host": a("host.name"), "_time": epoch_seconds(a("@timestamp")),
                                     **rec.data, "EventCode": rec.code, "Computer": rec.computer,
                                     "Channel": rec.channel})
        if table.kind == "authentication":
            select = table.select
            record = {"source": select.get("source", "/var/log/secure"), "sourcetype": select["sourcetype"],
                      "host": a("host.name"), "_time": epoch_seconds(a("@timestamp")), **_logon(a, table, action)}
            return table, drop_none(record)
        code = _event_code(table, action)
        fields = drop_none(_fields(a, table, action))
        record = {"source": table.select["source"], "sourcetype": table.select["sourcetype"], "EventCode": code,
                  "host": a("host.name"), "Computer": a("host.name"), "UtcTime": _utc(a("@timestamp")),
                  "_time": epoch_seconds(a("@timestamp")), **fields}
        return table, drop_none(record)
    return None


def render_sysmon(event: Mapping[str, Any]) -> dict | None:
    found = sysmon_record(Activity(event))
    return None if found is None else found[1]


# --- Sigma ----------------------------------------------------------------------

#: Sigma taxonomy fields that hold integers (Sysmon's ProcessId and the like)
_INTEGERS = ("ProcessId", "ParentProcessId", "SourcePort", "DestinationPort")


#: Sysmon's "-" placeholders (no version information; no parent)
_PLACEHOLDERS = ("OriginalFileName", "FileVersion", "Description", "Product", "Company", "ParentImage",
                 "ParentCommandLine", "QueryResults")

#: the category of an endpoint event no Sigma category holds (a process event that is no start
#: or end): no rule names it, so no rule reads the record
NO_CATEGORY = "none"
_STARTS = ("start", "process_started")   # process_creation, as the translation reads it


def _sigma_table(a: Activity) -> tuple[facts.Table | None, str | None]:
    """The Sysmon table whose fields give the Sigma taxonomy names of this event's kind, and the
    action value Sysmon would give it (its Windows tables: Sigma's taxonomy is Sysmon's names)."""
    tables = [t for t in facts.platform("sysmon").tables.values()
              if t.kind == a.kind and t.name.startswith("windows-")]
    if a.kind == "process":
        wanted = ("windows-process" if set(a.types) & set(_STARTS)
                  else "windows-process-terminate" if "end" in a.types else None)
        return next(((t, None) for t in tables if t.name == wanted), (None, None))
    for table in tables:
        recorded, action = table.actions.value(a.ecs_values(table.actions.ecs_fields)) \
            if table.actions else (True, None)
        if recorded:
            return table, action
    return (tables[0], None) if tables else (None, None)   # named as the kind's table names it


def sigma_category(table: facts.Table | None, a: Activity) -> str | None:
    """The Sigma category of the event as ruleport's rules name it: each means its ECS
    event.category (process_creation: process starts; process_termination: ends)."""
    if a.kind == "process":
        if table is None:
            return NO_CATEGORY
        return "process_termination" if table.name.endswith("-process-terminate") else "process_creation"
    for category in a.categories:
        if category in SIGMA_CATEGORY_OF_ECS:
            return SIGMA_CATEGORY_OF_ECS[category]
    return SIGMA_CATEGORY.get(a.kind or "")


def render_sigma(event: Mapping[str, Any]) -> dict:
    a = Activity(event)
    record: dict[str, Any] = {}
    for key, found in flatten_ecs(event).items():
        # one value per SQLite column: an array of several is kept as its values, one per line
        record[key] = found[0] if len(found) == 1 else "\n".join(text(v) or "" for v in found)
    table, action = _sigma_table(a) if a.kind in SIGMA_CATEGORY else (None, None)
    if table is not None:
        # Sigma's taxonomy has no placeholder: what Sysmon writes "-" for is missing here
        record.update({k: v for k, v in drop_none(_fields(a, table, action)).items()
                       if not (v == "-" and k in _PLACEHOLDERS)})
        record["EventID"] = int(_event_code(table, action))
        if a.kind == "dns":   # a lookup's record keeps the connection fields the event has
            record.update({k: v for k, v in drop_none(_fields(a, None, None, "network")).items()
                           if k not in record and k != "Initiated"})
        if a.kind == "registry" and "Details" not in record:   # data of any registry event
            record["Details"] = _registry_details(a)
        if a.kind == "process":   # the ECS directory as it is (no Sysmon trailing backslash)
            record["CurrentDirectory"] = a("process.working_directory")
        if a.kind == "process" and a.os != "windows":
            record["User"] = a.account("name")
        if a.kind == "process":  # the taxonomy's hash fields beside Sysmon's Hashes
            record.update(drop_none({alg: a.one(f"process.hash.{alg}") for alg in ("md5", "sha1", "sha256")}))
    record["UtcTime"] = _utc(a("@timestamp"))   # Sysmon's time column (correlations order by it)
    if a.kind in SIGMA_CATEGORY:
        record["sigma.category"] = sigma_category(table, a)
    elif a.categories:   # an ECS category no Sigma category is (database, threat): no category's rule reads it
        record["sigma.category"] = NO_CATEGORY
    if a.os is not None:
        record["sigma.product"] = a.os
    for key in _INTEGERS:
        if isinstance(record.get(key), str) and record[key].isdigit():
            record[key] = int(record[key])
    return {k: v for k, v in record.items() if v is not None}


__all__ = ["render_sysmon", "render_sigma", "sysmon_record", "WINDOWS_SOURCE", "SIGMA_CATEGORY", "basename", "first"]

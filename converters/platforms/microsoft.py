"""Microsoft Defender XDR advanced hunting (kusto-defender) and Sentinel ASIM (kusto-sentinel).

Records carry their table in `$table` (the name a query's first line reads).
Each record carries its device's own id (Defender's DeviceId, "unique identifier for the
machine in the service"; ASIM's DvcId, "the unique ID of the device"), one per ECS host.id:
the platform's value, which emit reads as a join key only (never in a condition).
Defender XDR has no process GUID: a process is its device, PID and creation time together
(defender-xdr.json "identities", Microsoft's advanced hunting best practices). Its
ProcessId / InitiatingProcessId / InitiatingProcessParentId are ECS's pid of the process
(the event's process, its parent), and each *CreationTime is the process's own, one per ECS
entity_id here (a time derived from the entity id, a year before the fixtures' events): one
process's events share the identity, two processes' do not, even with one PID. These
values are the platform's, not ECS's: emit reads the identity as a join key only.
Kusto string columns are never null: a missing string is "". Tables, their
columns and ActionType/EventType values: converters/data/platforms/defender-xdr.json
and sentinel-asim.json (Microsoft's schema references).

`defender`
- DeviceProcessEvents (ActionType ProcessCreated): FileName = basename of
  FolderPath, FolderPath = full path, ProcessCommandLine,
  ProcessVersionInfo* from the PE header, Account* for the user,
  InitiatingProcess* for the parent. Windows, Linux and macOS devices; the
  table has no OS column. Process ends are in no table.
- every other table: InitiatingProcess* = the acting process (ECS process.*),
  InitiatingProcessAccount* = the user.
- DeviceFileEvents: FileName, FolderPath (full path) of the file;
  PreviousFileName / PreviousFolderPath before a rename; ActionType
  FileCreated, FileModified, FileRenamed, FileDeleted. Reads are not recorded.
- DeviceRegistryEvents (Windows): RegistryKey = the key, root spelled out
  (HKEY_LOCAL_MACHINE\\...), RegistryValueName, RegistryValueData (the first
  string), RegistryValueType (Dword, String, ...).
- DeviceNetworkEvents: LocalIP/LocalPort = the host's side, RemoteIP /
  RemotePort / RemoteUrl = the peer; ActionType ConnectionSuccess (outbound),
  InboundConnectionAccepted; Protocol Tcp/Udp.
- DeviceImageLoadEvents (Windows): FileName / FolderPath of the loaded image.
- DeviceEvents, ActionType DnsQueryResponse (Windows):
  AdditionalFields.DnsQueryString is the name; ActionType DriverLoad: the
  driver's FileName / FolderPath.

- DeviceLogonEvents (Windows logons): ActionType LogonSuccess / LogonFailed,
  LogonType as Windows names it (Network, RemoteInteractive...),
  AccountName / AccountDomain / AccountSid the account logged on, RemoteIP /
  RemotePort the client, DeviceName the computer (lower-cased). Microsoft
  documents no Linux (sshd) logon in it: such events are not received.

`asim`
- imAuthentication (EventType Logon): sshd logins through the OpenSSH parser
  (EventProduct OpenSSH: EventResult Success/Failure, TargetUsername as sshd
  names it, SrcIpAddr, LogonProtocol ssh, DvcOs Linux), Windows 4624/4625
  through the Security Events parser (EventProduct "Security Events":
  EventOriginalType the event ID, EventSubType the logon type's name,
  TargetUsername DOMAIN\\name, TargetUserId the SID, SrcIpAddr, DvcHostname
  the computer; no NTSTATUS code).
- imProcessCreate: TargetProcessName (full path), TargetProcessCommandLine,
  TargetProcessFileOriginalName, ActingProcessName (full path) and
  ActingProcessCommandLine for the parent, TargetUsername (DOMAIN\\name), DvcOs.
- other schemas: ActingProcessName / ActingProcessCommandLine / ActorUsername
  = the acting process and user; DvcOs ("Windows", "Linux", "macOS").
- imFileEvent: TargetFilePath/Name/Extension/Directory; SrcFile* before a
  rename; EventType FileCreated, FileModified, FileRenamed, FileDeleted.
- imRegistry: RegistryKey (full root names), RegistryValue,
  RegistryValueData, RegistryValueType (Reg_Sz, Reg_Dword, ...).
- imNetworkSession (EventType EndpointNetworkSession): Src*/Dst* as the
  connection's initiator/responder, SrcProcessName / SrcProcessId /
  SrcProcessGuid for the local process of an outbound session and
  DstProcess* for an inbound one,
  NetworkDirection Outbound/Inbound, NetworkProtocol TCP/UDP.
- imDns (EventType Query): DnsQuery, SrcProcessName, SrcProcessGuid, SrcIpAddr.
- a process's GUID (TargetProcessGuid of its start, ActingProcessGuid of what
  it does, Src/DstProcessGuid of its sessions and lookups): one per ECS
  process.entity_id, so that one process's events share it (emit reads it as
  a join key only), in the text each parser gives it (sentinel-asim.json
  `guids`): a Windows process start in braces, `{<entity_id>}`, as the Sysmon
  parser of the WindowsEvent table keeps them; everywhere else without.
- SecurityEvent (Windows Security Events via AMA): the Security channel's
  records (converters.platforms.winlog: an ECS event naming no channel is
  a Security record unless its provider says otherwise): EventID the
  event ID (event.code, else the one code Elastic gives its event.action),
  Channel, EventSourceName the provider, Computer, the EventData fields
  that have a column under their own names, and all of them as XML in
  EventData. Records of other channels are not in it.
- PowerShell script blocks, which no ASIM schema covers: the WindowsEvent
  table (Provider Microsoft-Windows-PowerShell, EventID 4104), the event's
  data in the dynamic EventData, the user's SID in SystemUserId.
- library (image) loads and driver loads, which no ASIM schema covers either:
  DeviceImageLoadEvents and DeviceEvents (DriverLoad), which the Microsoft
  Defender XDR connector streams into the workspace from advanced hunting;
  their records are Defender's, written as `defender` writes them (the
  facts borrow the tables: sentinel-asim.json `"table_of": "defender"`).
No signer, no argv anywhere.
"""

from __future__ import annotations

import hashlib
from typing import Any, Mapping

from converters.engine.timestamps import iso_utc
from converters.platforms import facts, winlog
from converters.platforms.activity import (
    OS_DISPLAY,
    Activity,
    basename,
    dirname,
    full_registry_root,
    values,
)

MARKER = "$table"

_NON_STRING = ("long", "int", "real", "datetime", "bool", "dynamic")
_DEFENDER_VALUE_TYPES = {"REG_DWORD": "Dword", "REG_QWORD": "Qword", "REG_SZ": "String",
                         "REG_EXPAND_SZ": "ExpandString", "REG_MULTI_SZ": "MultiString",
                         "REG_BINARY": "Binary", "REG_NONE": "None"}
_ASIM_VALUE_TYPES = {"REG_DWORD": "Reg_Dword", "REG_QWORD": "Reg_Qword", "REG_SZ": "Reg_Sz",
                     "REG_EXPAND_SZ": "Reg_Expand_Sz", "REG_MULTI_SZ": "Reg_Multi_Sz",
                     "REG_BINARY": "Reg_Binary", "REG_NONE": "Reg_None"}


def _kusto(table: facts.Table, record: dict) -> dict:
    """Missing strings are "" (Kusto strings are never null); other types stay null."""
    out = {}
    for key, value in record.items():
        if value is None and table.type_of(key) in _NON_STRING:
            continue
        out[key] = "" if value is None else value
    out[MARKER] = table.select["table"]
    return out


def _number(value: Any) -> Any:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and value.isdigit():
        return int(value)
    return None


def _initiating(a: Activity) -> dict:
    return {
        "InitiatingProcessFileName": a.file_name(),
        "InitiatingProcessFolderPath": a.executable(),
        "InitiatingProcessCommandLine": a("process.command_line"),
        "InitiatingProcessId": _number(a("process.pid")),
        "InitiatingProcessCreationTime": _created(a("process.entity_id")),
        "InitiatingProcessParentId": _number(a("process.parent.pid")),
        "InitiatingProcessParentCreationTime": _created(a("process.parent.entity_id")),
        "InitiatingProcessVersionInfoOriginalFileName": a("process.pe.original_file_name"),
        "InitiatingProcessVersionInfoCompanyName": a("process.pe.company"),
        "InitiatingProcessAccountName": a.account("name"),
        "InitiatingProcessAccountDomain": a.account("domain"),
        "InitiatingProcessAccountSid": a.account("id"),
        "InitiatingProcessSHA256": a("process.hash.sha256"),
    }


def _defender_fields(a: Activity, table: facts.Table, action: str | None) -> dict:
    common = {"Timestamp": a("@timestamp"), "DeviceName": (a("host.name") or "").lower(),  # lower-cased by Defender
              "DeviceId": _device_id(a), "ActionType": action}
    kind = a.kind
    if kind == "process":
        parent = a.has_parent()
        return {
            **common,
            "FileName": a.file_name(), "FolderPath": a.executable(),
            "ProcessCommandLine": a("process.command_line"),
            "ProcessVersionInfoOriginalFileName": a("process.pe.original_file_name"),
            "ProcessVersionInfoCompanyName": a("process.pe.company"),
            "ProcessVersionInfoProductName": a("process.pe.product"),
            "ProcessVersionInfoFileDescription": a("process.pe.description"),
            "ProcessIntegrityLevel": a("process.Ext.token.integrity_level_name"),
            "SHA256": a("process.hash.sha256"), "SHA1": a("process.hash.sha1"), "MD5": a("process.hash.md5"),
            "AccountName": a.account("name"), "AccountDomain": a.account("domain"), "AccountSid": a.account("id"),
            "ProcessId": _number(a("process.pid")), "ProcessCreationTime": _created(a("process.entity_id")),
            "InitiatingProcessCreationTime": _created(a("process.parent.entity_id")) if parent else None,
            "InitiatingProcessFileName": a.file_name("process.parent") if parent else None,
            "InitiatingProcessFolderPath": a.executable("process.parent") if parent else None,
            "InitiatingProcessCommandLine": a("process.parent.command_line") if parent else None,
            "InitiatingProcessId": _number(a("process.parent.pid")) if parent else None,
        }
    if kind == "file":
        before = a.one("file.Ext.original.path")
        return {**common, **_initiating(a), "FileName": a.path_name("file.path", "file.name"),
                "FolderPath": a.one("file.path"),
                "PreviousFileName": basename(before, a.os) if before else a.one("file.Ext.original.name"),
                "PreviousFolderPath": before, "SHA256": a.one("file.hash.sha256"), "SHA1": a.one("file.hash.sha1"),
                "MD5": a.one("file.hash.md5"), "FileSize": _number(a.one("file.size"))}
    if kind == "registry":
        data = values(a.event, "registry.data.strings")
        value_type = str(a.one("registry.data.type") or "").upper()
        return {**common, **_initiating(a), "RegistryKey": full_registry_root(a.registry_key()),
                "RegistryValueName": a.one("registry.value"), "RegistryValueData": str(data[0]) if data else None,
                "RegistryValueType": _DEFENDER_VALUE_TYPES.get(value_type, a.one("registry.data.type"))}
    if kind == "network":
        local, remote = ("source", "destination") if a.outbound() else ("destination", "source")
        transport = a.one("network.transport")
        return {**common, **_initiating(a), "LocalIP": a.one(f"{local}.ip"),
                "LocalPort": _number(a.one(f"{local}.port")), "RemoteIP": a.one(f"{remote}.ip"),
                "RemotePort": _number(a.one(f"{remote}.port")), "RemoteUrl": a.one(f"{remote}.domain"),
                "Protocol": str(transport).capitalize() if transport else None}
    if kind == "library":
        return {**common, **_initiating(a), "FileName": a.path_name("dll.path", "dll.name"),
                "FolderPath": a.one("dll.path"), "SHA256": a.one("dll.hash.sha256"), "SHA1": a.one("dll.hash.sha1")}
    if kind == "dns":
        return {**common, **_initiating(a),
                "AdditionalFields": {"DnsQueryString": a.one("dns.question.name"),
                                     "DnsQueryResult": [str(v) for v in values(a.event, "dns.resolved_ip")]}}
    if kind == "authentication":
        return {**common, "DeviceName": str(a.one("winlog.computer_name") or a("host.name") or "").lower(),
                "LogonType": a.logon_type_name(), "AccountName": a.one("user.name"),
                "AccountDomain": a.one("user.domain"),
                "AccountSid": a.one("user.id"), "RemoteIP": a.one("source.ip"),
                "RemotePort": _number(a.one("source.port")),
                "LogonId": _number(a.one("winlog.logon.id"))}
    if kind == "driver":
        prefix = "dll" if a.one("dll.path") is not None else "file"
        return {**common, **_initiating(a), "FileName": a.path_name(f"{prefix}.path", f"{prefix}.name"),
                "FolderPath": a.one(f"{prefix}.path"), "SHA256": a.one(f"{prefix}.hash.sha256"),
                "SHA1": a.one(f"{prefix}.hash.sha1")}
    return {}


def _device_id(a: Activity) -> str | None:
    """The device's own id (Defender's DeviceId, ASIM's DvcId: one per device, given by the
    platform): one per ECS host.id here, so that one host's events share it and two hosts' do not.
    Its value is the platform's, not ECS's: emit reads it as a join key only."""
    host = a.one("host.id")
    return None if host is None else f"device-{host}"


#: the creation times _created gives lie within the year before this (the fixtures' events are later)
_CREATED_BEFORE = 1_735_689_600   # 2025-01-01T00:00:00Z
_YEAR = 365 * 86400


def _created(entity_id: Any) -> str | None:
    """A process's creation time on Defender XDR, one per ECS entity id (a stable hash of it, to the
    millisecond): the second half of the platform's process identity (with the device and PID)."""
    if entity_id is None or entity_id == "":
        return None
    digest = int.from_bytes(hashlib.sha256(str(entity_id).encode()).digest()[:8], "big")
    return iso_utc(_CREATED_BEFORE - _YEAR + (digest % (_YEAR * 1000)) / 1000)


def render_defender(event: Mapping[str, Any]) -> dict | None:
    return _render("defender", event)


def _asim_fields(a: Activity, table: facts.Table, action: str | None) -> dict:
    common = {"TimeGenerated": a("@timestamp"), "DvcOs": OS_DISPLAY.get(a.os or "", a.os),
              "DvcHostname": a("host.name"), "DvcId": _device_id(a), "EventProduct": "Defender for Endpoint"}
    kind = a.kind
    acting = {"ActingProcessName": a.executable(), "ActingProcessId": _text_id(a("process.pid")),
              "ActingProcessGuid": a("process.entity_id"),
              "ActingProcessCommandLine": a("process.command_line"), "ActorUsername": a.user_with_domain()}
    if kind == "process":
        parent = a.has_parent()
        return {
            **common, "EventType": action,
            "EventProduct": "Sysmon" if a.os == "windows" else "Sysmon for Linux" if a.os == "linux"
            else "Defender for Endpoint",
            "TargetProcessName": a.executable(),
            "TargetProcessCommandLine": a("process.command_line"),
            "TargetProcessFileOriginalName": a("process.pe.original_file_name"),
            "TargetProcessFileCompany": a("process.pe.company"),
            "TargetProcessFileProduct": a("process.pe.product"),
            "TargetProcessFileDescription": a("process.pe.description"),
            "TargetProcessCurrentDirectory": a("process.working_directory"),
            "TargetProcessIntegrityLevel": a("process.Ext.token.integrity_level_name"),
            "TargetProcessSHA256": a("process.hash.sha256"),
            "TargetUsername": a.user_with_domain(), "TargetUserId": a.account("id"),
            "TargetProcessId": a("process.pid"), "TargetProcessGuid": a("process.entity_id"),
            "ActingProcessGuid": a("process.parent.entity_id") if parent else None,
            "ActingProcessName": a.executable("process.parent") if parent else None,
            "ActingProcessCommandLine": a("process.parent.command_line") if parent else None,
            "ActingProcessId": a("process.parent.pid") if parent else None,
        }
    if kind == "file":
        path, before = a.one("file.path"), a.one("file.Ext.original.path")
        name = a.path_name("file.path", "file.name")
        return {**common, **acting, "EventType": action, "TargetFilePath": path, "TargetFileName": name,
                "TargetFileDirectory": dirname(path, a.os), "TargetFileExtension": a.one("file.extension"),
                "TargetFileSHA256": a.one("file.hash.sha256"), "TargetFileMD5": a.one("file.hash.md5"),
                "TargetFileSize": _number(a.one("file.size")), "ActorUserId": a.account("id"),
                "SrcFilePath": before, "SrcFileName": basename(before, a.os) if before
                else a.one("file.Ext.original.name"), "SrcFileExtension": a.one("file.Ext.original.extension")}
    if kind == "registry":
        data = values(a.event, "registry.data.strings")
        value_type = str(a.one("registry.data.type") or "").upper()
        return {**common, **acting, "EventType": action, "ActorUserId": a.account("id"),
                "RegistryKey": full_registry_root(a.registry_key()),
                "RegistryValue": a.one("registry.value"), "RegistryValueData": str(data[0]) if data else None,
                "RegistryValueType": _ASIM_VALUE_TYPES.get(value_type, a.one("registry.data.type"))}
    if kind == "network":
        side = "Src" if a.outbound() else "Dst"   # the endpoint's own process: the session's initiator or not
        transport = a.one("network.transport")
        return {**common, "EventType": "EndpointNetworkSession", "NetworkDirection": action,
                f"{side}ProcessName": a.executable(), f"{side}ProcessId": _text_id(a("process.pid")),
                f"{side}ProcessGuid": a("process.entity_id"),
                "SrcIpAddr": a.one("source.ip"), "SrcPortNumber": _number(a.one("source.port")),
                "DstIpAddr": a.one("destination.ip"), "DstPortNumber": _number(a.one("destination.port")),
                "DstHostname": a.one("destination.domain"), "SrcUsername": a.user_with_domain(),
                "SrcUserId": a.account("id"), "NetworkProtocol": str(transport).upper() if transport else None,
                "NetworkApplicationProtocol": str(a.one("network.protocol")).upper()   # "all uppercase" (ASIM)
                if a.one("network.protocol") else None}
    if kind == "authentication":
        return {**_asim_logon(a, table, action), "DvcId": _device_id(a), "TimeGenerated": a("@timestamp"), "EventType": "Logon",
                "EventResult": action, "EventCount": 1, "EventSchema": "Authentication"}
    if kind == "winlog":
        return _security_event(a, table)
    if kind == "script":
        data = {"ScriptBlockText": a.one("powershell.file.script_block_text"),
                "ScriptBlockId": a.one("powershell.file.script_block_id"), "Path": a.one("file.path"),
                "MessageNumber": a.one("powershell.sequence"), "MessageTotal": a.one("powershell.total")}
        return {"TimeGenerated": a("@timestamp"), "Computer": a("host.name"), "Provider": "Microsoft-Windows-PowerShell",
                "Channel": "Microsoft-Windows-PowerShell/Operational", "EventID": 4104,
                "EventData": {k: v for k, v in data.items() if v is not None}, "SystemUserId": a.account("id")}
    if kind == "dns":
        return {**common, "EventType": "Query", "DnsQuery": a.one("dns.question.name"),
                "DnsQueryTypeName": a.one("dns.question.type"), "SrcProcessName": a.executable(),
                "SrcProcessId": _text_id(a("process.pid")), "SrcProcessGuid": a("process.entity_id"),
                "SrcUsername": a.user_with_domain(),
                "SrcUserId": a.account("id"), "SrcIpAddr": a.one("source.ip"),
                "DnsResponseName": ",".join(str(v) for v in values(a.event, "dns.resolved_ip")) or None}
    return {}


def _asim_logon(a: Activity, table: facts.Table, action: str | None) -> dict:
    """A logon as the ASIM OpenSSH or Security Events parser gives it (the table's EventProduct)."""
    if table.select["EventProduct"] == ["OpenSSH"]:
        return {"EventProduct": "OpenSSH", "EventVendor": "OpenBSD", "DvcOs": "Linux", "DvcHostname": a("host.name"),
                "TargetUsername": a.one("user.name"), "SrcIpAddr": a.one("source.ip"),
                "SrcPortNumber": _number(a.one("source.port")), "LogonProtocol": "ssh", "TargetAppName": "sshd",
                "EventSubType": "Remote", "TargetUsernameType": "Simple"}
    name, domain = a.one("user.name"), a.one("user.domain")
    return {"EventProduct": "Security Events", "EventVendor": "Microsoft",
            "DvcHostname": a.one("winlog.computer_name") or a("host.name"),
            "EventOriginalType": "4625" if action == "Failure" else "4624", "EventSubType": a.logon_type_name(),
            "TargetUsername": f"{domain}\\{name}" if name is not None and domain not in (None, "", "-") else name,
            "TargetUserId": a.one("user.id"), "SrcIpAddr": a.one("source.ip"),
            "SrcPortNumber": _number(a.one("source.port")),
            "LogonProtocol": a.one("winlog.event_data.AuthenticationPackageName")}


def _security_event(a: Activity, table: facts.Table) -> dict | None:
    """A Security channel record as SecurityEvent holds it (None: another channel's, or no event ID)."""
    rec = winlog.record(a)
    if rec is None or rec.channel != winlog.security().channel:
        return None
    columns = {}
    for name, value in rec.data.items():
        kind = table.type_of(name)
        if kind is not None and name not in _SECURITY_EVENT_OWN:
            columns[name] = _number(value) if kind in ("int", "long") else value
    return {**columns, "TimeGenerated": a("@timestamp"), "Computer": rec.computer, "EventID": int(rec.code),
            "Channel": rec.channel, "EventSourceName": rec.provider, "EventData": winlog.event_data_xml(rec.data),
            "Type": "SecurityEvent"}


#: SecurityEvent columns that are the record's own, never an EventData field's
_SECURITY_EVENT_OWN = ("TimeGenerated", "Computer", "EventID", "Channel", "EventSourceName", "EventData", "Type")


def _text_id(value: Any) -> str | None:
    return None if value is None else str(value)


def render_asim(event: Mapping[str, Any]) -> dict | None:
    return _render("asim", event)


#: how each platform's records are written; a table one platform borrows from another
#: (facts.Table.recorded_as) holds the records of the platform declaring it
_FIELDS = {"defender": _defender_fields, "asim": _asim_fields}


def _guid_text(a: Activity, table: facts.Table, fields: dict) -> dict:
    """A process GUID as the table's parser writes it: Sysmon for Windows writes `{GUID}`, a `braced`
    column keeps that (facts.Table.guids), a `bare` one holds the GUID alone (as ECS entity_id does)."""
    if a.os != "windows":
        return fields
    braced = {c: f"{{{fields[c]}}}" for c, form in table.guids.items()
              if form == "braced" and fields.get(c) not in (None, "")}
    return {**fields, **braced} if braced else fields


def _render(platform: str, event: Mapping[str, Any]) -> dict | None:
    a = Activity(event)
    for table in facts.platform(platform).tables.values():
        recorded, action = a.recorded_by(table)
        if recorded:
            fields = _FIELDS[table.recorded_as](a, table, action)
            if fields is not None:
                fields = _guid_text(a, table, fields)
                return _kusto(table, fields)
    return None

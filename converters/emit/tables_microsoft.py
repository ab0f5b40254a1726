"""The Defender XDR and Sentinel ASIM targets' data models: one per Sigma logsource category.

Field names on the right are columns of the platform facts tables
(converters/data/platforms/defender-xdr.json, sentinel-asim.json); a test holds
every name here to them. Keys are the Sigma taxonomy names ruleport's rules
use and the ECS names it keeps where Sigma has none.
"""

from __future__ import annotations

from dataclasses import replace
from functools import partial

from converters.emit.equivalents import (
    Directory,
    From,
    Implied,
    KeyPath,
    LogonType,
    Prefix,
    Refuse,
    Same,
    Suffix,
    Uppercase,
    Values,
    basename_of,
    logon_event_data,
)
from converters.emit.tables import Composite, EndpointModel
from converters.emit.tables_winlog import GROUP_FIELDS, CodeOf, EventCode, EventDataEquivalents, EventDataXml, security_scope
from converters.notes import any_, eq, exists
from converters.platforms import winlog

def _tables(name: str, products=(None, "windows", "linux", "macos")) -> dict:
    return {p: (name,) for p in products}


_INBOUND = any_(eq("network.direction", ["ingress", "inbound"], case_insensitive=True),
                eq("event.action", ["connection_accepted", "ipv4_connection_accept_event",
                                    "ipv6_connection_accept_event"]))


#: a DNS lookup's application protocol is DNS
_DNS_PROTOCOL = {"network.protocol": Implied(("dns",), "the table holds DNS lookups")}

_INBOUND_WHY = "for a connection the host accepted, the platform's remote side is the ECS source"


def _inbound(field: str) -> dict:
    return _INBOUND


def _signed(field: str) -> dict:
    # the status is what Defender verified; ECS `trusted` is Defend's verdict: they can disagree
    return exists(field)


#: the host's identity on each platform, for join keys (EndpointModel.identities): Defender's
#: DeviceId ("unique identifier for the machine in the service") and ASIM's DvcId ("the unique ID
#: of the device"), as Microsoft's schema references describe them
_DEVICE_ID = {"host.id": "DeviceId"}
_DVC_ID = {"host.id": "DvcId"}
#: a process on Defender XDR, which has no process GUID: the device, PID and creation time together
#: (the platform's composite identities, converters/data/platforms/defender-xdr.json "identities"):
#: on DeviceProcessEvents the created process and its parent (the initiating process), on the other
#: tables the acting (initiating) process and its parent
_D_PROCESS_IDS = {**_DEVICE_ID, "ProcessGuid": Composite("process"),
                  "process.parent.entity_id": Composite("initiating_process")}
_D_ACTING_IDS = {**_DEVICE_ID, "process.entity_id": Composite("initiating_process"),
                 "process.parent.entity_id": Composite("initiating_process_parent")}


# --- Defender XDR -------------------------------------------------------------

_D_ACTING = {
    "Image": "InitiatingProcessFolderPath",
    "User": "InitiatingProcessAccountName",
    "CommandLine": "InitiatingProcessCommandLine",
}
_D_ACTING_NAMES = {"Image": "InitiatingProcessFileName"}
_D_ACTING_EQUIV = {
    "process.pid": Same("InitiatingProcessId"),
    "process.command_line": Same("InitiatingProcessCommandLine"),
    "process.executable.caseless": Same("InitiatingProcessFolderPath"),
    "process.name.caseless": Same("InitiatingProcessFileName"),
    "user.id": Same("InitiatingProcessAccountSid"),
    "user.domain": Same("InitiatingProcessAccountDomain"),
    "process.pe.original_file_name": Same("InitiatingProcessVersionInfoOriginalFileName"),
    "process.hash.sha256": Same("InitiatingProcessSHA256"),
}
_D_ACTING_ARGV = {"process.args": "InitiatingProcessCommandLine"}
_D_ACTING_ARGC = {"process.args_count": "InitiatingProcessCommandLine"}

DEFENDER_PROCESS = EndpointModel(
    identities=_D_PROCESS_IDS, target="kusto-defender", title="Defender XDR DeviceProcessEvents", platform="defender",
    tables=_tables("DeviceProcessEvents"), category="process_creation",
    fields={
        "Image": "FolderPath", "CommandLine": "ProcessCommandLine", "ParentImage": "InitiatingProcessFolderPath",
        "ParentCommandLine": "InitiatingProcessCommandLine", "OriginalFileName": "ProcessVersionInfoOriginalFileName",
        "User": "AccountName", "Company": "ProcessVersionInfoCompanyName", "Product": "ProcessVersionInfoProductName",
        "Description": "ProcessVersionInfoFileDescription", "IntegrityLevel": "ProcessIntegrityLevel",
        "ProcessId": "ProcessId", "ParentProcessId": "InitiatingProcessId", "user.id": "AccountSid",
        "user.domain": "AccountDomain", "md5": "MD5", "sha1": "SHA1", "sha256": "SHA256",
    },
    names={"Image": "FileName", "ParentImage": "InitiatingProcessFileName"},
    argv={"process.args": "CommandLine", "process.parent.args": "ParentCommandLine"},
    argc={"process.args_count": "CommandLine", "process.parent.args_count": "ParentCommandLine"},
    equivalents={
        "process.user.id": Same("AccountSid"),
        "process.name.caseless": Same("FileName"),
        "process.parent.name.caseless": Same("InitiatingProcessFileName"),
        "process.executable.caseless": Same("FolderPath"),
        "process.command_line.caseless": Same("ProcessCommandLine"),
        "process.parent.code_signature.trusted": Values(
            "InitiatingProcessSignatureStatus", {"true": "Valid"}, _signed,
            "Defender's signature status of the parent (Valid) stands for Defend's trusted verdict"),
    },
)

DEFENDER_FILE = EndpointModel(
    identities=_D_ACTING_IDS, target="kusto-defender", title="Defender XDR DeviceFileEvents", platform="defender",
    tables=_tables("DeviceFileEvents"), category="file_event",
    fields={"TargetFilename": "FolderPath", **_D_ACTING},
    names={"TargetFilename": "FileName", **_D_ACTING_NAMES},
    argv=_D_ACTING_ARGV, argc=_D_ACTING_ARGC,
    equivalents={
        **_D_ACTING_EQUIV,
        "file.extension": Suffix("FileName", ".", ("file.path", "file.name")),
        "file.Ext.original.extension": Suffix("PreviousFileName", ".", ("file.Ext.original.path",
                                                                        "file.Ext.original.name")),
        "file.Ext.original.name": Same("PreviousFileName", basename_of("file.Ext.original.path"),
                                       "the name Defender keeps is the last component of the previous path"),
        "file.Ext.original.path": Same("PreviousFolderPath"),
        "file.name": Same("FileName", basename_of("file.path"), "the name is the last component of the path"),
        "file.size": Same("FileSize"),
        "file.hash.sha256": Same("SHA256"),
        "file.hash.sha1": Same("SHA1"),
        "file.hash.md5": Same("MD5"),
    },
)

DEFENDER_REGISTRY = EndpointModel(
    identities=_D_ACTING_IDS, target="kusto-defender", title="Defender XDR DeviceRegistryEvents", platform="defender",
    tables=_tables("DeviceRegistryEvents", (None, "windows")), category="registry_event",
    fields={"TargetObject": "RegistryPath", "Details": "RegistryValueData", **_D_ACTING},
    names=_D_ACTING_NAMES, argv=_D_ACTING_ARGV, argc=_D_ACTING_ARGC,
    equivalents={**_D_ACTING_EQUIV, "registry.value": Same("RegistryValueName"),
                 "registry.data.strings": Same("RegistryValueData"), "registry.key": KeyPath("RegistryKey")},
    registry_paths=("RegistryPath",),
)

DEFENDER_NETWORK = EndpointModel(
    identities=_D_ACTING_IDS, target="kusto-defender", title="Defender XDR DeviceNetworkEvents", platform="defender",
    tables=_tables("DeviceNetworkEvents"), category="network_connection",
    fields={"Protocol": "Protocol", **_D_ACTING}, names=_D_ACTING_NAMES, argv=_D_ACTING_ARGV, argc=_D_ACTING_ARGC,
    equivalents={**_D_ACTING_EQUIV,
                 "DestinationIp": Same("RemoteIP", _inbound, _INBOUND_WHY),
                 "DestinationPort": Same("RemotePort", _inbound, _INBOUND_WHY),
                 "DestinationHostname": Same("RemoteUrl", _inbound, _INBOUND_WHY),
                 "SourceIp": Same("LocalIP", _inbound, _INBOUND_WHY),
                 "SourcePort": Same("LocalPort", _inbound, _INBOUND_WHY),
                 "destination.address": From("RemoteIP", "destination.ip", _inbound, _INBOUND_WHY)},
    avoids=("dns.question.name",),
)

DEFENDER_DNS = EndpointModel(
    identities=_D_ACTING_IDS, target="kusto-defender", title="Defender XDR DeviceEvents (DnsQueryResponse)", platform="defender",
    tables=_tables("DeviceEvents/DnsQueryResponse", (None, "windows")), category="network_connection",
    fields={"QueryName": "DnsQueryString", "dns.question.name": "DnsQueryString", **_D_ACTING},
    names=_D_ACTING_NAMES, argv=_D_ACTING_ARGV, argc=_D_ACTING_ARGC,
    equivalents={**_D_ACTING_EQUIV, **_DNS_PROTOCOL}, selects=("dns.question.name",),
)
DEFENDER_DNS_QUERY = EndpointModel(**{**DEFENDER_DNS.__dict__, "category": "dns_query", "selects": ()})

DEFENDER_LIBRARY = EndpointModel(
    identities=_D_ACTING_IDS, target="kusto-defender", title="Defender XDR DeviceImageLoadEvents", platform="defender",
    tables=_tables("DeviceImageLoadEvents", (None, "windows")), category="image_load",
    fields={"ImageLoaded": "FolderPath", **_D_ACTING},
    names={"ImageLoaded": "FileName", **_D_ACTING_NAMES}, argv=_D_ACTING_ARGV, argc=_D_ACTING_ARGC,
    equivalents={**_D_ACTING_EQUIV, "dll.hash.sha256": Same("SHA256"), "dll.hash.sha1": Same("SHA1"),
                 "dll.name": Same("FileName", basename_of("dll.path"), "the name is the last component of the path")},
)

DEFENDER_DRIVER = EndpointModel(
    identities=_D_ACTING_IDS, target="kusto-defender", title="Defender XDR DeviceEvents (DriverLoad)", platform="defender",
    tables=_tables("DeviceEvents/DriverLoad", (None, "windows")), category="driver_load",
    fields={"ImageLoaded": "FolderPath"}, names={"ImageLoaded": "FileName"},
    equivalents={"dll.hash.sha256": Same("SHA256"), "file.hash.sha256": Same("SHA256"),
                 "dll.path": Same("FolderPath"), "file.path": Same("FolderPath"),
                 "process.pid": Same("InitiatingProcessId")},
)

# Windows logons (4624/4625), for rules with no Sigma category asking for ECS event.category authentication
_D_LOGON_COLUMNS = {"user.name": "AccountName", "user.id": "AccountSid", "user.domain": "AccountDomain",
                    "source.ip": "RemoteIP", "source.port": "RemotePort"}
DEFENDER_LOGON = EndpointModel(
    identities=_DEVICE_ID, target="kusto-defender", title="Defender XDR DeviceLogonEvents", platform="defender",
    tables={"windows": ("DeviceLogonEvents",)}, category=None, fields=dict(_D_LOGON_COLUMNS),
    equivalents={**logon_event_data(_D_LOGON_COLUMNS), "winlog.logon.type": LogonType("LogonType"),
                 "winlog.computer_name": From("DeviceName", ("winlog.computer_name", "host.name")),
                 "winlog.event_data.Status": Refuse("DeviceLogonEvents has FailureReason, a text, not the NTSTATUS "
                                                    "code"),
                 "winlog.event_data.SubStatus": Refuse("DeviceLogonEvents has FailureReason, a text, not the NTSTATUS "
                                                       "code")},
    selects_category=("authentication",),
)

DEFENDER_LACKS = {"winlog/windows": "Defender XDR's advanced hunting holds no Windows event log records: its tables "
                                    "(DeviceEvents, DeviceLogonEvents, ...) keep the activities Defender observes under "
                                    "its own ActionType names, not the event log's event IDs (event.code) and EventData "
                                    "(winlog.event_data.*)",
                  "authentication/linux": "Microsoft documents DeviceLogonEvents' logon types as Windows' own "
                                          "(Interactive, RemoteInteractive, Network, Batch, Service) and no record "
                                          "of Linux (sshd) logons in it"}

DEFENDER_MODELS = (DEFENDER_LOGON, DEFENDER_PROCESS, DEFENDER_FILE, DEFENDER_REGISTRY, DEFENDER_NETWORK, DEFENDER_DNS,
                   DEFENDER_DNS_QUERY, DEFENDER_LIBRARY, DEFENDER_DRIVER)


# --- Sentinel ASIM --------------------------------------------------------------

_A_ACTING = {"Image": "ActingProcessName", "User": "ActorUsername", "CommandLine": "ActingProcessCommandLine"}
_A_ACTING_EQUIV = {
    "process.pid": Same("ActingProcessId"),
    "process.command_line": Same("ActingProcessCommandLine"),
    "process.executable.caseless": Same("ActingProcessName"),
    "user.id": Same("ActorUserId"),
    "user.domain": Prefix("ActorUsername"),
}
_A_ACTING_ARGV = {"process.args": "ActingProcessCommandLine"}
_A_ACTING_ARGC = {"process.args_count": "ActingProcessCommandLine"}

ASIM_PROCESS = EndpointModel(
    identities={**_DVC_ID, "ProcessGuid": "TargetProcessGuid", "process.parent.entity_id": "ActingProcessGuid"}, target="kusto-sentinel", title="Sentinel ASIM imProcessCreate", platform="asim",
    tables=_tables("imProcessCreate"), category="process_creation",
    fields={
        "Image": "TargetProcessName", "CommandLine": "TargetProcessCommandLine", "ParentImage": "ActingProcessName",
        "ParentCommandLine": "ActingProcessCommandLine", "OriginalFileName": "TargetProcessFileOriginalName",
        "User": "TargetUsername", "CurrentDirectory": "TargetProcessCurrentDirectory",
        "Company": "TargetProcessFileCompany", "Product": "TargetProcessFileProduct",
        "Description": "TargetProcessFileDescription", "IntegrityLevel": "TargetProcessIntegrityLevel",
        "ProcessId": "TargetProcessId", "ParentProcessId": "ActingProcessId", "user.id": "TargetUserId",
        "md5": "TargetProcessMD5", "sha1": "TargetProcessSHA1", "sha256": "TargetProcessSHA256",
    },
    argv={"process.args": "CommandLine", "process.parent.args": "ParentCommandLine"},
    argc={"process.args_count": "CommandLine", "process.parent.args_count": "ParentCommandLine"},
    equivalents={
        "process.user.id": Same("TargetUserId"),
        "user.domain": Prefix("TargetUsername"),
        "process.executable.caseless": Same("TargetProcessName"),
        "process.command_line.caseless": Same("TargetProcessCommandLine"),
        "process.name.caseless": Suffix("TargetProcessName", None, ("process.executable",)),
        "process.parent.name.caseless": Suffix("ActingProcessName", None, ("process.parent.executable",)),
    },
    domain_user=True, os_field="DvcOs",
)

ASIM_FILE = EndpointModel(
    identities={**_DVC_ID, "process.entity_id": "ActingProcessGuid"}, target="kusto-sentinel", title="Sentinel ASIM imFileEvent", platform="asim",
    tables=_tables("imFileEvent"), category="file_event",
    fields={"TargetFilename": "TargetFilePath", **_A_ACTING},
    names={"TargetFilename": "TargetFileName"}, argv=_A_ACTING_ARGV, argc=_A_ACTING_ARGC,
    equivalents={
        **_A_ACTING_EQUIV,
        "file.extension": Same("TargetFileExtension"),
        "file.Ext.original.extension": Same("SrcFileExtension"),
        "file.Ext.original.name": Same("SrcFileName", basename_of("file.Ext.original.path"),
                                       "the name ASIM keeps is the last component of the source path"),
        "file.Ext.original.path": Same("SrcFilePath"),
        "file.name": Same("TargetFileName", basename_of("file.path"), "the name is the last component of the path"),
        "file.size": Same("TargetFileSize"),
        "file.hash.sha256": Same("TargetFileSHA256"),
        "file.hash.md5": Same("TargetFileMD5"),
        "process.parent.entity_id": Refuse("the File Event schema's acting process fields name no parent"),
    },
    domain_user=True, os_field="DvcOs",
)

ASIM_REGISTRY = EndpointModel(
    identities={**_DVC_ID, "process.entity_id": "ActingProcessGuid"}, target="kusto-sentinel", title="Sentinel ASIM imRegistry", platform="asim",
    tables=_tables("imRegistry", (None, "windows")), category="registry_event",
    fields={"TargetObject": "RegistryPath", "Details": "RegistryValueData", **_A_ACTING},
    argv=_A_ACTING_ARGV, argc=_A_ACTING_ARGC,
    equivalents={**_A_ACTING_EQUIV, "registry.value": Same("RegistryValue"),
                 "registry.data.strings": Same("RegistryValueData"), "registry.key": KeyPath("RegistryKey")},
    domain_user=True, os_field="DvcOs", registry_paths=("RegistryPath",),
)

#: the process of an endpoint's session (sentinel-asim.json imNetworkSession: SrcProcessGuid for a session
#: it initiated, DstProcessGuid for one it accepted, whichever side the record fills); the Network Session
#: schema has no column for the process's parent
_A_SESSION_PROCESS = {"process.entity_id": "LocalProcessGuid"}

ASIM_NETWORK = EndpointModel(
    identities={**_DVC_ID, **_A_SESSION_PROCESS}, target="kusto-sentinel", title="Sentinel ASIM imNetworkSession", platform="asim",
    tables=_tables("imNetworkSession"), category="network_connection",
    fields={"DestinationIp": "DstIpAddr", "DestinationPort": "DstPortNumber", "DestinationHostname": "DstHostname",
            "SourceIp": "SrcIpAddr", "SourcePort": "SrcPortNumber", "Protocol": "NetworkProtocol",
            "User": "SrcUsername"},
    equivalents={
        "Image": Same("SrcProcessName", _inbound, "the process of a session the host accepted is DstProcessName"),
        "process.executable.caseless": Same("SrcProcessName", _inbound, "the process of a session the host "
                                            "accepted is DstProcessName"),
        "user.id": Same("SrcUserId"), "process.pid": Same("SrcProcessId"),
        "process.parent.entity_id": Refuse("the Network Session schema has no column for the parent of the "
                                           "session's process"),
        "destination.address": From("DstIpAddr", "destination.ip"),
        "network.protocol": Uppercase("NetworkApplicationProtocol")},
    domain_user=True, os_field="DvcOs", avoids=("dns.question.name",),
)

ASIM_DNS = EndpointModel(
    identities={**_DVC_ID, "process.entity_id": "SrcProcessGuid"}, target="kusto-sentinel", title="Sentinel ASIM imDns", platform="asim",
    tables=_tables("imDns"), category="network_connection",
    fields={"QueryName": "DnsQuery", "dns.question.name": "DnsQuery", "Image": "SrcProcessName",
            "User": "SrcUsername"},
    equivalents={"process.executable.caseless": Same("SrcProcessName"), "user.id": Same("SrcUserId"),
                 "process.pid": Same("SrcProcessId"), **_DNS_PROTOCOL,
                 "process.parent.entity_id": Refuse("the DNS schema has no column for the parent of the "
                                                    "requesting process")},
    domain_user=True, os_field="DvcOs", selects=("dns.question.name",),
)
ASIM_DNS_QUERY = EndpointModel(**{**ASIM_DNS.__dict__, "category": "dns_query", "selects": ()})

# PowerShell script blocks (event 4104): no ASIM schema; the WindowsEvent table holds them
ASIM_POWERSHELL = EndpointModel(
    target="kusto-sentinel", title="Sentinel WindowsEvent (PowerShell 4104)", platform="asim",
    tables={"windows": ("WindowsEvent/PowerShell-4104",), None: ("WindowsEvent/PowerShell-4104",)},
    category="process_creation",
    fields={"powershell.file.script_block_text": "ScriptBlockText", "powershell.file.script_block_id": "ScriptBlockId"},
    equivalents={"file.path": Same("Path"), "file.name": Suffix("Path", "\\", ("file.path",)),
                 "file.directory": Directory("Path"), "user.id": Same("SystemUserId")},
    selects=("powershell.file.script_block_text",),
)


def _streamed(model: EndpointModel, table: str) -> EndpointModel:
    """A Defender XDR model read on Sentinel: the Defender XDR connector streams the table into
    the workspace with advanced hunting's columns (sentinel-asim.json borrows its facts), so the
    rule reads it exactly as kusto-defender does."""
    return replace(model, target="kusto-sentinel", platform="asim",
                   title=f"Sentinel {table} (Defender XDR connector)")


# library and driver loads: no ASIM schema; Defender XDR's tables hold them
ASIM_LIBRARY = _streamed(DEFENDER_LIBRARY, "DeviceImageLoadEvents")
ASIM_DRIVER = _streamed(DEFENDER_DRIVER, "DeviceEvents (DriverLoad)")

# imAuthentication: sshd logins (the OpenSSH parser) and Windows logons (the Security Events parser)
ASIM_SSHD = EndpointModel(
    identities=_DVC_ID, target="kusto-sentinel", title="Sentinel ASIM imAuthentication (OpenSSH)", platform="asim",
    tables={"linux": ("imAuthentication/OpenSSH",)}, category=None,
    fields={"source.ip": "SrcIpAddr", "source.port": "SrcPortNumber", "user.name": "TargetUsername"},
    selects_category=("authentication",),
)

_A_LOGON_COLUMNS = {"user.name": "TargetUsername", "user.id": "TargetUserId", "source.ip": "SrcIpAddr",
                    "source.port": "SrcPortNumber"}
ASIM_WINDOWS_LOGON = EndpointModel(
    identities=_DVC_ID, target="kusto-sentinel", title="Sentinel ASIM imAuthentication (Security Events)", platform="asim",
    tables={"windows": ("imAuthentication/SecurityEvents",)}, category=None, fields=dict(_A_LOGON_COLUMNS),
    equivalents={**logon_event_data(_A_LOGON_COLUMNS), "winlog.logon.type": LogonType("EventSubType"),
                 "user.domain": Prefix("TargetUsername"),
                 "winlog.event_data.TargetDomainName": Prefix("TargetUsername"),
                 "winlog.computer_name": From("DvcHostname", ("winlog.computer_name", "host.name")),
                 "winlog.event_data.AuthenticationPackageName": Same("LogonProtocol"),
                 "winlog.event_data.Status": Refuse("the parser keeps a normalized reason (EventResultDetails), "
                                                    "not the NTSTATUS code"),
                 "winlog.event_data.SubStatus": Refuse("the parser keeps a normalized reason (EventResultDetails), "
                                                       "not the NTSTATUS code")},
    domain_user=True, user_fields=("user.name", "winlog.event_data.TargetUserName"),
    selects_category=("authentication",),
)


def _security_actions() -> tuple[str, ...]:
    return winlog.security().actions()


def _security_event_model() -> EndpointModel:
    """The Windows Security channel's records (category-less rules naming event.code or winlog.*):
    the SecurityEvent table, its columns named as the EventData fields, the others read in its
    EventData XML (converters.emit.tables_winlog)."""
    title = "Sentinel SecurityEvent (Windows Security Events via AMA)"
    return EndpointModel(
        target="kusto-sentinel", title=title, platform="asim",
        tables={"windows": ("SecurityEvent",)}, category=None,
        fields={"event.provider": "EventSourceName"},
        equivalents=EventDataEquivalents({
            "winlog.channel": Implied(("Security",), "SecurityEvent holds the Security channel's records"),
            "event.code": EventCode("EventID", numeric=True),
            "event.action": CodeOf("EventID", numeric=True), "event.category": CodeOf("EventID", numeric=True),
            "event.type": CodeOf("EventID", numeric=True),
            **GROUP_FIELDS, "winlog.computer_name": From("Computer", ("winlog.computer_name", "host.name")),
        }, "asim", "SecurityEvent", fallback=EventDataXml),
        selects=("event.code", "winlog.*"), selects_values=(("event.action", _security_actions),), scope=(partial(security_scope, title),),
    )


ASIM_SECURITY_EVENT = _security_event_model()

# a category-less rule reading the script block text (Elastic's 4104 events, whatever they name)
ASIM_POWERSHELL_ANY = replace(ASIM_POWERSHELL, category=None, equivalents={
    **ASIM_POWERSHELL.equivalents, "event.code": Implied(("4104",), "WindowsEvent's script blocks are event 4104")})

ASIM_MODELS = (ASIM_SSHD, ASIM_WINDOWS_LOGON, ASIM_POWERSHELL_ANY, ASIM_SECURITY_EVENT, ASIM_POWERSHELL, ASIM_PROCESS, ASIM_FILE, ASIM_REGISTRY, ASIM_NETWORK,
               ASIM_DNS, ASIM_DNS_QUERY, ASIM_LIBRARY, ASIM_DRIVER)

__all__ = ["DEFENDER_MODELS", "DEFENDER_LACKS", "ASIM_MODELS", "ASIM_SECURITY_EVENT"]

"""The splunk (Sysmon) and splunk-cim targets' data models: one per Sigma logsource category.

Field names on the right are fields of the platform facts tables
(converters/data/platforms/sysmon.json, splunk-cim.json); a test holds every
name here to them. Sysmon's field names are Sigma's taxonomy, so the Sysmon
models map Sigma names to themselves; the products a Sysmon model accepts
are the Sysmon flavours that record its events (Sysmon for Linux records
process, file and network events; nothing records macOS).
"""

from __future__ import annotations

from dataclasses import replace
from functools import partial

from converters.emit.equivalents import (
    Directory,
    From,
    Implied,
    LogonType,
    Prefix,
    Refuse,
    Same,
    Suffix,
    Template,
    Values,
    WellKnownUser,
    basename_of,
    logon_event_data,
)
from converters.emit.tables import EndpointModel, NamedBy
from converters.emit.tables_winlog import GROUP_FIELDS, CodeOf, EventCode, EventDataEquivalents, security_scope
from converters.notes import LESS, MORE, Affects, any_, exists, group_differs, not_
from converters.platforms import winlog

_WIN = "XmlWinEventLog:Microsoft-Windows-Sysmon/Operational"


def _sysmon_tables(kind: str, linux: bool) -> dict:
    tables = {"windows": (f"windows-{kind}",)}
    if linux:
        tables["linux"] = (f"linux-{kind}",)
    tables[None] = tuple(t for ts in tables.values() for t in ts)
    return tables


def _same(*names: str) -> dict:
    return {n: n for n in names}


#: a DNS lookup's application protocol is DNS
_DNS_PROTOCOL = {"network.protocol": Implied(("dns",), "the table holds DNS lookups")}

_S_OS = {"windows": ("source", "XmlWinEventLog:Microsoft-Windows-Sysmon/Operational"),
         "linux": ("source", "Syslog:Linux-Sysmon/Operational")}
_S_ACTING = _same("Image", "User", "ProcessId", "ProcessGuid")
_S_ACTING_EQUIV = {
    "user.id": WellKnownUser("User"),
    "process.user.id": WellKnownUser("User"),
    "process.pid": Same("ProcessId"),
    "process.executable.caseless": Same("Image"),
    "process.entity_id": Refuse("Sysmon's ProcessGuid is not the ECS entity id"),
    "process.parent.entity_id": Refuse("the event names the acting process (ProcessGuid), not its parent: only "
                                       "process creation (EventCode 1) has ParentProcessGuid"),
}
_SIGNED = {"true": "true", "false": "false"}

#: the process's own id on Sysmon (ProcessGuid, ParentProcessGuid) and CIM (process_guid), for join
#: keys (EndpointModel.identities): one per process, the platform's value, not ECS's entity_id
_S_GUID = {"process.entity_id": "ProcessGuid"}


def _host_named_by(column: str, what: str, unnamed_dropped: bool) -> dict:
    """host.id as a join key, read as the host's name (EndpointModel.approximate_identities): Sysmon's
    events and CIM's Endpoint datasets carry the host's name (`column`) and no host id. Grouping by
    the name merges hosts that share it and splits a host whose name changes; an event without a name
    is left out of every group (`unnamed_dropped`: Splunk's by-clause skips a missing field) or grouped
    with the other unnamed ones (CIM fills a missing dest with "unknown")."""
    merged = ("emit/join-key-approximate",
              f"host.id is grouped by the host name ({column}), as {what} records no host id: events of different "
              f"hosts with the same name are grouped together", "host.id",
              Affects.of(MORE, any_(group_differs("host.id"), not_(exists("host.id")))))
    split_where = any_(group_differs("host.name"), not_(exists("host.name"))) if unnamed_dropped \
        else group_differs("host.name")
    split = ("emit/join-key-approximate",
             f"host.id is grouped by the host name ({column}), as {what} records no host id: the events of a host "
             f"whose name changes within the timespan are not grouped together"
             + (", nor are those without a name" if unnamed_dropped else ""), "host.id", Affects.of(LESS, split_where))
    return {"host.id": NamedBy(column, (merged, split))}


_S_HOST = _host_named_by("Computer", "Sysmon", unnamed_dropped=True)

SYSMON_PROCESS = EndpointModel(
    identities={"process.parent.entity_id": "ParentProcessGuid"}, approximate_identities=_S_HOST,
    target="splunk", title="Sysmon process creation (EventCode 1) in Splunk", platform="sysmon",
    tables=_sysmon_tables("process", True), category="process_creation",
    fields=_same("Image", "CommandLine", "ParentImage", "ParentCommandLine", "OriginalFileName", "User",
                 "CurrentDirectory", "IntegrityLevel", "Hashes", "Company", "Product", "Description", "FileVersion",
                 "ProcessId", "ParentProcessId", "LogonId", "ProcessGuid", "ParentProcessGuid", "Computer"),
    argv={"process.args": "CommandLine", "process.parent.args": "ParentCommandLine"},
    argc={"process.args_count": "CommandLine", "process.parent.args_count": "ParentCommandLine"},
    equivalents={
        "user.id": WellKnownUser("User"), "process.user.id": WellKnownUser("User"),
        "md5": Template("Hashes", "MD5={}"), "sha1": Template("Hashes", "SHA1={}"),
        "sha256": Template("Hashes", "SHA256={}"),
        "process.hash.sha256": Template("Hashes", "SHA256={}"),
        "process.executable.caseless": Same("Image"),
        "process.command_line.caseless": Same("CommandLine"),
        "process.name.caseless": Suffix("Image", None, ("process.executable",)),
        "process.parent.name.caseless": Suffix("ParentImage", None, ("process.parent.executable",)),
        "user.domain": Prefix("User"),
        "process.pid": Same("ProcessId"),
        "process.parent.pid": Same("ParentProcessId"),
    },
    domain_user=True, os_values=_S_OS,
    # Sysmon writes "-" where it has no version information, and for the parent of a process without one
    missing_as={f: "-" for f in ("OriginalFileName", "FileVersion", "Description", "Product", "Company",
                                 "ParentImage", "ParentCommandLine")},
)

SYSMON_FILE = EndpointModel(
    identities=_S_GUID, approximate_identities=_S_HOST, target="splunk", title="Sysmon file events (EventCode 11, 23, 26) in Splunk", platform="sysmon",
    tables=_sysmon_tables("file", True), category="file_event",
    fields={"TargetFilename": "TargetFilename", **_S_ACTING},
    equivalents={**_S_ACTING_EQUIV, "file.extension": Suffix("TargetFilename", ".", ("file.path",)),
                 "file.name": Suffix("TargetFilename", "\\", ("file.path",)),
                 "file.hash.sha256": Template("Hashes", "SHA256={}")},
    domain_user=True, os_values=_S_OS,
)

SYSMON_REGISTRY = EndpointModel(
    identities=_S_GUID, approximate_identities=_S_HOST, target="splunk", title="Sysmon registry events (EventCode 12, 13, 14) in Splunk", platform="sysmon",
    tables=_sysmon_tables("registry", False), category="registry_event",
    fields={"TargetObject": "TargetObject", "Details": "Details", "EventType": "EventType", **_S_ACTING},
    equivalents={**_S_ACTING_EQUIV, "registry.value": Suffix("TargetObject", "\\", ("registry.path",))},
    domain_user=True, os_values=_S_OS,
)

SYSMON_NETWORK = EndpointModel(
    identities=_S_GUID, approximate_identities=_S_HOST, target="splunk", title="Sysmon network connections (EventCode 3) in Splunk", platform="sysmon",
    tables=_sysmon_tables("network", True), category="network_connection",
    fields={**_same("DestinationIp", "DestinationPort", "DestinationHostname", "SourceIp", "SourcePort", "Protocol",
                    "Initiated", "SourceHostname"), **_S_ACTING},
    equivalents={**_S_ACTING_EQUIV, "destination.address": From("DestinationIp", "destination.ip")},
    domain_user=True, os_values=_S_OS, avoids=("dns.question.name",),
)

SYSMON_DNS = EndpointModel(
    identities=_S_GUID, approximate_identities=_S_HOST, target="splunk", title="Sysmon DNS queries (EventCode 22) in Splunk", platform="sysmon",
    tables={"windows": ("windows-dns",), None: ("windows-dns",)}, category="network_connection",
    fields={"QueryName": "QueryName", "dns.question.name": "QueryName", **_S_ACTING},
    equivalents={**_S_ACTING_EQUIV, **_DNS_PROTOCOL}, domain_user=True, os_values=_S_OS,
    selects=("dns.question.name",),
)
SYSMON_DNS_QUERY = EndpointModel(**{**SYSMON_DNS.__dict__, "category": "dns_query", "selects": ()})

_S_SIGNER = {
    "dll.code_signature.subject_name": Same("Signature"),
    "dll.code_signature.trusted": Values("SignatureStatus", {"true": "Valid"}, lambda f: exists(f),
                                         "a trusted signature is SignatureStatus Valid"),
    "dll.code_signature.exists": Values("Signed", _SIGNED, lambda f: exists(f), "Sysmon's Signed"),
    "dll.code_signature.status": Same("SignatureStatus", lambda f: exists(f),
                                      "Sysmon words the status its own way (Valid, Expired, ...)"),
    "dll.hash.sha256": Template("Hashes", "SHA256={}"),
    "dll.hash.sha1": Template("Hashes", "SHA1={}"),
    "dll.hash.md5": Template("Hashes", "MD5={}"),
}

SYSMON_LIBRARY = EndpointModel(
    identities=_S_GUID, approximate_identities=_S_HOST, target="splunk", title="Sysmon image loads (EventCode 7) in Splunk", platform="sysmon",
    tables={"windows": ("windows-library",), None: ("windows-library",)}, category="image_load",
    fields={"ImageLoaded": "ImageLoaded", **_S_ACTING},
    equivalents={**_S_ACTING_EQUIV, **_S_SIGNER,
                 "dll.name": Suffix("ImageLoaded", "\\", ("dll.path",)),
                 "dll.pe.original_file_name": Same("OriginalFileName")},
    domain_user=True, os_values=_S_OS,
)

SYSMON_DRIVER = EndpointModel(
    approximate_identities=_S_HOST, target="splunk", title="Sysmon driver loads (EventCode 6) in Splunk", platform="sysmon",
    tables={"windows": ("windows-driver",), None: ("windows-driver",)}, category="driver_load",
    fields={"ImageLoaded": "ImageLoaded"},
    equivalents={**_S_SIGNER, "dll.path": Same("ImageLoaded"), "file.path": Same("ImageLoaded"),
                 # EventCode 6 names no process: Windows loads drivers in the System process (pid 4)
                 "process.pid": Implied(("4",), "drivers are loaded in the System process, pid 4")},
    os_values=_S_OS,
)

# PowerShell script block logging (event 4104), which Elastic files under event.category process:
# a rule reading the script block text is this model's, whatever its category says
SPLUNK_POWERSHELL = EndpointModel(
    target="splunk", title="PowerShell script blocks (EventCode 4104) in Splunk", platform="sysmon",
    tables={"windows": ("windows-powershell-4104",), None: ("windows-powershell-4104",)},
    category="process_creation",
    fields={"powershell.file.script_block_text": "ScriptBlockText", "powershell.file.script_block_id": "ScriptBlockId"},
    equivalents={"file.path": Same("Path"), "file.name": Suffix("Path", "\\", ("file.path",)),
                 "file.directory": Directory("Path"), "user.id": Same("UserID")},
    selects=("powershell.file.script_block_text",),
)

# Logons, which no Sysmon event records: rules with no Sigma category that ask for ECS
# event.category authentication (the translator keeps the ECS names), one model per product.
SPLUNK_SSHD = EndpointModel(
    target="splunk", title="sshd logins (linux_secure) in Splunk", platform="sysmon",
    tables={"linux": ("linux-secure-sshd",)}, category=None,
    fields={"source.ip": "src", "source.port": "src_port", "user.name": "user"},
    selects_category=("authentication",),
)

SPLUNK_WINDOWS_LOGON = EndpointModel(
    target="splunk", title="Windows logons (Security 4624/4625) in Splunk", platform="sysmon",
    tables={"windows": ("windows-security-logon",)}, category=None,
    fields={"source.ip": "IpAddress", "source.port": "IpPort", "user.name": "TargetUserName",
            "user.id": "TargetUserSid", "user.domain": "TargetDomainName",
            "winlog.event_data.Status": "Status", "winlog.event_data.SubStatus": "SubStatus",
            "winlog.event_data.LogonProcessName": "LogonProcessName",
            "winlog.event_data.AuthenticationPackageName": "AuthenticationPackageName"},
    equivalents={**logon_event_data({"user.name": "TargetUserName", "user.id": "TargetUserSid",
                                      "user.domain": "TargetDomainName", "source.ip": "IpAddress"}),
                 "winlog.logon.type": LogonType("LogonType", numbers=True),
                 "winlog.computer_name": From("Computer", ("winlog.computer_name", "host.name"))},
    missing_as={"source.ip": "-"},   # Windows writes "-" where the logon came from no network address
    selects_category=("authentication",),
)


def _security_actions() -> tuple[str, ...]:
    return winlog.security().actions()


# Windows Security channel records, for category-less rules naming event.code or winlog.* (or an
# event.action Elastic's Security pipeline gives a Security event): the add-on's extraction keeps
# every EventData field under its own name
_SECURITY_TITLE = "Windows Security events (XmlWinEventLog:Security) in Splunk"
SPLUNK_SECURITY_EVENT = EndpointModel(
    target="splunk", title=_SECURITY_TITLE, platform="sysmon",
    tables={"windows": ("windows-security",)}, category=None, fields={},
    equivalents=EventDataEquivalents({
        "event.code": EventCode("EventCode"), "event.action": CodeOf("EventCode"),
        "event.category": CodeOf("EventCode"), "event.type": CodeOf("EventCode"),
        "winlog.channel": Implied(("Security",), "the source holds the Security channel's records"),
        "event.provider": Implied(winlog.SECURITY_PROVIDERS, "the Security channel's records are written by the "
                                  "auditing subsystem and the event log service"),
        **GROUP_FIELDS, "winlog.computer_name": From("Computer", ("winlog.computer_name", "host.name")),
    }, "sysmon", "windows-security"),
    selects=("event.code", "winlog.*"), selects_values=(("event.action", _security_actions),),
    scope=(partial(security_scope, _SECURITY_TITLE),),
)

# a category-less rule reading the script block text (Elastic's 4104 events, whatever they name)
SPLUNK_POWERSHELL_ANY = replace(SPLUNK_POWERSHELL, category=None, equivalents={
    **SPLUNK_POWERSHELL.equivalents, "event.code": Implied(("4104",), "the source's script blocks are event 4104")})

SYSMON_MODELS = (SPLUNK_POWERSHELL, SPLUNK_SSHD, SPLUNK_WINDOWS_LOGON, SPLUNK_POWERSHELL_ANY, SPLUNK_SECURITY_EVENT,
                 SYSMON_PROCESS, SYSMON_FILE, SYSMON_REGISTRY, SYSMON_NETWORK, SYSMON_DNS, SYSMON_DNS_QUERY,
                 SYSMON_LIBRARY, SYSMON_DRIVER)


# --- Splunk CIM ---------------------------------------------------------------------

_ALL = {p: None for p in (None, "windows", "linux", "macos")}


def _cim_tables(name: str, products=(None, "windows", "linux", "macos")) -> dict:
    return {p: (name,) for p in products}


def _acting(ds: str) -> dict:
    return {"Image": f"{ds}.process_path", "User": f"{ds}.user", "CommandLine": f"{ds}.process"}


def _acting_equiv(ds: str) -> dict:
    return {"user.id": WellKnownUser(f"{ds}.user", domain=False), "process.user.id": WellKnownUser(f"{ds}.user", domain=False),
            "process.pid": Same(f"{ds}.process_id"), "process.command_line": Same(f"{ds}.process"),
            "process.executable.caseless": Same(f"{ds}.process_path"),
            "process.name.caseless": Same(f"{ds}.process_name")}


CIM_PROCESS = EndpointModel(
    identities={"ProcessGuid": "Processes.process_guid", "process.parent.entity_id": "Processes.parent_process_guid"},
    approximate_identities=_host_named_by("Processes.dest", "the CIM Endpoint data model", unnamed_dropped=False),
    target="splunk-cim", title="Splunk CIM Endpoint.Processes", platform="cim",
    tables=_cim_tables("Endpoint.Processes"), category="process_creation",
    fields={
        "Image": "Processes.process_path", "CommandLine": "Processes.process",
        "ParentImage": "Processes.parent_process_path", "ParentCommandLine": "Processes.parent_process",
        "OriginalFileName": "Processes.original_file_name", "User": "Processes.user",
        "CurrentDirectory": "Processes.process_current_directory",
        "IntegrityLevel": "Processes.process_integrity_level", "ProcessId": "Processes.process_id",
        "ParentProcessId": "Processes.parent_process_id", "Hashes": "Processes.process_hash",
        "user.id": "Processes.user_id",
    },
    names={"Image": "Processes.process_name", "ParentImage": "Processes.parent_process_name"},
    argv={"process.args": "CommandLine", "process.parent.args": "ParentCommandLine"},
    argc={"process.args_count": "CommandLine", "process.parent.args_count": "ParentCommandLine"},
    equivalents={
        "process.user.id": Same("Processes.user_id"),
        "process.name.caseless": Same("Processes.process_name"),
        "process.parent.name.caseless": Same("Processes.parent_process_name"),
        "process.executable.caseless": Same("Processes.process_path"),
        "process.command_line.caseless": Same("Processes.process"),
        "sha256": Same("Processes.process_hash"),
        "process.hash.sha256": Same("Processes.process_hash"),
    },
)

CIM_FILE = EndpointModel(
    identities={"process.entity_id": "Filesystem.process_guid"},
    approximate_identities=_host_named_by("Filesystem.dest", "the CIM Endpoint data model", unnamed_dropped=False),
    target="splunk-cim", title="Splunk CIM Endpoint.Filesystem", platform="cim",
    tables=_cim_tables("Endpoint.Filesystem"), category="file_event",
    fields={"TargetFilename": "Filesystem.file_path", **_acting("Filesystem")},
    names={"TargetFilename": "Filesystem.file_name", "Image": "Filesystem.process_name"},
    argv={"process.args": "Filesystem.process"}, argc={"process.args_count": "Filesystem.process"},
    equivalents={**_acting_equiv("Filesystem"),
                 "file.extension": Suffix("Filesystem.file_name", ".", ("file.path", "file.name")),
                 "file.name": Same("Filesystem.file_name", basename_of("file.path"),
                                   "the name is the last component of the path"),
                 "file.size": Same("Filesystem.file_size"), "file.hash.sha256": Same("Filesystem.file_hash")},
)

CIM_REGISTRY = EndpointModel(
    identities={"process.entity_id": "Registry.process_guid"},
    approximate_identities=_host_named_by("Registry.dest", "the CIM Endpoint data model", unnamed_dropped=False),
    target="splunk-cim", title="Splunk CIM Endpoint.Registry", platform="cim",
    tables=_cim_tables("Endpoint.Registry", (None, "windows")), category="registry_event",
    fields={"TargetObject": "Registry.registry_path", "Details": "Registry.registry_value_data",
            **_acting("Registry")},
    names={"Image": "Registry.process_name"},
    argv={"process.args": "Registry.process"}, argc={"process.args_count": "Registry.process"},
    equivalents={**_acting_equiv("Registry"), "registry.value": Same("Registry.registry_value_name"),
                 "registry.data.strings": Same("Registry.registry_value_data"),
                 "registry.data.type": Same("Registry.registry_value_type")},
)

CIM_NETWORK = EndpointModel(
    target="splunk-cim", title="Splunk CIM Network_Traffic.All_Traffic", platform="cim",
    tables=_cim_tables("Network_Traffic.All_Traffic"), category="network_connection",
    fields={"DestinationIp": "All_Traffic.dest_ip", "DestinationPort": "All_Traffic.dest_port",
            "SourceIp": "All_Traffic.src_ip", "SourcePort": "All_Traffic.src_port",
            "Protocol": "All_Traffic.transport", "User": "All_Traffic.user"},
    equivalents={"Image": Refuse("the Network Traffic data model records no process"),
                 "DestinationHostname": Same("All_Traffic.dest", lambda f: exists("destination.ip"),
                                             "dest is the host name when there is one, else the address"),
                 "destination.address": From("All_Traffic.dest_ip", "destination.ip")},
    avoids=("dns.question.name",),
)

CIM_DNS = EndpointModel(
    target="splunk-cim", title="Splunk CIM Network_Resolution.DNS", platform="cim",
    tables=_cim_tables("Network_Resolution.DNS"), category="network_connection",
    fields={"QueryName": "DNS.query", "dns.question.name": "DNS.query"},
    equivalents={"Image": Refuse("the Network Resolution data model records no process"), **_DNS_PROTOCOL},
    selects=("dns.question.name",),
)
CIM_DNS_QUERY = EndpointModel(**{**CIM_DNS.__dict__, "category": "dns_query", "selects": ()})

CIM_SSHD = EndpointModel(
    target="splunk-cim", title="Splunk CIM Authentication (sshd logins)", platform="cim",
    tables={"linux": ("Authentication.Authentication/sshd",)}, category=None,
    fields={"source.ip": "Authentication.src", "user.name": "Authentication.user"},
    selects_category=("authentication",),
)

CIM_MODELS = (CIM_SSHD, CIM_PROCESS, CIM_FILE, CIM_REGISTRY, CIM_NETWORK, CIM_DNS, CIM_DNS_QUERY)

#: what no CIM data model records, by Sigma category (the refusal names it)
CIM_LACKS = {"winlog/windows": "no CIM data model holds Windows event log records: the Splunk Add-on for Microsoft "
                               "Windows maps some events to CIM data models (Authentication, Change, ...) with CIM "
                               "fields only, without the event ID (event.code) and the EventData fields "
                               "(winlog.event_data.*)",
             "image_load": "no CIM data model records library (image) loads",
             "authentication/windows": "the CIM Authentication data model records no Windows logon type "
                                       "(winlog.logon.type) and no event data of 4624/4625; ruleport maps only "
                                       "sshd logins to it",
             "driver_load": "no CIM data model records driver loads"}
SYSMON_LACKS = {"macos": "Sysmon has no macOS version: no Sysmon event records macOS activity"}

__all__ = ["SYSMON_MODELS", "CIM_MODELS", "CIM_LACKS", "SYSMON_LACKS", "_WIN", "_ALL"]

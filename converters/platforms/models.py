"""How each platform records the same activity: ECS events rendered per target.

A fixture event is one ECS document as Elastic Defend ships it (nested JSON).
Each platform below receives the same activity in its own shape. The models
are written from each platform's documentation of its own records, never by
inverting ruleport's field mapping (that would make the proof circular).

Rules shared by every model
- Paths and command lines are carried verbatim: the same process is the same
  string everywhere (Defend sometimes reports `\\Device\\HarddiskVolumeN\\...`
  where the volume has no drive letter; we do not model drive-letter
  resolution, so every platform sees that same path).
- A file name is the last component of its path (after the last `\\` on
  Windows, `/` elsewhere), which is how each platform derives it.
- Only ECS keeps argv (`process.args`) and the code signer
  (`process.code_signature.*`): every other platform has the command line
  only, and none of them records the signer in its process table.
- An activity a platform never receives renders as None (e.g. a Linux
  process on Sysmon for Windows, a process end in DeviceProcessEvents).

The models (`render(platform, event)`)
- `elastic` (lucene, eql, esql, kibana-kql): the document as Elasticsearch
  indexes it: dotted path -> list of values (arrays kept as several values,
  nulls and empty arrays absent), plus Elastic's `.caseless` multi-fields
  (the value lower-cased) on the fields listed in CASELESS_FIELDS.
  Every event is present.
- `sysmon` (splunk): Sysmon for Windows events as the Splunk Add-on for
  Sysmon extracts them from `XmlWinEventLog:Microsoft-Windows-Sysmon/Operational`
  (all values strings). Windows only (Sysmon for Linux writes to syslog under
  another sourcetype). A process start is EventCode 1 (Image = executable,
  CommandLine = command line, ParentImage/ParentCommandLine, OriginalFileName,
  User = DOMAIN\\name, CurrentDirectory with Sysmon's trailing backslash);
  a process end is EventCode 5 (Image, ProcessId, User, no command line);
  a network connection EventCode 3; a file creation EventCode 11. Version
  information Sysmon cannot read, and a parent it does not know, are `-`.
  No signer, no argv.
- `sigma` (sigma): the same Sysmon process creation (EventID 1) under Sigma's
  process_creation taxonomy names. Only Windows process starts: the Sigma
  rule's logsource (process_creation, windows) selects that log alone.
- `cim` (splunk-cim): Splunk's CIM Endpoint.Processes data model, keys
  `Processes.<field>`: process (command line), process_name (basename of
  process_path), process_path, parent_process(_name/_path), original_file_name,
  user, process_current_directory, dest. Process starts from every OS (the
  Sysmon for Windows and Linux add-ons both feed the data model). The data
  model has no operating-system field, no signer and no argv.
- `defender` (kusto-defender): Microsoft Defender for Endpoint
  DeviceProcessEvents: ActionType "ProcessCreated", FileName (basename of
  FolderPath), FolderPath (full path including the file name),
  ProcessCommandLine, ProcessVersionInfoOriginalFileName, InitiatingProcess*
  for the parent, AccountName, AccountDomain, DeviceName. Process starts on
  Windows, Linux and macOS devices (Defender runs on all three and the table
  has no OS column); process ends and other activity live in other tables.
  Kusto string columns are never null: a missing value is "".
- `asim` (kusto-sentinel): Microsoft Sentinel ASIM process events
  (imProcessCreate): EventType "ProcessCreated", TargetProcessName (full
  path), TargetProcessCommandLine, TargetProcessFileOriginalName,
  ActingProcessName (full path) and ActingProcessCommandLine for the parent,
  TargetUsername, DvcOs ("Windows", "Linux", "macOS"), DvcHostname. Process
  starts from every OS; a missing value is "". No signer, no argv.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Mapping, Sequence

from converters.engine.documents import flatten_ecs
from converters.engine.timestamps import epoch_seconds

#: Elastic Defend's `.caseless` multi-fields (lowercase normalizer), by field
CASELESS_FIELDS = (
    "process.name",
    "process.executable",
    "process.command_line",
    "process.parent.name",
    "process.parent.executable",
    "process.parent.command_line",
    "process.working_directory",
    "user.name",
)

SYSMON_SOURCE = "XmlWinEventLog:Microsoft-Windows-Sysmon/Operational"
SYSMON_SOURCETYPE = "XmlWinEventLog"
_OS_DISPLAY = {"windows": "Windows", "linux": "Linux", "macos": "macOS"}


def get(event: Mapping[str, Any], path: str) -> Any:
    """The value at a dotted ECS path of a nested event (or a flat dotted key), else None."""
    if path in event:
        return event[path]
    node: Any = event
    for part in path.split("."):
        if not isinstance(node, Mapping) or part not in node:
            return None
        node = node[part]
    return node


def _values(event: Mapping[str, Any], path: str) -> list:
    v = get(event, path)
    if v is None:
        return []
    return list(v) if isinstance(v, (list, tuple)) else [v]


def basename(path: str | None, os_type: str | None) -> str | None:
    """Last path component: after the last backslash (or slash) on Windows, slash elsewhere."""
    if path is None:
        return None
    cut = max(path.rfind("\\"), path.rfind("/")) if os_type == "windows" else path.rfind("/")
    return path[cut + 1:]


class Activity:
    """What happened in one ECS event, in platform-neutral terms."""

    def __init__(self, event: Mapping[str, Any]):
        self.event = event
        self.os = get(event, "host.os.type")
        categories = _values(event, "event.category")
        types = _values(event, "event.type")
        self.is_process = "process" in categories
        self.start = self.is_process and "start" in types
        self.end = self.is_process and "end" in types
        self.network = "network" in categories
        self.file_creation = "file" in categories and "creation" in types

    def __call__(self, path: str) -> Any:
        return get(self.event, path)

    def executable(self, prefix: str = "process") -> str | None:
        return self(f"{prefix}.executable")

    def file_name(self, prefix: str = "process") -> str | None:
        """The image's file name as a platform derives it: from the path when there is one."""
        exe = self.executable(prefix)
        return basename(exe, self.os) if exe is not None else self(f"{prefix}.name")

    def has_parent(self) -> bool:
        return isinstance(self("process.parent"), Mapping) and bool(self("process.parent"))

    def user_with_domain(self) -> str | None:
        name, domain = self("user.name"), self("user.domain")
        if name is None:
            return None
        return f"{domain}\\{name}" if domain else name


def _text(value: Any) -> str | None:
    return None if value is None else str(value)


def _drop_none(record: dict) -> dict:
    return {k: v for k, v in record.items() if v is not None}


# --- elastic --------------------------------------------------------------

def render_elastic(event: Mapping[str, Any]) -> dict[str, list]:
    doc = flatten_ecs(event)
    for name in CASELESS_FIELDS:
        values = doc.get(name)
        if values:
            doc[name + ".caseless"] = [v.lower() if isinstance(v, str) else v for v in values]
    return doc


# --- Sysmon (Splunk) and Sigma ----------------------------------------------

def _sysmon_process_create(a: Activity) -> dict:
    """Sysmon Event ID 1 fields under Sysmon's own names (= Sigma's taxonomy)."""
    cwd = a("process.working_directory")
    if cwd is not None and not cwd.endswith("\\"):
        cwd += "\\"  # Sysmon's CurrentDirectory ends with a backslash
    parent = a.has_parent()
    sha256 = a("process.hash.sha256")
    return _drop_none({
        "UtcTime": _utc(a("@timestamp")),
        "ProcessId": _text(a("process.pid")),
        "Image": a.executable(),
        "FileVersion": a("process.pe.file_version") or "-",
        "Description": a("process.pe.description") or "-",
        "Product": a("process.pe.product") or "-",
        "Company": a("process.pe.company") or "-",
        "OriginalFileName": a("process.pe.original_file_name") or "-",
        "CommandLine": a("process.command_line"),
        "CurrentDirectory": cwd,
        "User": a.user_with_domain(),
        "Hashes": f"SHA256={sha256.upper()}" if sha256 else None,
        "ParentProcessId": _text(a("process.parent.pid")) if parent else "0",
        "ParentImage": a.executable("process.parent") if parent else "-",
        "ParentCommandLine": a("process.parent.command_line") if parent else "-",
        "Computer": a("host.name"),
    })


def _utc(ts: Any) -> str | None:
    # Sysmon writes "2025-08-21 10:00:00.100"
    if not isinstance(ts, str):
        return None
    return ts.replace("T", " ").rstrip("Z")


def render_sysmon(event: Mapping[str, Any]) -> dict | None:
    a = Activity(event)
    if a.os != "windows":
        return None
    if a.start:
        code, fields = "1", _sysmon_process_create(a)
    elif a.end:
        code, fields = "5", _drop_none({
            "UtcTime": _utc(a("@timestamp")), "ProcessId": _text(a("process.pid")),
            "Image": a.executable(), "User": a.user_with_domain(), "Computer": a("host.name")})
    elif a.network and a.executable() is not None:
        code, fields = "3", _drop_none({
            "UtcTime": _utc(a("@timestamp")), "ProcessId": _text(a("process.pid")), "Image": a.executable(),
            "User": a.user_with_domain(), "Protocol": a("network.transport"), "Initiated": "true",
            "SourceIp": a("source.ip"), "SourcePort": _text(a("source.port")),
            "DestinationIp": a("destination.ip"), "DestinationPort": _text(a("destination.port")),
            "Computer": a("host.name")})
    elif a.file_creation:
        code, fields = "11", _drop_none({
            "UtcTime": _utc(a("@timestamp")), "ProcessId": _text(a("process.pid")), "Image": a.executable(),
            "TargetFilename": a("file.path"), "User": a.user_with_domain(), "Computer": a("host.name")})
    else:
        return None
    return _drop_none({"source": SYSMON_SOURCE, "sourcetype": SYSMON_SOURCETYPE, "EventCode": code,
                       "host": a("host.name"), "_time": epoch_seconds(a("@timestamp")), **fields})


def render_sigma(event: Mapping[str, Any]) -> dict | None:
    a = Activity(event)
    if a.os != "windows" or not a.start:
        return None
    record = _sysmon_process_create(a)
    for key in ("ProcessId", "ParentProcessId"):
        if record.get(key) is not None:
            record[key] = int(record[key])
    return {"EventID": 1, **record}


# --- Splunk CIM -------------------------------------------------------------

def render_cim(event: Mapping[str, Any]) -> dict | None:
    a = Activity(event)
    if not a.start:
        return None
    parent = a.has_parent()
    record = {
        "process": a("process.command_line"),
        "process_name": a.file_name(),
        "process_path": a.executable(),
        "process_id": _text(a("process.pid")),
        "original_file_name": a("process.pe.original_file_name"),
        "process_current_directory": a("process.working_directory"),
        "parent_process": a("process.parent.command_line") if parent else None,
        "parent_process_name": a.file_name("process.parent") if parent else None,
        "parent_process_path": a.executable("process.parent") if parent else None,
        "parent_process_id": _text(a("process.parent.pid")) if parent else None,
        "user": a("user.name"),
        "dest": a("host.name"),
    }
    out = {f"Processes.{k}": v for k, v in record.items() if v is not None}
    time = epoch_seconds(a("@timestamp"))
    if time is not None:
        out["_time"] = time  # every Splunk event (and data-model record) has its time in _time
    return out


# --- Microsoft Defender for Endpoint and Sentinel ASIM ------------------------

def _kusto_strings(record: dict) -> dict:
    # Kusto string columns are never null
    return {k: ("" if v is None else v) for k, v in record.items()}


def render_defender(event: Mapping[str, Any]) -> dict | None:
    a = Activity(event)
    if not a.start:
        return None
    parent = a.has_parent()
    record = _kusto_strings({
        "Timestamp": a("@timestamp"),
        "DeviceName": (a("host.name") or "").lower(),  # Defender lower-cases device names
        "ActionType": "ProcessCreated",
        "FileName": a.file_name(),
        "FolderPath": a.executable(),
        "ProcessCommandLine": a("process.command_line"),
        "ProcessVersionInfoOriginalFileName": a("process.pe.original_file_name"),
        "ProcessVersionInfoCompanyName": a("process.pe.company"),
        "ProcessVersionInfoProductName": a("process.pe.product"),
        "SHA256": a("process.hash.sha256"),
        "AccountName": a("user.name"),
        "AccountDomain": a("user.domain"),
        "AccountSid": a("user.id"),
        "InitiatingProcessFileName": a.file_name("process.parent") if parent else None,
        "InitiatingProcessFolderPath": a.executable("process.parent") if parent else None,
        "InitiatingProcessCommandLine": a("process.parent.command_line") if parent else None,
    })
    record["ProcessId"] = a("process.pid")
    record["InitiatingProcessId"] = a("process.parent.pid") if parent else None
    return record


def render_asim(event: Mapping[str, Any]) -> dict | None:
    a = Activity(event)
    if not a.start:
        return None
    parent = a.has_parent()
    record = _kusto_strings({
        "TimeGenerated": a("@timestamp"),
        "EventType": "ProcessCreated",
        "EventProduct": "Sysmon" if a.os == "windows" else "Sysmon for Linux" if a.os == "linux" else "Defender for Endpoint",
        "DvcOs": _OS_DISPLAY.get(a.os, a.os),
        "DvcHostname": a("host.name"),
        "TargetProcessName": a.executable(),
        "TargetProcessCommandLine": a("process.command_line"),
        "TargetProcessFileOriginalName": a("process.pe.original_file_name"),
        "TargetProcessFileCompany": a("process.pe.company"),
        "TargetProcessCurrentDirectory": a("process.working_directory"),
        "TargetUsername": a.user_with_domain(),
        "ActingProcessName": a.executable("process.parent") if parent else None,
        "ActingProcessCommandLine": a("process.parent.command_line") if parent else None,
    })
    record["TargetProcessId"] = a("process.pid")
    record["ActingProcessId"] = a("process.parent.pid") if parent else None
    return record


@dataclass(frozen=True)
class PlatformModel:
    """One platform's way of recording an ECS event (a target record names its model)."""

    name: str
    render: Callable[[Mapping[str, Any]], dict | None]

    def records(self, events: Sequence[Mapping[str, Any]]) -> tuple[list[dict], list[int]]:
        """The records this platform holds for `events`, and for each record the index of its event."""
        records, origin = [], []
        for i, event in enumerate(events):
            record = self.render(event)
            if record is not None:
                records.append(record)
                origin.append(i)
        return records, origin


ELASTIC = PlatformModel("elastic", render_elastic)
SYSMON = PlatformModel("sysmon", render_sysmon)
SIGMA = PlatformModel("sigma", render_sigma)
CIM = PlatformModel("cim", render_cim)
DEFENDER = PlatformModel("defender", render_defender)
ASIM = PlatformModel("asim", render_asim)

MODELS: dict[str, PlatformModel] = {m.name: m for m in (ELASTIC, SYSMON, SIGMA, CIM, DEFENDER, ASIM)}
PLATFORMS = tuple(MODELS)


def _model(platform: str) -> PlatformModel:
    try:
        return MODELS[platform]
    except KeyError:
        raise ValueError(f"unknown platform {platform!r} (known: {', '.join(PLATFORMS)})") from None


def render(platform: str, event: Mapping[str, Any]) -> dict | None:
    """`event` as `platform` records it, or None when the platform never receives it."""
    return _model(platform).render(event)


def render_events(platform: str, events: Sequence[Mapping[str, Any]]) -> tuple[list[dict], list[int]]:
    """The records `platform` holds for `events`, and for each record the index of its event."""
    return _model(platform).records(events)

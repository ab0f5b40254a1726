"""What one ECS event says happened, in the terms every platform model shares.

An `Activity` reads a fixture event (nested ECS JSON, or flat dotted keys):
its endpoint event kind, its operating system, the values a platform's
decision list reads (event.type, event.action, event.category), and the few
derivations every platform makes the same way (a file name is the last
component of its path, a registry key is the path without its value name).
"""

from __future__ import annotations

from typing import Any, Mapping

from converters.platforms import winlog
from converters.platforms.facts import Table

OS_TYPES = ("windows", "linux", "macos")
OS_DISPLAY = {"windows": "Windows", "linux": "Linux", "macos": "macOS"}

# Registry root keys, abbreviated and kernel forms, to the full names
# Defender and ASIM record ("normalized to standard root key naming", ASIM registry schema).
REGISTRY_ROOTS = (
    ("HKEY_LOCAL_MACHINE", ("HKLM", "\\REGISTRY\\MACHINE", "HKEY_LOCAL_MACHINE")),
    ("HKEY_USERS", ("HKU", "\\REGISTRY\\USER", "HKEY_USERS")),
    ("HKEY_CURRENT_USER", ("HKCU", "HKEY_CURRENT_USER")),
    ("HKEY_CLASSES_ROOT", ("HKCR", "HKEY_CLASSES_ROOT")),
    ("HKEY_CURRENT_CONFIG", ("HKCC", "HKEY_CURRENT_CONFIG")),
)


#: Windows logon types: the number a 4624/4625 event holds and the name Microsoft gives it
#: (https://learn.microsoft.com/windows/security/threat-protection/auditing/event-4624, "Logon types"),
#: which Elastic's winlog.logon.type, Defender's LogonType and ASIM's EventSubType spell out
WINDOWS_LOGON_TYPES = {"2": "Interactive", "3": "Network", "4": "Batch", "5": "Service", "7": "Unlock",
                       "8": "NetworkCleartext", "9": "NewCredentials", "10": "RemoteInteractive",
                       "11": "CachedInteractive"}


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


def values(event: Mapping[str, Any], path: str) -> list:
    v = get(event, path)
    if v is None:
        return []
    return [x for x in v if x is not None] if isinstance(v, (list, tuple)) else [v]


def basename(path: str | None, os_type: str | None) -> str | None:
    """Last path component: after the last backslash (or slash) on Windows, slash elsewhere."""
    if path is None:
        return None
    cut = max(path.rfind("\\"), path.rfind("/")) if os_type == "windows" else path.rfind("/")
    return path[cut + 1:]


def dirname(path: str | None, os_type: str | None) -> str | None:
    if path is None:
        return None
    cut = max(path.rfind("\\"), path.rfind("/")) if os_type == "windows" else path.rfind("/")
    return path[:cut] if cut > 0 else path[:cut + 1]


def full_registry_root(path: str | None) -> str | None:
    """`HKLM\\X` and `\\REGISTRY\\MACHINE\\X` as `HKEY_LOCAL_MACHINE\\X` (case of the rest kept)."""
    if path is None:
        return None
    upper = path.upper()
    for full, forms in REGISTRY_ROOTS:
        for form in forms:
            if upper == form.upper() or upper.startswith(form.upper() + "\\"):
                return full + path[len(form):]
    return path


def text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def first(value: Any) -> Any:
    if isinstance(value, (list, tuple)):
        return next((v for v in value if v is not None), None)
    return value


def drop_none(record: dict) -> dict:
    return {k: v for k, v in record.items() if v is not None}


class Activity:
    """What happened in one ECS event, in platform-neutral terms."""

    def __init__(self, event: Mapping[str, Any]):
        self.event = event
        os_type = get(event, "host.os.type")
        self.os = os_type if isinstance(os_type, str) else None
        self.categories = [str(v) for v in values(event, "event.category")]
        self.types = [str(v) for v in values(event, "event.type")]
        self.actions = [str(v) for v in values(event, "event.action")]
        self.kind = self._kind()
        # kept for the models written before kinds (process starts and ends)
        self.is_process = self.kind == "process"
        self.start = self.is_process and "start" in self.types
        self.end = self.is_process and "end" in self.types

    def _kind(self) -> str | None:
        cats = self.categories
        if get(self.event, "powershell.file.script_block_text") is not None and ("process" in cats or not cats):
            return "script"  # PowerShell script block logging (Elastic files it under `process`)
        if "process" in cats:
            return "process"
        if "file" in cats:
            return "file"
        if "registry" in cats:
            return "registry"
        if ("network" in cats or "dns" in cats) and get(self.event, "dns.question.name") is not None:
            return "dns"
        if "network" in cats:
            return "network"
        if "library" in cats:
            return "library"
        if "driver" in cats:
            return "driver"
        if "authentication" in cats:
            return "authentication"   # a logon (sshd's, Windows 4624/4625): the platforms' logon records
        if self.os in ("windows", None) and (get(self.event, "event.code") is not None or self.has("winlog")
                                             or set(self.actions) & set(winlog.security().actions())):
            return "winlog"   # another Windows event log record (Elastic's System / Windows integrations)
        return None

    def __call__(self, path: str) -> Any:
        return get(self.event, path)

    def has(self, prefix: str) -> bool:
        """The event has a value under `prefix` (nested, or as flat dotted keys)."""
        return get(self.event, prefix) is not None or any(str(k).startswith(prefix + ".") for k in self.event)

    def one(self, path: str) -> Any:
        """The first value of a field that may be an array."""
        return first(self(path))

    def ecs_values(self, fields: tuple[str, ...] = ()) -> dict[str, list[str]]:
        """The values a platform's decision list reads (event.type/action/category and `fields`)."""
        found = {f: [str(v) for v in values(self.event, f)] for f in fields}
        return {**found, "event.type": self.types, "event.action": self.actions, "event.category": self.categories}

    def recorded_by(self, table: Table) -> tuple[bool, str | None]:
        """Whether `table` records this event, and the value of its action field."""
        if self.kind != table.kind or not self.on(table.os):
            return False, None
        if table.actions is None:
            return True, None
        return table.actions.value(self.ecs_values(table.actions.ecs_fields))

    def on(self, os_types: tuple[str, ...]) -> bool:
        """The event's OS is one of `os_types`; an event naming no OS is held only where the
        platform does not tell operating systems apart (the table covers all three)."""
        if self.os is None:
            return set(OS_TYPES) <= set(os_types)
        return self.os in os_types

    # --- derivations every platform makes the same way ----------------------

    def executable(self, prefix: str = "process") -> str | None:
        return self(f"{prefix}.executable")

    def file_name(self, prefix: str = "process") -> str | None:
        """The image's file name as a platform derives it: from the path when there is one."""
        exe = self.executable(prefix)
        return basename(exe, self.os) if exe is not None else self(f"{prefix}.name")

    def path_name(self, path_field: str, name_field: str) -> str | None:
        path = self.one(path_field)
        return basename(path, self.os) if path is not None else self.one(name_field)

    def has_parent(self) -> bool:
        parent = self("process.parent")
        return isinstance(parent, Mapping) and bool(parent)

    def account(self, attr: str) -> str | None:
        """The process's account as a platform records it (the account that ran the process):
        process.user.<attr> (ECS: the effective user) where the event has it, else user.<attr>."""
        found = self.one(f"process.user.{attr}")
        return found if found is not None else self.one(f"user.{attr}")

    def user_with_domain(self) -> str | None:
        name, domain = self.account("name"), self.account("domain")
        if name is None:
            return None
        return f"{domain}\\{name}" if domain else name

    def registry_key(self) -> str | None:
        """The key of a registry event: the path without its value name (for value events)."""
        path, value = self.one("registry.path"), self.one("registry.value")
        if path is None:
            return None
        if value is not None and path.lower().endswith("\\" + str(value).lower()):
            return path[: -len(str(value)) - 1]
        return path

    def logon_type_name(self) -> str | None:
        """The logon type's name (Network, RemoteInteractive...), from winlog.logon.type or the number."""
        name = self.one("winlog.logon.type")
        if name is not None:
            return next((n for n in WINDOWS_LOGON_TYPES.values() if n.lower() == str(name).lower()), None)
        number = self.one("winlog.event_data.LogonType")
        return WINDOWS_LOGON_TYPES.get(str(number)) if number is not None else None

    def outbound(self) -> bool:
        """A connection the local process made (not one it accepted)."""
        direction = self.one("network.direction")
        if "connection_accepted" in self.actions or direction in ("ingress", "inbound"):
            return False
        return True

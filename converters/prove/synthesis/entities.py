"""Whole events from per-field needs, internally consistent the way Elastic Defend records them.

Relations kept (each solved together, never patched afterwards):
- a process (process, process.parent, the leaders, ...): `name` is the basename of
  `executable` with the OS's separator; `args` is `command_line` split as its OS
  splits it (converters/prove/synthesis/argv.py: CommandLineToArgvW on Windows,
  a POSIX shell's quoting elsewhere; arguments with spaces are quoted);
  `args[0]` is the executable (or names it); `args_count` is `len(args)`;
- a file or library: `name` is the basename of `path`, `extension` the text
  after the name's last dot, `directory` the path up to the name;
- a registry value: `value` is the last component of `path`, `key` the path
  below the hive, `hive` the hive's short name; a key the rule constrains (and
  not the path) is the path's (the value sits under it);
- the user: Windows service accounts in NT AUTHORITY with their SIDs, root as 0;
- the host: `host.os.type` with its family, name and platform, and paths that
  use that OS's separator.
"""

from __future__ import annotations

from typing import Callable

from converters.prove.synthesis import argv, ecs
from converters.prove.synthesis.values import Exact, Gen, Need, default, solve

PROCESS_PREFIXES = ("process", "process.parent", "process.group_leader", "process.session_leader",
                    "process.entry_leader", "process.parent.group_leader", "process.previous",
                    "process.Ext.effective_parent", "process.parent.Ext.real")
_PROCESS_PARTS = ("executable", "name", "args", "command_line", "args_count")
PATH_ENTITIES = (("file.path", "file.name", "file.extension", "file.directory"),
                 ("dll.path", "dll.name", "dll.extension", None),
                 ("file.Ext.original.path", "file.Ext.original.name", "file.Ext.original.extension", None),
                 ("process.pe.original_file_name", None, None, None))
ENDPOINT_CATEGORIES = ("process", "file", "registry", "library", "network")
_DEFAULT_TYPE = {"process": "start", "file": "creation", "registry": "change", "library": "start",
                 "network": "start", "authentication": "start", "iam": "change", "configuration": "change",
                 "host": "info", "session": "start", "api": "info", "driver": "start", "web": "access",
                 "package": "installation", "intrusion_detection": "info", "malware": "info"}
_HIVES = {"HKEY_LOCAL_MACHINE": "HKLM", "HKLM": "HKLM", "HKEY_USERS": "HKU", "HKU": "HKU",
          "HKEY_CURRENT_USER": "HKCU", "HKCU": "HKCU", "HKEY_CLASSES_ROOT": "HKCR", "HKCR": "HKCR"}
_SERVICE_SIDS = {"system": "S-1-5-18", "local service": "S-1-5-19", "network service": "S-1-5-20"}
_BINARIES = {"windows": [("C:\\Windows\\System32", "svchost.exe"), ("C:\\Windows", "explorer.exe"),
                         ("C:\\Windows\\System32", "cmd.exe")],
             "linux": [("/usr/bin", "bash"), ("/usr/sbin", "sshd"), ("/usr/bin", "python3")],
             "macos": [("/bin", "zsh"), ("/sbin", "launchd"), ("/usr/bin", "osascript")]}


class Unsolved(Exception):
    """No consistent value for a field (or an entity) within the tries allowed."""

    def __init__(self, field: str):
        super().__init__(field)
        self.field = field


def basename(path: str, os: str) -> str:
    cut = max(path.rfind("\\"), path.rfind("/")) if os == "windows" else path.rfind("/")
    return path[cut + 1:]


def dirname(path: str, os: str) -> str:
    cut = max(path.rfind("\\"), path.rfind("/")) if os == "windows" else path.rfind("/")
    return path[:cut] if cut > 0 else ""


def names_program(arg0: str, exe: str, name: str, os: str) -> bool:
    """Whether argv[0] is the program: its path, or a path or word naming its file (`.exe` optional)."""
    if arg0 == exe:
        return True
    head, own = basename(arg0, os).lower(), name.lower()
    return head in (own, own.removesuffix(".exe")) or head.removesuffix(".exe") == own.removesuffix(".exe")


def extension(name: str) -> str | None:
    stem, dot, ext = name.rpartition(".")
    return ext if dot and stem and ext else None


class Derived:
    """A constraint one field gets from another's value (a name the path must end with, ...)."""

    kind = "derived"
    fold = False

    def __init__(self, test: Callable[[object], bool], samples: list, core: str | None, text: str):
        self.test, self.samples, self.core, self.text = test, samples, core, text

    def accepts(self, value) -> bool:
        return self.test(value)


class Builder:
    """Solves one branch's needs into one event's field values (dotted path -> value)."""

    def __init__(self, needs: dict[str, Need], gen: Gen, category: str | None, endpoint: bool,
                 strict: bool = True, missing: tuple[str, ...] = ()):
        self.needs = needs
        self.missing = frozenset(missing)   # fields the event must not have (beside the rule's `F == null`)
        self.strict = strict     # argv[0] must name the program (a last try may let the rule's command line win)
        self.gen = gen
        self.category = category
        self.endpoint = endpoint
        self.values: dict[str, object] = {}
        self.decided: set[str] = set()   # fields an entity solver settled (also by leaving them out)

    # -- helpers ----------------------------------------------------------------------
    def need(self, name: str) -> Need:
        return self.needs.get(name) or Need()

    def constrained(self, name: str) -> bool:
        """Some atom other than an existence check requires something of the field."""
        return any(getattr(a, "kind", None) != "exists" for a in self.need(name).pos)

    def must_be_missing(self, name: str) -> bool:
        return name in self.missing or any(getattr(a, "kind", None) == "exists" for a in self.need(name).neg)

    def referenced(self, prefix: str) -> bool:
        return any(f == prefix or f.startswith(prefix + ".") for f in self.needs)

    def first(self, name: str, extra: list | None = None, limit: int = 40):
        need = self.need(name)
        if extra:
            need = Need(need.pos + extra, need.neg)
        for value in solve(name, need, self.gen, limit=limit):
            return value
        raise Unsolved(name)

    def put(self, name: str, value) -> None:
        if value is None:
            return
        if ecs.is_array(name) and not isinstance(value, list):
            value = [value]
        self.values[name] = value

    # -- the parts ---------------------------------------------------------------------
    def solve_array(self, name: str, defaults: list | None = None) -> None:
        need = self.need(name)
        elements: list = []
        for atom in need.pos:
            if elements and atom.accepts(elements):
                continue
            for value in solve(name, Need([atom], need.neg), self.gen):
                elements.append(value)
                break
            else:
                raise Unsolved(name)
        if not elements:
            elements = [v for v in (defaults or []) if not need.rejects_any(v)]
            if not elements and name in self.needs:
                elements = [self.first(name)]
        if elements:
            self.put(name, elements)

    def solve_field(self, name: str) -> None:
        if name in self.values:
            return
        if not self.need(name).pos:
            # nothing requires the field: give it a value no atom forbids, else leave it out
            for value in solve(name, self.need(name), self.gen):
                self.put(name, value)
                return
            return
        if ecs.is_array(name):
            self.solve_array(name)
        else:
            self.put(name, self.first(name))

    def solve_path(self, path_f: str, name_f: str | None, ext_f: str | None = None, dir_f: str | None = None,
                   executable: bool = False, default_pair: tuple[str, str] | None = None,
                   folder: str | None = None) -> None:
        """`folder`: where an unconstrained path is composed (a registry value under its key)."""
        gen, os = self.gen, self.gen.os
        sep = gen.sep
        fields = [f for f in (path_f, name_f, ext_f, dir_f) if f]
        # the name is the path's last component: a missing name is a missing path (unless the rule
        # asks for a path, where a name-less record of it is the only way to have both)
        if self.must_be_missing(path_f) or (name_f and self.must_be_missing(name_f) and not self.need(path_f).pos):
            self.decided.add(path_f)
            if name_f and self.must_be_missing(name_f):
                self.decided.add(name_f)
            elif name_f and (self.need(name_f).pos or self.endpoint):
                self.put(name_f, self.first(name_f) if self.need(name_f).pos else
                         (default_pair[1] if default_pair else gen.file_name(executable)))
                self.decided.add(name_f)
            return

        def fits(path: str | None, name: str | None) -> bool:
            if name is None or not isinstance(name, str):
                return False
            if path is not None and basename(path, os) != name:
                return False
            if name_f and not self.need(name_f).accepts(name):
                return False
            if path is not None and not self.need(path_f).accepts(path):
                return False
            if ext_f and (self.constrained(ext_f) or self.need(ext_f).neg):
                ext = extension(name)
                if ext is None and self.constrained(ext_f) or ext is not None and not self.need(ext_f).accepts(ext):
                    return False
            if dir_f and path is not None and (self.need(dir_f).pos or self.need(dir_f).neg):
                if not self.need(dir_f).accepts(dirname(path, os)):
                    return False
            return True

        def candidates():
            if self.constrained(path_f) or not (name_f and self.constrained(name_f)):
                for path in solve(path_f, self.need(path_f), gen, limit=30) if self.constrained(path_f) else []:
                    yield path, basename(path, os)
            names = []
            if name_f and self.constrained(name_f):
                names = list(solve(name_f, self.need(name_f), gen, limit=12))
            elif ext_f and self.constrained(ext_f):
                names = [gen.word() + "." + e for e in solve(ext_f, self.need(ext_f), gen, limit=4)]
            else:
                names = [gen.file_name(executable=executable) for _ in range(3)]
                if default_pair and not self.constrained(path_f):
                    names.insert(0, default_pair[1])
            for name in names:
                if not isinstance(name, str):
                    continue
                if self.need(path_f).pos:
                    ends = Derived(lambda v, n=name: isinstance(v, str) and basename(v, os) == n,
                                   [gen.directory() + sep + name], sep + name, f"ends with {sep}{name}")
                    for path in solve(path_f, Need(self.need(path_f).pos + [ends], self.need(path_f).neg), gen,
                                      limit=20):
                        yield path, name
                else:
                    at = default_pair[0] if default_pair and name == default_pair[1] else folder or gen.directory()
                    if dir_f and self.constrained(dir_f):
                        at = self.first(dir_f)
                    yield at + sep + name, name
                    yield (folder or gen.directory()) + sep + name, name

        self.decided.update(f for f in fields if f)
        for path, name in candidates():
            if fits(path, name):
                self.put(path_f, path)
                if name_f:
                    self.put(name_f, name)
                if ext_f and extension(name) is not None and (self.referenced(ext_f) or self.endpoint):
                    self.put(ext_f, extension(name))
                if dir_f and (self.referenced(dir_f) or self.endpoint):
                    self.put(dir_f, dirname(path, os))
                return
        if name_f and not executable and not self.need(path_f).pos and self.constrained(name_f):
            # a name no path ends with (a named pipe's `\\*\\pipe\\x`): the event has the name alone
            for name in solve(name_f, self.need(name_f), gen, limit=12):
                if fits(None, name):
                    self.put(name_f, name)
                    if ext_f and extension(name) is not None and self.referenced(ext_f):
                        self.put(ext_f, extension(name))
                    return
        raise Unsolved(fields[0] if self.constrained(fields[0]) else next(
            (f for f in fields if self.constrained(f)), fields[0]))

    def solve_process(self, prefix: str, with_args: bool = True) -> None:
        try:
            self._solve_process(prefix, with_args)
        except Unsolved:
            # the argument a pattern asks for may have to be the program itself (args_count == 1)
            exe_f, args_f = f"{prefix}.executable", f"{prefix}.args"
            args = self.need(args_f)
            if not args.pos:
                raise
            saved = self.needs.get(exe_f)
            exe = saved or Need()
            # still a path, as Elastic records an executable (never a bare `bash`)
            sep = self.gen.sep
            path = Derived(lambda v: isinstance(v, str) and sep in v and not v.endswith(sep),
                           [self.gen.directory() + sep + self.gen.file_name(executable=True)], None,
                           "is a path")
            self.needs[exe_f] = Need(exe.pos + args.pos + [path], exe.neg + args.neg)
            try:
                self._solve_process(prefix, with_args)
            finally:
                if saved is None:
                    del self.needs[exe_f]
                else:
                    self.needs[exe_f] = saved

    def _solve_process(self, prefix: str, with_args: bool = True) -> None:
        exe_f, name_f, args_f, cl_f, count_f = (f"{prefix}.{p}" for p in _PROCESS_PARTS)
        pair = self.gen.rng.choice(_BINARIES.get(self.gen.os, _BINARIES["linux"]))
        self.solve_path(exe_f, name_f, executable=True, default_pair=pair)
        for part, make in (("pid", lambda: self.gen.rng.randint(1000, 60000)), ("entity_id", self.gen.token)):
            f = f"{prefix}.{part}"
            if f not in self.needs and self.endpoint and prefix in ("process", "process.parent"):
                self.put(f, make())
        if not with_args and not any(self.referenced(f) for f in (args_f, cl_f, count_f)):
            return
        name = self.values.get(name_f)
        exe = self.values.get(exe_f, name)
        if exe is None:
            return
        for args, line in self._argv_candidates(prefix, exe, name):
            if not self.need(cl_f).accepts(line):
                continue
            if not self._args_fit(args_f, args):
                continue
            count_need = self.need(count_f)
            edge = next((n for n in solve(count_f, count_need, self.gen, limit=4) if isinstance(n, int)), None) \
                if self.constrained(count_f) else None
            if edge is not None and edge > len(args) and not self.constrained(cl_f):
                # the count at its bound (`args_count <= 2` with 2 arguments) where padding can reach it
                padded = self._pad_to_count(args, Need([Exact(edge)]), args_f, cl_f)
                if padded is not None:
                    args, line = padded
            if not count_need.accepts(len(args)):
                padded = self._pad_to_count(args, count_need, args_f, cl_f)
                if padded is None:
                    continue
                args, line = padded
            self.put(args_f, args)
            self.put(cl_f, line)
            self.put(count_f, len(args))
            return
        raise Unsolved(cl_f if self.constrained(cl_f) else args_f)

    def _args_fit(self, args_f: str, args: list[str]) -> bool:
        need = self.need(args_f)
        return all(a.accepts(args) for a in need.pos) and not any(a.accepts(args) for a in need.neg)

    def _pad_to_count(self, args, count_need: Need, args_f: str, cl_f: str):
        for extra in range(1, 40):
            more = args + [f"-{self.gen.token(2)}" for _ in range(extra)]
            if count_need.accepts(len(more)):
                line = argv.join(more, self.gen.os)
                if line and self._args_fit(args_f, more) and self.need(cl_f).accepts(line):
                    return more, line
        return None

    def _argv_candidates(self, prefix: str, exe: str, name: str):
        gen = self.gen
        args_f, cl_f = f"{prefix}.args", f"{prefix}.command_line"
        need = self.need(args_f)

        def arguments(head: str) -> list[str]:
            # the elements the rule's argument patterns still ask for after argv[0] = head
            elements: list[str] = []
            for atom in need.pos:
                if atom.accepts([head] + elements):
                    continue
                for value in solve(args_f, Need([atom], need.neg), gen, limit=20):
                    if isinstance(value, str):
                        elements.append(value)
                        break
            return elements

        elements = arguments(exe)
        heads = [exe, name] if exe != name else [exe]
        if not self.constrained(cl_f):
            for head in heads:
                # argv[0] naming the program (`sh` for /usr/bin/sh) may itself be the argument asked for
                own = elements if head == exe else arguments(head)
                for tail in (own, own + [gen.file_name()], own[::-1]):
                    args = [head] + tail
                    line = argv.join(args, gen.os)
                    if line is not None:
                        yield args, line
            return
        gen.head = gen.head_of(exe)
        try:
            lines = list(solve(cl_f, self.need(cl_f), gen, limit=30))
        finally:
            gen.head = None
        # argv[0] names the program where the rule lets it; where it does not (a symlink such as
        # /sbin/init for systemd, a renamed argv[0]), the command line the rule asks for is kept
        ordered = [(line, split) for line in self._lines(lines, exe, name)
                   if (split := argv.split(line, gen.os)) and self.need(cl_f).accepts(line)]
        ordered = [p for p in ordered if names_program(p[1][0], exe, name, gen.os)] + (
            [] if self.strict else [p for p in ordered if not names_program(p[1][0], exe, name, gen.os)])
        for line, args in ordered:
            missing = [e for e in elements if e not in args]
            if not missing:
                yield args, line
                continue
            extra = argv.join(["x"] + missing, gen.os)
            if extra is None:
                continue
            extra = extra[2:]
            first = argv.join(args[:1], gen.os) or "\0"
            for new_line in (f"{line} {extra}", f"{first} {extra}{line[len(first):]}" if line.startswith(first) else ""):
                new_args = argv.split(new_line, gen.os) if new_line else None
                if new_args:
                    yield new_args, new_line

    def _lines(self, lines, exe, name):
        """Command lines to try: each as sampled, with a quote closed, and led by the program."""
        head = self.gen.head_of(exe)
        for line in lines:
            yield line
            yield line + "'"
            yield line + '"'
            yield head + line

    def solve_user(self) -> None:
        name_f, domain_f, id_f = "user.name", "user.domain", "user.id"
        if not (self.endpoint or self.referenced("user")):
            return
        if self.must_be_missing(name_f):
            self.decided.add(name_f)
        else:
            self.put(name_f, self.first(name_f) if self.constrained(name_f) or self.need(name_f).neg else self.gen.user)
        name = str(self.values.get(name_f, ""))
        sid = _SERVICE_SIDS.get(name.lower())
        if self.gen.os == "windows":
            domain = "NT AUTHORITY" if sid else "CORP"
            uid = sid or "S-1-5-21-1004336348-1177238915-682003330-1104"
        else:
            domain, uid = None, "0" if name == "root" else "1000"
        for f, value in ((domain_f, domain), (id_f, uid)):
            if self.constrained(f) or (value is not None and self.need(f).rejects_any(value)):
                self.put(f, self.first(f))
            elif value is not None:
                self.put(f, value)

    def solve_registry(self) -> None:
        if not (self.category == "registry" or self.referenced("registry")):
            return
        gen = self.gen
        saved = gen.os, gen.sep
        gen.os, gen.sep = "windows", "\\"
        try:
            default_key = ("HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Run", gen.word())
            self.solve_path("registry.path", "registry.value", default_pair=default_key, folder=self._key_folder())
        finally:
            gen.os, gen.sep = saved
        path = self.values["registry.path"]
        root, _, rest = path.partition("\\")
        hive = _HIVES.get(root.upper())
        key = rest.rpartition("\\")[0] if hive else None
        for f, value in (("registry.hive", hive), ("registry.key", key)):
            if value is not None and self.need(f).accepts(value):
                self.put(f, value)        # the path's own hive and key where the rule allows them
            elif self.constrained(f) or value is not None:
                self.put(f, self.first(f))
        if self.referenced("registry.data.strings"):
            self.solve_array("registry.data.strings")

    def _key_folder(self) -> str | None:
        """The key a value sits under when the rule constrains registry.key and not the path: the
        path is the key's (with its hive; HKLM where the key names none), so that a platform reading
        the key from the path sees the key the rule asks for."""
        if not self.constrained("registry.key") or self.constrained("registry.path"):
            return None
        key = self.first("registry.key")
        if not isinstance(key, str):
            return None
        return key if _HIVES.get(key.partition("\\")[0].upper()) else "HKEY_LOCAL_MACHINE\\" + key

    # -- the event ---------------------------------------------------------------------------
    def build(self, os_choice: list[str], category_values: list[str]) -> dict[str, object]:
        gen = self.gen
        self.solve_array("event.category", category_values)
        os_need = self.need("host.os.type")
        os_value = next((o for o in os_choice if os_need.accepts(o)), None)
        if os_value is None:
            os_value = self.first("host.os.type")
        self.put("host.os.type", os_value)
        if os_value in ecs.OS_TYPES:
            gen.os, gen.sep = os_value, "\\" if os_value == "windows" else "/"
        for f, table in (("host.os.family", ecs.OS_FAMILY), ("host.os.name", ecs.OS_NAME),
                         ("host.os.platform", ecs.OS_PLATFORM)):
            value = table.get(os_value)
            if self.constrained(f) or value is None or self.need(f).rejects_any(value):
                if f in self.needs:
                    self.put(f, self.first(f))
            else:
                self.put(f, value)
        self.put("host.name", self.first("host.name") if "host.name" in self.needs else "ws-" + gen.token(4))
        category = self.category
        self.solve_array("event.type", [_DEFAULT_TYPE[category]] if category in _DEFAULT_TYPE else None)
        if self.endpoint or self.referenced("event.kind"):
            self.put("event.kind", self.first("event.kind") if "event.kind" in self.needs else "event")
        for prefix in PROCESS_PREFIXES:
            wanted = prefix == "process" and self.endpoint or (prefix == "process.parent" and category == "process")
            if wanted or any(self.referenced(f"{prefix}.{p}") for p in _PROCESS_PARTS):
                self.solve_process(prefix, with_args=prefix in ("process", "process.parent") and category == "process")
        for path_f, name_f, ext_f, dir_f in PATH_ENTITIES:
            entity = path_f.rsplit(".", 1)[0]
            wanted = (entity == "file" and category == "file") or (entity == "dll" and category == "library")
            if wanted or any(f and self.referenced(f) for f in (path_f, name_f, ext_f, dir_f)):
                self.solve_path(path_f, name_f, ext_f, dir_f, executable=entity == "dll")
        self.solve_registry()
        self.solve_user()
        if category == "network" and self.endpoint:
            for f in ("source.ip", "source.port", "destination.ip", "destination.port", "network.transport"):
                if f not in self.needs:
                    self.put(f, "tcp" if f == "network.transport" else default(f, gen))
        for name in self.needs:
            if name not in self.values and name not in self.decided \
                    and not any(name.startswith(k + ".") for k in self.values):
                self.solve_field(name)
        for name, need in self.needs.items():
            if name in self.values and need.rejects_any(self.values[name]) and not need.pos:
                del self.values[name]   # `f == null`, `not f:*`: the field must be missing
        return self.values


def nest(values: dict[str, object]) -> dict:
    """Dotted paths to a nested ECS object (a path under a leaf is dropped)."""
    event: dict = {}
    for path in sorted(values, key=lambda p: p.count(".")):
        node = event
        parts = path.split(".")
        ok = True
        for part in parts[:-1]:
            nxt = node.setdefault(part, {})
            if not isinstance(nxt, dict):
                ok = False
                break
            node = nxt
        if ok and not isinstance(node.get(parts[-1]), dict):
            node[parts[-1]] = values[path]
    return event

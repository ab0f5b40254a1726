"""Checks of synthesized events, and the figures of synthesis over a set of rules.

`problems(event)`: what makes an event unlike one ECS event as Elastic Defend
would record it. Written apart from the synthesizer (its own splitters, its
own reading of the type tables) so that the tests do not grade the generator
with its own code. `survey_rule`/`summarize`: the per-rule and overall
figures the corpus test and `python -m benchmarks synthesize` report.
"""

from __future__ import annotations

import ipaddress
import json
import shlex
import time
from collections import Counter

from tests.platforms.test_models import windows_argv
from tests.support import ROOT

_FIELDS = json.loads((ROOT / "converters" / "data" / "ecs_fields.json").read_text(encoding="utf-8"))["fields"]
_ARRAYS = set(json.loads((ROOT / "converters" / "data" / "ecs_shapes.json").read_text(encoding="utf-8"))["arrays"])
_PROCESSES = ("process", "process.parent", "process.group_leader", "process.session_leader", "process.entry_leader")


def _flat(event, prefix="", out=None):
    out = {} if out is None else out
    for key, value in event.items():
        path = f"{prefix}{key}"
        if isinstance(value, dict):
            _flat(value, path + ".", out)
        else:
            out[path] = value
    return out


def _basename(path: str, os: str) -> str:
    cut = max(path.rfind("\\"), path.rfind("/")) if os == "windows" else path.rfind("/")
    return path[cut + 1:]


def problems(event: dict) -> list[str]:
    """What is inconsistent or mistyped in `event` (empty when nothing is). A problem starting with
    `soft:` can occur in real data (argv[0] of a program started through a symlink)."""
    flat = _flat(event)
    os = flat.get("host.os.type")
    out = []
    for path, value in flat.items():
        kind = _FIELDS.get(path)
        if path in _ARRAYS and not isinstance(value, list):
            out.append(f"{path}: ECS keeps it as an array")
        values = value if isinstance(value, list) else [value]
        for v in values:
            if kind in ("long", "integer", "short", "byte") and not (isinstance(v, int) and not isinstance(v, bool)):
                out.append(f"{path}: {v!r} is not an integer")
            elif kind in ("float", "scaled_float", "double") and not isinstance(v, (int, float)):
                out.append(f"{path}: {v!r} is not a number")
            elif kind == "boolean" and not isinstance(v, bool):
                out.append(f"{path}: {v!r} is not a boolean")
            elif kind == "ip":
                try:
                    ipaddress.ip_address(v)
                except ValueError:
                    out.append(f"{path}: {v!r} is not an IP address")
            elif kind in ("keyword", "wildcard") and not isinstance(v, str):
                out.append(f"{path}: {v!r} is not a string")
    for prefix in _PROCESSES:
        exe, name = flat.get(f"{prefix}.executable"), flat.get(f"{prefix}.name")
        if isinstance(exe, str) and isinstance(name, str) and _basename(exe, os) != name:
            out.append(f"{prefix}.name {name!r} is not the basename of {exe!r}")
        if isinstance(exe, str) and "/" not in exe and "\\" not in exe:
            out.append(f"{prefix}.executable {exe!r} is no path (Elastic records the program's full path)")
        args, line = flat.get(f"{prefix}.args"), flat.get(f"{prefix}.command_line")
        if isinstance(args, list) and isinstance(line, str):
            try:
                split = windows_argv(line) if os == "windows" else shlex.split(line)
            except ValueError:
                split = None
            if split != args:
                out.append(f"{prefix}.args {args!r} is not {line!r} split")
        count = flat.get(f"{prefix}.args_count")
        if isinstance(args, list) and count is not None and count != len(args):
            out.append(f"{prefix}.args_count {count} != {len(args)} arguments")
        if isinstance(args, list) and args and isinstance(exe, str):
            head = _basename(args[0], os).lower()
            names = {name.lower(), name.lower().removesuffix(".exe")} if isinstance(name, str) else set()
            if args[0] != exe and head not in names and head.removesuffix(".exe") not in names:
                out.append(f"soft: {prefix}.args[0] {args[0]!r} names neither {exe!r} nor {name!r}")
    for base in ("file", "dll"):
        path, name = flat.get(f"{base}.path"), flat.get(f"{base}.name")
        if isinstance(path, str) and isinstance(name, str) and _basename(path, os) != name:
            out.append(f"{base}.name {name!r} is not the basename of {path!r}")
    ext, name = flat.get("file.extension"), flat.get("file.name")
    if isinstance(ext, str) and isinstance(name, str) and not name.endswith("." + ext):
        out.append(f"file.extension {ext!r} does not end {name!r}")
    out += _registry_problems(flat)
    if os is not None and "host.os.type" in flat and os not in ("windows", "linux", "macos", "unix", "ios", "android"):
        out.append(f"host.os.type {os!r} is not an ECS value")
    return out


_HIVE_ROOTS = {"HKEY_LOCAL_MACHINE", "HKLM", "HKEY_USERS", "HKU", "HKEY_CURRENT_USER", "HKCU",
               "HKEY_CLASSES_ROOT", "HKCR", "HKEY_CURRENT_CONFIG", "HKCC"}


def _registry_problems(flat: dict) -> list[str]:
    """Elastic Defend's registry event: registry.path is the hive, the key and the value's name
    (registry.key the path below the hive, registry.value its last component)."""
    path, key, value = (flat.get(f"registry.{f}") for f in ("path", "key", "value"))
    if not isinstance(path, str):
        return []
    out = []
    parts = path.split("\\")
    if isinstance(value, str) and parts[-1] != value:
        out.append(f"registry.value {value!r} is not the last component of {path!r}")
    if isinstance(key, str) and parts[0].upper() in _HIVE_ROOTS and "\\".join(parts[1:-1]) != key:
        out.append(f"registry.key {key!r} is not the key of {path!r}")
    return out


def survey_rule(path: str) -> dict | None:
    """The figures of one rule (None for a rule in another language)."""
    from converters.load import load_rule
    from converters.prove.synthesize import SynthesisError, synthesize_cases
    
    rule = load_rule(path)
    if rule.rule.get("language") not in ("eql", "kuery"):
        return None
    start = time.perf_counter()
    try:
        fixtures = synthesize_cases(rule)
    except SynthesisError as exc:
        return {"path": path, "status": exc.code, "seconds": time.perf_counter() - start}
    seconds = time.perf_counter() - start
    found = [p for c in fixtures.cases for p in problems(c.event)]
    s = fixtures.synthesis
    return {"path": path, "status": "ok", "seconds": seconds, "events": len(fixtures.cases),
            "matches": sum(fixtures.verdicts), "branches": s.branches, "covered": s.covered, "complete": s.complete,
            "hard_problems": sum(1 for p in found if not p.startswith("soft:")),
            "soft_problems": sum(1 for p in found if p.startswith("soft:"))}


def summarize(results: list[dict]) -> dict:
    statuses = Counter(r["status"] for r in results)
    later = statuses["fixtures/multi-event"] + statuses["fixtures/threshold"]
    ok = [r for r in results if r["status"] == "ok"]
    both = [r for r in ok if 0 < r["matches"] < r["events"]]
    times = sorted(r["seconds"] for r in results)
    eligible = len(results) - later
    return {
        "rules": len(results),
        "refused": {k: v for k, v in sorted(statuses.items()) if k != "ok"},
        "eligible": eligible,
        "synthesized": len(ok),
        "with_match_and_non_match": len(both),
        "share_with_both": len(both) / eligible if eligible else 0.0,
        "branches": sum(r["branches"] for r in ok),
        "branches_matched": sum(r["covered"] for r in ok),
        "branch_coverage": (sum(r["covered"] for r in ok) / max(1, sum(r["branches"] for r in ok))),
        "rules_with_a_cover": sum(1 for r in ok if not r["complete"]),
        "events": sum(r["events"] for r in ok),
        "hard_problems": sum(r["hard_problems"] for r in ok),
        "soft_problems": sum(r["soft_problems"] for r in ok),
        "seconds_mean": sum(times) / len(times) if times else 0.0,
        "seconds_p50": times[len(times) // 2] if times else 0.0,
        "seconds_p95": times[int(len(times) * 0.95)] if times else 0.0,
        "seconds_max": times[-1] if times else 0.0,
    }

"""Seeded variations of fixture events, for volume (benchmarks) and for widening a proof.

Each variation copies one fixture event and changes only what a process rule
rarely looks at, keeping the event internally consistent:
- the user: user.name is replaced by another name everywhere it occurs
  (paths under C:\\Users\\<name>, command lines);
- the host name, and the process id;
- one time in ten, the drive letter of a drive-letter executable path;
- one time in ten, the letter case of the image name (in process.name and at
  the end of process.executable together: Windows paths ignore case);
- three times in ten, one extra trailing argument that names no script and no
  flag a rule is likely to test (appended to process.args and to the command
  line alike).
The same (events, n, seed) always gives the same variations.
"""

from __future__ import annotations

import json
import random
from typing import Any, Mapping, Sequence

_USERS = ("dave", "erin", "frank", "grace", "heidi", "ivan", "judy", "mallory", "oscar", "peggy")
_EXTRA_ARGS = ("--trace-warnings", "--inspect", "--max-old-space-size=4096", "data.txt")


def variations(events: Sequence[Mapping[str, Any]], n: int, seed: int) -> list[tuple[int, dict]]:
    """`n` (index of the varied event, variation) pairs."""
    rng = random.Random(seed)
    texts = [json.dumps(e) for e in events]
    out = []
    for i in range(n):
        k = rng.randrange(len(events))
        text = texts[k]
        user = (events[k].get("user") or {}).get("name")
        new_user = rng.choice(_USERS)
        if isinstance(user, str) and len(user) >= 3:
            text = text.replace(user, new_user)
        event = json.loads(text)
        host = event.get("host")
        if isinstance(host, dict):
            host["name"] = f"WS-{rng.randrange(5000):04d}"
            if "hostname" in host:
                host["hostname"] = host["name"]
        proc = event.get("process")
        if isinstance(proc, dict):
            _vary_process(proc, rng)
        if isinstance(event.get("@timestamp"), str):
            event["@timestamp"] = f"2025-08-21T{i // 3600 % 24:02d}:{i // 60 % 60:02d}:{i % 60:02d}.000Z"
        out.append((k, event))
    return out


def _vary_process(proc: dict, rng: random.Random) -> None:
    if "pid" in proc:
        proc["pid"] = rng.randrange(1000, 65000)
    exe, name = proc.get("executable"), proc.get("name")
    roll = rng.random()
    if roll < 0.1 and isinstance(exe, str) and exe[1:3] == ":\\":
        proc["executable"] = rng.choice("CDEF") + exe[1:]
    elif roll < 0.2 and isinstance(exe, str) and isinstance(name, str) and name and exe.endswith(name):
        proc["executable"] = exe[: -len(name)] + name.upper()
        proc["name"] = name.upper()
    if rng.random() < 0.3 and isinstance(proc.get("args"), list) and isinstance(proc.get("command_line"), str):
        extra = rng.choice(_EXTRA_ARGS)
        proc["args"] = proc["args"] + [extra]
        proc["args_count"] = len(proc["args"])
        proc["command_line"] = proc["command_line"] + " " + extra

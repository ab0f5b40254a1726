"""Local data for pySigma, so that it never reaches the network.

pySigma loads MITRE ATT&CK and D3FEND lazily from the internet the first
time a tag validator (or a siem_rule output) asks for them. ruleport hands
it local files instead: a minimal ATT&CK STIX bundle built from data we
already have, and an empty D3FEND graph, with a cache directory of our own
so that a stale user cache is not read either.
"""

from __future__ import annotations

import json
from pathlib import Path


def attack_bundle(tactics: dict[str, str], techniques: dict[str, tuple[str, list[str]]]) -> dict:
    """A STIX 2.1 bundle with just what pySigma reads.

    tactics: ATT&CK id -> shortname (TA0002 -> execution);
    techniques: id -> (name, [tactic shortnames]).
    """
    objects: list[dict] = [{"type": "x-mitre-collection", "id": "x-mitre-collection--ruleport",
                            "x_mitre_version": "local"}]
    for tid, short in sorted(tactics.items()):
        objects.append({"type": "x-mitre-tactic", "id": f"x-mitre-tactic--{tid}", "x_mitre_shortname": short,
                        "name": short, "external_references": [{"source_name": "mitre-attack", "external_id": tid}]})
    for tid, (name, phases) in sorted(techniques.items()):
        objects.append({"type": "attack-pattern", "id": f"attack-pattern--{tid}", "name": name,
                        "kill_chain_phases": [{"kill_chain_name": "mitre-attack", "phase_name": p} for p in phases],
                        "external_references": [{"source_name": "mitre-attack", "external_id": tid}]})
    return {"type": "bundle", "id": "bundle--ruleport-local", "objects": objects}


def use_local_data(directory: str | Path, tactics: dict[str, str],
                   techniques: dict[str, tuple[str, list[str]]]) -> None:
    """Point pySigma's ATT&CK and D3FEND loaders at local files under `directory`."""
    from sigma.data import mitre_attack, mitre_d3fend

    root = Path(directory)
    root.mkdir(parents=True, exist_ok=True)
    attack = root / "attack-stix.json"
    d3fend = root / "d3fend.json"
    attack.write_text(json.dumps(attack_bundle(tactics, techniques)), encoding="utf-8")
    d3fend.write_text(json.dumps({"@graph": []}), encoding="utf-8")
    for module, source, cache in ((mitre_attack, attack, root / "attack-cache"),
                                  (mitre_d3fend, d3fend, root / "d3fend-cache")):
        module.set_url(str(source))
        module.set_cache_dir(str(cache))
        module.clear_cache()

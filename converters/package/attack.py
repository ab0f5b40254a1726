"""A rule's ATT&CK mapping in each platform's vocabulary, from the pinned table.

The rule's ids are checked against converters/data/attack.json (ATT&CK
Enterprise, offline): a revoked technique becomes the one ATT&CK names as its
replacement, an id the table does not know is left out (with a note).

Vocabularies (data, with their sources):
* Sentinel tactics: the `AttackTactic` names of Microsoft.SecurityInsights
  alert rules (ARM/bicep types `ScheduledAlertRuleProperties.tactics`;
  Azure-Sentinel template validation `AttackTactic.cs`): ATT&CK tactic names
  without spaces.
* Defender XDR alert categories: the categories of Defender for Endpoint
  alerts (Defender alert `category` values; custom detection rules pick one).
  Three ATT&CK tactics have no category of their own there.
"""

from __future__ import annotations

from dataclasses import dataclass

from converters.lint.attack import attack_table
from converters.load.meta import RuleMeta

# ATT&CK tactic shortname -> Sentinel AttackTactic
SENTINEL_TACTICS = {
    "initial-access": "InitialAccess", "execution": "Execution", "persistence": "Persistence",
    "privilege-escalation": "PrivilegeEscalation", "defense-evasion": "DefenseEvasion",
    "credential-access": "CredentialAccess", "discovery": "Discovery", "lateral-movement": "LateralMovement",
    "collection": "Collection", "exfiltration": "Exfiltration", "command-and-control": "CommandAndControl",
    "impact": "Impact", "reconnaissance": "Reconnaissance", "resource-development": "ResourceDevelopment",
}

# ATT&CK tactic shortname -> Defender alert category
DEFENDER_CATEGORIES = {
    "initial-access": "InitialAccess", "execution": "Execution", "persistence": "Persistence",
    "privilege-escalation": "PrivilegeEscalation", "defense-evasion": "DefenseEvasion",
    "credential-access": "CredentialAccess", "discovery": "Discovery", "lateral-movement": "LateralMovement",
    "collection": "Collection", "exfiltration": "Exfiltration", "command-and-control": "CommandAndControl",
}
DEFENDER_FALLBACK_CATEGORY = "SuspiciousActivity"


@dataclass(frozen=True)
class Mapped:
    technique: str          # a current ATT&CK id (technique or sub-technique)
    tactic: str             # the tactic shortname the rule lists it under ("" when not one of its own)
    name: str


@dataclass(frozen=True)
class Mapping:
    tactics: tuple[str, ...]            # shortnames, rule order
    techniques: tuple[Mapped, ...]      # every id, parents and sub-techniques, rule order
    problems: tuple[str, ...] = ()      # what was replaced or left out, for a note

    @property
    def leaves(self) -> tuple[str, ...]:
        ids = list(dict.fromkeys(t.technique for t in self.techniques))
        return tuple(i for i in ids if not any(o.startswith(i + ".") for o in ids))

    @property
    def ids(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(t.technique for t in self.techniques))


def mapping(meta: RuleMeta) -> Mapping:
    table = attack_table()
    tactics: list[str] = []
    for tid, name in meta.tactics:
        tactic = table.tactics.get(tid) or table.tactic_by_name.get(name.lower())
        if tactic and tactic.shortname not in tactics:
            tactics.append(tactic.shortname)
    techniques, problems = [], []
    for t in meta.techniques:
        tech = table.techniques.get(t.id)
        if tech is not None and tech.status == "revoked" and tech.replaced_by in table.techniques:
            problems.append(f"{t.id} is revoked in ATT&CK {table.version}: {tech.replaced_by} is used")
            tech = table.techniques[tech.replaced_by]
        if tech is None:
            problems.append(f"{t.id} is not in ATT&CK {table.version}: left out")
            continue
        tactic = table.tactics.get(t.tactic_id)
        short = tactic.shortname if tactic and tactic.shortname in tech.tactics else ""
        techniques.append(Mapped(tech.id, short, tech.name))
    return Mapping(tuple(tactics), tuple(techniques), tuple(problems))


def technique_tactics(technique: str) -> tuple[str, ...]:
    """Every tactic (shortname) ATT&CK lists a technique under (a sub-technique: its parent's)."""
    table = attack_table()
    tech = table.techniques.get(technique.split(".")[0])
    return tech.tactics if tech else ()


def attack_version() -> str:
    return attack_table().version

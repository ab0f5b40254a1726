"""How each platform records the same activity: ECS events rendered per target.

A fixture event is one ECS document as Elastic Defend ships it (nested JSON).
Each platform receives the same activity in its own shape. The models are
written from each platform's documentation of its own records, never by
inverting ruleport's field mapping (that would make the proof circular);
which tables a platform has, their fields and how each names an event's
action are the platform facts (converters.platforms.facts), read here and by
the emit stage alike.

Rules shared by every model
- An event's kind (process, file, registry, network, DNS, library, driver)
  comes from event.category (a network event naming dns.question.name is a
  DNS lookup); a platform records it in the table of that kind whose
  operating systems include the event's and whose decision list gives it an
  action (converters.platforms.facts.Actions); otherwise the platform never
  receives it (render gives None). An event naming no OS is held only by
  tables that cover every OS.
- Paths and command lines are carried verbatim: the same process is the same
  string everywhere (Defend sometimes reports `\\Device\\HarddiskVolumeN\\...`
  where the volume has no drive letter; we do not model drive-letter
  resolution, so every platform sees that same path). Registry paths are
  too, except that Defender and ASIM spell the root key out.
- A file name is the last component of its path (after the last `\\` on
  Windows, `/` elsewhere), which is how each platform derives it.
- Only ECS keeps argv (`process.args`) and the code signer of a process:
  every other platform has the command line only.

The models (`render(platform, event)`); each module documents its platform:
    elastic   (lucene, eql, esql, kibana-kql)   converters.platforms.elastic
    sysmon    (splunk)                          converters.platforms.sysmon
    sigma     (sigma)                           converters.platforms.sysmon
    cim       (splunk-cim)                      converters.platforms.cim
    defender  (kusto-defender)                  converters.platforms.microsoft
    asim      (kusto-sentinel)                  converters.platforms.microsoft

Cloud and SaaS audit events (an event.dataset of aws.*, azure.*, o365.*,
gcp.*, okta.*, kubernetes.*, github.*, google_workspace.*) are rendered, on
the sysmon, cim, defender and asim models, by the cloud source facts
(converters.platforms.cloud, converters/data/cloud/*.json): each source's
Splunk sourcetype or Kusto table and how it records the vendor's fields.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Mapping, Sequence

from converters.platforms.activity import Activity, basename, get
from converters.platforms.cim import render_cim
from converters.platforms.cloud.models import with_cloud
from converters.platforms.elastic import caseless_fields, render_elastic
from converters.platforms.microsoft import render_asim, render_defender
from converters.platforms.sysmon import WINDOWS_SOURCE, render_sigma, render_sysmon

SYSMON_SOURCE = WINDOWS_SOURCE
SYSMON_SOURCETYPE = "XmlWinEventLog"


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
SIGMA = PlatformModel("sigma", render_sigma)
# the targets that also read cloud audit data render those events from the cloud facts
SYSMON = PlatformModel("sysmon", with_cloud(render_sysmon, "splunk"))
CIM = PlatformModel("cim", with_cloud(render_cim, "cim"))
DEFENDER = PlatformModel("defender", with_cloud(render_defender, "defender"))
ASIM = PlatformModel("asim", with_cloud(render_asim, "sentinel"))

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


__all__ = ["Activity", "basename", "get", "render", "render_events", "PlatformModel", "MODELS", "PLATFORMS",
           "ELASTIC", "SYSMON", "SIGMA", "CIM", "DEFENDER", "ASIM", "SYSMON_SOURCE", "caseless_fields",
           "render_elastic"]

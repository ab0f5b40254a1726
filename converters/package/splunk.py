"""A Splunk app for the Splunk targets: `<target>/<app>/` with one saved search per rule.

    <app>/default/app.conf            the app (app.conf.spec: [install], [ui], [launcher], [package])
    <app>/default/savedsearches.conf  one stanza per rule (savedsearches.conf.spec)
    <app>/metadata/default.meta       permissions (default.meta.conf.spec): readable by all, shared

Each stanza is a scheduled alert and an Enterprise Security correlation
search, with the keys ES reads (as Splunk's own content packs write them):
* schedule: `cron_schedule` from the rule's interval, `dispatch.earliest_time`
  from its look-back (`from`), `dispatch.latest_time = now`;
* alerting: triggered when the search returns any event, one alert per run,
  tracked, `alert.severity` from the rule's severity;
* ES: `action.correlationsearch.*` (label, MITRE ATT&CK annotations),
  `action.notable.*` (title, description, security domain, severity),
  `action.risk.*` (risk-based alerting: the rule's risk score on each risk
  object the search results carry).
The notes that concern the target are comments above the stanza.
"""

from __future__ import annotations

import json
from pathlib import PurePosixPath

from converters import __version__
from converters.package import conf, schedule
from converters.package.attack import mapping
from converters.package.model import ArtifactError, Context, Entry, Format, Packaged, note, notes_for, unique

# Splunk alert.severity: 1 debug, 2 info, 3 warn, 4 error, 5 severe, 6 fatal (savedsearches.conf.spec)
ALERT_SEVERITY = {"low": 3, "medium": 4, "high": 5, "critical": 6}
# ES notable severities: informational, low, medium, high, critical
NOTABLE_SEVERITY = {"low": "low", "medium": "medium", "high": "high", "critical": "critical"}

# The fields a search's results carry that name a risk object, by the data the search reads
# (the emit pipeline's `data_model_set`; None: Sysmon events as the Splunk Add-on for Sysmon
# extracts them, where `host` is Splunk's own host field and `User` Sysmon's DOMAIN\name).
RISK_OBJECTS = {
    None: (("host", "system"), ("User", "user")),
    # tstats by-fields of the CIM Endpoint.Processes search: the user, and no host field
    "Endpoint.Processes": (("Processes.user", "user"),),
}


def app_name(ctx: Context) -> str:
    return ctx.settings.get("app") or "ruleport_" + ctx.target.name.replace("-", "_")


def _search_lines(query: str) -> str:
    """The search with no physical line ending in a backslash (SPL reads a line break between
    pipeline stages as a space, so such a line is joined to the next)."""
    lines: list[str] = []
    for line in query.split("\n"):
        if lines and lines[-1].endswith("\\"):
            lines[-1] += " " + line
        else:
            lines.append(line)
    if lines[-1].endswith("\\"):
        raise ArtifactError("the search ends with a backslash, which savedsearches.conf reads as a line "
                            "continuation", code="package/conf-backslash")
    return "\n".join(lines)


def _one_line(text: str) -> str:
    return " ".join(text.split())


class SplunkApp(Format):
    name = "splunk-app"
    description = "a Splunk app: savedsearches.conf (scheduled alerts, ES correlation searches, RBA)"

    def entry(self, item: Packaged, ctx: Context) -> Entry:
        meta, extra = item.meta, []
        every = meta.interval_seconds
        if every is None:
            extra.append(note("package/schedule", f"interval {meta.interval!r} is not <n><s|m|h|d>: every 5m",
                              item.target))
            every = 300
        cron, actual, why = schedule.splunk_cron(every)
        if why:
            extra.append(note("package/schedule", f"interval {meta.interval}: {why}", item.target))
        lookback = meta.lookback_seconds
        if lookback is None:
            extra.append(note("package/lookback", f"from {meta.lookback!r} is not now-<n><unit>: the search "
                              f"looks back one interval", item.target))
            lookback = actual
        if lookback > actual:
            extra.append(note("package/lookback-overlap",
                              f"each run looks back {schedule.format_duration(lookback)} every "
                              f"{schedule.format_duration(actual)} (the rule's `from`): an event in the overlap is "
                              "seen by two runs; Kibana de-duplicates those alerts, a saved search does not",
                              item.target))
        attack = mapping(meta)
        risk_fields = RISK_OBJECTS.get(item.state.get("data_model_set"), RISK_OBJECTS[None])
        score = meta.risk_score if meta.risk_score is not None else 50
        risk = [{"risk_object_field": f, "risk_object_type": t, "risk_score": score} for f, t in risk_fields]
        subjects = " ".join(f"${f}$" for f, _ in risk_fields)
        if not any(kind == "system" for _, kind in risk_fields):
            extra.append(note("package/risk-object", "the search's results name no host: risk goes to "
                              + ", ".join(f for f, _ in risk_fields) + " only", item.target))
        try:
            search = _search_lines(item.query)
            conf.value_lines(search)
        except conf.ConfError as exc:
            raise ArtifactError(exc.message, code="package/conf-backslash") from None
        severity = meta.severity if meta.severity in ALERT_SEVERITY else "medium"
        pairs = [
            ("description", _one_line(meta.description) or meta.name),
            ("search", search),
            ("disabled", "0" if ctx.enabled else "1"),
            ("enableSched", "1"),
            ("cron_schedule", cron),
            ("dispatch.earliest_time", schedule.splunk_relative(lookback)),
            ("dispatch.latest_time", "now"),
            ("counttype", "number of events"),
            ("relation", "greater than"),
            ("quantity", "0"),
            ("alert.track", "1"),
            ("alert.digest_mode", "1"),
            ("alert.suppress", "0"),
            ("alert.severity", str(ALERT_SEVERITY[severity])),
            ("action.correlationsearch.enabled", "1"),
            ("action.correlationsearch.label", meta.name),
            ("action.correlationsearch.annotations", json.dumps({"mitre_attack": list(attack.ids)})),
            ("action.notable", "1"),
            ("action.notable.param.rule_title", meta.name),
            ("action.notable.param.rule_description", _one_line(meta.description) or meta.name),
            ("action.notable.param.security_domain", ctx.settings.get("security_domain", "endpoint")),
            ("action.notable.param.severity", NOTABLE_SEVERITY[severity]),
            ("action.risk", "1"),
            ("action.risk.param._risk", json.dumps(risk)),
            ("action.risk.param._risk_score", "0"),  # the scores are per risk object, in _risk
            ("action.risk.param._risk_message", f"{meta.name}: {subjects}"),
            ("action.risk.param.verbose", "0"),
        ]
        if attack.problems:
            extra.append(note("package/attack", "; ".join(attack.problems), item.target))
        return Entry(item, pairs, extra)

    def files(self, entries: list[Entry], ctx: Context) -> dict[str, str]:
        if not entries:
            return {}
        app = PurePosixPath(app_name(ctx))
        names = unique([e.item.meta.name or e.item.path for e in entries])
        stanzas = []
        for name, e in zip(names, entries):
            if name != e.item.meta.name:  # ES lists correlation searches by label: keep them apart too
                e.data = [(k, name if k in ("action.correlationsearch.label", "action.notable.param.rule_title")
                           else v) for k, v in e.data]
            comments = [f"{e.item.path} (Elastic rule {e.item.meta.rule_id})"]
            comments += [f"{n.code}{f' [{n.field}]' if n.field else ''}: {_one_line(n.message)}"
                         for n in notes_for(e.item) + e.notes]
            stanzas.append((name, e.data, comments))
        header = [f"Generated by ruleport {__version__} for the {ctx.target.name} target; do not edit by hand.",
                  f"Data: {ctx.target.data}"]
        label = f"ruleport detections ({ctx.target.name})"
        app_conf = conf.render([
            ("install", [("is_configured", "0"), ("state", "enabled")], []),
            ("ui", [("is_visible", "0"), ("label", label)], []),
            ("launcher", [("author", "ruleport"), ("version", __version__),
                          ("description", f"Saved searches generated by ruleport from Elastic detection rules "
                                          f"({ctx.target.description})")], []),
            ("package", [("id", str(app)), ("check_for_updates", "0")], []),
        ], header[:1])
        meta = conf.render([
            ("", [("access", "read : [ * ], write : [ admin ]"), ("export", "system")], []),
            ("savedsearches", [("owner", "admin")], []),
        ], header[:1])
        return {
            str(app / "default" / "app.conf"): app_conf,
            str(app / "default" / "savedsearches.conf"): conf.render(stanzas, header),
            str(app / "metadata" / "default.meta"): meta,
        }

"""Deployment settings and user pipelines as pySigma processing pipelines for one target.

The target's own pipeline (converters.emit.pipelines) writes the query for the
data ruleport models and proves; a deployment names its own data. Settings
change the query through pipeline state and a field mapping applied after the
target's pipeline (priority SETTINGS_PRIORITY), so the target's checks run
on the names they know and the deployment's names come last:

    fields                  target field name -> the deployment's name (FieldMappingTransformation)
    index (esql)            the FROM clause
    index, sourcetype,      the Splunk base search (macro replaces source); the EventCode of each
    source, macro (spl)     data model stays: it selects the kind of event, not where the data lives
    table (kusto)           the table or parser the query reads

Every setting applied is a note on the target. User pipelines (`--pipeline
FILE`, pySigma YAML as sigma-cli's `-p` takes) are merged by priority with
the target's, as sigma-cli merges them; ruleport cannot tell what they change,
which its note says.
"""

from __future__ import annotations

import difflib
from pathlib import Path

from converters.emit.backend_splunk import base_search
from converters.emit.transforms import StaticNote
from converters.errors import UsageError
from converters.load.settings import Settings
from sigma.exceptions import SigmaError
from sigma.processing.pipeline import ProcessingItem, ProcessingPipeline
from sigma.processing.transformations import FieldMappingTransformation, SetStateTransformation

SETTINGS_PRIORITY = 100  # after the targets' own pipelines (20) and sigma-cli's usual 10..50


def check_settings(settings: Settings, targets: dict) -> None:
    """Every [targets.<name>] names a target and only settings that target takes (SettingsError)."""
    for name, table in settings.targets.items():
        spec = targets.get(name)
        if spec is None:
            close = difflib.get_close_matches(name, list(targets), n=1)
            hint = f" (did you mean {close[0]}?)" if close else ""
            raise settings.error(f"{settings.key('targets', name)}: no such target{hint}; "
                                 f"known targets: {', '.join(targets)}", "targets", name)
        for key in table:
            if key not in spec.settings:
                takes = ", ".join(spec.settings) or "none"
                raise settings.error(f"{settings.key('targets', name, key)}: not a setting of {name} "
                                     f"(its settings: {takes})", "targets", name, key)


def _indexes(value) -> list[str]:
    return [value] if isinstance(value, str) else list(value)


_SPLUNK_KEYS = ("index", "macro", "sourcetype", "source")


def splunk_base_search(settings: dict) -> str:
    """The deployment's part of the Splunk base search (each data model adds its EventCode)."""
    return base_search([], {k: settings[k] for k in _SPLUNK_KEYS if k in settings})


def _item(transformation, ident: str) -> ProcessingItem:
    return ProcessingItem(transformation=transformation, identifier=f"ruleport_settings_{ident}")


def settings_pipeline(target, settings: dict, source: str | None) -> ProcessingPipeline | None:
    """The processing items a target's settings call for, or None when they change no query."""
    where = f" (deployment settings, {source})" if source else " (deployment settings)"
    items = []
    fields = settings.get("fields") if "fields" in target.settings else None
    if fields:
        items.append(_item(FieldMappingTransformation(dict(fields)), "fields"))
        pairs = ", ".join(f"{k} -> {v}" for k, v in fields.items())
        items.append(_item(StaticNote("package/settings", f"fields renamed for the deployment: {pairs}{where}"),
                           "fields_note"))
    if target.language == "esql" and settings.get("index"):
        index = ", ".join(_indexes(settings["index"]))
        items.append(_item(SetStateTransformation("index", index), "index"))
        items.append(_item(StaticNote("package/settings", f"FROM {index}{where}"), "index_note"))
    if target.language == "spl" and "sourcetype" in target.settings and any(
            k in settings for k in ("index", "sourcetype", "source", "macro")):
        chosen = {k: settings[k] for k in _SPLUNK_KEYS if k in settings}
        items.append(_item(SetStateTransformation("base_search_settings", chosen), "base_search"))
        items.append(_item(StaticNote("package/settings", f"base search `{splunk_base_search(settings)}` before "
                                      f"each data model's EventCode{where}"), "base_note"))
    if target.language == "kusto" and settings.get("table"):
        items.append(_item(SetStateTransformation("query_table", settings["table"]), "table"))
        items.append(_item(StaticNote("package/settings", f"the query reads {settings['table']}{where}"),
                           "table_note"))
    if not items:
        return None
    return ProcessingPipeline(name="ruleport deployment settings", priority=SETTINGS_PRIORITY, items=items)


class UserPipelines:
    """Pipeline files as sigma-cli's `-p` takes them, read once; `build()` makes one set per target
    (a pySigma pipeline's items are bound to the backend that combines them)."""

    def __init__(self, paths: list[str]):
        self.sources: list[tuple[str, str]] = []
        for path in paths:
            try:
                text = Path(path).read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError) as exc:
                raise UsageError(f"--pipeline {path}: cannot read it: {exc}") from None
            self.sources.append((path, text))
            self._parse(path, text)  # fail now, once, rather than for every rule

    @staticmethod
    def _parse(path: str, text: str) -> ProcessingPipeline:
        try:
            pipeline = ProcessingPipeline.from_yaml(text)
        except SigmaError as exc:
            raise UsageError(f"--pipeline {path}: not a pySigma processing pipeline: {exc}") from None
        except Exception as exc:  # YAML errors surface as several types
            raise UsageError(f"--pipeline {path}: not a pySigma processing pipeline: {exc}") from None
        note = StaticNote("package/user-pipeline", f"the pipeline {path} (priority {pipeline.priority}) was "
                          "applied: ruleport does not check what it changes")
        pipeline.items.insert(0, ProcessingItem(transformation=note, identifier="ruleport_user_pipeline_note"))
        return pipeline

    def build(self) -> list[ProcessingPipeline]:
        return [self._parse(path, text) for path, text in self.sources]


def extra_pipelines(targets: dict, settings: Settings, user: UserPipelines):
    """A function: target name -> the pipelines to add to that target's own, built once per target
    and the same objects on every call (emit keeps one backend per target and extra pipelines)."""
    built: dict[str, tuple] = {}

    def for_target(name: str) -> tuple:
        if name not in built:
            spec = targets[name]
            own = settings_pipeline(spec, settings.for_target(name), settings.source) if spec.backend else None
            # the Sigma rule itself takes no pipeline
            built[name] = (tuple(user.build()) + ((own,) if own else ())) if spec.backend else ()
        return built[name]
    return for_target

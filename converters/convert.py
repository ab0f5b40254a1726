"""Convert one rule file to Sigma and every requested target.

The stage the `convert` command and the proof harness share: load,
translate, then emit per target, collecting notes and per-target errors
so that one failing target (or rule) never stops the others.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

from converters.batch import run_batch
from converters.errors import RuleportError
from converters.load import RuleFile, RuleMeta, load_rule, rule_meta
from converters.notes import Note
from converters.translate import translate_rule


# below this many rules, starting worker processes costs more than it saves
PARALLEL_THRESHOLD = 16


@dataclass
class Conversion:
    path: str
    outputs: dict[str, str] = field(default_factory=dict)
    notes: list[Note] = field(default_factory=list)
    errors: list[dict] = field(default_factory=list)
    meta: RuleMeta | None = None                              # what the rule says about itself
    states: dict[str, dict] = field(default_factory=dict)     # per target: the plain data of the pipelines' state

    def as_dict(self) -> dict:
        return {
            "path": self.path,
            "rule": self.meta.as_dict() if self.meta else None,
            "outputs": self.outputs,
            "notes": [n.as_dict() for n in self.notes],
            "errors": self.errors,
        }


def _error(target: str | None, exc: RuleportError) -> dict:
    """A refusal: its code and message, and where (the file line; `within` the position inside the
    query, "query line 2, column 5", as `ruleport validate` reports the same place)."""
    error = {"target": target, "code": exc.code, "message": exc.message, "line": exc.line}
    if exc.within:
        error["within"] = exc.within
    return error


def convert_file(path, display_path: str, targets: list[str],
                 extra_pipelines: Callable[[str], tuple] | None = None) -> Conversion:
    """Load one rule file, translate it, then emit it for each target (in the given order)."""
    try:
        rule_file = load_rule(path, display_path)
    except RuleportError as exc:
        result = Conversion(display_path)
        result.errors.append(_error(None, exc))
        return result
    return convert_rule(rule_file, targets, extra_pipelines)


def convert_rule(rule_file: RuleFile, targets: list[str],
                 extra_pipelines: Callable[[str], tuple] | None = None) -> Conversion:
    """Translate a loaded rule, then emit it for each target (in the given order).

    `extra_pipelines(target)`: more processing pipelines for that target (deployment
    settings, user pipelines), as `ruleport package` passes them."""
    result = Conversion(rule_file.path, meta=rule_meta(rule_file.rule, rule_file.metadata))
    try:
        translation = translate_rule(rule_file)
    except RuleportError as exc:
        result.errors.append(_error(None, exc))
        return result
    result.notes.extend(translation.notes)
    for target in targets:
        if target == "sigma":
            result.outputs["sigma"] = translation.sigma_yaml
            continue
        from converters.emit import emit  # emit loads pySigma backends: only when a SIEM target is asked for

        try:
            emitted = emit(translation.sigma_yaml, target, extra_pipelines(target) if extra_pipelines else (),
                           translation.documents)
        except RuleportError as exc:
            result.errors.append(_error(target, exc))
            continue
        result.outputs[target] = "\n".join(emitted.queries)
        result.notes.extend(emitted.notes)
        result.states[target] = {k: v for k, v in emitted.state.items() if k in PACKAGED_STATE and _plain(v)}
    return result


#: the pipeline state the artifact writers read (converters/package): the rest of a state is the
#: pipelines' working data, large and not needed once the query is written
PACKAGED_STATE = frozenset({"index", "query_table", "data_model_set"})


def _plain(value) -> bool:
    """Plain data (what the artifact writers read: query_table, index, data_model_set...). The
    pipelines' own objects in the state (a chosen data model and its rewrite functions) stay
    behind: they cannot be pickled back from `--jobs` workers, and the result must not depend on
    the number of jobs."""
    if value is None or isinstance(value, (str, int, float, bool)):
        return True
    if isinstance(value, (list, tuple, set, frozenset)):
        return all(_plain(v) for v in value)
    if isinstance(value, dict):
        return all(_plain(k) and _plain(v) for k, v in value.items())
    return False


# the extra pipelines of a convert_files run: set before the workers fork, so they inherit them
# (pipelines do not travel through pickling)
_EXTRA: Callable[[str], tuple] | None = None


def _convert_one(item: tuple) -> Conversion:
    path, display, targets = item
    try:
        return convert_file(path, display, targets, _EXTRA)
    except Exception as exc:  # a bug on one rule must not stop the others: reported as its error
        result = Conversion(display)
        result.errors.append({"target": None, "code": "ruleport/internal",
                              "message": f"internal error: {type(exc).__name__}: {exc}"})
        return result


def convert_files(files: list[tuple[str, str]], targets: list[str], jobs: int = 1,
                  progress: Callable[[], None] | None = None,
                  extra_pipelines: Callable[[str], tuple] | None = None) -> list[Conversion]:
    """convert_file for each (file, display path), in order; over `jobs` worker processes when
    there are enough rules for it to pay. The result is the same whatever `jobs` is."""
    global _EXTRA
    _EXTRA = extra_pipelines
    work = [(f, d, targets) for f, d in files]
    return run_batch(_convert_one, work, jobs, min_parallel=PARALLEL_THRESHOLD, chunksize=8,
                     warm=lambda: prepare(targets), progress=progress)


def prepare(targets: list[str]) -> None:
    """Build what converting any rule reads (the EQL parser, each target's backend and pipelines)
    now: before a batch forks its workers, so that they inherit it."""
    from converters.eql import warm

    warm()
    siem = [t for t in targets if t != "sigma"]
    if siem:  # pySigma and the backends load only when a SIEM target is asked for
        from converters.emit import prepare as prepare_targets

        prepare_targets(siem)

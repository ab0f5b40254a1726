"""`ruleport package`: every rule through convert, then each target's formats, written atomically.

One rule's failure (load, translation, emission, or a format that cannot
carry it) is reported for that rule and target and never stops the others.
Files are laid out per target under DIR:

    DIR/<target>/...            the target's formats (see each writer)
    DIR/navigator/<target>.json the ATT&CK techniques the target's packaged rules cover
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Callable

from converters.convert import Conversion, convert_files
from converters.emit.targets import TARGETS
from converters.errors import RuleportError
from converters.files import write_output
from converters.load import iter_rule_paths
from converters.load.settings import Settings
from converters.notes import Note
from converters.package import FORMATS, navigator
from converters.package.deployment import UserPipelines, check_settings, extra_pipelines
from converters.package.model import Context, Entry, Packaged


@dataclass
class RuleResult:
    path: str
    meta: dict | None = None
    packaged: list[str] = field(default_factory=list)        # targets whose every format took the rule
    errors: list[dict] = field(default_factory=list)
    notes: list[Note] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {"path": self.path, "rule": self.meta, "packaged": self.packaged, "errors": self.errors,
                "notes": [n.as_dict() for n in self.notes]}


@dataclass
class PackageResult:
    rules: list[RuleResult] = field(default_factory=list)
    written: list[str] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)     # target -> rules packaged
    settings: str | None = None

    @property
    def failed(self) -> bool:
        return any(r.errors for r in self.rules)

    def as_dict(self) -> dict:
        return {"settings": self.settings, "rules": [r.as_dict() for r in self.rules],
                "packaged": self.counts, "written": self.written}


def _relative(arg: str, display: str) -> PurePosixPath:
    if Path(arg).is_dir():
        return PurePosixPath(*Path(os.path.relpath(display, arg)).parts)
    return PurePosixPath(Path(display).name)


def _error(target: str | None, exc: RuleportError) -> dict:
    message = f"line {exc.line}: {exc.message}" if exc.line else exc.message
    return {"target": target, "code": exc.code, "message": message}


def _internal(target: str | None, exc: Exception) -> dict:
    return {"target": target, "code": "ruleport/internal", "message": f"internal error: {type(exc).__name__}: {exc}"}


def package(paths: list[str], out: str, targets: list[str], settings: Settings,
            pipeline_files: list[str] = (), jobs: int = 1,
            progress: Callable[[], None] | None = None) -> PackageResult:
    check_settings(settings, TARGETS)
    user = UserPipelines(list(pipeline_files))
    extra = extra_pipelines(TARGETS, settings, user)
    contexts = {t: Context(TARGETS[t], settings.for_target(t), settings.source) for t in targets}
    entries: dict[tuple[str, str], list[Entry]] = {(t, f): [] for t in targets for f in TARGETS[t].artifacts}
    covered: dict[str, list[Packaged]] = {t: [] for t in targets}
    result = PackageResult(settings=settings.source)
    found = [(str(path), display, arg) for arg in paths for path, display in iter_rule_paths(arg)]
    # the Sigma rule is always kept: formats read it (a correlation is not a query rule)
    conversions = convert_files([(p, d) for p, d, _ in found], list(dict.fromkeys(["sigma", *targets])),
                                jobs=jobs, progress=progress, extra_pipelines=extra)
    for (_path, display, arg), conversion in zip(found, conversions):
        outcome = RuleResult(display)
        result.rules.append(outcome)
        outcome.meta = conversion.meta.as_dict() if conversion.meta else None
        outcome.errors += conversion.errors
        outcome.notes += conversion.notes
        rel = _relative(arg, display)
        for target in targets:
            if target in conversion.outputs:
                item = _packaged(conversion, rel, target)
                if _lay_out(item, contexts[target], entries, outcome):
                    covered[target].append(item)
                    outcome.packaged.append(target)
    out_dir = Path(out)
    for target in targets:
        ctx = contexts[target]
        files: dict[str, str] = {}
        for fmt in TARGETS[target].artifacts:
            for rel, text in FORMATS[fmt].files(entries[(target, fmt)], ctx).items():
                files[f"{target}/{rel}"] = text
        files[f"navigator/{target}.json"] = navigator.layer_text(TARGETS[target], covered[target])
        for rel, text in files.items():
            dest = out_dir / rel
            write_output(dest, text)
            result.written.append(str(dest))
        result.counts[target] = len(covered[target])
    return result


def _packaged(conversion: Conversion, rel: PurePosixPath, target: str) -> Packaged:
    return Packaged(path=conversion.path, rel=rel, meta=conversion.meta, target=target,
                    query=conversion.outputs[target], sigma_yaml=conversion.outputs["sigma"],
                    state=conversion.states.get(target, {}),
                    notes=[n for n in conversion.notes if n.target in (None, target)])


def _lay_out(item: Packaged, ctx: Context, entries: dict, outcome: RuleResult) -> bool:
    """Every format of the target takes the rule, or none does (a rule half-deployed is worse)."""
    made = []
    for fmt in ctx.target.artifacts:
        try:
            made.append((fmt, FORMATS[fmt].entry(item, ctx)))
        except RuleportError as exc:
            outcome.errors.append(_error(item.target, exc))
            return False
        except Exception as exc:  # a writer's bug on one rule: that rule's error, not a crash
            outcome.errors.append(_internal(item.target, exc))
            return False
    for fmt, entry in made:
        entries[(item.target, fmt)].append(entry)
        outcome.notes += [n for n in entry.notes if n not in outcome.notes]
    return True

"""emit(): one Sigma rule (YAML text) to the queries of one target.

Speed (the corpus runs this path for every rule and target): the YAML of
the last rule is parsed once, with libyaml, into plain dicts (or not at
all: the translator hands over the dicts its text was written from), and each
target builds its pySigma rule from those dicts (pipelines rewrite rules in
place, so each target needs its own; building from dicts costs a twentieth
of parsing YAML). Each target's backend and pipeline are built once per
process and reused: pySigma combines the pipeline afresh, with a fresh
state, for every conversion. Extra pipelines (`ruleport package`'s deployment
settings and user pipeline files) get a backend of their own, kept for as
long as the caller passes the same pipeline objects.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache

from converters.emit.errors import EmitError
from converters.emit.targets import TARGETS
from converters.emit.transforms import NOTES_KEY
from converters.notes import Note


@dataclass
class Emitted:
    target: str
    queries: list[str]
    notes: list[Note] = field(default_factory=list)
    # what the pipelines decided beyond the query text (index, query_table, base_search, ...):
    # the deployable artifacts read it (e.g. a Kibana rule's `index`)
    state: dict = field(default_factory=dict)


@lru_cache(maxsize=4)
def _documents(sigma_yaml: str) -> tuple:
    """The YAML documents of a Sigma rule (or of a correlation and its base rules), as pySigma reads them."""
    import yaml

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # the same SafeConstructor, libyaml's parser
    return tuple(yaml.load_all(sigma_yaml, Loader=loader))


_BACKENDS: dict[tuple, tuple] = {}


def _backend(spec, extra: tuple = ()):
    """The target's backend, with `extra` pipelines merged into its own by priority (as sigma-cli
    merges pipelines; ties keep the target's first). Kept per target and per extra pipeline objects
    (held in the cache, so their ids stay theirs)."""
    key = (spec.name, *map(id, extra))
    cached = _BACKENDS.get(key)
    if cached is None:
        pipeline = spec.build_pipeline()
        if extra:
            ordered = sorted([pipeline, *extra], key=lambda p: p.priority)
            pipeline = sum(ordered[1:], ordered[0])
        cached = _BACKENDS[key] = (spec.backend(pipeline), extra)
    return cached[0]


def prepare(targets) -> None:
    """Build the named targets' backends and pipelines now (before a batch forks its workers),
    not on their first rule."""
    for name in targets:
        spec = TARGETS.get(name)
        if spec is not None and spec.backend:
            _backend(spec)


def emit(sigma_yaml: str, target: str, extra_pipelines: tuple = (), documents: tuple | None = None) -> Emitted:
    """Convert `sigma_yaml` for `target`; raise EmitError when it cannot be expressed.

    `extra_pipelines`: more pySigma processing pipelines for this target; pass the same objects
    for every rule (their backend is built once and kept). `documents`: the YAML documents of
    `sigma_yaml` as plain data, when the caller has them (Translation.documents): the same rule,
    without parsing the text."""
    spec = TARGETS.get(target)
    if spec is None:
        raise EmitError(f"unknown target {target!r} (known: {', '.join(TARGETS)})", code="emit/unknown-target")
    if not spec.backend:
        return Emitted(target, [sigma_yaml], [])

    from sigma.exceptions import SigmaError

    try:
        collection = _collection(documents if documents is not None else _documents(sigma_yaml))
    except SigmaError as exc:
        raise EmitError(f"not a valid Sigma rule: {exc}", code="emit/sigma-invalid") from None
    except Exception as exc:  # YAML errors surface as various types
        raise EmitError(f"not a valid Sigma rule: {exc}", code="emit/sigma-invalid") from None
    backend = _backend(spec, tuple(extra_pipelines))
    try:
        queries = backend.convert(collection)
    except EmitError as exc:
        raise EmitError(f"{target}: {exc.message}", code=exc.code) from None
    except SigmaError as exc:
        raise EmitError(f"{target}: {exc}", code="emit/unsupported") from None
    except NotImplementedError as exc:
        raise EmitError(f"{target}: {exc}", code="emit/unsupported") from None
    except (TypeError, ValueError, LookupError, AttributeError) as exc:
        # a rule shape a pySigma backend does not expect: one rule's failure, not a crash
        raise EmitError(f"{target}: cannot convert this rule ({type(exc).__name__}: {exc})",
                        code="emit/backend-error") from exc
    state = backend.last_processing_pipeline.state
    return Emitted(target, [str(q) for q in queries], _collect_notes(backend, target),
                   {k: v for k, v in state.items() if k != NOTES_KEY})


#: the last rule's documents and the pySigma rule built from them, kept unconverted: each target
#: converts a copy of it (converters/emit/rule_copy.py)
_LAST: list = [None, None]


def _collection(docs: tuple):
    """A pySigma collection of `docs` for one target to convert (and rewrite) as its own."""
    from sigma.collection import SigmaCollection

    from converters.emit.rule_copy import copy_collection, copyable

    if _LAST[0] is not docs:
        # pySigma may rewrite the dicts it is given: it reads a copy
        built = SigmaCollection.from_dicts([_copy(d) for d in docs])
        if not copyable(built):
            return built
        _LAST[:] = [docs, built]
    return copy_collection(_LAST[1])


def _copy(value):
    """A copy of YAML data (dicts, lists and immutable scalars): deepcopy's memo is not needed."""
    if isinstance(value, dict):
        return {k: _copy(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_copy(v) for v in value]
    return value


def _collect_notes(backend, target: str) -> list[Note]:
    # one channel: pipelines and backends alike record their notes in the pipeline state
    found = backend.last_processing_pipeline.state.get(NOTES_KEY, ())
    return list(dict.fromkeys(Note(n.code, n.message, target=target, field=n.field, affects=n.affects)
                              for n in found))

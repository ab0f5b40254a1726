"""The Sigma rules in a SigmaHQ-style folder: `<target>/rules/<product>/<category>/<file>.yml`.

SigmaHQ files each rule under its log source (`rules/windows/process_creation/`)
and names the file with a prefix for that log source and the OS
(`proc_creation_win_...`), per its filename convention (SigmaHQ
`sigma-specification`, "Sigma rules filename convention"). Rules without a
category go under their service (or `generic`) and take the product as prefix.
Correlation rules (several YAML documents) go under `rules-correlation/`.
"""

from __future__ import annotations

import re
from pathlib import PurePosixPath

import yaml

from converters.package.model import ArtifactError, Context, Entry, Format, Packaged

# logsource category -> filename prefix (SigmaHQ filename convention)
CATEGORY_PREFIX = {
    "process_creation": "proc_creation", "file_event": "file_event", "network_connection": "net_connection",
    "registry_event": "registry_event", "registry_set": "registry_set", "image_load": "image_load",
    "dns_query": "dns_query", "file_delete": "file_delete", "process_access": "proc_access",
    "create_remote_thread": "create_remote_thread", "ps_script": "posh_ps", "file_access": "file_access",
}
PRODUCT_ABBREVIATION = {"windows": "win", "linux": "lnx", "macos": "macos"}


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_") or "rule"


def sigma_path(sigma_yaml: str, stem: str) -> PurePosixPath:
    docs = [d for d in yaml.safe_load_all(sigma_yaml) if isinstance(d, dict)]
    if not docs:
        raise ArtifactError("the Sigma rule is empty", code="package/sigma-invalid")
    if len(docs) > 1 or any("correlation" in d for d in docs):
        return PurePosixPath("rules-correlation") / f"{_slug(stem)}.yml"
    logsource = docs[0].get("logsource") or {}
    product = _slug(str(logsource.get("product") or "generic"))
    category = logsource.get("category")
    stem = _slug(stem)
    if category:
        parts = [CATEGORY_PREFIX.get(category, _slug(category))]
        if product in PRODUCT_ABBREVIATION:
            parts.append(PRODUCT_ABBREVIATION[product])
        folder = PurePosixPath("rules") / product / _slug(category)
    else:
        parts = [product]
        folder = PurePosixPath("rules") / product / _slug(str(logsource.get("service") or "generic"))
    prefix = "_".join(parts)
    name = stem if stem.startswith(prefix + "_") else f"{prefix}_{stem}"
    return folder / f"{name}.yml"


class SigmaFolder(Format):
    name = "sigma-folder"
    description = "the Sigma rules in a SigmaHQ-style folder (rules/<product>/<category>/)"

    def entry(self, item: Packaged, ctx: Context) -> Entry:
        try:
            path = sigma_path(item.sigma_yaml, PurePosixPath(item.rel).stem)
        except yaml.YAMLError as exc:
            raise ArtifactError(f"the Sigma rule is not YAML: {exc}", code="package/sigma-invalid") from None
        return Entry(item, path)

    def files(self, entries: list[Entry], ctx: Context) -> dict[str, str]:
        out: dict[str, str] = {}
        for e in entries:
            path = e.data
            n = 2
            while str(path) in out:  # two rules of one name in different folders
                path = e.data.with_name(f"{e.data.stem}_{n}.yml")
                n += 1
            out[str(path)] = e.item.sigma_yaml
        return out

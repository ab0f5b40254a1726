"""A conversion keeps only the pipeline state the packagers read (converters.convert.PACKAGED_STATE):
every key a packager asks for must be in it, or its artifact would silently lose that setting."""

from __future__ import annotations

import re

from converters.convert import PACKAGED_STATE
from tests.support import ROOT


def test_every_state_key_a_packager_reads_is_kept():
    read = set()
    for path in (ROOT / "converters" / "package").glob("*.py"):
        read |= set(re.findall(r"\bstate(?:\.get\(|\[)[\"']([a-z_]+)[\"']", path.read_text(encoding="utf-8")))
    assert read and read <= PACKAGED_STATE, read - PACKAGED_STATE

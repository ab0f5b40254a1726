"""The shipped seed rule is exactly the version given to the project."""

import hashlib

from tests.support import SEED_RULE


def test_seed_rule_bytes_are_pinned():
    data = SEED_RULE.read_bytes()
    assert len(data) == 6027
    assert hashlib.sha256(data).hexdigest() == "6c0fe6b9479bd6d0c5b98b6cef2730d308a98f2d55984f789118ca37ce46ad74"
    assert b"\r" not in data and data.endswith(b"\n")
    assert data.count(b"\n") == 117

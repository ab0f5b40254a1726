"""Cross-check against Elastic's own published rule API schemas, when ../shared carries them.

The schemas (elastic/detection-rules detection_rules/etc/api_schemas/9.5/, ELv2) are data kept
beside the checkout under ../shared/vendor-schemas/ rather than committed here; the always-run
checks use ruleport's schema written from them (tests/fixtures/package/kibana-rule-import.schema.json).
Without that folder this optional cross-check is skipped, in CI too: nothing the product needs is
missing then.
"""

import json

import jsonschema
import pytest

from converters.emit.targets import TARGETS
from converters.load.settings import Settings
from converters.package.run import package
from tests.support import SEED_RULE, SHARED

VENDOR = SHARED / "vendor-schemas" / "kibana"


@pytest.mark.skipif(not VENDOR.is_dir(), reason=f"{VENDOR} is absent (optional cross-check)")
def test_kibana_ndjson_meets_elastics_api_schemas(tmp_path):
    targets = [t for t in TARGETS if "kibana-ndjson" in TARGETS[t].artifacts]
    package([str(SEED_RULE)], str(tmp_path), targets, Settings())
    for target in targets:
        rule = json.loads((tmp_path / target / "rules.ndjson").read_text())
        schema = json.loads((VENDOR / f"9.5.{rule['type']}.json").read_text())
        assert [e.message for e in jsonschema.Draft4Validator(schema).iter_errors(rule)] == [], target

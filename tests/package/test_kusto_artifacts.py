"""The Kusto in the Sentinel and Defender artifacts is real Kusto (Microsoft's parser, with each table's
schema), and every column an artifact names is one its table documents."""

import json

import pytest
import yaml

from converters.load.settings import Settings
from converters.platforms.facts import kusto_schema
from converters.package.defender import ENTITY_COLUMNS, IMPACTED, REQUIRED_COLUMNS
from converters.platforms.cloud.models import kusto_schema as cloud_schema
from converters.package.run import package
from converters.package.sentinel import ENTITIES
from tests.kusto.test_microsoft_parser import kusto_check  # noqa: F401 - the fixture
from tests.support import SEED_RULE


@pytest.fixture(scope="module")
def artifacts(tmp_path_factory):
    out = tmp_path_factory.mktemp("kusto")
    package([str(SEED_RULE)], str(out), ["kusto-sentinel", "kusto-defender"], Settings())
    (sentinel,) = (out / "kusto-sentinel").rglob("*.yaml")
    (defender,) = (out / "kusto-defender").rglob("*.json")
    arm = json.loads((out / "kusto-sentinel" / "azuredeploy.json").read_text())
    return yaml.safe_load(sentinel.read_text()), json.loads(defender.read_text()), arm


def test_artifact_queries_parse(kusto_check, artifacts):  # noqa: F811
    sentinel, defender, arm = artifacts
    assert kusto_check([sentinel["query"], arm["resources"][0]["properties"]["query"]], "imProcessCreate") == [[], []]
    assert kusto_check([defender["queryCondition"]["queryText"]], "DeviceProcessEvents") == [[]]


def test_every_named_column_is_documented():
    for table, entities in ENTITIES.items():
        for _, fields in entities:
            for _, column in fields:
                assert column in {**kusto_schema("defender"), **kusto_schema("asim")}[table], (table, column)
    tables = {**kusto_schema("defender"), **cloud_schema("defender")}  # every Defender table ruleport queries
    for table, columns in tables.items():
        assert set(REQUIRED_COLUMNS) <= set(columns), table
        assert set(ENTITY_COLUMNS) & set(columns), table
    assert {col for _, _, col in IMPACTED} <= set(kusto_schema("defender")["DeviceProcessEvents"])

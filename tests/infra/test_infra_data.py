"""The tables are the pynamodb models' tables, protected and reachable only with item-level actions."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from typing import Any

from pynamodb.attributes import TTLAttribute
from pynamodb.models import Model

from functions.data.schema import TABLE_MODELS
from functions.settings import DEFAULT_PREFIX


def _key_schema(keys: list[dict[str, str]]) -> list[tuple[str, str]]:
    return sorted((key["AttributeName"], key["KeyType"]) for key in keys)


def _model_table(model: type[Model]) -> dict[str, Any]:
    """What the model declares, in the shape CloudFormation spells it."""
    schema = model._get_schema()
    indexes = {}
    for kind, entries in (
        ("GSI", schema["global_secondary_indexes"]),
        ("LSI", schema["local_secondary_indexes"]),
    ):
        for index in entries:
            indexes[index["index_name"]] = (
                kind,
                _key_schema(index["key_schema"]),
                index["projection"]["ProjectionType"],
                sorted(index["projection"].get("NonKeyAttributes", [])),
            )
    return {
        "keys": _key_schema(schema["key_schema"]),
        "attributes": sorted(
            (a["AttributeName"], a["AttributeType"]) for a in schema["attribute_definitions"]
        ),
        "indexes": indexes,
        "ttl": [
            name for name, attribute in model.get_attributes().items() if isinstance(attribute, TTLAttribute)
        ],
    }


def _template_table(properties: dict[str, Any]) -> dict[str, Any]:
    indexes = {}
    for kind, key in (("GSI", "GlobalSecondaryIndexes"), ("LSI", "LocalSecondaryIndexes")):
        for index in properties.get(key, []):
            indexes[index["IndexName"]] = (
                kind,
                _key_schema(index["KeySchema"]),
                index["Projection"]["ProjectionType"],
                sorted(index["Projection"].get("NonKeyAttributes", [])),
            )
    ttl = properties.get("TimeToLiveSpecification", {})
    return {
        "keys": _key_schema(properties["KeySchema"]),
        "attributes": sorted(
            (a["AttributeName"], a["AttributeType"]) for a in properties["AttributeDefinitions"]
        ),
        "indexes": indexes,
        "ttl": [ttl["AttributeName"]] if ttl.get("Enabled") else [],
    }


def _table_name(synthesized, model: type[Model]) -> str:
    return synthesized.config.name(model.Meta.table_name.removeprefix(f"{DEFAULT_PREFIX}-"))


def test_given_the_models_when_synthesized_then_each_table_has_the_models_keys_indexes_and_ttl(synthesized):
    tables = synthesized.of_type("AWS::DynamoDB::Table")

    assert len(tables) == len(TABLE_MODELS)
    for model in TABLE_MODELS:
        _, properties = synthesized.named(
            "AWS::DynamoDB::Table", "TableName", _table_name(synthesized, model)
        )
        assert _template_table(properties) == _model_table(model), model.__name__


def test_given_production_when_synthesized_then_tables_are_on_demand_recoverable_and_protected(synthesized):
    for body in synthesized.of_type("AWS::DynamoDB::Table").values():
        properties = body["Properties"]
        assert properties["BillingMode"] == "PAY_PER_REQUEST"
        assert properties["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"] is True
        assert properties["TimeToLiveSpecification"]["Enabled"] is True
        assert properties["DeletionProtectionEnabled"] is True
        assert body["DeletionPolicy"] == "Retain"


def test_given_the_table_variables_infra_sets_when_models_load_then_they_name_the_stacks_tables(synthesized):
    tables = synthesized.of_type("AWS::DynamoDB::Table")
    # Each function gets only the variables of the tables it uses; together they name every table.
    variables = {
        name: tables[value["Ref"]]["Properties"]["TableName"]
        for function in synthesized.of_type("AWS::Lambda::Function").values()
        for name, value in function["Properties"].get("Environment", {}).get("Variables", {}).items()
        if name.endswith("_TABLE_NAME")
    }
    script = (
        "import json; from functions.data.schema import TABLE_MODELS; "
        "print(json.dumps({m.__name__: m.Meta.table_name for m in TABLE_MODELS}))"
    )
    environment = {k: v for k, v in os.environ.items() if not k.endswith("_TABLE_NAME")} | variables

    result = subprocess.run(
        [sys.executable, "-c", script], env=environment, capture_output=True, text=True, check=True
    )

    names = json.loads(result.stdout)
    assert set(names.values()) == {body["Properties"]["TableName"] for body in tables.values()}
    for model in TABLE_MODELS:
        assert names[model.__name__] == _table_name(synthesized, model)


def _touches_a_table(resources: Any, table_ids: set[str]) -> bool:
    text = json.dumps(resources)
    return any(f'"{table_id}"' in text for table_id in table_ids) or ":dynamodb:" in text


def test_given_every_iam_statement_when_it_names_a_table_then_its_actions_are_specific_item_actions(
    synthesized,
):
    table_ids = set(synthesized.of_type("AWS::DynamoDB::Table"))
    touching = [
        (owner, statement)
        for owner, statement in synthesized.statements()
        if _touches_a_table(statement.get("Resource"), table_ids)
    ]

    assert touching, "no statement grants access to a table"
    for owner, statement in touching:
        actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
        assert all(action.startswith("dynamodb:") and "*" not in action for action in actions), (
            owner,
            actions,
        )
        assert "NotAction" not in statement and "NotResource" not in statement, owner


def test_given_the_reports_bucket_when_synthesized_then_it_is_private_encrypted_ssl_only_and_expires(
    synthesized,
):
    (logical_id,) = [
        name for name in synthesized.of_type("AWS::S3::Bucket") if name.startswith("DataReports")
    ]
    properties = synthesized.resources[logical_id]["Properties"]
    (policy,) = [
        body["Properties"]["PolicyDocument"]
        for body in synthesized.of_type("AWS::S3::BucketPolicy").values()
        if body["Properties"]["Bucket"] == {"Ref": logical_id}
    ]

    assert properties["PublicAccessBlockConfiguration"] == {
        "BlockPublicAcls": True,
        "BlockPublicPolicy": True,
        "IgnorePublicAcls": True,
        "RestrictPublicBuckets": True,
    }
    encryption = properties["BucketEncryption"]["ServerSideEncryptionConfiguration"][0]
    assert encryption["ServerSideEncryptionByDefault"]["SSEAlgorithm"] == "AES256"
    assert any(
        statement["Effect"] == "Deny" and statement["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
        for statement in policy["Statement"]
    )
    (rule,) = properties["LifecycleConfiguration"]["Rules"]
    assert rule["ExpirationInDays"] == synthesized.config.retention_days
    assert synthesized.resources[logical_id]["DeletionPolicy"] == "Retain"

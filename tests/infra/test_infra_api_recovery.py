"""Releasing parked items makes the API write platform records: read and update, on that table only."""

from __future__ import annotations

import json
from typing import Any

from infra.constructs.data import READ_ACTIONS


def _platform_table_id(synthesized) -> str:
    (logical_id,) = [
        logical_id
        for logical_id, body in synthesized.of_type("AWS::DynamoDB::Table").items()
        if body["Properties"]["TableName"] == synthesized.config.name("platform")
    ]
    return logical_id


def _actions(statement: dict[str, Any]) -> list[str]:
    action = statement["Action"]
    return action if isinstance(action, list) else [action]


def test_given_the_api_role_when_synthesized_then_it_reads_and_updates_platform_records_and_never_puts(
    synthesized,
):
    table_id = _platform_table_id(synthesized)
    _, api = synthesized.function("api")
    on_platform = [
        statement
        for statement in synthesized.role_statements(api)
        if f'"{table_id}"' in json.dumps(statement["Resource"])
    ]

    granted = {action for statement in on_platform for action in _actions(statement)}
    assert granted == {*READ_ACTIONS, "dynamodb:UpdateItem"}
    (update,) = [statement for statement in on_platform if "dynamodb:UpdateItem" in _actions(statement)]
    assert _actions(update) == ["dynamodb:UpdateItem"]
    # The table itself only: updates never go through an index.
    assert update["Resource"] == {"Fn::GetAtt": [table_id, "Arn"]}
    variables = api["Environment"]["Variables"]
    assert variables["PLATFORM_TABLE_NAME"] == {"Ref": table_id}

"""EventBridge Scheduler access: a job is paused by disabling its schedule, resumed by enabling it."""

from __future__ import annotations

from typing import Any

import boto3
from botocore.exceptions import BotoCoreError, ClientError

from functions.data.errors import NotFoundError, ScheduleError

# UpdateSchedule replaces the whole definition, so everything GetSchedule returns that UpdateSchedule
# accepts is carried over; anything left out would be reset to its default.
_UPDATABLE = (
    "Name",
    "GroupName",
    "ScheduleExpression",
    "ScheduleExpressionTimezone",
    "StartDate",
    "EndDate",
    "Description",
    "KmsKeyArn",
    "Target",
    "FlexibleTimeWindow",
    "ActionAfterCompletion",
)


class Schedules:
    def __init__(self, client: Any = None) -> None:
        self._client = client

    @property
    def client(self) -> Any:
        if self._client is None:
            self._client = boto3.client("scheduler")
        return self._client

    def set_enabled(self, name: str, group: str, enabled: bool) -> None:
        state = "ENABLED" if enabled else "DISABLED"
        definition = self._call("get_schedule", name, Name=name, GroupName=group)
        if definition.get("State") == state:
            return
        update = {key: definition[key] for key in _UPDATABLE if definition.get(key) is not None}
        self._call("update_schedule", name, **update, State=state)

    def _call(self, operation: str, name: str, **parameters: Any) -> dict[str, Any]:
        try:
            response: dict[str, Any] = getattr(self.client, operation)(**parameters)
        except ClientError as error:
            code = error.response.get("Error", {}).get("Code", "ClientError")
            if code == "ResourceNotFoundException":
                raise NotFoundError("schedule", name) from error
            raise ScheduleError(f"{operation} of schedule '{name}' failed: {code}") from error
        except BotoCoreError as error:
            raise ScheduleError(f"{operation} of schedule '{name}' failed: {type(error).__name__}") from error
        return response

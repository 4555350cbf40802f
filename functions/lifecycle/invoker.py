"""Asynchronous Lambda invocation, used to start a queued run and to continue a long one."""

from __future__ import annotations

import json
from typing import Any

import boto3
from botocore.exceptions import BotoCoreError, ClientError


class InvokeError(Exception):
    """Lambda did not accept the invocation; the message says why."""


class LambdaInvoker:
    def __init__(self) -> None:
        self._client: Any = None

    def invoke_async(self, function: str, payload: dict[str, Any]) -> None:
        if self._client is None:
            self._client = boto3.client("lambda")
        try:
            self._client.invoke(FunctionName=function, InvocationType="Event", Payload=json.dumps(payload))
        except ClientError as error:
            code = error.response.get("Error", {}).get("Code", "ClientError")
            raise InvokeError(f"{code}: {error.response.get('Error', {}).get('Message', '')}") from error
        except BotoCoreError as error:
            raise InvokeError(f"{type(error).__name__}: {error}") from error

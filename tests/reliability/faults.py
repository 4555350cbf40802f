"""Faults injected where AWS would produce them: inside botocore, on the wire, never in our own functions.

`Faults` registers two botocore event handlers on every client created while it is active (through
botocore's built-in handler list, as moto itself does):

- `before-send`: answers a request with an AWS error response instead of sending it (throttling, a 5xx, a
  cancelled transaction with `TransactionConflict`), or kills the "Lambda" before the request leaves;
- `after-call`: lets the request reach moto and change state, then loses the answer (a read timeout) or kills
  the "Lambda" — the cases where AWS did the work and the caller cannot know.

moto never throttles and never reports a `TransactionConflict`, so every such fault in this suite is one of
these injected responses; botocore's own retries see them exactly as they would see AWS's.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import boto3
import botocore.handlers
from botocore.awsrequest import AWSResponse
from botocore.exceptions import ReadTimeoutError
from moto.core.botocore_stubber import MockRawResponse

from tests.support.serial_moto import forget_pynamodb_connections


class LambdaKilled(BaseException):
    """Lambda ends the invocation (a timeout, out of memory): no `except Exception` or `finally` runs."""


@dataclass
class Rule:
    service: str
    operation: str
    kind: str  # error | kill-before | kill-after | lose-answer
    times: int
    code: str = ""
    status: int = 400
    reasons: list[str] | None = None
    when: Callable[[dict[str, Any]], bool] = field(default=lambda params: True)

    def matches(self, service: str, operation: str, params: dict[str, Any]) -> bool:
        return (
            self.times > 0 and service == self.service and operation == self.operation and self.when(params)
        )


def _service_and_operation(event_name: str) -> tuple[str, str]:
    # "before-send.dynamodb.TransactWriteItems" / "after-call.sesv1.SendEmail"
    _, service, operation = event_name.split(".", 2)
    return ("ses" if service in ("ses", "sesv1") else service), operation


def _error_response(service: str, code: str, status: int, reasons: list[str] | None) -> AWSResponse:
    if service in ("ses", "sns"):  # the query protocol answers errors in XML
        body = (
            f"<ErrorResponse><Error><Type>Sender</Type><Code>{code}</Code><Message>{code} (injected)"
            "</Message></Error><RequestId>injected</RequestId></ErrorResponse>"
        ).encode()
        headers = {"content-type": "text/xml"}
    elif service == "lambda":
        body = json.dumps({"Type": "User", "message": f"{code} (injected)"}).encode()
        headers = {"x-amzn-ErrorType": code, "content-type": "application/json"}
    else:
        payload: dict[str, Any] = {
            "__type": f"com.amazonaws.dynamodb.v20120810#{code}",
            "message": "injected",
        }
        if reasons is not None:
            payload["CancellationReasons"] = [{"Code": reason, "Message": "injected"} for reason in reasons]
        body = json.dumps(payload).encode()
        headers = {"x-amzn-RequestId": "injected", "content-type": "application/x-amz-json-1.0"}
    return AWSResponse("https://injected.example", status, headers, MockRawResponse(body))


class Faults:
    def __init__(self) -> None:
        self.rules: list[Rule] = []
        self.injected: Counter[str] = Counter()

    # --- arming ----------------------------------------------------------------------------------

    def error(
        self, service: str, operation: str, code: str, times: int = 1, status: int = 400, **options: Any
    ) -> Rule:
        rule = Rule(service, operation, "error", times, code=code, status=status, **options)
        self.rules.append(rule)
        return rule

    def refuse_journal_writes(self) -> Rule:
        """The journal table answers every write as DynamoDB answers a role without access to it."""
        return self.error(
            "dynamodb",
            "PutItem",
            "AccessDeniedException",
            times=10,
            when=lambda params: str(params.get("TableName", "")).endswith("journal"),
        )

    def throttle_dynamodb(self, operation: str, times: int, **options: Any) -> Rule:
        return self.error("dynamodb", operation, "ProvisionedThroughputExceededException", times, **options)

    def transaction_conflict(self, times: int, items: int, **options: Any) -> Rule:
        reasons = ["TransactionConflict"] + ["None"] * (items - 1)
        return self.error(
            "dynamodb",
            "TransactWriteItems",
            "TransactionCanceledException",
            times,
            reasons=reasons,
            **options,
        )

    def kill(self, service: str, operation: str, after: bool, **options: Any) -> Rule:
        rule = Rule(service, operation, "kill-after" if after else "kill-before", 1, **options)
        self.rules.append(rule)
        return rule

    def lose_answer(self, service: str, operation: str, times: int = 1, **options: Any) -> Rule:
        rule = Rule(service, operation, "lose-answer", times, **options)
        self.rules.append(rule)
        return rule

    @property
    def total(self) -> int:
        return sum(self.injected.values())

    # --- botocore handlers -----------------------------------------------------------------------

    def _take(self, event_name: str, params: dict[str, Any], kinds: tuple[str, ...]) -> Rule | None:
        service, operation = _service_and_operation(event_name)
        for rule in self.rules:
            if rule.kind in kinds and rule.matches(service, operation, params):
                rule.times -= 1
                self.injected[f"{service}.{operation}:{rule.code or rule.kind}"] += 1
                return rule
        return None

    def _before_send(self, request: Any, event_name: str, **_: Any) -> AWSResponse | None:
        params = _request_params(request)
        rule = self._take(event_name, params, ("error", "kill-before"))
        if rule is None:
            return None
        if rule.kind == "kill-before":
            raise LambdaKilled(f"killed before {event_name}")
        # botocore emits before-send to every handler and takes the first response: moto's stubber, which
        # comes later, must not apply the request AWS refused, so the request no longer names an AWS endpoint.
        request.url = "https://refused-by-injected-fault.invalid/"
        return _error_response(_service_and_operation(event_name)[0], rule.code, rule.status, rule.reasons)

    def _after_call(self, event_name: str, **kwargs: Any) -> None:
        params = kwargs.get("context", {}).get("injected_params", {})
        rule = self._take(event_name, params, ("kill-after", "lose-answer"))
        if rule is None:
            return
        if rule.kind == "kill-after":
            raise LambdaKilled(f"killed after {event_name} was applied")
        raise ReadTimeoutError(endpoint_url=f"https://{event_name} (injected: applied, answer lost)")

    @staticmethod
    def _remember_params(params: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
        # `params` is the serialized request here; rules match on its decoded body, as before-send does.
        context["injected_params"] = _decoded(params.get("body") or b"")

    @contextmanager
    def active(self) -> Iterator[Faults]:
        handlers = [
            ("before-call", self._remember_params),
            ("before-send", self._before_send),
            ("after-call", self._after_call),
        ]
        for handler in reversed(handlers):
            botocore.handlers.BUILTIN_HANDLERS.insert(0, handler)
        forget_cached_clients()
        try:
            yield self
        finally:
            for handler in handlers:
                botocore.handlers.BUILTIN_HANDLERS.remove(handler)
            forget_cached_clients()


def _request_params(request: Any) -> dict[str, Any]:
    return _decoded(getattr(request, "body", None) or b"")


def _decoded(body: Any) -> dict[str, Any]:
    """A JSON body (DynamoDB, Lambda) as a dict; a form body (SES) as {"raw": its text}."""
    if isinstance(body, dict):
        return {"raw": "&".join(f"{key}={value}" for key, value in body.items())}
    if isinstance(body, str):
        body = body.encode()
    try:
        return json.loads(body) if body[:1] == b"{" else {"raw": body.decode()}
    except (ValueError, TypeError):
        return {}


def forget_cached_clients() -> None:
    """Sessions and clients made before the faults were armed lack the handlers: boto3's default session,
    pynamodb's per-model connections and the mailer's SES client are made again on next use."""
    from functions.automations import items

    boto3.DEFAULT_SESSION = None
    forget_pynamodb_connections()
    items.DELIVERY.mailer = type(items.DELIVERY.mailer)()

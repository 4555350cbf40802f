"""Email delivery through SES, with a send-claim ledger so that no email is sent twice.

Every email has a key naming what it is (enrollment + step, follow-up + due time, subscription + renewal date
+ offset + recipient, report + period + recipient). `Delivery.send_once` sends it like this:

1. **Claim** the key with one conditional write (functions.data.platform_claims) *before* sending. The write
   succeeds only if nobody claimed the key, or its last attempt failed, or its holder's lease lapsed. A retry,
   an overlapping run or a re-run that finds the key SENT sends nothing (`SendOutcome.ALREADY_SENT`); one that
   finds it held under a live lease leaves it to the holder (`SendOutcome.IN_FLIGHT`).
2. **Send** through SES.
3. **Mark** the claim SENT (or FAILED with the reason, which lets the next run retry it).

The crash between 1 and 3 (a Lambda timeout or kill runs no code of ours) leaves a claim CLAIMED but not SENT,
and we cannot know whether SES accepted the email. The choice here is **at-least-once for that window only**:
once the lease (the job's whole Lambda timeout, after which the claiming invocation is certainly dead) has
passed, the next run may take the claim again and send. An email is lost never, and duplicated only if the
process died in the milliseconds between SES accepting it and the SENT write. At-most-once would instead
park every crashed send for a human to check, silently dropping reminders whose send never happened — the
worse failure for outreach and renewals. Each take counts an attempt, so a send that keeps crashing the
process stops after the job's retry limit (`ClaimState.EXHAUSTED`, raised as `AttemptsExhaustedError`)
instead of looping.

SES errors are mapped to domain errors: an address or message SES refuses is `DeliveryRejected` (permanent for
that item: retrying the same input will not help), anything else is `DeliveryError` (transient). Addresses are
checked before calling SES, so an unusable recipient is rejected the same way with or without SES's opinion.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any, Protocol

import boto3
from botocore.exceptions import BotoCoreError, ClientError

from functions.automations.templates import Values, render, render_html
from functions.data import platform_claims
from functions.data.errors import DataError
from functions.data.platform_claims import ClaimState
from functions.observability import logger
from functions.settings import get_settings

# Deliberately simple: one @, no spaces or brackets, a dotted domain. SES has the final word on the rest.
_ADDRESS = re.compile(r"^[^@\s<>()\[\],;:\"]+@[^@\s<>()\[\],;:\"]+\.[^@\s<>()\[\],;:\".]+$")

# SES error codes that mean "this message or address will not be accepted", as opposed to a transient fault.
_REJECTION_CODES = frozenset(
    {
        "MessageRejected",
        "InvalidParameterValue",
        "MailFromDomainNotVerifiedException",
        "MailFromDomainNotVerified",
    }
)


def is_email_address(text: str) -> bool:
    return bool(_ADDRESS.match(text))


class DeliveryError(Exception):
    """The email could not be sent this time; a later attempt may succeed."""


class DeliveryRejected(DeliveryError):  # noqa: N818 - the name the automations and their tests use
    """SES (or the address check before it) refuses this email: `addresses` are the recipients it blamed."""

    def __init__(self, message: str, addresses: tuple[str, ...] = ()) -> None:
        super().__init__(message)
        self.addresses = addresses


class AttemptsExhaustedError(DeliveryError):
    """The email's claim used every attempt without being marked sent; it is not tried again."""


@dataclass(frozen=True)
class Email:
    to: tuple[str, ...]
    subject: str
    text: str
    html: str | None = None
    reply_to: tuple[str, ...] = field(default=())


def compose(
    to: tuple[str, ...],
    subject: str,
    body: str,
    values: Values,
    reply_to: tuple[str, ...] = (),
) -> Email:
    """An email from templates: a plain-text part and an HTML part with every value escaped."""
    return Email(
        to=to,
        subject=" ".join(render(subject, values).split()),
        text=render(body, values),
        html=render_html(body, values),
        reply_to=reply_to,
    )


class Mailer:
    """Sends one email through SES from settings.sender_email; the client is built on first use."""

    def __init__(self, client: Any = None) -> None:
        self._client = client

    def send(self, email: Email) -> str:
        invalid = tuple(address for address in email.to if not is_email_address(address))
        if invalid:
            raise DeliveryRejected(f"not a deliverable email address: {', '.join(invalid)}", invalid)
        if self._client is None:
            self._client = boto3.client("ses")
        body: dict[str, Any] = {"Text": {"Data": email.text, "Charset": "UTF-8"}}
        if email.html is not None:
            body["Html"] = {"Data": email.html, "Charset": "UTF-8"}
        try:
            response = self._client.send_email(
                Source=get_settings().sender_email,
                Destination={"ToAddresses": list(email.to)},
                Message={"Subject": {"Data": email.subject, "Charset": "UTF-8"}, "Body": body},
                ReplyToAddresses=list(email.reply_to),
                ConfigurationSetName=get_settings().ses_configuration_set,
            )
        except ClientError as error:
            raise _delivery_error(error, email) from error
        except BotoCoreError as error:
            raise DeliveryError(f"{type(error).__name__}: {error}") from error
        return str(response["MessageId"])


def _delivery_error(error: ClientError, email: Email) -> DeliveryError:
    details = error.response.get("Error", {})
    code = str(details.get("Code", "ClientError"))
    message = f"{code}: {details.get('Message', '')}"
    if code not in _REJECTION_CODES:
        return DeliveryError(message)
    # Blame only recipients SES names: an unverified *sender* must not mark every contact as bounced.
    blamed = tuple(address for address in email.to if address.lower() in message.lower())
    return DeliveryRejected(message, blamed)


class SendOutcome(StrEnum):
    SENT = "sent"
    ALREADY_SENT = "already_sent"
    IN_FLIGHT = "in_flight"


class RunClock(Protocol):
    run_id: str

    def now(self) -> datetime: ...


class Delivery:
    def __init__(self, mailer: Mailer | None = None) -> None:
        self.mailer = mailer or Mailer()

    def send_once(
        self, key: str, email: Email, run: RunClock, lease: timedelta, max_attempts: int
    ) -> SendOutcome:
        """Sends `email` unless the ledger says `key` was sent or is being sent (see the module docstring)."""
        now = run.now()
        claim = platform_claims.claim(key, run.run_id, now, now + lease, max_attempts)
        if claim.state is ClaimState.SENT:
            return SendOutcome.ALREADY_SENT
        if claim.state is ClaimState.HELD:
            return SendOutcome.IN_FLIGHT
        if claim.state is ClaimState.EXHAUSTED:
            raise AttemptsExhaustedError(
                f"{key}: gave up after {claim.attempts} attempts ({claim.error or 'no error'})"
            )
        token = claim.token or ""
        try:
            message_id = self.mailer.send(email)
        except Exception as error:
            _release(key, token, error)
            raise
        if not platform_claims.mark_sent(key, token, message_id, run.now()):
            logger.warning("sent, but the claim was taken over meanwhile", extra={"claim": key})
        return SendOutcome.SENT


def _release(key: str, token: str, error: Exception) -> None:
    """Marks the attempt failed so the next run may retry; if even that fails, the lease runs out instead."""
    try:
        platform_claims.mark_failed(key, token, f"{type(error).__name__}: {error}")
    except DataError:
        logger.exception("could not release a claim after a failed send", extra={"claim": key})

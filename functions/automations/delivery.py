"""Email delivery through SES, with a send-claim ledger so that no email is sent twice.

Every email has a key naming what it is (enrollment + step, follow-up + due time, subscription + renewal date
+ offset + recipient, report + period + recipient). `Delivery.send_once` sends it like this:

1. **Claim** the key with one conditional write (functions.data.platform_claims) *before* sending. The write
   succeeds only if nobody claimed the key, or its last attempt failed, or its holder's lease lapsed. A retry,
   an overlapping run or a re-run that finds the key SENT sends nothing (`SendOutcome.ALREADY_SENT`); one that
   finds it held under a live lease leaves it to the holder (`SendOutcome.IN_FLIGHT`).
2. **Send** through SES.
3. **Mark** the claim SENT (or FAILED with the reason, which lets the next run retry it).

**A send whose outcome is unknown is never repeated automatically.** A claim that exists without a settled
result — the process died between 1 and 3 (a Lambda timeout or kill runs no code of ours), SES's answer was
lost in transit (a read timeout or a dropped connection after the request went out), or SES accepted the
email but the SENT write failed — is *delivery unconfirmed* once its lease (the job's whole Lambda timeout)
has passed: every later run lists it on its record with its key and reason (`DeliveryUnconfirmedError`,
never counted toward parking the item) and sends nothing, until an admin checks and releases it
(`POST /runs/{run_id}/unconfirmed/release`), which is audited on the run. At-most-once for that window:
a recipient is never emailed twice by us guessing, and no unknown send goes unseen. A send that SES
answered with an error (throttling included) certainly did not happen: it is marked FAILED and retried.

The SES client makes exactly one attempt per call (botocore's own retries would resend after a read
timeout); throttling is retried here with backoff, because a throttled request was not sent.

SES errors are mapped to domain errors: an address or message SES refuses is `DeliveryRejected` (permanent for
that item: retrying the same input will not help), anything else is `DeliveryError` (transient). Addresses are
checked before calling SES, so an unusable recipient is rejected the same way with or without SES's opinion.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any, Protocol

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError, ConnectTimeoutError, EndpointConnectionError

from functions.automations.templates import Values, render, render_html
from functions.data import platform_claims
from functions.data.errors import DataError, StorageError
from functions.data.platform_claims import Claim, ClaimState
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


class DeliveryUnconfirmedError(DeliveryError):
    """Whether the email went out is unknown: it is not sent again until an admin releases its claim."""

    def __init__(self, claims: tuple[str, ...], message: str) -> None:
        super().__init__(message)
        self.claims = claims


class DeliveryOutcomeUnknownError(DeliveryError):
    """The request reached SES but its answer was lost (a read timeout, a dropped connection)."""


# SES answers that mean "not now" rather than "not this message": retried here, since nothing was sent.
_THROTTLING_CODES = frozenset({"Throttling", "ThrottlingException", "TooManyRequestsException"})
# Transport failures before the request could reach SES: certainly not sent.
_NOT_SENT_ERRORS = (EndpointConnectionError, ConnectTimeoutError)


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

    THROTTLE_RETRIES = 4

    def __init__(self, client: Any = None) -> None:
        self._client = client

    def send(self, email: Email) -> str:
        invalid = tuple(address for address in email.to if not is_email_address(address))
        if invalid:
            raise DeliveryRejected(f"not a deliverable email address: {', '.join(invalid)}", invalid)
        if self._client is None:
            # One attempt per call: a retry after a lost answer would send the email twice.
            self._client = boto3.client("ses", config=Config(retries={"total_max_attempts": 1}))
        for attempt in range(self.THROTTLE_RETRIES + 1):
            try:
                return self._send_once(email)
            except _ThrottledError as throttled:
                if attempt == self.THROTTLE_RETRIES:
                    raise DeliveryError(str(throttled)) from throttled
                time.sleep(min(2.0, 0.2 * 2**attempt))
        raise AssertionError("unreachable: the last attempt returns or raises")

    def _send_once(self, email: Email) -> str:
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
            if str(error.response.get("Error", {}).get("Code")) in _THROTTLING_CODES:
                raise _ThrottledError(f"SES throttled the send: {error}") from error
            raise _delivery_error(error, email) from error
        except _NOT_SENT_ERRORS as error:
            raise DeliveryError(f"{type(error).__name__}: {error}") from error
        except BotoCoreError as error:
            raise DeliveryOutcomeUnknownError(f"{type(error).__name__}: {error}") from error
        return str(response["MessageId"])


class _ThrottledError(Exception):
    pass


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
        """Sends `email` unless the ledger says `key` was sent, is being sent, or may have been sent."""
        now = run.now()
        claim = platform_claims.claim(key, run.run_id, now, now + lease, max_attempts)
        if claim.state is ClaimState.SENT:
            return SendOutcome.ALREADY_SENT
        if claim.state is ClaimState.HELD:
            return SendOutcome.IN_FLIGHT
        if claim.state is ClaimState.UNCONFIRMED:
            raise DeliveryUnconfirmedError((key,), _unconfirmed_reason(claim))
        if claim.state is ClaimState.EXHAUSTED:
            raise AttemptsExhaustedError(
                f"{key}: gave up after {claim.attempts} attempts ({claim.error or 'no error'})"
            )
        token = claim.token or ""
        try:
            message_id = self.mailer.send(email)
        except DeliveryOutcomeUnknownError as unknown:
            # The claim stays CLAIMED: once its lease lapses every run reports it unconfirmed.
            raise DeliveryUnconfirmedError(
                (key,), f"SES's answer was lost ({unknown}); it may have been sent, so it is not resent"
            ) from unknown
        except Exception as error:
            _release(key, token, error)
            raise
        try:
            if not platform_claims.mark_sent(key, token, message_id, run.now()):
                logger.warning("sent, but the claim was taken over meanwhile", extra={"claim": key})
        except StorageError as error:
            raise DeliveryUnconfirmedError(
                (key,),
                f"SES accepted message {message_id} but recording it failed ({error}); "
                "it was sent, so do not release it",
            ) from error
        return SendOutcome.SENT


def _unconfirmed_reason(claim: Claim) -> str:
    since = f" at {claim.since:%Y-%m-%d %H:%M} UTC" if claim.since else ""
    return (
        f"delivery unconfirmed: run {claim.holder} claimed it{since} and never recorded SES's answer; "
        "check the recipient's mailbox or SES, then release it to send again"
    )


def _release(key: str, token: str, error: Exception) -> None:
    """Marks the attempt failed so the next run may retry; if even that fails, the claim is left CLAIMED and
    becomes unconfirmed — safe, because this send certainly did not happen, but an admin has to release it."""
    try:
        platform_claims.mark_failed(key, token, f"{type(error).__name__}: {error}")
    except DataError:
        logger.exception("could not release a claim after a failed send", extra={"claim": key})

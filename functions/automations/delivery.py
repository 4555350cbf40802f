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

SES errors are mapped to three classes of domain error, because each calls for a different reaction:
- recipient-permanent, `DeliveryRejected`: an address or message SES refuses as undeliverable (an invalid or
  suppressed address). Retrying the same input will not help; only this class may stop a contact.
- configuration, `DeliveryConfigurationError`: our SES account refuses to send (the sandbox's unverified
  recipients, an unverified sender or MAIL FROM domain, sending paused, the daily quota spent, a missing
  permission or configuration set). The recipient is not at fault; its `fix` says what an operator must do,
  and the item is retried by the runs after that.
- transient, `DeliveryError`: throttling, SES's own faults, the network.
Addresses are checked before calling SES, so an unusable recipient is rejected the same way with or without
SES's opinion.
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

# SES error codes that mean "this message or address will not be accepted", unless the message names a
# configuration cause (below): SES reports the sandbox and an unverified sender as MessageRejected too.
_REJECTION_CODES = frozenset({"MessageRejected", "InvalidParameterValue"})

_SANDBOX_FIX = (
    "verify the recipient addresses in SES or request SES production access (the account is in the sandbox)"
)
_SENDER_FIX = "verify the sender address (SENDER_EMAIL) or its domain in SES, in the region the jobs use"
_MAIL_FROM_FIX = "publish the MX record of the sender identity's custom MAIL FROM domain"
_PAUSED_FIX = "re-enable sending for the SES account (see its reputation page in the SES console)"
_SET_PAUSED_FIX = "re-enable sending for the SES configuration set (SES_CONFIGURATION_SET)"
_NO_SET_FIX = "create the SES configuration set named by SES_CONFIGURATION_SET (deploy the stack)"
_ACCESS_FIX = "allow the job's role ses:SendEmail on the sender identity and the configuration set"
_QUOTA_FIX = "wait for the 24-hour SES sending quota to free up, or request a higher quota"
# Codes that always mean the account or its setup refuses to send, whoever the recipient is. SES v1 answers
# with the bare names, the newer SDK models with the "Exception" suffix: both are listed.
_CONFIGURATION_CODES = {
    name + suffix: fix
    for name, fix in {
        "MailFromDomainNotVerified": _MAIL_FROM_FIX,
        "AccountSendingPaused": _PAUSED_FIX,
        "ConfigurationSetSendingPaused": _SET_PAUSED_FIX,
        "ConfigurationSetDoesNotExist": _NO_SET_FIX,
        "AccessDenied": _ACCESS_FIX,
    }.items()
    for suffix in ("", "Exception")
}


def is_email_address(text: str) -> bool:
    return bool(_ADDRESS.match(text))


class DeliveryError(Exception):
    """The email could not be sent this time; a later attempt may succeed."""


class DeliveryRejected(DeliveryError):  # noqa: N818 - the name the automations and their tests use
    """SES (or the address check before it) refuses this email: `addresses` are the recipients it blamed."""

    def __init__(self, message: str, addresses: tuple[str, ...] = ()) -> None:
        super().__init__(message)
        self.addresses = addresses


class DeliveryConfigurationError(DeliveryError):
    """Our SES account or its setup refused the email, not the recipient: nobody is blamed; `fix` says what
    an operator must do.

    The message starts with `configuration: <fix>`, so a run whose items all hit it reads as one cause.
    """

    def __init__(self, fix: str, detail: str) -> None:
        super().__init__(f"configuration: {fix} — {detail}")
        self.fix = fix
        self.detail = detail


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
            failure = delivery_error(error, email)
            if failure is None:
                raise _ThrottledError(f"SES throttled the send: {error}") from error
            raise failure from error
        except _NOT_SENT_ERRORS as error:
            raise DeliveryError(f"{type(error).__name__}: {error}") from error
        except BotoCoreError as error:
            raise DeliveryOutcomeUnknownError(f"{type(error).__name__}: {error}") from error
        return str(response["MessageId"])


class _ThrottledError(Exception):
    pass


def delivery_error(error: ClientError, email: Email) -> DeliveryError | None:
    """The class of an SES error; None for throttling, which is retried because nothing was sent."""
    details = error.response.get("Error", {})
    code = str(details.get("Code", "ClientError"))
    text = str(details.get("Message", ""))
    message = f"{code}: {text}"
    fix = _configuration_fix(code, text)
    if fix is not None:
        return DeliveryConfigurationError(fix, message)
    if code in _THROTTLING_CODES:
        return None
    if code not in _REJECTION_CODES:
        return DeliveryError(message)
    # Blame only recipients SES names: a refusal of the message itself must not bounce every contact.
    blamed = tuple(address for address in email.to if address.lower() in message.lower())
    if not blamed and len(email.to) == 1 and any(word in text.lower() for word in ("address", "@domain")):
        # "Address blacklisted.", "Illegal address", "Missing final '@domain'": SES names no one, but
        # there was only one recipient to refuse.
        blamed = email.to
    return DeliveryRejected(message, blamed)


def _configuration_fix(code: str, text: str) -> str | None:
    if code in _CONFIGURATION_CODES:
        return _CONFIGURATION_CODES[code]
    lowered = text.lower()
    if code in _THROTTLING_CODES and "daily message quota exceeded" in lowered:
        return _QUOTA_FIX
    if code != "MessageRejected":
        return None
    if "not verified" in lowered:
        # SES names the identities that failed; the sender first, since nothing goes out until it is verified.
        failed = lowered.rsplit(":", 1)[-1]
        return _SENDER_FIX if get_settings().sender_email.lower() in failed else _SANDBOX_FIX
    if "sending suspended" in lowered or "sending paused" in lowered:
        return _PAUSED_FIX
    return None


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

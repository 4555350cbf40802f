"""The send-claim ledger's storage: one conditional write decides which run may send an email.

The protocol (why a claim is taken before sending, and what a crash costs) is described in
functions.automations.delivery, which is the only user of these functions.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from pynamodb.exceptions import PynamoDBException
from pynamodb.expressions.update import Action

from functions.data.errors import is_condition_failure, storage_errors
from functions.data.platform import SendClaimModel
from functions.data.platform_store import MAX_ERROR_TEXT
from functions.data.retry import Backoff

BACKOFF = Backoff()

# Longer than any record stays due for the same key (a yearly renewal), so a claim outlives every retry of it.
CLAIM_RETENTION = timedelta(days=400)


class ClaimStatus(StrEnum):
    CLAIMED = "claimed"
    SENT = "sent"
    FAILED = "failed"
    RELEASED = "released"  # an admin decided an unconfirmed send may be made again


class ClaimState(StrEnum):
    ACQUIRED = "acquired"  # this run holds the claim and may send
    SENT = "sent"  # it was sent already: never again
    HELD = "held"  # another run holds a live lease on it
    EXHAUSTED = "exhausted"  # every attempt is used up
    UNCONFIRMED = "unconfirmed"  # claimed, lease lapsed, never settled: it may have gone out


@dataclass(frozen=True)
class Claim:
    key: str
    state: ClaimState
    attempts: int
    holder: str | None = None
    error: str | None = None
    token: str | None = None  # set when this run holds it: the attempt that may settle the claim
    since: datetime | None = None  # when the unsettled claim was taken


def claim(key: str, run_id: str, now: datetime, lease_until: datetime, max_attempts: int) -> Claim:
    """Takes the claim if nobody has it, its last attempt failed for sure, or an admin released it.

    A claim whose holder's lease lapsed without settling it is *not* taken: that send may have happened
    (a crash after SES accepted it, a lost answer), so it is UNCONFIRMED until an admin releases it.
    """
    token = secrets.token_hex(8)
    takeable = (
        SendClaimModel.pk.does_not_exist()
        | ((SendClaimModel.status == ClaimStatus.FAILED.value) & (SendClaimModel.attempts < max_attempts))
        | (SendClaimModel.status == ClaimStatus.RELEASED.value)
    )
    actions: list[Action] = [
        SendClaimModel.kind.set(SendClaimModel),
        SendClaimModel.id.set(key),
        SendClaimModel.status.set(ClaimStatus.CLAIMED.value),
        SendClaimModel.run_id.set(run_id),
        SendClaimModel.token.set(token),
        SendClaimModel.claimed_at.set(now),
        SendClaimModel.lease_until.set(lease_until),
        SendClaimModel.attempts.add(1),
        SendClaimModel.expires_at.set(now + CLAIM_RETENTION),
    ]

    def attempt() -> Claim:
        record = SendClaimModel.new(key)
        with storage_errors(f"claiming {key}"):
            try:
                record.update(actions=actions, condition=takeable)
            except PynamoDBException as error:
                if not is_condition_failure(error):
                    raise
                return _explain_refusal(key, token, now)
        return Claim(key, ClaimState.ACQUIRED, int(record.attempts), holder=run_id, token=token)

    return BACKOFF.call(f"claiming {key}", attempt)


def _explain_refusal(key: str, token: str, now: datetime) -> Claim:
    with storage_errors(f"reading claim {key}"):
        existing = SendClaimModel.get(SendClaimModel.key(key), consistent_read=True)
    attempts = int(existing.attempts)
    if existing.token == token and existing.status == ClaimStatus.CLAIMED.value:
        # This very claim landed on an earlier try whose answer was lost.
        return Claim(key, ClaimState.ACQUIRED, attempts, holder=existing.run_id, token=token)
    if existing.status == ClaimStatus.SENT.value:
        return Claim(key, ClaimState.SENT, attempts, holder=existing.run_id)
    if existing.status == ClaimStatus.CLAIMED.value:
        state = ClaimState.HELD if existing.lease_until >= now else ClaimState.UNCONFIRMED
        return Claim(
            key, state, attempts, holder=existing.run_id, error=existing.error, since=existing.claimed_at
        )
    return Claim(key, ClaimState.EXHAUSTED, attempts, holder=existing.run_id, error=existing.error)


def _settle(key: str, token: str, status: ClaimStatus, extra: list[Action]) -> bool:
    """Records how this attempt ended; False if the claim is no longer this attempt's."""
    held_by_me = (SendClaimModel.status == ClaimStatus.CLAIMED.value) & (SendClaimModel.token == token)

    def attempt() -> bool:
        with storage_errors(f"settling claim {key}"):
            try:
                SendClaimModel.new(key).update(
                    actions=[SendClaimModel.status.set(status.value), *extra], condition=held_by_me
                )
            except PynamoDBException as error:
                if not is_condition_failure(error):
                    raise
                existing = SendClaimModel.get(SendClaimModel.key(key), consistent_read=True)
                # Settled by this very attempt on a try whose answer was lost, or truly taken from it.
                return existing.token == token and existing.status == status.value
        return True

    return bool(BACKOFF.call(f"settling claim {key}", attempt))


def mark_sent(key: str, token: str, message_id: str, now: datetime) -> bool:
    return _settle(
        key,
        token,
        ClaimStatus.SENT,
        [SendClaimModel.sent_at.set(now), SendClaimModel.message_id.set(message_id)],
    )


def mark_failed(key: str, token: str, reason: str) -> bool:
    return _settle(key, token, ClaimStatus.FAILED, [SendClaimModel.error.set(reason[:MAX_ERROR_TEXT])])


def release(key: str, by: str, reason: str, now: datetime) -> bool:
    """An admin lets an unconfirmed send be made again; False if the claim is not unconfirmed (any more)."""
    unconfirmed = (SendClaimModel.status == ClaimStatus.CLAIMED.value) & (SendClaimModel.lease_until < now)
    actions: list[Action] = [
        SendClaimModel.status.set(ClaimStatus.RELEASED.value),
        SendClaimModel.released_by.set(by),
        SendClaimModel.released_at.set(now),
        SendClaimModel.released_reason.set(reason[:MAX_ERROR_TEXT]),
    ]

    def attempt() -> bool:
        with storage_errors(f"releasing claim {key}"):
            try:
                SendClaimModel.new(key).update(actions=actions, condition=unconfirmed)
            except PynamoDBException as error:
                if not is_condition_failure(error):
                    raise
                return False
        return True

    return bool(BACKOFF.call(f"releasing claim {key}", attempt))


def forget_failed_attempts(key: str) -> bool:
    """After an admin fixed the cause, a send whose attempts all failed may be tried again with all of them;
    False (nothing changed) unless the claim is a failed one: sent, in flight or unconfirmed stay as they are.
    Setting the count is idempotent, so a retry after a lost answer changes nothing more."""

    def attempt() -> bool:
        with storage_errors(f"resetting claim {key}"):
            try:
                SendClaimModel.new(key).update(
                    actions=[SendClaimModel.attempts.set(0)],
                    condition=SendClaimModel.status == ClaimStatus.FAILED.value,
                )
            except PynamoDBException as error:
                if not is_condition_failure(error):
                    raise
                return False
        return True

    return bool(BACKOFF.call(f"resetting claim {key}", attempt))

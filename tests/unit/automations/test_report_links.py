"""Report link tokens: they open one report file until they expire, and cannot be forged or retargeted."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta

import pytest

from functions.automations.report_links import (
    LINK_LIFETIME,
    ExpiredLinkError,
    InvalidLinkError,
    LinkSigner,
)
from functions.clock import ManualClock

KEY = "reports/r-1/2026-11-27/pipeline_summary.html"
SIGNER = LinkSigner(b"the-signing-key")


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(datetime(2026, 11, 28, 7, 0, tzinfo=UTC))


def test_given_a_link_signed_for_seven_days_when_opened_until_then_it_names_its_report(clock):
    token = SIGNER.sign(KEY, clock.now() + LINK_LIFETIME)

    assert SIGNER.verify(token, clock.now()) == KEY
    clock.advance(LINK_LIFETIME - timedelta(seconds=1))
    assert SIGNER.verify(token, clock.now()) == KEY


def test_given_a_link_when_its_seven_days_are_over_then_it_is_expired_and_says_when(clock):
    token = SIGNER.sign(KEY, clock.now() + LINK_LIFETIME)
    clock.advance(LINK_LIFETIME)

    with pytest.raises(ExpiredLinkError) as expired:
        SIGNER.verify(token, clock.now())

    assert expired.value.expired_at == datetime(2026, 12, 5, 7, 0, tzinfo=UTC)
    assert "expired at 2026-12-05 07:00 UTC" in str(expired.value)


def test_given_a_token_signed_with_another_key_when_checked_then_it_is_invalid(clock):
    token = LinkSigner(b"someone-elses-key").sign(KEY, clock.now() + LINK_LIFETIME)

    with pytest.raises(InvalidLinkError):
        SIGNER.verify(token, clock.now())


def _payload(claims: dict[str, object]) -> str:
    return base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()


def test_given_a_token_whose_payload_was_changed_when_checked_then_it_is_invalid(clock):
    _, signature = SIGNER.sign(KEY, clock.now() + LINK_LIFETIME).split(".")
    later = _payload({"k": KEY, "exp": int((clock.now() + timedelta(days=365)).timestamp())})
    other = _payload({"k": "reports/r-2/2026-11-27/pipeline_summary.html", "exp": 2_000_000_000})

    for forged in (f"{later}.{signature}", f"{other}.{signature}"):
        with pytest.raises(InvalidLinkError):
            SIGNER.verify(forged, clock.now())


@pytest.mark.parametrize("token", ["", "no-dot", ".", "abc.def", "!!!.???", "é.é", "abc.ü"])
def test_given_a_malformed_token_when_checked_then_it_is_invalid(clock, token):
    with pytest.raises(InvalidLinkError):
        SIGNER.verify(token, clock.now())


def test_given_a_correctly_signed_token_for_a_non_report_object_when_checked_then_it_is_invalid(clock):
    # Only possible with the key itself; still, the signer never serves anything but reports.
    payload = _payload({"k": "portal/config.json", "exp": int((clock.now() + LINK_LIFETIME).timestamp())})
    token = f"{payload}.{SIGNER._signature(payload)}"

    with pytest.raises(InvalidLinkError):
        SIGNER.verify(token, clock.now())
    with pytest.raises(ValueError):
        SIGNER.sign("portal/config.json", clock.now() + LINK_LIFETIME)

"""SES errors as domain errors in three classes: a refusal of the recipient is DeliveryRejected (naming
whom it blames), a refusal by our own account's setup is DeliveryConfigurationError (with its fix), anything
else is DeliveryError."""

from __future__ import annotations

import time

import boto3
import pytest
from botocore.stub import Stubber

from functions.automations.delivery import (
    DeliveryConfigurationError,
    DeliveryError,
    DeliveryRejected,
    Email,
    Mailer,
    is_email_address,
)

EMAIL = Email(to=("ada@example.com",), subject="Hi", text="Hello", html="<p>Hello</p>")


def stubbed() -> tuple[Mailer, Stubber]:
    client = boto3.client("ses", region_name="eu-west-2")
    return Mailer(client), Stubber(client)


def test_given_ses_refuses_the_recipient_when_sending_then_it_is_a_rejection_blaming_that_address() -> None:
    mailer, stub = stubbed()
    stub.add_client_error(
        "send_email", "InvalidParameterValue", "Local address contains control or whitespace: ada@example.com"
    )

    with stub, pytest.raises(DeliveryRejected) as rejected:
        mailer.send(EMAIL)

    assert rejected.value.addresses == ("ada@example.com",)
    assert str(rejected.value).startswith("InvalidParameterValue: ")


def test_given_ses_keeps_throttling_when_sending_then_it_is_a_transient_delivery_error(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    mailer, stub = stubbed()
    for _ in range(Mailer.THROTTLE_RETRIES + 1):
        stub.add_client_error("send_email", "Throttling", "Maximum sending rate exceeded.")
    waits: list[float] = []
    monkeypatch.setattr(time, "sleep", waits.append)

    with stub, pytest.raises(DeliveryError) as failed:
        mailer.send(EMAIL)

    assert not isinstance(failed.value, DeliveryRejected) and "Throttling" in str(failed.value)
    assert len(waits) == Mailer.THROTTLE_RETRIES and all(0 < wait <= 2 for wait in waits)
    stub.assert_no_pending_responses()


def test_given_ses_throttles_once_when_sending_then_the_retry_sends_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    mailer, stub = stubbed()
    stub.add_client_error("send_email", "Throttling", "Maximum sending rate exceeded.")
    stub.add_response("send_email", {"MessageId": "m-2"})
    monkeypatch.setattr(time, "sleep", lambda seconds: None)

    with stub:
        assert mailer.send(EMAIL) == "m-2"


def test_given_ses_accepts_when_sending_then_the_request_carries_both_parts_and_the_message_id_returns() -> (
    None
):
    mailer, stub = stubbed()
    stub.add_response(
        "send_email",
        {"MessageId": "m-1"},
        {
            "Source": "automation@devsphere.example",
            "Destination": {"ToAddresses": ["ada@example.com"]},
            "Message": {
                "Subject": {"Data": "Hi", "Charset": "UTF-8"},
                "Body": {
                    "Text": {"Data": "Hello", "Charset": "UTF-8"},
                    "Html": {"Data": "<p>Hello</p>", "Charset": "UTF-8"},
                },
            },
            "ReplyToAddresses": [],
            "ConfigurationSetName": "devsphere-automation-email",
        },
    )

    with stub:
        assert mailer.send(EMAIL) == "m-1"


def test_given_an_unusable_address_when_sending_then_it_is_rejected_without_calling_ses() -> None:
    mailer, stub = stubbed()  # no responses queued: any call to SES would fail the test

    with stub, pytest.raises(DeliveryRejected) as rejected:
        mailer.send(Email(to=("no-at-sign",), subject="Hi", text="Hello"))

    assert rejected.value.addresses == ("no-at-sign",)


@pytest.mark.parametrize(
    ("address", "valid"),
    [
        ("ada@example.com", True),
        ("first.last+tag@sub.example.co.uk", True),
        ("no-at-sign", False),
        ("two@@example.com", False),
        ("space in@example.com", False),
        ("ada@localhost", False),
        ("Ada <ada@example.com>", False),
    ],
)
def test_given_addresses_when_checked_then_only_plain_deliverable_ones_pass(
    address: str, valid: bool
) -> None:
    assert is_email_address(address) is valid


SANDBOX = "Email address is not verified. The following identities failed the check in region EU-WEST-2: "


@pytest.mark.parametrize(
    ("code", "message", "fix"),
    [
        ("MessageRejected", SANDBOX + "ada@example.com", "verify the recipient addresses in SES"),
        ("MessageRejected", SANDBOX + "automation@devsphere.example", "verify the sender address"),
        ("MessageRejected", "Email address not verified automation@devsphere.example", "verify the sender"),
        ("MailFromDomainNotVerifiedException", "MAIL FROM domain not verified", "MAIL FROM domain"),
        ("AccountSendingPausedException", "Sending paused for this account.", "re-enable sending"),
        ("MessageRejected", "Sending suspended for this account.", "re-enable sending for the SES"),
        ("Throttling", "Daily message quota exceeded.", "sending quota"),
        ("AccessDenied", "User is not authorized to perform ses:SendEmail", "ses:SendEmail"),
        ("ConfigurationSetDoesNotExistException", "Configuration set <x> does not exist.", "create"),
        ("ConfigurationSetSendingPausedException", "Sending is paused", "configuration set"),
    ],
)
def test_given_our_account_refuses_when_sending_then_it_is_a_configuration_error_with_its_fix(
    code: str, message: str, fix: str
) -> None:
    mailer, stub = stubbed()
    stub.add_client_error("send_email", code, message)

    with stub, pytest.raises(DeliveryConfigurationError) as failed:
        mailer.send(EMAIL)

    assert not isinstance(failed.value, DeliveryRejected)
    assert str(failed.value).startswith(f"configuration: {failed.value.fix} — {code}: ")
    assert fix in failed.value.fix
    stub.assert_no_pending_responses()  # a spent quota is not retried like throttling


@pytest.mark.parametrize(
    ("code", "message"),
    [
        ("MessageRejected", "Address blacklisted."),
        ("MessageRejected", "Illegal address"),
        ("InvalidParameterValue", "Missing final '@domain'"),
    ],
)
def test_given_ses_refuses_the_only_recipient_without_naming_it_when_sending_then_it_is_blamed(
    code: str, message: str
) -> None:
    mailer, stub = stubbed()
    stub.add_client_error("send_email", code, message)

    with stub, pytest.raises(DeliveryRejected) as rejected:
        mailer.send(EMAIL)

    assert rejected.value.addresses == ("ada@example.com",)


def test_given_ses_refuses_the_message_itself_when_sending_then_no_recipient_is_blamed() -> None:
    mailer, stub = stubbed()
    stub.add_client_error("send_email", "MessageRejected", "Message length is more than 10485760 bytes long.")

    with stub, pytest.raises(DeliveryRejected) as rejected:
        mailer.send(EMAIL)

    assert rejected.value.addresses == ()


@pytest.mark.parametrize(("code", "status"), [("InternalFailure", 500), ("ServiceUnavailable", 503)])
def test_given_an_ses_fault_when_sending_then_it_is_a_transient_delivery_error(
    code: str, status: int
) -> None:
    mailer, stub = stubbed()
    stub.add_client_error("send_email", code, "try again", http_status_code=status)

    with stub, pytest.raises(DeliveryError) as failed:
        mailer.send(EMAIL)

    assert type(failed.value) is DeliveryError and str(failed.value).startswith(f"{code}: ")

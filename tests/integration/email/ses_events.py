"""SES events as EventBridge delivers them from a configuration set's event destination.

The `detail` is the SES event record (eventType, mail, bounce or complaint) as SES publishes it; the
envelope is EventBridge's, with the detail types SES uses.
"""

from __future__ import annotations

from typing import Any

CONFIGURATION_SET = "devsphere-automation-email"


def _mail(message_id: str, recipients: list[str]) -> dict[str, Any]:
    return {
        "timestamp": "2026-11-28T09:00:00.000Z",
        "source": "automation@devsphere.example",
        "sourceArn": "arn:aws:ses:eu-west-2:123456789012:identity/automation@devsphere.example",
        "sendingAccountId": "123456789012",
        "messageId": message_id,
        "destination": recipients,
        "headersTruncated": False,
        "tags": {
            "ses:configuration-set": [CONFIGURATION_SET],
            "ses:source-ip": ["192.0.2.1"],
            "ses:from-domain": ["devsphere.example"],
            "ses:caller-identity": ["devsphere-automation-sequences"],
        },
    }


def _envelope(detail_type: str, detail: dict[str, Any], event_id: str) -> dict[str, Any]:
    return {
        "version": "0",
        "id": event_id,
        "detail-type": detail_type,
        "source": "aws.ses",
        "account": "123456789012",
        "time": "2026-11-28T09:00:05Z",
        "region": "eu-west-2",
        "resources": [f"arn:aws:ses:eu-west-2:123456789012:configuration-set/{CONFIGURATION_SET}"],
        "detail": detail,
    }


def bounce(
    recipients: list[str],
    *,
    bounce_type: str = "Permanent",
    sub_type: str = "General",
    feedback_id: str = "0102019a-bounce-1",
    message_id: str = "0102019a-message-1",
    event_id: str = "event-1",
) -> dict[str, Any]:
    detail = {
        "eventType": "Bounce",
        "bounce": {
            "feedbackId": feedback_id,
            "bounceType": bounce_type,
            "bounceSubType": sub_type,
            "bouncedRecipients": [
                {
                    "emailAddress": address,
                    "action": "failed",
                    "status": "5.1.1",
                    "diagnosticCode": "smtp; 550 5.1.1 user unknown",
                }
                for address in recipients
            ],
            "timestamp": "2026-11-28T09:00:02.669Z",
            "reportingMTA": "dns; mta.example.com",
        },
        "mail": _mail(message_id, recipients),
    }
    return _envelope("Email Bounced", detail, event_id)


def complaint(
    recipients: list[str],
    *,
    feedback_id: str = "0102019a-complaint-1",
    message_id: str = "0102019a-message-2",
) -> dict[str, Any]:
    detail = {
        "eventType": "Complaint",
        "complaint": {
            "feedbackId": feedback_id,
            "complaintSubType": None,
            "complainedRecipients": [{"emailAddress": address} for address in recipients],
            "timestamp": "2026-11-28T10:30:00.000Z",
            "userAgent": "Mozilla/5.0",
            "complaintFeedbackType": "abuse",
            "arrivalDate": "2026-11-28T10:29:59.000Z",
        },
        "mail": _mail(message_id, recipients),
    }
    return _envelope("Email Complaint Received", detail, "event-2")

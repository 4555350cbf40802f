"""Consumes SES bounce and complaint events (EventBridge) of the service's configuration set."""

from __future__ import annotations

from typing import Any

from functions.automations.email_feedback import FeedbackFormatError, apply, parse
from functions.clock import SYSTEM_CLOCK
from functions.observability import logger


@logger.inject_lambda_context(clear_state=True)
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    try:
        feedback = parse(event)
    except FeedbackFormatError:
        # A retry would read the same event the same way: keep it in the logs rather than in retries.
        logger.exception("SES feedback event ignored", extra={"event_id": event.get("id")})
        return {"ignored": "unreadable"}
    outcome = apply(feedback, SYSTEM_CLOCK.now())
    summary = {
        "kind": feedback.kind.value,
        "message_id": feedback.message_id,
        "feedback_id": feedback.feedback_id,
        "permanent": feedback.permanent,
        "duplicate": outcome.duplicate,
        "marked": outcome.marked,
        "already_flagged": outcome.already_flagged,
        "unknown_recipients": outcome.unknown_recipients,
    }
    level = logger.info if outcome.ignored or outcome.duplicate else logger.warning
    level(f"SES {feedback.description}", extra=summary)
    return summary

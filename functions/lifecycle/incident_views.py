"""Incident records as the API and the portal show them."""

from __future__ import annotations

from typing import Any

from functions.clock import isoformat
from functions.data.models import IncidentModel


def incident_view(incident: IncidentModel) -> dict[str, Any]:
    ended = incident.ended_at
    return {
        "incident_id": incident.incident_id or incident.sk.split("#", 1)[-1],
        "job": incident.job,
        "kind": incident.kind,
        "open": ended is None,
        "started_at": isoformat(incident.started_at),
        "ended_at": isoformat(ended) if ended else None,
        "duration_ms": int((ended - incident.started_at).total_seconds() * 1000) if ended else None,
        "run_id": incident.run_id,
        "missed_tick": isoformat(incident.missed_tick) if incident.missed_tick else None,
        "summary": incident.summary,
        "end_summary": incident.end_summary,
        "alerts": [
            {"at": isoformat(alert.at), "subject": alert.subject, "error": alert.error}
            for alert in incident.alerts or []
        ],
    }

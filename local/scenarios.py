"""Demo scenarios (`python -m local --scenario late|failing|all`): every health the status page can show,
made the way it happens in production, at start, so nobody waits for a schedule.

Nothing here writes a run, a health or a verdict. Time is the one thing a demo cannot wait for, so the
`late` seed is a date: the job's `tracking_since` (through the data layer) goes back to before a tick that
passed while nothing ran, exactly the state of a service whose schedule stopped firing. Everything else is
done for real: jobs run through the Lambda emulation as a schedule tick invokes them, the sender identity is
removed from SES as an operator could, the job is paused through the API function as an admin would, and
then the watchdog's own pass judges the result and raises its alerts.

- `late`: `scheduled-reports` owed a run at its last tick (past its grace) and none started: LATE, naming
  that tick; the watchdog alerts (and, where it records them, writes the tick's MISSED row).
- `failing`: `sequences` runs after the sender address lost its SES verification: every send is refused
  for one configuration cause, the run ends FAILED with the fix, the job is FAILING. The identity stays
  unverified until someone verifies it again (the fix), so later sends fail the same way.
- `all`: both, plus `renewal-reminders` DEGRADED (its run is PARTIAL: the demo's address SES does not
  accept) and `follow-ups` PAUSED by `admin` with a reason.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import boto3

from functions.catalog import JOB_NAMES, get_job
from functions.data.run_log import RunLog
from functions.settings import get_settings
from local.aws import LOCALHOST
from local.gateway import API_PREFIX, Gateway
from local.http_edge import Request
from local.provision import WATCHDOG
from local.runtime import SCENARIOS

LATE_JOB = "scheduled-reports"
FAILING_JOB = "sequences"
DEGRADED_JOB = "renewal-reminders"
PAUSED_JOB = "follow-ups"
PAUSED_BY = "admin"
PAUSE_REASON = "CRM migration this week: owners get no follow-up reminders until it is done"
# Tracking began this long before the missed tick: that tick, and no earlier one, was owed a run.
TRACKED_BEFORE_TICK = timedelta(minutes=1)
# The console line shows the start of the last problem's message; the portal shows it all.
MESSAGE_SHOWN = 160


class ScenarioError(RuntimeError):
    """A scenario could not be set up (a run did not finish, the API refused the pause)."""


@dataclass(frozen=True)
class Scenario:
    name: str
    late: bool
    failing: bool
    degraded: bool
    paused: bool

    @property
    def promised(self) -> dict[str, str]:
        """The health each job of the scenario must end in; the others look as after a default start."""
        health = {}
        if self.late:
            health[LATE_JOB] = "LATE"
        if self.failing:
            health[FAILING_JOB] = "FAILING"
        if self.degraded:
            health[DEGRADED_JOB] = "DEGRADED"
        if self.paused:
            health[PAUSED_JOB] = "PAUSED"
        return health


def scenario(name: str) -> Scenario:
    if name not in SCENARIOS:
        raise ValueError(f"unknown scenario '{name}'; known: {', '.join(SCENARIOS)}")
    every = name == "all"
    return Scenario(
        name, late=every or name == "late", failing=every or name == "failing", degraded=every, paused=every
    )


def missed_tick(now: datetime) -> datetime:
    """The late job's newest tick whose grace is over: the one it will be owed and will not have run."""
    job = get_job(LATE_JOB)
    tick = job.schedule.previous_at_or_before(now - job.grace)
    if tick is None:
        raise ScenarioError(f"{LATE_JOB} has no past tick to miss")
    return tick


def seed(chosen: Scenario, now: datetime) -> None:
    """Before anything runs (and before the watchdog's first pass starts tracking every job at `now`): the
    late job has been watched since just before its last tick, which then starts no run."""
    if chosen.late:
        since = missed_tick(now) - TRACKED_BEFORE_TICK
        RunLog(get_settings().retention_days).ensure_tracking(LATE_JOB, since)


Fire = Callable[[Sequence[str]], None]
"""Fires the named jobs' schedules (or the watchdog's) once now and returns when their runs are done."""

CallApi = Callable[[str, str, Any], tuple[int, Any]]
"""Calls the API function as API Gateway does for a signed-in admin: (method, path, body) → (status, body)."""


def apply(chosen: Scenario, fire: Fire, call_api: CallApi) -> None:
    """Runs the jobs the way the scenario needs them, then the watchdog's pass that judges them."""
    held_back = {LATE_JOB} if chosen.late else set()
    if chosen.failing:
        held_back.add(FAILING_JOB)
    # Every other job runs while the sender is still verified: only the failing job meets the problem.
    fire([job for job in JOB_NAMES if job not in held_back])
    if chosen.paused:
        status, body = call_api("POST", f"/jobs/{PAUSED_JOB}/pause", {"reason": PAUSE_REASON})
        if status != 200:
            raise ScenarioError(f"pausing {PAUSED_JOB} was refused: {status} {body}")
    if chosen.failing:
        boto3.client("ses").delete_identity(Identity=get_settings().sender_email)
        fire([FAILING_JOB])
    fire([WATCHDOG])


def describe(chosen: Scenario, jobs: Sequence[dict[str, Any]], origin: str, moto_url: str) -> list[str]:
    """What the scenario shows, read back from the API's status (what the portal shows), with where to look.

    A job that did not end in the promised health is said so, rather than announced as if it had.
    """
    by_name = {job["job"]: job for job in jobs}
    lines = [f"Scenario {chosen.name}:"]
    for name, promised in chosen.promised.items():
        job = by_name[name]
        health = job["health"]
        if health != promised:
            lines.append(f"  {name:<18} is {health}, not {promised} as the scenario meant: see its page")
            continue
        lines.append(f"  {name:<18} {health:<9} {_what(job, moto_url)}")
        lines.append(f"  {'':<18} open {origin}/#/jobs/{name}")
    return lines


def _what(job: dict[str, Any], moto_url: str) -> str:
    health = job["health"]
    if health == "LATE":
        tick = datetime.fromisoformat(job["late"]["missed_tick"]).astimezone()
        return f"missed its {tick:%a %d %b %H:%M %Z} tick: no run started for it"
    if health == "PAUSED":
        paused = job["paused"]
        return f"paused by {paused['by']}: “{paused['reason']}”"
    problem = job.get("last_problem") or {}
    message = str(problem.get("message", ""))
    message = message if len(message) <= MESSAGE_SHOWN else message[: MESSAGE_SHOWN - 1] + "…"
    if health == "FAILING":
        sender = get_settings().sender_email
        return (
            f"{message}\n  {'':<18} the fix, once read: aws --endpoint-url {moto_url} "
            f"ses verify-email-identity --email-address {sender}, then Run now"
        )
    return message


def api_as(gateway: Gateway, pool_id: str, username: str) -> CallApi:
    """Calls the API function with the claims API Gateway's authorizer passes for `username`'s ID token."""
    cognito = boto3.client("cognito-idp")
    user = cognito.admin_get_user(UserPoolId=pool_id, Username=username)
    attributes = {attribute["Name"]: attribute["Value"] for attribute in user["UserAttributes"]}
    groups = cognito.admin_list_groups_for_user(UserPoolId=pool_id, Username=username)["Groups"]
    claims = {
        "sub": attributes["sub"],
        "cognito:username": username,
        "email": attributes.get("email", ""),
        "cognito:groups": [group["GroupName"] for group in groups],
        "token_use": "id",
    }

    def call(method: str, path: str, body: Any) -> tuple[int, Any]:
        data = json.dumps(body).encode() if body is not None else b""
        headers = [("Content-Type", "application/json")] if body is not None else []
        request = Request(method, API_PREFIX + path, headers, data, LOCALHOST)
        result = gateway.invoke_api(gateway.proxy_event(request, claims))
        if result.error is not None:
            raise ScenarioError(f"the API function failed on {method} {path}: {result.error}")
        payload = result.payload
        return int(payload["statusCode"]), json.loads(payload.get("body") or "null")

    return call

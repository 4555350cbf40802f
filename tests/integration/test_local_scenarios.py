"""The demo scenarios of `python -m local --scenario ...`: each one, started as a user starts it, ends in the
health it promises, judged by the real runner and watchdog (their runs, the watchdog's recorded alert), and
the default start (`--fire-now`) still shows no LATE or FAILING job."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest

from functions.catalog import JOB_NAMES
from local.__main__ import parse_args
from local.runtime import SCENARIOS, Options
from local.scenarios import (
    FAILING_JOB,
    LATE_JOB,
    PAUSE_REASON,
    PAUSED_BY,
    PAUSED_JOB,
    describe,
    missed_tick,
    scenario,
)
from tests.support.local_runtime import LocalRuntime, start_local_runtime

# A scenario runs its jobs before the runtime says it is ready; the failing sequences run takes longest.
STARTUP_SECONDS = 150
FINISHED_SECONDS = 90
UNWELL = {"LATE", "FAILING"}


@pytest.fixture(scope="module", params=SCENARIOS)
def started(request: pytest.FixtureRequest) -> Iterator[tuple[str, LocalRuntime]]:
    with start_local_runtime("--scenario", request.param, startup_seconds=STARTUP_SECONDS) as runtime:
        yield request.param, runtime


def _jobs(runtime: LocalRuntime) -> dict[str, dict[str, Any]]:
    status, _, body = runtime.call_json("GET", "/api/jobs", runtime.token("admin"))
    assert status == 200, body
    return {job["job"]: job for job in body["jobs"]}


def _incident(runtime: LocalRuntime, job: str) -> str | None:
    """The kind of the job's open incident, once the watchdog's pass recorded it and the alert went out."""
    status, _, body = runtime.call_json("GET", f"/api/jobs/{job}", runtime.token("admin"))
    assert status == 200, body
    incident = body["incident"]
    if incident is None:
        return None
    assert [alert["error"] for alert in incident["alerts"]] == [None], incident
    return str(incident["kind"])


def test_given_a_scenario_when_started_then_each_job_has_the_promised_health_and_no_other_is_unwell(
    started: tuple[str, LocalRuntime],
) -> None:
    name, runtime = started

    jobs = _jobs(runtime)

    promised = scenario(name).promised
    assert {job: jobs[job]["health"] for job in promised} == promised
    others = {job: jobs[job]["health"] for job in JOB_NAMES if job not in promised}
    assert not set(others.values()) & UNWELL, others
    # Announced at start, with where to look.
    output = "\n".join(runtime.lines())
    assert f"Scenario {name}:" in output
    for job, health in promised.items():
        assert f"{job:<18} {health}" in output
        assert f"open {runtime.origin}/#/jobs/{job}" in output


@pytest.mark.parametrize("started", ["late", "all"], indirect=True)
def test_given_a_late_scenario_when_started_then_the_watchdog_judged_the_tick_that_never_ran(
    started: tuple[str, LocalRuntime],
) -> None:
    _, runtime = started

    late = _jobs(runtime)[LATE_JOB]

    tick = missed_tick(datetime.now(UTC))
    assert late["late"]["missed_tick"] == tick.strftime("%Y-%m-%dT%H:%M:%SZ")
    assert late["late"]["checks"]
    status, _, runs = runtime.call_json("GET", f"/api/runs?job={LATE_JOB}", runtime.token("admin"))
    assert status == 200
    assert [run for run in runs["runs"] if run["status"] != "MISSED"] == []
    assert _incident(runtime, LATE_JOB) == "LATE"


@pytest.mark.parametrize("started", ["failing", "all"], indirect=True)
def test_given_a_failing_scenario_when_started_then_the_run_failed_for_one_configuration_cause_with_its_fix(
    started: tuple[str, LocalRuntime],
) -> None:
    _, runtime = started

    problem = _jobs(runtime)[FAILING_JOB]["last_problem"]

    assert problem["status"] == "FAILED"
    assert problem["error_type"] == "AllItemsFailed"
    assert problem["failed_items"] > 100
    [cause] = problem["failures_by_reason"]
    assert "configuration: verify the sender address" in cause["reason"]
    assert _incident(runtime, FAILING_JOB) == "FAILING"


@pytest.mark.parametrize("started", ["all"], indirect=True)
def test_given_the_all_scenario_when_started_then_the_paused_job_says_who_paused_it_and_why(
    started: tuple[str, LocalRuntime],
) -> None:
    _, runtime = started

    paused = _jobs(runtime)[PAUSED_JOB]

    assert paused["paused"]["by"] == PAUSED_BY
    assert paused["paused"]["reason"] == PAUSE_REASON
    # It ran before it was paused, so its card still shows a real last run.
    assert paused["last_run"]["status"] == "SUCCEEDED"


def test_given_the_default_start_when_its_first_runs_finished_then_no_job_is_late_or_failing() -> None:
    with start_local_runtime("--fire-now") as runtime:
        deadline = time.monotonic() + FINISHED_SECONDS
        jobs = _jobs(runtime)
        while any(job["last_run"] is None or job["health"] == "RUNNING" for job in jobs.values()):
            assert time.monotonic() < deadline, jobs
            time.sleep(0.5)
            jobs = _jobs(runtime)

        health = {name: job["health"] for name, job in jobs.items()}
        assert not set(health.values()) & UNWELL, health
        assert health["sequences"] == "DEGRADED"
        assert "Scenario" not in "\n".join(runtime.lines())


def test_given_the_command_line_then_a_scenario_is_an_option_that_needs_the_demo_data() -> None:
    assert parse_args(["--scenario", "late"]) == Options(scenario="late")
    assert parse_args([]).scenario is None
    with pytest.raises(SystemExit):
        parse_args(["--scenario", "sometimes"])
    with pytest.raises(SystemExit):
        parse_args(["--scenario", "all", "--no-demo-data"])


def test_given_a_job_not_in_the_promised_health_then_the_console_says_so_instead_of_announcing_it() -> None:
    jobs = [{"job": LATE_JOB, "health": "HEALTHY", "late": None}]

    lines = describe(scenario("late"), jobs, "http://127.0.0.1:8000", "http://127.0.0.1:5000")

    assert lines == [
        "Scenario late:",
        f"  {LATE_JOB:<18} is HEALTHY, not LATE as the scenario meant: see its page",
    ]

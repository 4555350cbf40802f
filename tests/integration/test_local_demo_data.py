"""The demo data: loaded through the importer, it gives every job work on its first run, and a few rejected
addresses make the new user's first sequences run PARTIAL with readable item errors."""

from __future__ import annotations

import importlib
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest

from functions.catalog import CATALOG
from functions.clock import isoformat
from functions.data.run_log import RunLog
from functions.lifecycle.events import scheduled_payload
from functions.settings import get_settings
from local import demo_data
from local.aws import ACCOUNT_ID, enforce_ses_sandbox
from local.provision import provision


@pytest.fixture
def loaded(aws: None, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    monkeypatch.delenv("ALERT_TOPIC_ARN", raising=False)
    provision(lambda name: f"arn:aws:lambda:eu-west-2:{ACCOUNT_ID}:function:{name}", "arn:aws:iam::1:role/r")
    undo = enforce_ses_sandbox()
    try:
        yield demo_data.load()
    finally:
        undo()
        get_settings.cache_clear()


def _run(job: str, lambda_context: Any) -> Any:
    definition = next(candidate for candidate in CATALOG if candidate.name == job)
    module_name, _, attribute = definition.handler.rpartition(".")
    handler = getattr(importlib.import_module(module_name), attribute)
    tick = isoformat(datetime.now(UTC).replace(microsecond=0))
    outcome = handler(
        scheduled_payload(job, tick, "demo"), lambda_context(function_name=f"devsphere-automation-{job}")
    )
    return RunLog(90).get_run(outcome["run_id"])


def test_given_the_generator_then_it_makes_the_same_realistic_data_every_time() -> None:
    first, second = demo_data.generate(), demo_data.generate()

    assert first == second
    assert len(first["contacts"]) >= 300
    assert len(first["sequences"]) >= 3 and len(first["reports"]) >= 3
    rejected = [c for c in first["contacts"] if c["email"].endswith("@" + demo_data.REJECTED_DOMAIN)]
    assert len(rejected) == demo_data.REJECTED_CONTACTS


def test_given_the_demo_data_when_loaded_then_the_importer_takes_every_record(loaded: str) -> None:
    assert "rejected" not in loaded
    assert "contacts 320" in loaded and "enrollments 240" in loaded


def test_given_the_demo_data_when_sequences_first_runs_then_it_is_partial_naming_the_rejected_addresses(
    loaded: str, lambda_context: Any
) -> None:
    run = _run("sequences", lambda_context)

    assert run.status == "PARTIAL"
    counts = run.count_values()
    assert counts["failed"] == demo_data.REJECTED_CONTACTS
    assert counts["succeeded"] > 100
    errors = run.item_error_values()
    assert len(errors) == demo_data.REJECTED_CONTACTS
    assert all("MessageRejected" in e["reason"] and demo_data.REJECTED_DOMAIN in e["reason"] for e in errors)


@pytest.mark.parametrize("job", ["follow-ups", "scheduled-reports", "renewal-reminders"])
def test_given_the_demo_data_when_each_other_job_first_runs_then_it_has_work_to_do(
    loaded: str, lambda_context: Any, job: str
) -> None:
    run = _run(job, lambda_context)

    assert run.status in {"SUCCEEDED", "PARTIAL"}
    assert run.count_values()["succeeded"] > 0

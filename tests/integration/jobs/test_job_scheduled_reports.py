"""scheduled-reports: due reports are built from platform data, stored as CSV + HTML and linked by email."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3

from functions.automations.report_storage import LINK_LIFETIME
from functions.data.platform import ReportModel
from functions.data.platform_store import get_one
from functions.lifecycle.context import RunContext
from functions.settings import get_settings
from tests.integration.email.links import linked_keys
from tests.integration.jobs.job_harness import Platform, owner


def report(report_id: str, kind: str, frequency: str, **extra: Any) -> dict[str, Any]:
    return {
        "id": report_id,
        "name": f"{kind.replace('_', ' ').title()} ({frequency})",
        "type": kind,
        "frequency": frequency,
        "recipients": ["ceo@devsphere.example", "ana@devsphere.example"],
        **extra,
    }


def deal(deal_id: str, stage: str, amount: float) -> dict[str, Any]:
    return {"id": deal_id, "name": deal_id, "stage": stage, "amount": amount, "owner_id": "u-ana"}


def renewal(sub_id: str, days: int) -> dict[str, Any]:
    return {
        "id": sub_id,
        "customer": f"{sub_id} Ltd",
        "owner_id": "u-ana",
        "contact_email": f"buyer@{sub_id}.example",
        "renewal_date": f"today+{days}d",
        "reminder_offsets": [1],
    }


def seeded(platform: Platform, *reports: dict[str, Any]) -> None:
    platform.load(
        {
            "users": [owner()],
            "deals": [
                deal("d1", "proposal", 1000),
                deal("d2", "proposal", 2500.5),
                deal("d3", "negotiation", 10000),
                deal("d4", "won", 400),
            ],
            "subscriptions": [
                renewal("soon", 5),
                renewal("month", 45),
                renewal("quarter", 80),
                renewal("far", 200),
            ],
            "reports": list(reports),
        }
    )


def stored_text(key: str) -> str:
    body = boto3.client("s3").get_object(Bucket=get_settings().reports_bucket, Key=key)["Body"].read()
    return str(body.decode())


def test_given_due_reports_when_the_job_runs_then_each_is_stored_linked_by_email_and_rescheduled(
    platform: Platform,
) -> None:
    seeded(
        platform,
        report("r-pipeline", "pipeline_summary", "daily", next_due_at="2026-11-28T07:00:00Z"),
        report(
            "r-renewals",
            "upcoming_renewals",
            "weekly",
            recipients=["ceo@devsphere.example"],
            next_due_at="now",
        ),
        report("r-health", "automation_health", "monthly"),
        report("r-paused", "pipeline_summary", "daily", status="paused", next_due_at="now-1h"),
    )

    run = platform.record(platform.run("scheduled-reports"))

    assert run.status == "SUCCEEDED"
    assert run.count_values()["reports_built"] == 2 and run.count_values()["emails_sent"] == 3
    pipeline = list(
        csv.reader(io.StringIO(stored_text("reports/r-pipeline/2026-11-27/pipeline_summary.csv")))
    )
    assert pipeline == [
        ["stage", "deals", "amount"],
        ["negotiation", "1", "10,000.00"],
        ["proposal", "2", "3,500.50"],
        ["won", "1", "400.00"],
    ]
    html = stored_text("reports/r-pipeline/2026-11-27/pipeline_summary.html")
    assert (
        "<td>proposal</td><td>2</td><td>3,500.50</td>" in html and "Total amount: <strong>13,900.50" in html
    )
    renewals = list(
        csv.DictReader(io.StringIO(stored_text("reports/r-renewals/2026-W47/upcoming_renewals.csv")))
    )
    assert [(row["customer"], row["window"], row["renews"]) for row in renewals] == [
        ("soon Ltd", "within 30 days", "in 5 days"),
        ("month Ltd", "31-60 days", "in 45 days"),
        ("quarter Ltd", "61-90 days", "in 80 days"),
    ]

    ceo_subjects = sorted(message.subject for message in platform.sent_to("ceo@devsphere.example"))
    assert ceo_subjects == ["Pipeline Summary (daily): 2026-11-27", "Upcoming Renewals (weekly): 2026-W47"]
    [to_ana] = platform.sent_to("ana@devsphere.example")
    html_link, csv_link = linked_keys(to_ana.body, platform.clock.now())
    assert html_link == "reports/r-pipeline/2026-11-27/pipeline_summary.html"
    assert csv_link == "reports/r-pipeline/2026-11-27/pipeline_summary.csv"
    assert f"work for up to {LINK_LIFETIME.days} days" in to_ana.body

    daily = get_one(ReportModel, "r-pipeline")
    assert daily is not None and daily.last_period == "2026-11-27"
    assert daily.next_due_at == datetime(2026, 11, 29, 7, 0, tzinfo=UTC)
    weekly = get_one(ReportModel, "r-renewals")
    assert weekly is not None and weekly.next_due_at == datetime(2026, 11, 30, 7, 0, tzinfo=UTC)  # Monday
    paused = get_one(ReportModel, "r-paused")
    assert paused is not None and paused.last_period is None


def test_given_reports_sent_when_the_job_runs_again_or_is_re_run_then_nothing_is_sent_again(
    platform: Platform,
) -> None:
    seeded(platform, report("r-pipeline", "pipeline_summary", "daily", next_due_at="now"))
    platform.run("scheduled-reports")

    again = platform.record(platform.run_now("scheduled-reports"))
    platform.clock.advance(timedelta(hours=3))
    later = platform.record(platform.run("scheduled-reports"))

    assert len(platform.sent()) == 2
    assert again.count_values()["processed"] == 0 and later.count_values()["processed"] == 0


def test_given_a_daily_report_before_the_clocks_change_when_it_runs_then_its_next_time_is_07_00_local(
    platform: Platform,
) -> None:
    platform.clock.set(datetime(2027, 3, 27, 7, 0, tzinfo=UTC))  # 07:00 GMT, the day before BST starts
    seeded(platform, report("r-pipeline", "pipeline_summary", "daily", next_due_at="now"))

    platform.run("scheduled-reports")

    daily = get_one(ReportModel, "r-pipeline")
    assert daily is not None and daily.next_due_at == datetime(2027, 3, 28, 6, 0, tzinfo=UTC)  # 07:00 BST


def test_given_runs_in_the_month_when_the_monthly_health_report_is_due_then_it_counts_them_per_job(
    platform: Platform,
) -> None:
    def failing(run: RunContext, cursor: str | None) -> None:
        with run.item("x") as item:
            item.fail("boom")

    platform.clock.set(datetime(2026, 11, 10, 9, 0, tzinfo=UTC))
    seeded(platform, report("r-health", "automation_health", "monthly"))  # due 2026-12-01 07:00 London
    platform.run("follow-ups")
    platform.clock.advance(timedelta(days=1))
    platform.run("follow-ups", failing)
    platform.clock.advance(timedelta(days=1))
    platform.run("sequences")
    platform.clock.set(datetime(2026, 12, 1, 7, 0, tzinfo=UTC))
    platform.run("sequences")  # December: outside the report's period

    run = platform.record(platform.run("scheduled-reports"))

    assert run.count_values()["reports_built"] == 1
    rows = {
        row["job"]: row
        for row in csv.DictReader(io.StringIO(stored_text("reports/r-health/2026-11/automation_health.csv")))
    }
    assert list(rows) == ["sequences", "follow-ups", "scheduled-reports", "renewal-reminders"]
    assert (rows["follow-ups"]["runs"], rows["follow-ups"]["succeeded"], rows["follow-ups"]["failed"]) == (
        "2",
        "1",
        "1",
    )
    assert rows["follow-ups"]["items_failed"] == "1"
    assert rows["sequences"]["runs"] == "1" and rows["renewal-reminders"]["runs"] == "0"
    health = get_one(ReportModel, "r-health")
    assert health is not None and health.next_due_at == datetime(2027, 1, 1, 7, 0, tzinfo=UTC)


def test_given_a_rejected_recipient_when_the_report_is_retried_then_only_that_recipient_is_tried_again(
    platform: Platform,
) -> None:
    seeded(
        platform,
        report("r-pipeline", "pipeline_summary", "daily", next_due_at="now"),
        report("r-weekly", "pipeline_summary", "weekly", next_due_at="now"),
    )
    bad = get_one(ReportModel, "r-weekly")
    assert bad is not None
    bad.update(actions=[ReportModel.recipients.set(["ceo@devsphere.example", "nobody"])])

    first = platform.record(platform.run("scheduled-reports"))
    platform.clock.advance(timedelta(days=1))
    second = platform.record(platform.run("scheduled-reports"))

    assert first.status == "PARTIAL"
    [error] = first.item_error_values()
    assert error["key"] == "report:r-weekly:2026-W47" and "nobody: DeliveryRejected" in error["reason"]
    weekly_to_ceo = [m for m in platform.sent_to("ceo@devsphere.example") if "(weekly)" in m.subject]
    assert len(weekly_to_ceo) == 1
    assert second.item_error_values()[0]["key"] == "report:r-weekly:2026-W47"
    weekly = get_one(ReportModel, "r-weekly")
    assert weekly is not None and weekly.failures == 2 and weekly.due_at is not None

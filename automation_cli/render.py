"""What a person reads: tables and summaries in rich, coloured only where the terminal takes colour."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.table import Table

HEALTH_STYLE = {
    "HEALTHY": "green",
    "RUNNING": "cyan",
    "NEW": "blue",
    "PAUSED": "yellow",
    "DEGRADED": "yellow",
    "LATE": "red",
    "FAILING": "red",
}
STATUS_STYLE = {
    "SUCCEEDED": "green",
    "PARTIAL": "yellow",
    "FAILED": "red",
    "TIMED_OUT": "red",
    "SKIPPED": "dim",
    "QUEUED": "cyan",
    "RUNNING": "cyan",
}
PROBLEM_STATUSES = ("FAILED", "TIMED_OUT", "PARTIAL", "MISSED")


def _parse(moment: str | None) -> datetime | None:
    if not moment:
        return None
    try:
        parsed = datetime.fromisoformat(moment)
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def relative(moment: str | None, now: datetime | None = None) -> str:
    """ "5m ago", "in 2h 10m": what a person compares against the clock on the wall."""
    parsed = _parse(moment)
    if parsed is None:
        return "-"
    seconds = int(((now or datetime.now(UTC)) - parsed).total_seconds())
    future, seconds = seconds < 0, abs(seconds)
    if seconds < 60:
        text = f"{seconds}s"
    elif seconds < 3600:
        text = f"{seconds // 60}m"
    elif seconds < 86400:
        text = f"{seconds // 3600}h {seconds % 3600 // 60}m"
    else:
        text = f"{seconds // 86400}d {seconds % 86400 // 3600}h"
    return f"in {text}" if future else f"{text} ago"


def local_time(moment: str | None) -> str:
    parsed = _parse(moment)
    return parsed.astimezone().strftime("%Y-%m-%d %H:%M:%S %Z") if parsed else "-"


def short_time(moment: str | None) -> str:
    parsed = _parse(moment)
    return parsed.astimezone().strftime("%a %H:%M %Z") if parsed else "-"


def duration(milliseconds: int | None) -> str:
    if milliseconds is None:
        return "-"
    if milliseconds < 1000:
        return f"{milliseconds} ms"
    seconds = milliseconds / 1000
    return f"{seconds:.1f} s" if seconds < 60 else f"{int(seconds // 60)}m {int(seconds % 60)}s"


def styled(value: str | None, styles: dict[str, str]) -> str:
    if not value:
        return "-"
    style = styles.get(value)
    return f"[{style}]{escape(value)}[/]" if style else escape(value)


def last_problem(job: dict[str, Any]) -> str:
    """The newest run among the recent ones that did not fully succeed, in a few words."""
    for run in job.get("recent_runs") or []:
        if run.get("status") in PROBLEM_STATUSES:
            failed = (run.get("counts") or {}).get("failed", 0)
            what = run.get("error_type") or (f"{failed} item(s) failed" if failed else "no detail")
            when = relative(run.get("finished_at") or run.get("queued_at"))
            return f"{run['status']} {when}: {what} ({run['run_id']})"
    return "-"


def headline(jobs: list[dict[str, Any]]) -> str:
    healthy = sum(1 for job in jobs if job.get("health") == "HEALTHY")
    others: dict[str, int] = {}
    for job in jobs:
        if job.get("health") != "HEALTHY":
            others[job.get("health") or "?"] = others.get(job.get("health") or "?", 0) + 1
    rest = "".join(f" · {count} {health.lower()}" for health, count in sorted(others.items()))
    return f"{healthy} of {len(jobs)} automations healthy{rest}"


def status_table(console: Console, listing: dict[str, Any]) -> None:
    jobs = listing.get("jobs") or []
    console.print(headline(jobs), style="bold", highlight=False)
    table = Table(show_edge=False, header_style="bold")
    for column in ("JOB", "HEALTH"):
        table.add_column(column, no_wrap=True)
    for column in ("LAST RUN", "NEXT RUN", "LAST PROBLEM"):
        table.add_column(column, overflow="fold")
    for job in jobs:
        last = job.get("last_run")
        last_text = (
            f"{styled(last['status'], STATUS_STYLE)}"
            f" {relative(last.get('finished_at') or last.get('queued_at'))}"
            f" ({duration(last.get('duration_ms'))})"
            if last
            else "never"
        )
        schedule = job.get("schedule") or {}
        next_run = schedule.get("next_run_at")
        paused = job.get("paused")
        next_text = (
            f"paused by {escape(str(paused.get('by') or '?'))}: {escape(str(paused.get('reason') or ''))}"
            if paused
            else (f"{relative(next_run)} ({short_time(next_run)})" if next_run else "-")
        )
        table.add_row(
            escape(job["job"]),
            styled(job.get("health"), HEALTH_STYLE),
            last_text,
            next_text,
            escape(last_problem(job)),
        )
    console.print(table)


def runs_table(console: Console, runs: list[dict[str, Any]]) -> None:
    if not runs:
        console.print("No runs match.")
        return
    table = Table(show_edge=False, header_style="bold")
    for column in ("RUN ID", "JOB", "STATUS"):
        table.add_column(column, no_wrap=True)
    for column in ("TRIGGER", "QUEUED", "DURATION", "OK/FAILED", "ERROR"):
        table.add_column(column, overflow="fold")
    for run in runs:
        counts = run.get("counts") or {}
        table.add_row(
            run["run_id"],
            escape(run["job"]),
            styled(run.get("status"), STATUS_STYLE),
            escape(run.get("trigger") or "-")
            + (f" by {escape(run['triggered_by'])}" if run.get("triggered_by") else ""),
            relative(run.get("queued_at")),
            duration(run.get("duration_ms")),
            f"{counts.get('succeeded', 0)}/{counts.get('failed', 0)}",
            escape(run.get("error_type") or "-"),
        )
    console.print(table)


def run_detail(console: Console, run: dict[str, Any], stack: bool = True) -> None:
    console.print(
        f"[bold]Run {run['run_id']}[/] of [bold]{escape(run['job'])}[/]:"
        f" {styled(run.get('status'), STATUS_STYLE)}"
    )
    caller = run.get("caller") or {}
    trigger = run.get("trigger") or "-"
    if caller:
        trigger += f" by {caller.get('username') or caller.get('sub')}"
    rows = [
        ("trigger", escape(trigger)),
        ("reason", escape(run.get("reason") or "-")),
        ("scheduled for", local_time(run.get("scheduled_for"))),
        ("queued", local_time(run.get("queued_at"))),
        ("started", local_time(run.get("started_at"))),
        ("finished", local_time(run.get("finished_at"))),
        ("duration", duration(run.get("duration_ms"))),
        (
            "counts",
            escape(", ".join(f"{name} {value}" for name, value in (run.get("counts") or {}).items()) or "-"),
        ),
    ]
    if run.get("blocked_by"):
        rows.append(("blocked by", run["blocked_by"]))
    for name, value in rows:
        console.print(f"  {name:<14}{value}", highlight=False)
    error = run.get("error")
    if error:
        console.print(f"[red bold]Error[/] {escape(error['type'])}: {escape(error['message'])}")
        if error.get("where"):
            console.print(f"  at {escape(error['where'])}", highlight=False)
        if stack and error.get("stack"):
            console.print(escape(error["stack"].rstrip()), style="dim", highlight=False)
    item_errors = run.get("item_errors") or []
    if item_errors:
        console.print(f"[yellow bold]Failed items[/] ({len(item_errors)} listed)")
        for item in item_errors:
            console.print(f"  {escape(item['key'])}: {escape(item['reason'])}", highlight=False)
    link = (run.get("logs") or {}).get("link")
    if link:
        console.print(f"Logs: {link}", highlight=False, soft_wrap=True)

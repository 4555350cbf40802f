"""The `automation` command group and its entry point; reading status and runs, running, pausing, resuming."""

from __future__ import annotations

import os
import sys
import traceback
from datetime import UTC, datetime, timedelta
from typing import Any

import click

from automation_cli import render
from automation_cli.account import configure, login, logout, whoami
from automation_cli.api import Api
from automation_cli.consoles import err, out, print_json
from automation_cli.context import Context
from automation_cli.exits import EXIT_CODE_HELP, CliError, ExitCode
from automation_cli.follow import OUTCOME_EXIT, follow, start_run
from automation_cli.options import with_settings
from automation_cli.smoke import smoke

RUN_STATUSES = ("QUEUED", "RUNNING", "SUCCEEDED", "PARTIAL", "FAILED", "TIMED_OUT", "SKIPPED")
PAGE_LIMIT = 100
DEFAULT_WAIT_SECONDS = 900
_SINCE_UNITS = {"m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


def _exit_codes_epilog() -> str:
    lines = [f"  {int(code):>3}  {text}" for code, text in EXIT_CODE_HELP.items()]
    return "\b\nExit codes:\n" + "\n".join(lines)


@click.group(
    epilog=_exit_codes_epilog()
    + "\n\n\bSettings come from flags, then AUTOMATION_* variables, then the config file "
    "written by `automation configure`.",
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 110},
)
@click.version_option(package_name="devsphere-automation", prog_name="automation")
def cli() -> None:
    """DevSphere Automation from a terminal: status, logs, run now, pause and resume."""


# --- reading ------------------------------------------------------------------------------------------


@cli.command()
@click.argument("job", required=False)
@click.option("--json", "as_json", is_flag=True, help="Print the API's answer as JSON.")
@with_settings
def status(context: Context, job: str | None, as_json: bool) -> None:
    """Every job's health, last run, next run and last problem (or one JOB's, with its last failure)."""
    api = context.api()
    if job is None:
        listing = api.get("/jobs")
        if as_json:
            print_json(listing)
        else:
            render.status_table(out, listing)
        return
    detail = api.get(f"/jobs/{job}")
    if as_json:
        print_json(detail)
        return
    render.status_table(out, {"jobs": [detail]})
    if detail.get("last_failure_run"):
        out.print("\nLast failure:", style="bold")
        render.run_detail(out, detail["last_failure_run"])


def _since(text: str | None) -> str | None:
    """`30m`, `6h`, `2d`, `1w` ago, or an ISO 8601 time (UTC unless it says otherwise)."""
    if not text:
        return None
    unit = _SINCE_UNITS.get(text[-1:].lower())
    if unit and text[:-1].isdigit():
        return (datetime.now(UTC) - timedelta(**{unit: int(text[:-1])})).isoformat()
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise click.BadParameter("use 30m, 6h, 2d, 1w or an ISO 8601 time", param_hint="--since") from None
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).isoformat()


@cli.command()
@click.option("--job", help="Only this job.")
@click.option(
    "--status",
    "run_status",
    type=click.Choice(RUN_STATUSES, case_sensitive=False),
    help="Only runs in this status.",
)
@click.option(
    "--trigger",
    type=click.Choice(("SCHEDULE", "MANUAL"), case_sensitive=False),
    help="Only scheduled or manual runs.",
)
@click.option("--since", help="Only runs since then: 30m, 6h, 2d, 1w or an ISO 8601 time.")
@click.option(
    "--limit", type=click.IntRange(1, 1000), default=20, show_default=True, help="At most this many runs."
)
@click.option("--json", "as_json", is_flag=True, help="Print the runs as JSON.")
@with_settings
def runs(
    context: Context,
    job: str | None,
    run_status: str | None,
    trigger: str | None,
    since: str | None,
    limit: int,
    as_json: bool,
) -> None:
    """The run log, newest first."""
    api = context.api()
    query: dict[str, str | None] = {
        "job": job,
        "status": run_status.upper() if run_status else None,
        "trigger": trigger.upper() if trigger else None,
        "from": _since(since),
    }
    found: list[dict[str, Any]] = []
    cursor: str | None = None
    while len(found) < limit:
        page = api.get(
            "/runs", {**query, "limit": str(min(PAGE_LIMIT, limit - len(found))), "cursor": cursor}
        )
        found.extend(page["runs"])
        cursor = page.get("next_cursor")
        if not cursor:
            break
    if as_json:
        print_json({"runs": found})
    else:
        render.runs_table(out, found)


@cli.command("run-detail")
@click.argument("run_id")
@click.option("--json", "as_json", is_flag=True, help="Print the run as JSON.")
@with_settings
def run_detail(context: Context, run_id: str, as_json: bool) -> None:
    """Everything a run recorded: counts, error and stack, failed items, the link to its logs."""
    run = context.api().get(f"/runs/{run_id}")
    if as_json:
        print_json(run)
    else:
        render.run_detail(out, run)


# --- acting -------------------------------------------------------------------------------------------


def _last_problem(api: Api, detail: dict[str, Any]) -> dict[str, Any] | None:
    """The newest run that did not fully succeed: the last run if it was PARTIAL or failed, else the last
    failure (kept in full on the job's status)."""
    last, failure = detail.get("last_run") or {}, detail.get("last_failure_run")
    if last.get("status") not in render.PROBLEM_STATUSES or (failure or {}).get("run_id") == last["run_id"]:
        return failure
    newest: dict[str, Any] = api.get(f"/runs/{last['run_id']}")
    return newest


def _confirm(question: str, yes: bool) -> None:
    if yes:
        return
    if not sys.stdin.isatty():
        raise CliError("not on a terminal, so nothing can be confirmed", ExitCode.USAGE, hint="pass --yes")
    if not click.confirm(question, err=True):
        raise CliError("nothing was started", ExitCode.USAGE)


def outcome(run: dict[str, Any], as_json: bool) -> ExitCode:
    if as_json:
        print_json(run)
    else:
        render.run_detail(out, run, stack=False)
    return OUTCOME_EXIT[run["status"]]


@cli.command()
@click.argument("job")
@click.option("--reason", required=True, help="Why it runs now; recorded with the run.")
@click.option("--yes", "-y", is_flag=True, help="Do not ask for confirmation (needed off a terminal).")
@click.option("--wait", is_flag=True, help="Follow the run to its outcome; the exit code tells it.")
@click.option(
    "--timeout",
    type=click.FloatRange(0),
    default=DEFAULT_WAIT_SECONDS,
    show_default=True,
    help="Seconds --wait waits.",
)
@click.option(
    "--interval", type=click.FloatRange(0.1), default=2.0, show_default=True, help="Seconds between polls."
)
@click.option("--json", "as_json", is_flag=True, help="Print the run as JSON.")
@with_settings
def run(
    context: Context,
    job: str,
    reason: str,
    yes: bool,
    wait: bool,
    timeout: float,
    interval: float,
    as_json: bool,
) -> ExitCode:
    """Run JOB now. Its last failure is shown first: read it before re-running."""
    api = context.api()
    detail = api.get(f"/jobs/{job}")
    problem = _last_problem(api, detail)
    if problem:
        err.print(f"[bold]Last problem of this job[/] ({render.relative(problem.get('finished_at'))}):")
        render.run_detail(err, problem, stack=False)
    if detail.get("paused"):
        err.print(f"{job} is paused; a manual run still runs.")
    _confirm(f"Run {job} now?", yes)
    started = start_run(api, job, reason)
    err.print(f"Started run {started['run_id']} of {job}.")
    if not wait:
        if as_json:
            print_json(started)
        else:
            out.print(started["run_id"])
        return ExitCode.OK
    try:
        finished = follow(api, started, timeout, interval, err)
    except KeyboardInterrupt:
        raise CliError(
            f"stopped following run {started['run_id']}; it goes on",
            ExitCode.INTERRUPTED,
            hint=f"check it with `automation run-detail {started['run_id']}`",
        ) from None
    return outcome(finished, as_json)


def _schedule_change(context: Context, job: str, action: str, reason: str | None, as_json: bool) -> None:
    body = {"reason": reason} if reason else {}
    status_after: dict[str, Any] = context.api().post(f"/jobs/{job}/{action}", body).body
    if as_json:
        print_json(status_after)
        return
    paused = status_after.get("paused")
    next_run = (status_after.get("schedule") or {}).get("next_run_at")
    if paused:
        err.print(f"Paused {job}: {paused.get('reason')}")
    else:
        err.print(f"Resumed {job}; next run {render.relative(next_run)}.")


@cli.command()
@click.argument("job")
@click.option("--reason", required=True, help="Why; shown on the job's status.")
@click.option("--json", "as_json", is_flag=True, help="Print the job's status as JSON.")
@with_settings
def pause(context: Context, job: str, reason: str, as_json: bool) -> None:
    """Pause JOB's schedule (manual runs still work)."""
    _schedule_change(context, job, "pause", reason, as_json)


@cli.command()
@click.argument("job")
@click.option("--reason", help="Why (optional).")
@click.option("--json", "as_json", is_flag=True, help="Print the job's status as JSON.")
@with_settings
def resume(context: Context, job: str, reason: str | None, as_json: bool) -> None:
    """Resume JOB's schedule."""
    _schedule_change(context, job, "resume", reason, as_json)


for command in (configure, login, logout, whoami, smoke):
    cli.add_command(command)


def main() -> None:
    """The console script: every failure ends as a message and a documented exit code, never a traceback."""
    try:
        result = cli.main(prog_name="automation", standalone_mode=False)
    except CliError as error:
        err.print(f"[red]error:[/] {error.message}", soft_wrap=True)
        if error.hint:
            err.print(f"hint: {error.hint}", soft_wrap=True)
        sys.exit(int(error.code))
    except click.ClickException as error:
        error.show()
        sys.exit(ExitCode.USAGE if isinstance(error, click.UsageError) else ExitCode.ERROR)
    except click.Abort:
        if sys.stdin.isatty():
            err.print("Interrupted.")
            sys.exit(ExitCode.INTERRUPTED)
        # Off a terminal a prompt ends this way when stdin has no more lines; the prompt has no newline yet.
        err.print()
        err.print("[red]error:[/] input ended before every question was answered", soft_wrap=True)
        err.print(
            "hint: pass --username and --password-stdin, or set AUTOMATION_USERNAME and AUTOMATION_PASSWORD"
        )
        sys.exit(ExitCode.USAGE)
    except KeyboardInterrupt:
        err.print("Interrupted.")
        sys.exit(ExitCode.INTERRUPTED)
    except Exception as error:
        if os.environ.get("AUTOMATION_DEBUG"):
            traceback.print_exc()
        err.print(f"[red]error:[/] unexpected {type(error).__name__}: {error}", soft_wrap=True)
        err.print("hint: set AUTOMATION_DEBUG=1 to see where it happened, and report it")
        sys.exit(ExitCode.ERROR)
    sys.exit(int(result) if isinstance(result, int) else ExitCode.OK)

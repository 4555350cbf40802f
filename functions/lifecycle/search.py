"""Searching the run log by what an admin has in hand: a run id, an item key or an email address.

A run id is a direct read. An item key or address is looked for in the failed items the runs
recorded (key and reason, case-insensitive), over the runs of a time window read newest first by
key range; one request reads at most `MAX_SEARCH_RUNS` runs and hands back a cursor to go on.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from functions.data.errors import NotFoundError
from functions.data.models import RunModel
from functions.data.run_log import RunLog
from functions.data.run_types import RunQuery
from functions.data.vocabulary import RunStatus, Trigger
from functions.ids import is_run_id

MAX_SEARCH_RUNS = 1000
_PAGE = 100


@dataclass(frozen=True)
class SearchResult:
    runs: list[RunModel]
    runs_read: int
    continue_after: str | None
    kind: str


def _matches(run: RunModel, needle: str) -> bool:
    return any(
        needle in error["key"].lower() or needle in error["reason"].lower()
        for error in run.item_error_values()
    )


def search_runs(
    run_log: RunLog,
    text: str,
    jobs: Sequence[str],
    status: RunStatus | None,
    trigger: Trigger | None,
    since: datetime,
    until: datetime | None,
    before_run_id: str | None,
    limit: int,
) -> SearchResult:
    query = text.strip()
    if is_run_id(query.upper()):
        try:
            run = run_log.get_run(query.upper())
        except NotFoundError:
            return SearchResult([], 1, None, "run_id")
        return SearchResult([run] if run.job in jobs else [], 1, None, "run_id")
    needle = query.lower()
    found: list[RunModel] = []
    read = 0
    cursor = before_run_id
    while read < MAX_SEARCH_RUNS:
        page = run_log.query_runs(
            RunQuery(
                jobs=jobs,
                status=status,
                trigger=trigger,
                since=since,
                until=until,
                before_run_id=cursor,
                limit=min(_PAGE, MAX_SEARCH_RUNS - read),
            )
        )
        for run in page.runs:
            read += 1
            cursor = run.run_id
            if _matches(run, needle):
                found.append(run)
                if len(found) == limit:
                    return SearchResult(found, read, run.run_id, "item")
        if page.last_run_id is None:
            return SearchResult(found, read, None, "item")
    return SearchResult(found, read, cursor, "item")

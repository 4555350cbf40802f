"""Finding due work: the sparse due index against the Scan a naive job would do, on 20,000 records."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from moto import mock_aws

from bench.timing import compare, report
from functions.clock import isoformat
from functions.data.platform import FollowUpModel, PlatformItem
from functions.data.platform_store import due_page
from functions.data.schema import create_tables

NOW = datetime(2026, 11, 28, 9, 0, tzinfo=UTC)
RECORDS, DUE = 20_000, 200


def _seed() -> None:
    with FollowUpModel.batch_write() as batch:
        for n in range(RECORDS):
            due = NOW - timedelta(minutes=n + 1) if n < DUE else NOW + timedelta(days=1 + n % 30)
            follow_up = FollowUpModel.new(
                f"f-{n:05d}", owner_id="u-1", related_label="deal", due_time=due, note="call back"
            )
            # Only work that can come due sits in the index; done work leaves it (see platform.py).
            follow_up.set_due(due if n < DUE * 3 else None)
            batch.save(follow_up)


def _by_index() -> list[Any]:
    found: list[Any] = []
    start = None
    while True:
        page = due_page(FollowUpModel, NOW, start, 100)
        found.extend(page.items)
        if page.last_key is None:
            return found
        start = page.last_key


def _by_scan() -> list[Any]:
    return list(
        FollowUpModel.scan(
            (FollowUpModel.due_time <= NOW) & (FollowUpModel.due_bucket.exists()),
        )
    )


def _items_read(action: Any) -> tuple[int, int]:
    """Items DynamoDB examined (ScannedCount) and returned for one call."""
    totals = [0, 0]

    def count(parsed: dict[str, Any], **_: object) -> None:
        totals[0] += int(parsed.get("ScannedCount", 0))
        totals[1] += int(parsed.get("Count", 0))

    client = PlatformItem._get_connection().connection.client
    client.meta.events.register("after-call.dynamodb", count)
    try:
        action()
    finally:
        client.meta.events.unregister("after-call.dynamodb", count)
    return totals[0], totals[1]


def run() -> None:
    with mock_aws():
        create_tables()
        _seed()
        assert len(_by_index()) == len(_by_scan()) == DUE, "both ways must find the same due work"
        index_read, scan_read = _items_read(_by_index)[0], _items_read(_by_scan)[0]
        print(f"\ndue work — {RECORDS:,} follow-ups, {DUE} due (as of {isoformat(NOW)})")
        ratio = scan_read / index_read
        print(f"  items DynamoDB read: due index {index_read:,} vs Scan {scan_read:,}   ratio {ratio:.0f}x")
        report(
            "  wall time (in-process moto)",
            compare({"due index": _by_index, "Scan": _by_scan}, rounds=3),
            "due index",
        )

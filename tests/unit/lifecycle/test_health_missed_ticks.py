"""Which ticks a watchdog pass owes a MISSED check: from the watermark, outside pauses, bounded per pass."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from functions.catalog import get_job
from functions.data.models import JobStateModel
from functions.ids import run_id_time, tick_run_id
from functions.lifecycle.missed import in_pause, missed_error, owed_ticks

NOW = datetime(2026, 11, 28, 9, 0, tzinfo=UTC)
LONG_AGO = NOW - timedelta(days=30)
SEQUENCES = get_job("sequences")  # every 15 minutes, 10 minutes' grace


def _state(**fields) -> JobStateModel:
    return JobStateModel("JOB#sequences", job="sequences", **fields)


def _at(hour: int, minute: int) -> datetime:
    return datetime(2026, 11, 28, hour, minute, tzinfo=UTC)


def test_given_tracking_since_7_then_every_tick_past_its_grace_is_owed_including_the_first():
    walk = owed_ticks(SEQUENCES, _state(tracking_since=_at(7, 0)), NOW, LONG_AGO)

    # 08:45 is owed from 08:55 on; 09:00 is still within its grace.
    assert walk.ticks == [_at(7, 0) + timedelta(minutes=15 * n) for n in range(8)]
    assert walk.checked_until == NOW - SEQUENCES.grace


def test_given_a_watermark_then_only_the_ticks_after_it_are_walked():
    state = _state(tracking_since=_at(7, 0), ticks_checked_until=_at(8, 20))

    assert owed_ticks(SEQUENCES, state, NOW, LONG_AGO).ticks == [_at(8, 30), _at(8, 45)]


def test_given_the_watermark_at_the_end_then_nothing_moves():
    state = _state(tracking_since=_at(7, 0), ticks_checked_until=NOW - SEQUENCES.grace)

    walk = owed_ticks(SEQUENCES, state, NOW, LONG_AGO)

    assert (walk.ticks, walk.checked_until) == ([], None)


def test_given_a_long_gap_then_one_pass_walks_at_most_the_limit_oldest_first_and_stops_its_watermark_there():
    state = _state(tracking_since=_at(0, 0))

    first = owed_ticks(SEQUENCES, state, NOW, LONG_AGO, limit=5)
    second = owed_ticks(
        SEQUENCES, _state(tracking_since=_at(0, 0), ticks_checked_until=first.checked_until), NOW, LONG_AGO
    )

    assert first.ticks == [_at(0, 0), _at(0, 15), _at(0, 30), _at(0, 45), _at(1, 0)]
    assert first.checked_until == _at(1, 0)
    assert second.ticks[0] == _at(1, 15)
    assert second.ticks[-1] == _at(8, 45)


def test_given_a_pause_that_ended_then_its_ticks_are_not_owed_but_those_around_it_are():
    state = _state(tracking_since=_at(7, 0), paused=False, paused_at=_at(7, 20), resumed_at=_at(8, 10))

    expected = [_at(7, 0), _at(7, 15), _at(8, 15), _at(8, 30), _at(8, 45)]
    assert owed_ticks(SEQUENCES, state, NOW, LONG_AGO).ticks == expected


def test_given_a_job_still_paused_then_no_tick_since_the_pause_is_owed():
    state = _state(tracking_since=_at(7, 0), paused=True, paused_at=_at(8, 0), resumed_at=_at(7, 5))

    expected = [_at(7, 0), _at(7, 15), _at(7, 30), _at(7, 45)]
    assert owed_ticks(SEQUENCES, state, NOW, LONG_AGO).ticks == expected
    assert in_pause(state, _at(8, 0))
    assert not in_pause(_state(), _at(8, 0))


def test_given_the_retention_horizon_then_ticks_older_than_their_claims_are_never_owed():
    walk = owed_ticks(SEQUENCES, _state(tracking_since=LONG_AGO), NOW, _at(8, 20))

    assert walk.ticks == [_at(8, 30), _at(8, 45)]


def test_given_an_untracked_job_then_nothing_is_owed():
    assert owed_ticks(SEQUENCES, _state(), NOW, LONG_AGO).ticks == []


def test_given_a_tick_then_its_missed_row_id_sorts_at_the_tick_and_is_the_same_every_time():
    run_id = tick_run_id("sequences", _at(8, 45))

    assert run_id == tick_run_id("sequences", _at(8, 45))
    assert run_id != tick_run_id("follow-ups", _at(8, 45))
    assert run_id != tick_run_id("sequences", _at(9, 0))
    assert run_id_time(run_id) == _at(8, 45)


def test_given_a_missed_tick_then_its_error_names_the_tick_and_the_reason_lists_what_to_check():
    error, checks = missed_error(SEQUENCES, _at(8, 45), "devsphere-automation")

    assert error.type == "MissedTick"
    assert error.message == (
        "The Sat 28 Nov 2026 08:45 GMT tick (2026-11-28T08:45:00Z) started no run within its 10-minute grace"
    )
    summer, _ = missed_error(SEQUENCES, datetime(2026, 7, 1, 8, 45, tzinfo=UTC), "devsphere-automation")
    # In the schedule's own zone, as its schedule is written: British Summer Time in July.
    assert summer.message.startswith("The Wed 01 Jul 2026 09:45 BST tick (2026-07-01T08:45:00Z)")
    assert "devsphere-automation-sequences-schedule-dlq" in checks
    assert "Throttles" in checks

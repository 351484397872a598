"""The UTC clock, at the wall clock's pace and time compressed."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

from crm_core.clock import UtcClock


def test_clock_reads_the_wall_clock_when_its_speed_is_one() -> None:
    before = datetime.now(UTC)
    now = UtcClock().now()
    assert before <= now <= datetime.now(UTC)
    assert now.tzinfo is UTC


def test_clock_runs_speed_times_faster_than_the_wall_clock_when_compressed() -> None:
    clock = UtcClock(speed=50.0)
    start, wall_start = clock.now(), time.monotonic()
    time.sleep(0.1)
    elapsed = clock.now() - start
    wall_s = time.monotonic() - wall_start
    assert timedelta(seconds=0.1 * 50) <= elapsed <= timedelta(seconds=wall_s * 50)
    assert abs(start - datetime.now(UTC)) < timedelta(seconds=1)

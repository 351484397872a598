"""Memory over a long run: 100,000 simulated calls through the call tracker.

Run from the repository root: `.venv/bin/python -m bench.call_tracking`.

Calls overlap as on a busy PBX (a sliding window of live calls); each has a caller
and an agent leg that are created, answered, bridged and hung up. Each run is a
fresh process; the figure is the growth of peak RSS (ru_maxrss) from call 10,000
to the end. The baseline is the same run with the events built but not tracked.
Prints the median of several runs; the last line is `rss_growth_mib=N`.
"""

from __future__ import annotations

import resource
import statistics
import time
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import TypedDict

from telephony.calls import CallTracker
from telephony.channel_events import (
    BridgeEntered,
    ChannelCreated,
    ChannelHungUp,
    ChannelStateChanged,
    TrackerInput,
)
from telephony.model import ChannelId, PbxId

CALLS = 100_000
WARM_UP = 10_000
LIVE = 500
"""Calls in progress at any moment."""
RUNS = 3
PBX = PbxId("pbx1")
T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


class _Common(TypedDict):
    pbx_id: PbxId
    now: datetime
    channel_id: ChannelId
    channel: str
    linkedid: str
    caller_num: str
    caller_name: str
    context: str
    exten: str


def _call(n: int, step: int) -> list[TrackerInput]:
    """Step 0 starts call n, step 1 answers and bridges it, step 2 hangs it up."""
    linkedid = f"1767600000.{n}"
    now = T0 + timedelta(milliseconds=n)
    out: list[TrackerInput] = []
    for leg, context in ((linkedid, "cc-inbound"), (f"{linkedid}-agent", "agents")):
        common: _Common = {
            "pbx_id": PBX,
            "now": now,
            "channel_id": ChannelId(leg),
            "channel": f"PJSIP/{leg}",
            "linkedid": linkedid,
            "caller_num": "+74951234567",
            "caller_name": "Ivan Petrov",
            "context": context,
            "exten": "2001",
        }
        if step == 0:
            out.append(ChannelCreated(state="Ring", **common))
        elif step == 1:
            out.append(ChannelStateChanged(state="Up", **common))
            out.append(BridgeEntered(state="Up", bridge_id=f"br-{n}", **common))
        else:
            out.append(
                ChannelHungUp(
                    state="Up", cause=16, cause_text="Normal Clearing", **common
                )
            )
    return out


def stream() -> Iterator[tuple[int, list[TrackerInput]]]:
    """(calls finished so far, inputs) in arrival order with LIVE calls overlapping."""
    for n in range(CALLS + LIVE):
        batch: list[TrackerInput] = []
        if n < CALLS:
            batch += _call(n, 0)
        if LIVE // 2 <= n < CALLS + LIVE // 2:
            batch += _call(n - LIVE // 2, 1)
        if n >= LIVE:
            batch += _call(n - LIVE, 2)
        yield max(0, n - LIVE + 1), batch


def peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def one_run(track: bool) -> tuple[float, float, int]:
    """(peak RSS growth after WARM_UP calls in MiB, seconds, calls ended)."""
    tracker = CallTracker()
    ended = 0
    at_warm_up = 0.0
    started = time.perf_counter()
    for finished, batch in stream():
        if finished == WARM_UP and not at_warm_up:
            at_warm_up = peak_rss_mib()
        for item in batch:
            if track:
                ended += sum(
                    1 for e in tracker.apply(item) if type(e).__name__ == "CallEnded"
                )
    elapsed = time.perf_counter() - started
    if track:
        assert len(tracker) == 0
        assert tracker.tracked_channels == 0
    return peak_rss_mib() - at_warm_up, elapsed, ended


def main() -> None:
    tracked, baseline = [], []
    with ProcessPoolExecutor(max_workers=1, max_tasks_per_child=1) as pool:
        for _ in range(RUNS):
            tracked.append(pool.submit(one_run, True).result())
            baseline.append(pool.submit(one_run, False).result())
    for growth, seconds, ended in tracked:
        print(f"run: {ended} calls ended, {seconds:.1f}s, peak RSS +{growth:.2f} MiB")
    print(f"baseline_rss_growth_mib={statistics.median(b[0] for b in baseline):.2f}")
    print(f"calls_per_s={statistics.median(CALLS / t[1] for t in tracked):.0f}")
    print(f"rss_growth_mib={statistics.median(t[0] for t in tracked):.2f}")


if __name__ == "__main__":
    main()

"""Which recordings retention removes: those older than the kept age. Pure."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from recordings.model import Recording, RecordingId, RecordingStatus


@dataclass(frozen=True, slots=True, kw_only=True)
class RetentionPolicy:
    keep_days: int
    """Recordings whose call started more than this many days ago are removed;
    0 or less keeps everything."""


def expired(
    recordings: Sequence[Recording], policy: RetentionPolicy, *, now: datetime
) -> list[RecordingId]:
    """Ids of the recordings past the policy's age, oldest first. A recording still
    being written or already deleted is never chosen."""
    if policy.keep_days <= 0:
        return []
    cutoff = now - timedelta(days=policy.keep_days)
    due = [
        r
        for r in recordings
        if r.started_at < cutoff
        and r.status not in (RecordingStatus.RECORDING, RecordingStatus.DELETED)
    ]
    return [r.id for r in sorted(due, key=lambda r: (r.started_at, str(r.id)))]


def cutoff(policy: RetentionPolicy, *, now: datetime) -> datetime | None:
    """The start time before which recordings are due (None: keep everything)."""
    return None if policy.keep_days <= 0 else now - timedelta(days=policy.keep_days)

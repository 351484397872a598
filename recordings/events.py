"""Events the recordings service publishes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import ClassVar


@dataclass(frozen=True, slots=True, kw_only=True)
class RecordingStarted:
    """MixMonitor was asked to record a call on the caller's `channel` into
    `file_name` (relative to the recordings directory). `problem` is empty when it
    started, else why the PBX refused (the recording is then missing). The service
    keeps it through the journal: its row is written once the database answers."""

    topic: ClassVar[str] = "recording.started"
    occurred_at: datetime
    recording_id: str
    call_id: str
    pbx_id: str
    channel: str
    file_name: str
    problem: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class RecordingReady:
    """A call's recording was closed and attached to its contact and appeals.

    `status` is `ready`, `empty`, `missing` or `damaged`; duration and size are
    None when the file could not be read."""

    topic: ClassVar[str] = "recording.ready"
    occurred_at: datetime
    recording_id: str
    call_id: str
    contact_id: str | None
    appeal_ids: tuple[str, ...]
    status: str
    duration_s: float | None
    size_bytes: int | None


@dataclass(frozen=True, slots=True, kw_only=True)
class RecordingMuted:
    """Recording of a call paused (`muted=True`) or resumed."""

    topic: ClassVar[str] = "recording.muted"
    occurred_at: datetime
    recording_id: str
    call_id: str
    muted: bool


RecordingEvent = RecordingReady | RecordingMuted

"""Recording values and the pure decisions about them: file names, muted spans
and what a WAV header says. No I/O."""

from __future__ import annotations

import re
import struct
import uuid
from collections.abc import Collection
from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum
from typing import NewType

from crm_core.auth.model import Actor, Permission

RecordingId = NewType("RecordingId", uuid.UUID)

WAV_HEADER_BYTES = 44


class RecordingStatus(StrEnum):
    RECORDING = "recording"
    """MixMonitor is writing; the call is still up."""
    READY = "ready"
    EMPTY = "empty"
    """A valid WAV without audio (e.g. MixMonitor `b` on a channel never bridged)."""
    MISSING = "missing"
    """No file at attach time."""
    DAMAGED = "damaged"
    """The file is not a WAV we can read."""
    DELETED = "deleted"
    """Removed by retention."""


PLAYABLE = frozenset({RecordingStatus.READY, RecordingStatus.EMPTY})


@dataclass(frozen=True, slots=True, kw_only=True)
class MutedSpan:
    """A gap in the recording (card payments): from `started_at` to `ended_at`,
    open while `ended_at` is None."""

    started_at: datetime
    ended_at: datetime | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Recording:
    id: RecordingId
    call_id: str
    pbx_id: str
    channel: str
    """The caller's channel MixMonitor runs on."""
    file_name: str
    """Relative to the recordings directory."""
    status: RecordingStatus
    started_at: datetime
    ended_at: datetime | None = None
    contact_id: uuid.UUID | None = None
    appeal_ids: tuple[uuid.UUID, ...] = ()
    duration_s: float | None = None
    size_bytes: int | None = None
    sha256: str | None = None
    muted_spans: tuple[MutedSpan, ...] = ()
    problem: str = ""
    """Why the recording is missing or damaged, for people reading the list."""
    deleted_at: datetime | None = None

    @property
    def muted(self) -> bool:
        return bool(self.muted_spans) and self.muted_spans[-1].ended_at is None


@dataclass(frozen=True, slots=True, kw_only=True)
class WavInfo:
    duration_s: float
    frames: int


class BadWav(ValueError):
    """The bytes are not a PCM WAV file we can read."""


def file_name_for(call_id: str) -> str:
    """A safe file name for a call id (`pbx1:1700000000.12` has a colon, which some
    file systems and URLs dislike): only letters, digits, `.`, `_` and `-`."""
    safe = re.sub(r"[^A-Za-z0-9._-]", "_", call_id).strip(".")
    return f"{safe or 'call'}.wav"


def muted(recording: Recording, *, at: datetime) -> Recording:
    """The recording with a gap opened at `at`; unchanged if already muted."""
    if recording.muted:
        return recording
    spans = (*recording.muted_spans, MutedSpan(started_at=at))
    return replace(recording, muted_spans=spans)


def unmuted(recording: Recording, *, at: datetime) -> Recording:
    """The recording with its open gap closed at `at`; unchanged if not muted."""
    if not recording.muted:
        return recording
    *done, last = recording.muted_spans
    closed = replace(last, ended_at=max(at, last.started_at))
    return replace(recording, muted_spans=(*done, closed))


def closed_spans(recording: Recording, *, at: datetime) -> Recording:
    """Close a gap still open when the call ended."""
    return unmuted(recording, at=at)


def with_appeal(recording: Recording, appeal_id: uuid.UUID) -> Recording:
    """The recording also attached to `appeal_id` (unchanged if it already is)."""
    if appeal_id in recording.appeal_ids:
        return recording
    return replace(recording, appeal_ids=(*recording.appeal_ids, appeal_id))


def wav_info(header: bytes, *, size_bytes: int) -> WavInfo:
    """Duration of a PCM WAV from its first bytes and the file size.

    Reads the `fmt ` chunk and takes the `data` chunk's size from the header, or from
    the file size when the header was never finalised (0 or 0xFFFFFFFF, as a writer
    killed mid-call leaves it). Raises BadWav otherwise."""
    if len(header) < 12 or header[:4] != b"RIFF" or header[8:12] != b"WAVE":
        raise BadWav("not a RIFF/WAVE file")
    offset = 12
    byte_rate = 0
    block = 0
    while offset + 8 <= len(header):
        chunk, length = header[offset : offset + 4], _u32(header, offset + 4)
        body = offset + 8
        if chunk == b"fmt ":
            if body + 16 > len(header):
                raise BadWav("fmt chunk cut short")
            byte_rate = _u32(header, body + 8)
            block = struct.unpack_from("<H", header, body + 12)[0]
        elif chunk == b"data":
            if byte_rate <= 0 or block <= 0:
                raise BadWav("data before a valid fmt chunk")
            available = max(0, size_bytes - body)
            data = available if length in (0, 0xFFFFFFFF) else min(length, available)
            frames = data // block
            return WavInfo(duration_s=data / byte_rate, frames=frames)
        offset = body + length + (length & 1)
    raise BadWav("no data chunk")


def _u32(data: bytes, offset: int) -> int:
    value: int = struct.unpack_from("<I", data, offset)[0]
    return value


def may_hear(
    actor: Actor, *, agent_ids: Collection[uuid.UUID], customer_group: str | None
) -> bool:
    """Whether `actor` may listen to a call the users `agent_ids` were on (the
    transfer chain) with a customer of `customer_group`: with recording.listen_all
    (supervisors, back office) the calls of every customer they may see, with
    listen_own the calls they were on.

    A call with no known customer counts as a customer with no group, as
    everywhere in the CRM: a listener limited to some groups hears it only if
    they are also given "" (no group), since the caller could be anyone's."""
    if actor.can(Permission.RECORDING_LISTEN_ALL) and actor.sees_group(customer_group):
        return True
    return actor.user_id in agent_ids and actor.can(Permission.RECORDING_LISTEN_OWN)


def may_mute(actor: Actor, *, on_the_call: bool) -> bool:
    """Whether `actor` may pause or resume a live call's recording: the agent
    connected to that call, or a supervisor."""
    if actor.can(Permission.QUEUE_SUPERVISE):
        return True
    return on_the_call and actor.can(Permission.AGENT_WORK)

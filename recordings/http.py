"""Endpoints for recordings under /api/v1: list by call or contact, one recording,
its audio with HTTP Range (aiohttp's FileResponse answers 206 with Content-Range and
416 for a range outside the file), and pause/resume during a call. Rights are checked
by the service; a missing, damaged or deleted file answers 410, never 500."""

from __future__ import annotations

import uuid
from datetime import datetime

from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field

from crm_core.api.encoding import dumps, error_body
from crm_core.api.routing import ApiCall, ApiRoutes
from crm_core.errors import FieldError, ValidationFailed
from recordings.errors import RecordingUnavailable
from recordings.model import Recording, RecordingStatus
from recordings.service import RecordingService

RECORDINGS: web.AppKey[RecordingService] = web.AppKey("recordings_service")

routes = ApiRoutes("recordings")
AUDIO_TYPE = "audio/wav"


class MutedSpanOut(BaseModel):
    started_at: datetime
    ended_at: datetime | None


class RecordingOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    call_id: str
    contact_id: uuid.UUID | None
    appeal_ids: list[uuid.UUID]
    status: RecordingStatus
    started_at: datetime
    ended_at: datetime | None
    duration_s: float | None
    size_bytes: int | None
    sha256: str | None
    muted_spans: list[MutedSpanOut]
    problem: str
    deleted_at: datetime | None
    audio_url: str


class RecordingListOut(BaseModel):
    items: list[RecordingOut]


class RecordingQueryIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    call_id: str | None = Field(default=None, max_length=128)
    contact_id: uuid.UUID | None = None


class MuteIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    call_id: str = Field(min_length=1, max_length=128)
    muted: bool = Field(description="true pauses the recording, false resumes it")


def recording_out(recording: Recording) -> RecordingOut:
    return RecordingOut(
        id=recording.id, call_id=recording.call_id, contact_id=recording.contact_id,
        appeal_ids=list(recording.appeal_ids), status=recording.status,
        started_at=recording.started_at, ended_at=recording.ended_at,
        duration_s=recording.duration_s, size_bytes=recording.size_bytes,
        sha256=recording.sha256,
        muted_spans=[
            MutedSpanOut(started_at=s.started_at, ended_at=s.ended_at)
            for s in recording.muted_spans
        ],
        problem=recording.problem, deleted_at=recording.deleted_at,
        audio_url=f"/api/v1/recordings/{recording.id}/audio",
    )  # fmt: skip


@routes.get(
    "/recordings", permission=None, query=RecordingQueryIn,
    response=RecordingListOut,
    summary="Recordings of a call or a contact that the user may hear",
)  # fmt: skip
async def list_recordings(call: ApiCall) -> RecordingListOut:
    q = call.query(RecordingQueryIn)
    if q.call_id is None and q.contact_id is None:
        raise ValidationFailed([FieldError("call_id", "give call_id or contact_id")])
    found = await call.service(RECORDINGS).find(
        call.actor, call_id=q.call_id, contact_id=q.contact_id
    )
    return RecordingListOut(items=[recording_out(r) for r in found])


@routes.get(
    "/recordings/{recording_id}", permission=None, response=RecordingOut,
    summary="One recording: status, duration, size, muted spans",
)  # fmt: skip
async def get_recording(call: ApiCall) -> RecordingOut:
    found = await call.service(RECORDINGS).get(
        call.actor, call.path_uuid("recording_id")
    )
    return recording_out(found)


@routes.get(
    "/recordings/{recording_id}/audio", permission=None,
    summary="The recording's audio (audio/wav); supports Range; audit-logged",
    description="206 with Content-Range for a Range request, 416 for a range "
    "outside the file, 410 when the file is missing, damaged or deleted.",
)  # fmt: skip
async def recording_audio(call: ApiCall) -> web.StreamResponse:
    detail = call.request.headers.get("Range", "whole file")
    try:
        found, path = await call.service(RECORDINGS).open_audio(
            call.actor, call.path_uuid("recording_id"), detail=detail
        )
    except RecordingUnavailable as exc:
        body = error_body(exc.error_id, str(exc))
        body["status"] = exc.status
        return web.Response(
            text=dumps(body), status=410, content_type="application/json"
        )
    headers = {
        "Content-Type": AUDIO_TYPE,
        "Content-Disposition": f'inline; filename="{found.file_name}"',
        "Cache-Control": "private, no-store",
    }
    return web.FileResponse(path, headers=headers)


@routes.post(
    "/recordings/mute", permission=None, body=MuteIn, response=RecordingOut,
    summary="Pause (muted=true) or resume the recording of a live call",
    description="Only the agent on the call and supervisors may (403 otherwise); "
    "every pause and resume is audit-logged.",
)  # fmt: skip
async def mute_recording(call: ApiCall) -> RecordingOut:
    body = call.body(MuteIn)
    changed = await call.service(RECORDINGS).set_muted(
        call.actor, body.call_id, muted_=body.muted
    )
    return recording_out(changed)

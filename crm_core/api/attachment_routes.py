"""Endpoints for appeal attachments (C7, C13): multipart upload streamed part by part
to AttachmentService (which enforces the size limit while the bytes arrive), listing,
and download with the stored media type and byte ranges. No file handling here.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import datetime
from urllib.parse import quote, unquote

from aiohttp import BodyPartReader, web
from pydantic import BaseModel, ConfigDict

from crm_core.api.routing import ApiCall, ApiRoutes
from crm_core.appeals.attachments import AttachmentService
from crm_core.auth.model import Permission
from crm_core.errors import FieldError, NotFound, ValidationFailed

ATTACHMENTS: web.AppKey[AttachmentService] = web.AppKey("crm_api_attachments")
FILE_FIELD = "file"
CHUNK_BYTES = 64 * 1024
DEFAULT_MEDIA_TYPE = "application/octet-stream"

routes = ApiRoutes("attachments")
P = Permission


class AttachmentOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    appeal_id: uuid.UUID
    name: str
    media_type: str
    size_bytes: int
    sha256: str
    created_by: uuid.UUID
    created_at: datetime


@routes.post(
    "/appeals/{appeal_id}/attachments", permission=P.APPEAL_EDIT, status=201,
    response=AttachmentOut, summary="Attach a file (multipart/form-data, part `file`)",
)  # fmt: skip
async def upload(call: ApiCall) -> AttachmentOut:
    """The file is streamed; past the configured limit the upload stops with 422
    (`attachment_too_large`, naming the limit) and nothing is kept."""
    appeal_id = call.path_uuid("appeal_id")
    part = await _file_part(call.request)
    # Browsers escape only `"`, CR and LF as %XX (HTML multipart/form-data); aiohttp
    # clients percent-encode the whole name: unquoting reads both.
    name = unquote(part.filename or "")
    media_type = part.headers.get("Content-Type", DEFAULT_MEDIA_TYPE)
    attachment = await call.service(ATTACHMENTS).attach(
        call.actor, appeal_id, name=name, media_type=media_type,
        chunks=_chunks(part),
    )  # fmt: skip
    return AttachmentOut.model_validate(attachment)


@routes.get(
    "/appeals/{appeal_id}/attachments", permission=P.APPEAL_READ,
    response=AttachmentOut, summary="The appeal's files, oldest first",
)  # fmt: skip
async def list_attachments(call: ApiCall) -> list[AttachmentOut]:
    found = await call.service(ATTACHMENTS).list(
        call.actor, call.path_uuid("appeal_id")
    )
    return [AttachmentOut.model_validate(a) for a in found]


@routes.get(
    "/attachments/{attachment_id}", permission=P.APPEAL_READ,
    summary="Download a file (supports Range)",
)  # fmt: skip
async def download(call: ApiCall) -> web.StreamResponse:
    """The bytes with the stored media type, as an attachment download."""
    attachment, path = await call.service(ATTACHMENTS).open(
        call.actor, call.path_uuid("attachment_id")
    )
    if not path.is_file():
        raise NotFound(f"the bytes of attachment {attachment.id} are missing")
    headers = {
        "Content-Type": attachment.media_type,
        "Content-Disposition": content_disposition(attachment.name),
        "X-Content-Type-Options": "nosniff",
    }
    return web.FileResponse(path, chunk_size=CHUNK_BYTES, headers=headers)


def content_disposition(name: str) -> str:
    """`attachment` with an ASCII fallback name and the exact UTF-8 one (RFC 6266)."""
    fallback = "".join(
        ch if 32 <= ord(ch) < 127 and ch not in '"\\' else "_" for ch in name
    )
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(name)}"


async def _file_part(request: web.Request) -> BodyPartReader:
    if not request.content_type.startswith("multipart/"):
        raise ValidationFailed(
            [FieldError("body", "send multipart/form-data with a part named 'file'")]
        )
    reader = await request.multipart()
    async for part in reader:
        if isinstance(part, BodyPartReader) and part.name == FILE_FIELD:
            return part
        if isinstance(part, BodyPartReader):
            await part.release()
    raise ValidationFailed([FieldError(FILE_FIELD, "no part named 'file'")])


async def _chunks(part: BodyPartReader) -> AsyncIterator[bytes]:
    while chunk := await part.read_chunk(CHUNK_BYTES):
        yield chunk

"""Attachments over HTTP: multipart upload, listing, download with ranges, limits."""

from __future__ import annotations

import hashlib
import uuid
from pathlib import Path
from typing import Any

import aiohttp

from crm_core.api.attachment_routes import content_disposition
from tests.integration.crm_core.api.conftest import ATTACHMENT_MAX_BYTES, Api
from tests.integration.crm_core.api.demo import bearer, complaint_topic, new_complaint


def _form(content: bytes, name: str, media_type: str) -> aiohttp.FormData:
    form = aiohttp.FormData()
    form.add_field("note", "ignored")
    form.add_field("file", content, filename=name, content_type=media_type)
    return form


async def _upload(
    api: Api, appeal_id: str, content: bytes, *, name: str = "scan.pdf",
    media_type: str = "application/pdf",
) -> aiohttp.ClientResponse:  # fmt: skip
    return await api.client.post(
        f"/api/v1/appeals/{appeal_id}/attachments",
        data=_form(content, name, media_type), headers=bearer(api.agent_token),
    )  # fmt: skip


async def _appeal(api: Api) -> dict[str, Any]:
    return await new_complaint(api, await complaint_topic(api))


async def test_file_is_stored_and_listed_when_uploaded(api: Api) -> None:
    appeal = await _appeal(api)
    content = bytes(range(256)) * 300  # binary, several read chunks
    response = await _upload(api, appeal["id"], content)
    assert response.status == 201, await response.text()
    stored = await response.json()
    assert stored["size_bytes"] == len(content)
    assert stored["sha256"] == hashlib.sha256(content).hexdigest()
    assert (stored["name"], stored["media_type"]) == ("scan.pdf", "application/pdf")
    listed = await api.client.get(
        f"/api/v1/appeals/{appeal['id']}/attachments", headers=bearer(api.agent_token)
    )
    assert [a["id"] for a in await listed.json()] == [stored["id"]]
    history = await api.client.get(
        f"/api/v1/appeals/{appeal['id']}/history", headers=bearer(api.agent_token)
    )
    assert (await history.json())[-1]["action"] == "attach"


async def test_download_gives_the_bytes_and_media_type_when_requested(
    api: Api,
) -> None:
    appeal = await _appeal(api)
    content = b"%PDF-1.4 " + b"x" * 5000
    stored = await (
        await _upload(api, appeal["id"], content, name="Счёт №1.pdf")
    ).json()
    url = f"/api/v1/attachments/{stored['id']}"
    response = await api.client.get(url, headers=bearer(api.agent_token))
    assert response.status == 200
    assert await response.read() == content
    assert response.headers["Content-Type"] == "application/pdf"
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith("attachment;")
    assert "filename*=UTF-8''%D0%A1%D1%87%D1%91%D1%82%20%E2%84%961.pdf" in disposition
    part = await api.client.get(
        url, headers={**bearer(api.agent_token), "Range": "bytes=4-8"}
    )
    assert part.status == 206
    assert await part.read() == content[4:9]


async def test_upload_is_refused_naming_the_limit_when_the_file_is_too_large(
    api: Api, tmp_path: Path
) -> None:
    appeal = await _appeal(api)
    response = await _upload(api, appeal["id"], b"z" * (ATTACHMENT_MAX_BYTES + 1))
    assert response.status == 422
    body = await response.json()
    assert body["error_id"] == "attachment_too_large"
    assert str(ATTACHMENT_MAX_BYTES) in body["details"][0]["message"]
    left = [p for p in (tmp_path / "attachments").rglob("*") if p.is_file()]
    assert left == []
    listed = await api.client.get(
        f"/api/v1/appeals/{appeal['id']}/attachments", headers=bearer(api.agent_token)
    )
    assert await listed.json() == []
    exact = await _upload(api, appeal["id"], b"z" * ATTACHMENT_MAX_BYTES)
    assert exact.status == 201


async def test_upload_is_refused_when_there_is_no_file_part(api: Api) -> None:
    appeal = await _appeal(api)
    url = f"/api/v1/appeals/{appeal['id']}/attachments"
    form = aiohttp.FormData()
    form.add_field("other", b"data", filename="a.txt")
    no_part = await api.client.post(url, data=form, headers=bearer(api.agent_token))
    assert no_part.status == 422
    assert (await no_part.json())["details"][0]["field"] == "file"
    json_body = await api.client.post(
        url, json={"file": "x"}, headers=bearer(api.agent_token)
    )
    assert json_body.status == 422


async def test_attachment_is_not_found_when_the_appeal_or_file_is_unknown(
    api: Api,
) -> None:
    await complaint_topic(api)
    upload = await _upload(api, str(uuid.uuid4()), b"data")
    assert upload.status == 404
    download = await api.client.get(
        f"/api/v1/attachments/{uuid.uuid4()}", headers=bearer(api.agent_token)
    )
    assert download.status == 404


async def test_upload_is_refused_when_the_actor_may_not_edit_appeals(
    api: Api,
) -> None:
    appeal = await _appeal(api)
    response = await api.client.post(
        f"/api/v1/appeals/{appeal['id']}/attachments",
        data=_form(b"data", "a.txt", "text/plain"),
        headers=bearer(api.powerless_token),
    )
    assert response.status == 403


def test_disposition_keeps_ascii_fallback_when_the_name_has_quotes() -> None:
    header = content_disposition('a "b"\\c.txt')
    assert header.startswith('attachment; filename="a _b__c.txt";')
    assert header.endswith("filename*=UTF-8''a%20%22b%22%5Cc.txt")

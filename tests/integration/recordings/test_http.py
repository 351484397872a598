"""The recordings API over a real aiohttp server and database, with a fake PBX:
input errors, unknown ids, pause and resume rights, metadata and the playback audit."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy import func, select

from crm_core.api.app import ApiDeps, setup_api
from crm_core.auth.tables import AuditRow
from crm_core.db import Sessions
from recordings import http
from recordings.model import file_name_for
from recordings.ports import CallContact
from recordings.service import RecordingService
from recordings.storage import RecordingFiles
from telephony.events import CallBridged, CallEnded
from telephony.model import CallId, ChannelId, Direction, EndReason, PbxId
from telephony.sim.wav import write_wav
from tests.integration.recordings.accounts import SystemClock, users
from tests.integration.recordings.fakes import (
    FakeCallAgents,
    FakeCallContacts,
    FakePbx,
)

CALL = "pbx1:1700000000.7"
CALLER = "PJSIP/trunk-00000007"


@dataclass
class Api:
    client: TestClient[web.Request, web.Application]
    tokens: dict[str, str]
    service: RecordingService
    pbx: FakePbx
    sessions: Sessions

    async def call(
        self, method: str, path: str, who: str, json: object = None
    ) -> tuple[int, Any]:
        headers = {"Authorization": f"Bearer {self.tokens[who]}"}
        async with self.client.request(
            method, path, headers=headers, json=json
        ) as response:
            body = (
                await response.json()
                if response.content_type.endswith("json")
                else await response.read()
            )
            return response.status, body


@pytest.fixture
async def api(sessions: Sessions, tmp_path: Path) -> AsyncIterator[Api]:
    auth, tokens, ids = await users(sessions)
    anna = ids["anna"]
    pbx = FakePbx()
    contacts = FakeCallContacts(
        {CALL: CallContact(contact_id=uuid.uuid4(), agent_ids=(anna,), appeal_ids=())}
    )
    service = RecordingService(
        sessions, pbx, RecordingFiles(tmp_path), SystemClock(), contacts=contacts,
        agents=FakeCallAgents({"anna": CALL}),
    )  # fmt: skip
    app = web.Application()
    setup_api(app, ApiDeps(auth=auth, routes=[http.routes]))
    app[http.RECORDINGS] = service
    client = TestClient(TestServer(app))
    await client.start_server()
    try:
        yield Api(client, tokens, service, pbx, sessions)
    finally:
        await client.close()


async def bridged(api: Api) -> None:
    await api.service.on_call_bridged(
        CallBridged(
            occurred_at=datetime.now(UTC), call_id=CallId(CALL), pbx_id=PbxId("pbx1"),
            bridge_id="b7", caller_channel=CALLER,
            caller_channel_id=ChannelId("1.7"),
            peer_channel="PJSIP/1001-00000008", peer_channel_id=ChannelId("1.8"),
        )
    )  # fmt: skip


async def test_listing_needs_a_call_or_contact_when_queried(api: Api) -> None:
    status, body = await api.call("GET", "/api/v1/recordings", "sveta")
    assert status == 422
    assert body["details"][0]["field"] == "call_id"
    status, body = await api.call("GET", "/api/v1/recordings?contact_id=nope", "sveta")
    assert status == 422
    assert body["details"][0]["field"] == "contact_id"


async def test_unknown_recording_is_404_when_requested(api: Api) -> None:
    missing = f"/api/v1/recordings/{uuid.uuid4()}"
    assert (await api.call("GET", missing, "sveta"))[0] == 404
    status, body = await api.call("GET", missing + "/audio", "sveta")
    assert (status, body["error_id"]) == (404, "recording_not_found")
    assert (await api.call("GET", "/api/v1/recordings/x/audio", "sveta"))[0] == 422


async def test_marketing_may_not_list_recordings_when_asked(api: Api) -> None:
    status, _ = await api.call("GET", f"/api/v1/recordings?call_id={CALL}", "masha")
    assert status == 403


async def test_pause_and_resume_reach_the_pbx_when_an_agent_asks(api: Api) -> None:
    status, body = await api.call(
        "POST", "/api/v1/recordings/mute", "anna", {"call_id": CALL, "muted": True}
    )
    assert (status, body["error_id"]) == (409, "not_recording")

    await bridged(api)
    status, body = await api.call(
        "POST", "/api/v1/recordings/mute", "anna", {"call_id": CALL, "muted": True}
    )
    assert status == 200
    assert body["muted_spans"][0]["ended_at"] is None
    status, body = await api.call(
        "POST", "/api/v1/recordings/mute", "anna", {"call_id": CALL, "muted": False}
    )
    assert status == 200
    assert body["muted_spans"][0]["ended_at"] is not None
    assert [c[2] for c in api.pbx.commands if c[0] == "MixMonitorMute"] == ["1", "0"]
    for stranger in ("masha", "boris"):  # boris is an agent, not on this call
        status, body = await api.call(
            "POST",
            "/api/v1/recordings/mute",
            stranger,
            {"call_id": CALL, "muted": True},
        )
        assert (status, body["error_id"]) == (403, "forbidden")
    status, _ = await api.call(
        "POST", "/api/v1/recordings/mute", "sveta", {"call_id": CALL, "muted": True}
    )
    assert status == 200  # a supervisor
    async with api.sessions() as s:
        audited = (await s.execute(
            select(AuditRow.actor_login, AuditRow.action)
            .where(AuditRow.object_type == "recording").order_by(AuditRow.at)
        )).all()  # fmt: skip
    assert [tuple(a) for a in audited] == [
        ("anna", "recording.pause"), ("anna", "recording.resume"),
        ("sveta", "recording.pause"),
    ]  # fmt: skip


async def test_every_playback_is_audited_when_audio_is_fetched(
    api: Api, tmp_path: Path
) -> None:
    await bridged(api)
    write_wav(tmp_path / file_name_for(CALL), b"\x01\x02" * 8000)
    now = datetime.now(UTC)
    await api.service.on_call_ended(
        CallEnded(
            occurred_at=now, call_id=CallId(CALL), pbx_id=PbxId("pbx1"),
            direction=Direction.INBOUND, ani="+74951234567", dnis="2001",
            arrived_at=now, answered_at=now, bridged_at=now, ended_at=now,
            hangup_cause=16, hangup_cause_text="Normal Clearing",
            reason=EndReason.HANGUP,
        )
    )  # fmt: skip
    status, body = await api.call("GET", f"/api/v1/recordings?call_id={CALL}", "anna")
    assert status == 200
    [item] = body["items"]
    status, meta = await api.call("GET", f"/api/v1/recordings/{item['id']}", "anna")
    assert (status, meta["duration_s"], meta["size_bytes"]) == (200, 1.0, 16044)

    for who in ("anna", "sveta", "anna"):
        status, audio = await api.call("GET", item["audio_url"], who)
        assert status == 200
        assert len(audio) == 16044
    assert (await api.call("GET", item["audio_url"], "boris"))[0] == 403

    async with api.sessions() as s:
        rows = (await s.execute(
            select(AuditRow.actor_login, func.count())
            .where(AuditRow.action == "recording.listen")
            .group_by(AuditRow.actor_login)
        )).all()  # fmt: skip
    assert dict(rows) == {"anna": 2, "sveta": 1}

"""The ACD API over a real aiohttp server and database, with a fake PBX: agents log
in, pause, get ready and log out as themselves; supervisors read agents and figures;
others are refused."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from acd import http
from acd.engine import AcdEngine
from acd.events import Disposition, WrapUpFinished
from acd.model import (
    AgentId,
    AgentProfile,
    AgentState,
    CallRequest,
    Membership,
    QueueConfig,
    QueueId,
)
from acd.ports import WaitingCall
from acd.service import AcdService, AcdSettings, AgentSeat
from crm_core.api.app import ApiDeps, setup_api
from crm_core.db import Sessions
from telephony.events import CallEnded
from telephony.model import CallId, Direction, EndReason, PbxId
from tests.fakes import RecordingPublisher
from tests.integration.recordings.accounts import SystemClock, users
from tests.unit.acd.test_service import FakePbx
from tests.waiting import eventually

BILLING, ARCHIVE = QueueId("billing"), QueueId("archive")


@dataclass
class Api:
    client: TestClient[web.Request, web.Application]
    tokens: dict[str, str]
    service: AcdService
    pbx: FakePbx
    events: RecordingPublisher

    async def call(
        self, method: str, path: str, who: str, json: object = None
    ) -> tuple[int, Any]:
        headers = {"Authorization": f"Bearer {self.tokens[who]}"}
        async with self.client.request(
            method, "/api/v1/acd" + path, headers=headers, json=json
        ) as response:
            return response.status, await response.json()


@pytest.fixture
async def api(sessions: Sessions) -> AsyncIterator[Api]:
    auth, tokens, _ = await users(sessions)
    seats = tuple(
        AgentSeat(
            profile=AgentProfile(
                agent_id=AgentId(login), memberships=(Membership(queue_id=BILLING),)
            ),
            endpoint=endpoint,
        )
        for login, endpoint in (("anna", "1001"), ("boris", "1002"))
    )
    settings = AcdSettings(
        pbx_id=PbxId("pbx1"),
        queues=(QueueConfig(queue_id=BILLING), QueueConfig(queue_id=ARCHIVE)),
        agents=seats,
    )
    pbx = FakePbx()
    service = AcdService(
        AcdEngine(), pbx, RecordingPublisher(), SystemClock(), settings=settings
    )
    app = web.Application()
    setup_api(app, ApiDeps(auth=auth, routes=[http.routes]))
    app[http.ACD] = service
    app[http.EVENTS] = events = RecordingPublisher()
    client = TestClient(TestServer(app))
    await client.start_server()
    task = asyncio.create_task(service.run())
    try:
        yield Api(client, tokens, service, pbx, events)
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        await client.close()


async def test_agent_moves_through_login_pause_ready_logout_when_asked(
    api: Api,
) -> None:
    assert await api.call("GET", "/agents/me", "anna") == (
        200,
        {"agent_id": "anna", "state": "logged_out", "reason": "", "call_id": None},
    )
    status, body = await api.call("POST", "/agents/me/login", "anna")
    assert (status, body["state"]) == (200, "ready")
    status, body = await api.call(
        "POST", "/agents/me/pause", "anna", json={"reason": "lunch"}
    )
    assert (status, body["state"], body["reason"]) == (200, "paused", "lunch")
    status, body = await api.call("POST", "/agents/me/ready", "anna")
    assert (status, body["state"]) == (200, "ready")
    status, body = await api.call("POST", "/agents/me/wrap-up/finish", "anna")
    assert (status, body["state"]) == (200, "ready")
    status, body = await api.call("POST", "/agents/me/logout", "anna")
    assert (status, body["state"]) == (200, "logged_out")


async def test_request_is_refused_when_the_agent_state_does_not_allow_it(
    api: Api,
) -> None:
    status, body = await api.call("POST", "/agents/me/ready", "boris")
    assert (status, body["error_id"]) == (409, "acd_agent_state_conflict")
    await api.call("POST", "/agents/me/login", "boris")
    status, body = await api.call("POST", "/agents/me/login", "boris")
    assert (status, body["error_id"]) == (409, "acd_agent_state_conflict")


async def test_pause_needs_a_reason_when_posted(api: Api) -> None:
    await api.call("POST", "/agents/me/login", "anna")
    status, body = await api.call("POST", "/agents/me/pause", "anna", json={})
    assert status == 422
    assert body["details"][0]["field"] == "reason"


async def test_user_without_a_seat_is_not_found_when_logging_in(api: Api) -> None:
    status, body = await api.call("POST", "/agents/me/login", "sveta")
    assert (status, body["error_id"]) == (404, "acd_agent_not_found")


async def test_supervisor_sees_agents_and_queue_figures_when_asked(api: Api) -> None:
    await api.call("POST", "/agents/me/login", "anna")

    status, body = await api.call("GET", "/agents", "sveta")
    assert status == 200
    assert {a["agent_id"]: a["state"] for a in body["items"]} == {
        "anna": "ready",
        "boris": "logged_out",
    }
    status, body = await api.call("GET", "/queues/stats", "sveta")
    assert status == 200
    [billing] = [q for q in body["items"] if q["queue_id"] == "billing"]
    assert billing["queue_id"] == "billing"
    assert billing["waiting"] == 0
    assert billing["agents_by_state"] == {"ready": 1}


async def test_agents_and_strangers_may_not_supervise_when_they_ask(api: Api) -> None:
    assert (await api.call("GET", "/queues/stats", "anna"))[0] == 403
    assert (await api.call("GET", "/agents", "anna"))[0] == 403
    assert (await api.call("POST", "/agents/me/login", "masha"))[0] == 403


async def test_supervisor_turns_a_waiting_call_into_a_callback_when_asked(
    api: Api,
) -> None:
    call = CallId("pbx1:77")
    await api.service.call_waits(
        WaitingCall(
            pbx_id=PbxId("pbx1"),
            channel="Local/2001@cc-inbound-77;2",
            request=CallRequest(call_id=call, queue_id=BILLING),
        )
    )
    status, body = await api.call("GET", f"/calls/{call}/place", "sveta")
    assert (status, body["position"]) == (200, 1)

    status, body = await api.call(
        "POST", f"/calls/{call}/callback", "sveta", json={"number": "x1"}
    )
    assert (status, body["details"][0]["field"]) == (422, "number")
    status, body = await api.call(
        "POST", f"/calls/{call}/callback", "sveta", json={"number": "+74951112233"}
    )
    assert (status, body["position"]) == (200, 1)
    view = api.service.engine.call(call)
    assert view is not None
    assert view.callback

    status, body = await api.call("GET", "/calls/pbx1:404/place", "sveta")
    assert (status, body["error_id"]) == (404, "acd_call_not_waiting")
    status, body = await api.call(
        "POST", "/calls/pbx1:404/callback", "sveta", json={"number": "+7495"}
    )
    assert (status, body["error_id"]) == (404, "acd_call_not_waiting")
    assert (await api.call("GET", f"/calls/{call}/place", "anna"))[0] == 403


async def anna_on_call(api: Api) -> str:
    """Anna answers a billing call; returns her leg's channel id."""
    await api.call("POST", "/agents/me/login", "anna")
    await api.service.call_waits(
        WaitingCall(
            pbx_id=PbxId("pbx1"),
            channel="Local/2001@cc-inbound-5;2",
            request=CallRequest(call_id=CallId("pbx1:5"), queue_id=BILLING),
        )
    )

    async def rung() -> bool:
        return len(api.pbx.rings) == 1

    await eventually(rung, timeout_s=2)
    [ring] = api.pbx.rings
    ring.outcome.set_result(True)

    async def talking() -> bool:
        return api.service.connected_call(AgentId("anna")) is not None

    await eventually(talking, timeout_s=2)
    return ring.channel_id


async def test_agent_transfers_blind_to_a_queue_when_on_a_call(api: Api) -> None:
    leg = await anna_on_call(api)

    status, body = await api.call(
        "POST",
        "/agents/me/transfer",
        "anna",
        json={"mode": "blind", "queue": "billing"},
    )

    assert (status, body) == (
        200,
        {
            "transfer": {
                "mode": "blind",
                "target_kind": "queue",
                "target": "billing",
                "state": "done",
            }
        },
    )
    assert api.pbx.hangups == [leg]
    assert (await api.call("GET", "/agents/me", "anna"))[1]["state"] == "wrap_up"


async def test_agent_consults_then_completes_when_transferring_attended(
    api: Api,
) -> None:
    leg = await anna_on_call(api)
    status, body = await api.call(
        "POST",
        "/agents/me/transfer",
        "anna",
        json={"mode": "attended", "agent": "boris"},
    )
    assert (status, body["error_id"]) == (409, "acd_agent_busy")  # not logged in

    await api.call("POST", "/agents/me/login", "boris")
    status, body = await api.call(
        "POST",
        "/agents/me/transfer",
        "anna",
        json={"mode": "attended", "agent": "boris"},
    )
    assert (status, body["transfer"]["state"]) == (200, "consulting")
    assert api.pbx.transfers == [(leg, "cc-agent", "1002")]
    status, body = await api.call("POST", "/agents/me/transfer/cancel", "anna")
    assert (status, body["transfer"]["state"]) == (200, "cancelled")
    await api.call(
        "POST",
        "/agents/me/transfer",
        "anna",
        json={"mode": "attended", "number": "+7495"},
    )
    status, body = await api.call("POST", "/agents/me/transfer/complete", "anna")
    assert (status, body["transfer"]) == (
        200,
        {
            "mode": "attended",
            "target_kind": "number",
            "target": "+7495",
            "state": "done",
        },
    )
    assert api.pbx.hangups == [leg]


async def test_transfer_is_refused_when_the_body_or_the_state_is_wrong(
    api: Api,
) -> None:
    await api.call("POST", "/agents/me/login", "anna")

    status, body = await api.call(
        "POST",
        "/agents/me/transfer",
        "anna",
        json={"mode": "blind", "queue": "billing"},
    )
    assert (status, body["error_id"]) == (409, "acd_no_connected_call")
    two = {"mode": "blind", "queue": "billing", "number": "+7495"}
    assert (await api.call("POST", "/agents/me/transfer", "anna", json=two))[0] == 422
    bad_mode = {"mode": "sideways", "queue": "billing"}
    assert (await api.call("POST", "/agents/me/transfer", "anna", json=bad_mode))[
        0
    ] == 422
    status, body = await api.call("POST", "/agents/me/transfer/complete", "anna")
    assert (status, body["error_id"]) == (409, "acd_no_connected_call")
    status, body = await api.call("POST", "/agents/me/hangup", "anna")
    assert (status, body["error_id"]) == (409, "acd_no_connected_call")
    assert (await api.call("POST", "/agents/me/hangup", "masha"))[0] == 403


async def test_agent_hangs_up_their_leg_when_asked(api: Api) -> None:
    leg = await anna_on_call(api)

    status, body = await api.call("POST", "/agents/me/hangup", "anna")

    assert (status, body["state"]) == (200, "on_call")  # until the call ends
    assert api.pbx.hangups == [leg]


def _ended(call_id: CallId) -> CallEnded:
    now = datetime.now(UTC)
    return CallEnded(
        occurred_at=now, call_id=call_id, pbx_id=PbxId("pbx1"),
        direction=Direction.INBOUND, ani="+74950000000", dnis="2001",
        arrived_at=now, answered_at=now, bridged_at=now, ended_at=now,
        hangup_cause=16, hangup_cause_text="Normal Clearing", reason=EndReason.HANGUP,
    )  # fmt: skip


async def anna_wraps_up(api: Api) -> CallId:
    """Anna's billing call ends; she is in wrap-up. The call's id."""
    await anna_on_call(api)
    call_id = CallId("pbx1:5")
    await api.service.on_call_ended(_ended(call_id))

    async def wrapping() -> bool:
        return api.service.agent(AgentId("anna")).state is AgentState.WRAP_UP

    await eventually(wrapping, timeout_s=2)
    return call_id


async def test_wrap_up_finish_publishes_the_disposition_when_a_call_was_wrapped_up(
    api: Api,
) -> None:
    call_id = await anna_wraps_up(api)
    before = datetime.now(UTC)

    status, body = await api.call(
        "POST",
        "/agents/me/wrap-up/finish",
        "anna",
        json={"disposition": "follow_up", "notes": "refund promised"},
    )

    assert (status, body["state"]) == (200, "ready")
    [finished] = api.events.of_type(WrapUpFinished)
    assert finished == WrapUpFinished(
        agent_id=AgentId("anna"),
        call_id=call_id,
        disposition=Disposition.FOLLOW_UP,
        notes="refund promised",
        at=finished.at,
    )
    assert before <= finished.at <= datetime.now(UTC)


async def test_wrap_up_finish_is_refused_when_the_disposition_or_notes_are_bad(
    api: Api,
) -> None:
    await anna_wraps_up(api)
    for bad in (
        {"disposition": "lost"},
        {"disposition": "resolved", "notes": "x" * 2001},
        {"disposition": "resolved", "colour": "red"},
    ):
        status, body = await api.call(
            "POST", "/agents/me/wrap-up/finish", "anna", json=bad
        )
        assert (status, body["error_id"]) == (422, "invalid_input"), bad
    assert api.service.agent(AgentId("anna")).state is AgentState.WRAP_UP
    assert api.events.of_type(WrapUpFinished) == []


async def test_wrap_up_finish_publishes_no_disposition_when_the_body_is_empty(
    api: Api,
) -> None:
    call_id = await anna_wraps_up(api)

    status, body = await api.call("POST", "/agents/me/wrap-up/finish", "anna")

    assert (status, body["state"]) == (200, "ready")
    [finished] = api.events.of_type(WrapUpFinished)
    assert (finished.call_id, finished.disposition, finished.notes) == (
        call_id,
        None,
        "",
    )


async def test_wrap_up_finish_publishes_nothing_when_no_call_is_wrapped_up(
    api: Api,
) -> None:
    await api.call("POST", "/agents/me/login", "anna")

    status, body = await api.call(
        "POST", "/agents/me/wrap-up/finish", "anna", json={"disposition": "other"}
    )

    assert (status, body["state"]) == (200, "ready")
    assert api.events.of_type(WrapUpFinished) == []


async def test_agents_list_every_queue_sorted_when_asked(api: Api) -> None:
    expected = {"items": [{"queue_id": "archive"}, {"queue_id": "billing"}]}
    assert await api.call("GET", "/queues", "anna") == (200, expected)
    assert (await api.call("GET", "/queues", "masha"))[0] == 403

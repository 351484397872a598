"""The wallboard as `serve` builds it, the simulator as the PBX: its figures are
the API's, a breached limit colours the tile, an alert shows until its condition
clears and is logged, and a supervisor listens to an agent's call through ChanSpy
on her own phone (audit-logged), or is told in words why not."""

from __future__ import annotations

import logging
import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from acd.model import AgentState
from crm_core.auth.tables import AuditRow
from crm_core.customers.seed import demo_phone_numbers
from telephony.model import CallId
from telephony.sim.simulator import InboundCall
from tests.integration.agent_ui.site import Site, Visitor, running_site
from tests.integration.agent_ui.test_desk_calls import actions
from tests.integration.spine import ANNA, PHONES, SVETA
from tests.integration.test_spine import waiting_caller
from tests.waiting import eventually

WAIT_LIMITS = {
    "general": {"thresholds": {"longest_wait_s": {"warning": 0.5, "alarm": 1}}}
}
"""A caller waiting a second in `general` is an alarm."""


@pytest.fixture
async def site(database_url: str, tmp_path: Path) -> AsyncIterator[Site]:
    async with running_site(
        database_url, tmp_path, supervisor_seat=True, queues=WAIT_LIMITS,
        acd={"alerts": {"pause_s": 1.0, "pause_by_reason_s": {}}},
    ) as running:  # fmt: skip
        yield running


def events(site: Site, name: str) -> list[dict[str, str]]:
    return [dict(e) for e in site.spine.sim.events if dict(e).get("Event") == name]


def figure(html: str, queue: str, name: str) -> tuple[str, str]:
    """A tile's figure: its level and the value shown."""
    tile = html.split(f'data-queue-id="{queue}"', 1)[1].split("</article>", 1)[0]
    found = re.search(
        rf'data-figure="{name}" data-level="(\w+)".*?<dd>([^<]*)', tile, re.S
    )
    assert found is not None, tile
    return found[1], found[2].strip()


async def anna_on_a_call(
    site: Site, anna: Visitor, which: int = 2
) -> tuple[InboundCall, str]:
    """Anna logged in and talking to a caller: the placed call and its id."""
    await anna.post("/agent/state/log-in")
    number = demo_phone_numbers(30)[which]
    placed = await site.spine.call(waiting_caller(number, patience_s=None, talk_s=600))
    await site.spine.until_state(ANNA, AgentState.ON_CALL)
    return placed


async def seen(site: Site, name: str) -> list[dict[str, str]]:
    """The simulator's events of that name so far (to wait for with `eventually`)."""
    return events(site, name)


async def test_wallboard_parts_are_refused_in_words_when_an_agent_asks(
    site: Site,
) -> None:
    async with site.visitor("anna") as anna:
        for path in ("/wallboard", "/wallboard/queues", "/wallboard/agents"):
            answer = await anna.get(path)
            assert answer.status == 403, path
            assert "Your role may not open this page" in answer.text
        refused = await anna.post("/wallboard/agents/boris/monitor", {"mode": "listen"})
        assert refused.status == 403
    assert actions(site, "Originate") == []


async def test_figures_are_the_apis_when_a_caller_waits_and_an_agent_talks(
    site: Site,
) -> None:
    spine = site.spine
    _, waiting = await spine.call(
        waiting_caller(demo_phone_numbers(30)[1], patience_s=None, talk_s=600)
    )
    await spine.queued(waiting)
    async with site.visitor("sveta") as sveta:

        async def alarmed() -> str | None:
            tiles = (await sveta.get("/wallboard/queues", htmx=True)).text
            return (
                tiles
                if figure(tiles, "general", "longest_wait")[0] == "alarm"
                else None
            )

        tiles = await eventually(alarmed)
        api: Any = await spine.json("/api/v1/acd/queues/stats", "sveta")
        [general] = [q for q in api["items"] if q["queue_id"] == "general"]
        assert figure(tiles, "general", "waiting") == ("ok", str(general["waiting"]))
        assert general["waiting"] == 1
        assert 'data-queue-id="general" data-level="alarm"' in tiles

        async with site.visitor("anna") as anna:
            _, call = await anna_on_a_call(site, anna)
            page = await sveta.get("/wallboard/agents", htmx=True)
            listed: Any = await spine.json("/api/v1/acd/agents", "sveta")
    row = page.text.split('data-agent-id="anna"', 1)[1].split("</tr>", 1)[0]
    [anna_api] = [a for a in listed["items"] if a["agent_id"] == "anna"]
    assert anna_api["state"] == "on_call"
    assert anna_api["call_id"] in (call, waiting)
    assert 'data-state="on_call"' in row
    assert "On a call" in row
    assert "General questions" in row
    assert 'data-mode="listen"' in row


async def test_supervisor_listens_on_her_phone_when_the_agent_is_on_a_call(
    site: Site,
) -> None:
    spine = site.spine
    async with site.visitor("anna") as anna, site.visitor("sveta") as sveta:
        _, call = await anna_on_a_call(site, anna)
        started = await sveta.post("/wallboard/agents/anna/monitor", {"mode": "listen"})
        assert started.status == 200, started.text
        assert "Your phone is connected to the call" in started.text
        live = spine.app.telephony.tracker.live_calls()
        [peer] = [c.peer for c in live if c.call_id == call]
        assert peer is not None
        [originate] = actions(site, "Originate")[-1:]
        assert originate["Channel"] == f"Local/{PHONES[SVETA]}@cc-agent"
        assert (originate["Context"], originate["Exten"]) == ("cc-spy", "listen")
        assert originate["Variable"] == f"CC_SPY_CHANNEL={peer.channel}"
        spied = await eventually(lambda: seen(site, "ChanSpyStart"))
        assert spied[0]["SpyeeChannel"] == peer.channel
        [chanspy] = [
            e for e in events(site, "Newexten") if e.get("Application") == "ChanSpy"
        ]
        assert chanspy["AppData"] == f"{peer.channel},qEu"

        board = await sveta.get("/wallboard/agents", htmx=True)
        assert 'id="my-monitoring"' in board.text
        assert "sveta: listening" in board.text

        left = await sveta.post("/wallboard/monitor/stop")
        assert left.status == 200
        await eventually(lambda: seen(site, "ChanSpyStop"))
    async with spine.app.sessions() as s:
        [entry] = (await s.scalars(select(AuditRow).where(
            AuditRow.action == "call.listen"))).all()  # fmt: skip
    assert (entry.actor_login, entry.object_type, entry.object_id) == (
        "sveta", "call", call,
    )  # fmt: skip
    assert entry.details["agent"] == "anna"
    assert entry.details["answered"] is True


async def test_listening_ends_with_the_call_when_the_caller_hangs_up(
    site: Site,
) -> None:
    spine = site.spine
    async with site.visitor("anna") as anna, site.visitor("sveta") as sveta:
        placed, _ = await anna_on_a_call(site, anna, 6)
        started = await sveta.post("/wallboard/agents/anna/monitor", {"mode": "barge"})
        assert started.status == 200, started.text
        assert "sveta: barged in" in (await sveta.get("/wallboard/agents")).text
        assert spine.sim.hangup(placed.uniqueid)

        async def left() -> bool:
            page = await sveta.get("/wallboard/agents", htmx=True)
            return 'id="my-monitoring"' not in page.text

        await eventually(left)
    [stop] = events(site, "ChanSpyStop")
    assert stop["SpyerChannel"].startswith(f"Local/{PHONES[SVETA]}@cc-agent-")


async def test_listening_is_refused_in_words_when_it_cannot_start(
    database_url: str, tmp_path: Path
) -> None:
    async with running_site(database_url, tmp_path) as plain:
        async with plain.visitor("anna") as anna, plain.visitor("sveta") as sveta:
            await anna_on_a_call(plain, anna)
            no_phone = await sveta.post(
                "/wallboard/agents/anna/monitor", {"mode": "barge"}
            )
            board = await sveta.get("/wallboard/agents", htmx=True)
        assert no_phone.status == 409
        assert no_phone.headers["HX-Retarget"] == "#flash"
        assert "You have no phone in the call distributor" in no_phone.text
        assert 'id="no-phone"' in board.text
        assert actions(plain, "Originate")[1:] == []


async def test_listening_is_refused_when_the_agent_has_no_call_or_the_mode_is_bad(
    site: Site,
) -> None:
    async with site.visitor("anna") as anna, site.visitor("sveta") as sveta:
        await anna.post("/agent/state/log-in")
        no_call = await sveta.post("/wallboard/agents/anna/monitor", {"mode": "listen"})
        bad = await sveta.post("/wallboard/agents/anna/monitor", {"mode": "spy"})
        nobody = await sveta.post(
            "/wallboard/agents/nobody/monitor", {"mode": "listen"}
        )
    assert no_call.status == 409
    assert "This agent has no call connected now." in no_call.text
    assert bad.status == 422
    assert "Choose to listen, whisper or barge in." in bad.text
    assert nobody.status == 409
    assert actions(site, "Originate") == []


async def test_pause_alert_shows_until_the_agent_is_ready_when_it_lasts(
    site: Site, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="acd.alert_watch")
    async with site.visitor("anna") as anna, site.visitor("sveta") as sveta:
        await anna.post("/agent/state/log-in")
        await anna.post("/agent/state/pause", {"reason": "break"})

        async def alerted() -> str | None:
            text = (await sveta.get("/wallboard/alerts", htmx=True)).text
            return text if 'data-kind="long_pause"' in text else None

        shown = await eventually(alerted)
        assert "anna has been on a pause (Break)" in shown
        await anna.post("/agent/state/ready")

        async def cleared() -> bool:
            text = (await sveta.get("/wallboard/alerts", htmx=True)).text
            return 'data-kind="long_pause"' not in text

        await eventually(cleared)
    said = [r.getMessage() for r in caplog.records]
    assert any(m.startswith("alert raised: long_pause anna") for m in said)
    assert any(m.startswith("alert cleared: long_pause anna") for m in said)


async def test_waiting_caller_is_listed_and_called_back_when_the_supervisor_asks(
    site: Site,
) -> None:
    spine = site.spine
    number = demo_phone_numbers(30)[7]
    _, call = await spine.call(waiting_caller(number, patience_s=None))
    await spine.queued(call)
    async with site.visitor("sveta") as sveta:

        async def listed() -> str | None:
            text = (await sveta.get("/wallboard/waiting", htmx=True)).text
            return text if f'data-call-id="{call}"' in text else None

        row = (await eventually(listed)).split(f'data-call-id="{call}"', 1)[1]
        assert "General questions" in row
        assert f'value="{number}"' in row
        path = f"/wallboard/calls/{call}/callback"
        bad = await sveta.post(path, {"number": "call me"})
        assert bad.status == 422
        assert "Enter a phone number" in bad.text
        done = await sveta.post(path, {"number": number})
        assert done.status == 200, done.text
        assert "will be called back" in done.text
        gone = await sveta.post(
            "/wallboard/calls/pbx1:404/callback", {"number": number}
        )
        assert gone.status == 409
        assert "This caller is no longer waiting." in gone.text
    kept = spine.app.acd.engine.call(CallId(call))
    assert kept is not None
    assert kept.callback  # the call keeps its place for the callback


async def test_api_serves_alerts_and_listening_by_role_when_asked(site: Site) -> None:
    spine = site.spine
    api = spine.base + "/api/v1/acd"

    def bearer(who: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {spine.tokens[who]}"}

    async with site.visitor("anna") as anna:
        await anna_on_a_call(site, anna)
    async with spine.http.post(
        api + "/agents/anna/monitor", json={"mode": "whisper"}, headers=bearer("anna")
    ) as refused:
        assert refused.status == 403
    async with spine.http.post(
        api + "/agents/boris/monitor", json={"mode": "listen"}, headers=bearer("sveta")
    ) as no_call:
        assert no_call.status == 409
        assert (await no_call.json())["error_id"] == "acd_monitor_refused"
    async with spine.http.post(
        api + "/agents/anna/monitor", json={"mode": "whisper"}, headers=bearer("sveta")
    ) as started:
        assert started.status == 200, await started.text()
        assert (await started.json())["mode"] == "whisper"
    [chanspy] = [
        e for e in events(site, "Newexten") if e.get("Application") == "ChanSpy"
    ]
    assert chanspy["AppData"].endswith(",qwEu")
    async with spine.http.post(api + "/monitor/stop", headers=bearer("sveta")) as done:
        assert done.status == 204
    alerts: Any = await spine.json("/api/v1/acd/alerts", "sveta")
    assert alerts == {"items": []}

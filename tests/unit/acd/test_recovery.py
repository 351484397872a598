"""The ACD's own restart: what a PBX's channels say, sessions kept in a file, and the
service restored from both the first time the PBX connects."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from acd.engine import AcdEngine
from acd.model import (
    AgentId,
    AgentProfile,
    AgentSession,
    AgentState,
    CallRequest,
    Kept,
    KeptCallback,
    Membership,
    QueueConfig,
    QueueId,
)
from acd.recovery import AcdRecovery, endpoint_in, findings
from acd.service import AcdService, AcdSettings, AgentSeat
from acd.sessions import JsonFileKept
from telephony.channel_events import LiveChannel
from telephony.events import PbxConnected
from telephony.model import Call, CallId, ChannelId, PbxId
from tests.fakes import FakeClock, RecordingPublisher
from tests.unit.acd.test_service import FakePbx
from tests.waiting import eventually

PBX = PbxId("pbx1")
BILLING = QueueId("billing")
NOW = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


def channel(
    name: str,
    uid: str,
    *,
    context: str = "cc-wait",
    state: str = "Up",
    bridge: str = "",
    linkedid: str = "",
) -> LiveChannel:
    return LiveChannel(
        pbx_id=PBX,
        now=NOW,
        channel_id=ChannelId(uid),
        channel=name,
        linkedid=linkedid or uid,
        state=state,
        caller_num="",
        caller_name="",
        context=context,
        exten="s",
        bridge_id=bridge,
    )


def seat(agent: str, endpoint: str) -> AgentSeat:
    return AgentSeat(
        profile=AgentProfile(
            agent_id=AgentId(agent), memberships=(Membership(queue_id=BILLING),)
        ),
        endpoint=endpoint,
        pbx_id=PBX,
    )


WAITING = channel("Local/2001@cc-inbound-00000001;2", "w.2", linkedid="w.1")
CALLER = channel("Local/2001@cc-inbound-00000003;2", "c.2", bridge="b1", linkedid="c.1")
ANSWERED = channel(
    "Local/1001@cc-agent-00000004;1",
    "acd-1",
    context="cc-agent",
    bridge="b1",
    linkedid="c.1",
)
ANSWERED_PHONE = channel(
    "Local/1001@cc-agent-00000004;2", "acd-1-2", context="cc-agent"
)
RINGING = channel(
    "Local/1002@cc-agent-00000005;1", "acd-2", context="cc-agent", state="Down"
)
RINGING_PHONE = channel(
    "Local/1002@cc-agent-00000005;2", "acd-2-2", context="cc-agent", state="Ring"
)
SEATS = {"1001": seat("anna", "1001"), "1002": seat("boris", "1002")}


@pytest.mark.parametrize(
    ("name", "endpoint"),
    [
        ("Local/1001@cc-agent-0000000a;1", "1001"),
        ("Local/1001@cc-agentphone-0000000a;2", "1001"),
        ("Local/1001@cc-agentphones-0000000a;2", None),
        ("PJSIP/1001-00000004", "1001"),
        ("PJSIP/trunk-0000001f", "trunk"),
        ("Local/2001@cc-inbound-00000001;2", None),
    ],
)
def test_agent_phone_is_told_from_the_channel_name_when_listed(
    name: str, endpoint: str | None
) -> None:
    assert endpoint_in(name) == endpoint


def test_channels_sort_into_waiting_busy_and_stale_when_the_pbx_lists_them() -> None:
    trunk = channel("PJSIP/trunk-00000001", "t", context="from-trunk")
    found = findings(
        [WAITING, CALLER, ANSWERED, ANSWERED_PHONE, RINGING, RINGING_PHONE, trunk],
        SEATS,
    )
    assert found.waiting == [WAITING]
    assert found.busy == {AgentId("anna"): ANSWERED}
    assert found.stale == [RINGING]
    assert found.peers["b1"] == [CALLER, ANSWERED]


@pytest.mark.parametrize(
    "name", ["PJSIP/1001-00000009", "Local/1001@cc-agentphone-00000009;1"]
)
def test_phone_bridged_to_the_caller_is_busy_when_optimised_away(name: str) -> None:
    phone = channel(name, "p", context="cc-phones", bridge="b1")
    assert findings([CALLER, phone], SEATS).busy == {AgentId("anna"): phone}


def test_leg_bridged_with_the_caller_is_the_agents_when_the_phone_is_dialled() -> None:
    dialled = channel("Local/1001@cc-agent-00000004;2", "acd-1-2", bridge="b2")
    phone = channel("Local/1001@cc-agentphone-00000005;1", "ph-1", bridge="b2")
    found = findings([CALLER, ANSWERED, dialled, phone], SEATS)
    assert found.busy == {AgentId("anna"): ANSWERED}
    ringing_phone = channel(
        "Local/1002@cc-agentphone-00000006;1", "ph-2", state="Ringing"
    )
    found = findings([RINGING, RINGING_PHONE, ringing_phone], SEATS)
    assert found.stale == [RINGING]


OWED = KeptCallback(
    request=CallRequest(
        call_id=CallId("pbx1:9"),
        queue_id=BILLING,
        skills={"billing": 2},
        priority=3,
        language="ru",
        category="vip",
        arrived_at=NOW - timedelta(minutes=4),
        pbx_id=PBX,
    ),
    pbx_id=PBX,
    number="+74951112233",
    attempts=1,
    not_before=NOW + timedelta(minutes=1),
)


def test_state_survives_a_round_trip_and_bad_entries_are_skipped_when_read(
    tmp_path: Path,
) -> None:
    path = tmp_path / "acd" / "state.json"
    store = JsonFileKept(path)
    assert store.load() == Kept()
    session = AgentSession(
        agent_id=AgentId("anna"),
        state=AgentState.WRAP_UP,
        since=NOW,
        call_id=CallId("pbx1:7"),
        queue_id=BILLING,
        pending_pause="lunch",
        talk_s=42.5,
    )
    kept = Kept(agents=(session,), callbacks=(OWED,))
    store.save(kept)
    assert store.load() == kept
    document = json.loads(path.read_text())
    document["agents"].append({"agent_id": "x", "state": "dancing", "since": "?"})
    document["callbacks"].append({"call_id": "pbx1:10"})
    path.write_text(json.dumps(document))
    assert store.load() == kept
    path.write_text("{not json")
    assert store.load() == Kept()


@dataclass(slots=True)
class ChannelsPbx(FakePbx):
    """A PBX with channels to list and variables on them."""

    channels: list[LiveChannel] = field(default_factory=list)
    values: dict[tuple[str, str], str] = field(default_factory=dict)

    async def core_show_channels(self, pbx_id: PbxId) -> list[LiveChannel]:
        return list(self.channels)

    async def get_var(
        self, pbx_id: PbxId, *, channel: str | None, name: str
    ) -> str | None:
        return self.values.get((channel or "", name))


class NoCalls:
    def call_of_channel(self, pbx_id: PbxId, channel_id: ChannelId) -> Call | None:
        return None


@dataclass(slots=True)
class Restarted:
    service: AcdService
    recovery: AcdRecovery
    pbx: ChannelsPbx
    store: JsonFileKept


@pytest.fixture
async def restarted(tmp_path: Path) -> AsyncIterator[Restarted]:
    pbx = ChannelsPbx()
    settings = AcdSettings(
        pbx_id=PBX,
        queues=(QueueConfig(queue_id=BILLING),),
        agents=tuple(SEATS.values()),
    )
    service = AcdService(
        AcdEngine(), pbx, RecordingPublisher(), FakeClock(), settings=settings
    )
    store = JsonFileKept(tmp_path / "state.json")
    recovery = AcdRecovery(service, pbx=pbx, channels=pbx, calls=NoCalls(), store=store)
    tasks = [asyncio.create_task(service.run())]
    try:
        yield Restarted(service, recovery, pbx, store)
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


async def test_pbx_shows_what_the_acd_restores_when_it_first_connects(
    restarted: Restarted,
) -> None:
    pbx, service = restarted.pbx, restarted.service
    pbx.channels = [WAITING, CALLER, ANSWERED, ANSWERED_PHONE, RINGING, RINGING_PHONE]
    pbx.values = {
        (WAITING.channel, "CC_QUEUE"): BILLING,
        (WAITING.channel, "CC_QUEUED_AT"): f"{NOW.timestamp() - 30:.3f}",
        (WAITING.channel, "CC_PRIORITY"): "4",
        (CALLER.channel, "CC_QUEUE"): BILLING,
    }
    paused = AgentSession(
        agent_id=AgentId("boris"), state=AgentState.PAUSED, since=NOW, reason="lunch"
    )
    restarted.store.save(Kept(agents=(paused,), callbacks=(OWED,)))
    run = asyncio.create_task(restarted.recovery.run())
    try:
        await restarted.recovery.on_pbx_connected(
            PbxConnected(occurred_at=NOW, pbx_id=PBX, live_calls=2)
        )
        assert restarted.recovery.recovered.is_set()
        assert pbx.hangups == [RINGING.channel]
        waiting = service.engine.call(CallId("pbx1:w.1"))
        assert waiting is not None
        assert (waiting.queue_id, waiting.priority) == (BILLING, 4)
        anna = service.agent(AgentId("anna"))
        assert (anna.state, anna.call_id) == (AgentState.ON_CALL, "pbx1:c.1")
        boris = service.agent(AgentId("boris"))
        assert (boris.state, boris.reason) == (AgentState.PAUSED, "lunch")
        owed = service.engine.call(OWED.request.call_id)
        assert owed is not None
        assert (owed.callback, owed.priority, owed.not_before) == (
            True,
            3,
            OWED.not_before,
        )
        assert service.pending_callbacks() == [OWED]
        assert pbx.rings == []

        async def kept() -> bool:
            state = restarted.store.load()
            agents = {s.agent_id for s in state.agents}
            return agents == {"anna", "boris"} and state.callbacks == (OWED,)

        await eventually(kept, timeout_s=3)
    finally:
        run.cancel()
        await asyncio.gather(run, return_exceptions=True)


async def test_kept_sessions_are_not_lost_when_the_pbx_has_not_connected_yet(
    restarted: Restarted,
) -> None:
    ready = AgentSession(agent_id=AgentId("anna"), state=AgentState.READY, since=NOW)
    restarted.store.save(Kept(agents=(ready,), callbacks=(OWED,)))
    run = asyncio.create_task(restarted.recovery.run())
    await asyncio.sleep(0.05)
    run.cancel()
    await asyncio.gather(run, return_exceptions=True)
    assert restarted.store.load() == Kept(agents=(ready,), callbacks=(OWED,))
    assert restarted.service.agent(AgentId("anna")).state is AgentState.LOGGED_OUT

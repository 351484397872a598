"""The ACD service hears agents' desktops come and go (agent_ui's events)."""

from __future__ import annotations

from acd.events import CallConnected, CallRequeued
from acd.model import PAUSE_DISCONNECTED, AgentId, AgentState
from agent_ui.events import AgentConnected, AgentDisconnected
from tests.unit.acd.test_service import Rig
from tests.waiting import eventually

ANNA = AgentId("anna")


def gone(rig: Rig, *, left: int = 0) -> AgentDisconnected:
    return AgentDisconnected(
        occurred_at=rig.clock.now(), agent_id="anna", connections=left
    )


async def tell(rig: Rig, event: AgentConnected | AgentDisconnected) -> None:
    """Hand the service the event and wait until it applied it."""
    if isinstance(event, AgentConnected):
        await rig.service.on_agent_connected(event)
    else:
        await rig.service.on_agent_disconnected(event)
    await rig.service.poke()


def back(rig: Rig) -> AgentConnected:
    return AgentConnected(occurred_at=rig.clock.now(), agent_id="anna", connections=1)


async def test_ring_out_is_not_blamed_when_the_desktop_is_away(
    rig: Rig,
) -> None:
    await rig.service.login(ANNA)
    call = await rig.arrive(1)
    [ring] = await rig.rings(1)
    await tell(rig, gone(rig))
    rig.clock.advance(10)
    await rig.service.poke()
    assert rig.state("anna") is AgentState.RINGING  # within the grace

    rig.clock.advance(5)  # the 15 s ring timeout, before the 20 s grace ends
    await rig.until_state("anna", AgentState.PAUSED)

    assert rig.service.agent(ANNA).reason == PAUSE_DISCONNECTED
    assert [e.call_id for e in rig.published.of_type(CallRequeued)] == [call]

    async def hung() -> bool:
        return ring.channel_id in rig.pbx.hangups

    await eventually(hung, timeout_s=2)
    await tell(rig, back(rig))  # the page reloaded
    await rig.until_state("anna", AgentState.RINGING)  # offered the call again


async def test_page_reload_changes_nothing_when_the_desktop_is_back_in_time(
    rig: Rig,
) -> None:
    await rig.service.login(ANNA)
    await tell(rig, gone(rig))
    rig.clock.advance(5)
    await tell(rig, back(rig))
    rig.clock.advance(60)
    await rig.service.poke()

    assert rig.state("anna") is AgentState.READY


async def test_nothing_changes_when_another_desktop_stays_open(rig: Rig) -> None:
    await rig.service.login(ANNA)
    await tell(rig, gone(rig, left=1))
    rig.clock.advance(60)
    await rig.service.poke()

    assert rig.state("anna") is AgentState.READY


async def test_agent_keeps_the_call_and_is_ready_on_return_when_gone_during_a_call(
    rig: Rig,
) -> None:
    await rig.service.login(ANNA)
    call = await rig.arrive(1)
    [ring] = await rig.rings(1)
    ring.outcome.set_result(True)
    await rig.until_state("anna", AgentState.ON_CALL)
    await tell(rig, gone(rig))
    rig.clock.advance(30)
    await rig.service.poke()
    assert rig.state("anna") is AgentState.ON_CALL
    assert [e.call_id for e in rig.published.of_type(CallConnected)] == [call]

    await rig.end(call)
    rig.clock.advance(10)  # wrap-up ends
    await rig.until_state("anna", AgentState.PAUSED)
    assert rig.service.agent(ANNA).reason == PAUSE_DISCONNECTED

    await tell(rig, back(rig))
    await rig.until_state("anna", AgentState.READY)

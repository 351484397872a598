"""Transfers of an agent's connected call over the fake PBX: blind to a queue, an
agent or a number; attended with complete and cancel; the agent's hang-up."""

from __future__ import annotations

import pytest

from acd.errors import AgentBusy, NoConnectedCall, TransferRefused
from acd.events import CallTransferred
from acd.model import AgentId, AgentState, CallPhase, QueueId, TargetKind, TransferMode
from acd.transfers import TransferState, TransferTarget
from telephony.model import CallId
from tests.unit.acd.test_service import Rig, Ring

ANNA, BORIS = AgentId("anna"), AgentId("boris")
CALLER = "Local/2001@cc-inbound-1;2"


async def anna_on_call(rig: Rig) -> tuple[CallId, Ring]:
    await rig.service.login(ANNA)
    call = await rig.arrive(1)
    [ring] = await rig.rings(1)
    ring.outcome.set_result(True)
    await rig.until_state("anna", AgentState.ON_CALL)
    return call, ring


def sent(rig: Rig) -> list[tuple[str, str, str, TransferMode, TargetKind, str]]:
    """Every CallTransferred published: call, queue, agent, mode, kind, target."""
    return [
        (e.call_id, e.queue_id, e.agent_id, e.mode, e.target_kind, e.target)
        for e in rig.published.of_type(CallTransferred)
    ]


def to(kind: TargetKind, value: str) -> TransferTarget:
    return TransferTarget(kind=kind, value=value)


async def test_caller_waits_in_the_target_queue_when_sent_blind_to_a_queue(
    rig: Rig,
) -> None:
    call, ring = await anna_on_call(rig)

    done = await rig.service.transfers.transfer(
        ANNA, mode=TransferMode.BLIND, target=to(TargetKind.QUEUE, "general")
    )

    assert done.state is TransferState.DONE
    assert rig.pbx.redirects == [(CALLER, "cc-wait", "s", 1)]
    assert rig.pbx.hangups == [ring.channel_id]
    assert rig.state("anna") is AgentState.WRAP_UP
    assert rig.service.engine.call_queue(call) == "general"
    assert rig.service.engine.call_phase(call) is CallPhase.WAITING
    assert rig.service.connected_call(ANNA) is None
    assert sent(rig) == [
        (call, "billing", ANNA, TransferMode.BLIND, TargetKind.QUEUE, "general")
    ]


async def test_named_agent_is_rung_into_the_caller_when_sent_blind_to_them(
    rig: Rig,
) -> None:
    call, _ = await anna_on_call(rig)
    await rig.service.login(BORIS)

    await rig.service.transfers.transfer(
        ANNA, mode=TransferMode.BLIND, target=to(TargetKind.AGENT, "boris")
    )

    [_, second] = await rig.rings(2)
    assert (second.channel, second.data) == ("Local/1002@cc-agent", CALLER)
    assert rig.service.agent(BORIS).call_id == call
    assert sent(rig) == [
        (call, "billing", ANNA, TransferMode.BLIND, TargetKind.AGENT, "boris")
    ]


async def test_caller_is_dialled_out_and_leaves_the_acd_when_sent_to_a_number(
    rig: Rig,
) -> None:
    call, ring = await anna_on_call(rig)

    await rig.service.transfers.transfer(
        ANNA, mode=TransferMode.BLIND, target=to(TargetKind.NUMBER, "+74950001122")
    )

    assert rig.pbx.redirects == [(CALLER, "cc-outbound", "+74950001122", 1)]
    assert rig.pbx.hangups == [ring.channel_id]
    assert rig.state("anna") is AgentState.WRAP_UP
    assert rig.service.engine.call(call) is None
    assert sent(rig) == [
        (call, "billing", ANNA, TransferMode.BLIND, TargetKind.NUMBER, "+74950001122")
    ]


async def test_agent_leaves_the_caller_with_the_consulted_agent_when_completing(
    rig: Rig,
) -> None:
    call, ring = await anna_on_call(rig)
    await rig.service.login(BORIS)
    target = to(TargetKind.AGENT, "boris")

    consulting = await rig.service.transfers.transfer(
        ANNA, mode=TransferMode.ATTENDED, target=target
    )

    assert consulting.state is TransferState.CONSULTING
    assert rig.pbx.transfers == [(ring.channel_id, "cc-agent", "1002")]
    assert rig.state("boris") is AgentState.RESERVED
    done = await rig.service.transfers.complete(ANNA)
    assert (done.state, done.target) == (TransferState.DONE, target)
    assert rig.pbx.hangups == [ring.channel_id]
    assert rig.state("anna") is AgentState.WRAP_UP
    assert rig.state("boris") is AgentState.ON_CALL
    assert rig.service.agent(BORIS).call_id == call
    handed = rig.service.connected_call(BORIS)
    assert handed is not None
    assert handed.call_id == call
    assert sent(rig) == [
        (call, "billing", ANNA, TransferMode.ATTENDED, TargetKind.AGENT, "boris")
    ]
    assert rig.service.connected_call(ANNA) is None
    await rig.end(call)
    assert rig.state("boris") is AgentState.WRAP_UP


async def test_attended_transfer_is_refused_when_the_agent_to_consult_is_not_ready(
    rig: Rig,
) -> None:
    await anna_on_call(rig)
    await rig.service.login(BORIS)
    await rig.service.pause(BORIS, reason="lunch")

    with pytest.raises(AgentBusy):
        await rig.service.transfers.transfer(
            ANNA, mode=TransferMode.ATTENDED, target=to(TargetKind.AGENT, "boris")
        )

    assert rig.pbx.transfers == []
    assert rig.state("boris") is AgentState.PAUSED
    assert rig.state("anna") is AgentState.ON_CALL


async def test_consulted_agent_is_ready_again_when_the_consultation_is_cancelled(
    rig: Rig,
) -> None:
    await anna_on_call(rig)
    await rig.service.login(BORIS)
    await rig.service.transfers.transfer(
        ANNA, mode=TransferMode.ATTENDED, target=to(TargetKind.AGENT, "boris")
    )

    await rig.service.transfers.cancel(ANNA)

    assert rig.state("boris") is AgentState.READY
    assert rig.state("anna") is AgentState.ON_CALL


async def test_agent_is_back_with_the_caller_when_the_consultation_is_cancelled(
    rig: Rig,
) -> None:
    _, ring = await anna_on_call(rig)
    await rig.service.transfers.transfer(
        ANNA, mode=TransferMode.ATTENDED, target=to(TargetKind.NUMBER, "+7495")
    )

    cancelled = await rig.service.transfers.cancel(ANNA)

    assert cancelled.state is TransferState.CANCELLED
    assert rig.pbx.transfers == [(ring.channel_id, "cc-outbound", "+7495")]
    assert rig.pbx.cancelled == [ring.channel_id]
    assert rig.state("anna") is AgentState.ON_CALL
    assert sent(rig) == []
    with pytest.raises(TransferRefused):
        await rig.service.transfers.complete(ANNA)


async def test_call_leaves_for_the_number_when_a_consultation_with_it_completes(
    rig: Rig,
) -> None:
    call, ring = await anna_on_call(rig)
    await rig.service.transfers.transfer(
        ANNA, mode=TransferMode.ATTENDED, target=to(TargetKind.NUMBER, "+7495")
    )

    await rig.service.transfers.complete(ANNA)

    assert rig.pbx.hangups == [ring.channel_id]
    assert rig.state("anna") is AgentState.WRAP_UP
    assert rig.service.engine.call(call) is None
    assert sent(rig) == [
        (call, "billing", ANNA, TransferMode.ATTENDED, TargetKind.NUMBER, "+7495")
    ]


async def test_transfer_is_refused_when_the_agent_has_no_connected_call(
    rig: Rig,
) -> None:
    await rig.service.login(ANNA)

    with pytest.raises(NoConnectedCall):
        await rig.service.transfers.transfer(
            ANNA, mode=TransferMode.BLIND, target=to(TargetKind.QUEUE, "general")
        )
    with pytest.raises(NoConnectedCall):
        await rig.service.transfers.hang_up(ANNA)


async def test_nothing_moves_when_the_target_queue_is_unknown(rig: Rig) -> None:
    call, _ = await anna_on_call(rig)

    with pytest.raises(TransferRefused):
        await rig.service.transfers.transfer(
            ANNA, mode=TransferMode.BLIND, target=to(TargetKind.QUEUE, "nowhere")
        )

    assert rig.pbx.redirects == []
    assert rig.service.engine.call_queue(call) == QueueId("billing")


async def test_agent_leg_is_hung_up_when_the_agent_hangs_up(rig: Rig) -> None:
    call, ring = await anna_on_call(rig)

    await rig.service.transfers.hang_up(ANNA)
    assert rig.pbx.hangups == [ring.channel_id]
    await rig.end(call)  # the PBX ends the call
    assert rig.state("anna") is AgentState.WRAP_UP

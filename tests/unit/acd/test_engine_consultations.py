"""Engine: an attended transfer to an agent reserves them, hands the call over or
frees them again; a callback's retry is no second arrival."""

from __future__ import annotations

import pytest

from acd.engine import AcdEngine
from acd.errors import AgentBusy, InvalidTransition, UnknownCall
from acd.events import AgentStateChanged, CallConnected, CallHandled, CallQueued
from acd.model import AgentId, AgentState, CallPhase, QueueConfig, QueueId
from acd.stats import new_queue_stats, observe_all
from telephony.model import CallId
from tests.unit.acd.test_engine import SALES, SUPPORT, agent, at, call, offers

ANNA, BORIS, CARL = AgentId("anna"), AgentId("boris"), AgentId("carl")
C1, C2 = CallId("c1"), CallId("c2")


def anna_on_c1(*, boris_in: QueueId = SUPPORT) -> AcdEngine:
    """anna (sales) answers c1; boris is ready in `boris_in`; wrap-up is 10 s."""
    engine = AcdEngine()
    engine.configure_queue(QueueConfig(queue_id=SALES, wrap_up_s=10))
    engine.configure_queue(QueueConfig(queue_id=SUPPORT, wrap_up_s=10))
    engine.login(agent("anna", SALES), at(0))
    engine.login(agent("boris", boris_in), at(1))
    engine.enqueue(call("c1"), at(2))
    engine.answer(ANNA, at(3))
    return engine


def states(actions: object, who: AgentId) -> list[AgentState]:
    assert isinstance(actions, list)
    return [
        a.state
        for a in actions
        if isinstance(a, AgentStateChanged) and a.agent_id == who
    ]


def test_consulted_agent_is_reserved_and_offered_nothing_when_consulted() -> None:
    engine = anna_on_c1(boris_in=SALES)

    actions = engine.consult(C1, at(10), agent_id=BORIS)

    assert states(actions, BORIS) == [AgentState.RESERVED]
    assert engine.agent(BORIS).state is AgentState.RESERVED
    assert engine.consulted(C1) == BORIS
    assert offers(engine.enqueue(call("c2"), at(11))) == []
    assert engine.call_phase(C2) is CallPhase.WAITING


def test_consult_is_refused_with_agent_busy_when_the_target_is_not_ready() -> None:
    engine = anna_on_c1()
    engine.pause(BORIS, at(5), reason="lunch")

    with pytest.raises(AgentBusy):
        engine.consult(C1, at(10), agent_id=BORIS)

    assert engine.consulted(C1) is None
    assert engine.agent(BORIS).state is AgentState.PAUSED


def test_consult_is_refused_when_the_call_is_not_connected_or_already_consulting() -> (
    None
):
    engine = anna_on_c1()
    engine.login(agent("carl", SUPPORT), at(4))
    with pytest.raises(UnknownCall):
        engine.consult(CallId("nope"), at(10), agent_id=BORIS)
    with pytest.raises(InvalidTransition):
        engine.consult(C1, at(10), agent_id=ANNA)
    engine.consult(C1, at(10), agent_id=BORIS)
    with pytest.raises(InvalidTransition):
        engine.consult(C1, at(11), agent_id=CARL)
    assert engine.agent(CARL).state is AgentState.READY


def test_target_is_on_the_call_and_agent_wraps_up_when_handed_over() -> None:
    engine = anna_on_c1()
    engine.consult(C1, at(10), agent_id=BORIS)

    actions = engine.hand_over(C1, at(20))

    assert states(actions, ANNA) == [AgentState.WRAP_UP]
    assert states(actions, BORIS) == [AgentState.ON_CALL]
    assert not [a for a in actions if isinstance(a, CallConnected)]  # answered once
    assert engine.agent(BORIS).call_id == C1
    assert engine.agent(ANNA).call_id is None
    view = engine.call(C1)
    assert view is not None
    assert (view.agent_id, view.phase) == (BORIS, CallPhase.CONNECTED)
    assert engine.consulted(C1) is None


def test_target_wraps_up_with_the_handled_call_when_the_caller_hangs_up() -> None:
    engine = anna_on_c1()
    engine.consult(C1, at(10), agent_id=BORIS)
    engine.hand_over(C1, at(20))

    ended = engine.hang_up(C1, at(50))

    assert states(ended, BORIS) == [AgentState.WRAP_UP]
    handled = [a for a in engine.tick(at(60)) if isinstance(a, CallHandled)]
    # Each agent's part: anna talked 3..20 and wrapped up by 30, boris 20..50.
    assert [(h.agent_id, h.call_id, h.talk_s) for h in handled] == [
        (ANNA, C1, 17),
        (BORIS, C1, 30),
    ]
    assert engine.agent(BORIS).state is AgentState.READY


def test_target_is_ready_again_and_takes_a_waiting_call_when_consultation_ends() -> (
    None
):
    engine = anna_on_c1(boris_in=SALES)
    engine.consult(C1, at(10), agent_id=BORIS)
    engine.enqueue(call("c2"), at(11))

    actions = engine.end_consultation(C1, at(20))

    assert offers(actions) == [("c2", "boris")]
    assert engine.agent(ANNA).state is AgentState.ON_CALL
    assert engine.consulted(C1) is None
    assert engine.end_consultation(C1, at(21)) == []


def test_target_is_freed_when_the_caller_hangs_up_during_the_consultation() -> None:
    engine = anna_on_c1()
    engine.consult(C1, at(10), agent_id=BORIS)

    actions = engine.hang_up(C1, at(20))

    assert states(actions, ANNA) == [AgentState.WRAP_UP]
    assert states(actions, BORIS) == [AgentState.READY]


def test_hand_over_is_refused_when_the_target_logged_out_meanwhile() -> None:
    engine = anna_on_c1()
    engine.consult(C1, at(10), agent_id=BORIS)

    engine.logout(BORIS, at(15))

    assert engine.agent(BORIS).state is AgentState.LOGGED_OUT
    with pytest.raises(InvalidTransition):
        engine.hand_over(C1, at(20))
    assert engine.agent(ANNA).state is AgentState.ON_CALL


def test_target_keeps_the_reservation_and_pauses_later_when_desktop_goes() -> None:
    engine = anna_on_c1()
    engine.consult(C1, at(10), agent_id=BORIS)

    engine.agent_gone(BORIS, at(11), grace_s=0)

    assert engine.agent(BORIS).state is AgentState.RESERVED
    engine.end_consultation(C1, at(20))
    assert engine.agent(BORIS).state is AgentState.PAUSED


def test_retried_callback_is_one_arrival_when_queued_again() -> None:
    engine = AcdEngine()
    engine.configure_queue(QueueConfig(queue_id=SALES))
    book = {SALES: new_queue_stats(SALES, at(0))}
    first = engine.enqueue(call("c1"), at(1), callback=True)
    engine.hang_up(C1, at(2))
    again = engine.enqueue(
        call("c1"), at(3), callback=True, not_before=at(300), returning=True
    )

    queued = [a for a in [*first, *again] if isinstance(a, CallQueued)]
    assert [q.returning for q in queued] == [False, True]
    book, _ = observe_all(book, queued)
    assert book[SALES].counts.offered == 1
    assert set(book[SALES].waiting) == {C1}

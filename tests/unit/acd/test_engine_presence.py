"""Routing engine: an agent's desktop going away and coming back, callbacks retried
later, and connected calls transferred back into a queue."""

from __future__ import annotations

import pytest

from acd.engine import AcdEngine
from acd.errors import InvalidTransition, UnknownCall
from acd.events import CallHandled, CallLeftQueue, CallQueued, CallRequeued
from acd.model import (
    PAUSE_DISCONNECTED,
    AgentId,
    AgentState,
    CallPhase,
    CancelOffer,
    ExitKind,
    ExitReason,
    QueueConfig,
)
from telephony.model import CallId
from tests.unit.acd.test_engine import (
    SALES,
    SUPPORT,
    agent,
    at,
    call,
    engine_with,
    offers,
)

ANNA, BORIS = AgentId("anna"), AgentId("boris")
GRACE_S = 20


def on_call(engine: AcdEngine) -> None:
    """Anna is connected to call c1."""
    engine.login(agent("anna", SALES), at(0))
    engine.enqueue(call("c1"), at(1))
    engine.answer(ANNA, at(2))


def two_queues() -> AcdEngine:
    """Anna (sales) is connected to c1, a priority 5 call."""
    engine = engine_with(QueueConfig(queue_id=SALES), QueueConfig(queue_id=SUPPORT))
    engine.login(agent("anna", SALES), at(0))
    engine.enqueue(call("c1", priority=5), at(1))
    engine.answer(ANNA, at(2))
    return engine


def test_nothing_changes_when_the_desktop_is_back_within_the_grace() -> None:
    engine = engine_with()
    engine.login(agent("anna", SALES), at(0))

    assert engine.agent_gone(ANNA, at(1), grace_s=GRACE_S) == []
    assert engine.agent_back(ANNA, at(5)) == []
    assert engine.tick(at(60)) == []
    assert engine.agent(ANNA).state is AgentState.READY


def test_ready_agent_is_paused_disconnected_when_the_grace_runs_out() -> None:
    engine = engine_with()
    engine.login(agent("anna", SALES), at(0))
    engine.agent_gone(ANNA, at(1), grace_s=GRACE_S)

    assert engine.tick(at(20)) == []
    engine.tick(at(21))

    view = engine.agent(ANNA)
    assert (view.state, view.reason) == (AgentState.PAUSED, PAUSE_DISCONNECTED)
    assert offers(engine.enqueue(call("c1"), at(22))) == []


def test_ringing_offer_goes_back_to_the_head_without_blame_when_the_agent_is_gone() -> (
    None
):
    engine = engine_with()
    engine.login(agent("anna", SALES), at(0))
    engine.enqueue(call("c1"), at(1))
    engine.enqueue(call("c2"), at(2))
    engine.ringing(ANNA, at(3))
    engine.agent_gone(ANNA, at(4), grace_s=5)  # before the 15 s ring timeout

    actions = engine.tick(at(9))

    assert [a.call_id for a in actions if isinstance(a, CancelOffer)] == ["c1"]
    assert [a.call_id for a in actions if isinstance(a, CallRequeued)] == ["c1"]
    assert engine.waiting(SALES) == ["c1", "c2"]
    assert engine.agent(ANNA).reason == PAUSE_DISCONNECTED
    engine.login(agent("boris", SALES), at(25))
    assert engine.agent(BORIS).call_id == "c1"


def test_agent_keeps_the_call_then_pauses_disconnected_when_gone_during_a_call() -> (
    None
):
    engine = engine_with()
    on_call(engine)
    engine.agent_gone(ANNA, at(3), grace_s=GRACE_S)
    engine.tick(at(30))
    assert engine.agent(ANNA).state is AgentState.ON_CALL

    engine.hang_up(CallId("c1"), at(40))
    engine.tick(at(50))  # wrap-up ends

    view = engine.agent(ANNA)
    assert (view.state, view.reason) == (AgentState.PAUSED, PAUSE_DISCONNECTED)


def test_agent_is_ready_again_when_the_desktop_reconnects_after_the_grace() -> None:
    engine = engine_with()
    engine.login(agent("anna", SALES), at(0))
    engine.enqueue(call("c1"), at(1))
    engine.answer(ANNA, at(2))
    engine.hang_up(CallId("c1"), at(3))
    engine.finish_wrap_up(ANNA, at(4))
    engine.agent_gone(ANNA, at(5), grace_s=GRACE_S)
    engine.tick(at(30))
    engine.enqueue(call("c2"), at(31))

    actions = engine.agent_back(ANNA, at(32))

    assert offers(actions) == [("c2", "anna")]


def test_agent_paused_for_lunch_stays_paused_when_the_desktop_reconnects() -> None:
    engine = engine_with()
    engine.login(agent("anna", SALES), at(0))
    engine.pause(ANNA, at(1), reason="lunch")
    engine.agent_gone(ANNA, at(2), grace_s=GRACE_S)
    engine.tick(at(30))

    engine.agent_back(ANNA, at(31))

    assert engine.agent(ANNA).reason == "lunch"


def test_ready_is_refused_when_the_agents_desktop_is_away() -> None:
    engine = engine_with()
    engine.login(agent("anna", SALES), at(0))
    engine.agent_gone(ANNA, at(1), grace_s=0)

    with pytest.raises(InvalidTransition):
        engine.resume(ANNA, at(2))


def test_call_held_for_a_gone_agent_is_released_when_the_grace_runs_out() -> None:
    engine = engine_with()
    engine.login(agent("anna", SALES), at(0))
    engine.login(agent("boris", SALES), at(0))
    engine.pause(ANNA, at(1), reason="coffee")
    engine.pause(BORIS, at(1), reason="coffee")
    engine.enqueue(call("c1", preferred_agent="anna"), at(2))
    engine.resume(BORIS, at(3))  # the call is held for Anna, not offered to Boris
    engine.agent_gone(ANNA, at(4), grace_s=GRACE_S)

    assert offers(engine.tick(at(24))) == [("c1", "boris")]


def test_callback_is_offered_only_after_its_retry_time_when_deferred() -> None:
    engine = engine_with()
    engine.login(agent("anna", SALES), at(0))
    engine.pause(ANNA, at(0), reason="coffee")
    engine.enqueue(call("c1"), at(1))
    engine.request_callback(CallId("c1"), at(2))
    engine.resume(ANNA, at(3))  # offered: the ring fails (the PBX is down)

    actions = engine.defer(CallId("c1"), at(4), until=at(304))

    assert offers(actions) == []
    assert engine.agent(ANNA).state is AgentState.READY
    assert engine.call_phase(CallId("c1")) is CallPhase.WAITING
    assert offers(engine.tick(at(303))) == []
    assert offers(engine.tick(at(304))) == [("c1", "anna")]


def test_callback_waits_for_its_retry_time_when_queued_again() -> None:
    engine = engine_with()
    engine.login(agent("anna", SALES), at(0))

    actions = engine.enqueue(call("c1"), at(1), callback=True, not_before=at(301))

    assert offers(actions) == []
    assert [a.position for a in actions if isinstance(a, CallQueued)] == [1]
    actions = engine.tick(at(301))
    assert offers(actions) == [("c1", "anna")]
    view = engine.call(CallId("c1"))
    assert view is not None
    assert view.callback


def test_offered_callback_is_dropped_when_the_acd_gives_up() -> None:
    engine = engine_with()
    engine.login(agent("anna", SALES), at(0))
    engine.enqueue(call("c1"), at(1), callback=True)

    actions = engine.leave(
        CallId("c1"),
        at(2),
        exit_kind=ExitKind.CALLBACK,
        reason=ExitReason.CALLBACK_FAILED,
    )

    [left] = [a for a in actions if isinstance(a, CallLeftQueue)]
    assert left.reason is ExitReason.CALLBACK_FAILED
    assert engine.agent(ANNA).state is AgentState.READY
    assert engine.call(CallId("c1")) is None


def test_transferred_call_waits_in_the_target_queue_when_nobody_is_free() -> None:
    engine = two_queues()

    actions = engine.transfer(CallId("c1"), at(10), queue_id=SUPPORT)

    assert [a.call_id for a in actions if isinstance(a, CallHandled)] == []
    assert [a.queue_id for a in actions if isinstance(a, CallQueued)] == [SUPPORT]
    assert engine.agent(ANNA).state is AgentState.WRAP_UP
    view = engine.call(CallId("c1"))
    assert view is not None
    assert (view.queue_id, view.phase, view.priority) == (
        SUPPORT,
        CallPhase.WAITING,
        5,
    )


def test_transferred_call_is_offered_to_the_named_agent_when_they_are_ready() -> None:
    engine = two_queues()
    engine.login(agent("boris", SUPPORT), at(3))
    engine.login(agent("vera", SUPPORT), at(4))

    actions = engine.transfer(CallId("c1"), at(10), queue_id=SALES, agent_id=BORIS)

    assert offers(actions) == [("c1", "boris")]


def test_transfer_is_refused_when_the_call_is_not_connected() -> None:
    engine = engine_with()
    engine.enqueue(call("c1"), at(1))

    with pytest.raises(UnknownCall):
        engine.transfer(CallId("c1"), at(2), queue_id=SALES)

"""The engine across a service restart: sessions kept, agents put back, waiting calls
queued again from their arrival, and calls the PBX lost."""

from __future__ import annotations

from dataclasses import replace

from acd.engine import AcdEngine
from acd.events import AgentStateChanged, CallAbandoned, CallHandled, CallLeftQueue
from acd.model import (
    AgentId,
    AgentSession,
    AgentState,
    CallPhase,
    CancelOffer,
    ExitKind,
    ExitQueue,
    ExitReason,
    QueueConfig,
)
from telephony.model import CallId
from tests.unit.acd.test_engine import SALES, agent, at, call, engine_with, offers

A1 = AgentId("a1")


def kept(engine: AcdEngine) -> AgentSession:
    session = engine.session(A1)
    assert session is not None
    return session


def test_paused_agent_comes_back_paused_with_reason_when_calls_wait() -> None:
    before = engine_with()
    before.login(agent("a1", SALES), at(0))
    before.pause(A1, at(5), reason="lunch")
    session = kept(before)
    assert (session.state, session.reason, session.since) == (
        AgentState.PAUSED,
        "lunch",
        at(5),
    )
    after = engine_with()
    after.enqueue(call("c1"), at(100))
    actions = after.restore_agent(agent("a1", SALES), session, at(101))
    assert offers(actions) == []
    view = after.agent(A1)
    assert (view.state, view.reason) == (AgentState.PAUSED, "lunch")


def test_ringing_agent_is_kept_ready_and_takes_a_waiting_call_when_restored() -> None:
    before = engine_with()
    before.login(agent("a1", SALES), at(0))
    before.enqueue(call("c1"), at(1))
    before.ringing(A1, at(2))
    session = kept(before)
    assert (session.state, session.call_id) == (AgentState.READY, None)
    after = engine_with()
    after.enqueue(call("c1"), at(100))
    assert offers(after.restore_agent(agent("a1", SALES), session, at(101))) == [
        ("c1", "a1")
    ]


def test_agent_still_on_a_call_gets_no_other_until_wrap_up_when_restored() -> None:
    before = engine_with(QueueConfig(queue_id=SALES, wrap_up_s=10))
    before.login(agent("a1", SALES), at(0))
    before.enqueue(call("c1"), at(1))
    before.answer(A1, at(3))
    session = kept(before)
    assert (session.state, session.call_id, session.queue_id, session.since) == (
        AgentState.ON_CALL,
        "c1",
        SALES,
        at(3),
    )
    after = engine_with(QueueConfig(queue_id=SALES, wrap_up_s=10))
    after.enqueue(call("c2"), at(100))
    actions = after.restore_agent(
        agent("a1", SALES), session, at(101), on_call=call("c1")
    )
    assert offers(actions) == []
    assert after.agent(A1).state is AgentState.ON_CALL
    assert after.call_phase(CallId("c1")) is CallPhase.CONNECTED
    ended = after.hang_up(CallId("c1"), at(130))
    assert after.agent(A1).state is AgentState.WRAP_UP
    assert offers(ended) == []
    done = after.tick(at(140))
    (handled,) = [a for a in done if isinstance(a, CallHandled)]
    assert (handled.call_id, handled.talk_s) == ("c1", 127.0)
    assert offers(done) == [("c2", "a1")]


def test_call_that_ended_meanwhile_starts_wrap_up_when_the_agent_is_restored() -> None:
    on_call = AgentSession(
        agent_id=A1,
        state=AgentState.ON_CALL,
        since=at(3),
        call_id=CallId("c1"),
        queue_id=SALES,
        pending_pause="training",
    )
    engine = engine_with(QueueConfig(queue_id=SALES, wrap_up_s=10))
    engine.restore_agent(agent("a1", SALES), on_call, at(60))
    assert engine.agent(A1).state is AgentState.WRAP_UP
    done = engine.tick(at(70))
    assert [a.call_id for a in done if isinstance(a, CallHandled)] == ["c1"]
    view = engine.agent(A1)
    assert (view.state, view.reason) == (AgentState.PAUSED, "training")


def test_wrap_up_resumes_for_what_is_left_of_it_when_restored() -> None:
    wrapping = AgentSession(
        agent_id=A1,
        state=AgentState.WRAP_UP,
        since=at(50),
        call_id=CallId("c1"),
        queue_id=SALES,
        talk_s=30.0,
    )
    engine = engine_with(QueueConfig(queue_id=SALES, wrap_up_s=10))
    engine.enqueue(call("c2"), at(54))
    assert offers(engine.restore_agent(agent("a1", SALES), wrapping, at(55))) == []
    assert engine.agent(A1).state is AgentState.WRAP_UP
    assert engine.next_deadline() == at(60)
    done = engine.tick(at(60))
    (handled,) = [a for a in done if isinstance(a, CallHandled)]
    assert (handled.talk_s, handled.wrap_up_s) == (30.0, 10.0)
    assert offers(done) == [("c2", "a1")]


def test_wrap_up_already_over_makes_the_agent_ready_when_restored() -> None:
    wrapping = AgentSession(
        agent_id=A1,
        state=AgentState.WRAP_UP,
        since=at(0),
        call_id=CallId("c1"),
        queue_id=SALES,
    )
    engine = engine_with(QueueConfig(queue_id=SALES, wrap_up_s=10))
    actions = engine.restore_agent(agent("a1", SALES), wrapping, at(55))
    assert [a.call_id for a in actions if isinstance(a, CallHandled)] == ["c1"]
    assert engine.agent(A1).state is AgentState.READY


def test_agent_logged_in_since_the_restart_is_left_alone_when_restored() -> None:
    engine = engine_with()
    engine.login(agent("a1", SALES), at(0))
    engine.pause(A1, at(1), reason="meeting")
    paused_before = AgentSession(agent_id=A1, state=AgentState.PAUSED, since=at(-50))
    ready = replace(paused_before, state=AgentState.READY, reason="")
    assert engine.restore_agent(agent("a1", SALES), ready, at(2)) == []
    assert engine.agent(A1).reason == "meeting"


def test_logged_out_agent_stays_out_when_nothing_is_kept() -> None:
    engine = engine_with()
    assert engine.restore_agent(agent("a1", SALES), None, at(0)) == []
    assert engine.agent(A1).state is AgentState.LOGGED_OUT
    assert engine.session(A1) is None


def test_restored_agent_announces_its_state_when_put_back() -> None:
    engine = engine_with()
    session = AgentSession(agent_id=A1, state=AgentState.READY, since=at(0))
    actions = engine.restore_agent(agent("a1", SALES), session, at(9))
    changes = [a for a in actions if isinstance(a, AgentStateChanged)]
    assert [(c.previous, c.state) for c in changes] == [
        (AgentState.LOGGED_OUT, AgentState.READY)
    ]


def test_restored_waiting_call_counts_its_wait_from_arrival_when_requeued() -> None:
    engine = engine_with(QueueConfig(queue_id=SALES, max_wait_s=60))
    earlier = replace(call("c1"), arrived_at=at(0))
    engine.enqueue(earlier, at(100), restored=True)
    left = engine.tick(at(100))
    (exit_,) = [a for a in left if isinstance(a, ExitQueue)]
    assert exit_.reason is ExitReason.MAX_WAIT


def test_restored_waiting_call_keeps_its_place_before_later_callers() -> None:
    engine = engine_with()
    engine.enqueue(call("later"), at(50))
    engine.enqueue(replace(call("earlier"), arrived_at=at(0)), at(100), restored=True)
    assert engine.waiting(SALES) == ["earlier", "later"]


def test_waiting_call_lost_with_the_pbx_leaves_without_abandoning_when_it_ends() -> (
    None
):
    engine = engine_with()
    engine.login(agent("a1", SALES), at(0))
    engine.enqueue(call("c1"), at(1))
    actions = engine.hang_up(CallId("c1"), at(9), pbx_gone=True)
    assert not [a for a in actions if isinstance(a, CallAbandoned | ExitQueue)]
    (left,) = [a for a in actions if isinstance(a, CallLeftQueue)]
    assert (left.reason, left.exit, left.waited_s) == (
        ExitReason.PBX_GONE,
        ExitKind.HANGUP,
        8.0,
    )
    assert [a.agent_id for a in actions if isinstance(a, CancelOffer)] == ["a1"]
    assert engine.agent(A1).state is AgentState.READY

"""Each agent's figures per interval: state time, pauses by reason, calls."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from acd.agent_stats import (
    AgentCounts,
    PauseTally,
    advance_agents,
    observe_agents,
)
from acd.events import (
    AcdEvent,
    AgentStateChanged,
    CallConnected,
    CallHandled,
    CallOffered,
    CallQueued,
    CallRequeued,
)
from acd.model import AgentId, AgentState, QueueId
from telephony.model import CallId

T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
ANNA, BORIS = AgentId("anna"), AgentId("boris")
Q = QueueId("billing")
S = AgentState


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def state(
    agent: AgentId, when: float, new: AgentState, old: AgentState, reason: str = ""
) -> AgentStateChanged:
    return AgentStateChanged(
        occurred_at=at(when), agent_id=agent, state=new, previous=old,
        reason=reason, queue_ids=(Q,),
    )  # fmt: skip


def call(agent: AgentId, when: float, talk_s: float) -> list[AcdEvent]:
    """Offered, rung, answered, talked `talk_s`, 10 s of wrap-up, handled."""
    c = CallId(f"pbx1:{when}")
    end = when + 5 + talk_s
    return [
        CallOffered(occurred_at=at(when), call_id=c, queue_id=Q, agent_id=agent),
        state(agent, when, S.RINGING, S.READY),
        CallConnected(
            occurred_at=at(when + 5),
            call_id=c,
            queue_id=Q,
            agent_id=agent,
            waited_s=12.0,
        ),
        state(agent, when + 5, S.ON_CALL, S.RINGING),
        state(agent, end, S.WRAP_UP, S.ON_CALL),
        CallHandled(
            occurred_at=at(end + 10),
            call_id=c,
            queue_id=Q,
            agent_id=agent,
            talk_s=talk_s,
            wrap_up_s=10.0,
        ),
        state(agent, end + 10, S.READY, S.WRAP_UP),
    ]


def test_state_time_and_calls_are_counted_when_an_agent_works_an_interval() -> None:
    events = [
        state(ANNA, 0, S.READY, S.LOGGED_OUT),
        *call(ANNA, 60, talk_s=120),  # busy from 60 to 195
        state(ANNA, 300, S.PAUSED, S.READY, "break"),
        state(ANNA, 500, S.PAUSED, S.PAUSED, "lunch"),
        state(ANNA, 800, S.READY, S.PAUSED),
    ]
    book, closed = observe_agents({}, events)
    assert closed == []

    book, closed = advance_agents(book, at(900))

    (record,) = closed
    assert (record.agent_id, record.start, record.end) == (ANNA, T0, at(900))
    assert record.counts == AgentCounts(
        offered=1, answered=1, handled=1, talk_s=120.0, wrap_up_s=10.0,
        logged_in_s=900.0, ready_s=60 + 105 + 100.0, busy_s=135.0,
        pauses={"break": PauseTally(pauses=1, paused_s=200.0),
                "lunch": PauseTally(pauses=1, paused_s=300.0)},
    )  # fmt: skip
    assert record.counts.paused_s == 500.0
    assert record.counts.pause_count == 2
    assert book[ANNA].counts == AgentCounts()


def test_a_missed_offer_is_counted_when_the_call_goes_back_to_its_queue() -> None:
    c = CallId("pbx1:7")
    book, _ = observe_agents(
        {},
        [
            state(BORIS, 0, S.READY, S.LOGGED_OUT),
            CallOffered(occurred_at=at(10), call_id=c, queue_id=Q, agent_id=BORIS),
            CallRequeued(occurred_at=at(25), call_id=c, queue_id=Q, agent_id=BORIS),
            state(BORIS, 25, S.PAUSED, S.RINGING, "no_answer"),
        ],
    )
    _, (record,) = advance_agents(book, at(900))
    assert (record.counts.offered, record.counts.missed) == (1, 1)
    assert record.counts.pauses == {"no_answer": PauseTally(pauses=1, paused_s=875.0)}


def test_an_interval_leaves_no_record_when_the_agent_was_logged_out() -> None:
    book, _ = observe_agents(
        {},
        [
            state(ANNA, 0, S.READY, S.LOGGED_OUT),
            state(ANNA, 100, S.LOGGED_OUT, S.READY),
        ],
    )
    book, first = advance_agents(book, at(900))
    assert [r.counts.logged_in_s for r in first] == [100.0]
    assert ANNA not in book  # forgotten until the next login

    book, later = advance_agents(book, at(3 * 900))
    assert later == []


def test_other_events_pass_by_when_they_concern_no_agent() -> None:
    queued = CallQueued(
        occurred_at=at(5), call_id=CallId("pbx1:1"), queue_id=Q, priority=0, position=1
    )
    book, closed = observe_agents({}, [queued])
    assert (book, closed) == ({}, [])


@given(
    st.lists(
        st.tuples(
            st.floats(min_value=0, max_value=3000),
            st.sampled_from([S.READY, S.PAUSED, S.ON_CALL, S.LOGGED_OUT]),
        ),
        max_size=20,
    )
)
def test_state_time_adds_up_to_the_time_logged_in_when_states_change(
    changes: list[tuple[float, AgentState]],
) -> None:
    events: list[AcdEvent] = [state(ANNA, 0, S.READY, S.LOGGED_OUT)]
    previous = S.READY
    for when, new in sorted(changes):
        events.append(state(ANNA, when, new, previous, "break"))
        previous = new
    book, closed = observe_agents({}, events)
    _, rest = advance_agents(book, at(4 * 900))
    for record in closed + rest:
        counts = record.counts
        parts = counts.ready_s + counts.busy_s + counts.paused_s
        assert abs(parts - counts.logged_in_s) < 1e-6
        assert counts.logged_in_s <= 900.0 + 1e-6

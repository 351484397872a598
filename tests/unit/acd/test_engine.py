"""Routing engine: strategies, priorities, overflow, exits and agent states."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from types import MappingProxyType

import pytest

from acd.engine import AcdEngine, Action
from acd.errors import (
    DuplicateCall,
    InvalidTransition,
    UnknownAgent,
    UnknownCall,
    UnknownQueue,
)
from acd.events import (
    AgentStateChanged,
    CallAbandoned,
    CallConnected,
    CallHandled,
    CallLeftQueue,
    CallOverflowed,
    CallRequeued,
)
from acd.model import (
    PAUSE_NO_ANSWER,
    AgentId,
    AgentProfile,
    AgentState,
    CallPhase,
    CallRequest,
    CancelOffer,
    ExitKind,
    ExitQueue,
    ExitReason,
    Membership,
    OfferCall,
    OfferOptions,
    OverflowKind,
    OverflowRule,
    QueueConfig,
    QueueExit,
    QueueId,
    Strategy,
    parse_skill,
)
from telephony.model import CallId

T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
SALES = QueueId("sales")
SUPPORT = QueueId("support")


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def agent(
    name: str,
    *queues: QueueId,
    skills: dict[str, int] | None = None,
    penalty: int = 0,
    languages: frozenset[str] = frozenset(),
) -> AgentProfile:
    return AgentProfile(
        agent_id=AgentId(name),
        skills=MappingProxyType(skills or {}),
        languages=languages,
        memberships=tuple(Membership(queue_id=q, penalty=penalty) for q in queues),
    )


def call(
    name: str,
    queue: QueueId = SALES,
    *,
    skills: dict[str, int] | None = None,
    priority: int = 0,
    language: str | None = None,
    preferred_agent: str | None = None,
    category: str | None = None,
) -> CallRequest:
    return CallRequest(
        call_id=CallId(name),
        queue_id=queue,
        skills=MappingProxyType(skills or {}),
        priority=priority,
        language=language,
        preferred_agent=AgentId(preferred_agent) if preferred_agent else None,
        category=category,
    )


def offers(actions: Sequence[Action]) -> list[tuple[str, str]]:
    return [(a.call_id, a.agent_id) for a in actions if isinstance(a, OfferCall)]


def engine_with(*configs: QueueConfig) -> AcdEngine:
    engine = AcdEngine()
    for config in configs or (QueueConfig(queue_id=SALES),):
        engine.configure_queue(config)
    return engine


def test_call_goes_to_longest_idle_agent_when_several_are_ready() -> None:
    engine = engine_with()
    engine.login(agent("a1", SALES), at(0))
    engine.login(agent("a2", SALES), at(1))
    assert offers(engine.enqueue(call("c1"), at(5))) == [("c1", "a1")]
    assert engine.agent(AgentId("a1")).state is AgentState.RESERVED


def test_reserved_agent_gets_no_second_call_when_another_call_arrives() -> None:
    engine = engine_with()
    engine.login(agent("a1", SALES), at(0))
    engine.enqueue(call("c1"), at(1))
    assert offers(engine.enqueue(call("c2"), at(2))) == []
    assert engine.call_phase(CallId("c2")) is CallPhase.WAITING
    assert engine.position(CallId("c2")) == 1


def test_ready_agent_takes_higher_priority_then_longest_waiting_when_calls_wait() -> (
    None
):
    engine = engine_with(QueueConfig(queue_id=SALES), QueueConfig(queue_id=SUPPORT))
    engine.enqueue(call("old-low"), at(0))
    engine.enqueue(call("new-high", SUPPORT, priority=5), at(3))
    engine.enqueue(call("older-high", priority=5), at(2))
    assert engine.waiting(SALES) == ["older-high", "old-low"]
    assert engine.position(CallId("old-low")) == 2
    actions = engine.login(agent("a1", SALES, SUPPORT), at(4))
    assert offers(actions) == [("older-high", "a1")]


def test_vip_category_is_served_first_when_the_queue_boosts_it() -> None:
    engine = engine_with(
        QueueConfig(queue_id=SALES, category_boost=MappingProxyType({"vip": 10}))
    )
    engine.enqueue(call("regular", priority=3), at(0))
    engine.enqueue(call("vip", category="vip"), at(1))
    assert offers(engine.login(agent("a1", SALES), at(2))) == [("vip", "a1")]


@pytest.mark.parametrize(
    ("skills", "languages", "expected"),
    [
        ({"billing": 2}, frozenset({"ru"}), []),
        ({"billing": 3}, frozenset({"en"}), []),
        ({"billing": 3}, frozenset({"ru"}), [("c1", "a1")]),
        ({"billing": 5, "russian": 1}, frozenset({"ru", "en"}), [("c1", "a1")]),
    ],
)
def test_call_offered_only_when_agent_meets_skill_minimum_and_language(
    skills: dict[str, int], languages: frozenset[str], expected: list[tuple[str, str]]
) -> None:
    engine = engine_with()
    engine.enqueue(
        call(
            "c1",
            skills=dict([parse_skill("billing:3")]),
            language="ru",
        ),
        at(0),
    )
    actions = engine.login(
        agent("a1", SALES, skills=skills, languages=languages), at(1)
    )
    assert offers(actions) == expected


def test_skipped_call_keeps_waiting_when_ready_agent_lacks_skill() -> None:
    engine = engine_with()
    engine.enqueue(call("hard", skills={"billing": 5}), at(0))
    engine.enqueue(call("easy"), at(1))
    assert offers(engine.login(agent("a1", SALES), at(2))) == [("easy", "a1")]
    expert = agent("a2", SALES, skills={"billing": 5})
    assert offers(engine.login(expert, at(3))) == [("hard", "a2")]


def test_lower_penalty_agent_offered_first_when_both_are_ready() -> None:
    engine = engine_with()
    engine.login(agent("backup", SALES, penalty=2), at(0))
    engine.login(agent("primary", SALES, penalty=0), at(5))
    assert offers(engine.enqueue(call("c1"), at(6))) == [("c1", "primary")]
    assert offers(engine.enqueue(call("c2"), at(7))) == [("c2", "backup")]


def answer_and_finish(engine: AcdEngine, agent_name: str, start: float) -> None:
    engine.answer(AgentId(agent_name), at(start))
    view = engine.agent(AgentId(agent_name))
    assert view.call_id is not None
    engine.hang_up(view.call_id, at(start + 1))


def test_fewest_calls_strategy_prefers_agent_with_fewer_answered_when_ready() -> None:
    engine = engine_with(
        QueueConfig(queue_id=SALES, strategy=Strategy.FEWEST_CALLS, wrap_up_s=0)
    )
    engine.login(agent("busy", SALES), at(0))
    engine.enqueue(call("c1"), at(1))
    answer_and_finish(engine, "busy", 2)
    engine.login(agent("fresh", SALES), at(10))
    assert offers(engine.enqueue(call("c2"), at(11))) == [("c2", "fresh")]


def test_round_robin_continues_after_last_offered_when_agents_stay_ready() -> None:
    engine = engine_with(
        QueueConfig(queue_id=SALES, strategy=Strategy.ROUND_ROBIN, wrap_up_s=0)
    )
    for name in ("a", "b", "c"):
        engine.login(agent(name, SALES), at(0))
    served = []
    for i in range(4):
        (offer,) = offers(engine.enqueue(call(f"c{i}"), at(1 + 3 * i)))
        served.append(offer[1])
        answer_and_finish(engine, offer[1], 2 + 3 * i)
    assert served == ["a", "b", "c", "a"]


def test_best_skill_strategy_picks_highest_levels_when_several_qualify() -> None:
    engine = engine_with(QueueConfig(queue_id=SALES, strategy=Strategy.BEST_SKILL))
    engine.login(agent("junior", SALES, skills={"billing": 2}), at(0))
    engine.login(agent("senior", SALES, skills={"billing": 5}), at(1))
    request = call("c1", skills={"billing": 1})
    assert offers(engine.enqueue(request, at(2))) == [("c1", "senior")]


def test_call_moves_to_overflow_queue_when_its_time_passes() -> None:
    engine = engine_with(
        QueueConfig(
            queue_id=SALES,
            overflow=(
                OverflowRule(
                    after_s=30, kind=OverflowKind.TO_QUEUE, target_queue=SUPPORT
                ),
            ),
        ),
        QueueConfig(queue_id=SUPPORT),
    )
    engine.login(agent("helper", SUPPORT), at(0))
    engine.enqueue(call("c1"), at(0))
    assert engine.tick(at(29)) == []
    actions = engine.tick(at(30))
    moved = [a for a in actions if isinstance(a, CallOverflowed)]
    assert [(m.from_queue_id, m.to_queue_id) for m in moved] == [(SALES, SUPPORT)]
    assert offers(actions) == [("c1", "helper")]


def test_relaxed_skill_minimum_lets_other_agent_take_call_when_rule_fires() -> None:
    engine = engine_with(
        QueueConfig(
            queue_id=SALES,
            overflow=(
                OverflowRule(after_s=20, kind=OverflowKind.RELAX_SKILLS, relax_to=1),
            ),
        )
    )
    engine.login(agent("novice", SALES, skills={"billing": 1}), at(0))
    engine.enqueue(call("c1", skills={"billing": 4}), at(0))
    assert offers(engine.tick(at(19))) == []
    assert offers(engine.tick(at(20))) == [("c1", "novice")]


def test_caller_offered_voicemail_and_callback_when_rules_fire() -> None:
    engine = engine_with(
        QueueConfig(
            queue_id=SALES,
            overflow=(
                OverflowRule(after_s=10, kind=OverflowKind.OFFER_CALLBACK),
                OverflowRule(after_s=20, kind=OverflowKind.OFFER_VOICEMAIL),
            ),
        )
    )
    engine.enqueue(call("c1"), at(0))
    first = engine.tick(at(10))
    second = engine.tick(at(25))
    assert [a.options for a in first if isinstance(a, OfferOptions)] == [
        (ExitKind.CALLBACK,)
    ]
    assert [a.options for a in second if isinstance(a, OfferOptions)] == [
        (ExitKind.VOICEMAIL,)
    ]
    left = engine.leave(CallId("c1"), at(26), exit_kind=ExitKind.CALLBACK)
    assert [a.reason for a in left if isinstance(a, ExitQueue)] == [
        ExitReason.CALLER_CHOICE
    ]
    assert engine.call_phase(CallId("c1")) is None


def test_call_exits_to_voicemail_when_maximum_wait_passes() -> None:
    engine = engine_with(
        QueueConfig(
            queue_id=SALES,
            max_wait_s=60,
            on_max_wait=QueueExit(kind=ExitKind.VOICEMAIL),
        )
    )
    engine.enqueue(call("c1"), at(0))
    actions = engine.tick(at(61))
    exits = [a for a in actions if isinstance(a, ExitQueue)]
    assert [(e.reason, e.exit.kind) for e in exits] == [
        (ExitReason.MAX_WAIT, ExitKind.VOICEMAIL)
    ]
    assert [a.waited_s for a in actions if isinstance(a, CallLeftQueue)] == [61]
    assert engine.size(SALES) == 0


def test_call_hung_up_with_message_when_queue_is_full() -> None:
    full = QueueExit(kind=ExitKind.HANGUP, message="busy-try-later")
    engine = engine_with(QueueConfig(queue_id=SALES, max_length=2, on_full=full))
    engine.enqueue(call("c1"), at(0))
    engine.enqueue(call("c2"), at(1))
    actions = engine.enqueue(call("c3"), at(2))
    assert [a.exit for a in actions if isinstance(a, ExitQueue)] == [full]
    assert engine.waiting(SALES) == ["c1", "c2"]


def test_full_queue_sends_call_to_other_queue_when_exit_names_one() -> None:
    to_support = QueueExit(kind=ExitKind.QUEUE, target_queue=SUPPORT)
    engine = engine_with(
        QueueConfig(queue_id=SALES, max_length=0, on_full=to_support),
        QueueConfig(queue_id=SUPPORT),
    )
    engine.enqueue(call("c1"), at(0))
    assert engine.call_queue(CallId("c1")) == SUPPORT


def test_call_back_at_head_and_agent_paused_when_agent_does_not_answer() -> None:
    engine = engine_with()
    engine.login(agent("a1", SALES), at(0))
    engine.enqueue(call("first"), at(1))
    engine.enqueue(call("second"), at(2))
    actions = engine.no_answer(AgentId("a1"), at(10))
    assert [a.call_id for a in actions if isinstance(a, CallRequeued)] == ["first"]
    assert engine.waiting(SALES) == ["first", "second"]
    view = engine.agent(AgentId("a1"))
    assert (view.state, view.reason) == (AgentState.PAUSED, PAUSE_NO_ANSWER)
    assert offers(engine.login(agent("a2", SALES), at(11))) == [("first", "a2")]


def test_ring_timeout_cancels_offer_and_pauses_agent_when_tick_passes_it() -> None:
    engine = engine_with(QueueConfig(queue_id=SALES, ring_timeout_s=15))
    engine.login(agent("a1", SALES), at(0))
    engine.login(agent("a2", SALES), at(1))
    engine.enqueue(call("c1"), at(2))
    engine.ringing(AgentId("a1"), at(2))
    assert engine.tick(at(16)) == []
    actions = engine.tick(at(17))
    assert [a for a in actions if isinstance(a, CancelOffer)] == [
        CancelOffer(call_id=CallId("c1"), agent_id=AgentId("a1"))
    ]
    assert offers(actions) == [("c1", "a2")]
    assert engine.agent(AgentId("a1")).state is AgentState.PAUSED


def test_waiting_caller_leaves_at_once_as_abandoned_when_hanging_up() -> None:
    engine = engine_with()
    engine.enqueue(call("c1"), at(0))
    actions = engine.hang_up(CallId("c1"), at(7))
    assert [
        (a.call_id, a.waited_s) for a in actions if isinstance(a, CallAbandoned)
    ] == [("c1", 7)]
    assert engine.waiting(SALES) == []
    assert offers(engine.login(agent("a1", SALES), at(8))) == []


def test_agent_is_ready_again_when_caller_hangs_up_during_ring() -> None:
    engine = engine_with()
    engine.login(agent("a1", SALES), at(0))
    engine.enqueue(call("c1"), at(1))
    engine.enqueue(call("c2"), at(2))
    actions = engine.hang_up(CallId("c1"), at(3))
    assert any(isinstance(a, CancelOffer) for a in actions)
    assert offers(actions) == [("c2", "a1")]


def test_agent_wraps_up_then_ready_when_wrap_up_time_passes() -> None:
    engine = engine_with(QueueConfig(queue_id=SALES, wrap_up_s=10))
    engine.login(agent("a1", SALES), at(0))
    engine.enqueue(call("c1"), at(0))
    engine.answer(AgentId("a1"), at(5))
    engine.hang_up(CallId("c1"), at(65))
    assert engine.agent(AgentId("a1")).state is AgentState.WRAP_UP
    engine.enqueue(call("c2"), at(70))
    actions = engine.tick(at(75))
    handled = [a for a in actions if isinstance(a, CallHandled)]
    assert [(h.talk_s, h.wrap_up_s) for h in handled] == [(60, 10)]
    assert offers(actions) == [("c2", "a1")]


def test_agent_ready_early_when_finishing_wrap_up() -> None:
    engine = engine_with(QueueConfig(queue_id=SALES, wrap_up_s=30))
    engine.login(agent("a1", SALES), at(0))
    engine.enqueue(call("c1"), at(0))
    connected = engine.answer(AgentId("a1"), at(4))
    assert [a.waited_s for a in connected if isinstance(a, CallConnected)] == [4]
    engine.hang_up(CallId("c1"), at(10))
    engine.finish_wrap_up(AgentId("a1"), at(12))
    assert engine.agent(AgentId("a1")).state is AgentState.READY
    assert engine.tick(at(40)) == []


def test_preferred_agent_gets_call_when_ready_within_window() -> None:
    engine = engine_with(QueueConfig(queue_id=SALES, preferred_agent_s=30))
    engine.login(agent("other", SALES), at(0))
    engine.login(agent("owner", SALES), at(0))
    engine.pause(AgentId("owner"), at(1), reason="lunch")
    request = call("c1", preferred_agent="owner")
    assert offers(engine.enqueue(request, at(2))) == []
    assert offers(engine.resume(AgentId("owner"), at(20))) == [("c1", "owner")]


def test_preferred_call_opens_to_all_when_window_expires() -> None:
    engine = engine_with(QueueConfig(queue_id=SALES, preferred_agent_s=30))
    engine.login(agent("other", SALES), at(0))
    engine.login(agent("owner", SALES), at(0))
    engine.pause(AgentId("owner"), at(1), reason="lunch")
    engine.enqueue(call("c1", preferred_agent="owner"), at(2))
    assert offers(engine.tick(at(31))) == []
    assert offers(engine.tick(at(32))) == [("c1", "other")]


def test_preferred_agent_ignored_when_logged_out() -> None:
    engine = engine_with()
    engine.login(agent("other", SALES), at(0))
    request = call("c1", preferred_agent="gone")
    assert offers(engine.enqueue(request, at(1))) == [("c1", "other")]


def test_agent_pauses_after_call_when_pause_asked_during_call() -> None:
    engine = engine_with(QueueConfig(queue_id=SALES, wrap_up_s=0))
    engine.login(agent("a1", SALES), at(0))
    engine.enqueue(call("c1"), at(0))
    engine.answer(AgentId("a1"), at(1))
    assert engine.pause(AgentId("a1"), at(2), reason="training") == []
    actions = engine.hang_up(CallId("c1"), at(3))
    changes = [(a.state, a.reason) for a in actions if isinstance(a, AgentStateChanged)]
    assert changes[-1] == (AgentState.PAUSED, "training")


def test_offered_call_requeued_when_agent_logs_out() -> None:
    engine = engine_with()
    engine.login(agent("a1", SALES), at(0))
    engine.enqueue(call("c1"), at(1))
    actions = engine.logout(AgentId("a1"), at(2))
    assert any(isinstance(a, CancelOffer) for a in actions)
    assert engine.waiting(SALES) == ["c1"]
    assert engine.agent(AgentId("a1")).state is AgentState.LOGGED_OUT


def test_logout_refused_when_agent_is_on_call() -> None:
    engine = engine_with()
    engine.login(agent("a1", SALES), at(0))
    engine.enqueue(call("c1"), at(1))
    engine.answer(AgentId("a1"), at(2))
    with pytest.raises(InvalidTransition):
        engine.logout(AgentId("a1"), at(3))


def test_ready_agents_resorted_when_queue_strategy_changes() -> None:
    engine = engine_with(QueueConfig(queue_id=SALES, strategy=Strategy.BEST_SKILL))
    engine.login(agent("idle-longest", SALES, skills={"billing": 1}), at(0))
    engine.login(agent("expert", SALES, skills={"billing": 5}), at(1))
    engine.configure_queue(QueueConfig(queue_id=SALES, strategy=Strategy.LONGEST_IDLE))
    request = call("c1", skills={"billing": 1})
    assert offers(engine.enqueue(request, at(2))) == [("c1", "idle-longest")]


def test_next_deadline_is_the_earliest_timer_when_calls_wait() -> None:
    engine = engine_with(QueueConfig(queue_id=SALES, max_wait_s=60))
    assert engine.next_deadline() is None
    engine.enqueue(call("c1"), at(5))
    assert engine.next_deadline() == at(65)


def test_call_view_shows_relaxed_requirements_when_rule_fired() -> None:
    rule = OverflowRule(after_s=10, kind=OverflowKind.RELAX_SKILLS, relax_to=2)
    engine = engine_with(QueueConfig(queue_id=SALES, overflow=(rule,)))
    engine.enqueue(call("c1", skills={"billing": 4, "russian": 1}, priority=2), at(0))
    engine.tick(at(10))
    view = engine.call(CallId("c1"))
    assert view is not None
    assert (view.skills, view.priority, view.phase) == (
        (("billing", 2), ("russian", 1)),
        2,
        CallPhase.WAITING,
    )


def test_callback_keeps_its_place_and_offer_says_callback_when_agent_frees() -> None:
    engine = engine_with()
    engine.enqueue(call("first"), at(0))
    engine.enqueue(call("second"), at(1))
    assert engine.request_callback(CallId("first"), at(5)) == []
    actions = engine.login(agent("a1", SALES), at(9))
    assert [(a.call_id, a.callback) for a in actions if isinstance(a, OfferCall)] == [
        ("first", True)
    ]


def test_callback_not_sent_to_voicemail_when_maximum_wait_passes() -> None:
    engine = engine_with(
        QueueConfig(
            queue_id=SALES,
            max_wait_s=60,
            overflow=(OverflowRule(after_s=30, kind=OverflowKind.OFFER_VOICEMAIL),),
        )
    )
    engine.enqueue(call("c1"), at(0))
    engine.request_callback(CallId("c1"), at(10))
    assert engine.tick(at(61)) == []
    assert engine.tick(at(600)) == []
    view = engine.call(CallId("c1"))
    assert view is not None
    assert (view.phase, view.callback) == (CallPhase.WAITING, True)


def test_requests_refused_when_they_do_not_fit_the_state() -> None:
    engine = engine_with()
    engine.enqueue(call("c1"), at(0))
    with pytest.raises(DuplicateCall):
        engine.enqueue(call("c1"), at(1))
    with pytest.raises(UnknownQueue):
        engine.enqueue(call("c2", QueueId("nowhere")), at(1))
    with pytest.raises(UnknownQueue):
        engine.login(agent("a1", QueueId("nowhere")), at(1))
    with pytest.raises(UnknownAgent):
        engine.pause(AgentId("stranger"), at(1), reason="lunch")
    engine.login(agent("a2", SALES), at(2))
    with pytest.raises(InvalidTransition):
        engine.login(agent("a2", SALES), at(3))
    engine.answer(AgentId("a2"), at(3))
    with pytest.raises(InvalidTransition):
        engine.ringing(AgentId("a2"), at(4))
    with pytest.raises(UnknownCall):
        engine.leave(CallId("c1"), at(5), exit_kind=ExitKind.VOICEMAIL)
    assert engine.hang_up(CallId("never-seen"), at(6)) == []


def test_skill_text_parsed_when_written_as_name_and_level() -> None:
    assert parse_skill("billing:3") == ("billing", 3)
    assert parse_skill("russian") == ("russian", 1)
    with pytest.raises(ValueError, match="without a name"):
        parse_skill(":4")


def test_ready_agent_takes_waiting_call_when_given_the_skill() -> None:
    engine = engine_with(QueueConfig(queue_id=SALES), QueueConfig(queue_id=SUPPORT))
    engine.login(agent("a1", SALES), at(0))
    engine.enqueue(call("c1", skills={"billing": 3}), at(1))
    skilled = agent("a1", SALES, skills={"billing": 3})
    assert offers(engine.update_agent(skilled, at(2))) == [("c1", "a1")]


def test_agent_no_longer_offered_queue_calls_when_removed_from_queue() -> None:
    engine = engine_with(QueueConfig(queue_id=SALES), QueueConfig(queue_id=SUPPORT))
    engine.login(agent("a1", SALES), at(0))
    engine.login(agent("a2", SALES), at(1))
    engine.update_agent(agent("a1", SUPPORT), at(2))
    assert offers(engine.enqueue(call("c1"), at(3))) == [("c1", "a2")]
    assert offers(engine.enqueue(call("c2", SUPPORT), at(4))) == [("c2", "a1")]

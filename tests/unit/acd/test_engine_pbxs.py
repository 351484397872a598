"""Several PBXs: a call is offered only to agents whose phones are on its PBX."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from acd.dialing import AgentSeat
from acd.engine import AcdEngine, Action
from acd.errors import AgentBusy
from acd.model import (
    AgentId,
    AgentProfile,
    AgentState,
    CallRequest,
    Membership,
    OfferCall,
    OverflowKind,
    OverflowRule,
    QueueConfig,
    QueueId,
)
from telephony.model import CallId, PbxId

T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
SALES = QueueId("sales")
PBX1, PBX2 = PbxId("pbx1"), PbxId("pbx2")


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def agent(
    name: str, pbx_id: PbxId | None, *, skills: dict[str, int] | None = None
) -> AgentProfile:
    return AgentProfile(
        agent_id=AgentId(name),
        skills=skills or {},
        memberships=(Membership(queue_id=SALES),),
        pbx_id=pbx_id,
    )


def call(
    name: str,
    pbx_id: PbxId | None,
    *,
    skills: dict[str, int] | None = None,
    preferred: str | None = None,
) -> CallRequest:
    return CallRequest(
        call_id=CallId(name),
        queue_id=SALES,
        skills=skills or {},
        pbx_id=pbx_id,
        preferred_agent=AgentId(preferred) if preferred else None,
    )


def offers(actions: Sequence[Action]) -> list[tuple[str, str]]:
    return [(a.call_id, a.agent_id) for a in actions if isinstance(a, OfferCall)]


def engine_with(config: QueueConfig | None = None) -> AcdEngine:
    engine = AcdEngine()
    engine.configure_queue(config or QueueConfig(queue_id=SALES))
    return engine


def test_call_waits_when_the_only_ready_agent_is_on_another_pbx() -> None:
    engine = engine_with()
    engine.login(agent("a1", PBX1), at(0))
    assert offers(engine.enqueue(call("pbx2:c1", PBX2), at(1))) == []
    assert engine.agent(AgentId("a1")).state is AgentState.READY
    assert engine.waiting(SALES) == ["pbx2:c1"]


def test_agent_on_the_calls_pbx_takes_it_when_the_longer_idle_is_elsewhere() -> None:
    engine = engine_with()
    engine.login(agent("a1", PBX1), at(0))
    engine.login(agent("a2", PBX2), at(1))
    assert offers(engine.enqueue(call("pbx2:c1", PBX2), at(5))) == [("pbx2:c1", "a2")]
    assert offers(engine.enqueue(call("pbx1:c2", PBX1), at(6))) == [("pbx1:c2", "a1")]


def test_ready_agent_skips_calls_of_another_pbx_when_they_wait_longer() -> None:
    engine = engine_with()
    engine.enqueue(call("pbx2:old", PBX2), at(0))
    engine.enqueue(call("pbx1:new", PBX1), at(5))
    assert offers(engine.login(agent("a1", PBX1), at(6))) == [("pbx1:new", "a1")]
    assert engine.waiting(SALES) == ["pbx2:old"]


@pytest.mark.parametrize(
    ("agent_pbx", "call_pbx"), [(None, PBX2), (PBX1, None), (None, None)]
)
def test_call_is_offered_when_the_agent_or_the_call_has_no_pbx(
    agent_pbx: PbxId | None, call_pbx: PbxId | None
) -> None:
    engine = engine_with()
    engine.login(agent("a1", agent_pbx), at(0))
    assert offers(engine.enqueue(call("c1", call_pbx), at(1))) == [("c1", "a1")]


def test_call_is_not_held_for_its_preferred_agent_when_they_are_on_another_pbx() -> (
    None
):
    engine = engine_with()
    engine.login(agent("owner", PBX1), at(0))
    engine.pause(AgentId("owner"), at(0), reason="lunch")
    engine.login(agent("a2", PBX2), at(1))
    actions = engine.enqueue(call("pbx2:c1", PBX2, preferred="owner"), at(2))
    assert offers(actions) == [("pbx2:c1", "a2")]


def test_relaxed_skills_keep_the_calls_pbx_when_the_rule_fires() -> None:
    rule = OverflowRule(after_s=10, kind=OverflowKind.RELAX_SKILLS, relax_to=0)
    engine = engine_with(QueueConfig(queue_id=SALES, overflow=(rule,)))
    engine.login(agent("a1", PBX1), at(0))
    engine.enqueue(call("pbx2:c1", PBX2, skills={"billing": 3}), at(1))
    assert offers(engine.tick(at(12))) == []
    engine.login(agent("a2", PBX2), at(13))
    assert engine.agent(AgentId("a2")).state is AgentState.RESERVED


def test_seat_routes_on_its_pbx_when_it_names_one() -> None:
    seat = AgentSeat(profile=agent("a1", None), endpoint="1001", pbx_id=PBX2)
    assert seat.routing_profile.pbx_id == PBX2
    assert AgentSeat(profile=agent("a1", None), endpoint="1001").routing_profile == (
        agent("a1", None)
    )


@settings(max_examples=60, deadline=None)
@given(
    agents=st.lists(st.sampled_from([PBX1, PBX2]), min_size=1, max_size=6),
    calls=st.lists(st.sampled_from([PBX1, PBX2]), min_size=1, max_size=8),
)
def test_no_call_is_offered_across_pbxs_when_agents_and_calls_mix(
    agents: list[PbxId], calls: list[PbxId]
) -> None:
    engine = engine_with()
    seats = {AgentId(f"a{i}"): pbx for i, pbx in enumerate(agents)}
    made: list[Action] = []
    for i, pbx in enumerate(calls):
        made += engine.enqueue(call(f"{pbx}:c{i}", pbx), at(i))
    for i, (agent_id, pbx) in enumerate(seats.items()):
        made += engine.login(agent(agent_id, pbx), at(10 + i))
    offered = offers(made)
    assert all(c.startswith(f"{seats[AgentId(a)]}:") for c, a in offered)
    # every agent with a call of their PBX still waiting got one
    waiting = {c.split(":")[0] for c in engine.waiting(SALES)}
    for agent_id, pbx in seats.items():
        if pbx in waiting:
            assert engine.agent(agent_id).state is AgentState.RESERVED


def test_consulting_an_agent_is_refused_when_their_phone_is_on_another_pbx() -> None:
    engine = engine_with()
    engine.login(agent("a2", PBX2), at(0))
    engine.enqueue(call("pbx2:c1", PBX2), at(1))
    engine.answer(AgentId("a2"), at(2))
    engine.login(agent("a1", PBX1), at(3))
    with pytest.raises(AgentBusy, match="another PBX"):
        engine.consult(CallId("pbx2:c1"), at(4), agent_id=AgentId("a1"))
    assert engine.agent(AgentId("a1")).state is AgentState.READY
    engine.login(agent("a3", PBX2), at(5))
    engine.consult(CallId("pbx2:c1"), at(6), agent_id=AgentId("a3"))
    assert engine.agent(AgentId("a3")).state is AgentState.RESERVED

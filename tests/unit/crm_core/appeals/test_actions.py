"""The steps offered on an appeal are those the workflow accepts, and a person's
work queues are where they are a member or an administrator."""

from __future__ import annotations

import dataclasses

from crm_core.appeals import workflow as wf
from crm_core.appeals.actions import Allowed, allowed, work_queues
from crm_core.appeals.model import Appeal
from crm_core.auth.model import Actor
from tests.unit.crm_core.appeals.routes import (
    AGENT,
    BOSS,
    NOW,
    ROUTE,
    STRANGER,
    TECH,
    context,
    draft,
)


def started() -> Appeal:
    appeal = draft()
    return wf.start(appeal, ROUTE, AGENT, context(appeal)).appeal


def at_check(**attributes: object) -> Appeal:
    appeal = wf.take(started(), ROUTE, AGENT, NOW).appeal
    appeal = wf.pass_on(appeal, ROUTE, AGENT, context(appeal)).appeal
    return dataclasses.replace(appeal, attributes=dict(attributes))  # type: ignore[arg-type]  # test values are AttrValues


def offered(appeal: Appeal, actor: Actor, *, open_children: int = 0) -> Allowed:
    return allowed(appeal, ROUTE, actor, context(appeal), open_children=open_children)


def names(steps: Allowed) -> set[str]:
    """The steps offered, by name (`moves` when any transition is)."""
    flags = ("take", "assign", "moves", "reject", "close", "reopen", "deadline",
             "edit", "child")  # fmt: skip
    return {name for name in flags if getattr(steps, name)}


def test_member_is_offered_take_alone_when_the_appeal_waits_in_their_queue() -> None:
    assert names(offered(at_check(), TECH)) == {"take", "deadline", "edit", "child"}


def test_handler_is_offered_the_moves_whose_guard_holds_when_it_is_theirs() -> None:
    waiting = at_check(Confirmed=False)
    taken = wf.take(waiting, ROUTE, TECH, NOW).appeal
    assert offered(taken, TECH).moves == ()
    confirmed = dataclasses.replace(taken, attributes={"Confirmed": True})
    steps = offered(confirmed, TECH)
    assert [t.name for t in steps.moves] == ["resolve"]
    # the technical check does not allow closing
    assert names(steps) == {"moves", "reject", "deadline", "edit", "child"}


def test_outsider_is_offered_nothing_to_move_when_it_is_not_their_queue() -> None:
    assert names(offered(at_check(), STRANGER)) == {"deadline", "edit", "child"}


def test_administrator_may_assign_and_close_when_the_stage_allows_it() -> None:
    assert {"assign", "close"} <= names(offered(started(), BOSS))
    assert "close" not in names(offered(started(), BOSS, open_children=1))


def test_closed_appeal_offers_only_reopening_when_the_role_may_reopen() -> None:
    appeal = started()
    closed = wf.close(appeal, ROUTE, BOSS, open_children=0, now=NOW).appeal
    assert names(offered(closed, BOSS)) == {"reopen"}
    assert names(offered(closed, AGENT)) == set()  # agents may not reopen


def test_work_queues_are_those_the_person_is_a_member_or_administrator_of() -> None:
    assert work_queues(TECH, [ROUTE]) == {"bis_tech", "tech"}
    assert work_queues(AGENT, [ROUTE]) == {"front"}
    assert work_queues(BOSS, [ROUTE]) == {"front", "bis_tech", "tech"}
    assert work_queues(STRANGER, [ROUTE]) == frozenset()
    named = dataclasses.replace(STRANGER, queues=frozenset({"tech"}))
    assert work_queues(named, [ROUTE]) == {"tech"}

"""The workflow core: moves along a route, rights, refusals and history entries."""

from __future__ import annotations

import dataclasses
from datetime import timedelta

import pytest

from crm_core.appeals import workflow as wf
from crm_core.appeals.model import Appeal, AppealAction, AppealStatus
from crm_core.errors import Conflict, Forbidden, ValidationFailed
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

S = AppealStatus


def started(**attributes: object) -> Appeal:
    appeal = draft(**attributes)
    return wf.start(appeal, ROUTE, AGENT, context(appeal)).appeal


def at_check(category: str = "BIS", **attributes: object) -> Appeal:
    appeal = started(**attributes)
    appeal = wf.take(appeal, ROUTE, AGENT, NOW).appeal
    return wf.pass_on(appeal, ROUTE, AGENT, context(appeal, category)).appeal


def test_new_appeal_waits_at_first_stage_when_started() -> None:
    appeal = draft()
    step = wf.start(appeal, ROUTE, AGENT, context(appeal))
    assert (step.appeal.stage, step.appeal.queue, step.appeal.status) == (
        "registration", "front", S.WAITING,
    )  # fmt: skip
    assert step.appeal.deadline_at == NOW + timedelta(hours=1)
    assert step.entry.action is AppealAction.CREATE
    assert step.entry.to_stage == "registration"


def test_member_takes_appeal_when_it_waits_in_their_queue() -> None:
    step = wf.take(started(), ROUTE, AGENT, NOW)
    assert step.appeal.assignee_id == AGENT.user_id
    assert step.appeal.status is S.IN_PROGRESS
    assert (step.entry.from_status, step.entry.to_status) == (S.WAITING, S.IN_PROGRESS)


def test_take_is_forbidden_when_actor_is_not_a_member() -> None:
    with pytest.raises(Forbidden, match="not a member of queue front"):
        wf.take(started(), ROUTE, TECH, NOW)


def test_take_conflicts_when_appeal_is_already_taken() -> None:
    taken = wf.take(started(), ROUTE, AGENT, NOW).appeal
    with pytest.raises(Conflict, match="already taken"):
        wf.take(taken, ROUTE, AGENT, NOW)


def test_rule_chooses_bis_queue_when_customer_is_bis() -> None:
    assert at_check("BIS").queue == "bis_tech"
    assert at_check("mass").queue == "tech"


def test_pass_on_resets_assignee_and_sets_stage_deadline_when_moving() -> None:
    appeal = at_check()
    assert (appeal.stage, appeal.status, appeal.assignee_id) == (
        "technical_check", S.WAITING, None,
    )  # fmt: skip
    assert appeal.deadline_at == NOW + timedelta(days=1)
    assert appeal.stage_path == ("registration", "technical_check")


def test_pass_on_conflicts_when_no_guard_holds() -> None:
    appeal = wf.take(at_check(Confirmed=False), ROUTE, TECH, NOW).appeal
    with pytest.raises(Conflict, match="no transition from stage technical_check"):
        wf.pass_on(appeal, ROUTE, TECH, context(appeal))


def test_pass_on_conflicts_when_named_transition_is_not_on_the_route() -> None:
    appeal = wf.take(started(), ROUTE, AGENT, NOW).appeal
    with pytest.raises(Conflict, match="has no transition 'close_now'"):
        wf.pass_on(appeal, ROUTE, AGENT, context(appeal), transition="close_now")


def test_pass_on_follows_guard_when_it_holds() -> None:
    appeal = wf.take(at_check(Confirmed=True), ROUTE, TECH, NOW).appeal
    moved = wf.pass_on(appeal, ROUTE, TECH, context(appeal), transition="resolve")
    assert moved.appeal.stage == "resolution"
    assert moved.entry.action is AppealAction.FORWARD


def test_pass_on_is_forbidden_when_actor_neither_handles_nor_administers() -> None:
    appeal = wf.take(started(), ROUTE, AGENT, NOW).appeal
    with pytest.raises(Forbidden, match="neither handles"):
        wf.pass_on(appeal, ROUTE, STRANGER, context(appeal))


def test_administrator_assigns_member_when_appeal_waits() -> None:
    step = wf.assign(
        at_check(), ROUTE, BOSS, assignee_id=TECH.user_id,
        assignee_queues=frozenset(), now=NOW,
    )  # fmt: skip
    assert step.appeal.assignee_id == TECH.user_id
    assert step.entry.actor_login == "vera"


def test_assign_is_forbidden_when_actor_lacks_the_right() -> None:
    with pytest.raises(Forbidden, match=r"appeal\.assign"):
        wf.assign(
            started(), ROUTE, AGENT, assignee_id=AGENT.user_id,
            assignee_queues=frozenset(), now=NOW,
        )  # fmt: skip


def test_assign_refuses_non_member_when_assigning() -> None:
    with pytest.raises(ValidationFailed) as caught:
        wf.assign(
            started(), ROUTE, BOSS, assignee_id=TECH.user_id,
            assignee_queues=frozenset(), now=NOW,
        )  # fmt: skip
    assert caught.value.errors[0].field == "assignee_id"


def test_reject_returns_to_previous_stage_when_reason_given() -> None:
    appeal = wf.take(at_check(), ROUTE, TECH, NOW).appeal
    step = wf.reject(appeal, ROUTE, TECH, context(appeal), reason="wrong address")
    assert (step.appeal.stage, step.appeal.status) == ("registration", S.REJECTED_BACK)
    assert step.entry.comment == "wrong address"
    assert step.appeal.stage_path == ("registration",)


def test_reject_needs_a_reason_when_called() -> None:
    appeal = wf.take(at_check(), ROUTE, TECH, NOW).appeal
    with pytest.raises(ValidationFailed, match="reason: a reason is required"):
        wf.reject(appeal, ROUTE, TECH, context(appeal), reason="  ")


def test_reject_conflicts_when_at_first_stage() -> None:
    appeal = started()
    with pytest.raises(Conflict, match="nowhere back"):
        wf.reject(appeal, ROUTE, BOSS, context(appeal), reason="x")


def test_close_is_refused_when_stage_forbids_closing() -> None:
    appeal = wf.take(at_check(), ROUTE, TECH, NOW).appeal
    with pytest.raises(
        Conflict, match="closing is not allowed at stage technical_check"
    ):
        wf.close(appeal, ROUTE, TECH, open_children=0, now=NOW)


def test_close_is_refused_when_children_are_open() -> None:
    appeal = wf.take(started(), ROUTE, AGENT, NOW).appeal
    with pytest.raises(Conflict, match="child appeal"):
        wf.close(appeal, ROUTE, AGENT, open_children=2, now=NOW)


def test_closed_appeal_reopens_at_last_stage_when_reopened() -> None:
    appeal = wf.take(started(), ROUTE, AGENT, NOW).appeal
    closed = wf.close(appeal, ROUTE, AGENT, open_children=0, now=NOW).appeal
    assert (closed.status, closed.closed_at, closed.deadline_at) == (
        S.CLOSED,
        NOW,
        None,
    )
    later = NOW + timedelta(hours=2)
    step = wf.reopen(closed, ROUTE, BOSS, context(closed, now=later), comment="again")
    assert (step.appeal.status, step.appeal.stage, step.appeal.closed_at) == (
        S.WAITING, "registration", None,
    )  # fmt: skip
    assert step.appeal.deadline_at == later + timedelta(hours=1)


def test_reopen_is_forbidden_when_actor_is_an_agent() -> None:
    appeal = wf.take(started(), ROUTE, AGENT, NOW).appeal
    closed = wf.close(appeal, ROUTE, AGENT, open_children=0, now=NOW).appeal
    with pytest.raises(Forbidden):
        wf.reopen(closed, ROUTE, AGENT, context(closed), comment="")


def test_overdue_is_marked_once_when_deadline_passes() -> None:
    appeal = started()
    later = NOW + timedelta(hours=2)
    assert wf.mark_overdue(appeal, BOSS, NOW) is None
    step = wf.mark_overdue(appeal, BOSS, later)
    assert step is not None
    assert (step.appeal.overdue, step.appeal.overdue_at) == (True, later)
    assert wf.mark_overdue(step.appeal, BOSS, later) is None


def test_new_deadline_clears_overdue_when_set() -> None:
    appeal = dataclasses.replace(started(), overdue=True, overdue_at=NOW)
    new = NOW + timedelta(days=3)
    step = wf.set_deadline(
        appeal, BOSS, deadline_at=new, now=NOW, comment="waits on parts"
    )
    assert (step.appeal.deadline_at, step.appeal.overdue) == (new, False)
    assert "waits on parts" in step.entry.comment
    with pytest.raises(Forbidden):
        wf.set_deadline(appeal, AGENT, deadline_at=new, now=NOW, comment="")

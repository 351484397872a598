"""No sequence of workflow operations reaches an inconsistent appeal."""

from __future__ import annotations

import dataclasses
from datetime import timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from crm_core.appeals import workflow as wf
from crm_core.appeals.model import Appeal, AppealStatus
from crm_core.auth.model import Actor
from crm_core.errors import CrmError
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
_ACTORS = (AGENT, TECH, BOSS, STRANGER)
_OPS = ("take", "assign", "pass_on", "reject", "close", "reopen", "overdue", "deadline")


def _apply(appeal: Appeal, op: str, actor: Actor, minute: int, flag: bool) -> Appeal:
    now = NOW + timedelta(minutes=minute)
    ctx = context(appeal, "BIS" if flag else "mass", now=now)
    match op:
        case "take":
            return wf.take(appeal, ROUTE, actor, now).appeal
        case "assign":
            return wf.assign(
                appeal, ROUTE, actor, assignee_id=TECH.user_id,
                assignee_queues=frozenset(), now=now,
            ).appeal  # fmt: skip
        case "pass_on":
            return wf.pass_on(appeal, ROUTE, actor, ctx).appeal
        case "reject":
            return wf.reject(appeal, ROUTE, actor, ctx, reason="back").appeal
        case "close":
            return wf.close(appeal, ROUTE, actor, open_children=0, now=now).appeal
        case "reopen":
            return wf.reopen(appeal, ROUTE, actor, ctx, comment="").appeal
        case "overdue":
            step = wf.mark_overdue(appeal, actor, now)
            return appeal if step is None else step.appeal
        case _:
            return wf.set_deadline(
                appeal, actor, deadline_at=now, now=now, comment=""
            ).appeal


def _assert_consistent(appeal: Appeal) -> None:
    stage = ROUTE.stage(appeal.stage)
    assert stage.queue(appeal.queue) is not None
    assert appeal.stage_path[-1] == appeal.stage
    if appeal.status is S.CLOSED:
        assert stage.closing_allowed
        assert appeal.closed_at is not None
        assert appeal.deadline_at is None
    else:
        assert appeal.closed_at is None
        assert not appeal.archived
    if appeal.status in (S.WAITING, S.REJECTED_BACK):
        assert appeal.assignee_id is None
    if appeal.status is S.IN_PROGRESS:
        assert appeal.assignee_id is not None
    if appeal.overdue:
        assert appeal.overdue_at is not None


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from(_OPS),
            st.sampled_from(_ACTORS),
            st.integers(0, 3000),
            st.booleans(),
            st.booleans(),
        ),
        max_size=25,
    )
)
def test_appeal_stays_consistent_when_any_operations_are_applied(
    ops: list[tuple[str, Actor, int, bool, bool]],
) -> None:
    appeal = draft(Confirmed=True)
    appeal = wf.start(appeal, ROUTE, AGENT, context(appeal)).appeal
    for op, actor, minute, flag, confirmed in ops:
        appeal = dataclasses.replace(appeal, attributes={"Confirmed": confirmed})
        try:
            appeal = _apply(appeal, op, actor, minute, flag)
        except CrmError:
            continue
        _assert_consistent(appeal)

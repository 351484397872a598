"""The appeals service on SQLite and PostgreSQL: create, edit, the route, history,
concurrency, and bad input that writes nothing."""

from __future__ import annotations

import asyncio
from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from crm_core.appeals.errors import StaleAppeal
from crm_core.appeals.events import AppealChanged, AppealCreated
from crm_core.appeals.model import AppealAction, AppealStatus, Queue, Stage
from crm_core.appeals.service import AppealInput
from crm_core.appeals.tables import AppealHistoryRow, AppealRow
from crm_core.auth.model import system_actor
from crm_core.db import Sessions
from crm_core.errors import Conflict, Forbidden, ValidationFailed
from tests.integration.crm_core.appeals.world import (
    ANNA,
    BORIS,
    VERA,
    World,
    build,
)

S = AppealStatus


@pytest.fixture
async def world(sessions: Sessions) -> World:
    return await build(sessions)


def complaint(world: World, *, bis: bool = True, **attrs: object) -> AppealInput:
    values: dict[str, object] = {"BrokenSince": "2026-01-02", **attrs}
    customer = world.bis_customer if bis else world.mass_customer
    return AppealInput(
        topic_id=world.complaint.id, customer_id=customer,
        description="no internet", attributes=values,
    )  # fmt: skip


async def counts(sessions: Sessions) -> tuple[int, int]:
    async with sessions() as s:
        appeals = await s.scalar(select(func.count()).select_from(AppealRow))
        history = await s.scalar(select(func.count()).select_from(AppealHistoryRow))
    return int(appeals or 0), int(history or 0)


async def test_appeal_is_stored_with_defaults_and_history_when_created(
    world: World,
) -> None:
    appeal = await world.appeals.create(ANNA, complaint(world, Tariff="home100"))
    got = await world.appeals.get(VERA, appeal.id)
    assert (got.stage, got.queue, got.status) == ("registration", "front", S.WAITING)
    assert got.attributes == {
        "BrokenSince": date(2026, 1, 2), "Tariff": "home100", "Speed": Decimal(100),
        "Confirmed": False, "VisitBy": date(2026, 1, 8),
    }  # fmt: skip
    assert got.customer_category == "BIS"
    assert got.deadline_at == world.clock.now() + timedelta(hours=4)
    history = await world.appeals.history(VERA, appeal.id)
    assert [h.action for h in history] == [AppealAction.CREATE]
    assert world.events.of_type(AppealCreated)[0].topic_code == "complaint"


async def test_complaint_follows_its_route_when_worked_to_the_end(world: World) -> None:
    appeal = await world.appeals.create(ANNA, complaint(world))
    await world.appeals.take(ANNA, appeal.id)
    moved = await world.appeals.pass_on(ANNA, appeal.id, comment="to the technicians")
    assert (moved.stage, moved.queue) == ("technical_check", "bis_tech")
    await world.appeals.take(BORIS, appeal.id)
    await world.appeals.edit(BORIS, appeal.id, attributes={"Confirmed": True})
    moved = await world.appeals.pass_on(BORIS, appeal.id, transition="resolve")
    assert moved.stage == "resolution"
    await world.appeals.assign(VERA, appeal.id, assignee_id=ANNA.user_id)
    closed = await world.appeals.close(ANNA, appeal.id, comment="fixed")
    assert closed.status is S.CLOSED
    history = await world.appeals.history(VERA, appeal.id)
    assert [h.action for h in history] == [
        AppealAction.CREATE, AppealAction.TAKE, AppealAction.FORWARD,
        AppealAction.TAKE, AppealAction.EDIT, AppealAction.FORWARD,
        AppealAction.ASSIGN, AppealAction.CLOSE,
    ]  # fmt: skip
    assert (history[2].from_stage, history[2].to_stage) == (
        "registration",
        "technical_check",
    )
    assert history[2].comment == "to the technicians"
    assert history[-1].actor_login == "anna"
    assert [e.action for e in world.events.of_type(AppealChanged)][-1] == "close"


async def test_mass_customer_goes_to_general_queue_when_passed_on(world: World) -> None:
    appeal = await world.appeals.create(ANNA, complaint(world, bis=False))
    await world.appeals.take(ANNA, appeal.id)
    moved = await world.appeals.pass_on(ANNA, appeal.id)
    assert moved.queue == "tech"


async def test_nothing_is_written_when_attributes_are_bad(world: World) -> None:
    before = await counts(world.sessions)
    bad = AppealInput(
        topic_id=world.complaint.id, customer_id=world.bis_customer,
        attributes={"Speed": "fast", "Tariff": "gold"},
    )  # fmt: skip
    with pytest.raises(ValidationFailed) as caught:
        await world.appeals.create(ANNA, bad)
    assert {e.field: e.message for e in caught.value.errors} == {
        "attributes.Speed": "must be a decimal",
        "attributes.Tariff": "must be one of the codes of dictionary tariffs",
        "attributes.BrokenSince": "is required",
    }
    assert await counts(world.sessions) == before
    assert world.events.events == []


async def test_stored_appeal_is_unchanged_when_an_edit_is_refused(world: World) -> None:
    appeal = await world.appeals.create(ANNA, complaint(world))
    with pytest.raises(ValidationFailed, match=r"attributes\.VisitBy: is read-only"):
        await world.appeals.edit(
            ANNA, appeal.id, description="x", attributes={"VisitBy": "2027-01-01"}
        )
    got = await world.appeals.get(ANNA, appeal.id)
    assert (got.description, got.version) == ("no internet", 1)
    assert len(await world.appeals.history(ANNA, appeal.id)) == 1


async def test_transition_is_refused_when_the_route_does_not_allow_it(
    world: World,
) -> None:
    appeal = await world.appeals.create(ANNA, complaint(world))
    await world.appeals.take(ANNA, appeal.id)
    with pytest.raises(Conflict, match="no transition 'resolve'"):
        await world.appeals.pass_on(ANNA, appeal.id, transition="resolve")
    await world.appeals.pass_on(ANNA, appeal.id)
    await world.appeals.take(BORIS, appeal.id)
    with pytest.raises(Conflict, match="closing is not allowed"):
        await world.appeals.close(BORIS, appeal.id)
    got = await world.appeals.get(ANNA, appeal.id)
    assert (got.stage, got.version) == ("technical_check", 4)


async def test_user_without_the_right_is_forbidden_when_assigning(world: World) -> None:
    appeal = await world.appeals.create(ANNA, complaint(world))
    with pytest.raises(Forbidden):
        await world.appeals.assign(ANNA, appeal.id, assignee_id=ANNA.user_id)
    got = await world.appeals.get(ANNA, appeal.id)
    assert got.assignee_id is None


async def test_one_of_two_wins_when_both_take_the_same_appeal(world: World) -> None:
    appeal = await world.appeals.create(ANNA, complaint(world))
    anna_again = ANNA.__class__(
        user_id=VERA.user_id, login="vera", role=VERA.role,
        permissions=VERA.permissions, queues=frozenset({"front"}),
    )  # fmt: skip
    results = await asyncio.gather(
        world.appeals.take(ANNA, appeal.id),
        world.appeals.take(anna_again, appeal.id),
        return_exceptions=True,
    )
    winners = [r for r in results if not isinstance(r, BaseException)]
    losers = [r for r in results if isinstance(r, BaseException)]
    assert len(winners) == 1
    assert len(losers) == 1
    assert isinstance(losers[0], Conflict)
    got = await world.appeals.get(VERA, appeal.id)
    assert got.assignee_id == winners[0].assignee_id
    assert len(await world.appeals.history(VERA, appeal.id)) == 2


async def test_stale_version_is_refused_when_expected_version_differs(
    world: World,
) -> None:
    appeal = await world.appeals.create(ANNA, complaint(world))
    await world.appeals.edit(ANNA, appeal.id, description="first", expected_version=1)
    with pytest.raises(StaleAppeal):
        await world.appeals.edit(
            ANNA, appeal.id, description="second", expected_version=1
        )


async def test_appeal_keeps_its_route_version_when_a_new_one_is_published(
    world: World,
) -> None:
    appeal = await world.appeals.create(ANNA, complaint(world))
    short = (Stage(code="only", name="Only", queues=(Queue(name="front"),),
                   closing_allowed=True),)  # fmt: skip
    route = await world.topics.publish_route(
        system_actor(), world.complaint.id, name="v2", stages=short
    )
    assert route.version == 2
    await world.appeals.take(ANNA, appeal.id)
    moved = await world.appeals.pass_on(ANNA, appeal.id)
    assert moved.stage == "technical_check"
    newer = await world.appeals.create(ANNA, complaint(world))
    assert (newer.stage, newer.route_id) == ("only", route.id)


async def test_parent_stays_open_when_a_child_is_open(world: World) -> None:
    parent = await world.appeals.create(ANNA, complaint(world))
    child = await world.appeals.create_child(
        ANNA, parent.id, AppealInput(attributes={"BrokenSince": "2026-01-03"})
    )
    assert (child.parent_id, child.customer_id) == (parent.id, world.bis_customer)
    await world.appeals.take(ANNA, parent.id)
    with pytest.raises(Conflict, match="child appeal"):
        await world.appeals.close(ANNA, parent.id)
    await world.appeals.take(ANNA, child.id)
    await world.appeals.close(ANNA, child.id)
    closed = await world.appeals.close(ANNA, parent.id)
    assert closed.status is S.CLOSED


async def test_reject_and_reopen_are_recorded_when_used(world: World) -> None:
    appeal = await world.appeals.create(ANNA, complaint(world))
    await world.appeals.take(ANNA, appeal.id)
    await world.appeals.pass_on(ANNA, appeal.id)
    await world.appeals.take(BORIS, appeal.id)
    back = await world.appeals.reject(BORIS, appeal.id, reason="address missing")
    assert (back.stage, back.status) == ("registration", S.REJECTED_BACK)
    await world.appeals.take(ANNA, back.id)
    await world.appeals.close(ANNA, appeal.id)
    world.clock.advance(60)
    reopened = await world.appeals.reopen(VERA, appeal.id, comment="customer called")
    assert (reopened.status, reopened.stage) == (S.WAITING, "registration")
    history = await world.appeals.history(VERA, appeal.id)
    assert history[4].comment == "address missing"
    assert history[-1].action is AppealAction.REOPEN

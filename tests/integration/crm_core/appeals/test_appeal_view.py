"""What a page reads of the CRM, on SQLite and PostgreSQL: an appeal with the steps
its viewer may take, its form, history and children; a record outside the
viewer's customer groups (a Forbidden that is also not found); every route
version; colleagues by name; customers by id; a capped count."""

from __future__ import annotations

import dataclasses

import pytest

from crm_core.appeals.errors import AppealHidden, AppealNotFound
from crm_core.appeals.service import AppealInput
from crm_core.auth.directory import Directory
from crm_core.customers.errors import CustomerHidden, CustomerNotFound
from crm_core.customers.service import CustomerService
from crm_core.db import Sessions
from crm_core.errors import Forbidden
from crm_core.reports.filters import AppealFilter
from crm_core.reports.search import AppealSearch
from tests.integration.crm_core.appeals.world import ANNA, BORIS, VERA, World, build


@pytest.fixture
async def world(sessions: Sessions) -> World:
    return await build(sessions)


def complaint(world: World, **attrs: object) -> AppealInput:
    return AppealInput(
        topic_id=world.complaint.id, customer_id=world.bis_customer,
        description="no internet", attributes={"BrokenSince": "2026-01-02", **attrs},
    )  # fmt: skip


async def test_view_holds_the_steps_form_history_and_children_when_read(
    world: World,
) -> None:
    appeal = await world.appeals.create(ANNA, complaint(world))
    child = await world.appeals.create_child(
        ANNA, appeal.id, AppealInput(attributes={"BrokenSince": "2026-01-03"})
    )
    seen = await world.appeals.view(ANNA, appeal.id)
    assert seen.allowed.take
    assert not seen.allowed.close
    assert [c.id for c in seen.children] == [child.id]
    assert [e.action.value for e in seen.history] == ["create"]
    assert seen.form.errors == []
    await world.appeals.take(ANNA, appeal.id)
    taken = await world.appeals.view(ANNA, appeal.id)
    assert [t.name for t in taken.allowed.moves] == ["check"]
    assert not taken.allowed.close  # its child is still open
    typed = await world.appeals.view(ANNA, appeal.id, attributes={"Speed": "fast"})
    assert [e.field for e in typed.form.errors] == ["attributes.Speed"]
    assert (await world.appeals.get(VERA, appeal.id)).attributes["Speed"] == 100


async def test_appeal_outside_the_viewers_groups_is_forbidden_and_not_found(
    world: World,
) -> None:
    appeal = await world.appeals.create(ANNA, complaint(world))
    outsider = dataclasses.replace(BORIS, customer_groups=frozenset({"regions"}))
    for read in (world.appeals.get, world.appeals.view, world.appeals.history):
        with pytest.raises(AppealHidden) as caught:
            await read(outsider, appeal.id)
        assert isinstance(caught.value, Forbidden)
        assert isinstance(caught.value, AppealNotFound)
    with pytest.raises(AppealNotFound) as missing:
        await world.appeals.get(BORIS, world.bis_customer)
    assert not isinstance(missing.value, Forbidden)


async def test_customer_outside_the_viewers_groups_is_forbidden_and_not_found(
    world: World,
) -> None:
    customers = CustomerService(world.sessions, world.clock)
    made = await customers.create(ANNA, {"name": "Far", "customer_group": "regions"})
    outsider = dataclasses.replace(BORIS, customer_groups=frozenset({"moscow"}))
    with pytest.raises(CustomerHidden) as caught:
        await customers.get(outsider, made.id)
    assert isinstance(caught.value, CustomerNotFound)
    found = await customers.summaries(outsider, [made.id, world.mass_customer])
    assert list(found) == []  # the others have no group: also outside "moscow"
    everyone = await customers.summaries(BORIS, [made.id, world.mass_customer])
    assert {c.name for c in everyone.values()} == {"Far", "Ivan"}


async def test_every_route_version_and_attribute_is_listed_when_asked(
    world: World,
) -> None:
    routes = await world.topics.routes(BORIS)
    assert {r.topic_id for r in routes} == {world.complaint.id, world.termination.id}
    codes = [d.code for d in await world.topics.attributes(BORIS)]
    assert sorted(codes) == sorted(
        ["Speed", "Tariff", "BrokenSince", "Confirmed", "VisitBy", "Reason", "EndDate"]
    )


async def test_colleagues_are_named_and_a_queues_people_listed_when_asked(
    world: World,
) -> None:
    directory = Directory(world.sessions)
    found = await directory.people(BORIS, [ANNA.user_id, VERA.user_id])
    assert {p.name for p in found.values()} == {"Anna", "Vera"}
    members = await directory.members(BORIS, queues=["tech"], ids=[BORIS.user_id])
    assert [p.login for p in members] == ["boris"]


async def test_count_stops_at_its_cap_when_many_match(world: World) -> None:
    for _ in range(3):
        await world.appeals.create(ANNA, complaint(world))
    search = AppealSearch(world.sessions)
    assert await search.count(BORIS, AppealFilter()) == 3
    assert await search.count(BORIS, AppealFilter(), cap=1) == 2

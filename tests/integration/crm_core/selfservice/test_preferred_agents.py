"""The preferred agent of a caller, on SQLite and PostgreSQL: who is assigned to
their latest open appeal."""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass

import pytest
from sqlalchemy.exc import OperationalError

from crm_core.appeals.model import Appeal, TopicId
from crm_core.appeals.service import AppealInput
from crm_core.auth.model import Actor, system_actor
from crm_core.auth.tables import UserRow
from crm_core.customers.model import Identification
from crm_core.customers.service import CustomerService
from crm_core.db import Sessions
from crm_core.selfservice.preferred_agents import AppealOwners
from crm_core.selfservice.seed import seed_voicemail_topic
from tests.integration.crm_core.appeals.world import ANNA, BORIS, World, build

NUMBER = "+74957654321"


@dataclass
class Desk:
    world: World
    owners: AppealOwners
    customers: CustomerService
    topic: TopicId


@pytest.fixture
async def desk(sessions: Sessions) -> Desk:
    world = await build(sessions)
    topic = await seed_voicemail_topic(
        sessions, world.clock, members=[ANNA.user_id, BORIS.user_id]
    )
    customers = CustomerService(sessions, world.clock)
    return Desk(
        world=world, owners=AppealOwners(sessions, customers), customers=customers,
        topic=topic.id,
    )  # fmt: skip


async def caller(desk: Desk, name: str, number: str = NUMBER) -> uuid.UUID:
    card = await desk.customers.create(
        system_actor(), {"name": name, "phones": [{"number": number}]}
    )
    return card.id


async def appeal(desk: Desk, customer: uuid.UUID, taker: Actor | None) -> Appeal:
    made = await desk.world.appeals.create(
        system_actor(), AppealInput(topic_id=desk.topic, customer_id=customer)
    )
    desk.world.clock.advance(60)
    if taker is not None:
        made = await desk.world.appeals.take(taker, made.id)
        desk.world.clock.advance(60)
    return made


async def test_preferred_agent_is_the_assignee_when_the_caller_has_an_open_appeal(
    desk: Desk,
) -> None:
    who = await caller(desk, "Petrov")
    await appeal(desk, who, ANNA)
    assert await desk.owners.preferred_agent("84957654321") == "anna"
    assert await desk.owners.for_customer(who) == "anna"


async def test_preferred_agent_follows_the_latest_appeal_when_there_are_several(
    desk: Desk,
) -> None:
    who = await caller(desk, "Petrov")
    await appeal(desk, who, ANNA)
    await appeal(desk, who, BORIS)
    await appeal(desk, who, None)
    assert await desk.owners.preferred_agent(NUMBER) == "boris"


async def test_preferred_agent_is_none_when_the_appeal_is_closed(desk: Desk) -> None:
    who = await caller(desk, "Petrov")
    taken = await appeal(desk, who, ANNA)
    assert await desk.owners.preferred_agent(NUMBER) == "anna"
    await desk.world.appeals.close(ANNA, taken.id)
    assert await desk.owners.preferred_agent(NUMBER) is None


async def test_preferred_agent_is_none_when_the_caller_is_unknown_or_anonymous(
    desk: Desk,
) -> None:
    who = await caller(desk, "Petrov")
    await appeal(desk, who, ANNA)
    assert await desk.owners.preferred_agent("84990000000") is None
    assert await desk.owners.preferred_agent("anonymous") is None
    assert await desk.owners.preferred_agent("") is None


async def test_preferred_agent_is_none_when_the_assignee_is_inactive(
    desk: Desk, sessions: Sessions
) -> None:
    who = await caller(desk, "Petrov")
    await appeal(desk, who, ANNA)
    async with sessions.begin() as s:
        anna = await s.get(UserRow, ANNA.user_id)
        assert anna is not None
        anna.active = False
    assert await desk.owners.preferred_agent(NUMBER) is None


async def test_preferred_agent_looks_at_every_holder_when_the_number_is_shared(
    desk: Desk,
) -> None:
    first = await caller(desk, "Petrov")
    second = await caller(desk, "Petrova")
    await appeal(desk, first, ANNA)
    await appeal(desk, second, BORIS)
    assert await desk.owners.preferred_agent(NUMBER) == "boris"
    assert await desk.owners.for_customer(first) == "anna"


@dataclass
class FailingIdentifier:
    """A CallerIdentifier whose database fails, or never answers."""

    hang: bool = False

    async def identify(self, ani: str) -> Identification:
        if self.hang:
            await asyncio.Event().wait()
        raise OperationalError("SELECT 1", {}, Exception("database is gone"))


@pytest.mark.parametrize("hang", [False, True], ids=["failing", "hanging"])
async def test_preferred_agent_is_none_when_the_database_fails_or_hangs(
    sessions: Sessions, hang: bool
) -> None:
    owners = AppealOwners(sessions, FailingIdentifier(hang=hang), timeout_s=0.05)
    async with asyncio.timeout(5):
        assert await owners.preferred_agent(NUMBER) is None

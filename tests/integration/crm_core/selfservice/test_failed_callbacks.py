"""A callback the ACD gave up on becomes one appeal per call, on SQLite and
PostgreSQL: for the customer the number identifies, linked to the call's contact."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from crm_core.appeals.tables import AppealRow, TopicRow
from crm_core.auth.model import system_actor
from crm_core.customers.contacts import ContactService
from crm_core.customers.model import ContactDirection
from crm_core.customers.service import CustomerService
from crm_core.db import Sessions
from crm_core.selfservice.errors import TopicMissing
from crm_core.selfservice.failed_callbacks import FailedCallbackService
from crm_core.selfservice.model import FailedCallback
from crm_core.selfservice.seed import (
    CALLBACK_FAILED_TOPIC,
    seed_callback_failed_topic,
    seed_voicemail_topic,
)
from crm_core.selfservice.tables import FailedCallbackRow
from tests.integration.crm_core.appeals.world import ANNA, World, build

CALL = "pbx1:1700.5"
AT = datetime(2026, 1, 5, 10, 0, tzinfo=UTC)


@dataclass
class Desk:
    world: World
    failed: FailedCallbackService
    customers: CustomerService


@pytest.fixture
async def desk(sessions: Sessions) -> Desk:
    world = await build(sessions)
    customers = CustomerService(sessions, world.clock)
    return Desk(
        world=world,
        failed=FailedCallbackService(sessions, world.appeals, customers),
        customers=customers,
    )


def gave_up(number: str = "+7 495 765-43-21", call_id: str = CALL) -> FailedCallback:
    return FailedCallback(
        call_id=call_id, queue="billing", number=number, attempts=3,
        gave_up_at=AT,
    )  # fmt: skip


async def topic_of(sessions: Sessions, appeal_id: object) -> str:
    async with sessions() as s:
        code = await s.scalar(
            select(TopicRow.code)
            .join(AppealRow, AppealRow.topic_id == TopicRow.id)
            .where(AppealRow.id == appeal_id)
        )
    assert code is not None
    return code


async def appeal_count(sessions: Sessions) -> int:
    async with sessions() as s:
        return int(await s.scalar(select(func.count()).select_from(AppealRow)) or 0)


async def test_failed_callback_becomes_an_appeal_when_the_number_is_a_customer(
    desk: Desk, sessions: Sessions
) -> None:
    await seed_callback_failed_topic(sessions, desk.world.clock, members=[ANNA.user_id])
    card = await desk.customers.create(
        system_actor(), {"name": "Petrov", "phones": [{"number": "+74957654321"}]}
    )
    contact = await ContactService(sessions, desk.world.clock).open_call_contact(
        CALL, "84957654321", dnis="100", direction=ContactDirection.IN,
        started_at=AT,
    )  # fmt: skip
    appeal = await desk.failed.record(gave_up())
    assert appeal is not None
    assert appeal.customer_id == card.id
    assert appeal.contact_id == contact.id
    assert await topic_of(sessions, appeal.id) == CALLBACK_FAILED_TOPIC
    assert "+7 495 765-43-21" in appeal.description
    assert "billing" in appeal.description
    assert "3 attempts" in appeal.description


async def test_failed_callback_makes_one_appeal_when_the_event_is_repeated(
    desk: Desk, sessions: Sessions
) -> None:
    await seed_callback_failed_topic(sessions, desk.world.clock)
    before = await appeal_count(sessions)
    first = await desk.failed.record(gave_up())
    again = await desk.failed.record(gave_up())
    assert first is not None
    assert again is not None
    assert again.id == first.id
    assert await appeal_count(sessions) == before + 1


async def test_failed_callback_makes_one_appeal_when_events_race(
    desk: Desk, sessions: Sessions
) -> None:
    await seed_callback_failed_topic(sessions, desk.world.clock)
    before = await appeal_count(sessions)
    async with asyncio.timeout(10):
        made = await asyncio.gather(*(desk.failed.record(gave_up()) for _ in range(3)))
    assert len({a.id for a in made}) == 1
    assert await appeal_count(sessions) == before + 1


async def test_failed_callback_has_no_customer_when_the_number_is_a_stranger(
    desk: Desk, sessions: Sessions
) -> None:
    await seed_callback_failed_topic(sessions, desk.world.clock)
    appeal = await desk.failed.record(gave_up(number="84990000000"))
    assert appeal is not None
    assert appeal.customer_id is None
    assert appeal.contact_id is None
    assert "84990000000" in appeal.description


async def test_failed_callback_uses_the_voicemail_topic_when_its_own_is_missing(
    desk: Desk, sessions: Sessions
) -> None:
    await seed_voicemail_topic(sessions, desk.world.clock)
    appeal = await desk.failed.record(gave_up())
    assert appeal is not None
    assert await topic_of(sessions, appeal.id) == "voicemail"


async def test_failed_callback_can_be_retried_when_no_topic_was_usable(
    desk: Desk, sessions: Sessions
) -> None:
    with pytest.raises(TopicMissing):
        await desk.failed.record(gave_up())
    await seed_callback_failed_topic(sessions, desk.world.clock)
    appeal = await desk.failed.record(gave_up())
    assert appeal is not None
    assert await topic_of(sessions, appeal.id) == CALLBACK_FAILED_TOPIC


async def test_failed_callback_gets_its_appeal_when_a_try_stopped_after_the_claim(
    desk: Desk, sessions: Sessions
) -> None:
    await seed_callback_failed_topic(sessions, desk.world.clock)
    before = await appeal_count(sessions)
    async with sessions.begin() as s:  # what a try cut off by the database leaves
        s.add(
            FailedCallbackRow(
                call_id=CALL, queue="billing", number="84990000000", attempts=3,
                gave_up_at=AT, appeal_id=None,
            )
        )  # fmt: skip

    appeal = await desk.failed.record(gave_up())

    assert await topic_of(sessions, appeal.id) == CALLBACK_FAILED_TOPIC
    assert (await desk.failed.record(gave_up())).id == appeal.id
    assert await appeal_count(sessions) == before + 1

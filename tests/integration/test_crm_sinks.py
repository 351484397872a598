"""The CRM's bus handlers on SQLite and PostgreSQL: a callback the ACD gave up on
becomes one appeal, and the agent's wrap-up lands on the call's contact."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from acd.events import CallbackGaveUp, Disposition, WrapUpFinished
from acd.model import AgentId, QueueId
from contactcentre.bus import Bus
from contactcentre.crm_sinks import CrmSinks
from crm_core.appeals.service import AppealService
from crm_core.appeals.tables import AppealRow, TopicRow
from crm_core.auth.model import system_actor
from crm_core.customers.contacts import ContactService
from crm_core.customers.model import ContactDirection, WrapUp
from crm_core.customers.service import CustomerService
from crm_core.db import Sessions
from crm_core.selfservice.failed_callbacks import FailedCallbackService
from crm_core.selfservice.seed import CALLBACK_FAILED_TOPIC, seed_callback_failed_topic
from telephony.model import CallId
from tests.fakes import FakeClock, RecordingPublisher
from tests.integration.crm_core.appeals.world import build

T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
CALL = "pbx1:1700.1"


def crm_sinks(sessions: Sessions, clock: FakeClock) -> CrmSinks:
    customers = CustomerService(sessions, clock)
    appeals = AppealService(sessions, clock, RecordingPublisher())
    return CrmSinks(
        ContactService(sessions, clock),
        FailedCallbackService(sessions, appeals, customers),
    )


async def test_callback_gave_up_becomes_one_appeal_when_published_twice_on_the_bus(
    sessions: Sessions,
) -> None:
    world = await build(sessions)
    await seed_callback_failed_topic(sessions, world.clock)
    card = await CustomerService(sessions, world.clock).create(
        system_actor(), {"name": "Petrov", "phones": [{"number": "+74957654321"}]}
    )
    handlers = crm_sinks(sessions, world.clock)
    event = CallbackGaveUp(
        call_id=CallId(CALL), queue_id=QueueId("billing"), number="84957654321",
        attempts=2, at=T0,
    )  # fmt: skip
    async with asyncio.timeout(10), Bus() as bus:
        bus.subscribe(CallbackGaveUp, handlers.on_callback_gave_up)
        await bus.publish(event)
        await bus.publish(event)
        await bus.drain()
    async with sessions() as s:
        rows = list(
            await s.execute(
                select(AppealRow.customer_id, AppealRow.description, TopicRow.code)
                .join(TopicRow, TopicRow.id == AppealRow.topic_id)
                .where(TopicRow.code == CALLBACK_FAILED_TOPIC)
            )
        )
    assert len(rows) == 1
    customer_id, description, _ = rows[0]
    assert customer_id == card.id
    assert "2 attempts" in description


async def test_wrap_up_lands_on_the_call_contact_once_when_published_twice_on_the_bus(
    sessions: Sessions,
) -> None:
    clock = FakeClock()
    contacts = ContactService(sessions, clock)
    opened = await contacts.open_call_contact(
        CALL, "4951234567", dnis="100", direction=ContactDirection.IN, started_at=T0
    )
    handlers = crm_sinks(sessions, clock)
    done = T0 + timedelta(minutes=5)
    event = WrapUpFinished(
        agent_id=AgentId("anna"), call_id=CallId(CALL),
        disposition=Disposition.ESCALATED, notes="to second line", at=done,
    )  # fmt: skip
    async with asyncio.timeout(10), Bus() as bus:
        bus.subscribe(WrapUpFinished, handlers.on_wrap_up_finished)
        await bus.publish(event)
        await bus.publish(event)
        await bus.drain()
    stored = await contacts.get(system_actor(), opened.id)
    assert stored.wrap_up == WrapUp(
        finished_at=done, agent="anna", disposition="escalated", notes="to second line"
    )

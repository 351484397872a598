"""The contact service on SQLite and PostgreSQL: calls open and close contacts."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from crm_core.auth.model import ROLE_PERMISSIONS, Actor, Role
from crm_core.customers.contacts import ContactService
from crm_core.customers.errors import CustomerNotFound
from crm_core.customers.events import CallerIdentified, ContactClosed, ContactOpened
from crm_core.customers.model import CallLog, Channel, ContactDirection
from crm_core.customers.service import CustomerService
from crm_core.customers.tables import ContactRow
from crm_core.db import Sessions
from crm_core.errors import Forbidden, ValidationFailed
from tests.fakes import FakeClock, RecordingPublisher

T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


def actor(role: Role = Role.AGENT, groups: frozenset[str] | None = None) -> Actor:
    return Actor(
        user_id=uuid.uuid4(),
        login="agent",
        role=role,
        permissions=ROLE_PERMISSIONS[role],
        customer_groups=groups,
    )


def contacts(
    sessions: Sessions, publisher: RecordingPublisher | None = None
) -> ContactService:
    return ContactService(sessions, FakeClock(), publisher=publisher)


async def contact_count(sessions: Sessions) -> int:
    async with sessions() as s:
        return int(await s.scalar(select(func.count()).select_from(ContactRow)) or 0)


async def test_call_contact_links_the_caller_when_the_number_is_known(
    sessions: Sessions,
) -> None:
    card = await CustomerService(sessions, FakeClock()).create(
        actor(), {"name": "Petrov", "phones": [{"number": "+7 495 765-43-21"}]}
    )
    published = RecordingPublisher()
    contact = await contacts(sessions, published).open_call_contact(
        "pbx1:1700.1",
        "84957654321",
        dnis="100",
        direction=ContactDirection.IN,
        started_at=T0,
    )
    assert contact.customer_id == card.id
    assert contact.channel is Channel.PHONE
    assert contact.started_at == T0
    [identified] = published.of_type(CallerIdentified)
    assert identified.customer_ids == (str(card.id),)
    assert len(published.of_type(ContactOpened)) == 1


async def test_open_returns_the_same_contact_when_called_twice_for_one_call(
    sessions: Sessions,
) -> None:
    published = RecordingPublisher()
    svc = contacts(sessions, published)
    first = await svc.open_call_contact(
        "pbx1:1", "anonymous", dnis="100", direction=ContactDirection.IN, started_at=T0
    )
    second = await svc.open_call_contact(
        "pbx1:1", "anonymous", dnis="100", direction=ContactDirection.IN, started_at=T0
    )
    assert first == second
    assert first.customer_id is None
    assert await contact_count(sessions) == 1
    assert len(published.of_type(ContactOpened)) == 1


async def test_concurrent_opens_make_one_contact_when_they_race(
    sessions: Sessions,
) -> None:
    svc = contacts(sessions)
    async with asyncio.timeout(10):
        made = await asyncio.gather(
            *(
                svc.open_call_contact(
                    "pbx1:race",
                    "4951234567",
                    dnis="1",
                    direction=ContactDirection.IN,
                    started_at=T0,
                )
                for _ in range(4)
            )
        )
    assert len({c.id for c in made}) == 1
    assert await contact_count(sessions) == 1


async def test_close_writes_the_call_log_once_when_called_twice(
    sessions: Sessions,
) -> None:
    published = RecordingPublisher()
    svc = contacts(sessions, published)
    opened = await svc.open_call_contact(
        "pbx1:2", "4951234567", dnis="100", direction=ContactDirection.IN, started_at=T0
    )
    log = CallLog(
        ended_at=T0 + timedelta(seconds=95),
        wait_s=15.0,
        talk_s=80.0,
        outcome="answered",
        hangup_cause=16,
        queue="support",
    )
    closed = await svc.close_call_contact("pbx1:2", log)
    again = await svc.close_call_contact(
        "pbx1:2", CallLog(ended_at=T0, wait_s=0, talk_s=0, outcome="other")
    )
    assert closed.id == opened.id
    assert (closed.wait_s, closed.talk_s, closed.outcome) == (15.0, 80.0, "answered")
    assert closed.ended_at == T0 + timedelta(seconds=95)
    assert again == closed
    assert len(published.of_type(ContactClosed)) == 1


async def test_close_creates_a_closed_contact_when_the_end_arrives_first(
    sessions: Sessions,
) -> None:
    card = await CustomerService(sessions, FakeClock()).create(
        actor(), {"name": "Early", "phones": [{"number": "89031112233"}]}
    )
    published = RecordingPublisher()
    svc = contacts(sessions, published)
    closed = await svc.close_call_contact(
        "pbx1:3",
        CallLog(
            ended_at=T0 + timedelta(seconds=30),
            wait_s=30.0,
            talk_s=0.0,
            outcome="abandoned",
            ani="+79031112233",
            dnis="100",
            started_at=T0,
        ),
    )
    assert closed.customer_id == card.id
    assert closed.started_at == T0
    assert closed.outcome == "abandoned"
    late = await svc.open_call_contact(
        "pbx1:3",
        "+79031112233",
        dnis="100",
        direction=ContactDirection.IN,
        started_at=T0,
    )
    assert late == closed
    assert await contact_count(sessions) == 1
    assert [type(e) for e in published.events] == [ContactOpened, ContactClosed]


async def test_history_lists_newest_first_across_pages_when_there_are_many(
    sessions: Sessions,
) -> None:
    card = await CustomerService(sessions, FakeClock()).create(
        actor(), {"name": "Busy", "phones": [{"number": "4950000001"}]}
    )
    svc = contacts(sessions)
    for i in range(5):
        await svc.open_call_contact(
            f"pbx1:h{i}",
            "4950000001",
            dnis="1",
            direction=ContactDirection.IN,
            started_at=T0 + timedelta(minutes=i),
        )
    await svc.register_contact(
        actor(),
        {
            "channel": "email",
            "customer_id": str(card.id),
            "address": "busy@example.com",
            "started_at": (T0 + timedelta(hours=1)).isoformat(),
        },
    )
    first = await svc.history(actor(), card.id, limit=4)
    second = await svc.history(actor(), card.id, cursor=first.next_cursor, limit=4)
    starts = [c.started_at for c in first.items + second.items]
    assert starts == sorted(starts, reverse=True)
    assert len(starts) == 6
    assert first.items[0].channel is Channel.EMAIL
    assert second.next_cursor is None


async def test_register_contact_refuses_when_input_or_rights_are_bad(
    sessions: Sessions,
) -> None:
    svc = contacts(sessions)
    with pytest.raises(ValidationFailed) as caught:
        await svc.register_contact(actor(), {"channel": "pigeon", "direction": "up"})
    assert {e.field for e in caught.value.errors} == {"channel", "direction"}
    with pytest.raises(Forbidden):
        await svc.register_contact(actor(Role.MARKETING), {"channel": "web"})
    with pytest.raises(CustomerNotFound):
        await svc.register_contact(
            actor(), {"channel": "web", "customer_id": str(uuid.uuid4())}
        )
    assert await contact_count(sessions) == 0


async def test_contact_is_hidden_when_its_customer_is_outside_the_actors_groups(
    sessions: Sessions,
) -> None:
    card = await CustomerService(sessions, FakeClock()).create(
        actor(), {"name": "VIP", "customer_group": "vip"}
    )
    svc = contacts(sessions)
    made = await svc.register_contact(
        actor(), {"channel": "visit", "customer_id": str(card.id)}
    )
    outsider = actor(groups=frozenset({"mass"}))
    with pytest.raises(CustomerNotFound):
        await svc.get(outsider, made.id)
    with pytest.raises(CustomerNotFound):
        await svc.history(outsider, card.id)
    assert (await svc.get(actor(), made.id)).id == made.id

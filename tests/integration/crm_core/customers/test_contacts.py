"""The contact service on SQLite and PostgreSQL: calls open and close contacts."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from crm_core.auth.model import ROLE_PERMISSIONS, Actor, Role
from crm_core.customers.call_log import (
    CallEnd,
    CallOutcome,
    CallStep,
    EndReason,
    StepKind,
)
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
    end = CallEnd(
        ended_at=T0 + timedelta(seconds=95),
        hangup_cause=16,
        hangup_cause_text="Normal Clearing",
        bridged_at=T0 + timedelta(seconds=15),
        hold_s=5.0,
    )
    closed = await svc.close_call_contact("pbx1:2", CallLog(end=end))
    again = await svc.close_call_contact(
        "pbx1:2", CallLog(end=CallEnd(ended_at=T0, reason=EndReason.VANISHED))
    )
    assert closed.id == opened.id
    assert (closed.talk_s, closed.hold_s, closed.outcome) == (
        75.0,
        5.0,
        CallOutcome.ANSWERED,
    )
    assert (closed.hangup_cause, closed.hangup_cause_text) == (16, "Normal Clearing")
    assert (closed.end_reason, closed.pbx_gone) == (EndReason.HANGUP, False)
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
            end=CallEnd(ended_at=T0 + timedelta(seconds=30), hangup_cause=16),
            ani="+79031112233",
            dnis="100",
            started_at=T0,
        ),
    )
    assert closed.customer_id == card.id
    assert closed.started_at == T0
    assert closed.outcome is CallOutcome.FAILED
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


async def test_call_contact_is_completed_when_a_later_event_created_it_first(
    sessions: Sessions,
) -> None:
    card = await CustomerService(sessions, FakeClock()).create(
        actor(), {"name": "Late", "phones": [{"number": "89035556677"}]}
    )
    published = RecordingPublisher()
    svc = contacts(sessions, published)
    queued = CallStep(kind=StepKind.QUEUED, at=T0 + timedelta(seconds=9), queue="q1")
    early = await svc.record_call_step("pbx1:4", queued)
    assert (early.address, early.customer_id, early.queue) == (None, None, "q1")

    opened = await svc.open_call_contact(
        "pbx1:4", "+79035556677", dnis="8800", direction=ContactDirection.IN,
        started_at=T0,
    )  # fmt: skip

    assert opened.id == early.id
    assert (opened.address, opened.dnis, opened.customer_id) == (
        "+79035556677",
        "8800",
        card.id,
    )
    assert opened.started_at == T0
    assert opened.queues == ("q1",)
    [identified] = published.of_type(CallerIdentified)
    assert identified.customer_ids == (str(card.id),)
    assert len(published.of_type(ContactOpened)) == 1


async def test_call_step_is_kept_once_when_the_same_event_is_replayed(
    sessions: Sessions,
) -> None:
    svc = contacts(sessions)
    await svc.open_call_contact(
        "pbx1:5", "4951234567", dnis="100", direction=ContactDirection.IN, started_at=T0
    )
    connected = CallStep(
        kind=StepKind.CONNECTED, at=T0 + timedelta(seconds=20), queue="q1",
        agent="anna", wait_s=12.5,
    )  # fmt: skip
    for _ in range(3):
        await svc.record_call_step("pbx1:5", connected)
    async with sessions() as s:
        row = await s.scalar(select(ContactRow).where(ContactRow.call_id == "pbx1:5"))
        assert row is not None
        assert len(row.call_steps or ()) == 1
    [turn] = (await svc.record_call_step("pbx1:5", connected)).agents
    assert (turn.agent, turn.taken_at, turn.queue, turn.user_id) == (
        "anna",
        T0 + timedelta(seconds=20),
        "q1",
        None,
    )


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

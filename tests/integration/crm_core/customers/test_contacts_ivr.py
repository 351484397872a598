"""The IVR's record on a call's contact, on SQLite and PostgreSQL: kept once per
call, whichever of the call's events and the IVR's arrives first."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from crm_core.auth.model import system_actor
from crm_core.customers.call_log import CallEnd, CallOutcome
from crm_core.customers.contacts import ContactService
from crm_core.customers.events import ContactOpened
from crm_core.customers.model import CallLog, ContactDirection, IvrVisit
from crm_core.customers.service import CustomerService
from crm_core.customers.tables import ContactRow
from crm_core.db import Sessions
from tests.fakes import FakeClock, RecordingPublisher

T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
CALL = "pbx1:1700.1"
JOURNAL = (
    {"at": T0.isoformat(), "node": "start", "kind": "prompt", "detail": "welcome"},
    {
        "at": (T0 + timedelta(seconds=4)).isoformat(),
        "node": "menu",
        "kind": "dtmf",
        "detail": "",
        "value": "2",
    },
)


def visit(*, at: datetime, outcome: str = "queued", node: str = "billing") -> IvrVisit:
    return IvrVisit(
        completed_at=at,
        flow="main",
        outcome=outcome,
        last_node=node,
        language="ru",
        queue="billing" if outcome == "queued" else None,
        journal=JOURNAL,
        details={"handoff": {"menu_path": ["menu", "billing"]}},
    )


async def contact_count(sessions: Sessions) -> int:
    async with sessions() as s:
        return int(await s.scalar(select(func.count()).select_from(ContactRow)) or 0)


async def test_ivr_record_is_on_the_contact_when_the_call_was_opened_first(
    sessions: Sessions,
) -> None:
    svc = ContactService(sessions, FakeClock())
    opened = await svc.open_call_contact(
        CALL, "4951234567", dnis="100", direction=ContactDirection.IN, started_at=T0
    )
    assert opened.ivr is None
    done = T0 + timedelta(seconds=20)
    recorded = await svc.record_ivr(CALL, visit(at=done), ani="4951234567")
    assert recorded.id == opened.id
    assert recorded.ivr is not None
    assert recorded.ivr.completed_at == done
    assert (recorded.ivr.flow, recorded.ivr.outcome) == ("main", "queued")
    assert (recorded.ivr.last_node, recorded.ivr.language) == ("billing", "ru")
    assert recorded.ivr.queue == "billing"
    assert list(recorded.ivr.journal) == [dict(e) for e in JOURNAL]
    assert recorded.ivr.details == {"handoff": {"menu_path": ["menu", "billing"]}}
    ended = CallEnd(ended_at=T0 + timedelta(minutes=3))
    closed = await svc.close_call_contact(CALL, CallLog(end=ended))
    assert closed.ivr == recorded.ivr
    assert closed.outcome is CallOutcome.ABANDONED_IN_QUEUE


async def test_ivr_record_creates_the_contact_when_it_arrives_before_the_call(
    sessions: Sessions,
) -> None:
    published = RecordingPublisher()
    svc = ContactService(sessions, FakeClock(), publisher=published)
    done = T0 + timedelta(seconds=20)
    early = await svc.record_ivr(CALL, visit(at=done), ani="4951234567")
    assert early.call_id == CALL
    assert early.ivr is not None
    assert early.ivr.last_node == "billing"
    assert early.ended_at is None
    later = await svc.open_call_contact(
        CALL, "4951234567", dnis="100", direction=ContactDirection.IN, started_at=T0
    )
    assert later.id == early.id
    assert later.ivr == early.ivr
    assert await contact_count(sessions) == 1
    assert len(published.of_type(ContactOpened)) == 1


async def test_ivr_record_is_kept_once_when_the_event_is_repeated_or_older(
    sessions: Sessions,
) -> None:
    svc = ContactService(sessions, FakeClock())
    done = T0 + timedelta(seconds=20)
    first = await svc.record_ivr(CALL, visit(at=done), ani="4951234567")
    again = await svc.record_ivr(
        CALL, visit(at=done, outcome="caller_hung_up", node="menu"), ani="4951234567"
    )
    older = await svc.record_ivr(
        CALL, visit(at=T0, outcome="failed", node="start"), ani="4951234567"
    )
    assert again.ivr == first.ivr
    assert older.ivr == first.ivr
    assert await contact_count(sessions) == 1


async def test_ivr_record_is_replaced_when_the_call_went_through_the_ivr_again(
    sessions: Sessions,
) -> None:
    svc = ContactService(sessions, FakeClock())
    await svc.record_ivr(CALL, visit(at=T0), ani="4951234567")
    later = T0 + timedelta(minutes=2)
    second = await svc.record_ivr(
        CALL, visit(at=later, outcome="voicemail", node="leave_message"), ani="x"
    )
    assert second.ivr is not None
    assert (second.ivr.outcome, second.ivr.last_node) == ("voicemail", "leave_message")
    assert second.ivr.completed_at == later


async def test_ivr_record_links_the_customer_when_the_ivr_identified_the_caller(
    sessions: Sessions,
) -> None:
    clock = FakeClock()
    card = await CustomerService(sessions, clock).create(
        system_actor(), {"name": "Petrov", "account": "100200"}
    )
    svc = ContactService(sessions, clock)
    await svc.open_call_contact(
        CALL, "anonymous", dnis="100", direction=ContactDirection.IN, started_at=T0
    )
    linked = await svc.record_ivr(
        CALL, visit(at=T0), ani="anonymous", customer_id=card.id
    )
    assert linked.customer_id == card.id


async def test_ivr_record_leaves_the_customer_out_when_the_id_is_unknown(
    sessions: Sessions,
) -> None:
    svc = ContactService(sessions, FakeClock())
    recorded = await svc.record_ivr(
        CALL, visit(at=T0), ani="anonymous", customer_id=uuid.uuid4()
    )
    assert recorded.customer_id is None
    assert recorded.ivr is not None

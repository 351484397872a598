"""The agent's wrap-up on a call's contact, on SQLite and PostgreSQL: disposition,
notes, login and time, kept once per call and created early when the call's own
events have not arrived."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from crm_core.auth.model import system_actor
from crm_core.customers.call_log import CallEnd, CallOutcome
from crm_core.customers.contacts import ContactService
from crm_core.customers.events import ContactOpened
from crm_core.customers.model import CallLog, ContactDirection, WrapUp
from crm_core.customers.tables import ContactRow
from crm_core.db import Sessions
from tests.fakes import FakeClock, RecordingPublisher

T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
CALL = "pbx1:1800.1"


def wrap_up(*, at: datetime, code: str | None = "resolved", notes: str = "") -> WrapUp:
    return WrapUp(finished_at=at, agent="anna", disposition=code, notes=notes)


async def contact_count(sessions: Sessions) -> int:
    async with sessions() as s:
        return int(await s.scalar(select(func.count()).select_from(ContactRow)) or 0)


async def test_wrap_up_is_on_the_contact_when_the_call_was_closed_first(
    sessions: Sessions,
) -> None:
    svc = ContactService(sessions, FakeClock())
    opened = await svc.open_call_contact(
        CALL, "4951234567", dnis="100", direction=ContactDirection.IN, started_at=T0
    )
    assert opened.wrap_up is None
    await svc.close_call_contact(
        CALL,
        CallLog(
            end=CallEnd(
                ended_at=T0 + timedelta(minutes=3), bridged_at=T0 + timedelta(seconds=5)
            )
        ),
    )
    done = T0 + timedelta(minutes=4)

    recorded = await svc.record_wrap_up(
        CALL, wrap_up(at=done, code="follow_up", notes="refund promised")
    )

    assert recorded.id == opened.id
    assert recorded.wrap_up == WrapUp(
        finished_at=done, agent="anna", disposition="follow_up", notes="refund promised"
    )
    shown = await svc.get(system_actor(), opened.id)
    assert shown.wrap_up == recorded.wrap_up
    assert (shown.outcome, shown.ended_at) == (
        CallOutcome.ANSWERED,
        T0 + timedelta(minutes=3),
    )


async def test_wrap_up_creates_the_contact_when_it_arrives_before_the_call(
    sessions: Sessions,
) -> None:
    published = RecordingPublisher()
    svc = ContactService(sessions, FakeClock(), publisher=published)
    done = T0 + timedelta(minutes=4)

    recorded = await svc.record_wrap_up(CALL, wrap_up(at=done))

    assert (recorded.call_id, recorded.started_at) == (CALL, done)
    assert recorded.wrap_up == wrap_up(at=done)
    assert [e.call_id for e in published.of_type(ContactOpened)] == [CALL]
    opened = await svc.open_call_contact(
        CALL, "4951234567", dnis="100", direction=ContactDirection.IN, started_at=T0
    )
    assert (opened.id, opened.wrap_up) == (recorded.id, recorded.wrap_up)
    assert await contact_count(sessions) == 1


async def test_wrap_up_is_kept_once_when_the_event_repeats_or_an_older_one_arrives(
    sessions: Sessions,
) -> None:
    svc = ContactService(sessions, FakeClock())
    first = T0 + timedelta(minutes=4)
    await svc.record_wrap_up(CALL, wrap_up(at=first, notes="first"))

    again = await svc.record_wrap_up(CALL, wrap_up(at=first, code="other"))
    older = await svc.record_wrap_up(CALL, wrap_up(at=T0, code="escalated"))

    assert again.wrap_up == older.wrap_up == wrap_up(at=first, notes="first")
    later = first + timedelta(minutes=10)
    replaced = await svc.record_wrap_up(
        CALL, wrap_up(at=later, code=None, notes="x" * 2500)
    )
    assert replaced.wrap_up == wrap_up(at=later, code=None, notes="x" * 2000)
    assert await contact_count(sessions) == 1

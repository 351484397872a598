"""Demo customers for `contactcentre demo`: varied, repeatable, and only once; and
the contacts of the demo's past calls (`seed_past_calls`).

`demo_phone_numbers` gives the numbers the simulator's demo callers can ring from,
without touching the database (the same `count` and `seed` give the same numbers).
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from sqlalchemy import func, select

from crm_core.auth.model import system_actor
from crm_core.clock import Clock, UtcClock
from crm_core.customers.service import CustomerService
from crm_core.customers.tables import ContactRow, CustomerPhoneRow, CustomerRow
from crm_core.db import Sessions

_FIRST_RU = ("Иван", "Пётр", "Анна", "Мария", "Сергей", "Ольга", "Дмитрий", "Елена")
_LAST_RU = ("Иванов", "Петров", "Смирнов", "Кузнецов", "Попов", "Соколов", "Лебедев")
_FIRST_EN = ("John", "Mary", "James", "Linda", "Robert", "Susan", "David", "Karen")
_LAST_EN = ("Smith", "Johnson", "Brown", "Taylor", "Wilson", "Davies", "Evans")
_COMPANIES = ("Ромашка", "Вектор", "Northwind", "Contoso", "Гермес", "Fabrikam")
_CITIES = (("Москва", "Тверской"), ("Санкт-Петербург", "Центральный"), ("Казань", None))
_PRODUCTS = ("internet-100", "internet-500", "tv-basic", "tv-premium", "phone")
SHARED_EVERY = 25
"""Every 25th customer shares the previous one's number (a family or office line)."""


def demo_customers(count: int = 200, seed: int = 1) -> list[dict[str, object]]:
    """`count` demo customer cards as CustomerInput data, the same for the same seed."""
    rng = random.Random(seed)  # noqa: S311  demo data, not secrets
    cards: list[dict[str, object]] = []
    for i in range(count):
        national = f"9{rng.randrange(10**9):09d}"
        if i and i % SHARED_EVERY == 0:
            previous = cards[-1]["phones"]
            assert isinstance(previous, list)
            phone = previous[0]["number"]
        else:
            phone = rng.choice(
                (f"8{national}", f"+7 {national[:3]} {national[3:]}", national)
            )
        cards.append(_card(rng, i, phone))
    return cards


def _card(rng: random.Random, i: int, phone: str) -> dict[str, object]:
    roll = rng.random()
    category = "VIP" if roll < 0.1 else "BIS" if roll < 0.3 else "mass"
    organisation = category == "BIS" and rng.random() < 0.7
    if organisation:
        name = f"ООО «{rng.choice(_COMPANIES)}-{i}»"  # noqa: RUF001  Russian text
    elif rng.random() < 0.6:
        name = f"{rng.choice(_LAST_RU)} {rng.choice(_FIRST_RU)}"
    else:
        name = f"{rng.choice(_FIRST_EN)} {rng.choice(_LAST_EN)}"
    city, district = rng.choice(_CITIES)
    return {
        "kind": "organisation" if organisation else "person",
        "name": name,
        "category": category,
        "customer_group": "moscow" if city == "Москва" else "regions",
        "account": f"D{100000 + i}",
        "balance": str(Decimal(rng.randrange(-50000, 500000)) / 100),
        "phones": [{"number": phone, "primary": True}],
        "emails": [f"customer{i}@example.com"],
        "city": city,
        "district": district,
        "building": str(rng.randrange(1, 120)),
        "network_node": f"node-{rng.randrange(1, 40)}",
        "products": rng.sample(_PRODUCTS, rng.randrange(1, 3)),
        "preferred_channels": [rng.choice(("phone", "sms", "email"))],
    }


def demo_phone_numbers(count: int = 200, seed: int = 1) -> list[str]:
    """The distinct numbers (as written on the cards) of the demo customers."""
    numbers: list[str] = []
    for card in demo_customers(count, seed):
        phones = card["phones"]
        assert isinstance(phones, list)
        number = phones[0]["number"]
        if number not in numbers:
            numbers.append(number)
    return numbers


async def seed_customers(
    sessions: Sessions,
    count: int = 200,
    seed: int = 1,
    *,
    clock: Clock | None = None,
) -> int:
    """Store the demo customers unless there are customers already; how many made."""
    async with sessions() as s:
        existing = await s.scalar(select(func.count()).select_from(CustomerRow))
    if existing:
        return 0
    service = CustomerService(sessions, clock or UtcClock())
    actor = system_actor()
    for card in demo_customers(count, seed):
        await service.create(actor, card)
    return count


PAST_CALL_PREFIX = "history:"
"""The call ids of the demo's past calls."""


@dataclass(frozen=True, slots=True, kw_only=True)
class PastCallContact:
    """A call the demo's past traffic made: who rang, which queue, who answered."""

    call_id: str
    customer_id: uuid.UUID | None
    number: str
    queue: str
    arrived_at: datetime
    wait_s: float
    agent_login: str | None = None
    """None: the caller gave up waiting."""
    agent_user_id: uuid.UUID | None = None
    talk_s: float = 0.0
    wrap_up_s: float = 0.0
    disposition: str | None = None


async def demo_callers(sessions: Sessions) -> list[tuple[uuid.UUID, str]]:
    """Each demo customer's id with their primary number, in a stable order."""
    query = (
        select(CustomerPhoneRow.customer_id, CustomerPhoneRow.e164)
        .where(CustomerPhoneRow.is_primary.is_(True))
        .order_by(CustomerPhoneRow.e164, CustomerPhoneRow.customer_id)
    )
    async with sessions() as s:
        return [(cid, number) for cid, number in (await s.execute(query)).all()]


async def has_past_calls(sessions: Sessions) -> bool:
    query = select(ContactRow.id).where(ContactRow.call_id.startswith(PAST_CALL_PREFIX))
    async with sessions() as s:
        return await s.scalar(query.limit(1)) is not None


async def seed_past_calls(
    sessions: Sessions, calls: Sequence[PastCallContact]
) -> dict[str, uuid.UUID]:
    """Store a contact with its call log for each past call, in one unit of work;
    returns the contact id by call id."""
    rows = [_past_contact(call) for call in calls]
    async with sessions.begin() as s:
        s.add_all(rows)
    return {row.call_id: row.id for row in rows if row.call_id is not None}


def _past_contact(call: PastCallContact) -> ContactRow:
    answered = call.arrived_at + timedelta(seconds=call.wait_s)
    ended = answered + timedelta(seconds=call.talk_s)
    took = call.agent_login is not None
    turn = {
        "agent": call.agent_login, "user_id": str(call.agent_user_id or ""),
        "taken_at": answered.isoformat(), "queue": call.queue,
    }  # fmt: skip
    return ContactRow(
        id=uuid.uuid4(), customer_id=call.customer_id, channel="phone",
        direction="in", agent_id=call.agent_user_id, address=call.number,
        call_id=call.call_id, started_at=call.arrived_at, ended_at=ended,
        queue=call.queue, wait_s=round(call.wait_s, 1), talk_s=call.talk_s,
        outcome="answered" if took else "abandoned_in_queue",
        hangup_cause=16, hangup_cause_text="Normal Clearing", end_reason="hangup",
        bridged_at=answered if took else None, hold_s=0.0, queues=[call.queue],
        call_agents=[turn] if took else [], notes="",
        wrap_up_at=ended + timedelta(seconds=call.wrap_up_s) if took else None,
        wrap_up_agent=call.agent_login, disposition=call.disposition,
    )  # fmt: skip

"""Demo customers: varied, repeatable, seeded once."""

from __future__ import annotations

from crm_core.auth.model import system_actor
from crm_core.customers.model import Ambiguous, Identified
from crm_core.customers.seed import demo_customers, demo_phone_numbers, seed_customers
from crm_core.customers.service import CustomerQuery, CustomerService
from crm_core.db import Sessions
from tests.fakes import FakeClock


async def test_demo_numbers_identify_callers_when_seeded(sessions: Sessions) -> None:
    made = await seed_customers(sessions, 60, seed=3, clock=FakeClock())
    assert made == 60
    svc = CustomerService(sessions, FakeClock())
    results = [await svc.identify(n) for n in demo_phone_numbers(60, seed=3)]
    assert all(isinstance(r, Identified | Ambiguous) for r in results)
    assert any(isinstance(r, Ambiguous) for r in results)
    page = await svc.search(system_actor(), CustomerQuery(), limit=200)
    assert {c.category for c in page.items} >= {"VIP", "BIS", "mass"}


async def test_seed_does_nothing_when_customers_exist(sessions: Sessions) -> None:
    await seed_customers(sessions, 5, clock=FakeClock())
    assert await seed_customers(sessions, 5, clock=FakeClock()) == 0
    page = await CustomerService(sessions, FakeClock()).search(
        system_actor(), CustomerQuery()
    )
    assert len(page.items) == 5


def test_demo_cards_repeat_when_the_seed_is_the_same() -> None:
    assert demo_customers(30, seed=7) == demo_customers(30, seed=7)
    assert demo_customers(30, seed=7) != demo_customers(30, seed=8)

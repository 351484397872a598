"""PostgreSQL restarts between units of work: caller identification never fails, and
a session finds a fresh connection, though the pool no longer pings on checkout.

PostgreSQL only (SQLite has no server to restart); each test migrates its own
database on a server of this module's own, so restarting it disturbs no other test.
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import AsyncIterator, Iterator

import pytest
from sqlalchemy import func, select

from contactcentre.migrate import migrate
from crm_core.auth.model import system_actor
from crm_core.customers.model import Identified
from crm_core.customers.service import CustomerService
from crm_core.customers.tables import CustomerRow
from crm_core.db import Sessions, make_engine, make_sessions
from tests import servers
from tests.fakes import FakeClock

_names = itertools.count()


@pytest.fixture(scope="module")
def server() -> Iterator[servers.PostgresServer]:
    with servers.postgres() as started:
        yield started


@pytest.fixture
async def sessions(server: servers.PostgresServer) -> AsyncIterator[Sessions]:
    name = f"restart{next(_names)}"
    await server.execute(f'CREATE DATABASE "{name}"')
    await migrate(server.url(name))
    engine = make_engine(server.url(name))
    try:
        yield make_sessions(engine)
    finally:
        await engine.dispose()


async def customers_with_numbers(service: CustomerService, count: int) -> list[str]:
    numbers = [f"+7495123{i:04d}" for i in range(count)]
    for i, number in enumerate(numbers):
        await service.create(
            system_actor(), {"name": f"Customer {i}", "phones": [{"number": number}]}
        )
    return numbers


@pytest.mark.parametrize("mode", ["fast", "immediate"])
async def test_identify_answers_when_postgresql_restarted_unnoticed_between_lookups(
    server: servers.PostgresServer, sessions: Sessions, mode: str
) -> None:
    service = CustomerService(sessions, FakeClock())
    [number] = await customers_with_numbers(service, 1)
    assert isinstance(await service.identify(number), Identified)
    # The test server acknowledges commits before writing the WAL: without this an
    # immediate (crash) restart would lose the customer.
    await server.execute("CHECKPOINT")
    # Blocking: the event loop does not run, so the pooled connection still looks
    # alive and its first statement meets the closed socket.
    server.restart(mode)
    found = await service.identify(number)
    assert isinstance(found, Identified)
    assert found.customer.name == "Customer 0"


async def test_concurrent_lookups_all_answer_when_postgresql_restarted_between(
    server: servers.PostgresServer, sessions: Sessions
) -> None:
    service = CustomerService(sessions, FakeClock())
    numbers = await customers_with_numbers(service, 6)
    before = await asyncio.gather(*(service.identify(n) for n in numbers))
    assert all(isinstance(f, Identified) for f in before)
    server.restart()
    after = await asyncio.gather(*(service.identify(n) for n in numbers))
    assert [f.customer.name for f in after if isinstance(f, Identified)] == [
        f"Customer {i}" for i in range(6)
    ]


async def test_a_session_gets_a_live_connection_when_postgresql_restarted_since(
    server: servers.PostgresServer, sessions: Sessions
) -> None:
    service = CustomerService(sessions, FakeClock())
    await customers_with_numbers(service, 2)
    # The loop runs during the restart, as in the service, and reads each pooled
    # connection's end; a session's unit of work (not retried) must not get one.
    await asyncio.to_thread(server.restart)
    async with sessions() as s:
        count = await s.scalar(select(func.count()).select_from(CustomerRow))
    assert count == 2

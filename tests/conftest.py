"""Shared fixtures: real PostgreSQL and Redis, migrated databases on both engines."""

from __future__ import annotations

import asyncio
import itertools
import shutil
from collections.abc import AsyncIterator, Coroutine, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import redis.asyncio as aioredis
from hypothesis import settings as hypothesis_settings

from contactcentre.migrate import migrate
from crm_core.db import Sessions, make_engine, make_sessions
from tests import servers

# CI runs the property tests on fixed examples (`--hypothesis-profile=ci`) so a
# landing never hinges on a fresh random draw; locally they keep exploring.
hypothesis_settings.register_profile("ci", derandomize=True, deadline=None)

_TEMPLATE = "cc_template"
_counter = itertools.count()


def _run_apart(coroutine: Coroutine[object, object, None]) -> None:
    """Run `coroutine` to the end on a loop of its own, even when a test loop is running
    (session fixtures are first asked for from inside a test's loop)."""
    with ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, coroutine).result()


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[servers.PostgresServer]:
    with servers.postgres() as server:
        yield server


@pytest.fixture(scope="session")
def postgres_template(postgres_server: servers.PostgresServer) -> str:
    """A database migrated to head once per run; each test copies it."""

    async def create() -> None:
        await postgres_server.execute(f'CREATE DATABASE "{_TEMPLATE}"')
        await migrate(postgres_server.url(_TEMPLATE))

    _run_apart(create())
    return _TEMPLATE


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("sqlite-template") / "template.db"
    _run_apart(migrate(f"sqlite+aiosqlite:///{path}"))
    return path


@pytest.fixture(params=["sqlite", "postgres"])
async def database_url(
    request: pytest.FixtureRequest, tmp_path: Path
) -> AsyncIterator[str]:
    """The URL of a freshly migrated database, once on SQLite and once on PostgreSQL."""
    if request.param == "sqlite":
        template: Path = request.getfixturevalue("sqlite_template")
        path = tmp_path / "test.db"
        shutil.copyfile(template, path)
        yield f"sqlite+aiosqlite:///{path}"
        return
    server: servers.PostgresServer = request.getfixturevalue("postgres_server")
    template_name: str = request.getfixturevalue("postgres_template")
    name = f"t{next(_counter)}"
    await server.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template_name}"')
    yield server.url(name)
    await server.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
async def sessions(database_url: str) -> AsyncIterator[Sessions]:
    engine = make_engine(database_url)
    try:
        yield make_sessions(engine)
    finally:
        await engine.dispose()


@pytest.fixture(scope="session")
def redis_server() -> Iterator[servers.RedisServer]:
    with servers.redis() as server:
        yield server


@pytest.fixture
async def redis_url(redis_server: servers.RedisServer) -> str:
    """A real Redis, emptied before each test."""
    client = aioredis.Redis.from_url(redis_server.url)
    try:
        await client.flushall()
    finally:
        await client.aclose()
    return redis_server.url

"""The test servers themselves: a migrated database on both engines, a real Redis."""

from __future__ import annotations

import redis.asyncio as aioredis
from sqlalchemy import text

from crm_core.db import Sessions


async def test_database_is_migrated_when_given_to_a_test(sessions: Sessions) -> None:
    async with sessions() as session:
        version = await session.scalar(text("SELECT version_num FROM alembic_version"))
    assert version is not None


async def test_redis_answers_when_started_by_the_tests(redis_url: str) -> None:
    client = aioredis.Redis.from_url(redis_url)
    try:
        await client.set("k", "v")
        assert await client.get("k") == b"v"
    finally:
        await client.aclose()

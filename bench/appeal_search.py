"""First-page time of an appeal search by topic + status + date range through
`AppealSearch.search()`, over 5,000,000 appeals in PostgreSQL.

Starts its own PostgreSQL, migrates it, and generates the appeals server-side
(INSERT ... SELECT over generate_series, secondary indexes built after the load).
Queries vary topic, status and a 1-90 day window over the year of data.
Also measured: the same with the three open statuses at once
(`appeal_search_open_statuses_p95_ms=N`). Last line: `appeal_search_p95_ms=N`.
Run: .venv/bin/python -m bench.appeal_search [--appeals 5000000] [--queries 500]
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import time
import uuid
from datetime import UTC, datetime, timedelta

import asyncpg

from contactcentre.migrate import migrate
from crm_core.appeals.model import AppealStatus
from crm_core.auth.model import ROLE_PERMISSIONS, Actor, Role
from crm_core.db import make_engine, make_sessions
from crm_core.reports.filters import AppealFilter
from crm_core.reports.search import AppealSearch
from tests import servers

T0 = datetime(2025, 1, 1, tzinfo=UTC)
SPREAD_S = 6
"""Seconds between consecutive appeals: 5,000,000 appeals cover about a year."""
TOPICS = 20
CHUNK = 500_000
ROUTE = uuid.UUID(int=1)
USER = uuid.UUID(int=2)

_INSERT = """
INSERT INTO appeals (id, customer_id, contact_id, parent_id, topic_id, route_id,
    stage, queue, status, assignee_id, customer_category, customer_group,
    description, attributes, stage_path, created_by, created_at, updated_at,
    deadline_at, overdue, overdue_at, closed_at, archived, archived_at, version)
SELECT md5('appeal' || g)::uuid, NULL, NULL, NULL,
    ($1::uuid[])[1 + (g * 7919) % $2], $3, 'intake', 'front',
    (ARRAY['waiting', 'in_progress', 'rejected_back', 'closed'])[1 + (g * 31) % 4],
    NULL, 'mass', (ARRAY['mass', 'vip', 'biz'])[1 + g % 3],
    'appeal number ' || g, '{"Speed": "100"}'::json, '["intake"]'::json, $4,
    $5::timestamptz + g * interval '6 seconds',
    $5::timestamptz + g * interval '6 seconds',
    $5::timestamptz + g * interval '6 seconds' + interval '1 day',
    g % 17 = 0, NULL, NULL, g % 50 = 0, NULL, 1
FROM generate_series($6::bigint, $7::bigint) AS g
"""


async def seed_reference(conn: asyncpg.Connection) -> list[uuid.UUID]:
    """A topic group with TOPICS topics, one route, one user."""
    group = uuid.UUID(int=100)
    topics = [uuid.UUID(int=101 + i) for i in range(TOPICS)]
    await conn.execute(
        "INSERT INTO topics (id, parent_id, code, name, is_group, active, position)"
        " VALUES ($1, NULL, 'all', 'All', true, true, 0)",
        group,
    )
    await conn.executemany(
        "INSERT INTO topics (id, parent_id, code, name, is_group, active, position)"
        " VALUES ($1, $2, $3, $3, false, true, 0)",
        [(t, group, f"topic{i}") for i, t in enumerate(topics)],
    )
    await conn.execute(
        "INSERT INTO routes (id, topic_id, version, name, definition, published_at,"
        " published_by) VALUES ($1, $2, 1, 'r', '{\"stages\": []}', $3, $4)",
        ROUTE, topics[0], T0, USER,
    )  # fmt: skip
    return topics


async def load(dsn: str, appeals: int) -> list[uuid.UUID]:
    conn = await asyncpg.connect(dsn)
    try:
        topics = await seed_reference(conn)
        indexes = await conn.fetch(
            "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'appeals'"
            " AND indexname <> 'pk_appeals'"
        )
        for index in indexes:
            await conn.execute(f'DROP INDEX "{index["indexname"]}"')
        # The load is ours and consistent: skip per-row foreign-key triggers.
        await conn.execute("SET session_replication_role = replica")
        for start in range(0, appeals, CHUNK):
            end = min(start + CHUNK, appeals) - 1
            await conn.execute(
                _INSERT, topics, TOPICS, ROUTE, USER, T0, start, end, timeout=600
            )
        await conn.execute("SET session_replication_role = origin")
        await conn.execute("SET maintenance_work_mem = '256MB'")
        for index in indexes:
            await conn.execute(index["indexdef"], timeout=600)
        await conn.execute("VACUUM ANALYZE appeals", timeout=600)
        return topics
    finally:
        await conn.close()


def filters(
    topics: list[uuid.UUID], appeals: int, count: int, seed: int, *, open_: bool
) -> list[AppealFilter]:
    """One status per query, or (`open_`) the three open statuses at once."""
    rng = random.Random(seed)
    opened = tuple(st for st in AppealStatus if st is not AppealStatus.CLOSED)
    span_s = appeals * SPREAD_S
    statuses = list(AppealStatus)
    out: list[AppealFilter] = []
    for _ in range(count):
        days = rng.randint(1, 90)
        window = timedelta(days=days)
        start = T0 + timedelta(seconds=rng.uniform(0, max(span_s - days * 86_400, 1)))
        out.append(
            AppealFilter(
                topic_ids=(rng.choice(topics),),
                statuses=opened if open_ else (rng.choice(statuses),),
                created_from=start, created_to=start + window,
            )
        )  # fmt: skip
    return out


async def measure(url: str, queries: list[AppealFilter]) -> float:
    """The p95 first-page time in milliseconds."""
    engine = make_engine(url)
    search = AppealSearch(make_sessions(engine))
    actor = Actor(
        user_id=USER, login="bench", role=Role.SUPERVISOR,
        permissions=ROLE_PERMISSIONS[Role.SUPERVISOR],
    )  # fmt: skip
    try:
        for flt in queries[:50]:  # warm the pool and the caches
            await search.search(actor, flt, limit=50)
        times = []
        for flt in queries:
            started = time.perf_counter()
            page = await search.search(actor, flt, limit=50)
            times.append((time.perf_counter() - started) * 1000)
            assert len(page.items) <= 50
        return statistics.quantiles(times, n=100)[94]
    finally:
        await engine.dispose()


async def main(appeals: int, count: int) -> None:
    with servers.postgres() as server:
        conn = await asyncpg.connect(server.dsn("postgres"))
        await conn.execute('CREATE DATABASE "bench"')
        await conn.close()
        await migrate(server.url("bench"))
        started = time.perf_counter()
        topics = await load(server.dsn("bench"), appeals)
        print(f"loaded {appeals} appeals in {time.perf_counter() - started:.0f}s")
        url = server.url("bench")
        open_p95 = await measure(url, filters(topics, appeals, count, 4, open_=True))
        p95 = await measure(url, filters(topics, appeals, count, 3, open_=False))
    print(f"appeal_search_open_statuses_p95_ms={open_p95:.2f}")
    print(f"appeal_search_p95_ms={p95:.2f}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--appeals", type=int, default=5_000_000)
    parser.add_argument("--queries", type=int, default=500)
    args = parser.parse_args()
    asyncio.run(main(args.appeals, args.queries))

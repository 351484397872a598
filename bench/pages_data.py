"""The database bench/pages renders from: the demo's seed (users of every role,
topics, routes, 200 customers, 7 appeals with their history) made through the
product's own seeding, then multiplied in PostgreSQL with INSERT ... SELECT over
generate_series (bound parameters; secondary indexes dropped for the load and
built after it, foreign-key triggers off): at scale 1, 1,000,000 customers with
a phone each, 5,000,000 appeals spread over two years (one in 20 as open as the
demo appeal it copies, the rest closed) with their copies' history, and two
calls per customer in the call log. Each copy keeps its template's topic, route,
stage, queue and assignee, and its customer's group. As a running service would
have left them: open appeals past their deadline are overdue, and those closed
more than `ARCHIVE_AFTER_DAYS` ago archived (else the service's first SLA pass
would do that work while the pages are measured: see `settled`).

Made once per schema revision and scale, in a PostgreSQL data directory under
var/bench/pages/ that later runs start as it is.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import asyncpg
from alembic.script import ScriptDirectory

from contactcentre.demo import seed_demo
from contactcentre.migrate import alembic_config, migrate
from crm_core.clock import UtcClock
from crm_core.db import make_engine, make_sessions
from tests.servers import PostgresServer

log = logging.getLogger(__name__)

DATABASE = "pages"
PASSWORD = "pages-bench-password"  # noqa: S105  # the bench's throwaway demo users
CUSTOMERS = 1_000_000
APPEALS = 5_000_000
CALLS_PER_CUSTOMER = 2
OPEN_EVERY = 20
SPAN_S = 2 * 365 * 86_400.0
CHUNK = 500_000
SEEDED = "seeded"
"""The file that says the data directory is complete."""
ARCHIVE_AFTER_DAYS = 90
"""The service's default (CRM settings, `archive_after_days`)."""


def schema_head() -> str:
    return str(ScriptDirectory.from_config(alembic_config("")).get_current_head())


def data_dir(root: Path, scale: float) -> Path:
    return root / f"{schema_head()}-x{scale:g}"


def seeded(folder: Path) -> bool:
    return (folder / SEEDED).is_file()


async def seed(pg: PostgresServer, folder: Path, scale: float) -> None:
    """Make the database from nothing and mark `folder` complete."""
    await pg.execute(f'CREATE DATABASE "{DATABASE}"')
    url = pg.url(DATABASE)
    await migrate(url)
    engine = make_engine(url)
    try:
        await seed_demo(make_sessions(engine), UtcClock(), PASSWORD)
    finally:
        await engine.dispose()
    counts = Counts.at(scale)
    conn = await asyncpg.connect(pg.dsn(DATABASE))
    try:
        await _multiply(conn, counts, datetime.now(UTC))
    finally:
        await conn.close()
    (folder / SEEDED).write_text(f"{counts}\n")


class Counts:
    def __init__(self, customers: int, appeals: int) -> None:
        self.customers, self.appeals = customers, appeals
        self.calls = customers * CALLS_PER_CUSTOMER

    @classmethod
    def at(cls, scale: float) -> Counts:
        return cls(max(1, round(CUSTOMERS * scale)), max(1, round(APPEALS * scale)))

    def __str__(self) -> str:
        return f"customers={self.customers} appeals={self.appeals} calls={self.calls}"


TABLES = ("customers", "customer_phones", "appeals", "appeal_history", "contacts")
"""Loaded here: their indexes that back no constraint are dropped for the load."""

_SNAPSHOT = """
CREATE TEMP TABLE src_{table} AS
SELECT row_number() OVER (ORDER BY id) - 1 AS n, * FROM {table}
"""
"""The demo's rows, numbered: the templates of the copies."""

_CUSTOMERS = """
INSERT INTO customers ({columns})
SELECT {values}
FROM generate_series($1::bigint, $2::bigint) AS g
JOIN src_customers AS t ON t.n = g % $3
"""
CUSTOMER_VALUES = {
    "id": "md5('customer' || g)::uuid",
    "name": "t.name || ' ' || g",
    "name_folded": "t.name_folded || ' ' || g",
    "account": "'P' || g",
}

_PHONES = """
INSERT INTO customer_phones (id, customer_id, raw, e164, extension, kind,
    is_primary)
SELECT md5('phone' || g)::uuid, md5('customer' || g)::uuid,
    '+7999' || lpad(g::text, 7, '0'), '+7999' || lpad(g::text, 7, '0'), NULL,
    'mobile', true
FROM generate_series($1::bigint, $2::bigint) AS g
"""

_APPEALS = """
INSERT INTO appeals ({columns})
SELECT {values}
FROM (
    SELECT g, 1 + (g * 7919) % $3 AS k,
        $5::timestamptz - g * $6::double precision * interval '1 second' AS at
    FROM generate_series($1::bigint, $2::bigint) AS g
) AS s
JOIN src_appeals AS t ON t.n = s.g % $4
JOIN src_customers AS c ON c.n = s.k % $7
"""
APPEAL_VALUES = {
    "id": "md5('appeal' || s.g)::uuid",
    "customer_id": "md5('customer' || s.k)::uuid",
    "contact_id": "NULL",
    "parent_id": "NULL",
    "customer_category": "c.category",
    "customer_group": "c.customer_group",
    "status": f"CASE WHEN s.g % {OPEN_EVERY} = 0 THEN t.status ELSE 'closed' END",
    "overdue": f"s.g % {OPEN_EVERY} = 0 AND s.at + interval '3 days' <= $5",
    "overdue_at": f"CASE WHEN s.g % {OPEN_EVERY} = 0 AND s.at + interval '3 days'"
    " <= $5 THEN s.at + interval '3 days' END",
    "closed_at": (
        f"CASE WHEN s.g % {OPEN_EVERY} = 0 THEN NULL ELSE s.at + interval '1 day' END"
    ),
    "created_at": "s.at",
    "updated_at": "s.at",
    "deadline_at": "s.at + interval '3 days'",
    "archived": f"s.g % {OPEN_EVERY} <> 0 AND s.at + interval '1 day' <= $8",
    "archived_at": f"CASE WHEN s.g % {OPEN_EVERY} <> 0 AND s.at + interval '1 day'"
    " <= $8 THEN $5 END",
    "version": "1",
}

_HISTORY = """
INSERT INTO appeal_history ({columns})
SELECT {values}
FROM (
    SELECT g, $4::timestamptz - g * $5::double precision * interval '1 second' AS at
    FROM generate_series($1::bigint, $2::bigint) AS g
) AS s
JOIN src_appeals AS t ON t.n = s.g % $3
JOIN src_appeal_history AS h ON h.appeal_id = t.id
"""
HISTORY_VALUES = {
    "id": "md5('history' || s.g || ':' || h.id)::uuid",
    "appeal_id": "md5('appeal' || s.g)::uuid",
    "at": "s.at + (h.at - t.created_at)",
}

_CALLS = """
INSERT INTO contacts (id, customer_id, channel, direction, address, dnis, call_id,
    started_at, ended_at, bridged_at, queue, wait_s, talk_s, outcome, end_reason,
    notes, queues)
SELECT md5('call' || g)::uuid, md5('customer' || (1 + g % $3))::uuid, 'phone',
    'in', '+7999' || lpad((1 + g % $3)::text, 7, '0'), '8800', 'bench-' || g,
    s.at, s.at + interval '200 seconds', s.at + interval '20 seconds', 'support',
    20.0, 180.0, 'answered', 'hangup', '', '["support"]'
FROM (
    SELECT g, $4::timestamptz - g * $5::double precision * interval '1 second' AS at
    FROM generate_series($1::bigint, $2::bigint) AS g
) AS s
"""


@dataclass(frozen=True, slots=True)
class Load:
    name: str
    sql: str
    rows: int
    """Copies to make: the statement runs for each CHUNK of 1..rows ($1, $2)."""
    args: tuple[object, ...]
    """$3 on."""


async def _multiply(conn: asyncpg.Connection, counts: Counts, now: datetime) -> None:
    for table in ("customers", "appeals", "appeal_history"):
        await conn.execute(_SNAPSHOT.format(table=table))
    people = int(await conn.fetchval("SELECT count(*) FROM src_customers"))
    appeals = int(await conn.fetchval("SELECT count(*) FROM src_appeals"))
    step = SPAN_S / counts.appeals
    loads = (
        Load("customers", await _fill(conn, _CUSTOMERS, "customers", CUSTOMER_VALUES),
             counts.customers, (people,)),
        Load("phones", _PHONES, counts.customers, ()),
        Load("appeals", await _fill(conn, _APPEALS, "appeals", APPEAL_VALUES),
             counts.appeals, (counts.customers, appeals, now, step, people,
                              now - timedelta(days=ARCHIVE_AFTER_DAYS))),
        Load("history", await _fill(conn, _HISTORY, "appeal_history", HISTORY_VALUES,
                                    alias="h"),
             counts.appeals, (appeals, now, step)),
        Load("calls", _CALLS, counts.calls,
             (counts.customers, now, SPAN_S / counts.calls)),
    )  # fmt: skip
    indexes = await conn.fetch(
        "SELECT indexname, indexdef FROM pg_indexes"
        " WHERE tablename = ANY($1::text[]) AND indexname NOT IN"
        " (SELECT conname FROM pg_constraint)",
        list(TABLES),
    )
    for index in indexes:
        await conn.execute(f'DROP INDEX "{index["indexname"]}"')
    # The load is ours and consistent: skip the per-row foreign-key triggers.
    await conn.execute("SET session_replication_role = replica")
    for load in loads:
        started = time.monotonic()
        for low in range(1, load.rows + 1, CHUNK):
            high = min(low + CHUNK - 1, load.rows)
            await conn.execute(load.sql, low, high, *load.args, timeout=3600)
        log.info("%s: %d in %.0f s", load.name, load.rows, time.monotonic() - started)
    await conn.execute("SET session_replication_role = origin")
    await conn.execute("SET maintenance_work_mem = '512MB'")
    started = time.monotonic()
    for index in indexes:
        await conn.execute(index["indexdef"], timeout=3600)
    log.info("indexes built in %.0f s", time.monotonic() - started)
    await conn.execute("VACUUM ANALYZE", timeout=3600)


async def _fill(
    conn: asyncpg.Connection,
    sql: str,
    table: str,
    values: dict[str, str],
    *,
    alias: str = "t",
) -> str:
    """`sql` with every column of `table` (as migrated) and its value: from
    `values`, else the template's."""
    columns = [
        row["column_name"]
        for row in await conn.fetch(
            "SELECT column_name FROM information_schema.columns"
            " WHERE table_name = $1 ORDER BY ordinal_position",
            table,
        )
    ]
    return sql.format(
        columns=", ".join(f'"{c}"' for c in columns),
        values=", ".join(values.get(c, f'{alias}."{c}"') for c in columns),
    )


_UNSETTLED = """
SELECT EXISTS (
    SELECT FROM appeals WHERE status IN ('waiting', 'in_progress', 'rejected_back')
        AND overdue = false AND deadline_at <= $1
) OR EXISTS (
    SELECT FROM appeals WHERE status = 'closed' AND archived = false
        AND closed_at <= $1 - $2 * interval '1 day'
)
"""


async def unsettled(conn: asyncpg.Connection) -> bool:
    """Whether the service's SLA pass has still to mark overdue or archive some
    appeals (come due since the seed): while it has, it is busy with them."""
    found = await conn.fetchval(_UNSETTLED, datetime.now(UTC), ARCHIVE_AFTER_DAYS)
    return bool(found)

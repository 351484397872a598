"""Caller identification time: `CustomerService.identify()` over 1,000,000 customers
with 2,000,000 phones written in varied formats, on SQLite and on PostgreSQL.

The generator bulk-loads (COPY on PostgreSQL, executemany on SQLite) into migrated
databases; lookups mix known numbers in other formats, shared numbers and strangers.
Last lines: `ani_lookup_sqlite_p99_ms=N`, then `ani_lookup_p99_ms=N` (PostgreSQL).
Run: .venv/bin/python -m bench.ani_lookup [--customers 1000000] [--runs 3]
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sqlite3
import statistics
import tempfile
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import asyncpg

from contactcentre.migrate import migrate
from crm_core.customers.service import CustomerService
from crm_core.db import make_engine, make_sessions
from crm_core.phone import normalise
from tests import servers

T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
CHUNK = 50_000
CUSTOMER_COLUMNS = (
    "id", "kind", "is_lead", "name", "name_folded", "category", "customer_group",
    "account", "balance", "emails", "sex", "birth_date", "city", "district",
    "building", "network_node", "addresses", "products", "equipment",
    "preferred_channels", "contact_persons", "notes", "created_at", "updated_at",
    "converted_at",
)  # fmt: skip
PHONE_COLUMNS = ("id", "customer_id", "raw", "e164", "extension", "kind", "is_primary")


class Clock:
    def now(self) -> datetime:
        return datetime.now(UTC)


def national(i: int) -> str:
    """A distinct 10-digit Russian number for phone slot `i` (mobile or Moscow)."""
    return f"{9 if i % 2 else 4}{(i * 7919) % 10**9:09d}"


def written(number: str, rng: random.Random) -> str:
    style = rng.randrange(5)
    if style == 0:
        return f"8 ({number[:3]}) {number[3:6]}-{number[6:8]}-{number[8:]}"
    if style == 1:
        return f"+7 {number[:3]} {number[3:]}"
    if style == 2:
        return f"007{number}"
    if style == 3:
        return number
    return f"8{number}"


def chunks(
    customers: int, seed: int
) -> Iterator[tuple[list[tuple[object, ...]], list[tuple[object, ...]]]]:
    """Customer and phone rows, CHUNK customers at a time; every 1000th customer's
    second number is shared with the customer before it."""
    rng = random.Random(seed)
    empty = "[]"
    for start in range(0, customers, CHUNK):
        people: list[tuple[object, ...]] = []
        phones: list[tuple[object, ...]] = []
        last_id = None
        for i in range(start, min(start + CHUNK, customers)):
            cid = uuid.UUID(int=i + 1)
            name = f"Customer {i}"
            people.append(
                (cid, "person", False, name, name.casefold(), "mass", None, f"A{i}",
                 Decimal(i % 1000), empty, None, None, "Москва", None, None, None,
                 empty, empty, empty, empty, empty, "", T0, T0, None)
            )  # fmt: skip
            for slot in (2 * i, 2 * i + 1):
                raw = written(national(slot), rng)
                e164 = normalise(raw)
                phones.append(
                    (uuid.uuid4(), cid, raw, e164, None, "mobile", slot % 2 == 0)
                )
                if slot % 2000 == 1 and last_id is not None:
                    phones.append(
                        (uuid.uuid4(), last_id, raw, e164, None, "home", False)
                    )
            last_id = cid
        yield people, phones


async def load_postgres(dsn: str, customers: int) -> None:
    conn = await asyncpg.connect(dsn)
    try:
        for people, phones in chunks(customers, seed=1):
            await conn.copy_records_to_table(
                "customers", records=people, columns=CUSTOMER_COLUMNS
            )
            await conn.copy_records_to_table(
                "customer_phones", records=phones, columns=PHONE_COLUMNS
            )
        await conn.execute("ANALYZE")
    finally:
        await conn.close()


def load_sqlite(path: Path, customers: int) -> None:
    db = sqlite3.connect(path)
    try:
        db.execute("PRAGMA synchronous=OFF")
        for people, phones in chunks(customers, seed=1):
            db.executemany(
                _insert_sql("customers", CUSTOMER_COLUMNS),
                [_sqlite_row(r) for r in people],
            )
            db.executemany(
                _insert_sql("customer_phones", PHONE_COLUMNS),
                [_sqlite_row(r) for r in phones],
            )
            db.commit()
        db.execute("ANALYZE")
    finally:
        db.close()


def _insert_sql(table: str, columns: tuple[str, ...]) -> str:
    marks = ",".join("?" * len(columns))
    return f"INSERT INTO {table} ({','.join(columns)}) VALUES ({marks})"  # noqa: S608  fixed names


def _sqlite_row(row: tuple[object, ...]) -> tuple[object, ...]:
    """Values as SQLAlchemy stores them in SQLite (hex UUIDs, text datetimes)."""
    out: list[object] = []
    for value in row:
        if isinstance(value, uuid.UUID):
            out.append(value.hex)
        elif isinstance(value, datetime):
            out.append(value.replace(tzinfo=None).isoformat(sep=" "))
        elif isinstance(value, Decimal):
            out.append(str(value))
        else:
            out.append(value)
    return tuple(out)


def lookups(customers: int, count: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    anis: list[str] = []
    for _ in range(count):
        if rng.random() < 0.8:
            anis.append(written(national(rng.randrange(2 * customers)), rng))
        else:
            anis.append(f"+1 212 555 {rng.randrange(10000):04d}")
    return anis


async def measure(url: str, anis: list[str], runs: int) -> float:
    """The median over `runs` of the p99 identify() time, in milliseconds."""
    engine = make_engine(url)
    service = CustomerService(make_sessions(engine), Clock())
    try:
        for ani in anis[:200]:  # warm the pool and the caches
            await service.identify(ani)
        p99s = []
        for _ in range(runs):
            times = []
            for ani in anis:
                started = time.perf_counter()
                await service.identify(ani)
                times.append((time.perf_counter() - started) * 1000)
            p99s.append(statistics.quantiles(times, n=100)[98])
        return statistics.median(p99s)
    finally:
        await engine.dispose()


async def main(customers: int, runs: int, count: int) -> None:
    anis = lookups(customers, count, seed=2)
    with tempfile.TemporaryDirectory(prefix="ani-bench-") as tmp:
        path = Path(tmp) / "bench.db"
        url = f"sqlite+aiosqlite:///{path}"
        await migrate(url)
        started = time.perf_counter()
        await asyncio.to_thread(load_sqlite, path, customers)
        print(f"sqlite: loaded in {time.perf_counter() - started:.0f}s")
        sqlite_p99 = await measure(url, anis, runs)
    with servers.postgres() as server:
        conn = await asyncpg.connect(server.dsn("postgres"))
        await conn.execute('CREATE DATABASE "bench"')
        await conn.close()
        await migrate(server.url("bench"))
        started = time.perf_counter()
        await load_postgres(server.dsn("bench"), customers)
        print(f"postgres: loaded in {time.perf_counter() - started:.0f}s")
        pg_p99 = await measure(server.url("bench"), anis, runs)
    print(f"customers={customers} phones={2 * customers} lookups={count} runs={runs}")
    print(f"ani_lookup_sqlite_p99_ms={sqlite_p99:.3f} ms")
    print(f"ani_lookup_p99_ms={pg_p99:.3f} ms")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--lookups", type=int, default=2000)
    args = parser.parse_args()
    asyncio.run(main(args.customers, args.runs, args.lookups))

"""Caller identification time with the machine busy: `CustomerService.identify()` over
1,000,000 customers with 2,000,000 phones written in varied formats, on SQLite and on
PostgreSQL, against the path it replaced (an ORM session on a pool that pings on
every checkout), measured in the same run.

The generator bulk-loads (COPY on PostgreSQL, executemany on SQLite) into migrated
databases; lookups mix known numbers in other formats, shared numbers and strangers.
While it measures, one process per other core hashes without pause and `--callers`
lookups are in flight at once. On PostgreSQL a third path runs the same query
straight through a bare asyncpg pool: the floor any code reaches on this machine
at that moment. In each run the paths take turns every 100 lookups, so load from
elsewhere falls on all; a figure is the median over runs of each run's p99,
printed with the runs' spread and the load average.
Left out: the rest of the service sharing the event loop and the pool, a database
on another host (a network round trip), and cold caches after a restart.
Last lines: `ani_lookup_sqlite_p99_ms=N`, then `ani_lookup_p99_ms=N` (PostgreSQL).
Run: .venv/bin/python -m bench.ani_lookup [--customers 1000000] [--runs 5]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import hashlib
import multiprocessing
import os
import random
import sqlite3
import statistics
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import asyncpg
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from contactcentre.migrate import migrate
from crm_core.customers import store
from crm_core.customers.model import Identification, Unknown, identification
from crm_core.customers.service import CustomerService
from crm_core.db import Sessions, is_sqlite, make_engine, make_sessions
from crm_core.phone import normalise, try_normalise
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


Identify = Callable[[str], Awaitable[Identification]]
TURN = 100
"""Lookups each path makes before the next takes its turn."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Workload:
    anis: list[str]
    runs: int
    callers: int
    """Lookups in flight at once."""


def burn() -> None:
    """Keep one core busy, as another tenant of the machine would."""
    block = bytes(1 << 16)
    while True:
        hashlib.sha256(block).digest()


@contextlib.contextmanager
def busy_machine() -> Iterator[int]:
    """One burning process per core but one, for as long as the block runs."""
    spawn = multiprocessing.get_context("spawn")
    burners = [
        spawn.Process(target=burn, daemon=True)
        for _ in range(max(1, (os.cpu_count() or 2) - 1))
    ]
    for process in burners:
        process.start()
    try:
        yield len(burners)
    finally:
        for process in burners:
            process.terminate()
        for process in burners:
            process.join()


def pinging_engine(url: str) -> AsyncEngine:
    """The engine as it was: PostgreSQL connections pinged on every checkout."""
    if is_sqlite(url):
        return make_engine(url)
    return create_async_engine(
        url,
        pool_size=10,
        max_overflow=20,
        pool_pre_ping=True,
        connect_args={"timeout": 10, "command_timeout": 60},
    )


def session_identify(sessions: Sessions) -> Identify:
    """identify() as it was: the query through an ORM session (BEGIN and ROLLBACK)."""

    async def identify(ani: str) -> Identification:
        e164 = try_normalise(ani, "RU")
        if e164 is None:
            return Unknown(ani=ani)
        async with sessions() as s:
            found = await store.candidates_for(s, e164)
        return identification(ani, found)

    return identify


async def timed(identify: Identify, anis: list[str], callers: int) -> list[float]:
    """Milliseconds each identify() over `anis` took, `callers` lookups at a time."""
    times: list[float] = []

    async def caller(mine: list[str]) -> None:
        for ani in mine:
            started = time.perf_counter()
            await identify(ani)
            times.append((time.perf_counter() - started) * 1000)

    async with asyncio.TaskGroup() as group:
        for i in range(callers):
            group.create_task(caller(anis[i::callers]))
    return times


BARE_SQL = (
    "SELECT c.id, c.name, c.kind, c.is_lead, c.category, c.customer_group, "
    "c.account, c.balance FROM customers c JOIN customer_phones p "
    "ON p.customer_id = c.id WHERE p.e164 = $1 LIMIT 20"
)


def bare_identify(pool: asyncpg.Pool) -> Identify:
    """The floor: identify()'s query and result, straight through asyncpg."""

    async def identify(ani: str) -> Identification:
        e164 = try_normalise(ani, "RU")
        if e164 is None:
            return Unknown(ani=ani)
        async with pool.acquire() as conn:
            rows = await conn.fetch(BARE_SQL, e164)
        return identification(ani, [store.summary_from(tuple(r)) for r in rows])

    return identify


@contextlib.asynccontextmanager
async def paths_on(url: str, dsn: str | None) -> AsyncIterator[dict[str, Identify]]:
    """identify() now and as it was, and with `dsn` the bare-driver floor; each
    path on its own pool."""
    engines = {"now": make_engine(url), "before": pinging_engine(url)}
    paths: dict[str, Identify] = {
        "now": CustomerService(make_sessions(engines["now"]), Clock()).identify,
        "before": session_identify(make_sessions(engines["before"])),
    }
    pool = (
        None if dsn is None else await asyncpg.create_pool(dsn, min_size=1, max_size=4)
    )
    try:
        if pool is not None:
            paths["floor"] = bare_identify(pool)
        yield paths
    finally:
        if pool is not None:
            await pool.close()
        for engine in engines.values():
            await engine.dispose()


async def compare(paths: dict[str, Identify], work: Workload) -> dict[str, list[float]]:
    """Per path, the p99 of each run. The paths take turns every TURN lookups, in
    an order reversed at each turn, so a burst of load from elsewhere hits all."""
    for identify in paths.values():  # fill the pools and statement caches
        await timed(identify, work.anis[:400], work.callers)
    p99s: dict[str, list[float]] = {name: [] for name in paths}
    for _ in range(work.runs):
        times: dict[str, list[float]] = {name: [] for name in paths}
        for turn, start in enumerate(range(0, len(work.anis), TURN)):
            for name in sorted(paths, reverse=turn % 2 == 1):
                chunk = work.anis[start : start + TURN]
                times[name] += await timed(paths[name], chunk, work.callers)
        for name, taken in times.items():
            p99s[name].append(statistics.quantiles(taken, n=100)[98])
    return p99s


LABELS = {"now": "p99", "before": "session + pre-ping", "floor": "bare asyncpg"}


async def measured(name: str, url: str, *, dsn: str | None, work: Workload) -> float:
    """Each path's p99 on `url` with the machine busy, printed; today's returned."""
    load = os.getloadavg()[0]
    async with paths_on(url, dsn) as paths:
        with busy_machine() as burners:
            p99s = await compare(paths, work)
    figures = "; ".join(
        f"{LABELS[path]} {statistics.median(p99s[path]):.3f} ms (runs "
        f"{min(p99s[path]):.3f}-{max(p99s[path]):.3f})"
        for path in p99s
    )
    print(
        f"{name}: {figures}; {burners} burning, load average {load:.1f} before, "
        f"{os.getloadavg()[0]:.1f} after"
    )
    return statistics.median(p99s["now"])


async def on_sqlite(customers: int, work: Workload) -> float:
    with tempfile.TemporaryDirectory(prefix="ani-bench-") as tmp:
        path = Path(tmp) / "bench.db"
        url = f"sqlite+aiosqlite:///{path}"
        await migrate(url)
        started = time.perf_counter()
        await asyncio.to_thread(load_sqlite, path, customers)
        print(f"sqlite: loaded in {time.perf_counter() - started:.0f}s")
        return await measured("sqlite", url, dsn=None, work=work)


async def on_postgres(customers: int, work: Workload) -> float:
    with servers.postgres() as server:
        await server.execute('CREATE DATABASE "bench"')
        url = server.url("bench")
        await migrate(url)
        started = time.perf_counter()
        await load_postgres(server.dsn("bench"), customers)
        print(f"postgres: loaded in {time.perf_counter() - started:.0f}s")
        return await measured("postgres", url, dsn=server.dsn("bench"), work=work)


async def main(customers: int, *, runs: int, count: int, callers: int) -> None:
    work = Workload(anis=lookups(customers, count, seed=2), runs=runs, callers=callers)
    sqlite = await on_sqlite(customers, work)
    postgres = await on_postgres(customers, work)
    print(
        f"customers={customers} phones={2 * customers} lookups={count} runs={runs} "
        f"callers={callers}"
    )
    print(f"ani_lookup_sqlite_p99_ms={sqlite:.3f} ms")
    print(f"ani_lookup_p99_ms={postgres:.3f} ms")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--lookups", type=int, default=2000)
    parser.add_argument("--callers", type=int, default=2)
    args = parser.parse_args()
    asyncio.run(
        main(args.customers, runs=args.runs, count=args.lookups, callers=args.callers)
    )

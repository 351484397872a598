"""Storing checked customer rows: batches written in one transaction each (COPY on
PostgreSQL), new accounts inserted, known ones updated, a failed batch retried row by
row. It does not read or check the file.
"""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from operator import itemgetter
from typing import Any

from pydantic_core import to_json
from sqlalchemy import JSON, Table, bindparam, delete, insert, select, update
from sqlalchemy.exc import DBAPIError, IntegrityError

from crm_core.customers.import_rows import ADDRESS_FIELDS, GoodRow, Rejected
from crm_core.customers.model import PhoneKind
from crm_core.customers.tables import CustomerPhoneRow, CustomerRow
from crm_core.db import AsyncSession, Sessions

_POSTGRES_WRITERS = 2


_CUSTOMERS = CustomerRow.metadata.tables[CustomerRow.__tablename__]
_PHONES = CustomerRow.metadata.tables[CustomerPhoneRow.__tablename__]


@dataclass(slots=True)
class Tally:
    read: int = 0
    imported: int = 0
    updated: int = 0
    rejected: list[Rejected] = field(default_factory=list)


async def bulk_insert(
    s: AsyncSession, table: Table, rows: list[dict[str, object]]
) -> None:
    """Insert `rows` (dicts with the same keys) into `table` in the session's
    transaction: COPY on PostgreSQL, one executemany elsewhere."""
    conn = await s.connection()
    if conn.dialect.name != "postgresql":
        await s.execute(insert(table), rows)
        return
    # asyncpg opens the transaction on the first statement; COPY alone would not.
    await conn.execute(select(1))
    raw = await conn.get_raw_connection()
    columns = list(rows[0])
    json_at = [i for i, c in enumerate(columns) if isinstance(table.c[c].type, JSON)]
    pick = itemgetter(*columns)
    records: list[Sequence[object]] = []
    if not json_at:
        records = [pick(r) for r in rows]
    for r in rows if json_at else ():
        record = list(pick(r))
        for i in json_at:
            record[i] = _json(record[i])
        records.append(record)
    driver: Any = raw.driver_connection  # asyncpg.Connection (untyped)
    await driver.copy_records_to_table(table.name, records=records, columns=columns)


def _json(value: object) -> str:
    """Compact JSON text (pydantic-core's encoder: several times the stdlib's pace)."""
    return "[]" if value == [] else to_json(value).decode()


_V4_CHUNK = 256
_V4_KEEP = int.from_bytes(bytes.fromhex("ffffffffffff0fff3fffffffffffffff") * _V4_CHUNK)
_V4_SET = int.from_bytes(bytes.fromhex("00000000000040008000000000000000") * _V4_CHUNK)


def new_ids(count: int) -> list[uuid.UUID]:
    """`count` random (version 4) UUIDs, as uuid4() makes them, from one read of the
    system's random source per 256 (uuid4() costs a system call each)."""
    ids: list[uuid.UUID] = []
    size = 16 * _V4_CHUNK
    while len(ids) < count:
        bits = int.from_bytes(os.urandom(size)) & _V4_KEEP | _V4_SET
        raw = bits.to_bytes(size)
        ids.extend(uuid.UUID(bytes=raw[i : i + 16]) for i in range(0, size, 16))
    del ids[count:]
    return ids


class BatchWriter:
    """Stores a batch of good rows in one transaction: inserts new accounts, updates
    known ones; if the batch fails, retries its rows one by one.

    On PostgreSQL two batches are written at once on two connections (the server
    stores one while the other is encoded and sent); a batch sharing an account with
    one being written waits for it, so the later row still wins."""

    def __init__(
        self,
        sessions: Sessions,
        *,
        columns: Sequence[str],
        country: str,
        batch_rows: int,
        tasks: asyncio.TaskGroup,
    ) -> None:
        self._sessions = sessions
        self._tasks = tasks
        self._writing: list[tuple[asyncio.Task[None], set[str]]] = []
        bind = sessions.kw.get("bind")
        on_postgres = bind is not None and bind.dialect.name == "postgresql"
        self._writers = _POSTGRES_WRITERS if on_postgres else 1
        self._queued = 0
        self._batch_rows = batch_rows
        self._batch: list[GoodRow] = []
        self._accounts: set[str] = set()
        self._country = country
        present = {"customer_group" if c == "group" else c for c in columns}
        present |= {"emails"} if "email" in columns else set()
        present |= {"name_folded"} if "name" in columns else set()
        self._update_columns = sorted(
            (present & set(_CUSTOMERS.columns.keys()))
            | ({"addresses"} if present & set(ADDRESS_FIELDS) else set())
        )
        self._replace_phones = "phones" in columns

    async def add(self, row: GoodRow, tally: Tally) -> bool:
        """Queue `row`; True when a full batch was written."""
        account = row.account
        if account is not None and account in self._accounts:
            await self.flush(tally)  # the later row must win: store the earlier first
        self._batch.append(row)
        if account is not None:
            self._accounts.add(account)
        self._queued += 1
        if self._queued % 64 == 0:
            await asyncio.sleep(0)  # let the batch being written move on
        if len(self._batch) < self._batch_rows:
            return False
        await self.flush(tally)
        return True

    async def flush(self, tally: Tally) -> None:
        """Start writing the queued rows once a writer is free and no batch being
        written holds one of their accounts."""
        batch, accounts = self._batch, self._accounts
        self._batch, self._accounts = [], set()
        if not batch:
            return
        if any(not accounts.isdisjoint(held) for _, held in self._writing):
            await self.drain()
        while len(self._writing) >= self._writers:
            await self._writing.pop(0)[0]
        task = self._tasks.create_task(self.write(batch, tally))
        self._writing.append((task, accounts))
        await asyncio.sleep(0)

    async def drain(self) -> None:
        while self._writing:
            await self._writing.pop(0)[0]

    async def write(self, batch: list[GoodRow], tally: Tally) -> None:
        if not batch:
            return
        try:
            async with self._sessions.begin() as s:
                imported, updated = await self._store(s, batch)
        except (IntegrityError, DBAPIError):
            if len(batch) == 1:
                tally.rejected.append(
                    Rejected(
                        row=batch[0].row,
                        raw=batch[0].raw,
                        errors="the database refused the row (duplicate account?)",
                    )
                )
                return
            for row in batch:
                await self.write([row], tally)
            return
        tally.imported += imported
        tally.updated += updated

    async def _store(self, s: AsyncSession, batch: list[GoodRow]) -> tuple[int, int]:
        now = datetime.now(UTC)
        accounts = [r.account for r in batch if r.account is not None]
        known: dict[str, uuid.UUID] = {}
        if accounts:
            found = await s.execute(
                select(CustomerRow.account, CustomerRow.id).where(
                    CustomerRow.account.in_(accounts)
                )
            )
            known = {str(a): i for a, i in found.all()}
        ids = iter(new_ids(len(batch) + sum(len(good.phones) for good in batch)))
        new_rows: list[dict[str, object]] = []
        changed_rows: list[dict[str, object]] = []
        phones: list[dict[str, object]] = []
        mobile = PhoneKind.MOBILE.value
        for good in batch:
            existing = known.get(good.account or "")
            customer_id = existing or next(ids)
            values = {
                "id": customer_id,
                **good.values,
                "created_at": now,
                "updated_at": now,
            }
            if existing is None:
                new_rows.append(values)
            else:
                changed_rows.append(values)
            if existing is None or self._replace_phones:
                phones.extend(
                    {
                        "id": next(ids),
                        "customer_id": customer_id,
                        "raw": raw,
                        "e164": e164,
                        "extension": extension,
                        "kind": mobile,
                        "is_primary": i == 0,
                    }
                    for i, (raw, e164, extension) in enumerate(good.phones)
                )
        if new_rows:
            await bulk_insert(s, _CUSTOMERS, new_rows)
        if changed_rows:
            await self._update(s, changed_rows)
        if phones:
            await bulk_insert(s, _PHONES, phones)
        return len(new_rows), len(changed_rows)

    async def _update(self, s: AsyncSession, rows: list[dict[str, object]]) -> None:
        table = _CUSTOMERS
        statement = (
            update(table)
            .where(table.c.id == bindparam("b_id"))
            .values(
                {c: bindparam(f"b_{c}") for c in [*self._update_columns, "updated_at"]}
            )
        )
        params = [
            {
                "b_id": r["id"],
                **{f"b_{c}": r[c] for c in [*self._update_columns, "updated_at"]},
            }
            for r in rows
        ]
        await s.execute(statement, params)
        if self._replace_phones:
            await s.execute(
                delete(CustomerPhoneRow).where(
                    CustomerPhoneRow.customer_id.in_([r["id"] for r in rows])
                )
            )

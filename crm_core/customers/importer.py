"""CSV import of customers: a bad row is reported, never aborts the import.

File format: the first line is a header; columns are matched by name (any case):

    name            required; the person's or organisation's name
    kind            person (default) or organisation
    phones          one or more numbers separated by `;` (or `,` inside quotes)
    email           one or more addresses separated by `;`
    category        BIS, VIP, mass (default), ...
    group           the customer group (visibility)
    account         the account number; a row with a known account updates it
    balance         decimal, `.` or `,` as the separator
    sex             m or f
    birth_date      YYYY-MM-DD or DD.MM.YYYY
    city, district, street, building, flat, network_node
    products, equipment   lists separated by `;`
    notes

Other columns are reported once and ignored. Fields are separated by `,`, `;` or tab
(whichever the header uses). The encoding is UTF-8 (with or without BOM) or cp1251,
detected by trying strict UTF-8 first, unless the caller names it.
"""

from __future__ import annotations

import asyncio
import csv
import gc
import io
import logging
import os
import re
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from functools import lru_cache
from operator import itemgetter
from pathlib import Path
from typing import Any

from pydantic_core import to_json
from sqlalchemy import JSON, Table, bindparam, delete, insert, select, update
from sqlalchemy.exc import DBAPIError, IntegrityError

from crm_core.customers.inputs import CustomerInput, is_email, parse
from crm_core.customers.model import CustomerKind, PhoneKind
from crm_core.customers.tables import CustomerPhoneRow, CustomerRow
from crm_core.db import AsyncSession, Sessions
from crm_core.errors import CrmError, ValidationFailed
from crm_core.phone import InvalidPhone, parse_phone

log = logging.getLogger(__name__)

Progress = Callable[[int, int], None]
"""Called with (rows read, rows expected) after each batch."""

BATCH_ROWS = 2000
_POSTGRES_WRITERS = 2
LIST_FIELDS = ("phones", "email", "products", "equipment")
ADDRESS_FIELDS = ("city", "district", "street", "building", "flat", "network_node")
KNOWN_COLUMNS = frozenset(
    {
        "name", "kind", "phones", "email", "category", "group", "account",
        "balance", "sex", "birth_date", "products", "equipment", "notes",
        *ADDRESS_FIELDS,
    }
)  # fmt: skip
_CUSTOMERS = CustomerRow.metadata.tables[CustomerRow.__tablename__]
_PHONES = CustomerRow.metadata.tables[CustomerPhoneRow.__tablename__]
_COLUMN_OF_FIELD = {"customer_group": "group", "emails": "email"}


class ImportFailed(CrmError):
    """The file as a whole cannot be read (missing, empty, wrong encoding)."""

    error_id = "import_failed"


@dataclass(frozen=True, slots=True, kw_only=True)
class ImportSummary:
    read: int
    imported: int
    updated: int
    rejected: int
    seconds: float
    encoding: str
    unknown_columns: tuple[str, ...] = ()
    report_path: Path | None = None

    @property
    def rows_per_s(self) -> float:
        return self.read / self.seconds if self.seconds > 0 else 0.0


@dataclass(frozen=True, slots=True, kw_only=True)
class Rejected:
    row: int
    """The record's number in the file, the header being 1."""
    raw: tuple[str, ...]
    errors: str


PhoneValues = tuple[str, str, str | None]
"""(as written, E.164, extension) of one number; the first one is the primary."""


@dataclass(frozen=True, slots=True, kw_only=True)
class GoodRow:
    row: int
    raw: tuple[str, ...]
    account: str | None
    values: dict[str, object]
    """The customers row, without id and timestamps."""
    phones: tuple[PhoneValues, ...]


@dataclass(slots=True)
class _Tally:
    read: int = 0
    imported: int = 0
    updated: int = 0
    rejected: list[Rejected] = field(default_factory=list)


def decode(content: bytes, encoding: str | None) -> tuple[str, str]:
    """The text of the file and the encoding used; ImportFailed if it will not read."""
    if encoding is not None:
        try:
            return content.decode(encoding), encoding
        except LookupError:
            raise ImportFailed(f"unknown encoding {encoding!r}") from None
        except UnicodeDecodeError as exc:
            line = content[: exc.start].count(b"\n") + 1
            raise ImportFailed(
                f"the file is not {encoding} (line {line}); "
                "try another encoding, e.g. cp1251 or utf-8"
            ) from None
    if content.startswith(b"\xef\xbb\xbf"):
        return decode(content, "utf-8-sig")
    try:
        return content.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        return content.decode("cp1251", errors="replace"), "cp1251"


def delimiter_of(header_line: str) -> str:
    return max((",", ";", "\t"), key=header_line.count)


def _split(value: str) -> list[str]:
    return [part.strip() for part in value.replace(",", ";").split(";") if part.strip()]


def _birth_date(value: str) -> str:
    day, sep, rest = value.partition(".")
    if sep and rest.count(".") == 1:
        month, year = rest.split(".")
        return f"{year}-{month.zfill(2)}-{day.zfill(2)}"
    return value


Handler = Callable[[dict[str, object], dict[str, str], str], None]


def _set(key: str, convert: Callable[[str], object] = str) -> Handler:
    def handle(data: dict[str, object], _address: dict[str, str], value: str) -> None:
        data[key] = convert(value)

    return handle


def _address_part(key: str, *, on_card: bool) -> Handler:
    def handle(data: dict[str, object], address: dict[str, str], value: str) -> None:
        address[key] = value
        if on_card:
            data[key] = value

    return handle


_HANDLERS: dict[str, Handler] = {
    "name": _set("name"),
    "kind": _set("kind"),
    "category": _set("category"),
    "account": _set("account"),
    "notes": _set("notes"),
    "phones": _set("phones", lambda v: [{"number": n} for n in _split(v)]),
    "email": _set("emails", _split),
    "products": _set("products", _split),
    "equipment": _set("equipment", _split),
    "group": _set("customer_group"),
    "balance": _set("balance", lambda v: v.replace(" ", "").replace(",", ".")),
    "birth_date": _set("birth_date", _birth_date),
    "sex": _set("sex", str.lower),
    **{
        f: _address_part(f, on_card=f not in ("street", "flat")) for f in ADDRESS_FIELDS
    },
}


@lru_cache(maxsize=16)
def _plan(columns: tuple[str, ...]) -> tuple[tuple[int, Handler], ...]:
    return tuple((i, _HANDLERS[c]) for i, c in enumerate(columns) if c in _HANDLERS)


def row_input(columns: Sequence[str], values: Sequence[str]) -> dict[str, object]:
    """A CSV record as CustomerInput data (only the known, non-empty columns)."""
    data: dict[str, object] = {}
    address: dict[str, str] = {}
    for i, handle in _plan(tuple(columns)):
        value = values[i].strip()
        if value:
            handle(data, address, value)
    if address:
        data["addresses"] = [address]
    return data


def check_row(
    number: int, columns: Sequence[str], values: Sequence[str], country: str
) -> GoodRow | Rejected:
    """The row ready to store, or why not. A clean row is checked by hand (this runs
    for every row of a file); anything the quick check does not accept outright goes
    through the CustomerInput model, which gives the same errors as the API."""
    raw = tuple(values)
    if len(values) != len(columns):
        return Rejected(
            row=number,
            raw=raw,
            errors=f"{len(values)} fields, the header has {len(columns)}",
        )
    quick = quick_row(columns, values, country)
    if quick is not None:
        row, phones = quick
        return GoodRow(
            row=number,
            raw=raw,
            account=row["account"],  # type: ignore[arg-type]  # str | None by build
            values=row,
            phones=phones,
        )
    try:
        data = parse(CustomerInput, row_input(columns, values), country=country)
    except ValidationFailed as exc:
        message = "; ".join(f"{_column(e.field)}: {e.message}" for e in exc.errors)
        return Rejected(row=number, raw=raw, errors=message)
    return GoodRow(
        row=number,
        raw=raw,
        account=data.account,
        values=customer_values(data),
        phones=tuple(
            (p.raw, p.e164, p.extension)
            for p in (p.to_phone(country) for p in data.phones)
        ),
    )


_BLANK_ROW: dict[str, object] = {
    "kind": CustomerKind.PERSON.value,
    "is_lead": False,
    "name": "",
    "name_folded": "",
    "category": "mass",
    "customer_group": None,
    "account": None,
    "balance": Decimal(0),
    "emails": [],
    "sex": None,
    "birth_date": None,
    "city": None,
    "district": None,
    "building": None,
    "network_node": None,
    "addresses": [],
    "products": [],
    "equipment": [],
    "preferred_channels": [],
    "contact_persons": [],
    "notes": "",
    "converted_at": None,
}
"""A CustomerInput's defaults as a customers row (the lists are never mutated)."""

_Phones = list[PhoneValues]
QuickCheck = Callable[[dict[str, object], dict[str, str], _Phones, str, str], bool]
"""(row, address, phones, value, country) -> False when the value needs the model."""
_BALANCE = re.compile(r"-?\d{1,12}(?:\.\d{1,2})?")
_ISO_DATE = re.compile(r"(\d{4})-(\d{2})-(\d{2})")
_KINDS = frozenset(k.value for k in CustomerKind)


def _quick_text(key: str, longest: int) -> QuickCheck:
    def check(
        row: dict[str, object], _a: dict[str, str], _p: _Phones, value: str, _c: str
    ) -> bool:
        row[key] = value
        return len(value) <= longest

    return check


def _quick_list(key: str, longest: int, items: int) -> QuickCheck:
    def check(
        row: dict[str, object], _a: dict[str, str], _p: _Phones, value: str, _c: str
    ) -> bool:
        parts = _split(value)
        row[key] = parts
        return len(parts) <= items and all(len(p) <= longest for p in parts)

    return check


def _quick_address(key: str, longest: int, *, on_card: bool) -> QuickCheck:
    def check(
        row: dict[str, object],
        address: dict[str, str],
        _p: _Phones,
        value: str,
        _c: str,
    ) -> bool:
        address[key] = value
        if on_card:
            row[key] = value
        return len(value) <= longest

    return check


def _quick_name(
    row: dict[str, object], _a: dict[str, str], _p: _Phones, value: str, _c: str
) -> bool:
    row["name"] = value
    row["name_folded"] = value.casefold()[:300]
    return len(value) <= 300


def _quick_kind(
    row: dict[str, object], _a: dict[str, str], _p: _Phones, value: str, _c: str
) -> bool:
    row["kind"] = value
    return value in _KINDS


def _quick_balance(
    row: dict[str, object], _a: dict[str, str], _p: _Phones, value: str, _c: str
) -> bool:
    value = value.replace(" ", "").replace(",", ".")
    if _BALANCE.fullmatch(value) is None:
        return False
    row["balance"] = Decimal(value)
    return True


def _quick_sex(
    row: dict[str, object], _a: dict[str, str], _p: _Phones, value: str, _c: str
) -> bool:
    value = value.lower()
    row["sex"] = value
    return value in ("m", "f")


@lru_cache(maxsize=1 << 16)
def _iso_date(text: str) -> date | None:
    """`YYYY-MM-DD` as a date; None for anything else (the model says what is wrong).
    Cached: a file holds a few tens of thousands of distinct birth dates at most."""
    match = _ISO_DATE.fullmatch(text)
    if match is None:
        return None
    try:
        return date(int(match[1]), int(match[2]), int(match[3]))
    except ValueError:
        return None


def _quick_birth_date(
    row: dict[str, object], _a: dict[str, str], _p: _Phones, value: str, _c: str
) -> bool:
    born = _iso_date(_birth_date(value))
    row["birth_date"] = born
    return born is not None and born.year >= 1900


def _quick_emails(
    row: dict[str, object], _a: dict[str, str], _p: _Phones, value: str, _c: str
) -> bool:
    parts = _split(value)
    row["emails"] = parts
    return len(parts) <= 10 and all(len(p) <= 254 and is_email(p) for p in parts)


def _quick_phones(
    _r: dict[str, object],
    _a: dict[str, str],
    phones: _Phones,
    value: str,
    country: str,
) -> bool:
    numbers = _split(value)
    if len(numbers) > 20:
        return False
    for number in numbers:
        if len(number) > 64:
            return False
        try:
            parsed = parse_phone(number, country)
        except InvalidPhone:
            return False
        phones.append((number, parsed.e164, parsed.extension))
    return True


_QUICK: dict[str, QuickCheck] = {
    "name": _quick_name,
    "kind": _quick_kind,
    "category": _quick_text("category", 40),
    "account": _quick_text("account", 40),
    "group": _quick_text("customer_group", 40),
    "notes": _quick_text("notes", 10_000),
    "phones": _quick_phones,
    "email": _quick_emails,
    "products": _quick_list("products", 100, 100),
    "equipment": _quick_list("equipment", 100, 100),
    "balance": _quick_balance,
    "birth_date": _quick_birth_date,
    "sex": _quick_sex,
    "city": _quick_address("city", 100, on_card=True),
    "district": _quick_address("district", 100, on_card=True),
    "street": _quick_address("street", 200, on_card=False),
    "building": _quick_address("building", 100, on_card=True),
    "flat": _quick_address("flat", 20, on_card=False),
    "network_node": _quick_address("network_node", 100, on_card=True),
}


@lru_cache(maxsize=16)
def _quick_plan(columns: tuple[str, ...]) -> tuple[tuple[int, QuickCheck], ...]:
    return tuple((i, _QUICK[c]) for i, c in enumerate(columns) if c in _QUICK)


def quick_row(
    columns: Sequence[str], values: Sequence[str], country: str
) -> tuple[dict[str, object], tuple[PhoneValues, ...]] | None:
    """The customers row and phones of a record that is plainly valid, as the
    CustomerInput model would give them; None when the model has to decide."""
    row = _BLANK_ROW.copy()
    address: dict[str, str] = {}
    phones: _Phones = []
    for i, check in _quick_plan(tuple(columns)):
        value = values[i].strip()
        if value and not check(row, address, phones, value, country):
            return None
    if not row["name"]:
        return None
    if address:
        row["addresses"] = [{f: address.get(f) for f in ADDRESS_FIELDS}]
    return row, tuple(phones)


def _column(field_path: str) -> str:
    head = field_path.split("[", 1)[0].split(".", 1)[0]
    if head == "addresses":
        return field_path.rsplit(".", 1)[-1]
    return _COLUMN_OF_FIELD.get(head, head) + field_path[len(head) :]


def records(text: str, delimiter: str) -> Iterator[tuple[int, list[str] | str]]:
    """(record number, fields) per data record, or (number, error) for a broken one."""
    reader = csv.reader(io.StringIO(text), delimiter=delimiter, strict=True)
    number = 1
    while True:
        number += 1
        try:
            values = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            yield number, f"unreadable CSV: {exc}"
            continue
        if values:
            yield number, values


@dataclass(frozen=True, slots=True, kw_only=True)
class _Source:
    header: list[str]
    columns: list[str]
    delimiter: str
    body: str
    encoding: str
    expected_rows: int
    unknown_columns: tuple[str, ...]


async def _open(path: Path, encoding: str | None) -> _Source:
    try:
        content = await asyncio.to_thread(path.read_bytes)
    except OSError as exc:
        raise ImportFailed(f"cannot read {path}: {exc.strerror}") from None
    text, used = decode(content, encoding)
    header_line, _, body = text.partition("\n")
    if not header_line.strip():
        raise ImportFailed(f"{path} has no header line")
    delimiter = delimiter_of(header_line)
    header = next(csv.reader([header_line], delimiter=delimiter))
    columns = [c.strip().lower() for c in header]
    if "name" not in columns:
        raise ImportFailed(f"{path}: the header has no `name` column")
    unknown = tuple(c for c in columns if c not in KNOWN_COLUMNS)
    if unknown:
        log.warning("import %s: unknown columns ignored: %s", path, ", ".join(unknown))
    return _Source(
        header=header,
        columns=columns,
        delimiter=delimiter,
        body=body,
        encoding=used,
        expected_rows=body.count("\n") + (0 if body.endswith("\n") else 1),
        unknown_columns=unknown,
    )


@contextmanager
def _long_lived_heap_frozen() -> Iterator[None]:
    """Keep the collector's full passes off the long-lived heap while rows stream
    through: every row's objects die young, and scanning the loaded modules' objects
    on each pass cost a quarter of the import's CPU."""
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


async def _import_rows(
    sessions: Sessions,
    source: _Source,
    tally: _Tally,
    *,
    progress: Progress | None,
    country: str,
    batch_rows: int,
) -> None:
    async with asyncio.TaskGroup() as tasks:
        writer = _BatchWriter(
            sessions,
            columns=source.columns,
            country=country,
            batch_rows=batch_rows,
            tasks=tasks,
        )
        for number, record in records(source.body, source.delimiter):
            tally.read += 1
            checked = (
                Rejected(row=number, raw=(), errors=record)
                if isinstance(record, str)
                else check_row(number, source.columns, record, country)
            )
            if isinstance(checked, Rejected):
                tally.rejected.append(checked)
            elif await writer.add(checked, tally) and progress is not None:
                progress(tally.read, max(source.expected_rows, tally.read))
        await writer.flush(tally)
        await writer.drain()


async def import_customers(
    sessions: Sessions,
    path: Path,
    *,
    encoding: str | None = None,
    report_path: Path | None = None,
    progress: Progress | None = None,
    default_country: str = "RU",
    batch_rows: int = BATCH_ROWS,
) -> ImportSummary:
    """Import (or update, by account number) the customers in the CSV at `path`.

    Bad rows go to `report_path` (CSV: row, errors, then the row's fields) and are
    counted as rejected; good rows are stored in batches, each batch all or nothing,
    one batch being written while the next is read. Raises ImportFailed only when the
    file as a whole cannot be read.
    """
    started = time.perf_counter()
    source = await _open(path, encoding)
    tally = _Tally()
    with _long_lived_heap_frozen():
        await _import_rows(
            sessions,
            source,
            tally,
            progress=progress,
            country=default_country,
            batch_rows=batch_rows,
        )
    if progress is not None:
        progress(tally.read, tally.read)
    if report_path is not None:
        rejected = tally.rejected
        await asyncio.to_thread(_write_report, report_path, source.header, rejected)
    return ImportSummary(
        read=tally.read,
        imported=tally.imported,
        updated=tally.updated,
        rejected=len(tally.rejected),
        seconds=time.perf_counter() - started,
        encoding=source.encoding,
        unknown_columns=source.unknown_columns,
        report_path=report_path,
    )


def customer_values(data: CustomerInput) -> dict[str, object]:
    """The customers row for `data`, without id and timestamps; the same mapping as a
    card's, without building one."""
    return {
        "kind": data.kind.value,
        "is_lead": False,
        "name": data.name,
        "name_folded": data.name.casefold()[:300],
        "category": data.category,
        "customer_group": data.customer_group,
        "account": data.account,
        "balance": data.balance,
        "emails": data.emails,
        "sex": data.sex,
        "birth_date": data.birth_date,
        "city": data.city,
        "district": data.district,
        "building": data.building,
        "network_node": data.network_node,
        "addresses": [a.model_dump() for a in data.addresses],
        "products": data.products,
        "equipment": data.equipment,
        "preferred_channels": [c.value for c in data.preferred_channels],
        "contact_persons": [p.model_dump() for p in data.contact_persons],
        "notes": data.notes,
        "converted_at": None,
    }


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


def _write_report(path: Path, header: Sequence[str], rejected: list[Rejected]) -> None:
    with path.open("w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(["row", "errors", *header])
        for r in rejected:
            writer.writerow([r.row, r.errors, *r.raw])


class _BatchWriter:
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

    async def add(self, row: GoodRow, tally: _Tally) -> bool:
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

    async def flush(self, tally: _Tally) -> None:
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

    async def write(self, batch: list[GoodRow], tally: _Tally) -> None:
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

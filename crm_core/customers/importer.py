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
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from crm_core.customers.import_rows import Rejected, check_row
from crm_core.customers.import_source import CsvSource, open_source, records
from crm_core.customers.import_writer import BatchWriter, Tally
from crm_core.db import Sessions

Progress = Callable[[int, int], None]
"""Called with (rows read, rows expected) after each batch."""

BATCH_ROWS = 2000


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
    source: CsvSource,
    tally: Tally,
    *,
    progress: Progress | None,
    country: str,
    batch_rows: int,
) -> None:
    async with asyncio.TaskGroup() as tasks:
        writer = BatchWriter(
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
    source = await open_source(path, encoding)
    tally = Tally()
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


def _write_report(path: Path, header: Sequence[str], rejected: list[Rejected]) -> None:
    with path.open("w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(["row", "errors", *header])
        for r in rejected:
            writer.writerow([r.row, r.errors, *r.raw])

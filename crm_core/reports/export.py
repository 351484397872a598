"""Export report tables and search results to CSV, XLSX and HTML, streamed row by row
to a binary file so that millions of rows are never held in memory.

CSV is UTF-8 (with a BOM on request, for Excel); XLSX uses openpyxl's write-only mode
(rows go to a temporary file until the workbook is saved); HTML is one escaped table.
Text a spreadsheet would run as a formula (`looks_like_formula`) stays text in both
CSV and XLSX.
"""

from __future__ import annotations

import csv
import html
import io
import re
import uuid
from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from enum import StrEnum
from typing import BinaryIO, Protocol

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.cell.cell import Cell as XlCell
from openpyxl.styles.numbers import FORMAT_DATE_TIMEDELTA

from crm_core.auth.model import Actor, Permission
from crm_core.auth.rights import require
from crm_core.reports.filters import AppealFilter
from crm_core.reports.model import HIT_COLUMNS, Cell, Column, Table, hit_row
from crm_core.reports.search import AppealSearch


class ExportFormat(StrEnum):
    CSV = "csv"
    XLSX = "xlsx"
    HTML = "html"


MEDIA_TYPES = {
    ExportFormat.CSV: "text/csv; charset=utf-8",
    ExportFormat.XLSX: (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    ),
    ExportFormat.HTML: "text/html; charset=utf-8",
}


FORMULA_LEADS = ("=", "+", "-", "@", "\t", "\r", "\uff1d", "\uff0b", "\uff0d", "\uff20")
"""What makes Excel, LibreOffice or Google Sheets read a cell as a formula (DDE
`=cmd|...`, `@SUM(...)`), full-width forms included (Excel takes them too)."""
_PLAIN_NUMBER = re.compile(r"[+-][0-9][0-9 ().,-]*")
"""A signed number or an international phone number: nothing to run."""
FORMULA_GUARD = "'"
"""Prefix that makes a spreadsheet show the cell as text (OWASP's advice for CSV)."""


def looks_like_formula(value: str) -> bool:
    """Whether a spreadsheet would evaluate `value`: the one rule both the CSV and
    the XLSX writers neutralise by (phone numbers such as +7 495 ... stay as they
    are)."""
    return value.startswith(FORMULA_LEADS) and not _PLAIN_NUMBER.fullmatch(value)


def csv_text(cell: Cell) -> str:
    """A cell as CSV text: `text`, with a formula-like string guarded by `'`."""
    shown = text(cell)
    if isinstance(cell, str) and looks_like_formula(shown):
        return FORMULA_GUARD + shown
    return shown


class TableWriter(Protocol):
    """Writes a header on opening, rows as they come, and the end on close."""

    def write(self, rows: Iterable[Sequence[Cell]]) -> None: ...

    def close(self) -> None: ...


def text(cell: Cell) -> str:
    """A cell as text: ISO dates, durations as h:mm:ss, plain decimals, true/false,
    empty for None."""
    match cell:
        case None:
            return ""
        case timedelta():
            whole = round(cell.total_seconds())
            sign, whole = ("-", -whole) if whole < 0 else ("", whole)
            minutes, seconds = divmod(whole, 60)
            hours, minutes = divmod(minutes, 60)
            return f"{sign}{hours}:{minutes:02d}:{seconds:02d}"
        case bool():
            return "true" if cell else "false"
        case datetime():
            return cell.astimezone(UTC).isoformat() if cell.tzinfo else cell.isoformat()
        case date() | uuid.UUID():
            return str(cell)
        case Decimal():
            return format(cell, "f")
        case str() | int() | float():
            return str(cell)


class CsvWriter:
    def __init__(
        self, out: BinaryIO, columns: Sequence[Column], *, bom: bool = False
    ) -> None:
        self._text = io.TextIOWrapper(
            out, encoding="utf-8-sig" if bom else "utf-8", newline=""
        )
        self._csv = csv.writer(self._text)
        self._csv.writerow([c.label for c in columns])

    def write(self, rows: Iterable[Sequence[Cell]]) -> None:
        self._csv.writerows([csv_text(cell) for cell in row] for row in rows)

    def close(self) -> None:
        self._text.flush()
        self._text.detach()  # the caller owns `out`


class XlsxWriter:
    def __init__(
        self, out: BinaryIO, columns: Sequence[Column], *, title: str = "Report"
    ) -> None:
        self._out = out
        self._book = Workbook(write_only=True)
        self._sheet = self._book.create_sheet(title=_sheet_title(title))
        self._sheet.append([c.label for c in columns])

    def write(self, rows: Iterable[Sequence[Cell]]) -> None:
        for row in rows:
            self._sheet.append([self._cell(value) for value in row])

    def _cell(self, value: Cell) -> XlCell:
        match value:
            case None | bool() | int() | float():
                return WriteOnlyCell(self._sheet, value=value)
            case Decimal():  # shown with the places it has (12.50 as 12.50)
                cell = WriteOnlyCell(self._sheet, value=float(value))
                exponent = value.as_tuple().exponent
                if isinstance(exponent, int) and -10 <= exponent < 0:
                    cell.number_format = "0." + "0" * -exponent
                return cell
            case datetime():
                # Excel has no time zones: write the UTC wall-clock time (a naive
                # moment is a wall-clock time already, as the caller chose it).
                if value.tzinfo is not None:
                    value = value.astimezone(UTC).replace(tzinfo=None)
                return WriteOnlyCell(self._sheet, value=value)
            case timedelta():  # a fraction of a day, as Excel keeps durations
                days = value.total_seconds() / 86_400
                cell = WriteOnlyCell(self._sheet, value=days)
                cell.number_format = FORMAT_DATE_TIMEDELTA
                return cell
            case date():
                midnight = datetime.combine(value, time())
                cell = WriteOnlyCell(self._sheet, value=midnight)
                cell.number_format = "yyyy-mm-dd"
                return cell
            case str() | uuid.UUID():
                shown = ILLEGAL_CHARACTERS_RE.sub("", str(value))
                cell = WriteOnlyCell(self._sheet, value=shown)
                cell.data_type = "s"  # "=..." stays text, never a formula
                # and stays text when someone edits the cell in Excel
                cell.quotePrefix = looks_like_formula(shown)
                return cell

    def close(self) -> None:
        self._book.save(self._out)


class HtmlWriter:
    def __init__(
        self, out: BinaryIO, columns: Sequence[Column], *, title: str = "Report"
    ) -> None:
        self._out = out
        head = "".join(f"<th>{html.escape(c.label)}</th>" for c in columns)
        self._put(
            '<!DOCTYPE html>\n<html><head><meta charset="utf-8">'
            f"<title>{html.escape(title)}</title><style>{_STYLE}</style></head>"
            f"<body><h1>{html.escape(title)}</h1><table><thead><tr>{head}</tr>"
            "</thead><tbody>\n"
        )

    def _put(self, chunk: str) -> None:
        self._out.write(chunk.encode())

    def write(self, rows: Iterable[Sequence[Cell]]) -> None:
        for row in rows:
            cells = "".join(f"<td>{html.escape(text(v))}</td>" for v in row)
            self._put(f"<tr>{cells}</tr>\n")

    def close(self) -> None:
        self._put("</tbody></table></body></html>\n")


_STYLE = (
    "body{font-family:sans-serif}table{border-collapse:collapse}"
    "th,td{border:1px solid #ccc;padding:2px 6px;text-align:left}"
    "th{background:#eee}tr:nth-child(even) td{background:#fafafa}"
)


def _sheet_title(title: str) -> str:
    """Excel sheet names: at most 31 characters, none of []:*?/\\."""
    cleaned = "".join("_" if ch in "[]:*?/\\" else ch for ch in title)
    return cleaned[:31] or "Report"


def open_writer(
    fmt: ExportFormat,
    out: BinaryIO,
    columns: Sequence[Column],
    *,
    title: str = "Report",
    bom: bool = False,
) -> TableWriter:
    """A writer of `fmt` onto `out` with the header written; `bom` is for CSV."""
    match fmt:
        case ExportFormat.CSV:
            return CsvWriter(out, columns, bom=bom)
        case ExportFormat.XLSX:
            return XlsxWriter(out, columns, title=title)
        case ExportFormat.HTML:
            return HtmlWriter(out, columns, title=title)


def export_table(
    actor: Actor, table: Table, fmt: ExportFormat, out: BinaryIO, *, bom: bool = False
) -> None:
    """Write a report table. Needs report.export."""
    require(actor, Permission.REPORT_EXPORT)
    writer = open_writer(fmt, out, table.columns, title=table.title, bom=bom)
    writer.write(table.rows)
    writer.close()


async def export_search(
    search: AppealSearch,
    actor: Actor,
    flt: AppealFilter,
    fmt: ExportFormat,
    out: BinaryIO,
    *,
    bom: bool = False,
) -> int:
    """Write every appeal matching `flt`, page by page; returns the rows written.
    Needs report.export (and appeal.read, as the search does)."""
    require(actor, Permission.REPORT_EXPORT)
    writer = open_writer(fmt, out, HIT_COLUMNS, title="Appeals", bom=bom)
    count = 0
    batch: list[tuple[Cell, ...]] = []
    async for hit in search.iterate(actor, flt):
        batch.append(hit_row(hit))
        if len(batch) >= 1000:
            writer.write(batch)
            count += len(batch)
            batch.clear()
    writer.write(batch)
    writer.close()
    return count + len(batch)

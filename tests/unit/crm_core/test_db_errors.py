"""Which database errors mean "the database is away, try again" (the journal retries
them) and which mean a bug or bad data (the journal keeps them as dead letters)."""

from __future__ import annotations

import errno
import sqlite3

import pytest
from sqlalchemy import exc as sa_exc

from crm_core.db import is_transient


class PostgresError(Exception):
    """What asyncpg raises: an error with PostgreSQL's SQLSTATE code."""

    def __init__(self, message: str, sqlstate: str) -> None:
        super().__init__(message)
        self.sqlstate = sqlstate


def wrapped(orig: BaseException, *, invalidated: bool = False) -> sa_exc.DBAPIError:
    """The error as SQLAlchemy raises it, with the driver's error as its cause."""
    error = sa_exc.DBAPIError("SELECT 1", {}, orig, connection_invalidated=invalidated)
    error.__cause__ = orig
    return error


def operational(message: str) -> sa_exc.OperationalError:
    return sa_exc.OperationalError("SELECT 1", {}, sqlite3.OperationalError(message))


@pytest.mark.parametrize(
    "error",
    [
        ConnectionRefusedError(errno.ECONNREFUSED, "Connect call failed"),
        ConnectionResetError(errno.ECONNRESET, "reset by peer"),
        TimeoutError(),
        OSError(errno.EHOSTUNREACH, "No route to host"),
        wrapped(PostgresError("the database system is starting up", "57P03")),
        wrapped(PostgresError("terminating connection", "57P01")),
        wrapped(PostgresError("connection does not exist", "08003")),
        wrapped(PostgresError("too many clients already", "53300")),
        wrapped(PostgresError("deadlock detected", "40P01")),
        wrapped(Exception("connection was closed"), invalidated=True),
        sa_exc.TimeoutError("QueuePool limit reached"),
        operational("database is locked"),
    ],
    ids=lambda e: type(e).__name__ + ":" + str(getattr(e, "orig", e))[:30],
)
def test_error_is_transient_when_the_database_is_away(error: BaseException) -> None:
    assert is_transient(error)


@pytest.mark.parametrize(
    "error",
    [
        ValueError("bad data"),
        AssertionError("contact vanished"),
        FileNotFoundError(errno.ENOENT, "no such file"),
        sa_exc.IntegrityError("INSERT", {}, PostgresError("duplicate key", "23505")),
        wrapped(PostgresError("value too long for type", "22001")),
        wrapped(PostgresError('relation "contacts" does not exist', "42P01")),
        operational("no such table: contacts"),
    ],
    ids=lambda e: type(e).__name__ + ":" + str(getattr(e, "orig", e))[:30],
)
def test_error_is_permanent_when_it_is_a_bug_or_bad_data(error: BaseException) -> None:
    assert not is_transient(error)


def _write_contact() -> None:
    try:
        raise ConnectionResetError(errno.ECONNRESET, "reset by peer")
    except ConnectionResetError as lost:
        raise RuntimeError("could not write the contact") from lost


def _parse_record() -> None:
    try:
        raise TimeoutError
    except TimeoutError:
        raise ValueError("bad data") from None


def test_error_is_transient_when_a_lost_connection_caused_it() -> None:
    with pytest.raises(RuntimeError) as raised:
        _write_contact()
    assert is_transient(raised.value)


def test_error_is_permanent_when_a_transient_one_was_only_being_handled() -> None:
    with pytest.raises(ValueError, match="bad data") as raised:
        _parse_record()
    assert not is_transient(raised.value)

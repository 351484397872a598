"""The database layer: one MetaData, the declarative base, engines and sessions.

The same code serves SQLite (aiosqlite, the embedded default) and PostgreSQL (asyncpg).
"""

from __future__ import annotations

import errno
import socket
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any, TypeVar

from sqlalchemy import MetaData, event
from sqlalchemy import exc as sa_exc
from sqlalchemy.ext.asyncio import (
    AsyncConnection,
    AsyncEngine,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.ext.asyncio import AsyncSession as AsyncSession
from sqlalchemy.orm import DeclarativeBase

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

metadata = MetaData(naming_convention=NAMING_CONVENTION)


class Base(DeclarativeBase):
    metadata = metadata


Sessions = async_sessionmaker[AsyncSession]
T = TypeVar("T")


def is_sqlite(url: str) -> bool:
    return url.startswith("sqlite")


def make_engine(url: str, *, echo: bool = False) -> AsyncEngine:
    """An engine for `url`; SQLite gets foreign keys, WAL and a busy timeout.

    PostgreSQL connections are not pinged on checkout: pool_pre_ping costs three round
    trips (BEGIN, `;`, ROLLBACK) per unit of work. A connection the server has closed
    (restart, terminated backend) is refused at checkout without a round trip; one that
    dies unnoticed fails its statement, and the pool then replaces every connection
    older than that failure. Reads that must not fail then go through `retry_once`.
    """
    if is_sqlite(url):
        engine = create_async_engine(url, echo=echo, connect_args={"timeout": 30})
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        return engine
    engine = create_async_engine(
        url,
        echo=echo,
        pool_size=10,
        max_overflow=20,
        connect_args={"timeout": 10, "command_timeout": 60},
    )
    event.listen(engine.sync_engine, "checkout", _refuse_closed)
    return engine


_TRANSIENT_SQLSTATES = ("08", "53", "57P", "40001", "40P01")
"""PostgreSQL error codes that mean "try again": connection exceptions, no
resources (too many connections), the server shutting down, crashing or starting
up, a serialisation failure or deadlock."""
_TRANSIENT_ERRNOS = frozenset(
    {errno.EHOSTUNREACH, errno.ENETUNREACH, errno.ENETDOWN, errno.EHOSTDOWN}
)
_SQLITE_TRANSIENT = ("database is locked", "database table is locked", "disk i/o")


def is_transient(error: BaseException) -> bool:
    """Whether `error` (or what caused it) says the database is away for a while
    (refused or lost connection, timeout, PostgreSQL restarting, SQLite busy), so the
    same work may succeed later. False for everything else: a bug or bad data."""
    seen: set[int] = set()
    link: BaseException | None = error
    while link is not None and id(link) not in seen:
        seen.add(id(link))
        if _transient_link(link):
            return True
        link = link.__cause__ or (
            None if link.__suppress_context__ else link.__context__
        )
    return False


def _transient_link(error: BaseException) -> bool:
    if isinstance(error, ConnectionError | TimeoutError | socket.gaierror):
        return True
    if isinstance(error, OSError) and error.errno in _TRANSIENT_ERRNOS:
        return True
    if isinstance(error, sa_exc.DisconnectionError | sa_exc.TimeoutError):
        return True
    if isinstance(error, sa_exc.DBAPIError) and error.connection_invalidated:
        return True
    if isinstance(error, sa_exc.OperationalError) and any(
        text in str(error.orig).lower() for text in _SQLITE_TRANSIENT
    ):
        return True
    sqlstate = getattr(error, "sqlstate", None)
    return isinstance(sqlstate, str) and sqlstate.startswith(_TRANSIENT_SQLSTATES)


def make_sessions(engine: AsyncEngine) -> Sessions:
    return async_sessionmaker(engine, expire_on_commit=False)


@asynccontextmanager
async def reading(sessions: Sessions) -> AsyncIterator[AsyncConnection]:
    """A connection for one short read outside any transaction: on PostgreSQL the
    statement is the only round trip (no BEGIN before it, no ROLLBACK after).

    SQLite keeps its setting: its driver begins no transaction for a SELECT, and
    switching to autocommit and back would cost two hops to its thread.
    """
    async with sessions() as s:
        sqlite = s.get_bind().dialect.name == "sqlite"
        options = {} if sqlite else {"isolation_level": "AUTOCOMMIT"}
        yield await s.connection(execution_options=options)


async def retry_once(read: Callable[[], Awaitable[T]]) -> T:
    """`read()`, run once more if its connection turned out dead (the server restarted
    since the pool last used it); `read` must be safe to repeat. Other errors, and a
    second dead connection, propagate: a database that is down or starting up
    (`is_transient`) wants waiting, not an immediate second try."""
    try:
        return await read()
    except sa_exc.DBAPIError as exc:
        if not exc.connection_invalidated:
            raise
    return await read()


def _refuse_closed(dbapi_connection: Any, _record: Any, _proxy: Any) -> None:
    """The event loop has already read the goodbye of a server that went away, so a
    dead connection is known here without asking the server."""
    if dbapi_connection.driver_connection.is_closed():
        raise sa_exc.DisconnectionError("the server closed this connection")


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()

"""Alembic environment: migrations over the async engine, SQLite or PostgreSQL."""

from __future__ import annotations

import asyncio

from alembic import context
from sqlalchemy.engine import Connection

from contactcentre.schema import metadata
from crm_core.db import is_sqlite, make_engine
from crm_core.kb.tables import UNMAPPED_PREFIXES

config = context.config


def _mapped(name: str | None, type_: str, _parent: object) -> bool:
    """Leave out what the mapping cannot describe: the knowledge base's search
    index (an FTS5 table on SQLite, expression indexes on PostgreSQL)."""
    return type_ not in ("table", "index") or not (name or "").startswith(
        UNMAPPED_PREFIXES
    )


def _migrate(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=is_sqlite(str(connection.engine.url)),
        compare_type=True,
        include_name=_mapped,
    )
    with context.begin_transaction():
        context.run_migrations()


async def _run_online() -> None:
    url = context.get_x_argument(as_dictionary=True).get(
        "url"
    ) or config.get_main_option("sqlalchemy.url")
    assert url, "sqlalchemy.url is not set"
    engine = make_engine(url)
    try:
        async with engine.connect() as connection:
            await connection.run_sync(_migrate)
            await connection.commit()
    finally:
        await engine.dispose()


if context.is_offline_mode():
    context.configure(
        url=config.get_main_option("sqlalchemy.url"),
        target_metadata=metadata,
        literal_binds=True,
    )
    with context.begin_transaction():
        context.run_migrations()
else:
    asyncio.run(_run_online())

"""Runs the Alembic migrations to the newest revision."""

from __future__ import annotations

import asyncio
from pathlib import Path

from alembic import command
from alembic.config import Config

import crm_core

MIGRATIONS = Path(crm_core.__file__).parent / "migrations"


def alembic_config(url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def _prepare_sqlite_dir(url: str) -> None:
    prefix = "sqlite+aiosqlite:///"
    if url.startswith(prefix) and ":memory:" not in url:
        Path(url.removeprefix(prefix)).parent.mkdir(parents=True, exist_ok=True)


async def migrate(url: str) -> None:
    """Upgrade the database at `url` to head (Alembic runs its own loop in a thread)."""
    _prepare_sqlite_dir(url)
    await asyncio.to_thread(command.upgrade, alembic_config(url), "head")

"""What a start checks before it serves: the schema is the newest, the directories
can be written, the speech tools are installed. Each problem is one line saying
what to do; nothing here changes the schema (only `migrate` and `demo` do)."""

from __future__ import annotations

import asyncio
import ctypes.util
import logging
import shutil
import tempfile
from pathlib import Path

from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection
from sqlalchemy.exc import DBAPIError

from contactcentre.errors import StartRefused
from contactcentre.migrate import alembic_config
from contactcentre.settings import ENV_PREFIX, Settings
from crm_core.db import is_sqlite, make_engine
from telephony.backoff import Backoff

log = logging.getLogger(__name__)

MIGRATE_HINT = "run `contactcentre migrate`"
SQLITE_PREFIX = "sqlite+aiosqlite:///"


async def require_schema(settings: Settings, *, wait_s: float = 30.0) -> None:
    """Return when the configured database is at the newest schema; waits up to
    `wait_s` for an unreachable one. Raises StartRefused."""
    url = settings.database.url
    if is_sqlite(url) and ":memory:" not in url:
        # connecting would create an empty file: a wrong path must not look new
        path = Path(url.removeprefix(SQLITE_PREFIX))
        if not await asyncio.to_thread(path.is_file):
            raise StartRefused(f"no database at {path}: {MIGRATE_HINT} first")
    current, newest = await _revisions(url, wait_s=wait_s)
    if current == newest:
        return
    if not current:
        raise StartRefused(f"the database has no schema yet: {MIGRATE_HINT} first")
    raise StartRefused(
        f"the database schema is at {', '.join(sorted(current))} and this version "
        f"needs {', '.join(sorted(newest))}: {MIGRATE_HINT} first"
    )


async def _revisions(url: str, *, wait_s: float) -> tuple[set[str], set[str]]:
    """(the database's Alembic heads, the code's heads)."""
    newest = set(ScriptDirectory.from_config(alembic_config(url)).get_heads())
    engine = make_engine(url)
    loop = asyncio.get_running_loop()
    deadline = loop.time() + wait_s
    delays = Backoff(initial_s=0.5, cap_s=5.0).delays()
    try:
        while True:
            try:
                async with asyncio.timeout(15), engine.connect() as conn:
                    current: set[str] = await conn.run_sync(_current_heads)
                return current, newest
            except (OSError, TimeoutError, DBAPIError) as exc:
                delay = next(delays)
                if loop.time() + delay > deadline:
                    raise StartRefused(
                        f"cannot reach the database ({_reason(exc)}): check "
                        f"{ENV_PREFIX}DATABASE__URL and that the server is up"
                    ) from None
                log.warning("database not reachable yet (%s)", _reason(exc))
                await asyncio.sleep(delay)
    finally:
        await engine.dispose()


def _current_heads(conn: Connection) -> set[str]:
    return set(MigrationContext.configure(conn).get_current_heads())


def _reason(exc: BaseException) -> str:
    cause = getattr(exc, "orig", None) or exc
    return (str(cause).splitlines() or [type(cause).__name__])[0][:200]


def prepare_directories(settings: Settings) -> None:
    """Create the directories the service writes and check it can write them.
    Raises StartRefused naming the directory and its setting."""
    wanted = {
        "DATA_DIR": settings.data_dir,
        "RECORDINGS_DIR": settings.recordings_dir,
        "CRM__ATTACHMENTS_DIR": settings.crm.attachments_dir,
        "IVR__SOUNDS_DIR": settings.ivr.sounds_dir,
    }
    for variable, path in wanted.items():
        try:
            path.mkdir(parents=True, exist_ok=True)
            with tempfile.TemporaryFile(dir=path):
                pass
        except OSError as exc:
            raise StartRefused(
                f"cannot write to {path} ({exc.strerror or exc}): make it writable "
                f"for this user or set {ENV_PREFIX}{variable}"
            ) from None


SPEECH_TOOLS = {"sox": "sox", "espeak-ng": "espeak-ng"}
"""Debian package of each tool TTS prompts are made with."""


def missing_speech_tools() -> list[str]:
    """The speech tools that are not installed: sox (resampling, a program) and
    espeak-ng (the synthesiser, a library pyttsx3 loads)."""
    missing = []
    if shutil.which("sox") is None:
        missing.append("sox")
    if not (
        ctypes.util.find_library("espeak-ng") or ctypes.util.find_library("espeak")
    ):
        missing.append("espeak-ng")
    return missing


def report_missing_speech_tools() -> None:
    """One warning at start when prompts cannot be synthesised."""
    missing = missing_speech_tools()
    if missing:
        log.warning(
            "%s not installed: text-to-speech prompts cannot be made, so callers "
            "hear only recorded sound files (install with `apt-get install %s`)",
            " and ".join(missing),
            " ".join(SPEECH_TOOLS[m] for m in missing),
        )

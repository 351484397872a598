"""The demo as a newcomer starts it, twice: the password it prints signs in every
time, and no start logs the AMI link as down (the simulator listens before the
bridge dials)."""

from __future__ import annotations

import asyncio
import logging
import re
import stat
from pathlib import Path

import pytest

from contactcentre.bootstrap import serve
from contactcentre.demo import DEMO_PASSWORD_FILE, demo_password
from contactcentre.settings import Settings, load_settings
from crm_core.auth.errors import Unauthenticated
from crm_core.auth.seed import seed_users
from crm_core.auth.service import AuthService
from crm_core.clock import UtcClock
from crm_core.db import Sessions, make_engine, make_sessions
from tests.servers import free_port
from tests.waiting import eventually

PRINTED = re.compile(r"with the password (\S+)$")


def _demo_settings(tmp_path: Path) -> Settings:
    return load_settings(
        database={"url": f"sqlite+aiosqlite:///{tmp_path / 'var' / 'cc.db'}"},
        data_dir=tmp_path / "var",
        recordings_dir=tmp_path / "var" / "recordings",
        crm={"attachments_dir": str(tmp_path / "var" / "attachments")},
        ivr={"sounds_dir": str(tmp_path / "var" / "sounds")},
        http={"port": free_port()},
        agi={"port": free_port()},
        pbxs=[{"id": "pbx1", "port": free_port()}],
        simulator={"calls_per_minute": 0, "agents": 0},
    )


async def _start_once(settings: Settings, caplog: pytest.LogCaptureFixture) -> str:
    """Start the demo, wait until the bridge is logged in, stop; the password
    printed."""
    caplog.clear()
    task = asyncio.create_task(serve(settings, demo=True))

    async def logged_in() -> bool:
        return "AMI logged in" in caplog.text

    try:
        await eventually(logged_in, timeout_s=40)
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
    assert not [
        r
        for r in caplog.records
        if "AMI" in r.getMessage() and "down" in r.getMessage()
    ]
    (printed,) = [m[1] for r in caplog.records if (m := PRINTED.search(r.getMessage()))]
    return printed


@pytest.mark.timeout(120)
async def test_the_printed_password_signs_in_when_the_demo_is_started_again(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    settings = _demo_settings(tmp_path)
    with caplog.at_level(logging.INFO):
        first = await _start_once(settings, caplog)
        again = await _start_once(settings, caplog)
    assert again == first
    engine = make_engine(settings.database.url)
    try:
        auth = AuthService(make_sessions(engine), UtcClock())
        assert (
            await auth.login("admin", again, address="127.0.0.1")
        ).actor.login == "admin"
    finally:
        await engine.dispose()


def test_the_made_up_password_is_kept_for_this_user_only_when_none_is_set(
    tmp_path: Path,
) -> None:
    settings = load_settings(data_dir=tmp_path)
    made = demo_password(settings)
    assert demo_password(settings) == made
    kept = tmp_path / DEMO_PASSWORD_FILE
    assert stat.S_IMODE(kept.stat().st_mode) == 0o600
    chosen = load_settings(data_dir=tmp_path, demo_password="chosen-password-1")
    assert demo_password(chosen) == "chosen-password-1"


async def test_demo_users_take_the_new_password_when_it_changes(
    sessions: Sessions,
) -> None:
    await seed_users(sessions, "first-password-1")
    await seed_users(sessions, "second-password-2")
    auth = AuthService(sessions, UtcClock())
    assert (
        await auth.login("agent", "second-password-2", address="127.0.0.1")
    ).actor.login == "agent"
    with pytest.raises(Unauthenticated):
        await auth.login("agent", "first-password-1", address="127.0.0.1")

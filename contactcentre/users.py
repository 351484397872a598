"""`contactcentre users`: create the first administrator of a fresh install, list
users, set a forgotten password. The API's own rules and audit apply; the actor
in the audit log is `command-line`."""

from __future__ import annotations

import dataclasses
import getpass
import logging
import sys
from collections.abc import Callable
from typing import TextIO

from contactcentre.errors import UserCommandFailed
from crm_core.auth.model import Actor, Role, system_actor
from crm_core.auth.service import AuthService, NewUser, UserChanges
from crm_core.clock import UtcClock
from crm_core.db import Sessions, make_engine, make_sessions
from crm_core.errors import Conflict, NotFound, ValidationFailed

log = logging.getLogger(__name__)

PasswordReader = Callable[[str], str]
"""Asks for a password for the login given; raises UserCommandFailed."""

LIST_PAGE = 500


def _actor() -> Actor:
    return dataclasses.replace(system_actor(), login="command-line")


async def create_user(
    sessions: Sessions,
    *,
    login: str,
    role: Role,
    display_name: str | None,
    read_password: PasswordReader,
) -> str:
    """Create a user who signs in with the password read; what to tell the operator.
    Raises UserCommandFailed for a taken login or a password the rules refuse."""
    password = read_password(login)
    auth = AuthService(sessions, UtcClock())
    new = NewUser(
        login=login, display_name=display_name or login, role=role, password=password
    )
    try:
        user = await auth.create_user(_actor(), new)
    except (ValidationFailed, Conflict) as exc:
        raise UserCommandFailed(f"user not created: {exc}") from None
    return f"created {user.login} ({user.role.value}): sign in at /login"


async def set_password(
    sessions: Sessions, *, login: str, read_password: PasswordReader
) -> str:
    """Give `login` a new password (their browser sessions end, open desktops
    within a sweep, and their API tokens are revoked). Raises UserCommandFailed
    for an unknown login or a password the rules refuse."""
    auth = AuthService(sessions, UtcClock())
    try:
        user = await auth.user_by_login(_actor(), login)
        await auth.edit_user(
            _actor(), user.id, UserChanges(password=read_password(login))
        )
    except (ValidationFailed, NotFound) as exc:
        raise UserCommandFailed(f"password not changed: {exc}") from None
    return f"password of {user.login} changed"


async def list_users(sessions: Sessions, out: TextIO) -> None:
    """Every user, one a line: login, role, active or not, display name."""
    auth = AuthService(sessions, UtcClock())
    after: str | None = None
    out.write(f"{'login':<24} {'role':<14} {'state':<8} name\n")
    while users := await auth.list_users(_actor(), limit=LIST_PAGE, after_login=after):
        for user in users:
            state = "active" if user.active else "inactive"
            out.write(
                f"{user.login:<24} {user.role.value:<14} {state:<8} "
                f"{user.display_name}\n"
            )
        after = users[-1].login


async def warn_if_no_users(sessions: Sessions) -> None:
    """Say once, at start, how a fresh install gets its first user."""
    auth = AuthService(sessions, UtcClock())
    if not await auth.list_users(_actor(), limit=1):
        log.warning(
            "nobody can sign in yet: create the first administrator with "
            "`contactcentre users create --role admin LOGIN`"
        )


def terminal_password(login: str) -> str:
    """Asked twice on the terminal, without echo."""
    first = getpass.getpass(f"password for {login}: ")
    if getpass.getpass("again: ") != first:
        raise UserCommandFailed("the two passwords differ; nothing changed")
    return first


def piped_password(stream: TextIO) -> PasswordReader:
    """The first line of `stream` (a pipe or a file), without its line end."""

    def read(_login: str) -> str:
        line = stream.readline().rstrip("\r\n")
        if not line:
            raise UserCommandFailed("no password on standard input; nothing changed")
        return line

    return read


def password_reader() -> PasswordReader:
    """A prompt on a terminal, else the first line of standard input."""
    return terminal_password if sys.stdin.isatty() else piped_password(sys.stdin)


async def run_command(
    url: str, command: str, *, login: str | None, role: Role | None, name: str | None
) -> str | None:
    """Run `users <command>` on the database at `url` (migrated: see
    contactcentre.startup); what to tell the operator, if anything."""
    engine = make_engine(url)
    sessions = make_sessions(engine)
    try:
        match command:
            case "list":
                await list_users(sessions, sys.stdout)
                return None
            case "create":
                assert login is not None
                assert role is not None
                return await create_user(
                    sessions, login=login, role=role, display_name=name,
                    read_password=password_reader(),
                )  # fmt: skip
            case "password":
                assert login is not None
                return await set_password(
                    sessions, login=login, read_password=password_reader()
                )
            case _:
                raise AssertionError(command)
    finally:
        await engine.dispose()

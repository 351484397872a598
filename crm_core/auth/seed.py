"""Demo users, one per role (and a supervisor of the demo queues); run by `demo`.

The password comes from the caller (a setting), never from code.
"""

from __future__ import annotations

import asyncio
import dataclasses

from sqlalchemy import select

from crm_core.auth.accounts import User
from crm_core.auth.credentials import Passwords
from crm_core.auth.model import Role, system_actor
from crm_core.auth.service import AuthService, NewUser, UserChanges
from crm_core.auth.store import user_from_row
from crm_core.auth.tables import UserRow
from crm_core.clock import Clock, UtcClock
from crm_core.db import Sessions

DEMO_USERS: tuple[NewUser, ...] = (
    NewUser(login="agent", display_name="Anna Agent", role=Role.AGENT,
            queues=frozenset({"first_line"})),
    NewUser(login="agent2", display_name="Boris Agent", role=Role.AGENT,
            queues=frozenset({"first_line"})),
    NewUser(login="backoffice", display_name="Vera Back-Office",
            role=Role.BACK_OFFICE, queues=frozenset({"complaints", "contracts"})),
    NewUser(login="supervisor", display_name="Gleb Supervisor", role=Role.SUPERVISOR,
            queues=frozenset({"first_line", "complaints", "contracts"}),
            administered_queues=frozenset({"first_line", "complaints", "contracts"})),
    NewUser(login="marketing", display_name="Daria Marketing", role=Role.MARKETING),
    NewUser(login="admin", display_name="Egor Administrator",
            role=Role.ADMINISTRATOR),
)  # fmt: skip


async def seed_users(
    sessions: Sessions,
    password: str,
    *,
    clock: Clock | None = None,
    passwords: Passwords | None = None,
) -> list[User]:
    """Create the demo users that do not exist yet, and give every demo user
    `password` (the one the demo prints, whatever an earlier start used); returns
    every demo user. Raises ValidationFailed if `password` is too weak."""
    passwords = passwords or Passwords()
    service = AuthService(sessions, clock or UtcClock(), passwords=passwords)
    async with sessions() as s:
        rows = await s.scalars(
            select(UserRow).where(UserRow.login.in_([u.login for u in DEMO_USERS]))
        )
        existing = {row.login: row for row in rows}
    users = []
    for new in DEMO_USERS:
        row = existing.get(new.login)
        if row is None:
            new_with_password = dataclasses.replace(new, password=password)
            users.append(await service.create_user(system_actor(), new_with_password))
        elif await asyncio.to_thread(passwords.verify, row.password_hash, password):
            users.append(user_from_row(row))
        else:
            changes = UserChanges(password=password)
            users.append(await service.edit_user(system_actor(), row.id, changes))
    return users

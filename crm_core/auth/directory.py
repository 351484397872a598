"""Colleagues by name, read-only: for the pages, who did what in an appeal's
history, who handles it, and whom a queue administrator may give it to (needs
appeal.read: people who work appeals see each other's names); for other parts,
the names of the logins they know users by (the ACD knows its agents by login).
"""

from __future__ import annotations

import uuid
from collections.abc import Collection
from dataclasses import dataclass

from sqlalchemy import select

from crm_core.auth.model import Actor, Permission
from crm_core.auth.rights import require
from crm_core.auth.tables import UserRow
from crm_core.db import Sessions


class UserNames:
    """People's names for the logins the ACD knows its agents by."""

    def __init__(self, sessions: Sessions) -> None:
        self._sessions = sessions

    async def display_names(self, logins: list[str]) -> dict[str, str]:
        """The display name of each login that is a user (others are left out)."""
        if not logins:
            return {}
        query = select(UserRow.login, UserRow.display_name).where(
            UserRow.login.in_(logins)
        )
        async with self._sessions() as s:
            rows = (await s.execute(query)).all()
        return {login: name for login, name in rows if name}


@dataclass(frozen=True, slots=True, kw_only=True)
class Person:
    id: uuid.UUID
    login: str
    name: str
    """As the person wants to be called (the display name)."""
    active: bool


class Directory:
    def __init__(self, sessions: Sessions) -> None:
        self._sessions = sessions

    async def people(
        self, actor: Actor, ids: Collection[uuid.UUID]
    ) -> dict[uuid.UUID, Person]:
        """The people of `ids` that exist (gone ones are left out)."""
        require(actor, Permission.APPEAL_READ)
        if not ids:
            return {}
        query = select(UserRow).where(UserRow.id.in_(sorted(set(ids))))
        async with self._sessions() as s:
            return {row.id: _person(row) for row in await s.scalars(query)}

    async def members(
        self,
        actor: Actor,
        *,
        queues: Collection[str],
        ids: Collection[uuid.UUID] = (),
    ) -> list[Person]:
        """The active people of `queues`, by name: those of `ids` (members named
        by the routes) and those whose accounts name one of the queues."""
        require(actor, Permission.APPEAL_READ)
        query = select(UserRow).where(UserRow.active.is_(True))
        async with self._sessions() as s:
            rows = list(await s.scalars(query))
        found = [
            _person(r) for r in rows if r.id in ids or set(queues) & set(r.queues or [])
        ]
        return sorted(found, key=lambda p: (p.name.casefold(), p.login))


def _person(row: UserRow) -> Person:
    return Person(
        id=row.id, login=row.login, name=row.display_name or row.login,
        active=row.active,
    )  # fmt: skip

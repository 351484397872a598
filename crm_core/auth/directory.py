"""People's names for the logins other parts know users by (the ACD knows its
agents by login); read-only."""

from __future__ import annotations

from sqlalchemy import select

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

"""The agent a caller would rather reach (A1): the user assigned to the caller's
most recently updated open appeal that has one (an unassigned newer appeal does not
hide the agent already working with the caller). A routing hint for the ACD, so it
never fails a call: an unknown caller, a slow or failing database all give None."""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Collection

from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError

from crm_core.appeals.model import AppealStatus
from crm_core.appeals.tables import AppealRow
from crm_core.auth.tables import UserRow
from crm_core.customers.model import Ambiguous, Identified, Unknown
from crm_core.db import Sessions
from crm_core.selfservice.ports import CallerIdentifier

log = logging.getLogger(__name__)

DEFAULT_TIMEOUT_S = 1.0


class AppealOwners:
    """Implements the ACD's PreferredAgents port from the CRM's appeals."""

    def __init__(
        self,
        sessions: Sessions,
        customers: CallerIdentifier,
        *,
        timeout_s: float = DEFAULT_TIMEOUT_S,
    ) -> None:
        self._sessions = sessions
        self._customers = customers
        self._timeout_s = timeout_s

    async def preferred_agent(self, ani: str) -> str | None:
        """The login of the active user assigned to the most recently updated
        assigned open appeal of the customer calling from `ani` (of any of them
        when the number is shared), or None. Answers within `timeout_s`; a timeout
        or a database error is logged and gives None."""
        try:
            async with asyncio.timeout(self._timeout_s):
                match await self._customers.identify(ani):
                    case Identified(customer=customer):
                        return await self._owner((customer.id,))
                    case Ambiguous(candidates=candidates):
                        return await self._owner([c.id for c in candidates])
                    case Unknown():
                        return None
        except TimeoutError:
            log.warning("preferred agent: no answer in %ss", self._timeout_s)
        except SQLAlchemyError as error:
            log.warning("preferred agent: database error %s", error)
        return None

    async def for_customer(self, customer_id: uuid.UUID) -> str | None:
        """The login of the active user assigned to the customer's most recently
        updated assigned open appeal, or None. Database errors propagate."""
        return await self._owner((customer_id,))

    async def _owner(self, customer_ids: Collection[uuid.UUID]) -> str | None:
        query = (
            select(UserRow.login)
            .join(AppealRow, AppealRow.assignee_id == UserRow.id)
            .where(
                AppealRow.customer_id.in_(list(customer_ids)),
                AppealRow.status != AppealStatus.CLOSED.value,
                AppealRow.archived.is_(False),
                UserRow.active.is_(True),
            )
            .order_by(AppealRow.updated_at.desc(), AppealRow.id.desc())
            .limit(1)
        )
        async with self._sessions() as s:
            login: str | None = await s.scalar(query)
        return login

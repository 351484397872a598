"""Bulk assign / pass on / close over a list of appeal ids or a search filter (C8).

Each appeal goes through the appeals service on its own (rights, history, events per
appeal, one unit of work each), so one failing appeal never stops the others.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

from crm_core.appeals.service import AppealService
from crm_core.auth.model import Actor, Permission
from crm_core.auth.rights import require
from crm_core.errors import CrmError, FieldError, ValidationFailed
from crm_core.reports.errors import BatchTooLarge
from crm_core.reports.filters import AppealFilter
from crm_core.reports.search import AppealSearch

log = logging.getLogger(__name__)

MAX_BATCH = 500
"""Most appeals one bulk call may touch."""


@dataclass(frozen=True, slots=True, kw_only=True)
class BulkTarget:
    """Which appeals: exactly one of an id list or a search filter."""

    ids: Sequence[uuid.UUID] | None = None
    filter: AppealFilter | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class BulkResult:
    """What happened to one appeal: ok, or the error's id and message."""

    appeal_id: uuid.UUID
    ok: bool
    error_id: str | None = None
    reason: str | None = None


Operation = Callable[[uuid.UUID], Awaitable[object]]


class BulkOperations:
    """Needs appeal.bulk, plus per appeal whatever the single operation needs."""

    def __init__(self, appeals: AppealService, search: AppealSearch) -> None:
        self._appeals = appeals
        self._search = search

    async def assign(
        self,
        actor: Actor,
        target: BulkTarget,
        *,
        assignee_id: uuid.UUID,
        comment: str = "",
    ) -> list[BulkResult]:
        """Give every targeted appeal to `assignee_id` (as its queue administrator)."""

        async def one(appeal_id: uuid.UUID) -> object:
            return await self._appeals.assign(
                actor, appeal_id, assignee_id=assignee_id, comment=comment
            )

        return await self._run(actor, target, one, "assign")

    async def pass_on(
        self,
        actor: Actor,
        target: BulkTarget,
        *,
        transition: str | None = None,
        comment: str = "",
    ) -> list[BulkResult]:
        """Move every targeted appeal to its next stage (`transition` or the first
        whose guard holds)."""

        async def one(appeal_id: uuid.UUID) -> object:
            return await self._appeals.pass_on(
                actor, appeal_id, transition=transition, comment=comment
            )

        return await self._run(actor, target, one, "pass_on")

    async def close(
        self, actor: Actor, target: BulkTarget, *, comment: str = ""
    ) -> list[BulkResult]:
        """Close every targeted appeal where its stage allows it."""

        async def one(appeal_id: uuid.UUID) -> object:
            return await self._appeals.close(actor, appeal_id, comment=comment)

        return await self._run(actor, target, one, "close")

    async def resolve(self, actor: Actor, target: BulkTarget) -> list[uuid.UUID]:
        """The targeted ids, once each, in order. ValidationFailed for a target
        that is both or neither, BatchTooLarge past MAX_BATCH."""
        require(actor, Permission.APPEAL_BULK)
        if (target.ids is None) == (target.filter is None):
            raise ValidationFailed(
                [FieldError("target", "give either ids or a filter")]
            )
        if target.ids is not None:
            ids = list(dict.fromkeys(target.ids))
            if len(ids) > MAX_BATCH:
                raise BatchTooLarge("ids", MAX_BATCH)
            return ids
        assert target.filter is not None
        found: list[uuid.UUID] = []
        async for hit in self._search.iterate(actor, target.filter):
            found.append(hit.id)
            if len(found) > MAX_BATCH:
                raise BatchTooLarge("filter", MAX_BATCH)
        return found

    async def _run(
        self, actor: Actor, target: BulkTarget, one: Operation, name: str
    ) -> list[BulkResult]:
        results: list[BulkResult] = []
        for appeal_id in await self.resolve(actor, target):
            try:
                await one(appeal_id)
            except CrmError as e:
                log.info("bulk %s appeal=%s refused: %s", name, appeal_id, e)
                results.append(
                    BulkResult(
                        appeal_id=appeal_id, ok=False, error_id=e.error_id,
                        reason=str(e),
                    )
                )  # fmt: skip
            else:
                results.append(BulkResult(appeal_id=appeal_id, ok=True))
        return results

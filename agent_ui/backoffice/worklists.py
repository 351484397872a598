"""The appeal lists the back office works from: waiting for me, my queues,
overdue and every appeal (search), each narrowed by the filters a person chose,
one keyset page at a time, with the names a list shows; and bulk steps on a
selection. Reads and acts through the CRM services; decides nothing itself.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from crm_core.appeals.actions import administered, work_queues
from crm_core.appeals.model import AttributeDef, Route, Topic
from crm_core.appeals.topics import TopicService
from crm_core.auth.directory import Directory, Person
from crm_core.auth.model import Actor, Permission
from crm_core.customers.model import CustomerSummary
from crm_core.customers.service import CustomerService
from crm_core.reports.bulk import BulkOperations, BulkResult, BulkTarget
from crm_core.reports.filters import AppealFilter
from crm_core.reports.model import AppealHit
from crm_core.reports.search import AppealSearch
from crm_core.reports.worklists import Worklist, worklist_filter

COUNTED = (Worklist.MINE, Worklist.QUEUES, Worklist.OVERDUE)


@dataclass(frozen=True, slots=True, kw_only=True)
class Names:
    """What a list names instead of ids."""

    topics: Mapping[uuid.UUID, Topic]
    routes: Sequence[Route]
    customers: Mapping[uuid.UUID, CustomerSummary]
    people: Mapping[uuid.UUID, Person]


@dataclass(frozen=True, slots=True, kw_only=True)
class ListPage:
    kind: Worklist
    hits: Sequence[AppealHit]
    next_cursor: str | None
    counts: Mapping[Worklist, int]
    """How many wait in each work list (up to the search's cap)."""
    names: Names
    my_queues: frozenset[str]
    assignable: Sequence[Person]
    """Whom the viewer may give appeals to (members of queues they administer)."""
    attributes: Sequence[AttributeDef]
    """What the list may be filtered by."""


@dataclass(frozen=True, slots=True, kw_only=True)
class WorklistParts:
    search: AppealSearch
    bulk: BulkOperations
    topics: TopicService
    customers: CustomerService
    directory: Directory


class Worklists:
    def __init__(self, parts: WorklistParts) -> None:
        self._search = parts.search
        self._bulk = parts.bulk
        self._topics = parts.topics
        self._customers = parts.customers
        self._directory = parts.directory

    async def page(
        self,
        actor: Actor,
        kind: Worklist,
        narrowed: AppealFilter | None,
        *,
        cursor: str | None = None,
        limit: int,
    ) -> ListPage:
        """One page of list `kind` narrowed by `narrowed` (None: filters that
        cannot be used, so no appeal is listed). Raises BadFilter and BadCursor
        (ValidationFailed) naming the field."""
        routes = await self._topics.routes(actor)
        queues = work_queues(actor, routes)
        hits: Sequence[AppealHit] = ()
        next_cursor = None
        wanted = None
        if narrowed is not None:
            me = actor.user_id
            wanted = worklist_filter(kind, me=me, queues=queues, narrowed=narrowed)
        if wanted is not None:
            found = await self._search.search(actor, wanted, cursor=cursor, limit=limit)
            hits, next_cursor = found.items, found.next_cursor
        return ListPage(
            kind=kind, hits=hits, next_cursor=next_cursor,
            counts=await self._counts(actor, queues),
            names=await self._names(actor, hits, routes),
            my_queues=queues,
            assignable=await assignable(self._directory, actor, routes),
            attributes=await self._topics.attributes(actor),
        )  # fmt: skip

    async def assign(
        self, actor: Actor, ids: Sequence[uuid.UUID], *, assignee_id: uuid.UUID,
        comment: str,
    ) -> list[BulkResult]:  # fmt: skip
        target = BulkTarget(ids=ids)
        return await self._bulk.assign(
            actor, target, assignee_id=assignee_id, comment=comment
        )

    async def pass_on(
        self, actor: Actor, ids: Sequence[uuid.UUID], *, comment: str
    ) -> list[BulkResult]:
        return await self._bulk.pass_on(actor, BulkTarget(ids=ids), comment=comment)

    async def close(
        self, actor: Actor, ids: Sequence[uuid.UUID], *, comment: str
    ) -> list[BulkResult]:
        return await self._bulk.close(actor, BulkTarget(ids=ids), comment=comment)

    async def _counts(
        self, actor: Actor, queues: frozenset[str]
    ) -> dict[Worklist, int]:
        counts = {}
        for kind in COUNTED:
            wanted = worklist_filter(
                kind, me=actor.user_id, queues=queues, narrowed=AppealFilter()
            )
            counts[kind] = (
                0 if wanted is None else await self._search.count(actor, wanted)
            )
        return counts

    async def _names(
        self, actor: Actor, hits: Sequence[AppealHit], routes: Sequence[Route]
    ) -> Names:
        customers = {h.customer_id for h in hits if h.customer_id is not None}
        people = {h.assignee_id for h in hits if h.assignee_id is not None}
        return Names(
            topics={t.id: t for t in await self._topics.tree(actor)},
            routes=routes,
            customers=await self._customers.summaries(actor, customers)
            if actor.can(Permission.CUSTOMER_READ)
            else {},
            people=await self._directory.people(actor, people),
        )


async def assignable(
    directory: Directory, actor: Actor, routes: Sequence[Route]
) -> list[Person]:
    """The people of the queues `actor` administers, by name (none without the
    right to assign)."""
    if not actor.can(Permission.APPEAL_ASSIGN):
        return []
    queues = administered(actor, routes)
    if not queues:
        return []
    ids = {i for members in queues.values() for i in members}
    return await directory.members(actor, queues=queues.keys(), ids=ids)

"""The incident service: declare, edit and delete incidents, link appeals to them
(by hand, and automatically on AppealCreated), and resolve one: every linked open
appeal is closed through the appeals service, one at a time, and the customers are
told through the notice outbox. Holds no session between calls."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select, update

from crm_core.appeals.events import AppealCreated
from crm_core.appeals.model import AppealStatus
from crm_core.appeals.service import AppealService
from crm_core.appeals.tables import AppealRow
from crm_core.auth.model import Actor, Permission, system_actor
from crm_core.auth.rights import require
from crm_core.clock import Clock
from crm_core.customers.tables import CustomerRow
from crm_core.db import Sessions
from crm_core.errors import CrmError, FieldError, NotFound, ValidationFailed
from crm_core.incidents import store
from crm_core.incidents.errors import (
    AppealLinkedElsewhere,
    IncidentHasAppeals,
    IncidentResolved,
)
from crm_core.incidents.model import (
    ClosingResult,
    Incident,
    IncidentDraft,
    IncidentId,
    IncidentStatus,
    LinkedAppeal,
    LinkOrigin,
    Place,
    Resolution,
    affects,
    check_draft,
)
from crm_core.incidents.tables import IncidentAppealRow, IncidentRow
from crm_core.notices.service import IncidentNotice, NoticeService

log = logging.getLogger(__name__)

MANAGE, READ = Permission.INCIDENT_MANAGE, Permission.APPEAL_READ
MAX_PAGE = 500


class IncidentService:
    def __init__(
        self,
        sessions: Sessions,
        clock: Clock,
        *,
        appeals: AppealService,
        notices: NoticeService,
    ) -> None:
        self._sessions = sessions
        self._clock = clock
        self._appeals = appeals
        self._notices = notices

    async def create(self, actor: Actor, draft: IncidentDraft) -> Incident:
        """Declare an open incident. Raises Forbidden without INCIDENT_MANAGE,
        ValidationFailed naming each bad field."""
        require(actor, MANAGE)
        _check(draft)
        now = self._clock.now()
        row = IncidentRow(
            id=uuid.uuid4(), status=IncidentStatus.OPEN.value, resolution="",
            resolved_at=None, resolved_by=None, created_by=actor.user_id,
            created_at=now, updated_at=now,
        )  # fmt: skip
        store.write_draft(row, draft)
        async with self._sessions.begin() as s:
            s.add(row)
        log.info("incident declared incident=%s by=%s", row.id, actor.login)
        return store.incident_of(row)

    async def get(self, actor: Actor, incident_id: uuid.UUID) -> Incident:
        require(actor, READ)
        async with self._sessions() as s:
            return store.incident_of(await store.load(s, incident_id))

    async def find(
        self,
        actor: Actor,
        *,
        status: IncidentStatus | None = None,
        limit: int = 50,
        before: datetime | None = None,
    ) -> list[Incident]:
        """Incidents, latest started first; `before` pages on `started_at`."""
        require(actor, READ)
        query = select(IncidentRow)
        if status is not None:
            query = query.where(IncidentRow.status == status.value)
        if before is not None:
            query = query.where(IncidentRow.started_at < before)
        query = query.order_by(IncidentRow.started_at.desc(), IncidentRow.id.desc())
        async with self._sessions() as s:
            rows = await s.scalars(query.limit(max(1, min(limit, MAX_PAGE))))
            return [store.incident_of(r) for r in rows]

    async def update(
        self, actor: Actor, incident_id: uuid.UUID, draft: IncidentDraft
    ) -> Incident:
        """Rewrite an open incident. Raises IncidentResolved once it is resolved."""
        require(actor, MANAGE)
        _check(draft)
        async with self._sessions.begin() as s:
            row = await store.load(s, incident_id)
            _require_open(row)
            store.write_draft(row, draft)
            row.updated_at = self._clock.now()
            return store.incident_of(row)

    async def delete(self, actor: Actor, incident_id: uuid.UUID) -> None:
        """Delete an incident declared by mistake: only without linked appeals."""
        require(actor, MANAGE)
        async with self._sessions.begin() as s:
            row = await store.load(s, incident_id)
            if await store.links(s, incident_id):
                raise IncidentHasAppeals("unlink its appeals before deleting it")
            await s.delete(row)

    async def appeals(self, actor: Actor, incident_id: uuid.UUID) -> list[LinkedAppeal]:
        """The appeals linked to the incident, oldest link first."""
        require(actor, READ)
        async with self._sessions() as s:
            await store.load(s, incident_id)
            return [store.link_of(r) for r in await store.links(s, incident_id)]

    async def link(
        self, actor: Actor, incident_id: uuid.UUID, appeal_ids: Sequence[uuid.UUID]
    ) -> list[LinkedAppeal]:
        """Link appeals to an open incident (all or none). Linking one already
        linked here changes nothing. Raises NotFound for an unknown appeal,
        AppealLinkedElsewhere when it belongs to another incident."""
        require(actor, MANAGE)
        now = self._clock.now()
        async with self._sessions.begin() as s:
            _require_open(await store.load(s, incident_id))
            for appeal_id in dict.fromkeys(appeal_ids):
                if await s.get(AppealRow, appeal_id) is None:
                    raise NotFound(f"no appeal {appeal_id}")
                existing = await s.get(IncidentAppealRow, appeal_id)
                if existing is not None:
                    if existing.incident_id != incident_id:
                        raise AppealLinkedElsewhere(
                            f"appeal {appeal_id} belongs to incident "
                            f"{existing.incident_id}"
                        )
                    continue
                s.add(
                    IncidentAppealRow(
                        appeal_id=appeal_id, incident_id=incident_id,
                        origin=LinkOrigin.MANUAL.value, linked_at=now,
                        linked_by=actor.user_id,
                    )
                )  # fmt: skip
            await s.flush()
            return [store.link_of(r) for r in await store.links(s, incident_id)]

    async def unlink(
        self, actor: Actor, incident_id: uuid.UUID, appeal_id: uuid.UUID
    ) -> None:
        """Take an appeal off an open incident. Raises NotFound when not linked."""
        require(actor, MANAGE)
        async with self._sessions.begin() as s:
            _require_open(await store.load(s, incident_id))
            link = await s.get(IncidentAppealRow, appeal_id)
            if link is None or link.incident_id != incident_id:
                raise NotFound(f"appeal {appeal_id} is not linked to {incident_id}")
            await s.delete(link)

    async def on_appeal_created(self, event: AppealCreated) -> None:
        """Bus handler: link a new appeal to the open incident that covers its
        customer's place and topic."""
        await self.link_new_appeal(event)

    async def link_new_appeal(self, event: AppealCreated) -> IncidentId | None:
        """Link the appeal of `event` to the earliest-started open incident that
        affects it; which one, or None."""
        if event.customer_id is None:
            return None
        appeal_id = uuid.UUID(event.appeal_id)
        async with self._sessions.begin() as s:
            customer = await s.get(CustomerRow, uuid.UUID(event.customer_id))
            linked = await s.get(IncidentAppealRow, appeal_id)
            if customer is None or linked is not None:
                return None
            place = Place(
                network_node=customer.network_node, building=customer.building,
                city=customer.city,
            )  # fmt: skip
            rows = await s.scalars(
                select(IncidentRow)
                .where(IncidentRow.status == IncidentStatus.OPEN.value)
                .order_by(IncidentRow.started_at, IncidentRow.id)
            )
            match = next(
                (store.incident_of(r) for r in rows
                 if affects(store.incident_of(r), place, event.topic_code)),
                None,
            )  # fmt: skip
            if match is None:
                return None
            s.add(
                IncidentAppealRow(
                    appeal_id=appeal_id, incident_id=match.id,
                    origin=LinkOrigin.AUTOMATIC.value, linked_at=self._clock.now(),
                    linked_by=system_actor().user_id,
                )
            )  # fmt: skip
        log.info("appeal=%s linked to incident=%s", appeal_id, match.id)
        return match.id

    async def resolve(
        self, actor: Actor, incident_id: uuid.UUID, *, resolution: str
    ) -> Resolution:
        """Resolve the incident, tell the customers of its open appeals, then close
        each of those appeals as `actor` with `resolution` as the comment. An appeal
        that cannot be closed (rights, its stage, an open child) stays open and is
        reported; the others are closed regardless. Raises IncidentResolved when
        already resolved, ValidationFailed for an empty resolution."""
        require(actor, MANAGE)
        text = resolution.strip()
        if not text:
            raise ValidationFailed([FieldError("resolution", "must not be empty")])
        incident, open_ids = await self._mark_resolved(actor, incident_id, text)
        queued = await self._notices.notify_incident_resolved(
            IncidentNotice(
                incident_id=incident.id, title=incident.title, resolution=text,
                appeal_ids=open_ids,
            )
        )  # fmt: skip
        results = [await self._close(actor, a, text) for a in open_ids]
        log.info(
            "incident resolved incident=%s appeals=%d closed=%d notices=%d",
            incident.id, len(results), sum(r.closed for r in results), queued,
        )  # fmt: skip
        return Resolution(
            incident=incident, results=tuple(results), notices_queued=queued
        )

    async def _mark_resolved(
        self, actor: Actor, incident_id: uuid.UUID, text: str
    ) -> tuple[Incident, list[uuid.UUID]]:
        now = self._clock.now()
        async with self._sessions.begin() as s:
            await store.load(s, incident_id)
            # guarded on the status, so two people resolving at once close once
            done = await s.execute(
                update(IncidentRow)
                .where(
                    IncidentRow.id == incident_id,
                    IncidentRow.status == IncidentStatus.OPEN.value,
                )
                .values(
                    status=IncidentStatus.RESOLVED.value,
                    resolution=text,
                    resolved_at=now,
                    resolved_by=actor.user_id,
                    updated_at=now,
                )
                .execution_options(synchronize_session=False)
            )
            if getattr(done, "rowcount", 0) != 1:
                raise IncidentResolved(f"incident {incident_id} is already resolved")
            open_ids = list(
                await s.scalars(
                    select(IncidentAppealRow.appeal_id)
                    .join(AppealRow, AppealRow.id == IncidentAppealRow.appeal_id)
                    .where(
                        IncidentAppealRow.incident_id == incident_id,
                        AppealRow.status != AppealStatus.CLOSED.value,
                    )
                    .order_by(IncidentAppealRow.linked_at, IncidentAppealRow.appeal_id)
                )
            )
        async with self._sessions() as s:
            return store.incident_of(await store.load(s, incident_id)), open_ids

    async def _close(
        self, actor: Actor, appeal_id: uuid.UUID, text: str
    ) -> ClosingResult:
        try:
            await self._appeals.close(actor, appeal_id, comment=text)
        except CrmError as exc:
            log.warning("incident could not close appeal=%s: %s", appeal_id, exc)
            return ClosingResult(appeal_id=appeal_id, closed=False, error=str(exc))
        except Exception as exc:
            # one broken appeal must not leave the rest of the incident open
            log.exception("incident failed closing appeal=%s", appeal_id)
            return ClosingResult(
                appeal_id=appeal_id, closed=False, error=type(exc).__name__
            )
        return ClosingResult(appeal_id=appeal_id, closed=True)


def _check(draft: IncidentDraft) -> None:
    errors = check_draft(draft)
    if errors:
        raise ValidationFailed(errors)


def _require_open(row: IncidentRow) -> None:
    if row.status != IncidentStatus.OPEN.value:
        raise IncidentResolved(f"incident {row.id} is resolved")

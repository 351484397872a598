"""SLA monitoring (C11): appeals past their stage deadline are marked overdue once,
announced (AppealOverdue) and their queue administrators notified; closed appeals are
archived after a configured period (still searchable: archiving only sets a flag).
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from crm_core.appeals import store
from crm_core.appeals import workflow as wf
from crm_core.appeals.errors import StaleAppeal
from crm_core.appeals.events import AppealOverdue
from crm_core.appeals.model import Appeal, AppealAction, AppealStatus, HistoryEntry
from crm_core.appeals.ports import Clock, Publisher
from crm_core.appeals.tables import AppealNotificationRow, AppealRow
from crm_core.auth.model import Actor, system_actor
from crm_core.auth.tables import UserRow
from crm_core.db import Sessions

log = logging.getLogger(__name__)

OVERDUE_NOTICE = "appeal_overdue"


@dataclass(frozen=True, slots=True, kw_only=True)
class Notification:
    id: uuid.UUID
    user_id: uuid.UUID
    appeal_id: uuid.UUID
    kind: str
    created_at: datetime
    read: bool


class SlaMonitor:
    def __init__(
        self,
        sessions: Sessions,
        clock: Clock,
        publisher: Publisher,
        *,
        archive_after: timedelta,
        batch: int = 500,
    ) -> None:
        self._sessions = sessions
        self._clock = clock
        self._publisher = publisher
        self._archive_after = archive_after
        self._batch = batch
        self._actor = system_actor()

    async def check_overdue(self, now: datetime) -> list[uuid.UUID]:
        """Mark every open appeal whose deadline is at or before `now` as overdue
        (once), notify its queue administrators and publish AppealOverdue. Returns the
        ids marked. An appeal changed meanwhile is left for the next pass."""
        marked: list[AppealOverdue] = []
        while True:
            events = await self._overdue_batch(now)
            marked += events
            for event in events:
                await self._publisher.publish(event)
            if len(events) < self._batch:
                break
        return [uuid.UUID(e.appeal_id) for e in marked]

    async def _overdue_batch(self, now: datetime) -> list[AppealOverdue]:
        events: list[AppealOverdue] = []
        async with self._sessions.begin() as s:
            rows = await s.scalars(
                select(AppealRow)
                .where(
                    AppealRow.status.in_(store.OPEN),
                    AppealRow.overdue.is_(False),
                    AppealRow.deadline_at <= now,
                )
                .order_by(AppealRow.deadline_at)
                .limit(self._batch)
            )
            admins_by_queue = await _queue_administrators(s)
            for row in list(rows):
                event = await self._mark(
                    s, store.appeal_from_row(row), now, admins_by_queue
                )
                if event is not None:
                    events.append(event)
        return events

    async def _mark(
        self,
        s: AsyncSession,
        appeal: Appeal,
        now: datetime,
        admins_by_queue: dict[str, set[uuid.UUID]],
    ) -> AppealOverdue | None:
        step = wf.mark_overdue(appeal, self._actor, now)
        if step is None:
            return None
        try:  # a zero-row UPDATE changed nothing, so the transaction goes on
            await store.update_appeal(s, step.appeal, read_version=appeal.version)
        except StaleAppeal:
            log.info(
                "appeal=%s changed while being marked overdue; next pass", appeal.id
            )
            return None
        store.add_history(s, appeal.id, step.entry)
        admins = set(admins_by_queue.get(appeal.queue or "", set()))
        route = await store.route(s, appeal.route_id)
        queue = route.stage(appeal.stage).queue(appeal.queue) if route else None
        if queue is not None:
            admins |= queue.administrators
        known = set(await s.scalars(select(UserRow.id).where(UserRow.id.in_(admins))))
        for user_id in sorted(known):
            s.add(
                AppealNotificationRow(
                    id=uuid.uuid4(), user_id=user_id, appeal_id=appeal.id,
                    kind=OVERDUE_NOTICE, created_at=now, read=False,
                )
            )  # fmt: skip
        assert appeal.deadline_at is not None
        return AppealOverdue(
            occurred_at=now, appeal_id=str(appeal.id), stage=appeal.stage,
            queue=appeal.queue, deadline_at=appeal.deadline_at,
            administrator_ids=tuple(str(u) for u in sorted(known)),
        )  # fmt: skip

    async def archive_closed(self, now: datetime) -> int:
        """Archive appeals closed for longer than the configured period; returns how
        many. Archived appeals stay in the table and in searches. Done `batch` at a
        time, each in its own transaction, oldest closed first: a backlog (archiving
        switched on over years of appeals, a service down for weeks) is worked
        through without one huge transaction or more bound parameters than the
        driver takes."""
        cutoff = now - self._archive_after
        archived = 0
        while True:
            done = await self._archive_batch(cutoff, now)
            archived += done
            if done < self._batch:
                return archived

    async def _archive_batch(self, cutoff: datetime, now: datetime) -> int:
        async with self._sessions.begin() as s:
            ids = list(
                await s.scalars(
                    select(AppealRow.id)
                    .where(
                        AppealRow.status == AppealStatus.CLOSED.value,
                        AppealRow.archived.is_(False),
                        AppealRow.closed_at <= cutoff,
                    )
                    .order_by(AppealRow.closed_at)
                    .limit(self._batch)
                )
            )
            if not ids:
                return 0
            await s.execute(
                update(AppealRow)
                .where(AppealRow.id.in_(ids))
                .values(archived=True, archived_at=now, version=AppealRow.version + 1)
                .execution_options(synchronize_session=False)
            )
            for appeal_id in ids:
                store.add_history(s, appeal_id, _archived_entry(self._actor, now))
        return len(ids)

    async def run(self, *, interval_s: float) -> None:
        """Check deadlines and archive, every `interval_s` seconds, until cancelled."""
        while True:
            now = self._clock.now()
            try:
                await self.check_overdue(now)
                await self.archive_closed(now)
            except Exception:  # a failed pass is retried on the next tick
                log.exception("SLA pass failed at %s", now.isoformat())
            await asyncio.sleep(interval_s)

    async def notifications(
        self, actor: Actor, *, unread_only: bool = True
    ) -> list[Notification]:
        """The actor's own notices, newest first."""
        query = select(AppealNotificationRow).where(
            AppealNotificationRow.user_id == actor.user_id
        )
        if unread_only:
            query = query.where(AppealNotificationRow.read.is_(False))
        async with self._sessions() as s:
            rows = await s.scalars(
                query.order_by(AppealNotificationRow.created_at.desc())
            )
            return [
                Notification(
                    id=r.id, user_id=r.user_id, appeal_id=r.appeal_id, kind=r.kind,
                    created_at=store.aware(r.created_at), read=r.read,
                )
                for r in rows
            ]  # fmt: skip

    async def mark_read(self, actor: Actor, notification_id: uuid.UUID) -> None:
        async with self._sessions.begin() as s:
            await s.execute(
                update(AppealNotificationRow)
                .where(
                    AppealNotificationRow.id == notification_id,
                    AppealNotificationRow.user_id == actor.user_id,
                )
                .values(read=True)
            )


async def _queue_administrators(s: AsyncSession) -> dict[str, set[uuid.UUID]]:
    """Queue name -> users administering it by their user record."""
    admins: dict[str, set[uuid.UUID]] = {}
    rows = await s.execute(
        select(UserRow.id, UserRow.administered_queues).where(UserRow.active.is_(True))
    )
    for user_id, queues in rows:
        for queue in queues or ():
            admins.setdefault(queue, set()).add(user_id)
    return admins


def _archived_entry(actor: Actor, now: datetime) -> HistoryEntry:
    return HistoryEntry(
        at=now, actor_id=actor.user_id, actor_login=actor.login,
        action=AppealAction.ARCHIVE, to_status=AppealStatus.CLOSED,
    )  # fmt: skip

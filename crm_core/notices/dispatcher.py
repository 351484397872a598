"""Sends queued SMS and e-mail notices through the sender of their channel,
retrying with the webhooks' back-off (crm_core.webhooks.model.RetryPolicy). A
channel with no sender keeps its notices queued, each saying why in `last_error`,
until a start with one sends them. Call-back requests are never claimed here:
they wait for the dialer."""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Mapping
from datetime import timedelta

from sqlalchemy import or_, select, update

from crm_core.clock import Clock
from crm_core.db import Sessions
from crm_core.notices.model import SENDABLE, NoticeChannel, NoticeStatus
from crm_core.notices.ports import NoticeSender, NoticeSendFailed, OutgoingMessage
from crm_core.notices.tables import NoticeRow
from crm_core.outbox import run_outbox
from crm_core.webhooks.model import RetryPolicy, next_attempt_at

log = logging.getLogger(__name__)


class NoticeDispatcher:
    def __init__(
        self,
        sessions: Sessions,
        clock: Clock,
        senders: Mapping[NoticeChannel, NoticeSender],
        *,
        policy: RetryPolicy | None = None,
        batch: int = 50,
        poll_s: float = 5.0,
    ) -> None:
        self._sessions = sessions
        self._clock = clock
        self._senders = dict(senders)
        self.policy = policy or RetryPolicy()
        self._batch = batch
        self._poll_s = poll_s
        self._wake = asyncio.Event()

    def wake(self) -> None:
        """New notices are queued: send them without waiting for the next poll."""
        self._wake.set()

    async def run(self) -> None:
        """Send due notices until cancelled; wakes on `wake` or every poll."""
        for channel in self.unsendable:
            log.warning("%s notices are kept, not sent: %s",
                        channel.value, held_reason(channel))  # fmt: skip
        await run_outbox(
            self.run_once,
            wake=self._wake,
            batch=self._batch,
            poll_s=self._poll_s,
            name="notice",
        )

    @property
    def unsendable(self) -> list[NoticeChannel]:
        """Channels the outbox would send but has no sender for."""
        return sorted(SENDABLE - self._senders.keys())

    async def run_once(self) -> int:
        """Claim and send every notice due now (up to one batch); how many. Due
        notices of a channel with no sender are marked with the reason instead."""
        await self._hold_unsendable()
        claimed = await self._claim()
        if claimed:
            async with asyncio.TaskGroup() as group:
                for message, attempts in claimed:
                    group.create_task(self._send(message, attempts))
        return len(claimed)

    async def _hold_unsendable(self) -> None:
        now = self._clock.now()
        async with self._sessions.begin() as s:
            for channel in self.unsendable:
                reason = held_reason(channel)
                await s.execute(
                    update(NoticeRow)
                    .where(
                        NoticeRow.status == NoticeStatus.QUEUED.value,
                        NoticeRow.channel == channel.value,
                        NoticeRow.next_attempt_at <= now,
                        or_(
                            NoticeRow.last_error.is_(None),
                            NoticeRow.last_error != reason,
                        ),
                    )
                    .values(last_error=reason)
                    .execution_options(synchronize_session=False)
                )

    async def _claim(self) -> list[tuple[OutgoingMessage, int]]:
        now = self._clock.now()
        lease_until = now + timedelta(seconds=self.policy.timeout_s * 3)
        query = (
            select(NoticeRow)
            .where(
                NoticeRow.status == NoticeStatus.QUEUED.value,
                NoticeRow.channel.in_([c.value for c in self._senders]),
                NoticeRow.next_attempt_at <= now,
            )
            .order_by(NoticeRow.next_attempt_at)
            .limit(self._batch)
        )
        claimed = []
        async with self._sessions.begin() as s:
            for row in list(await s.scalars(query)):
                # the same lease as webhook deliveries: push the due time past it,
                # so another instance's update of the same row matches nothing
                result = await s.execute(
                    update(NoticeRow)
                    .where(
                        NoticeRow.id == row.id,
                        NoticeRow.next_attempt_at == row.next_attempt_at,
                    )
                    .values(next_attempt_at=lease_until)
                    .execution_options(synchronize_session=False)
                )
                if getattr(result, "rowcount", 0) != 1:
                    continue
                message = OutgoingMessage(
                    id=row.id, channel=NoticeChannel(row.channel),
                    address=row.address, subject=row.subject, body=row.body,
                )  # fmt: skip
                claimed.append((message, row.attempts))
        return claimed

    async def _send(self, message: OutgoingMessage, attempts: int) -> None:
        error: str | None = None
        sender = self._senders[message.channel]
        try:
            async with asyncio.timeout(self.policy.timeout_s):
                await sender.send(message, timeout_s=self.policy.timeout_s)
        except NoticeSendFailed as exc:
            error = str(exc)[:500] or "refused"
        except TimeoutError:
            error = f"no answer in {self.policy.timeout_s} s"
        await self._record(message.id, attempts + 1, error)

    async def _record(
        self, notice_id: uuid.UUID, attempts: int, error: str | None
    ) -> None:
        now = self._clock.now()
        async with self._sessions.begin() as s:
            row = await s.get(NoticeRow, notice_id)
            if row is None:  # its customer was deleted meanwhile
                return
            row.attempts = attempts
            row.last_error = error
            if error is None:
                row.status = NoticeStatus.SENT.value
                row.sent_at = now
                row.next_attempt_at = None
                return
            row.next_attempt_at = next_attempt_at(attempts, now, self.policy)
            if row.next_attempt_at is None:
                row.status = NoticeStatus.FAILED.value
                log.warning("notice gave up notice=%s channel=%s after %d attempts: %s",
                            notice_id, row.channel, attempts, error)  # fmt: skip
            else:
                log.info("notice retry notice=%s attempt=%d: %s",
                         notice_id, attempts, error)  # fmt: skip


def held_reason(channel: NoticeChannel) -> str:
    """What a notice of `channel` says while no sender for it is configured."""
    return f"not sent yet: no {channel.value} sender is configured"

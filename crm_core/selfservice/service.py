"""The self-service service: meter readings on the customer, callback requests for
the ACD, survey answers, and the caller's open appeal (read-only). One session per
call, none held between calls."""

from __future__ import annotations

import uuid
from collections.abc import Collection
from datetime import UTC, datetime
from decimal import Decimal

from sqlalchemy import select

from crm_core.appeals.model import AppealStatus
from crm_core.appeals.tables import AppealRow, TopicRow
from crm_core.clock import Clock
from crm_core.customers.errors import CustomerNotFound
from crm_core.customers.tables import CustomerRow
from crm_core.db import Sessions
from crm_core.selfservice.errors import (
    CallbackFinished,
    CallbackNotFound,
    ReadingRejected,
)
from crm_core.selfservice.model import (
    CallbackId,
    CallbackRequest,
    CallbackStatus,
    MeterReading,
    OpenAppealFacts,
    SurveyAnswer,
    appeal_number,
    reading_problem,
)
from crm_core.selfservice.tables import (
    CallbackRequestRow,
    MeterReadingRow,
    SurveyAnswerRow,
)

DEFAULT_METER = "main"
MAX_CALLBACK_ATTEMPTS = 3


class SelfService:
    def __init__(self, sessions: Sessions, clock: Clock) -> None:
        self._sessions = sessions
        self._clock = clock

    async def store_reading(
        self,
        customer_id: uuid.UUID,
        *,
        value: Decimal,
        call_id: str | None,
        taken_at: datetime | None = None,
        meter: str = DEFAULT_METER,
        flagged: bool = False,
    ) -> MeterReading:
        """Store a reading of `meter` on the customer. Raises CustomerNotFound, or
        ReadingRejected (reason "lower" below the previous reading unless `flagged`,
        "range" when negative or too large)."""
        at = taken_at or self._clock.now()
        async with self._sessions.begin() as s:
            # The customer's row lock serialises readings of one customer, so two
            # calls cannot both pass the check against the same previous reading.
            if await s.get(CustomerRow, customer_id, with_for_update=True) is None:
                raise CustomerNotFound(f"no customer {customer_id}")
            previous = await s.scalar(
                select(MeterReadingRow.value)
                .where(
                    MeterReadingRow.customer_id == customer_id,
                    MeterReadingRow.meter == meter,
                )
                .order_by(MeterReadingRow.taken_at.desc(), MeterReadingRow.id.desc())
                .limit(1)
            )
            problem = reading_problem(value, previous, flagged=flagged)
            if problem is not None:
                reason = (
                    "lower" if previous is not None and value < previous else "range"
                )
                raise ReadingRejected([problem], reason=reason)
            row = MeterReadingRow(
                id=uuid.uuid4(), customer_id=customer_id, meter=meter, value=value,
                call_id=call_id, taken_at=at, flagged=flagged,
            )  # fmt: skip
            s.add(row)
        return _reading(row)

    async def readings(
        self, customer_id: uuid.UUID, *, meter: str | None = None
    ) -> list[MeterReading]:
        """The customer's readings, oldest first."""
        query = select(MeterReadingRow).where(
            MeterReadingRow.customer_id == customer_id
        )
        if meter is not None:
            query = query.where(MeterReadingRow.meter == meter)
        async with self._sessions() as s:
            rows = await s.scalars(
                query.order_by(MeterReadingRow.taken_at, MeterReadingRow.id)
            )
            return [_reading(r) for r in rows]

    async def register_callback(
        self,
        *,
        call_id: str,
        ani: str,
        customer_id: uuid.UUID | None,
        queue: str,
        note: str = "",
    ) -> CallbackRequest:
        """A pending callback request for the ACD."""
        now = self._clock.now()
        row = CallbackRequestRow(
            id=uuid.uuid4(), call_id=call_id, ani=ani, customer_id=customer_id,
            queue=queue, note=note, requested_at=now,
            status=CallbackStatus.PENDING.value, attempts=0, updated_at=now,
        )  # fmt: skip
        async with self._sessions.begin() as s:
            if (
                customer_id is not None
                and await s.get(CustomerRow, customer_id) is None
            ):
                raise CustomerNotFound(f"no customer {customer_id}")
            s.add(row)
        return _callback(row)

    async def pending_callbacks(
        self, *, queue: str | None = None, limit: int = 100
    ) -> list[CallbackRequest]:
        """Pending requests, oldest first (what the ACD dials next)."""
        query = select(CallbackRequestRow).where(
            CallbackRequestRow.status == CallbackStatus.PENDING.value
        )
        if queue is not None:
            query = query.where(CallbackRequestRow.queue == queue)
        query = query.order_by(
            CallbackRequestRow.requested_at, CallbackRequestRow.id
        ).limit(limit)
        async with self._sessions() as s:
            return [_callback(r) for r in await s.scalars(query)]

    async def record_callback_attempt(
        self,
        callback_id: uuid.UUID,
        *,
        reached: bool,
        max_attempts: int = MAX_CALLBACK_ATTEMPTS,
    ) -> CallbackRequest:
        """Count one attempt: done when the caller was reached, failed after
        `max_attempts` misses, pending otherwise. Raises CallbackNotFound,
        CallbackFinished."""
        now = self._clock.now()
        async with self._sessions.begin() as s:
            row = await s.get(CallbackRequestRow, callback_id, with_for_update=True)
            if row is None:
                raise CallbackNotFound(f"no callback request {callback_id}")
            if row.status != CallbackStatus.PENDING.value:
                raise CallbackFinished(
                    f"callback request {callback_id} is {row.status}"
                )
            row.attempts += 1
            if reached:
                row.status = CallbackStatus.DONE.value
            elif row.attempts >= max_attempts:
                row.status = CallbackStatus.FAILED.value
            row.updated_at = now
        return _callback(row)

    async def store_survey_answer(
        self,
        *,
        call_id: str,
        customer_id: uuid.UUID | None,
        question: str,
        answer: str,
        channel: str = "dtmf",
    ) -> SurveyAnswer:
        """Store one answer of the call (a stranger's answers have no customer)."""
        row = SurveyAnswerRow(
            id=uuid.uuid4(), call_id=call_id, customer_id=customer_id,
            question=question, answer=answer, channel=channel,
            answered_at=self._clock.now(),
        )  # fmt: skip
        async with self._sessions.begin() as s:
            if (
                customer_id is not None
                and await s.get(CustomerRow, customer_id) is None
            ):
                raise CustomerNotFound(f"no customer {customer_id}")
            s.add(row)
        return _answer(row)

    async def survey_answers(self, *, call_id: str) -> list[SurveyAnswer]:
        async with self._sessions() as s:
            rows = await s.scalars(
                select(SurveyAnswerRow)
                .where(SurveyAnswerRow.call_id == call_id)
                .order_by(SurveyAnswerRow.answered_at, SurveyAnswerRow.id)
            )
            return [_answer(r) for r in rows]

    async def open_appeal(
        self,
        customer_id: uuid.UUID,
        *,
        topics: Collection[str] | None = None,
        excluding: Collection[str] = (),
    ) -> OpenAppealFacts | None:
        """The customer's most recently updated appeal that is not closed, among
        `topics` (codes; None: any) and not of a topic in `excluding`."""
        query = (
            select(AppealRow, TopicRow)
            .join(TopicRow, TopicRow.id == AppealRow.topic_id)
            .where(
                AppealRow.customer_id == customer_id,
                AppealRow.status != AppealStatus.CLOSED.value,
                AppealRow.archived.is_(False),
            )
        )
        if topics is not None:
            query = query.where(TopicRow.code.in_(list(topics)))
        if excluding:
            query = query.where(TopicRow.code.not_in(list(excluding)))
        query = query.order_by(AppealRow.updated_at.desc(), AppealRow.id.desc()).limit(
            1
        )
        async with self._sessions() as s:
            found = (await s.execute(query)).first()
        if found is None:
            return None
        appeal, topic = found
        return OpenAppealFacts(
            appeal_id=appeal.id, number=appeal_number(appeal.id), status=appeal.status,
            topic_code=topic.code, topic_name=topic.name,
            updated_at=_aware(appeal.updated_at),
            deadline_at=_maybe(appeal.deadline_at),
        )  # fmt: skip


def _reading(row: MeterReadingRow) -> MeterReading:
    return MeterReading(
        id=row.id, customer_id=row.customer_id, meter=row.meter, value=row.value,
        call_id=row.call_id, taken_at=_aware(row.taken_at), flagged=row.flagged,
    )  # fmt: skip


def _callback(row: CallbackRequestRow) -> CallbackRequest:
    return CallbackRequest(
        id=CallbackId(row.id), call_id=row.call_id, ani=row.ani,
        customer_id=row.customer_id, queue=row.queue, note=row.note,
        requested_at=_aware(row.requested_at), status=CallbackStatus(row.status),
        attempts=row.attempts, updated_at=_aware(row.updated_at),
    )  # fmt: skip


def _answer(row: SurveyAnswerRow) -> SurveyAnswer:
    return SurveyAnswer(
        call_id=row.call_id, customer_id=row.customer_id, question=row.question,
        answer=row.answer, channel=row.channel, answered_at=_aware(row.answered_at),
    )  # fmt: skip


def _maybe(moment: datetime | None) -> datetime | None:
    return None if moment is None else _aware(moment)


def _aware(moment: datetime) -> datetime:
    """SQLite hands timestamps back naive; they were stored in UTC."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)

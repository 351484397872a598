"""The outage service: supervisors create, edit and close outages; the IVR asks which
outage covers a caller now and records that the caller heard it. One session per
call, none held between calls."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from crm_core.auth.model import Actor, Permission
from crm_core.auth.rights import require
from crm_core.clock import Clock
from crm_core.db import Sessions
from crm_core.errors import ValidationFailed
from crm_core.outages.errors import OutageClosed, OutageNotFound
from crm_core.outages.model import (
    AddressScope,
    Area,
    Outage,
    OutageId,
    OutageInput,
    OutageKind,
    Place,
    heard_first,
    problems,
)
from crm_core.outages.tables import OutageHeardRow, OutageRow


class OutageService:
    def __init__(self, sessions: Sessions, clock: Clock) -> None:
        self._sessions = sessions
        self._clock = clock

    async def create(self, actor: Actor, data: OutageInput) -> Outage:
        """A new outage. Needs outage.manage; raises ValidationFailed per field."""
        require(actor, Permission.OUTAGE_MANAGE)
        _check(data)
        now = self._clock.now()
        row = OutageRow(
            id=uuid.uuid4(), created_by=actor.user_id, created_at=now, closed_at=None
        )
        _fill(row, data, now)
        async with self._sessions.begin() as s:
            s.add(row)
        return _outage(row)

    async def edit(
        self, actor: Actor, outage_id: uuid.UUID, data: OutageInput
    ) -> Outage:
        """Replace an open outage's fields. Raises OutageNotFound, OutageClosed,
        ValidationFailed."""
        require(actor, Permission.OUTAGE_MANAGE)
        _check(data)
        async with self._sessions.begin() as s:
            row = await _open_row(s, outage_id)
            _fill(row, data, self._clock.now())
        return _outage(row)

    async def close(self, actor: Actor, outage_id: uuid.UUID) -> Outage:
        """End an outage now: callers stop hearing it. Raises OutageNotFound,
        OutageClosed."""
        require(actor, Permission.OUTAGE_MANAGE)
        now = self._clock.now()
        async with self._sessions.begin() as s:
            row = await _open_row(s, outage_id)
            row.closed_at = now
            row.updated_at = now
        return _outage(row)

    async def get(self, outage_id: uuid.UUID) -> Outage:
        async with self._sessions() as s:
            row = await s.get(OutageRow, outage_id)
        if row is None:
            raise OutageNotFound(f"no outage {outage_id}")
        return _outage(row)

    async def active(self, now: datetime | None = None) -> list[Outage]:
        """Outages started and not closed at `now` (default: the clock's now)."""
        moment = now or self._clock.now()
        async with self._sessions() as s:
            rows = await s.scalars(
                select(OutageRow)
                .where(OutageRow.closed_at.is_(None), OutageRow.starts_at <= moment)
                .order_by(OutageRow.starts_at, OutageRow.id)
            )
            return [_outage(r) for r in rows]

    async def active_for(
        self, place: Place, now: datetime | None = None
    ) -> Outage | None:
        """The outage a caller at `place` should hear now (emergencies first), or
        None. An outage stays active past its expected end until it is closed."""
        moment = now or self._clock.now()
        return heard_first(await self.active(moment), place, moment)

    async def record_heard(self, *, outage_id: uuid.UUID, call_id: str) -> None:
        """Note that `call_id` played the notice; a repeat for the same call is a
        no-op. Raises OutageNotFound."""
        now = self._clock.now()
        async with self._sessions.begin() as s:
            if await s.get(OutageRow, outage_id) is None:
                raise OutageNotFound(f"no outage {outage_id}")
            seen = await s.scalar(
                select(OutageHeardRow.id).where(
                    OutageHeardRow.outage_id == outage_id,
                    OutageHeardRow.call_id == call_id,
                )
            )
            if seen is None:
                s.add(
                    OutageHeardRow(
                        id=uuid.uuid4(), outage_id=outage_id, call_id=call_id,
                        heard_at=now,
                    )
                )  # fmt: skip

    async def heard_count(self, outage_id: uuid.UUID) -> int:
        """How many calls heard the outage's notice."""
        async with self._sessions() as s:
            count = await s.scalar(
                select(func.count())
                .select_from(OutageHeardRow)
                .where(OutageHeardRow.outage_id == outage_id)
            )
        return int(count or 0)


def _check(data: OutageInput) -> None:
    found = problems(data)
    if found:
        raise ValidationFailed(found)


async def _open_row(s: AsyncSession, outage_id: uuid.UUID) -> OutageRow:
    row = await s.get(OutageRow, outage_id, with_for_update=True)
    if row is None:
        raise OutageNotFound(f"no outage {outage_id}")
    if row.closed_at is not None:
        raise OutageClosed(f"outage {outage_id} is closed")
    return row


def _fill(row: OutageRow, data: OutageInput, now: datetime) -> None:
    row.kind = data.kind.value
    row.network_nodes = sorted(n.strip() for n in data.area.network_nodes)
    row.addresses = [
        {"city": a.city.strip(), "district": a.district, "building": a.building}
        for a in data.area.addresses
    ]
    row.starts_at = data.starts_at
    row.expected_end = data.expected_end
    row.texts = dict(data.texts)
    row.default_language = data.default_language
    row.updated_at = now


def _outage(row: OutageRow) -> Outage:
    return Outage(
        id=OutageId(row.id),
        kind=OutageKind(row.kind),
        area=Area(
            network_nodes=frozenset(row.network_nodes),
            addresses=tuple(
                AddressScope(
                    city=a["city"],
                    district=a.get("district"),
                    building=a.get("building"),
                )
                for a in row.addresses
            ),
        ),
        starts_at=_aware(row.starts_at),
        expected_end=None if row.expected_end is None else _aware(row.expected_end),
        texts=dict(row.texts),
        default_language=row.default_language,
        created_by=row.created_by,
        created_at=_aware(row.created_at),
        updated_at=_aware(row.updated_at),
        closed_at=None if row.closed_at is None else _aware(row.closed_at),
    )


def _aware(moment: datetime) -> datetime:
    """SQLite hands timestamps back naive; they were stored in UTC."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)

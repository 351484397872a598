"""Rows to incident values and back; queries the incident service shares."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from crm_core.auth.store import utc, utc_or_none
from crm_core.incidents.errors import IncidentNotFound
from crm_core.incidents.model import (
    Area,
    Incident,
    IncidentDraft,
    IncidentId,
    IncidentKind,
    IncidentStatus,
    LinkedAppeal,
    LinkOrigin,
)
from crm_core.incidents.tables import IncidentAppealRow, IncidentRow


def incident_of(row: IncidentRow) -> Incident:
    return Incident(
        id=IncidentId(row.id), title=row.title, description=row.description,
        kind=IncidentKind(row.kind),
        area=Area.of(network_nodes=row.network_nodes, buildings=row.buildings,
                     cities=row.cities),
        topic_codes=frozenset(row.topic_codes), started_at=utc(row.started_at),
        expected_end_at=utc_or_none(row.expected_end_at),
        status=IncidentStatus(row.status), resolution=row.resolution,
        resolved_at=utc_or_none(row.resolved_at), resolved_by=row.resolved_by,
        created_by=row.created_by, created_at=utc(row.created_at),
        updated_at=utc(row.updated_at),
    )  # fmt: skip


def write_draft(row: IncidentRow, draft: IncidentDraft) -> None:
    row.title = draft.title.strip()
    row.description = draft.description
    row.kind = draft.kind.value
    row.network_nodes = sorted(draft.area.network_nodes)
    row.buildings = sorted(draft.area.buildings)
    row.cities = sorted(draft.area.cities)
    row.topic_codes = sorted(draft.topic_codes)
    row.started_at = draft.started_at
    row.expected_end_at = draft.expected_end_at


def link_of(row: IncidentAppealRow) -> LinkedAppeal:
    return LinkedAppeal(
        appeal_id=row.appeal_id, origin=LinkOrigin(row.origin),
        linked_at=utc(row.linked_at), linked_by=row.linked_by,
    )  # fmt: skip


async def load(s: AsyncSession, incident_id: uuid.UUID) -> IncidentRow:
    row = await s.get(IncidentRow, incident_id)
    if row is None:
        raise IncidentNotFound(f"no incident {incident_id}")
    return row


async def links(s: AsyncSession, incident_id: uuid.UUID) -> list[IncidentAppealRow]:
    rows = await s.scalars(
        select(IncidentAppealRow)
        .where(IncidentAppealRow.incident_id == incident_id)
        .order_by(IncidentAppealRow.linked_at, IncidentAppealRow.appeal_id)
    )
    return list(rows)

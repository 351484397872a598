"""Incidents as values, and the pure decisions about them: input checks, which
customers and topics an incident affects, resolving. No I/O, no clock."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import NewType

from crm_core.errors import FieldError

IncidentId = NewType("IncidentId", uuid.UUID)

TITLE_MAX = 200


class IncidentKind(StrEnum):
    OUTAGE = "outage"
    FAULT = "fault"


class IncidentStatus(StrEnum):
    OPEN = "open"
    RESOLVED = "resolved"


class LinkOrigin(StrEnum):
    MANUAL = "manual"
    AUTOMATIC = "automatic"


@dataclass(frozen=True, slots=True, kw_only=True)
class Area:
    """Where the problem is: a customer is affected when their network node,
    building or city is listed (compared without case or outer spaces)."""

    network_nodes: frozenset[str] = frozenset()
    buildings: frozenset[str] = frozenset()
    cities: frozenset[str] = frozenset()

    @classmethod
    def of(
        cls,
        *,
        network_nodes: Iterable[str] = (),
        buildings: Iterable[str] = (),
        cities: Iterable[str] = (),
    ) -> Area:
        return cls(
            network_nodes=_folded(network_nodes), buildings=_folded(buildings),
            cities=_folded(cities),
        )  # fmt: skip

    @property
    def empty(self) -> bool:
        return not (self.network_nodes or self.buildings or self.cities)


@dataclass(frozen=True, slots=True, kw_only=True)
class Place:
    """Where a customer is, as the customer card says."""

    network_node: str | None = None
    building: str | None = None
    city: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class IncidentDraft:
    """What a person writes when declaring or editing an incident."""

    title: str
    description: str = ""
    kind: IncidentKind = IncidentKind.OUTAGE
    area: Area = field(default_factory=Area)
    topic_codes: frozenset[str] = frozenset()
    """Appeals on these topics from the area are linked automatically."""
    started_at: datetime
    expected_end_at: datetime | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Incident:
    id: IncidentId
    title: str
    description: str
    kind: IncidentKind
    area: Area
    topic_codes: frozenset[str]
    started_at: datetime
    expected_end_at: datetime | None
    status: IncidentStatus
    resolution: str
    resolved_at: datetime | None
    resolved_by: uuid.UUID | None
    created_by: uuid.UUID
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True, slots=True, kw_only=True)
class LinkedAppeal:
    appeal_id: uuid.UUID
    origin: LinkOrigin
    linked_at: datetime
    linked_by: uuid.UUID


@dataclass(frozen=True, slots=True, kw_only=True)
class ClosingResult:
    """What resolving did to one linked appeal."""

    appeal_id: uuid.UUID
    closed: bool
    error: str | None = None
    """Why it stayed open (no right, a stage that does not allow closing...)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Resolution:
    incident: Incident
    results: tuple[ClosingResult, ...]
    notices_queued: int


def check_draft(draft: IncidentDraft) -> list[FieldError]:
    """Every problem with `draft`, one per field; empty when it is fine."""
    errors = []
    if not draft.title.strip():
        errors.append(FieldError("title", "must not be empty"))
    elif len(draft.title) > TITLE_MAX:
        errors.append(FieldError("title", f"at most {TITLE_MAX} characters"))
    if draft.started_at.tzinfo is None:
        errors.append(FieldError("started_at", "must carry a time zone"))
    end = draft.expected_end_at
    if end is not None:
        if end.tzinfo is None:
            errors.append(FieldError("expected_end_at", "must carry a time zone"))
        elif draft.started_at.tzinfo is not None and end < draft.started_at:
            errors.append(FieldError("expected_end_at", "is before the start"))
    return errors


def affects(incident: Incident, place: Place, topic_code: str) -> bool:
    """Whether a new appeal on `topic_code` from a customer at `place` belongs to
    `incident`: it is open, lists the topic, and the place is in its area. An
    incident without topics links nothing by itself."""
    if incident.status is not IncidentStatus.OPEN:
        return False
    if topic_code not in incident.topic_codes:
        return False
    area = incident.area
    return (
        _fold(place.network_node) in area.network_nodes
        or _fold(place.building) in area.buildings
        or _fold(place.city) in area.cities
    )


def _fold(value: str | None) -> str:
    # an empty string never matches: the area sets hold no empty names
    return "" if value is None else value.strip().casefold()


def _folded(values: Iterable[str]) -> frozenset[str]:
    return frozenset(f for f in (_fold(v) for v in values) if f)

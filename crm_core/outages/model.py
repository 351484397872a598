"""Outages as values, and the pure decisions about them: input checks, which caller
an outage covers, which one a caller hears. No I/O, no clock."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import NewType

from crm_core.errors import FieldError

OutageId = NewType("OutageId", uuid.UUID)

TEXT_MAX = 1000


class OutageKind(StrEnum):
    PLANNED = "planned"
    EMERGENCY = "emergency"


@dataclass(frozen=True, slots=True, kw_only=True)
class Place:
    """Where a customer is, as their card says (crm_core.customers CustomerCard)."""

    city: str | None = None
    district: str | None = None
    building: str | None = None
    network_node: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class AddressScope:
    """A city, optionally narrowed to a district and a building in it."""

    city: str
    district: str | None = None
    building: str | None = None

    def covers(self, place: Place) -> bool:
        return (
            _same(self.city, place.city)
            and (self.district is None or _same(self.district, place.district))
            and (self.building is None or _same(self.building, place.building))
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class Area:
    """A caller is in the area when their network node is listed, or their address
    falls in one of the scopes (compared without case or outer spaces)."""

    network_nodes: frozenset[str] = frozenset()
    addresses: tuple[AddressScope, ...] = ()

    @property
    def empty(self) -> bool:
        return not (self.network_nodes or self.addresses)

    def covers(self, place: Place) -> bool:
        node = _fold(place.network_node)
        if node and node in {_fold(n) for n in self.network_nodes}:
            return True
        return any(scope.covers(place) for scope in self.addresses)


@dataclass(frozen=True, slots=True, kw_only=True)
class Outage:
    id: OutageId
    kind: OutageKind
    area: Area
    starts_at: datetime
    expected_end: datetime | None
    texts: Mapping[str, str]
    """The notice by language code ("en", "ru"); `default_language`'s is required."""
    default_language: str
    created_by: uuid.UUID
    created_at: datetime
    updated_at: datetime
    closed_at: datetime | None = None

    def active_at(self, now: datetime) -> bool:
        return self.closed_at is None and self.starts_at <= now

    def text_for(self, language: str | None) -> str:
        if language and language in self.texts:
            return self.texts[language]
        return self.texts[self.default_language]


@dataclass(frozen=True, slots=True, kw_only=True)
class OutageInput:
    """What a supervisor enters to create or edit an outage."""

    kind: OutageKind
    area: Area
    starts_at: datetime
    expected_end: datetime | None = None
    texts: Mapping[str, str] = field(default_factory=dict)
    default_language: str = "en"


@dataclass(frozen=True, slots=True, kw_only=True)
class Heard:
    """A call played an outage's notice to the caller."""

    outage_id: OutageId
    call_id: str
    heard_at: datetime


def problems(data: OutageInput) -> list[FieldError]:
    """Every reason `data` cannot be stored, one per field."""
    found: list[FieldError] = []
    if data.area.empty:
        found.append(FieldError("area", "name a network node or an address"))
    for i, scope in enumerate(data.area.addresses):
        if not scope.city.strip():
            found.append(FieldError(f"area.addresses[{i}].city", "must not be empty"))
    if data.starts_at.tzinfo is None:
        found.append(FieldError("starts_at", "must carry a time zone"))
    if data.expected_end is not None:
        if data.expected_end.tzinfo is None:
            found.append(FieldError("expected_end", "must carry a time zone"))
        elif data.starts_at.tzinfo is not None and data.expected_end <= data.starts_at:
            found.append(FieldError("expected_end", "must be after starts_at"))
    if not data.texts.get(data.default_language, "").strip():
        found.append(
            FieldError(f"texts.{data.default_language}", "the default text is needed")
        )
    for language, text in data.texts.items():
        if len(text) > TEXT_MAX:
            found.append(FieldError(f"texts.{language}", f"at most {TEXT_MAX} chars"))
    return found


def heard_first(
    outages: Iterable[Outage], place: Place, now: datetime
) -> Outage | None:
    """The outage a caller at `place` hears at `now`: emergencies before planned
    work, then the most recently started; None when none covers them."""
    covering: Sequence[Outage] = [
        o for o in outages if o.active_at(now) and o.area.covers(place)
    ]
    if not covering:
        return None
    return max(
        covering, key=lambda o: (o.kind is OutageKind.EMERGENCY, o.starts_at, o.id)
    )


def _fold(text: str | None) -> str:
    return (text or "").strip().casefold()


def _same(wanted: str, actual: str | None) -> bool:
    return bool(actual) and _fold(wanted) == _fold(actual)

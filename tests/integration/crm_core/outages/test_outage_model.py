"""The pure outage decisions (no database): which caller an area covers and which
outage a caller hears; hypothesis checks the choice over any set of outages."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from crm_core.outages.model import (
    AddressScope,
    Area,
    Outage,
    OutageId,
    OutageKind,
    Place,
    heard_first,
)

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
NODES = ("N1", "N2", "N3")


def _outage(
    *, kind: OutageKind, node: str, start_min: int, closed: bool, number: int
) -> Outage:
    return Outage(
        id=OutageId(uuid.UUID(int=number)), kind=kind,
        area=Area(network_nodes=frozenset({node})),
        starts_at=NOW + timedelta(minutes=start_min), expected_end=None,
        texts={"en": "x"}, default_language="en", created_by=uuid.UUID(int=0),
        created_at=NOW, updated_at=NOW,
        closed_at=NOW if closed else None,
    )  # fmt: skip


outages = st.lists(
    st.builds(
        _outage,
        kind=st.sampled_from(OutageKind),
        node=st.sampled_from(NODES),
        start_min=st.integers(-120, 120),
        closed=st.booleans(),
        number=st.integers(1, 10_000),
    ),
    max_size=8,
)


@given(outages, st.sampled_from(NODES))
def test_heard_outage_is_active_and_covering_and_emergencies_win_when_any(
    given_outages: list[Outage], node: str
) -> None:
    place = Place(network_node=node)
    chosen = heard_first(given_outages, place, NOW)
    eligible = [o for o in given_outages if o.active_at(NOW) and o.area.covers(place)]
    if not eligible:
        assert chosen is None
        return
    assert chosen in eligible
    if any(o.kind is OutageKind.EMERGENCY for o in eligible):
        assert chosen.kind is OutageKind.EMERGENCY


def test_scope_needs_the_city_when_only_a_building_is_given() -> None:
    scope = AddressScope(city="Omsk", building=" 12 ")
    assert scope.covers(Place(city=" omsk", building="12"))
    assert not scope.covers(Place(building="12"))
    assert not scope.covers(Place(city="Omsk"))


def test_area_covers_nobody_when_empty() -> None:
    assert Area().empty
    assert not Area().covers(Place(city="Omsk", network_node="N1"))
    assert not Area(network_nodes=frozenset({"N1"})).covers(Place())

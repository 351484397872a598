"""Outages on SQLite and PostgreSQL: who hears which outage, rights, input checks,
closing and the record of calls that heard a notice."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

import pytest

from crm_core.auth.model import ROLE_PERMISSIONS, Actor, Role, system_actor
from crm_core.customers.service import CustomerService
from crm_core.db import Sessions
from crm_core.errors import FieldError, Forbidden, ValidationFailed
from crm_core.outages.errors import OutageClosed, OutageNotFound
from crm_core.outages.model import (
    AddressScope,
    Area,
    OutageInput,
    OutageKind,
    Place,
)
from crm_core.outages.service import OutageService
from tests.fakes import FakeClock


def _actor(role: Role) -> Actor:
    return Actor(
        user_id=uuid.uuid4(), login=role.value, role=role,
        permissions=ROLE_PERMISSIONS[role],
    )  # fmt: skip


SUPERVISOR = _actor(Role.SUPERVISOR)
ADMIN = _actor(Role.ADMINISTRATOR)
AGENT = _actor(Role.AGENT)


@dataclass
class Desk:
    clock: FakeClock
    outages: OutageService
    customers: CustomerService


@pytest.fixture
def desk(sessions: Sessions) -> Desk:
    clock = FakeClock()
    return Desk(clock, OutageService(sessions, clock), CustomerService(sessions, clock))


def _input(
    desk: Desk,
    *,
    area: Area,
    kind: OutageKind = OutageKind.PLANNED,
    start_in_s: float = -60,
    text: str = "Work on the line",
) -> OutageInput:
    return OutageInput(
        kind=kind, area=area,
        starts_at=desk.clock.now() + timedelta(seconds=start_in_s),
        expected_end=desk.clock.now() + timedelta(hours=4),
        texts={"en": text, "ru": "Работы на линии"}, default_language="en",
    )  # fmt: skip


OMSK_12 = Place(city="Omsk", district="Central", building="12", network_node="N1")


async def test_caller_hears_outage_when_network_node_is_listed(desk: Desk) -> None:
    created = await desk.outages.create(
        SUPERVISOR, _input(desk, area=Area(network_nodes=frozenset({" n1 "})))
    )
    found = await desk.outages.active_for(OMSK_12)
    assert found is not None
    assert found.id == created.id
    assert found.text_for("ru") == "Работы на линии"
    assert found.text_for("de") == "Work on the line"
    assert await desk.outages.active_for(Place(city="Omsk", network_node="N2")) is None


async def test_caller_hears_outage_when_building_in_their_city_is_listed(
    desk: Desk,
) -> None:
    area = Area(addresses=(AddressScope(city="OMSK", building="12"),))
    await desk.outages.create(ADMIN, _input(desk, area=area))
    assert await desk.outages.active_for(OMSK_12) is not None
    same_building_elsewhere = Place(city="Tomsk", building="12")
    assert await desk.outages.active_for(same_building_elsewhere) is None
    other_building = Place(city="Omsk", building="14")
    assert await desk.outages.active_for(other_building) is None


async def test_whole_district_is_covered_when_no_building_is_named(desk: Desk) -> None:
    area = Area(addresses=(AddressScope(city="Omsk", district="central"),))
    await desk.outages.create(SUPERVISOR, _input(desk, area=area))
    assert await desk.outages.active_for(OMSK_12) is not None
    assert await desk.outages.active_for(Place(city="Omsk", district="North")) is None


async def test_emergency_is_heard_first_when_two_outages_cover_the_caller(
    desk: Desk,
) -> None:
    node = Area(network_nodes=frozenset({"N1"}))
    await desk.outages.create(SUPERVISOR, _input(desk, area=node, start_in_s=-10))
    emergency = await desk.outages.create(
        SUPERVISOR,
        _input(desk, area=node, kind=OutageKind.EMERGENCY, start_in_s=-3600),
    )
    found = await desk.outages.active_for(OMSK_12)
    assert found is not None
    assert found.id == emergency.id
    assert found.kind is OutageKind.EMERGENCY


async def test_outage_is_not_heard_when_not_started_or_closed(desk: Desk) -> None:
    node = Area(network_nodes=frozenset({"N1"}))
    later = await desk.outages.create(
        SUPERVISOR, _input(desk, area=node, start_in_s=600)
    )
    assert await desk.outages.active_for(OMSK_12) is None
    desk.clock.advance(601)
    assert await desk.outages.active_for(OMSK_12) is not None
    closed = await desk.outages.close(SUPERVISOR, later.id)
    assert closed.closed_at == desk.clock.now()
    assert await desk.outages.active_for(OMSK_12) is None
    with pytest.raises(OutageClosed):
        await desk.outages.edit(SUPERVISOR, later.id, _input(desk, area=node))


async def test_edit_moves_the_area_when_outage_is_open(desk: Desk) -> None:
    created = await desk.outages.create(
        SUPERVISOR, _input(desk, area=Area(network_nodes=frozenset({"N9"})))
    )
    assert await desk.outages.active_for(OMSK_12) is None
    edited = await desk.outages.edit(
        SUPERVISOR, created.id,
        _input(desk, area=Area(network_nodes=frozenset({"N1"})), text="Moved"),
    )  # fmt: skip
    assert edited.texts["en"] == "Moved"
    assert (await desk.outages.get(created.id)).area.network_nodes == {"N1"}
    assert await desk.outages.active_for(OMSK_12) is not None


async def test_agent_is_forbidden_when_managing_outages(desk: Desk) -> None:
    data = _input(desk, area=Area(network_nodes=frozenset({"N1"})))
    with pytest.raises(Forbidden):
        await desk.outages.create(AGENT, data)
    created = await desk.outages.create(SUPERVISOR, data)
    with pytest.raises(Forbidden):
        await desk.outages.close(AGENT, created.id)


async def test_outage_is_refused_per_field_when_input_is_bad(desk: Desk) -> None:
    data = OutageInput(
        kind=OutageKind.PLANNED, area=Area(),
        starts_at=desk.clock.now(), expected_end=desk.clock.now() - timedelta(1),
        texts={"ru": "Работы"}, default_language="en",
    )  # fmt: skip
    with pytest.raises(ValidationFailed) as refused:
        await desk.outages.create(SUPERVISOR, data)
    assert {e.field for e in refused.value.errors} == {
        "area", "expected_end", "texts.en",
    }  # fmt: skip
    naive = OutageInput(
        kind=OutageKind.PLANNED, area=Area(addresses=(AddressScope(city=" "),)),
        starts_at=datetime(2026, 1, 1),  # noqa: DTZ001 - the naive time is the point
        texts={"en": "x"},
    )  # fmt: skip
    with pytest.raises(ValidationFailed) as refused:
        await desk.outages.create(SUPERVISOR, naive)
    assert refused.value.errors == (
        FieldError("area.addresses[0].city", "must not be empty"),
        FieldError("starts_at", "must carry a time zone"),
    )
    assert await desk.outages.active() == []


async def test_heard_is_recorded_once_when_a_call_plays_the_notice_twice(
    desk: Desk,
) -> None:
    created = await desk.outages.create(
        SUPERVISOR, _input(desk, area=Area(network_nodes=frozenset({"N1"})))
    )
    await desk.outages.record_heard(outage_id=created.id, call_id="c-1")
    await desk.outages.record_heard(outage_id=created.id, call_id="c-1")
    await desk.outages.record_heard(outage_id=created.id, call_id="c-2")
    assert await desk.outages.heard_count(created.id) == 2
    with pytest.raises(OutageNotFound):
        await desk.outages.record_heard(outage_id=uuid.uuid4(), call_id="c-3")


async def test_customer_card_place_matches_when_built_from_the_card(
    desk: Desk,
) -> None:
    card = await desk.customers.create(
        system_actor(),
        {"name": "Petr", "city": "Omsk", "building": "12", "network_node": "N7"},
    )
    await desk.outages.create(
        SUPERVISOR, _input(desk, area=Area(network_nodes=frozenset({"n7"})))
    )
    place = Place(
        city=card.city, district=card.district, building=card.building,
        network_node=card.network_node,
    )  # fmt: skip
    assert await desk.outages.active_for(place) is not None

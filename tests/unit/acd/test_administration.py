"""Queues and seats changed while the ACD runs: served at once, kept, refused in
use, and read back at start (over a fake PBX and an in-memory store)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import pytest

from acd.administration import AcdAdministration, Served
from acd.configuration import (
    Configuration,
    ConfigurationRefused,
    QueueInput,
    SeatInput,
    queues_of,
    seats_of,
)
from acd.errors import ConfigurationNotSaved, UnknownAgent
from acd.model import AgentId, AgentState, QueueId
from acd.service import AcdSettings
from tests.unit.acd.test_service import PBX, Rig, running

DEFAULTS = Configuration(
    queues=(QueueInput(queue_id="billing"), QueueInput(queue_id="general")),
    seats=(SeatInput(login="anna", endpoint="1001", queues={"billing": 0}),),
)


@dataclass(slots=True)
class MemoryStore:
    kept: Configuration = field(default_factory=Configuration)
    fail: bool = False

    async def load(self) -> Configuration:
        self._check()
        return self.kept

    async def save_all(self, config: Configuration) -> None:
        self._check()
        if not self.kept.queues and not self.kept.seats:
            self.kept = config

    async def save_queue(self, queue: QueueInput) -> None:
        self._check()
        others = tuple(q for q in self.kept.queues if q.queue_id != queue.queue_id)
        self.kept = Configuration(queues=(*others, queue), seats=self.kept.seats)

    async def delete_queue(self, queue_id: str) -> None:
        self._check()
        others = tuple(q for q in self.kept.queues if q.queue_id != queue_id)
        self.kept = Configuration(queues=others, seats=self.kept.seats)

    async def save_seat(self, seat: SeatInput) -> None:
        self._check()
        others = tuple(s for s in self.kept.seats if s.login != seat.login)
        self.kept = Configuration(queues=self.kept.queues, seats=(*others, seat))

    async def delete_seat(self, login: str) -> None:
        self._check()
        others = tuple(s for s in self.kept.seats if s.login != login)
        self.kept = Configuration(queues=self.kept.queues, seats=others)

    def _check(self) -> None:
        if self.fail:
            raise ConfigurationNotSaved("the database is away")


@dataclass(slots=True)
class Admin:
    rig: Rig
    setup: AcdAdministration
    store: MemoryStore


def _settings() -> AcdSettings:
    return AcdSettings(
        pbx_id=PBX,
        queues=queues_of(DEFAULTS),
        agents=seats_of(DEFAULTS, PBX),
        default_queue=QueueId("general"),
        stats_every_s=0.02,
    )


async def _started(kept: Configuration | None = None) -> AsyncIterator[Admin]:
    store = MemoryStore(kept=kept or Configuration())
    async with running(_settings()) as rig:
        setup = AcdAdministration(rig.service, store, defaults=DEFAULTS, pbxs=[PBX])
        await setup.run()
        yield Admin(rig, setup, store)


@pytest.fixture
async def admin() -> AsyncIterator[Admin]:
    async for it in _started():
        yield it


async def test_settings_are_kept_when_the_database_holds_no_configuration(
    admin: Admin,
) -> None:
    assert admin.store.kept == DEFAULTS
    assert admin.setup.loaded.is_set()


async def test_kept_configuration_replaces_the_settings_when_the_service_starts() -> (
    None
):
    kept = Configuration(
        queues=(QueueInput(queue_id="general"), QueueInput(queue_id="vip")),
        seats=(SeatInput(login="vera", endpoint="1005", queues={"vip": 0}),),
    )
    async for admin in _started(kept):
        service = admin.rig.service
        assert not service.has_queue(QueueId("billing"))
        assert service.endpoint_of(AgentId("vera")) == "1005"
        with pytest.raises(UnknownAgent):
            await service.login(AgentId("anna"))


async def test_new_seat_logs_in_and_is_rung_when_added_while_running(
    admin: Admin,
) -> None:
    seat = SeatInput(login="boris", endpoint="1002", queues={"billing": 0})

    await admin.setup.save_seat(seat, new=True)
    await admin.rig.service.login(AgentId("boris"))
    await admin.rig.arrive(1)

    [ring] = await admin.rig.rings(1)
    assert ring.channel == "Local/1002@cc-agent"
    assert admin.store.kept.seat("boris") == seat


async def test_logged_in_agent_is_rung_on_the_new_phone_when_their_seat_changes(
    admin: Admin,
) -> None:
    await admin.rig.service.login(AgentId("anna"))
    changed = SeatInput(login="anna", endpoint="1009", queues={"general": 0})

    await admin.setup.save_seat(changed, new=False)
    await admin.rig.arrive(1, queue=QueueId("general"))

    [ring] = await admin.rig.rings(1)
    assert ring.channel == "Local/1009@cc-agent"
    assert admin.rig.state("anna") is AgentState.RINGING


async def test_new_queue_takes_calls_with_its_ring_timeout_when_added(
    admin: Admin,
) -> None:
    await admin.setup.save_queue(QueueInput(queue_id="vip", ring_timeout_s=7), new=True)
    await admin.setup.save_seat(
        SeatInput(login="anna", endpoint="1001", queues={"vip": 0}), new=False
    )
    await admin.rig.service.login(AgentId("anna"))

    await admin.rig.arrive(1, queue=QueueId("vip"))

    [ring] = await admin.rig.rings(1)
    assert ring.timeout_s == 7
    assert any(s.queue_id == "vip" for s in admin.rig.service.queue_stats())


async def test_queue_is_kept_when_a_call_waits_in_it(admin: Admin) -> None:
    await admin.setup.save_seat(
        SeatInput(login="anna", endpoint="1001", queues={}), new=False
    )
    await admin.setup.save_queue(QueueInput(queue_id="spare"), new=True)
    await admin.rig.arrive(1, queue=QueueId("spare"))

    with pytest.raises(ConfigurationRefused) as refused:
        await admin.setup.delete_queue("spare")

    assert refused.value.in_use is not None
    assert refused.value.in_use.waiting == 1
    assert admin.rig.service.has_queue(QueueId("spare"))
    assert admin.store.kept.queue("spare") is not None


async def test_unused_queue_is_dropped_from_the_acd_when_deleted(admin: Admin) -> None:
    await admin.setup.save_queue(QueueInput(queue_id="spare"), new=True)

    await admin.setup.delete_queue("spare")

    assert not admin.rig.service.has_queue(QueueId("spare"))
    assert admin.store.kept.queue("spare") is None


async def test_seat_is_kept_when_its_agent_is_logged_in(admin: Admin) -> None:
    await admin.rig.service.login(AgentId("anna"))

    with pytest.raises(ConfigurationRefused) as refused:
        await admin.setup.delete_seat("anna")

    assert refused.value.logged_in
    assert admin.rig.service.endpoint_of(AgentId("anna")) == "1001"


async def test_running_acd_keeps_the_old_seat_when_the_change_cannot_be_kept(
    admin: Admin,
) -> None:
    admin.store.fail = True

    with pytest.raises(ConfigurationNotSaved):
        await admin.setup.save_seat(
            SeatInput(login="anna", endpoint="1009", queues={"billing": 0}),
            new=False,
        )

    assert admin.rig.service.endpoint_of(AgentId("anna")) == "1001"
    assert admin.setup.configuration == DEFAULTS


async def test_served_lists_follow_the_queues_and_seats_when_they_change(
    admin: Admin,
) -> None:
    queues, seats = Served(admin.setup), Served(admin.setup, seats=True)

    await admin.setup.save_queue(QueueInput(queue_id="vip"), new=True)
    await admin.setup.save_seat(SeatInput(login="vera", endpoint="1077"), new=True)

    assert list(queues) == ["billing", "general", "vip"]
    assert list(seats) == ["anna", "vera"]
    assert "vip" in set(queues)

"""Queues and seats edited while the service runs are what a restart serves and
restores: the seat added is read back from the database and its agent is logged
in again with no one asking; a seat deleted is not brought back."""

from __future__ import annotations

from pathlib import Path

from acd.configuration import SeatInput
from acd.model import AgentId, AgentState
from contactcentre.bootstrap import App
from contactcentre.demo import simulator_config
from contactcentre.settings import Settings
from telephony.sim.simulator import Simulator
from tests.integration.service import ready, service_settings, serving
from tests.waiting import eventually

VERA = AgentId("vera")


def _settings(database_url: str, tmp_path: Path) -> Settings:
    seats = [{"login": "anna", "endpoint": "1001"}]
    return service_settings(
        database_url, tmp_path, acd={"seats": seats, "announce_every_s": None}
    )


async def _up(app: App) -> None:
    await eventually(lambda: ready(app))
    await eventually(lambda: _true(app.recovery.recovered.is_set()))


async def _true(value: bool) -> bool:
    return value


async def test_seat_added_live_is_restored_logged_in_when_the_service_restarts(
    database_url: str, tmp_path: Path
) -> None:
    settings = _settings(database_url, tmp_path)
    async with Simulator(simulator_config(settings)):
        async with serving(settings) as app:
            await _up(app)
            vera = SeatInput(login="vera", endpoint="1077", queues={"billing": 1})
            await app.acd_setup.save_seat(vera, new=True)
            await app.acd_setup.delete_seat("anna")
            await app.acd.login(VERA)
        async with serving(settings) as again:
            await _up(again)
            state = again.acd.agent(VERA).state
            endpoint = again.acd.endpoint_of(VERA)
            anna = again.acd.endpoint_of(AgentId("anna"))
    assert state is AgentState.READY
    assert endpoint == "1077"
    assert anna is None

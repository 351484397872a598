"""Queues and seats kept in the database (SQLite and PostgreSQL): read back as
saved, the first start's kept only once, a row that does not read left out."""

from __future__ import annotations

import pytest
from sqlalchemy import update

from acd.configuration import Configuration, QueueInput, SeatInput
from acd.model import OverflowKind, Strategy
from acd.tables import AcdSeatRow, SqlConfigurationStore
from crm_core.db import Sessions
from tests.fakes import FakeClock

FIRST = Configuration(
    queues=(QueueInput(queue_id="general"),),
    seats=(SeatInput(login="anna", endpoint="1001", queues={"general": 0}),),
)


async def test_configuration_reads_back_as_saved_when_changed(
    sessions: Sessions,
) -> None:
    store = SqlConfigurationStore(sessions, FakeClock())
    vip = QueueInput(
        queue_id="vip", strategy=Strategy.BEST_SKILL, max_wait_s=120,
        overflow_after_s=30, overflow_kind=OverflowKind.TO_QUEUE,
        overflow_queue="general",
    )  # fmt: skip
    vera = SeatInput(
        login="vera", endpoint="1077", pbx="pbx2", skills={"billing": 5},
        languages=["ru"], queues={"vip": 3},
    )  # fmt: skip

    await store.save_all(FIRST)
    await store.save_queue(vip)
    await store.save_seat(vera)
    await store.save_seat(SeatInput(login="anna", endpoint="1009"))
    await store.delete_queue("general")

    kept = await store.load()
    assert kept.queues == (vip,)
    assert kept.seats == (SeatInput(login="anna", endpoint="1009"), vera)


async def test_first_configuration_is_kept_once_when_started_again(
    sessions: Sessions,
) -> None:
    store = SqlConfigurationStore(sessions, FakeClock())
    await store.save_all(FIRST)
    await store.delete_seat("anna")

    await store.save_all(FIRST)

    assert (await store.load()).seats == ()


async def test_seat_that_does_not_read_is_left_out_when_loaded(
    sessions: Sessions, caplog: pytest.LogCaptureFixture
) -> None:
    store = SqlConfigurationStore(sessions, FakeClock())
    await store.save_all(FIRST)
    await store.save_seat(SeatInput(login="vera", endpoint="1077"))
    async with sessions.begin() as s:
        await s.execute(
            update(AcdSeatRow)
            .where(AcdSeatRow.login == "vera")
            .values(document={"login": "vera", "endpoint": "10 77"})
        )

    kept = await store.load()

    assert [s.login for s in kept.seats] == ["anna"]
    assert "seat=vera" in caplog.text

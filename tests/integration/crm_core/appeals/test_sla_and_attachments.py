"""SLA monitoring, archiving and attachments on SQLite and PostgreSQL."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, insert, select

from crm_core.appeals.attachments import AttachmentService
from crm_core.appeals.errors import AttachmentTooLarge
from crm_core.appeals.events import AppealOverdue
from crm_core.appeals.model import Appeal, AppealAction
from crm_core.appeals.service import AppealInput
from crm_core.appeals.sla import SlaMonitor
from crm_core.appeals.tables import AppealRow, AttachmentRow
from crm_core.db import Sessions
from crm_core.errors import Forbidden
from tests.integration.crm_core.appeals.world import ANNA, BORIS, VERA, World, build


@pytest.fixture
async def world(sessions: Sessions) -> World:
    return await build(sessions)


def sla(world: World) -> SlaMonitor:
    return SlaMonitor(
        world.sessions, world.clock, world.events, archive_after=timedelta(days=30)
    )


async def new_complaint(world: World) -> AppealInput:
    return AppealInput(
        topic_id=world.complaint.id, customer_id=world.bis_customer,
        attributes={"BrokenSince": "2026-01-02"},
    )  # fmt: skip


async def closed_complaint(world: World) -> Appeal:
    appeal = await world.appeals.create(ANNA, await new_complaint(world))
    await world.appeals.take(ANNA, appeal.id)
    return await world.appeals.close(ANNA, appeal.id)


async def test_overdue_appeal_is_marked_once_and_admins_notified_when_deadline_passes(
    world: World,
) -> None:
    appeal = await world.appeals.create(ANNA, await new_complaint(world))
    monitor = sla(world)
    assert await monitor.check_overdue(world.clock.now() + timedelta(hours=3)) == []
    later = world.clock.now() + timedelta(hours=5)
    assert await monitor.check_overdue(later) == [appeal.id]
    assert await monitor.check_overdue(later + timedelta(hours=1)) == []
    events = world.events.of_type(AppealOverdue)
    assert [(e.appeal_id, e.administrator_ids) for e in events] == [
        (str(appeal.id), (str(VERA.user_id),))
    ]
    got = await world.appeals.get(VERA, appeal.id)
    assert (got.overdue, got.overdue_at) == (True, later)
    notices = await monitor.notifications(VERA)
    assert [(n.appeal_id, n.kind) for n in notices] == [(appeal.id, "appeal_overdue")]
    await monitor.mark_read(VERA, notices[0].id)
    assert await monitor.notifications(VERA) == []
    assert await monitor.notifications(ANNA) == []


async def test_changed_deadline_postpones_overdue_when_set_with_the_right(
    world: World,
) -> None:
    appeal = await world.appeals.create(ANNA, await new_complaint(world))
    new_deadline = world.clock.now() + timedelta(days=2)
    with pytest.raises(Forbidden):
        await world.appeals.set_deadline(ANNA, appeal.id, deadline_at=new_deadline)
    await world.appeals.set_deadline(
        BORIS, appeal.id, deadline_at=new_deadline, comment="parts ordered"
    )
    assert await sla(world).check_overdue(world.clock.now() + timedelta(days=1)) == []
    history = await world.appeals.history(VERA, appeal.id)
    assert history[-1].action is AppealAction.SET_DEADLINE
    assert "parts ordered" in history[-1].comment


async def test_closed_appeal_is_archived_when_the_period_has_passed(
    world: World,
) -> None:
    appeal = await closed_complaint(world)
    monitor = sla(world)
    assert await monitor.archive_closed(world.clock.now() + timedelta(days=29)) == 0
    assert await monitor.archive_closed(world.clock.now() + timedelta(days=31)) == 1
    got = await world.appeals.get(VERA, appeal.id)
    assert got.archived
    assert got.archived_at is not None


BACKLOG = 33_000
"""More closed appeals than bound parameters a statement takes (32,767 with
asyncpg, 32,766 in SQLite)."""


async def test_a_backlog_of_closed_appeals_larger_than_a_statement_is_archived(
    world: World,
) -> None:
    appeal = await closed_complaint(world)
    async with world.sessions.begin() as s:
        row = await s.get_one(AppealRow, appeal.id)
        template = {c.key: getattr(row, c.key) for c in AppealRow.__table__.columns}
        copies = [{**template, "id": uuid.uuid4()} for _ in range(BACKLOG)]
        await s.execute(insert(AppealRow), copies)
    monitor = sla(world)
    later = world.clock.now() + timedelta(days=31)
    assert await monitor.archive_closed(later) == BACKLOG + 1
    assert await monitor.archive_closed(later) == 0
    async with world.sessions() as s:
        left = select(func.count()).where(AppealRow.archived.is_(False))
        assert await s.scalar(left) == 0
    history = await world.appeals.history(VERA, appeal.id)
    assert [h.action for h in history].count(AppealAction.ARCHIVE) == 1


def files_under(directory: Path) -> list[Path]:
    return [p for p in directory.rglob("*") if p.is_file()]


async def chunks_of(data: bytes, size: int = 1000) -> AsyncIterator[bytes]:
    for start in range(0, len(data), size):
        yield data[start : start + size]


async def test_file_is_stored_by_checksum_when_attached(
    world: World, tmp_path: Path
) -> None:
    appeal = await world.appeals.create(ANNA, await new_complaint(world))
    files = AttachmentService(
        world.sessions, world.clock, directory=tmp_path / "files", max_bytes=10_000
    )
    data = bytes(range(256)) * 30
    attached = await files.attach(
        ANNA, appeal.id, name="photo.jpg", media_type="image/jpeg",
        chunks=chunks_of(data),
    )  # fmt: skip
    assert attached.sha256 == hashlib.sha256(data).hexdigest()
    assert attached.size_bytes == len(data)
    found, path = await files.open(VERA, attached.id)
    assert found == attached
    assert path.read_bytes() == data
    assert await files.list(VERA, appeal.id) == [attached]


async def test_oversized_file_is_refused_and_leaves_nothing_when_attached(
    world: World, tmp_path: Path, sessions: Sessions
) -> None:
    appeal = await world.appeals.create(ANNA, await new_complaint(world))
    files = AttachmentService(
        world.sessions, world.clock, directory=tmp_path / "files", max_bytes=5000
    )
    with pytest.raises(AttachmentTooLarge, match="larger than the limit of 5000 bytes"):
        await files.attach(
            ANNA, appeal.id, name="big.bin", media_type="application/octet-stream",
            chunks=chunks_of(b"x" * 5001),
        )  # fmt: skip
    assert files_under(tmp_path / "files") == []
    async with sessions() as s:
        assert await s.scalar(select(func.count()).select_from(AttachmentRow)) == 0

"""Bulk operations through the appeals service on SQLite and PostgreSQL, and search
results exported page by page."""

from __future__ import annotations

import csv
import io
import uuid

import pytest
from sqlalchemy import func, select

from crm_core.appeals.model import AppealStatus
from crm_core.appeals.service import AppealService
from crm_core.appeals.tables import AppealHistoryRow, AppealRow
from crm_core.auth.model import Role
from crm_core.db import Sessions
from crm_core.errors import Forbidden, ValidationFailed
from crm_core.reports.bulk import MAX_BATCH, BulkOperations, BulkTarget
from crm_core.reports.errors import BatchTooLarge
from crm_core.reports.export import ExportFormat, export_search
from crm_core.reports.filters import AppealFilter
from crm_core.reports.search import AppealSearch
from tests.fakes import FakeClock, RecordingPublisher
from tests.integration.crm_core.reports.world import HOUR, T0, add, appeal, build


def bulk(sessions: Sessions) -> BulkOperations:
    appeals = AppealService(sessions, FakeClock(), RecordingPublisher())
    return BulkOperations(appeals, AppealSearch(sessions))


async def row(sessions: Sessions, appeal_id: uuid.UUID) -> AppealRow:
    async with sessions() as s:
        found = await s.get(AppealRow, appeal_id)
    assert found is not None
    return found


async def steps(sessions: Sessions, appeal_id: uuid.UUID) -> int:
    async with sessions() as s:
        count = await s.scalar(
            select(func.count())
            .select_from(AppealHistoryRow)
            .where(AppealHistoryRow.appeal_id == appeal_id)
        )
    return int(count or 0)


async def test_bulk_close_goes_on_past_a_failing_appeal_when_one_is_refused(
    sessions: Sessions,
) -> None:
    w = await build(sessions)
    ok, refused = await add(sessions, [appeal(w, stage="done"), appeal(w)])
    missing = uuid.uuid4()
    results = await bulk(sessions).close(
        w.actor(), BulkTarget(ids=[ok, refused, missing, ok]), comment="done"
    )
    assert [(r.appeal_id, r.ok, r.error_id) for r in results] == [
        (ok, True, None),
        (refused, False, "conflict"),
        (missing, False, "appeal_not_found"),
    ]
    assert "closing is not allowed" in (results[1].reason or "")
    assert (await row(sessions, ok)).status == AppealStatus.CLOSED.value
    assert await steps(sessions, ok) == 1
    untouched = await row(sessions, refused)
    assert (untouched.status, untouched.version) == ("waiting", 1)
    assert await steps(sessions, refused) == 0


async def test_bulk_assign_takes_the_appeals_a_filter_finds_when_visible(
    sessions: Sessions,
) -> None:
    w = await build(sessions)
    mass = [appeal(w, customer_group="mass") for _ in range(3)]
    vip = appeal(w, customer_group="vip")
    done = appeal(w, customer_group="mass", status="closed", stage="done")
    await add(sessions, [*mass, vip, done])
    actor = w.actor(groups=frozenset({"mass"}))
    flt = AppealFilter(statuses=(AppealStatus.WAITING,))
    results = await bulk(sessions).assign(
        actor, BulkTarget(filter=flt), assignee_id=w.users["ann"]
    )
    assert {r.appeal_id for r in results} == {a.id for a in mass}
    assert all(r.ok for r in results)
    for a in mass:
        assert (await row(sessions, a.id)).assignee_id == w.users["ann"]
    assert (await row(sessions, vip.id)).assignee_id is None


async def test_bulk_pass_on_moves_each_appeal_to_the_next_stage_when_allowed(
    sessions: Sessions,
) -> None:
    w = await build(sessions)
    ids = await add(sessions, [appeal(w, created_at=T0 + i * HOUR) for i in range(3)])
    results = await bulk(sessions).pass_on(w.actor(), BulkTarget(ids=ids))
    assert all(r.ok for r in results)
    assert [(await row(sessions, i)).stage for i in ids] == ["done"] * 3


async def test_bulk_is_refused_when_the_target_is_too_big_or_unclear(
    sessions: Sessions,
) -> None:
    w = await build(sessions)
    ops = bulk(sessions)
    with pytest.raises(BatchTooLarge):
        await ops.close(w.actor(), BulkTarget(ids=[uuid.uuid4() for _ in range(501)]))
    await add(sessions, [appeal(w) for _ in range(MAX_BATCH + 1)])
    with pytest.raises(BatchTooLarge) as by_filter:
        await ops.close(w.actor(), BulkTarget(filter=AppealFilter()))
    assert by_filter.value.errors[0].field == "filter"
    with pytest.raises(ValidationFailed):
        await ops.close(w.actor(), BulkTarget())
    with pytest.raises(ValidationFailed):
        await ops.close(w.actor(), BulkTarget(ids=[], filter=AppealFilter()))
    with pytest.raises(Forbidden):
        await ops.close(w.actor("ann", Role.AGENT), BulkTarget(ids=[]))


async def test_search_export_writes_every_matching_appeal_when_paged(
    sessions: Sessions,
) -> None:
    w = await build(sessions)
    ids = await add(sessions, [appeal(w, created_at=T0 + i * HOUR) for i in range(450)])
    await add(sessions, [appeal(w, topic_id=w.other)])
    out = io.BytesIO()
    count = await export_search(
        AppealSearch(sessions), w.actor(),
        AppealFilter(topic_ids=(w.complaint,)), ExportFormat.CSV, out,
    )  # fmt: skip
    rows = list(csv.reader(io.StringIO(out.getvalue().decode(), newline="")))
    assert count == 450
    assert rows[0][0] == "Appeal"
    assert [r[0] for r in rows[1:]] == [str(i) for i in reversed(ids)]

"""Appeal search on SQLite and PostgreSQL: filters, visibility and keyset pages."""

from __future__ import annotations

import dataclasses
import uuid

import pytest

from crm_core.appeals.model import AppealStatus
from crm_core.db import Sessions
from crm_core.errors import Forbidden
from crm_core.reports.errors import BadCursor, BadFilter
from crm_core.reports.filters import MAX_LIMIT, AppealFilter, parse_filter
from crm_core.reports.model import SortOrder
from crm_core.reports.search import AppealSearch
from tests.integration.crm_core.reports.world import (
    DAY,
    HOUR,
    T0,
    World,
    add,
    appeal,
    build,
)


async def found(
    sessions: Sessions,
    w: World,
    flt: AppealFilter,
    groups: frozenset[str] | None = None,
) -> set[uuid.UUID]:
    actor = w.actor(groups=groups)
    page = await AppealSearch(sessions).search(actor, flt, limit=MAX_LIMIT)
    return {hit.id for hit in page.items}


async def every_page(
    sessions: Sessions, w: World, flt: AppealFilter, *, limit: int
) -> list[uuid.UUID]:
    """The ids of every page of `flt`, `limit` at a time, in the order given."""
    search, cursor = AppealSearch(sessions), None
    seen: list[uuid.UUID] = []
    while True:
        page = await search.search(w.actor(), flt, cursor=cursor, limit=limit)
        seen.extend(h.id for h in page.items)
        if page.next_cursor is None:
            return seen
        cursor = page.next_cursor


async def test_topic_group_finds_every_topic_below_it_when_searched(
    sessions: Sessions,
) -> None:
    w = await build(sessions)
    a, b, c = await add(sessions, [appeal(w, topic_id=w.complaint),
                                   appeal(w, topic_id=w.termination),
                                   appeal(w, topic_id=w.other)])  # fmt: skip
    search = AppealSearch(sessions)
    by_group = await search.search(w.actor(), AppealFilter(topic_ids=(w.group,)))
    by_topic = await search.search(w.actor(), AppealFilter(topic_ids=(w.other,)))
    assert {h.id for h in by_group.items} == {a, b}
    assert {h.id for h in by_topic.items} == {c}


async def test_filters_narrow_the_result_when_combined(sessions: Sessions) -> None:
    w = await build(sessions)
    ann, ivanov = w.users["ann"], w.customers["Ivanov"]
    target = appeal(w, status="in_progress", assignee_id=ann, customer_id=ivanov,
                    stage="done", overdue=True, created_at=T0 + DAY,
                    description="Router 100% DEAD since Monday")  # fmt: skip
    others = [
        appeal(w, status="waiting", assignee_id=ann, customer_id=ivanov,
               stage="done", overdue=True, created_at=T0 + DAY),
        appeal(w, status="in_progress", assignee_id=None, customer_id=ivanov,
               stage="done", overdue=True, created_at=T0 + DAY),
        appeal(w, status="in_progress", assignee_id=ann, customer_id=None,
               stage="done", overdue=True, created_at=T0 + DAY),
        appeal(w, status="in_progress", assignee_id=ann, customer_id=ivanov,
               stage="intake", overdue=True, created_at=T0 + DAY),
        appeal(w, status="in_progress", assignee_id=ann, customer_id=ivanov,
               stage="done", overdue=False, created_at=T0 + DAY),
        appeal(w, status="in_progress", assignee_id=ann, customer_id=ivanov,
               stage="done", overdue=True, created_at=T0 + 3 * DAY),
        appeal(w, status="in_progress", assignee_id=ann, customer_id=ivanov,
               stage="done", overdue=True, created_at=T0 + DAY, archived=True),
    ]  # fmt: skip
    await add(sessions, [target, *others])
    flt = AppealFilter(
        statuses=(AppealStatus.IN_PROGRESS,), stages=("done",), queues=("front",),
        assignee_ids=(ann,), customer_id=ivanov, overdue=True,
        created_from=T0, created_to=T0 + 2 * DAY, text="100% dead",
    )  # fmt: skip
    assert await found(sessions, w, flt) == {target.id}
    archived_too = flt.model_copy(update={"include_archived": True, "text": None})
    assert await found(sessions, w, archived_too) == {target.id, others[-1].id}


async def test_text_search_treats_wildcards_literally_when_given(
    sessions: Sessions,
) -> None:
    w = await build(sessions)
    a, _ = await add(sessions, [appeal(w, description="speed 50% lower"),
                                appeal(w, description="speed 50 lower")])  # fmt: skip
    assert await found(sessions, w, AppealFilter(text="50%")) == {a}


async def test_attribute_filters_compare_typed_values_when_given(
    sessions: Sessions,
) -> None:
    w = await build(sessions)
    fast, slow, other = await add(sessions, [
        appeal(w, attributes={"Speed": "100", "Confirmed": True,
                              "BrokenSince": "2026-01-03", "Tariff": "home100"}),
        appeal(w, attributes={"Speed": "20.5", "Confirmed": False,
                              "BrokenSince": "2025-12-30", "Tariff": "home500"}),
        appeal(w, attributes={}),
    ])  # fmt: skip

    def attr(**given: object) -> AppealFilter:
        return parse_filter({"attributes": [given]})

    assert await found(sessions, w, attr(code="Speed", gte=50)) == {fast}
    assert await found(sessions, w, attr(code="Speed", gte="20.5", lte=20.5)) == {slow}
    assert await found(sessions, w, attr(code="Confirmed", eq=True)) == {fast}
    assert await found(sessions, w, attr(code="Confirmed", eq=False)) == {slow}
    assert await found(sessions, w, attr(code="BrokenSince", lte="2026-01-01")) == {
        slow
    }
    assert await found(sessions, w, attr(code="Tariff", eq="home500")) == {slow}
    assert other in await found(sessions, w, AppealFilter())
    with pytest.raises(BadFilter) as unknown:
        await found(sessions, w, attr(code="Colour", eq="red"))
    assert unknown.value.errors[0].field == "attributes[0].code"
    with pytest.raises(BadFilter) as wrong:
        await found(sessions, w, attr(code="Speed", gte="fast"))
    assert wrong.value.errors[0].field == "attributes[0].gte"
    with pytest.raises(BadFilter) as no_range:
        await found(sessions, w, attr(code="Tariff", gte="a"))
    assert no_range.value.errors[0].field == "attributes[0].eq"


async def test_actor_sees_only_their_customer_groups_when_limited(
    sessions: Sessions,
) -> None:
    w = await build(sessions)
    mass, vip, none = await add(sessions, [appeal(w, customer_group="mass"),
                                           appeal(w, customer_group="vip"),
                                           appeal(w, customer_group=None)])  # fmt: skip
    assert await found(sessions, w, AppealFilter(), frozenset({"mass"})) == {mass}
    assert await found(sessions, w, AppealFilter(), frozenset({"vip", ""})) == {
        vip,
        none,
    }
    assert await found(sessions, w, AppealFilter(), frozenset()) == set()
    assert await found(sessions, w, AppealFilter(), None) == {mass, vip, none}


async def test_search_is_refused_when_the_actor_lacks_the_right(
    sessions: Sessions,
) -> None:
    w = await build(sessions)
    nobody = dataclasses.replace(w.actor(), permissions=frozenset())
    with pytest.raises(Forbidden):
        await AppealSearch(sessions).search(nobody, AppealFilter())


async def test_pages_have_no_duplicates_or_gaps_when_appeals_arrive_meanwhile(
    sessions: Sessions,
) -> None:
    w = await build(sessions)
    # Pairs share a creation moment, so the id must break the tie.
    first = [appeal(w, created_at=T0 + (i // 2) * HOUR) for i in range(23)]
    await add(sessions, first)
    search, cursor = AppealSearch(sessions), None
    seen: list[uuid.UUID] = []
    for n in range(100):
        page = await search.search(w.actor(), AppealFilter(), cursor=cursor, limit=5)
        seen.extend(h.id for h in page.items)
        await add(sessions, [appeal(w, created_at=T0 + (30 + n) * HOUR)])
        if page.next_cursor is None:
            break
        cursor = page.next_cursor
    expected = sorted(first, key=lambda r: (r.created_at, r.id), reverse=True)
    assert seen == [r.id for r in expected]


async def test_deadline_order_puts_appeals_without_deadline_last_when_paging(
    sessions: Sessions,
) -> None:
    w = await build(sessions)
    rows = [appeal(w, deadline_at=T0 + (i % 3) * HOUR) for i in range(7)]
    rows += [appeal(w, deadline_at=None) for _ in range(4)]
    await add(sessions, rows)
    flt = AppealFilter(sort=SortOrder.DEADLINE_ASC)
    search, cursor = AppealSearch(sessions), None
    seen: list[uuid.UUID] = []
    while True:
        page = await search.search(w.actor(), flt, cursor=cursor, limit=3)
        seen.extend(h.id for h in page.items)
        if page.next_cursor is None:
            break
        cursor = page.next_cursor
    far = T0 + 1000 * DAY
    expected = sorted(rows, key=lambda r: (r.deadline_at or far, r.id))
    assert seen == [r.id for r in expected]


async def test_limit_is_capped_and_bad_cursors_refused_when_asked(
    sessions: Sessions,
) -> None:
    w = await build(sessions)
    await add(sessions, [appeal(w) for _ in range(MAX_LIMIT + 3)])
    search = AppealSearch(sessions)
    page = await search.search(w.actor(), AppealFilter(), limit=10_000)
    assert len(page.items) == MAX_LIMIT
    assert page.next_cursor is not None
    rest = await search.search(w.actor(), AppealFilter(), cursor=page.next_cursor)
    assert len(rest.items) == 3
    assert rest.next_cursor is None
    by_deadline = AppealFilter(sort=SortOrder.DEADLINE_ASC)
    for cursor in ("garbage!", page.next_cursor):
        with pytest.raises(BadCursor):
            await search.search(w.actor(), by_deadline, cursor=cursor)
    with pytest.raises(BadFilter):
        await search.search(w.actor(), AppealFilter(), limit=0)


async def test_pages_merge_topics_and_statuses_in_order_when_several_are_asked(
    sessions: Sessions,
) -> None:
    w = await build(sessions)
    topics = (w.complaint, w.termination, w.other)
    statuses = ("waiting", "in_progress", "closed")
    rows = [
        appeal(w, topic_id=topics[i % 3], status=statuses[(i // 3) % 3],
               created_at=T0 + (i // 4) * HOUR)
        for i in range(40)
    ]  # fmt: skip
    await add(sessions, rows)
    flt = AppealFilter(
        topic_ids=(w.group,),
        statuses=(AppealStatus.WAITING, AppealStatus.IN_PROGRESS),
    )
    seen = await every_page(sessions, w, flt, limit=4)
    wanted = [
        r for r in rows
        if r.topic_id != w.other and r.status in {"waiting", "in_progress"}
    ]  # fmt: skip
    expected = sorted(wanted, key=lambda r: (r.created_at, r.id), reverse=True)
    assert len(expected) > 8
    assert seen == [r.id for r in expected]


async def test_work_list_pages_merge_statuses_and_overdue_by_deadline_when_paging(
    sessions: Sessions,
) -> None:
    w = await build(sessions)
    statuses = ("waiting", "rejected_back", "in_progress")
    rows = [
        appeal(w, status=statuses[i % 3], overdue=i % 4 == 0,
               queue="front" if i % 5 else "tech",
               deadline_at=None if i % 7 == 0 else T0 + (i // 3) * HOUR)
        for i in range(48)
    ]  # fmt: skip
    await add(sessions, rows)
    flt = AppealFilter(
        sort=SortOrder.DEADLINE_ASC,
        queues=("front",),
        statuses=(AppealStatus.WAITING, AppealStatus.REJECTED_BACK),
    )
    for overdue in (None, True):
        narrowed = flt.model_copy(update={"overdue": overdue})
        seen = await every_page(sessions, w, narrowed, limit=4)
        wanted = [
            r for r in rows
            if r.queue == "front" and r.status in {"waiting", "rejected_back"}
            and overdue in (None, r.overdue)
        ]  # fmt: skip
        far = T0 + 1000 * DAY
        expected = sorted(wanted, key=lambda r: (r.deadline_at or far, r.id))
        assert len(expected) > 4  # more than a page
        assert seen == [r.id for r in expected]

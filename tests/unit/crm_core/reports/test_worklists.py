"""Each work list is a search filter narrowed by what the person chose."""

from __future__ import annotations

import uuid

from crm_core.appeals.model import AppealStatus
from crm_core.reports.filters import AppealFilter
from crm_core.reports.model import SortOrder
from crm_core.reports.worklists import Worklist, default_sort, worklist_filter

ME = uuid.UUID(int=1)
S = AppealStatus
MINE = frozenset({"tech", "bis_tech"})


def listed(kind: Worklist, **chosen: object) -> AppealFilter | None:
    narrowed = AppealFilter.model_validate(chosen)
    return worklist_filter(kind, me=ME, queues=MINE, narrowed=narrowed)


def test_waiting_for_me_is_what_i_handle_when_nothing_is_chosen() -> None:
    found = listed(Worklist.MINE, text="router")
    assert found is not None
    assert (found.assignee_ids, found.statuses, found.text) == (
        (ME,), (S.IN_PROGRESS,), "router",
    )  # fmt: skip


def test_my_queues_are_the_untaken_appeals_of_my_queues_when_listed() -> None:
    found = listed(Worklist.QUEUES)
    assert found is not None
    assert found.queues == ("bis_tech", "tech")
    assert found.statuses == (S.WAITING, S.REJECTED_BACK)
    narrowed = listed(Worklist.QUEUES, queues=["tech"], statuses=["rejected_back"])
    assert narrowed is not None
    assert (narrowed.queues, narrowed.statuses) == (("tech",), (S.REJECTED_BACK,))


def test_overdue_is_past_its_deadline_in_my_queues_when_listed() -> None:
    found = listed(Worklist.OVERDUE)
    assert found is not None
    assert found.overdue is True
    assert set(found.statuses) == {S.WAITING, S.IN_PROGRESS, S.REJECTED_BACK}


def test_list_matches_nothing_when_the_choice_is_outside_it() -> None:
    assert listed(Worklist.QUEUES, queues=["front"]) is None
    assert listed(Worklist.MINE, statuses=["closed"]) is None
    nobody = worklist_filter(
        Worklist.QUEUES, me=ME, queues=frozenset(), narrowed=AppealFilter()
    )
    assert nobody is None


def test_search_keeps_every_choice_when_listing_every_appeal() -> None:
    chosen = AppealFilter.model_validate({"statuses": ["closed"], "queues": ["front"]})
    assert worklist_filter(Worklist.ALL, me=ME, queues=MINE, narrowed=chosen) == chosen


def test_work_lists_show_the_nearest_deadline_first_when_not_sorted() -> None:
    assert default_sort(Worklist.QUEUES) is SortOrder.DEADLINE_ASC
    assert default_sort(Worklist.ALL) is SortOrder.CREATED_DESC


def test_lists_of_open_appeals_do_not_ask_whether_they_are_archived() -> None:
    for kind in (Worklist.MINE, Worklist.QUEUES, Worklist.OVERDUE):
        found = listed(kind)
        assert found is not None
        assert found.include_archived
        assert S.CLOSED not in found.statuses
    every = listed(Worklist.ALL)
    assert every is not None
    assert not every.include_archived

"""The appeal lists people work from (C5, C8): waiting for me (taken by or given to
me), my queues (waiting there, nobody has taken them), overdue (past the deadline
in my queues), and every appeal I may see. Each is a search filter, narrowed by
what the person chose. Pure.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from enum import StrEnum
from typing import TypeVar

from crm_core.appeals.model import AppealStatus
from crm_core.reports.filters import AppealFilter
from crm_core.reports.model import SortOrder

S = AppealStatus
T = TypeVar("T")


class Worklist(StrEnum):
    MINE = "mine"
    QUEUES = "queues"
    OVERDUE = "overdue"
    ALL = "all"


OPEN = (S.WAITING, S.IN_PROGRESS, S.REJECTED_BACK)
UNTAKEN = (S.WAITING, S.REJECTED_BACK)
"""Passing on, rejecting back and reopening leave an appeal to nobody; taking and
assigning make it in progress."""


OPEN_ONLY = {"include_archived": True}
"""For lists of open appeals: archiving takes only closed ones (and reopening
clears it), so asking for unarchived ones would filter nothing while it kept
PostgreSQL from counting a list from its index alone (7-17 ms a count over
5,000,000 appeals instead of under 1 ms)."""


def default_sort(kind: Worklist) -> SortOrder:
    """Work lists show the nearest deadline first; the search the newest."""
    return SortOrder.CREATED_DESC if kind is Worklist.ALL else SortOrder.DEADLINE_ASC


def worklist_filter(
    kind: Worklist,
    *,
    me: uuid.UUID,
    queues: frozenset[str],
    narrowed: AppealFilter,
) -> AppealFilter | None:
    """The filter of list `kind` for the person `me` working in `queues`,
    narrowed by what they chose; None when nothing can match (a status or queue
    chosen outside the list's, or no queues to work in)."""
    match kind:
        case Worklist.ALL:
            return narrowed
        case Worklist.MINE:
            statuses = _within(narrowed.statuses, (S.IN_PROGRESS,))
            if statuses is None:
                return None
            return narrowed.model_copy(
                update={"assignee_ids": (me,), "statuses": statuses, **OPEN_ONLY}
            )
        case Worklist.QUEUES | Worklist.OVERDUE:
            allowed = UNTAKEN if kind is Worklist.QUEUES else OPEN
            statuses = _within(narrowed.statuses, allowed)
            mine = _within(narrowed.queues, tuple(sorted(queues)))
            if statuses is None or not mine:
                return None
            update: dict[str, object] = {
                "queues": mine,
                "statuses": statuses,
                **OPEN_ONLY,
            }
            if kind is Worklist.OVERDUE:
                update["overdue"] = True
            return narrowed.model_copy(update=update)


def _within(chosen: Sequence[T], allowed: Sequence[T]) -> tuple[T, ...] | None:
    """`chosen` kept to `allowed` (all of `allowed` when nothing is chosen);
    None when none of the chosen is allowed."""
    if not chosen:
        return tuple(allowed)
    kept = tuple(c for c in chosen if c in allowed)
    return kept or None

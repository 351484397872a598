"""The demo's seed gives the back office work: appeals waiting in the `backoffice`
user's queues (one overdue), one given to them, and no more on a second start."""

from __future__ import annotations

from datetime import UTC, datetime

from contactcentre.demo import seed_demo
from crm_core.appeals.actions import work_queues
from crm_core.appeals.topics import TopicService
from crm_core.auth.model import Actor
from crm_core.auth.service import AuthService
from crm_core.clock import UtcClock
from crm_core.db import Sessions
from crm_core.reports.filters import AppealFilter
from crm_core.reports.search import AppealSearch
from crm_core.reports.worklists import Worklist, worklist_filter

PASSWORD = "correct horse battery"


async def listed(sessions: Sessions, actor: Actor, kind: Worklist) -> int:
    routes = await TopicService(sessions, UtcClock()).routes(actor)
    wanted = worklist_filter(
        kind, me=actor.user_id, queues=work_queues(actor, routes),
        narrowed=AppealFilter(include_archived=False),
    )  # fmt: skip
    assert wanted is not None
    return len((await AppealSearch(sessions).search(actor, wanted)).items)


async def test_backoffice_user_has_appeals_waiting_when_the_demo_is_seeded(
    sessions: Sessions,
) -> None:
    await seed_demo(sessions, UtcClock(), PASSWORD)
    auth = AuthService(sessions, UtcClock())
    actor = (await auth.login("backoffice", PASSWORD, address="127.0.0.1")).actor
    assert await listed(sessions, actor, Worklist.QUEUES) == 6
    assert await listed(sessions, actor, Worklist.MINE) == 1
    every = await AppealSearch(sessions).search(actor, AppealFilter())
    past_due = [
        h for h in every.items if h.deadline_at and h.deadline_at < datetime.now(UTC)
    ]
    assert len(past_due) == 1  # overdue at the next deadline check
    await seed_demo(sessions, UtcClock(), PASSWORD)
    assert await listed(sessions, actor, Worklist.QUEUES) == 6

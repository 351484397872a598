"""The queue and agent reports as the pages and the API ask for them: the rights,
the stored intervals of the period, and the tables `acd.reports` makes of them.

Queue reports need report.read; the agents' reports (their time and pauses) also
need queue.supervise.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, tzinfo

from acd.model import AgentId, QueueId
from acd.ports import IntervalReader
from acd.reports import Step, agent_table, pause_table, queue_table
from crm_core.auth.model import Actor, Permission
from crm_core.auth.rights import require
from crm_core.reports.model import Table
from crm_core.reports.reports import check_period


class AcdReports:
    def __init__(self, intervals: IntervalReader) -> None:
        self._intervals = intervals

    async def queues(
        self,
        actor: Actor,
        *,
        since: datetime,
        until: datetime,
        step: Step,
        zone: tzinfo,
        queue_id: QueueId | None = None,
    ) -> Table:
        """Per queue and `step` (cut by `zone`'s calendar): intervals starting in
        [since, until). Forbidden without report.read; BadFilter for the period."""
        check_period(actor, since, until)
        records = await self._intervals.between(since, until, queue_id=queue_id)
        return queue_table(records, step=step, zone=zone)

    async def agents(
        self,
        actor: Actor,
        *,
        since: datetime,
        until: datetime,
        agent_id: AgentId | None = None,
        order: Callable[[str], str] = str,
        by_reason: bool = False,
    ) -> Table:
        """Per agent (sorted by `order`): time, calls and occupancy; `by_reason`:
        per agent and pause reason, the pauses and their time. Needs
        queue.supervise too."""
        check_period(actor, since, until)
        require(actor, Permission.QUEUE_SUPERVISE)
        records = await self._intervals.agents_between(since, until, agent_id=agent_id)
        make = pause_table if by_reason else agent_table
        return make(records, order=order)

"""What the reports' tests share: a site with appeals, queue and agent intervals on
a known day, a reader of the report page's table, and a spreadsheet cell as the page
shows it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from html.parser import HTMLParser
from pathlib import Path
from types import MappingProxyType
from typing import Any

from acd.agent_stats import AgentCounts, AgentIntervalRecord, PauseTally
from acd.model import AgentId, QueueId
from acd.stats import IntervalCounts, IntervalRecord
from acd.tables import SqlIntervalStore
from agent_ui.reports.views import shown
from crm_core.auth.model import system_actor
from crm_core.auth.service import AuthService, UserChanges
from tests.integration.agent_ui.site import Site, running_site
from tests.integration.crm_core.reports.world import HOUR, T0, World, add, appeal, build
from tests.integration.recordings.accounts import FAST, SystemClock

DAY_OF_T0 = "period=custom&date_from=2026-01-05&date_to=2026-01-05"
QUARTER = timedelta(minutes=15)


class Tables(HTMLParser):
    """The report table's headings and rows as the page shows them, and the text
    of elements with an id."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.rows: list[list[str]] = []
        self.ids: dict[str, str] = {}
        self._in_table = False
        self._cell: list[str] | None = None
        self._open_ids: list[tuple[str, list[str]]] = []
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if found.get("id"):
            self._open_ids.append((str(found["id"]), []))
        if tag == "table" and found.get("id") == "report-table":
            self._in_table = True
        elif self._in_table and tag == "tr":
            self.rows.append([])
        elif self._in_table and tag in ("td", "th"):
            self._cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag == "table":
            self._in_table = False
        elif self._cell is not None and tag in ("td", "th"):
            self.rows[-1].append("".join(self._cell).strip())
            self._cell = None
        if self._open_ids and tag in ("p", "div", "span", "select", "table", "h2"):
            name, text = self._open_ids.pop()
            self.ids[name] = " ".join("".join(text).split())

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)
        for _, text in self._open_ids:
            text.append(data)

    @property
    def headings(self) -> list[str]:
        return self.rows[0] if self.rows else []

    @property
    def body(self) -> list[list[str]]:
        return self.rows[1:]


@dataclass
class Reports:
    site: Site
    world: World


@asynccontextmanager
async def reports_site(database_url: str, tmp_path: Path) -> AsyncIterator[Reports]:
    """The site with appeals on 5 January 2026 (two topics of the "internet" group
    and one outside it), 5 hours of quarter-hours of three queues, two agents'
    quarter-hour with a lunch pause, and anna named "Anna K."."""
    async with running_site(database_url, tmp_path) as site:
        sessions = site.spine.app.sessions
        world = await build(sessions)
        await add(sessions, [
            appeal(world, created_at=T0, customer_group="vip"),
            appeal(world, created_at=T0 + HOUR, status="closed"),
            appeal(world, topic_id=world.termination, created_at=T0),
            appeal(world, topic_id=world.other, created_at=T0 + 2 * HOUR),
        ])  # fmt: skip
        auth = AuthService(sessions, SystemClock(), passwords=FAST)
        await auth.edit_user(
            system_actor(), site.user_ids["anna"], UserChanges(display_name="Anna K.")
        )
        await _intervals(SqlIntervalStore(sessions))
        yield Reports(site, world)


async def _intervals(store: SqlIntervalStore) -> None:
    counts = IntervalCounts(
        offered=5, answered=4, answered_in_target=3, abandoned=1, answer_wait_s=60.0,
        longest_answer_wait_s=40.0, handled=4, handle_s=720.0, busy_agent_s=600.0,
        staffed_agent_s=900.0,
    )  # fmt: skip
    await store.save(
        [
            IntervalRecord(
                queue_id=QueueId(queue),
                start=T0 + n * QUARTER,
                end=T0 + (n + 1) * QUARTER,
                counts=counts,
            )
            for queue in ("billing", "support", "general")
            for n in range(20)
        ]
    )
    pauses = MappingProxyType({"lunch": PauseTally(pauses=1, paused_s=300.0)})
    await store.save_agents(
        [
            AgentIntervalRecord(
                agent_id=AgentId(agent),
                start=T0,
                end=T0 + QUARTER,
                counts=AgentCounts(
                    offered=3,
                    answered=3,
                    handled=2,
                    talk_s=250.0,
                    wrap_up_s=20.0,
                    logged_in_s=900.0,
                    ready_s=200.0,
                    busy_s=400.0,
                    pauses=pauses,
                ),
            )
            for agent in ("anna", "boris")
        ]
    )


def as_page(cell: Any) -> str:
    """A spreadsheet cell as the page shows it (percentages with their one place)."""
    value = cell.value
    if isinstance(value, int | float) and cell.number_format == "0.0":
        return f"{value:.1f}"
    assert isinstance(value, str | int | datetime | timedelta | None), value
    return shown(value)

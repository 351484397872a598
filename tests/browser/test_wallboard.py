"""The supervisor's wallboard in Chromium against the service as `serve` builds
it, the simulator placing the calls: a caller waiting and the agent on a call
show without a reload, a caller waiting past the queue's limit colours its tile
and raises an alert, and the supervisor listens to the agent's call on her own
phone (ChanSpy with the listen options, audit-logged). Screenshots at 1366x768
go to var/test-artefacts/screens/."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import Page, expect
from sqlalchemy import select

from acd.model import AgentState
from crm_core.auth.tables import AuditRow
from crm_core.customers.seed import demo_phone_numbers
from tests.browser.conftest import screenshot, sign_in
from tests.integration.agent_ui.site import Site, running_site
from tests.integration.spine import ANNA, PHONES, SVETA
from tests.integration.test_spine import waiting_caller
from tests.waiting import eventually

WAIT_LIMITS = {
    "general": {"thresholds": {"longest_wait_s": {"warning": 1, "alarm": 2}}}
}
"""A caller waiting two seconds in `general` is an alarm."""


@pytest.fixture
async def site(database_url: str, tmp_path: Path) -> AsyncIterator[Site]:
    async with running_site(
        database_url, tmp_path, supervisor_seat=True, queues=WAIT_LIMITS
    ) as running:
        yield running


def sim_events(site: Site, name: str) -> list[dict[str, str]]:
    return [dict(e) for e in site.spine.sim.events if dict(e).get("Event") == name]


async def test_supervisor_sees_the_floor_and_listens_to_a_call(
    site: Site, page: Page
) -> None:
    spine = site.spine
    await sign_in(page, site, "/wallboard", "sveta")
    await screenshot(page, "wallboard-quiet")
    await spine.logged_in(ANNA)
    numbers = demo_phone_numbers(30)
    _, talking = await spine.call(
        waiting_caller(numbers[3], patience_s=None, talk_s=600)
    )
    await spine.until_state(ANNA, AgentState.ON_CALL)
    _, waiting = await spine.call(waiting_caller(numbers[4], patience_s=None))
    await spine.queued(waiting)

    tile = page.locator('article[data-queue-id="general"]')
    await expect(tile.locator('[data-figure="waiting"] dd')).to_have_text("1")
    longest = tile.locator('[data-figure="longest_wait"]')
    await expect(longest).to_have_attribute("data-level", "alarm")
    await expect(tile).to_have_class(re.compile("level-alarm"))
    await expect(page.locator('#alert-list li[data-kind="long_wait"]')).to_contain_text(
        "General questions: a caller has been waiting"
    )
    caller = page.locator(f'#waiting-table tr[data-call-id="{waiting}"]')
    await expect(caller.locator("td").nth(0)).to_have_text("General questions")
    await expect(caller.locator("input[name=number]")).to_have_value(numbers[4])
    await expect(page.locator("#waiting-count")).to_have_text("1")
    row = page.locator('#agent-table tr[data-agent-id="anna"]')
    await expect(row).to_have_attribute("data-state", "on_call")
    await expect(row.locator("td").nth(1)).to_have_text("On a call")
    await expect(row.locator(".call-queue")).to_have_text("General questions")
    await screenshot(page, "wallboard")

    await row.locator('button[data-mode="listen"]').click()
    await expect(page.locator("#flash")).to_have_text(
        "Your phone is connected to the call."
    )
    await expect(page.locator("#my-monitoring")).to_contain_text("listening")
    await expect(row.locator(".badge.monitoring")).to_have_text("sveta: listening")
    await screenshot(page, "wallboard-listening")

    [call] = [
        c for c in spine.app.telephony.tracker.live_calls() if c.call_id == talking
    ]
    assert call.peer is not None
    [originate] = [
        dict(a.fields)
        for a in spine.sim.actions
        if a.fields.get("Action") == "Originate" and a.fields.get("Context") == "cc-spy"
    ]
    assert originate["Channel"] == f"Local/{PHONES[SVETA]}@cc-agent"
    assert originate["Exten"] == "listen"
    assert originate["Variable"] == f"CC_SPY_CHANNEL={call.peer.channel}"
    [chanspy] = [
        e for e in sim_events(site, "Newexten") if e.get("Application") == "ChanSpy"
    ]
    assert chanspy["AppData"] == f"{call.peer.channel},qEu"
    [start] = sim_events(site, "ChanSpyStart")
    assert start["SpyeeChannel"] == call.peer.channel

    async def audited() -> Any:
        async with spine.app.sessions() as s:
            query = select(AuditRow).where(AuditRow.action == "call.listen")
            return (await s.scalars(query)).all()

    [entry] = await eventually(audited)
    assert (entry.actor_login, entry.object_id) == ("sveta", talking)

    await page.click("#btn-monitor-stop")
    await expect(page.locator("#flash")).to_have_text("You left the call.")
    await expect(page.locator("#my-monitoring")).to_have_count(0)

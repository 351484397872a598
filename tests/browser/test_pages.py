"""Every role reaches its own start page with its menu (marketing and
administration; the back office in tests/browser/test_backoffice.py), a page
outside one's role says so in words, and the supervisor's wallboard follows the
queue figures without a reload. Screenshots of each page go to
var/test-artefacts/screens/."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from playwright.async_api import Page, expect

from acd.events import QueueStatsUpdated
from acd.model import QueueId
from tests.browser.conftest import screenshot, sign_in
from tests.integration.agent_ui.site import Site


@pytest.mark.parametrize(
    ("login", "start", "title"),
    [
        ("masha", "/reports", "Reports"),
        ("ivan", "/admin", "Administration"),
    ],
)
async def test_role_reaches_its_start_page_when_it_signs_in(
    site: Site, page: Page, login: str, start: str, title: str
) -> None:
    await sign_in(page, site, "/", login, lands=start)
    await expect(page.locator("main h1")).to_have_text(title)
    await expect(page.locator('nav.menu a[aria-current="page"]')).to_have_text(title)
    await screenshot(page, f"start-{login}")


async def test_page_outside_the_role_says_so_when_an_agent_opens_it(
    site: Site, page: Page
) -> None:
    await sign_in(page, site, "/agent", "anna")
    await page.goto(site.base + "/wallboard")
    await expect(page.locator("main h1")).to_have_text("Not allowed")
    await screenshot(page, "not-allowed")


async def test_wallboard_follows_the_queue_figures_when_they_change(
    site: Site, page: Page
) -> None:
    await sign_in(page, site, "/wallboard", "sveta")
    row = page.locator('#queues tr[data-queue-id="billing"]')
    for waiting in (4, 6):
        now = datetime.now(UTC)
        await site.spine.app.bus.publish(
            QueueStatsUpdated(
                occurred_at=now, queue_id=QueueId("billing"), waiting=waiting,
                longest_wait_s=75.0, answered=9, abandoned=1, abandoned_short=0,
                service_level=0.8, average_speed_of_answer_s=12.0,
                average_handle_time_s=180.0,
                agents_by_state=(("ready", 2), ("on_call", 3)), occupancy=0.6,
                agents_needed=5, interval_start=now,
            )
        )  # fmt: skip
        await expect(row.locator("td").nth(1)).to_have_text(str(waiting))
    await expect(row.locator("td").nth(0)).to_have_text("Billing")
    await expect(row.locator("td").nth(2)).to_have_text("1:15")
    await expect(row.locator("td").nth(3)).to_have_text("80 %")
    await expect(row.locator("td").nth(6)).to_have_text("Ready 2, On a call 3")
    await screenshot(page, "wallboard")

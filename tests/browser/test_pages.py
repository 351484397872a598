"""Every role reaches its own start page with its menu (marketing and
administration; the back office in tests/browser/test_backoffice.py), and a page
outside one's role says so in words. Screenshots of each page go to
var/test-artefacts/screens/."""

from __future__ import annotations

import pytest
from playwright.async_api import Page, expect

from tests.browser.conftest import screenshot, sign_in
from tests.integration.agent_ui.site import Site


@pytest.mark.parametrize(
    ("login", "start", "title", "heading"),
    [
        ("masha", "/reports", "Reports", "Reports"),
        ("ivan", "/admin", "Administration", "Users"),
    ],
)
async def test_role_reaches_its_start_page_when_it_signs_in(
    site: Site, page: Page, login: str, start: str, title: str, heading: str
) -> None:
    await sign_in(page, site, "/", login, lands=start)
    await expect(page.locator("main h1")).to_have_text(heading)
    await expect(page.locator('nav.menu a[aria-current="page"]')).to_have_text(title)
    await screenshot(page, f"start-{login}")


async def test_page_outside_the_role_says_so_when_an_agent_opens_it(
    site: Site, page: Page
) -> None:
    await sign_in(page, site, "/agent", "anna")
    await page.goto(site.base + "/wallboard")
    await expect(page.locator("main h1")).to_have_text("Not allowed")
    await screenshot(page, "not-allowed")

"""The administrator's main path in Chromium: the users list, a new agent's seat
refused with the problem beside the field as it is typed and again on saving,
fixed and saved (the running ACD takes it at once), a queue in use that cannot be
deleted saying why, an IVR flow checked, and the seats page in Russian.
Screenshots at 1366x768."""

from __future__ import annotations

from playwright.async_api import Page, expect

from acd.model import AgentId
from tests.browser.conftest import screenshot, sign_in
from tests.integration.agent_ui.site import Site


async def test_admin_adds_a_seat_and_is_told_why_a_queue_stays_when_working(
    site: Site, page: Page
) -> None:
    await sign_in(page, site, "/", "ivan", lands="/admin")
    await expect(page.locator("#users")).to_contain_text("anna")
    await screenshot(page, "admin-users")
    await page.click("#users >> text=olga")
    await expect(page.locator("#access-form")).to_contain_text("See reports")
    await screenshot(page, "admin-user")

    await page.click("text=Agents' seats")
    await page.click("#new-seat")
    await page.fill("#f-login", "vera")
    await page.fill("#f-endpoint", "10 77")
    await page.press("#f-endpoint", "Tab")  # checked on change, before any save
    await expect(page.locator("#e-endpoint")).to_have_text(
        "Use letters, digits, dots, dashes and _ only."
    )
    await page.fill("#f-skills", "billing:5, en:3")
    await page.check("#q-billing")
    await page.click("#save-seat")
    await expect(page.locator("#e-endpoint")).to_have_text(
        "Use letters, digits, dots, dashes and _ only."
    )
    assert site.spine.app.acd.endpoint_of(AgentId("vera")) is None
    await page.fill("#f-endpoint", "1077")
    await page.click("#save-seat")
    await expect(page.locator("#done")).to_have_text("Saved.")
    assert site.spine.app.acd.endpoint_of(AgentId("vera")) == "1077"
    await screenshot(page, "admin-seat")

    await page.click("text=Queues")
    await page.click("text=General questions")
    await page.click("#delete-queue")
    refused = page.locator("#refused")
    await expect(refused).to_contain_text("This queue cannot be deleted now")
    await expect(refused).to_contain_text("anna, boris")
    await screenshot(page, "admin-queue-refused")

    await page.click("text=IVR flows")
    await page.click("#flows a >> nth=0")
    await page.click("#check-flow")
    await expect(page.locator("#checked")).to_contain_text("No problems found")
    await screenshot(page, "admin-flow")

    await page.goto(site.base + "/admin/seats")
    await page.click('button[lang="ru"]')
    await expect(page.locator("main h1")).to_have_text("Рабочие места операторов")
    await expect(page.locator("#seats")).to_contain_text("vera")
    await screenshot(page, "admin-seats-ru")

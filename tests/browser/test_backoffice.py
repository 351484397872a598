"""The back office in Chromium against the service as `serve` builds it: an
appeal taken from the queue and closed, its customer's card. Screenshots of
each page go to var/test-artefacts/screens/."""

from __future__ import annotations

from playwright.async_api import FilePayload, Page, expect

from tests.browser.conftest import screenshot, sign_in
from tests.integration.agent_ui import office
from tests.integration.agent_ui.site import Site


async def test_back_office_takes_an_appeal_from_its_queue_and_closes_it(
    site: Site, page: Page
) -> None:
    await office.routes(site)
    ivan = await office.customer(site, "Ivan Petrov")
    appeal_id = await office.waiting_termination(site, ivan, "moving abroad")
    for name, reason in (("Olga Smirnova", "too expensive"), ("Petr Sidorov", "slow")):
        await office.waiting_termination(
            site, await office.customer(site, name), reason
        )

    await sign_in(page, site, "/", "olga", lands="/backoffice")
    row = page.locator(f'#appeals tr[data-appeal-id="{appeal_id}"]')
    await expect(row).to_contain_text("Ivan Petrov")
    await expect(row).to_contain_text("Retention offer")
    await expect(row).to_contain_text("Waiting")
    await expect(page.locator('.tabs a[aria-current="page"]')).to_contain_text(
        "My queues"
    )
    await expect(page.locator('nav.menu a[aria-current="page"]')).to_have_text(
        "Back office"
    )
    await screenshot(page, "backoffice-queue")

    await row.locator("button.take").click()
    await expect(page).to_have_url(site.base + f"/backoffice/appeals/{appeal_id}")
    await expect(page.locator("#appeal-owner")).to_have_text("you")
    await expect(page.locator("#appeal-status")).to_have_text("In progress")
    await expect(page.locator("#history")).to_contain_text("Taken")
    await screenshot(page, "backoffice-appeal")

    contract = FilePayload(
        name="contract.pdf", mimeType="application/pdf",
        buffer=b"%PDF-1.4 signed contract",
    )  # fmt: skip
    await page.set_input_files("#upload-file", files=[contract])
    await page.click("#upload-button")
    await expect(page.locator("#attachments a")).to_have_text("contract.pdf")
    await expect(page.locator("#history")).to_contain_text(
        "File attached: contract.pdf"
    )
    await expect(page.locator("#flash")).to_contain_text("The file is attached.")

    await page.fill("#close-comment", "kept on a cheaper tariff")
    await page.click("#close")
    await expect(page.locator("#appeal-status")).to_have_text("Closed")
    await expect(page.locator("#flash")).to_contain_text("The appeal is closed.")
    await expect(page.locator("#history")).to_contain_text("kept on a cheaper tariff")
    assert (await office.appeal(site, appeal_id))["status"] == "closed"

    await page.click("#appeal-customer a")
    await expect(page.locator("#customer-name")).to_have_text("Ivan Petrov")
    await expect(page.locator("#customer-appeals")).to_contain_text("Closed")
    await screenshot(page, "backoffice-customer")

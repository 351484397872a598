# ruff: noqa: RUF001  Russian words
"""The knowledge base in Chromium against the service as `serve` builds it: a
supervisor writes an article (refused without a title, previewed while typed)
and publishes it; during a call the agent finds it beside the appeal form with
another form of a word and reads it in the side panel, the call staying on the
page. Screenshots go to var/test-artefacts/screens/."""

from __future__ import annotations

from playwright.async_api import Browser, Page, expect

from tests.browser.conftest import VIEWPORT, screenshot, sign_in
from tests.browser.test_agent_desk import KNOWN, call_in, known_customer, ready
from tests.integration.agent_ui.office import routes
from tests.integration.agent_ui.site import Site

BODY = """Если деньги за счёт списали дважды:

1. Проверьте **оба платежа** на карточке абонента.
2. Зарегистрируйте жалобу с датами платежей.

Лишняя сумма вернётся на баланс за 5 рабочих дней."""


async def write_article(page: Page, site: Site) -> None:
    """The supervisor's part: write, be refused without a title, publish."""
    await sign_in(page, site, "/kb", "sveta")
    await page.click("#kb-new")
    await page.fill("#body", BODY)
    await page.select_option("#language", "ru")
    await page.check('input[name="topic_codes"][value="complaint"]')
    await page.click("#save-article")
    await expect(page.locator("#form-problems")).to_be_visible()
    title_error = page.locator("#title ~ .field-error")
    await expect(title_error).to_have_text("Fill this in.")
    await expect(page.locator("#body")).to_have_value(BODY)
    await page.fill("#title", "Двойное списание по счетам")
    await page.locator("#title").blur()
    preview = page.locator("#preview")
    await expect(preview.locator("h2")).to_have_text("Двойное списание по счетам")
    await expect(preview.locator("strong")).to_have_text("оба платежа")
    await expect(title_error).to_have_text("")
    await screenshot(page, "kb-article-form")
    await page.click("#save-article")
    await expect(page.locator("#done")).to_contain_text("saved as a draft")
    await expect(page.locator("#article-status")).to_have_text("Draft")
    await page.click("#publish-article")
    await expect(page.locator("#article-status")).to_have_text("Published")
    await expect(page.locator("#article-history tbody tr")).to_have_count(2)
    await screenshot(page, "kb-article-published")
    await page.goto(site.base + "/kb")
    await expect(page.locator(".kb-title")).to_have_text("Двойное списание по счетам")
    await screenshot(page, "kb-list")


async def test_agent_reads_a_supervisors_new_article_during_a_call(
    site: Site, page: Page, browser: Browser
) -> None:
    await routes(site)
    context = await browser.new_context(viewport=VIEWPORT)  # type: ignore[arg-type]  # a ViewportSize
    try:
        await write_article(await context.new_page(), site)
    finally:
        await context.close()

    await known_customer(site)
    await ready(page, site)
    await call_in(site, KNOWN)
    await expect(page.locator("#customer-name")).to_have_text("Anna Petrova")
    await page.select_option("#topic", label="Complaint")
    results = page.locator("#kb-results")
    await expect(results.locator(".kb-title")).to_have_text(
        "Двойное списание по счетам"
    )
    await expect(results.locator(".badge")).to_have_text("on this topic")
    await page.fill("#kb-q", "роутеры")
    await expect(results).to_contain_text("No article holds all these words")
    await page.fill("#kb-q", "счёт списали")
    await expect(results.locator("mark").first).to_have_text("счёт")
    await page.locator("#knowledge-base").scroll_into_view_if_needed()
    await screenshot(page, "agent-kb-results")

    await results.locator(".kb-title").click()
    panel = page.locator("#kb-panel")
    await expect(panel).to_be_visible()
    await expect(panel.locator("#kb-panel-title")).to_have_text(
        "Двойное списание по счетам"
    )
    await expect(panel.locator("ol li")).to_have_count(2)
    await expect(page.locator("#appeal-panel")).to_be_attached()
    await expect(page.locator("#call-banner")).to_contain_text("Anna Petrova")
    await screenshot(page, "agent-kb-panel")
    await panel.locator("#kb-panel-close").click()
    await expect(panel).to_be_hidden()
    await expect(page.locator("#customer-name")).to_have_text("Anna Petrova")

"""Marketing reaches the reports, runs one narrowed by a topic group over dates of
their own, sees names, and downloads the XLSX, which holds the page's rows; the
supervisor reads the queue report hour by hour. Screenshots at 1366x768."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path

import openpyxl
import pytest
from playwright.async_api import Page, expect

from tests.browser.conftest import screenshot, sign_in
from tests.integration.agent_ui.report_data import Reports, as_page, reports_site

CELLS = "rows => rows.map(r => [...r.cells].map(c => c.textContent.trim()))"


@pytest.fixture
async def reports(database_url: str, tmp_path: Path) -> AsyncIterator[Reports]:
    async with reports_site(database_url, tmp_path) as running:
        yield running


async def test_marketing_downloads_the_report_it_sees_when_it_runs_one_with_a_filter(
    reports: Reports, page: Page, tmp_path: Path
) -> None:
    await sign_in(page, reports.site, "/", "masha", lands="/reports")
    await expect(page.locator("main h1")).to_have_text("Reports")
    await expect(page.locator("#report-title")).to_have_text("Appeals by topic")
    await expect(page.locator("#date_from")).to_be_hidden()
    await page.select_option("#period", "custom")
    await page.fill("#date_from", "2026-01-05")
    await page.fill("#date_to", "2026-01-05")
    await page.select_option("#topic", label="Internet")
    await page.click("#run")

    rows = page.locator("#report-table tbody tr")
    await expect(rows).to_have_count(2)
    await expect(rows.nth(0).locator("td").nth(0)).to_have_text("Complaint")
    await expect(rows.nth(1).locator("td").nth(0)).to_have_text("Termination")
    await expect(page).to_have_url(re.compile(r"/reports/by-topic\?.*topic="))
    await screenshot(page, "reports")

    async with page.expect_download() as started:
        await page.click('#files a[data-format="xlsx"]')
    download = await started.value
    assert download.suggested_filename == "by-topic-2026-01-05.xlsx"
    path = tmp_path / download.suggested_filename
    await download.save_as(path)
    sheet = list(openpyxl.load_workbook(path, read_only=True).worksheets[0].iter_rows())
    headings = await page.locator("#report-table thead th").all_inner_texts()
    assert [cell.value for cell in sheet[0]] == headings
    assert [[as_page(cell) for cell in row] for row in sheet[1:]] == (
        await rows.evaluate_all(CELLS)
    )


async def test_supervisor_reads_the_queues_hour_by_hour_when_choosing_the_step(
    reports: Reports, page: Page
) -> None:
    await sign_in(page, reports.site, "/", "sveta", lands="/wallboard")
    await page.goto(
        reports.site.base + "/reports/queues?period=custom&date_from=2026-01-05"
        "&date_to=2026-01-05&step=quarter"
    )
    await expect(page.locator("#page-of")).to_have_text("Page 1 of 2")
    await page.select_option("#step", "hour")
    await page.click("#run")
    rows = page.locator("#report-table tbody tr")
    await expect(rows).to_have_count(15)  # three queues, five hours each
    await expect(rows.nth(0).locator("td").nth(0)).to_have_text("Billing")
    await screenshot(page, "reports-queues")
    await page.click('.tabs a:has-text("Agents")')
    await page.select_option("#period", "custom")
    await page.fill("#date_from", "2026-01-05")
    await page.fill("#date_to", "2026-01-05")
    await page.click("#run")
    await expect(rows.nth(0).locator("td").nth(0)).to_have_text("Anna K.")
    await screenshot(page, "reports-agents")

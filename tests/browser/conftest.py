"""Browser tests share one headless Chromium per test, a page that keeps a screenshot
and a Playwright trace when its test failed, and signing in through the login page."""

from __future__ import annotations

import re
import sys
from collections.abc import AsyncIterator, Generator
from pathlib import Path

import pytest
from playwright.async_api import Browser, Page, async_playwright, expect

from tests.integration.agent_ui.harness import PASSWORD, Desk

CHROMIUM = "/usr/bin/chromium"
FAILED = pytest.StashKey[bool]()


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    report = yield
    if report.when == "call" and report.failed:
        item.stash[FAILED] = True
    return report


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    async with async_playwright() as playwright:
        chromium = await playwright.chromium.launch(
            executable_path=CHROMIUM, args=["--no-sandbox"], headless=True
        )
        try:
            yield chromium
        finally:
            await chromium.close()


@pytest.fixture
async def page(
    browser: Browser, tmp_path: Path, request: pytest.FixtureRequest
) -> AsyncIterator[Page]:
    context = await browser.new_context()
    await context.tracing.start(screenshots=True, snapshots=True)
    page = await context.new_page()
    try:
        yield page
    finally:
        if request.node.stash.get(FAILED, False):
            await page.screenshot(path=tmp_path / "failure.png", full_page=True)
            await context.tracing.stop(path=tmp_path / "trace.zip")
            sys.stderr.write(f"screenshot and trace in {tmp_path}\n")
        else:
            await context.tracing.stop()
        await context.close()


async def sign_in(page: Page, desk: Desk, path: str, login: str) -> None:
    await page.goto(desk.url + path)
    await expect(page).to_have_url(re.compile(r"/login\?next="))
    await page.fill("#login", login)
    await page.fill("#password", PASSWORD)
    await page.click("#sign-in")
    await expect(page).to_have_url(desk.url + path)
    await expect(page.locator("#link-status")).to_have_text("live")

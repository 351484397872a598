"""Browser tests share one headless Chromium per test at 1366x768, a page that
keeps a screenshot and a Playwright trace when its test failed, screenshots of the
pages for people to look at (under var/test-artefacts/, git-ignored), and signing
in through the sign-in page."""

from __future__ import annotations

import re
import sys
from collections.abc import AsyncIterator, Generator
from pathlib import Path

import pytest
from playwright.async_api import Browser, Page, async_playwright, expect

from tests.integration.agent_ui.site import PASSWORD, Site, running_site

CHROMIUM = "/usr/bin/chromium"
VIEWPORT = {"width": 1366, "height": 768}
ARTEFACTS = Path(__file__).resolve().parents[2] / "var" / "test-artefacts"
"""Screenshots of every page (`screens/`) and of failures (`failures/`)."""
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
async def page(browser: Browser, request: pytest.FixtureRequest) -> AsyncIterator[Page]:
    context = await browser.new_context(viewport=VIEWPORT)  # type: ignore[arg-type]  # a ViewportSize
    await context.tracing.start(screenshots=True, snapshots=True)
    page = await context.new_page()
    try:
        yield page
    finally:
        if request.node.stash.get(FAILED, False):
            where = ARTEFACTS / "failures" / _safe(request.node.name)
            where.mkdir(parents=True, exist_ok=True)
            await page.screenshot(path=where / "failure.png", full_page=True)
            await context.tracing.stop(path=where / "trace.zip")
            sys.stderr.write(f"screenshot and trace in {where}\n")
        else:
            await context.tracing.stop()
        await context.close()


@pytest.fixture
async def site(database_url: str, tmp_path: Path) -> AsyncIterator[Site]:
    async with running_site(database_url, tmp_path) as running:
        yield running


async def screenshot(page: Page, name: str) -> None:
    """Keep what the page looks like now as `screens/<name>.png`."""
    folder = ARTEFACTS / "screens"
    folder.mkdir(parents=True, exist_ok=True)
    await page.screenshot(path=folder / f"{name}.png")


async def sign_in(
    page: Page, site: Site, path: str, login: str, *, lands: str | None = None
) -> None:
    """Open `path`, be sent to the sign-in page, sign in, and land on `lands`
    (default: `path`) with the live channel up (when the page has one)."""
    await page.goto(site.base + path)
    await expect(page).to_have_url(re.compile(r"/login\?next="))
    await page.fill("#login", login)
    await page.fill("#password", PASSWORD)
    await page.click("#sign-in")
    await expect(page).to_have_url(site.base + (lands or path))
    if await page.locator("#link-status").count():
        await expect(page.locator("#link-status")).to_have_class("status up")


def _safe(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", name)[:120]

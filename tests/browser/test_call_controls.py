"""The agent works from the page: state buttons change their ACD state, the transfer
form lists every queue and checks a number before sending it, and wrap-up ends
with a disposition the server receives. The server side is the real ACD (fake PBX)
and a recording fake of the call routes."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator

import pytest
from playwright.async_api import Page, WebSocketRoute, expect

from acd.events import Disposition, WrapUpFinished
from acd.model import AgentId, AgentState
from crm_core.db import Sessions
from recordings.http import MuteIn
from tests.browser.calls import Floor, TransferIn, running_floor
from tests.browser.conftest import sign_in
from tests.integration.agent_ui.harness import PASSWORD
from tests.waiting import eventually


@pytest.fixture
async def floor(sessions: Sessions) -> AsyncIterator[Floor]:
    async with running_floor(sessions) as running:
        yield running


async def until(floor: Floor, state: AgentState) -> None:
    async def reached() -> bool:
        return floor.state("anna") is state

    await eventually(reached, timeout_s=5)


async def on_a_call(floor: Floor, page: Page) -> str:
    """Sign in, log in from the page and take a call; the call's id."""
    await sign_in(page, floor.desk, "/agent", "anna")
    await page.click("#btn-login")
    await until(floor, AgentState.READY)
    call_id = await floor.connect_call(1)
    await expect(page.locator("#agent-state")).to_have_attribute(
        "data-state", "on_call"
    )
    await expect(page.locator("#call-label")).to_have_text(call_id)
    return call_id


async def test_state_buttons_change_the_state_shown_when_the_agent_clicks_them(
    floor: Floor, page: Page
) -> None:
    await sign_in(page, floor.desk, "/agent", "anna")
    shown = page.locator("#agent-state")
    await expect(shown).to_have_text("Logged out")
    await expect(page.locator("#btn-logout")).to_be_disabled()
    await expect(page.locator("#btn-hangup")).to_be_disabled()

    await page.click("#btn-login")
    await expect(shown).to_have_text("Ready")
    assert floor.state("anna") is AgentState.READY
    await expect(page.locator("#state-time")).to_have_text("0:00")
    await expect(page.locator("#btn-ready")).to_be_disabled()

    await page.select_option("#pause-reason", "lunch")
    await page.click("#btn-pause")
    await expect(shown).to_have_text("Paused (lunch)")
    view = floor.service.agent(AgentId("anna"))
    assert (view.state, view.reason) == (AgentState.PAUSED, "lunch")

    await page.click("#btn-ready")
    await expect(shown).to_have_text("Ready")
    await page.click("#btn-logout")
    await expect(shown).to_have_text("Logged out")
    assert floor.state("anna") is AgentState.LOGGED_OUT
    await expect(page.locator("#action-error")).to_be_hidden()


async def test_state_is_polled_when_the_live_channel_is_down(
    floor: Floor, page: Page
) -> None:
    async def silent(_socket: WebSocketRoute) -> None:
        """Never reaches the server: the page's live channel stays down."""

    await page.route_web_socket(re.compile(r"/socket\.io/"), silent)
    await page.goto(floor.desk.url + "/agent")
    await page.fill("#login", "anna")
    await page.fill("#password", PASSWORD)
    await page.click("#sign-in")
    await expect(page.locator("#who")).to_have_text("anna")
    shown = page.locator("#agent-state")
    await expect(shown).to_have_text("Logged out")

    await floor.service.login(AgentId("anna"))
    await expect(shown).to_have_text("Ready", timeout=5000)
    await expect(page.locator("#link-status")).not_to_have_text("live")


async def test_transfer_form_refuses_a_bad_number_inline_and_sends_a_good_one(
    floor: Floor, page: Page
) -> None:
    call_id = await on_a_call(floor, page)
    error = page.locator("#transfer-error")
    await expect(page.locator("#transfer-queue option")).to_have_text(
        ["billing", "sales", "support"]
    )

    await page.select_option("#transfer-kind", "number")
    await expect(page.locator("#transfer-agent")).to_be_hidden()
    await page.fill("#transfer-number", "12ab")
    await page.click("#btn-transfer")
    await expect(error).to_contain_text("3 to 20 digits")
    assert floor.controls.transfers == []

    await page.select_option("#transfer-kind", "agent")
    await page.fill("#transfer-agent", "nobody")
    await page.click("#btn-transfer")
    await expect(error).to_have_text("no ACD agent nobody")

    await page.select_option("#transfer-kind", "number")
    await page.select_option("#transfer-mode", "attended")
    await page.fill("#transfer-number", "+74951234567")
    await page.click("#btn-transfer")
    await expect(page.locator("#transfer-status")).to_contain_text("Talking to")
    await expect(error).to_be_hidden()
    assert floor.controls.transfers == [
        TransferIn(mode="attended", number="+74951234567")
    ]
    await expect(page.locator("#btn-hangup")).to_be_disabled()
    await page.click("#btn-transfer-complete")
    await expect(page.locator("#transfer-status")).to_contain_text("Done: attended")
    assert floor.controls.transfer_ends == ["done"]

    await page.click("#btn-record")
    await expect(page.locator("#btn-record")).to_have_text("Resume recording")
    assert floor.controls.mutes == [MuteIn(call_id=call_id, muted=True)]


async def test_wrap_up_finishes_with_a_disposition_when_the_agent_hangs_up(
    floor: Floor, page: Page
) -> None:
    call_id = await on_a_call(floor, page)
    await page.click("#btn-hangup")
    await expect(page.locator("#agent-state")).to_have_text("Wrap-up")
    assert floor.state("anna") is AgentState.WRAP_UP

    await page.click("#btn-finish-wrap-up")
    await expect(page.locator("#wrap-up-error")).to_have_text(
        "Choose a disposition first."
    )
    assert floor.state("anna") is AgentState.WRAP_UP

    await page.select_option("#disposition", "resolved")
    await page.fill("#wrap-notes", "refund promised")
    await page.click("#btn-finish-wrap-up")
    await expect(page.locator("#agent-state")).to_have_text("Ready")
    assert floor.state("anna") is AgentState.READY
    await expect(page.locator("#last-disposition")).to_have_text(
        f"Last call {call_id}: Resolved — refund promised"
    )
    await expect(page.locator("#btn-finish-wrap-up")).to_be_disabled()
    [finished] = floor.reported.of_type(WrapUpFinished)
    assert (finished.call_id, finished.disposition, finished.notes) == (
        call_id,
        Disposition.RESOLVED,
        "refund promised",
    )

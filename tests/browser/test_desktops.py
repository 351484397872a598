"""The agent signs in and sees the screen-pop of a call offered to them; the
supervisor's wallboard updates without a reload. A failure leaves a screenshot and
a Playwright trace beside the test's temporary files."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest
from playwright.async_api import Page, expect

from acd.events import QueueStatsUpdated
from acd.model import QueueId
from crm_core.auth.model import system_actor
from crm_core.customers.events import CallerIdentified
from crm_core.db import Sessions
from ivr.events import IvrCompleted, JsonValue
from tests.browser.conftest import sign_in
from tests.integration.agent_ui.harness import Desk, running_desk

ANI = "+79161234567"
CALL = "pbx1-1700000000.9"
MENU_STEP = "\N{SINGLE RIGHT-POINTING ANGLE QUOTATION MARK}"


@pytest.fixture
async def desk(sessions: Sessions) -> AsyncIterator[Desk]:
    async with running_desk(sessions) as running:
        yield running


async def test_screen_pop_appears_when_a_call_is_offered_to_the_signed_in_agent(
    desk: Desk, page: Page
) -> None:
    card = await desk.customers.create(
        system_actor(),
        {"name": "Anna Petrova", "account": "ACC-7", "phones": [{"number": ANI}]},
    )
    await sign_in(page, desk, "/agent", "anna")
    await expect(page.locator("#who")).to_have_text("anna")

    await desk.bus.publish(
        CallerIdentified(
            occurred_at=datetime.now(UTC),
            call_id=CALL,
            ani=ANI,
            customer_ids=(str(card.id),),
            contact_id="contact-9",
        )
    )
    await desk.bus.publish(desk.offer(CALL, "anna"))

    pop = page.locator("#screen-pop")
    await expect(pop.locator(".customer-name")).to_have_text("Anna Petrova")
    await expect(pop.locator("#pop-title")).to_have_text(f"Call from {ANI}")
    await expect(pop).to_have_attribute("data-contact-id", "contact-9")
    await expect(pop).to_contain_text("ACC-7")


async def test_pop_shows_ivr_answers_and_a_new_customer_form_when_the_caller_is_unknown(
    desk: Desk, page: Page
) -> None:
    await sign_in(page, desk, "/agent", "anna")
    handoff: dict[str, JsonValue] = {
        "flow": "main",
        "menu_path": ["billing", "balance"],
        "values": {"account_number": "4411"},
        "recognised": [
            {
                "name": "topic",
                "value": "balance",
                "channel": "speech",
                "confidence": 0.9,
            }
        ],
    }
    await desk.bus.publish(
        IvrCompleted(
            occurred_at=datetime.now(UTC), call_id=CALL, ani=ANI, customer_id=None,
            outcome="queue", queue="billing", skills=(), priority=0, language="ru",
            data={"handoff": handoff},
        )
    )  # fmt: skip
    await desk.bus.publish(desk.offer(CALL, "anna"))

    pop = page.locator("#screen-pop")
    form = pop.locator("#new-customer")
    await expect(form.locator("h3")).to_have_text("New customer")
    await expect(form.locator('input[name="phone"]')).to_have_value(ANI)
    ivr = pop.locator("#ivr")
    await expect(ivr).to_contain_text("main")
    await expect(ivr).to_contain_text(f"billing {MENU_STEP} balance")
    await expect(ivr.locator("#ivr-values")).to_contain_text("account number4411")
    await expect(ivr.locator("#ivr-heard")).to_contain_text(
        "balance (speech, 90 % sure)"
    )


async def test_wallboard_updates_without_reload_when_queue_figures_arrive(
    desk: Desk, page: Page
) -> None:
    await sign_in(page, desk, "/wallboard", "sam")
    row = page.locator('#queues tr[data-queue-id="billing"]')
    for waiting in (4, 6):
        now = datetime.now(UTC)
        await desk.bus.publish(
            QueueStatsUpdated(
                occurred_at=now,
                queue_id=QueueId("billing"),
                waiting=waiting,
                longest_wait_s=75.0,
                answered=9,
                abandoned=1,
                abandoned_short=0,
                service_level=0.8,
                average_speed_of_answer_s=12.0,
                average_handle_time_s=180.0,
                agents_by_state=(("ready", 2), ("on_call", 3)),
                occupancy=0.6,
                agents_needed=5,
                interval_start=now,
            )
        )
        await expect(row.locator("td").nth(1)).to_have_text(str(waiting))
    await expect(row.locator("td").nth(2)).to_have_text("1:15")
    await expect(row.locator("td").nth(3)).to_have_text("80 %")
    await expect(row.locator("td").nth(4)).to_have_text("1 (10 %)")
    await expect(row.locator("td").nth(6)).to_have_text("ready 2, on_call 3")

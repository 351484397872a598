"""The agent's desk in Chromium against the service as `serve` builds it, the
simulator placing the calls: a known customer's call from ring to wrap-up with an
appeal registered (refused while a required attribute is empty) and passed on; an
unknown caller saved as a customer; the Russian desk; a session that runs out
mid-call; the live channel dropping and coming back. Screenshots of each page go
to var/test-artefacts/screens/."""

from __future__ import annotations

import contextlib
import re
from pathlib import Path
from typing import Any

from playwright.async_api import Error as PlaywrightError
from playwright.async_api import Page, WebSocketRoute, expect

from acd.model import AgentState
from crm_core.auth.service import AuthService
from crm_core.clock import UtcClock
from crm_core.customers.model import Contact
from tests.browser.conftest import screenshot, sign_in
from tests.integration.agent_ui.office import routes
from tests.integration.agent_ui.site import Site, running_site
from tests.integration.spine import ANNA
from tests.integration.test_spine import waiting_caller

KNOWN = "+74957770011"
STRANGER = "+74957770099"
CARD = {
    "name": "Anna Petrova", "account": "ACC-7", "balance": "-120.50",
    "phones": [{"number": KNOWN}], "products": ["Home 100"],
    "equipment": ["Router R-1"], "category": "VIP",
}  # fmt: skip


async def known_customer(site: Site, card: dict[str, Any] = CARD) -> str:
    """A customer made through the API, as an integration would."""
    spine = site.spine
    async with spine.http.post(
        spine.base + "/api/v1/customers",
        json=card,
        headers={"Authorization": f"Bearer {spine.tokens['sveta']}"},
    ) as response:
        assert response.status == 201, await response.text()
        return str((await response.json())["id"])


async def appeals_of(site: Site, customer_id: str) -> list[Any]:
    found = await site.spine.json(
        f"/api/v1/appeals/search?customer_id={customer_id}", "sveta"
    )
    items: list[Any] = found["items"]
    return items


async def ready(page: Page, site: Site) -> None:
    """Sign anna in and log her in to her queues from the page."""
    await sign_in(page, site, "/agent", "anna")
    await page.click("#btn-login")
    await expect(page.locator("#agent-state")).to_have_attribute("data-state", "ready")


async def call_in(site: Site, number: str) -> str:
    _, call = await site.spine.call(waiting_caller(number, patience_s=None, talk_s=600))
    return call


async def test_agent_works_a_known_customers_call_from_ring_to_wrap_up(
    site: Site, page: Page
) -> None:
    customer_id = await known_customer(site)
    await routes(site)
    await ready(page, site)
    await screenshot(page, "agent-desk-ready")
    call = await call_in(site, KNOWN)

    pop = page.locator("#pop")
    await expect(pop.locator("#customer-name")).to_have_text("Anna Petrova")
    await expect(page.locator("#call-banner")).to_have_class(re.compile("connected"))
    await expect(page.locator("#caller")).to_have_text("Anna Petrova")
    await expect(pop.locator("#customer-balance")).to_contain_text("-120.50")
    await expect(pop.locator("#customer-products")).to_have_text("Home 100")
    await expect(pop.locator("#customer-equipment")).to_have_text("Router R-1")
    await expect(pop.locator("#contact-opened")).to_be_visible()
    await expect(pop.locator("#history")).to_contain_text("this call")
    await screenshot(page, "agent-desk-pop")

    await page.select_option("#topic", label="Complaint")
    form = page.locator("#appeal-form")
    await expect(form.locator('[data-attribute="BrokenSince"] label')).to_have_class(
        "required"
    )
    await form.locator("#a-Speed").fill("fast")
    await form.locator("#a-Speed").blur()
    speed = form.locator('[data-attribute="Speed"] .field-error')
    await expect(speed).to_have_text("Enter a number, such as 12.5.")
    await form.locator("#a-Speed").fill("500")
    await page.click("#save-appeal")
    broken = page.locator('[data-attribute="BrokenSince"] .field-error')
    await expect(broken).to_have_text("Fill this in.")
    await expect(page.locator('[data-attribute="Speed"] .field-error')).to_have_text("")
    assert await appeals_of(site, customer_id) == []
    await screenshot(page, "agent-appeal-refused")

    await page.locator("#a-BrokenSince").fill("2026-12-01")
    await page.click("#save-appeal")
    saved = page.locator("#appeal-saved")
    await expect(saved).to_contain_text("registered")
    [appeal] = await appeals_of(site, customer_id)
    assert (appeal["stage"], appeal["status"]) == ("registration", "waiting")
    await screenshot(page, "agent-appeal-registered")
    await page.click('#pass-on button[value="check"]')
    await expect(page.locator("#appeal-saved")).to_contain_text("passed on")
    await expect(page.locator("#appeal-stage")).to_have_text("Technical check")
    [appeal] = await appeals_of(site, customer_id)
    assert appeal["stage"] == "technical_check"

    await page.click("#btn-hangup")
    await expect(page.locator("#agent-state")).to_have_attribute(
        "data-state", "wrap_up"
    )
    await page.click("#btn-finish-wrap-up")
    error = page.locator("#disposition-error")
    await expect(error).to_have_text("Choose how the call ended first.")
    await page.select_option("#disposition", "resolved")
    await expect(error).to_have_text("")
    await page.evaluate("htmx.trigger('#desk-state', 'refresh')")  # a push arrives
    await expect(page.locator("#disposition")).to_have_value("resolved")
    await page.fill("#wrap-notes", "refund promised")
    await page.click("#btn-finish-wrap-up")
    await expect(page.locator("#agent-state")).to_have_attribute("data-state", "ready")
    await expect(page.locator("#last-disposition")).to_have_text(
        "Last call: Resolved — refund promised"
    )

    def wrapped(contact: Contact) -> bool:
        return contact.wrap_up is not None

    contact = await site.spine.settled(call, wrapped)
    assert contact.wrap_up is not None
    assert (contact.wrap_up.disposition, contact.wrap_up.notes) == (
        "resolved",
        "refund promised",
    )
    assert str(contact.customer_id) == customer_id


async def test_unknown_caller_is_saved_as_a_new_customer_from_the_form(
    site: Site, page: Page
) -> None:
    await ready(page, site)
    call = await call_in(site, STRANGER)
    form = page.locator("#new-customer")
    await expect(form.locator("#new-phone")).to_have_value(STRANGER)
    await expect(page.locator("#caller")).to_have_text(STRANGER)

    await form.locator("#new-email").fill("not an address")
    await form.locator("#new-email").blur()
    await expect(form.locator("#new-email + .field-error")).to_have_text(
        "This is not an e-mail address."
    )
    await form.locator("#save-customer").click()
    await expect(form.locator("#new-name + .field-error")).to_have_text("Fill this in.")
    await screenshot(page, "agent-new-customer-refused")
    await form.locator("#new-name").fill("Boris Sidorov")
    await form.locator("#new-email").fill("boris@example.org")
    await form.locator("#save-customer").click()
    await expect(page.locator("#customer-name")).to_have_text("Boris Sidorov")
    await screenshot(page, "agent-new-customer-saved")

    contact = await site.spine.contact(call)
    assert contact is not None
    assert contact.customer_id is not None
    found = await site.spine.json(f"/api/v1/customers/{contact.customer_id}", "sveta")
    assert (found["name"], found["emails"]) == ("Boris Sidorov", ["boris@example.org"])


async def test_desk_speaks_russian_when_the_agent_switches_language(
    site: Site, page: Page
) -> None:
    await page.goto(site.base + "/login")
    await page.click('button[name="language"][value="ru"]')
    await expect(page.locator("#sign-in")).to_have_text("Войти")
    await screenshot(page, "sign-in-ru")
    await page.fill("#login", "anna")
    await page.fill("#password", "correct horse battery")
    await page.click("#sign-in")
    await expect(page.locator("nav.menu")).to_contain_text("Рабочее место оператора")
    await expect(page.locator("#btn-login")).to_have_text("Войти в очереди")
    await page.click("#btn-login")
    await expect(page.locator("#agent-state")).to_have_text("Готов")
    customer_id = await known_customer(site)
    assert customer_id
    await call_in(site, KNOWN)
    await expect(page.locator("#call-phase")).to_have_text("Разговор")
    await expect(page.locator("#open-appeals h2")).to_have_text("Открытые обращения")
    await expect(page.locator("#customer .badge")).to_have_text("VIP")
    await screenshot(page, "agent-desk-ru")


async def test_call_is_shown_again_when_the_agent_signs_in_after_the_session_ran_out(
    site: Site, page: Page
) -> None:
    await known_customer(site)
    await ready(page, site)
    await call_in(site, KNOWN)
    await expect(page.locator("#customer-name")).to_have_text("Anna Petrova")

    [cookie] = [c for c in await page.context.cookies() if c["name"] == "cc_session"]
    # the session ends elsewhere (it ran out, or was ended by an administrator)
    await AuthService(site.spine.app.sessions, UtcClock()).logout(cookie["value"])
    # the next request the page makes (a push's refresh, or this one) is refused
    with contextlib.suppress(PlaywrightError):  # unless the page has gone already
        await page.evaluate("htmx.trigger('#desk-state', 'refresh')")
    await expect(page).to_have_url(re.compile(r"/login\?next=/agent"))
    assert site.spine.app.acd.agent(ANNA).state is AgentState.ON_CALL

    await page.fill("#login", "anna")
    await page.fill("#password", "correct horse battery")
    await page.click("#sign-in")
    await expect(page.locator("#call-banner")).to_have_class(re.compile("connected"))
    await expect(page.locator("#customer-name")).to_have_text("Anna Petrova")


async def test_desk_catches_up_when_the_live_channel_drops_and_comes_back(
    site: Site, page: Page
) -> None:
    await known_customer(site)
    links: list[WebSocketRoute] = []

    def relay(socket: WebSocketRoute) -> None:
        socket.connect_to_server()
        links.append(socket)

    await page.route_web_socket(re.compile(r"/socket\.io/"), relay)
    await ready(page, site)
    down = list(links)
    links.clear()
    for link in down:
        await link.close(code=1011, reason="network gone")
    await expect(page.locator("#link-status")).to_have_class("status down")

    call = await call_in(site, KNOWN)
    await site.spine.until_state(ANNA, AgentState.ON_CALL)
    await expect(page.locator("#link-status")).to_have_class(
        "status up", timeout=10_000
    )
    await expect(page.locator("#customer-name")).to_have_text("Anna Petrova")
    await expect(page.locator("#pop")).to_have_attribute("data-call-id", call)


async def test_supervisor_without_a_seat_sees_no_other_agents_state_on_the_desk(
    site: Site, page: Page
) -> None:
    await sign_in(page, site, "/agent", "sveta")
    await expect(page.locator("#no-seat")).to_be_visible()
    await site.spine.logged_in(ANNA)
    await page.evaluate("htmx.trigger('#desk-state', 'refresh')")
    await expect(page.locator("#no-seat")).to_be_visible()
    await expect(page.locator("#agent-state")).to_have_count(0)


async def test_next_call_shows_its_own_caller_when_it_rings_after_the_last(
    site: Site, page: Page
) -> None:
    await known_customer(site)
    other = {
        **CARD,
        "name": "Oleg Orlov",
        "account": "ACC-8",
        "phones": [{"number": STRANGER}],
    }
    await known_customer(site, other)
    await ready(page, site)
    await page.select_option("#pause-reason", "lunch")
    await page.click("#btn-pause")
    await expect(page.locator("#agent-state")).to_have_text("Paused (Lunch)")
    await page.click("#btn-ready")
    await expect(page.locator("#agent-state")).to_have_text("Ready")

    first = await call_in(site, KNOWN)
    await expect(page.locator("#caller")).to_have_text("Anna Petrova")
    await page.click("#btn-hangup")
    await page.select_option("#disposition", "information")
    await page.click("#btn-finish-wrap-up")
    await expect(page.locator("#agent-state")).to_have_attribute("data-state", "ready")

    second = await call_in(site, STRANGER)
    assert second != first
    await expect(page.locator("#caller")).to_have_text("Oleg Orlov")
    await expect(page.locator("#pop")).to_have_attribute("data-call-id", second)
    await expect(page.locator("#customer-name")).to_have_text("Oleg Orlov")


async def test_ringing_call_is_unmissable_when_it_is_offered(
    database_url: str, tmp_path: Path, page: Page
) -> None:
    async with running_site(database_url, tmp_path, ring_s=4.0) as slow:
        await known_customer(slow)
        await ready(page, slow)
        await call_in(slow, KNOWN)
        banner = page.locator("#call-banner")
        await expect(banner).to_have_class(re.compile("ringing"))
        await expect(page.locator("#call-phase")).to_have_text("Incoming call")
        await expect(page.locator("#caller")).to_have_text("Anna Petrova")
        assert await page.evaluate("ring.ringing()") is True
        box = await banner.bounding_box()
        assert box is not None
        assert box["y"] < 120  # the first thing under the header
        await screenshot(page, "agent-desk-ringing")
        await expect(banner).to_have_class(re.compile("connected"), timeout=10_000)
        assert await page.evaluate("ring.ringing()") is False

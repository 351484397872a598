"""The pages as `serve` builds them: signed in or sent to sign in, each role on its
own start page with its menu, 403 in words outside one's role, CSRF on every
change, the language chosen per user (the browser's on a first visit), and the
strict headers."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from acd.model import AgentState
from crm_core.customers.seed import demo_phone_numbers
from tests.integration.agent_ui.site import Site, running_site
from tests.integration.spine import ANNA
from tests.integration.test_spine import waiting_caller


@pytest.fixture
async def site(database_url: str, tmp_path: Path) -> AsyncIterator[Site]:
    async with running_site(database_url, tmp_path) as running:
        yield running


@pytest.mark.parametrize("path", ["/", "/agent", "/wallboard", "/backoffice"])
async def test_page_sends_to_sign_in_when_nobody_is_signed_in(
    site: Site, path: str
) -> None:
    async with site.visitor() as visitor:
        answer = await visitor.get(path)
    assert answer.status == 302
    assert answer.headers["Location"] == f"/login?next={path}"


async def test_fragment_asks_the_page_to_sign_in_when_the_session_is_gone(
    site: Site,
) -> None:
    async with site.visitor() as visitor:
        answer = await visitor.get("/agent/state", htmx=True)
    assert answer.status == 401
    assert answer.headers["HX-Redirect"] == "/login?next=/agent"


@pytest.mark.parametrize(
    ("login", "start", "menu"),
    [
        ("anna", "/agent", ["Agent desktop"]),
        ("sveta", "/wallboard", ["Agent desktop", "Wallboard", "Back office"]),
        ("olga", "/backoffice", ["Back office", "Reports"]),
        ("masha", "/reports", ["Reports"]),
        ("ivan", "/admin", ["Agent desktop", "Wallboard", "Administration"]),
    ],
)
async def test_each_role_lands_on_its_start_page_with_its_menu_when_signed_in(
    site: Site, login: str, start: str, menu: list[str]
) -> None:
    async with site.visitor(login) as visitor:
        home = await visitor.get("/")
        assert (home.status, home.headers["Location"]) == (302, start)
        page = await visitor.get(start)
    assert page.status == 200
    assert "Not allowed" not in page.text
    for label in menu:
        assert f">{label}</a>" in page.text


async def test_page_outside_the_role_is_refused_in_words_when_an_agent_asks(
    site: Site,
) -> None:
    async with site.visitor("anna") as visitor:
        for path in ("/wallboard", "/admin", "/backoffice"):
            answer = await visitor.get(path)
            assert answer.status == 403
            assert "Your role may not open this page" in answer.text


async def test_another_agents_call_is_refused_when_an_agent_opens_it(
    site: Site,
) -> None:
    spine = site.spine
    async with site.visitor("boris") as boris, site.visitor("anna") as anna:
        await anna.post("/agent/state/log-in")
        _, call = await spine.call(
            waiting_caller(demo_phone_numbers(30)[3], patience_s=None, talk_s=30)
        )
        await spine.until_state(ANNA, AgentState.ON_CALL)
        assert (await anna.get(f"/agent/calls/{call}", htmx=True)).status == 200
        refused = await boris.get(f"/agent/calls/{call}", htmx=True)
        assert refused.status == 403
        assert refused.headers["HX-Retarget"] == "#flash"
        assert "not allowed" in refused.text


async def test_change_is_refused_when_the_csrf_token_is_missing(site: Site) -> None:
    async with site.visitor("anna") as visitor:
        refused = await visitor.post("/agent/state/log-in", csrf=False)
        assert refused.status == 403
        assert site.spine.app.acd.agent(ANNA).state.value == "logged_out"
        done = await visitor.post("/agent/state/log-in")
    assert done.status == 200
    assert 'data-state="ready"' in done.text


async def test_page_speaks_the_browsers_language_on_a_first_visit(site: Site) -> None:
    async with site.visitor() as visitor:
        visitor.language = "ru-RU,ru;q=0.9,en;q=0.5"
        page = await visitor.get("/login")
    assert page.status == 200
    assert '<html lang="ru">' in page.text
    assert "Войти" in page.text


async def test_language_chosen_is_kept_for_the_user_when_they_switch(
    site: Site,
) -> None:
    async with site.visitor("anna") as visitor:
        switched = await visitor.post(
            "/ui/language",
            {"language": "ru", "next": "/agent", "csrf_token": visitor.csrf},
            htmx=False,
            csrf=False,
        )
        assert (switched.status, switched.headers["Location"]) == (303, "/agent")
    async with site.visitor("anna") as elsewhere:
        elsewhere.language = "en"
        page = await elsewhere.get("/agent")
    assert '<html lang="ru">' in page.text
    assert "Рабочее место оператора" in page.text


async def test_pages_carry_the_strict_headers_when_served(site: Site) -> None:
    async with site.visitor("anna") as visitor:
        page = await visitor.get("/agent")
    policy = page.headers["Content-Security-Policy"]
    assert "default-src 'self'" in policy
    assert "unsafe-inline" not in policy
    assert "<script>" not in page.text
    assert page.headers["Cache-Control"] == "no-store"


@pytest.mark.parametrize(
    ("path", "sign"),
    [
        ("/ui/static/vendor/htmx.min.js", "htmx"),
        ("/ui/static/vendor/htmx.LICENSE", "Zero-Clause BSD"),
        ("/ui/static/vendor/socket.io.min.js", "Socket.IO v4"),
    ],
)
async def test_vendored_file_is_served_when_a_page_loads_it(
    site: Site, path: str, sign: str
) -> None:
    async with site.visitor() as visitor:
        answer = await visitor.get(path)
    assert answer.status == 200
    assert sign in answer.text


async def test_signing_out_ends_the_session_when_the_user_asks(site: Site) -> None:
    async with site.visitor("anna") as visitor:
        refused = await visitor.post("/ui/sign-out", {}, htmx=False, csrf=False)
        assert refused.status == 403
        out = await visitor.post(
            "/ui/sign-out", {"csrf_token": visitor.csrf}, htmx=False, csrf=False
        )
        assert (out.status, out.headers["Location"]) == (303, "/login")
        again = await visitor.get("/agent")
    assert again.status == 302

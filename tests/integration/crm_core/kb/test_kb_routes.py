"""The knowledge base through /api/v1 on SQLite and PostgreSQL: an editor writes
and publishes, an agent searches with an inflected word and may not write, bad
input names its field, and the OpenAPI document describes it all."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from openapi_spec_validator import validate

from crm_core.api import kb_routes
from crm_core.api.app import ApiDeps, setup_api
from crm_core.auth.model import system_actor
from crm_core.auth.service import AuthService
from crm_core.db import Sessions
from crm_core.kb.service import KnowledgeBase
from tests.integration.crm_core.appeals.world import ANNA, VERA, build


@dataclass
class Client:
    http: TestClient[web.Request, web.Application]
    tokens: dict[str, str]

    async def call(
        self, method: str, path: str, who: str, body: object = None
    ) -> tuple[int, Any]:
        response = await self.http.request(
            method, "/api/v1" + path, json=body,
            headers={"Authorization": f"Bearer {self.tokens[who]}"},
        )  # fmt: skip
        text = await response.text()
        return response.status, (await response.json()) if text else None


@pytest.fixture
async def client(sessions: Sessions) -> AsyncIterator[Client]:
    world = await build(sessions)
    auth = AuthService(sessions, world.clock)
    tokens = {}
    for who in (ANNA, VERA):
        issued = await auth.issue_token(system_actor(), "test", user_id=who.user_id)
        tokens[who.login] = issued.secret
    app = web.Application()
    app[kb_routes.KB] = KnowledgeBase(sessions, world.clock)
    setup_api(app, ApiDeps(auth=auth, routes=[kb_routes.routes]))
    http = TestClient(TestServer(app))
    await http.start_server()
    try:
        yield Client(http=http, tokens=tokens)
    finally:
        await http.close()


ARTICLE = {
    "title": "Оплата счёта",
    "body": "Счёт приходит первого числа. Оплатить можно картой.",
    "language": "ru",
    "topic_codes": ["complaint"],
}


async def test_agent_finds_a_published_article_by_an_inflected_word_when_searching(
    client: Client,
) -> None:
    status, made = await client.call("POST", "/kb/articles", "vera", ARTICLE)
    assert status == 201, made
    assert (made["status"], made["version"], made["created_by"]) == (
        "draft", 1, "vera",
    )  # fmt: skip
    status, page = await client.call("GET", "/kb/articles?q=счета", "anna")
    assert (status, page["items"]) == (200, [])
    status, published = await client.call(
        "POST", f"/kb/articles/{made['id']}/publish", "vera"
    )
    assert (status, published["status"]) == (200, "published")
    status, page = await client.call(
        "GET", "/kb/articles?q=счетов&topic=complaint", "anna"
    )
    assert status == 200, page
    [hit] = page["items"]
    assert hit["article"]["title"] == "Оплата счёта"
    assert hit["on_topic"] is True
    assert [s["text"] for s in hit["snippet"] if s["hit"]] == ["Счёт"]
    status, one = await client.call("GET", f"/kb/articles/{made['id']}", "anna")
    assert (status, one["body"]) == (200, ARTICLE["body"])


async def test_agent_is_refused_when_writing_an_article(client: Client) -> None:
    status, refused = await client.call("POST", "/kb/articles", "anna", ARTICLE)
    assert (status, refused["error_id"]) == (403, "forbidden")
    status, _ = await client.call("POST", "/kb/categories", "anna", {"name_en": "X"})
    assert status == 403


async def test_bad_article_is_refused_naming_each_field_when_sent(
    client: Client,
) -> None:
    bad = {**ARTICLE, "title": "  ", "body": "x" * 20_001}
    status, refused = await client.call("POST", "/kb/articles", "vera", bad)
    assert status == 422
    assert {d["field"] for d in refused["details"]} == {"title", "body"}
    status, page = await client.call("GET", "/kb/articles", "vera")
    assert page["items"] == []


async def test_old_version_is_refused_when_saved_over_a_newer_one(
    client: Client,
) -> None:
    _, made = await client.call("POST", "/kb/articles", "vera", ARTICLE)
    url = f"/kb/articles/{made['id']}"
    status, edited = await client.call(
        "PUT", url, "vera", {**ARTICLE, "title": "Счета", "version": 1}
    )
    assert (status, edited["version"]) == (200, 2)
    status, refused = await client.call(
        "PUT", url, "vera", {**ARTICLE, "title": "Старое", "version": 1}
    )
    assert (status, refused["error_id"]) == (409, "article_changed")
    status, versions = await client.call("GET", f"{url}/versions", "vera")
    assert [(v["version"], v["change"]) for v in versions] == [
        (2, "edited"), (1, "created"),
    ]  # fmt: skip
    status, _ = await client.call("DELETE", url, "vera")
    assert status == 204
    status, gone = await client.call("GET", url, "vera")
    assert (status, gone["error_id"]) == (404, "article_not_found")


async def test_search_pages_follow_one_another_when_many_match(
    client: Client,
) -> None:
    for n in range(3):
        _, made = await client.call(
            "POST",
            "/kb/articles",
            "vera",
            {"title": f"Tariff {n}", "body": "A tariff."},
        )
        await client.call("POST", f"/kb/articles/{made['id']}/publish", "vera")
    _, first = await client.call("GET", "/kb/articles?q=tariffs&limit=2", "anna")
    _, second = await client.call(
        "GET", f"/kb/articles?q=tariffs&limit=2&after={first['next']}", "anna"
    )
    assert len(first["items"]) == 2
    assert (len(second["items"]), second["next"]) == (1, None)
    titles = {h["article"]["title"] for h in first["items"] + second["items"]}
    assert titles == {"Tariff 0", "Tariff 1", "Tariff 2"}


async def test_categories_are_kept_through_the_api_when_edited(
    client: Client,
) -> None:
    status, made = await client.call(
        "POST", "/kb/categories", "vera", {"name_en": "Billing", "name_ru": "Оплата"}
    )
    assert status == 201, made
    status, renamed = await client.call(
        "PUT", f"/kb/categories/{made['id']}", "vera", {"name_en": "Bills"}
    )
    assert (status, renamed["name_en"], renamed["name_ru"]) == (200, "Bills", "")
    status, listed = await client.call("GET", "/kb/categories", "anna")
    assert [(c["name_en"], c["articles"]) for c in listed] == [("Bills", 0)]
    status, _ = await client.call("DELETE", f"/kb/categories/{made['id']}", "vera")
    assert status == 204


async def test_openapi_describes_the_knowledge_base_when_asked(
    client: Client,
) -> None:
    response = await client.http.get("/api/v1/openapi.json")
    document = await response.json()
    validate(document)
    paths = document["paths"]
    assert set(paths["/api/v1/kb/articles"]) == {"get", "post"}
    assert set(paths["/api/v1/kb/articles/{article_id}"]) == {"get", "put", "delete"}
    assert "kb.edit" in paths["/api/v1/kb/articles"]["post"]["description"]

"""Incidents and customer notices through /api/v1 on SQLite and PostgreSQL."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from openapi_spec_validator import validate

from crm_core.api import incident_routes
from crm_core.api.app import ApiDeps, setup_api
from crm_core.auth.model import system_actor
from crm_core.auth.service import AuthService
from crm_core.db import Sessions
from tests.integration.crm_core.appeals.world import ANNA, VERA, build
from tests.integration.crm_core.incidents.town import (
    Town,
    build_town,
    complaint_from,
    customer,
)


@dataclass
class Client:
    http: TestClient[web.Request, web.Application]
    town: Town
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
    town = await build_town(await build(sessions))
    auth = AuthService(sessions, town.world.clock)
    tokens = {}
    for who in (ANNA, VERA):
        issued = await auth.issue_token(system_actor(), "test", user_id=who.user_id)
        tokens[who.login] = issued.secret
    app = web.Application()
    app[incident_routes.INCIDENTS] = town.incidents
    app[incident_routes.NOTICES] = town.notices
    setup_api(app, ApiDeps(auth=auth, routes=[incident_routes.routes]))
    http = TestClient(TestServer(app))
    await http.start_server()
    try:
        yield Client(http=http, town=town, tokens=tokens)
    finally:
        await http.close()


def incident_body(**changes: object) -> dict[str, object]:
    return {
        "title": "Node N1 down", "kind": "outage",
        "area": {"network_nodes": ["N1"]}, "topic_codes": ["complaint"],
        "started_at": "2026-01-05T08:00:00+00:00", **changes,
    }  # fmt: skip


async def test_incident_is_resolved_through_the_api_when_appeals_are_linked(
    client: Client,
) -> None:
    status, incident = await client.call("POST", "/incidents", "vera", incident_body())
    assert status == 201, incident
    assert incident["area"] == {"network_nodes": ["n1"], "buildings": [], "cities": []}
    url = f"/incidents/{incident['id']}"
    petr = await customer(
        client.town, "Petr", network_node="N1", phones=[{"number": "+79131112233"}]
    )
    auto = await complaint_from(client.town, petr)
    manual = await complaint_from(client.town, await customer(client.town, "Olga"))
    status, links = await client.call(
        "POST", f"{url}/appeals", "vera", {"appeal_ids": [str(manual.id)]}
    )
    assert status == 200, links
    assert [(x["appeal_id"], x["origin"]) for x in links] == [
        (str(auto.id), "automatic"), (str(manual.id), "manual"),
    ]  # fmt: skip
    status, done = await client.call(
        "POST", f"{url}/resolve", "vera", {"resolution": "Power back"}
    )
    assert status == 200, done
    assert done["incident"]["status"] == "resolved"
    assert {(r["appeal_id"], r["closed"]) for r in done["results"]} == {
        (str(auto.id), True), (str(manual.id), True),
    }  # fmt: skip
    assert done["notices_queued"] == 1  # Olga has no phone or e-mail
    status, page = await client.call("GET", f"/customers/{petr}/notices", "anna")
    assert status == 200, page
    assert [(n["channel"], n["reason"]) for n in page["items"]] == [
        ("sms", "incident_resolved")
    ]
    assert page["next"] is None


async def test_incident_crud_works_when_edited_listed_and_deleted(
    client: Client,
) -> None:
    _, first = await client.call("POST", "/incidents", "vera", incident_body())
    _, second = await client.call(
        "POST", "/incidents", "vera",
        incident_body(title="Later", started_at="2026-01-05T09:00:00+00:00"),
    )  # fmt: skip
    status, edited = await client.call(
        "PUT", f"/incidents/{first['id']}", "vera",
        incident_body(kind="fault", description="a card failed"),
    )  # fmt: skip
    assert status == 200, edited
    assert (edited["kind"], edited["description"]) == ("fault", "a card failed")
    status, page = await client.call("GET", "/incidents?limit=1", "anna")
    assert [i["id"] for i in page["items"]] == [second["id"]]
    status, rest = await client.call(
        "GET", f"/incidents?limit=1&after={page['next']}", "anna"
    )
    assert status == 200, rest
    assert [i["id"] for i in rest["items"]] == [first["id"]]
    status, _ = await client.call("DELETE", f"/incidents/{first['id']}", "vera")
    assert status == 204
    status, gone = await client.call("GET", f"/incidents/{first['id']}", "anna")
    assert (status, gone["error_id"]) == (404, "incident_not_found")


async def test_api_refuses_with_clear_errors_when_input_or_rights_are_wrong(
    client: Client,
) -> None:
    status, body = await client.call("POST", "/incidents", "anna", incident_body())
    assert status == 403, body
    status, body = await client.call(
        "POST", "/incidents", "vera",
        incident_body(title=" ", expected_end_at="2026-01-01T00:00:00+00:00"),
    )  # fmt: skip
    assert status == 422
    assert {d["field"] for d in body["details"]} == {"title", "expected_end_at"}
    _, incident = await client.call("POST", "/incidents", "vera", incident_body())
    url = f"/incidents/{incident['id']}"
    status, body = await client.call(
        "POST", f"{url}/appeals", "vera", {"appeal_ids": [str(uuid.uuid4())]}
    )
    assert status == 404
    await client.call("POST", f"{url}/resolve", "vera", {"resolution": "ok"})
    status, body = await client.call(
        "POST", f"{url}/resolve", "vera", {"resolution": "ok"}
    )
    assert (status, body["error_id"]) == (409, "incident_resolved")
    status, body = await client.call(
        "GET", f"/customers/{uuid.uuid4()}/notices", "anna"
    )
    assert status == 404


async def test_openapi_document_describes_incident_routes_when_served(
    client: Client,
) -> None:
    response = await client.http.get("/api/v1/openapi.json")
    document = await response.json()
    validate(document)
    assert "post" in document["paths"]["/api/v1/incidents/{incident_id}/resolve"]
    assert "get" in document["paths"]["/api/v1/customers/{customer_id}/notices"]


async def test_list_is_filtered_when_status_is_asked(client: Client) -> None:
    _, first = await client.call("POST", "/incidents", "vera", incident_body())
    await client.call(
        "POST", f"/incidents/{first['id']}/resolve", "vera", {"resolution": "ok"}
    )
    await client.call("POST", "/incidents", "vera", incident_body(title="Open one"))
    status, page = await client.call("GET", "/incidents?status=resolved", "anna")
    assert status == 200, page
    assert [i["id"] for i in page["items"]] == [first["id"]]
    status, _ = await client.call("GET", "/incidents?status=closed", "anna")
    assert status == 422

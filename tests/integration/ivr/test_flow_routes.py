"""The IVR flow API over a real aiohttp server and database: supervisors list and
read the flows in service and publish new versions (JSON or YAML) that take new
calls only; an invalid flow is refused naming node and field, the running version
staying; agents are refused."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import pytest
import yaml
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from crm_core.api.app import ApiDeps, setup_api
from crm_core.db import Sessions
from ivr import http
from ivr.loader import DEMO_FLOWS, FlowRegistry
from tests.integration.recordings.accounts import users

SOUNDS: dict[str, Any] = {
    "flow": "sounds",
    "language": "en",
    "numbers": ["2001"],
    "start": "welcome",
    "operator": "operator",
    "nodes": {
        "welcome": {"kind": "play", "files": ["cc/t/hello"], "next": "bye"},
        "bye": {"kind": "hangup"},
        "operator": {"kind": "queue", "queue": "general"},
    },
}


@dataclass
class Api:
    client: TestClient[web.Request, web.Application]
    tokens: dict[str, str]
    flows: FlowRegistry

    async def call(
        self,
        method: str,
        path: str,
        who: str,
        *,
        json: object = None,
        yaml_text: str | None = None,
    ) -> tuple[int, Any]:
        headers = {"Authorization": f"Bearer {self.tokens[who]}"}
        if yaml_text is not None:
            headers["Content-Type"] = "application/yaml"
        async with self.client.request(
            method, "/api/v1/ivr" + path, headers=headers, json=json, data=yaml_text
        ) as response:
            return response.status, await response.json()


@pytest.fixture
async def api(sessions: Sessions) -> AsyncIterator[Api]:
    auth, tokens, _ = await users(sessions)
    flows = FlowRegistry()
    assert not flows.load_directory(DEMO_FLOWS).refused
    app = web.Application()
    setup_api(app, ApiDeps(auth=auth, routes=[http.routes]))
    app[http.FLOWS] = flows
    client = TestClient(TestServer(app))
    await client.start_server()
    try:
        yield Api(client, tokens, flows)
    finally:
        await client.close()


async def test_supervisor_sees_every_current_version_when_listing(api: Api) -> None:
    status, body = await api.call("GET", "/flows", "sveta")
    assert status == 200
    assert [f["name"] for f in body["items"]] == ["main-en", "main-ko", "main-ru"]
    english = body["items"][0]
    running = api.flows.current("main-en")
    assert running is not None
    assert english == {
        "name": "main-en",
        "version": 1,
        "language": "en",
        "numbers": ["8800", "_8800XXXXXXX"],
        "source": str(DEMO_FLOWS / "main_en.yaml"),
        "digest": running.digest,
        "node_count": len(running.nodes),
    }


async def test_flow_is_read_with_its_document_and_versions_when_asked(
    api: Api,
) -> None:
    status, body = await api.call("GET", "/flows/main-ko", "sveta")
    assert status == 200
    assert (body["current"]["name"], body["current"]["version"]) == ("main-ko", 1)
    source = (DEMO_FLOWS / "main_ko.yaml").read_text(encoding="utf-8")
    assert body["document"] == yaml.safe_load(source)
    assert body["versions"] == [
        {
            "version": 1,
            "source": str(DEMO_FLOWS / "main_ko.yaml"),
            "digest": body["current"]["digest"],
        }
    ]


async def test_new_version_serves_new_calls_when_published_as_json(api: Api) -> None:
    in_progress = api.flows.flow_for("8800")
    _, read = await api.call("GET", "/flows/main-en", "sveta")
    document = read["document"]
    document["nodes"]["goodbye"]["text"] = "Goodbye, and thank you."
    status, body = await api.call("POST", "/flows", "sveta", json=document)
    assert status == 201
    assert body["published"] is True
    assert (body["flow"]["version"], body["flow"]["source"]) == (2, "api:sveta")
    serving = api.flows.flow_for("8800")
    assert serving is not None
    assert (serving.name, serving.version) == ("main-en", 2)
    assert in_progress is not None
    assert in_progress.version == 1  # a call keeps the version it started with
    _, again = await api.call("GET", "/flows/main-en", "sveta")
    assert [v["version"] for v in again["versions"]] == [1, 2]
    assert again["document"]["nodes"]["goodbye"]["text"] == "Goodbye, and thank you."


async def test_new_flow_is_published_when_sent_as_yaml(api: Api) -> None:
    text = yaml.safe_dump(SOUNDS)
    status, body = await api.call("POST", "/flows", "sveta", yaml_text=text)
    assert (status, body["flow"]["name"], body["flow"]["version"]) == (
        201,
        "sounds",
        1,
    )
    serving = api.flows.flow_for("2001")
    assert serving is not None
    assert serving.name == "sounds"


async def test_same_document_is_no_new_version_when_published_again(
    api: Api,
) -> None:
    _, read = await api.call("GET", "/flows/main-en", "sveta")
    status, body = await api.call("POST", "/flows", "sveta", json=read["document"])
    assert (status, body["published"], body["flow"]["version"]) == (200, False, 1)
    assert len(api.flows.versions("main-en")) == 1


async def test_flow_is_refused_naming_node_and_field_when_invalid(api: Api) -> None:
    running = api.flows.flow_for("8800")
    _, read = await api.call("GET", "/flows/main-en", "sveta")
    document = read["document"]
    document["nodes"]["main"]["choices"][1]["goto"] = "nowhere"
    status, body = await api.call("POST", "/flows", "sveta", json=document)
    assert (status, body["error_id"]) == (422, "ivr_flow_invalid")
    assert {
        "source": "api:sveta",
        "node": "main",
        "field": "choices[1].goto",
    } in [{k: d[k] for k in ("source", "node", "field")} for d in body["details"]]
    assert all(d["message"] for d in body["details"])
    assert api.flows.flow_for("8800") is running
    assert len(api.flows.versions("main-en")) == 1


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("flow: [unclosed", "not YAML: line"),
        ("a: &x [1]\nb: *x\n", "aliases"),
    ],
)
async def test_body_is_refused_naming_it_when_not_a_flow_document(
    api: Api, content: str, expected: str
) -> None:
    status, body = await api.call("POST", "/flows", "sveta", yaml_text=content)
    assert status == 422
    [problem] = body["details"]
    assert (problem["node"], problem["field"]) == ("", "body")
    assert expected in problem["message"]


async def test_publication_is_logged_with_the_login_when_published(
    api: Api, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="ivr.http"):
        status, _ = await api.call("POST", "/flows", "sveta", json=SOUNDS)
    assert status == 201
    assert any(
        "flow=sounds version=1" in r.getMessage() and "by=sveta" in r.getMessage()
        for r in caplog.records
    )


@pytest.mark.parametrize(
    ("method", "path"),
    [("GET", "/flows"), ("GET", "/flows/main-en"), ("POST", "/flows")],
)
async def test_agent_is_forbidden_when_managing_flows(
    api: Api, method: str, path: str
) -> None:
    status, body = await api.call(method, path, "anna", json=SOUNDS)
    assert (status, body["error_id"]) == (403, "forbidden")
    assert api.flows.current("sounds") is None


async def test_unknown_flow_is_not_found_when_read(api: Api) -> None:
    status, body = await api.call("GET", "/flows/nope", "sveta")
    assert (status, body["error_id"]) == (404, "ivr_flow_not_found")

"""The IVR flow API over a real aiohttp server and database: supervisors list and
read the flows in service and publish new versions (JSON or YAML) that are saved
and take new calls only; an invalid flow, or one that cannot be saved, is refused,
the running version staying; agents are refused."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import pytest
import yaml
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from crm_core.api.app import ApiDeps, setup_api
from crm_core.db import Sessions
from ivr import http
from ivr.flow_store import FlowStore, FlowStoreFailed, StoredFlow, restore
from ivr.loader import DEMO_FLOWS, FlowRegistry
from ivr.model import Flow
from ivr.publishing import FlowPublishing
from ivr.tables import SqlFlowStore
from tests.fakes import FakeClock
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
    sessions: Sessions
    clock: FakeClock

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


@asynccontextmanager
async def serving(sessions: Sessions, store: FlowStore) -> AsyncIterator[Api]:
    auth, tokens, _ = await users(sessions)
    flows = FlowRegistry()
    assert not flows.load_directory(DEMO_FLOWS).refused
    app = web.Application()
    setup_api(app, ApiDeps(auth=auth, routes=[http.routes]))
    app[http.FLOWS] = flows
    clock = FakeClock()
    app[http.FLOW_PUBLISHING] = FlowPublishing(flows, store, clock)
    client = TestClient(TestServer(app))
    await client.start_server()
    try:
        yield Api(client, tokens, flows, sessions, clock)
    finally:
        await client.close()


@pytest.fixture
async def api(sessions: Sessions) -> AsyncIterator[Api]:
    async with serving(sessions, SqlFlowStore(sessions)) as running:
        yield running


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
        "published_at": None,
        "published_by": None,
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
            "published_at": None,
            "published_by": None,
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
    with caplog.at_level(logging.INFO, logger="ivr.publishing"):
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


async def test_published_version_serves_after_restart_when_saved(api: Api) -> None:
    _, read = await api.call("GET", "/flows/main-en", "sveta")
    document = read["document"]
    document["nodes"]["goodbye"]["text"] = "Goodbye, and thank you."
    status, _ = await api.call("POST", "/flows", "sveta", json=document)
    assert status == 201
    restarted = FlowRegistry()
    assert not restarted.load_directory(DEMO_FLOWS).refused
    assert await restore(restarted, SqlFlowStore(api.sessions)) == 1
    serving = restarted.flow_for("8800")
    assert serving is not None
    assert (serving.name, serving.version, serving.source) == (
        "main-en",
        2,
        "api:sveta",
    )
    assert restarted.document("main-en", 2) == document
    published = restarted.publication("main-en", 2)
    assert (published.at, published.by) == (api.clock.now(), "sveta")


async def test_version_shows_when_and_by_whom_when_published_through_the_api(
    api: Api,
) -> None:
    await api.call("POST", "/flows", "sveta", json=SOUNDS)
    _, listed = await api.call("GET", "/flows", "sveta")
    [sounds] = [f for f in listed["items"] if f["name"] == "sounds"]
    assert datetime.fromisoformat(sounds["published_at"]) == api.clock.now()
    assert sounds["published_by"] == "sveta"
    _, read = await api.call("GET", "/flows/sounds", "sveta")
    [version] = read["versions"]
    assert datetime.fromisoformat(version["published_at"]) == api.clock.now()
    assert version["published_by"] == "sveta"


async def test_next_version_is_numbered_after_the_stored_ones_when_restored(
    api: Api,
) -> None:
    await api.call("POST", "/flows", "sveta", json=SOUNDS)
    changed = {**SOUNDS, "numbers": ["2002"]}
    await api.call("POST", "/flows", "sveta", json=changed)
    restarted = FlowRegistry()
    await restore(restarted, SqlFlowStore(api.sessions))
    again = {**SOUNDS, "numbers": ["2003"]}
    flow = restarted.publish(again, source="api:sveta")
    assert flow.version == 3


class FailingStore:
    """A database that does not answer."""

    async def save(
        self, flow: Flow, document: object, *, by: str | None, at: datetime
    ) -> None:
        raise FlowStoreFailed("database timed out")

    async def latest(self) -> list[StoredFlow]:
        raise FlowStoreFailed("database timed out")


async def test_flow_is_not_published_when_it_cannot_be_saved(
    sessions: Sessions, caplog: pytest.LogCaptureFixture
) -> None:
    async with serving(sessions, FailingStore()) as api:
        running = api.flows.current("main-en")
        _, read = await api.call("GET", "/flows/main-en", "sveta")
        document = read["document"]
        document["nodes"]["goodbye"]["text"] = "Goodbye, and thank you."
        with caplog.at_level(logging.ERROR, logger="ivr.publishing"):
            status, body = await api.call("POST", "/flows", "sveta", json=document)
            _, sounds = await api.call("POST", "/flows", "sveta", json=SOUNDS)
        assert (status, body["error_id"]) == (503, "ivr_flow_not_saved")
        assert "restart" in body["message"]
        assert sounds["error_id"] == "ivr_flow_not_saved"
        assert api.flows.current("main-en") is running
        assert api.flows.current("sounds") is None
    assert any("flow=main-en" in r.getMessage() for r in caplog.records)


async def test_flow_is_refused_when_another_version_took_its_number(
    api: Api,
) -> None:
    taken = api.flows.candidate(SOUNDS, source="api:olga")
    await SqlFlowStore(api.sessions).save(taken, SOUNDS, by="olga", at=api.clock.now())
    changed = {**SOUNDS, "numbers": ["2002"]}
    status, body = await api.call("POST", "/flows", "sveta", json=changed)
    assert (status, body["error_id"]) == (409, "ivr_flow_version_taken")
    assert api.flows.current("sounds") is None

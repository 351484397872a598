"""Appeals and their workflow through the API, on the demo complaint route."""

from __future__ import annotations

from typing import Any

from crm_core.appeals.seed import DemoStaff, seed_appeals
from tests.integration.crm_core.api.conftest import Api


def _as(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def _complaint_topic(api: Api) -> str:
    staff = DemoStaff(front=[api.agent_id], technicians=[api.agent_id])
    await seed_appeals(api.sessions, api.clock, staff)
    topics = await api.client.get("/api/v1/topics", headers=_as(api.agent_token))
    assert topics.status == 200
    found: list[dict[str, Any]] = await topics.json()
    topic: str = next(t["id"] for t in found if t["code"] == "complaint")
    return topic


async def test_appeal_is_refused_when_a_required_attribute_is_missing(
    api: Api,
) -> None:
    topic = await _complaint_topic(api)
    response = await api.client.post(
        "/api/v1/appeals", json={"topic_id": topic, "attributes": {"Speed": "fast"}},
        headers=_as(api.agent_token),
    )  # fmt: skip
    assert response.status == 422
    fields = {d["field"] for d in (await response.json())["details"]}
    assert {"attributes.BrokenSince", "attributes.Speed"} <= fields


async def test_appeal_moves_along_the_route_when_taken_and_passed(api: Api) -> None:
    topic = await _complaint_topic(api)
    created = await api.client.post(
        "/api/v1/appeals",
        json={"topic_id": topic, "attributes": {"BrokenSince": "2026-01-04"}},
        headers=_as(api.agent_token),
    )
    assert created.status == 201, await created.text()
    appeal = await created.json()
    assert appeal["stage"] == "registration"
    url = f"/api/v1/appeals/{appeal['id']}"
    taken = await api.client.post(f"{url}/take", json={}, headers=_as(api.agent_token))
    assert taken.status == 200, await taken.text()
    assert (await taken.json())["assignee_id"] == str(api.agent_id)
    passed = await api.client.post(
        f"{url}/pass", json={"comment": "to the technicians"},
        headers=_as(api.agent_token),
    )  # fmt: skip
    assert (await passed.json())["stage"] == "technical_check"
    stale = await api.client.post(
        f"{url}/take", json={"expected_version": 1}, headers=_as(api.agent_token)
    )
    assert stale.status == 409
    response = await api.client.get(f"{url}/history", headers=_as(api.agent_token))
    history = await response.json()
    assert [h["action"] for h in history][:3] == ["create", "take", "forward"]


async def test_reject_is_refused_when_the_agent_lacks_the_right(api: Api) -> None:
    topic = await _complaint_topic(api)
    created = await api.client.post(
        "/api/v1/appeals",
        json={"topic_id": topic, "attributes": {"BrokenSince": "2026-01-04"}},
        headers=_as(api.agent_token),
    )
    appeal = await created.json()
    response = await api.client.post(
        f"/api/v1/appeals/{appeal['id']}/reject", json={"reason": "no"},
        headers=_as(api.agent_token),
    )  # fmt: skip
    assert response.status == 403

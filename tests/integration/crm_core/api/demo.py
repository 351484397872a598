"""Demo topics and appeals created through the API, for the endpoint tests."""

from __future__ import annotations

from typing import Any

from crm_core.appeals.seed import DemoStaff, seed_appeals
from tests.integration.crm_core.api.conftest import Api


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def complaint_topic(api: Api) -> str:
    """Seed the demo catalogue (the agent works every queue) and return the id of
    the `complaint` topic."""
    staff = DemoStaff(
        front=[api.agent_id], technicians=[api.agent_id], administrators=[api.admin_id]
    )
    await seed_appeals(api.sessions, api.clock, staff)
    response = await api.client.get("/api/v1/topics", headers=bearer(api.agent_token))
    assert response.status == 200
    found: list[dict[str, Any]] = await response.json()
    topic: str = next(t["id"] for t in found if t["code"] == "complaint")
    return topic


async def new_complaint(
    api: Api, topic: str, *, description: str = "", speed: int = 100
) -> dict[str, Any]:
    response = await api.client.post(
        "/api/v1/appeals",
        json={"topic_id": topic, "description": description,
              "attributes": {"BrokenSince": "2026-01-04", "Speed": speed}},
        headers=bearer(api.agent_token),
    )  # fmt: skip
    assert response.status == 201, await response.text()
    appeal: dict[str, Any] = await response.json()
    return appeal

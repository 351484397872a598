"""An external system moving appeals along the route with a bearer token: assign,
pass on by transition, reject, close, reopen and deadline, with stale versions
refused."""

from __future__ import annotations

from typing import Any

from tests.integration.crm_core.api.conftest import Api
from tests.integration.crm_core.api.demo import bearer, complaint_topic, new_complaint


async def _step(
    api: Api,
    appeal: dict[str, Any],
    action: str,
    status: int = 200,
    *,
    token: str | None = None,
    **body: Any,
) -> dict[str, Any]:
    response = await api.client.post(
        f"/api/v1/appeals/{appeal['id']}/{action}", json=body,
        headers=bearer(token or api.admin_token),
    )  # fmt: skip
    assert response.status == status, await response.text()
    found: dict[str, Any] = await response.json()
    return found


async def test_appeal_is_closed_and_reopened_when_the_versions_match(
    api: Api,
) -> None:
    appeal = await new_complaint(api, await complaint_topic(api))
    assigned = await _step(
        api, appeal, "assign", assignee_id=str(api.agent_id),
        expected_version=appeal["version"],
    )  # fmt: skip
    assert assigned["assignee_id"] == str(api.agent_id)
    stale = await _step(api, appeal, "close", 409, expected_version=appeal["version"])
    assert stale["error_id"] == "appeal_changed"
    closed = await _step(
        api, appeal, "close", comment="solved by phone",
        expected_version=assigned["version"],
    )  # fmt: skip
    assert closed["status"] == "closed"
    reopened = await _step(api, appeal, "reopen", comment="it broke again")
    assert reopened["status"] != "closed"
    assert reopened["closed_at"] is None


async def test_appeal_follows_the_named_transition_when_an_event_passes_it_on(
    api: Api,
) -> None:
    appeal = await new_complaint(api, await complaint_topic(api))
    agent = api.agent_token
    await _step(api, appeal, "take", token=agent)
    checked = await _step(api, appeal, "pass", token=agent, transition="check")
    assert checked["stage"] == "technical_check"
    await _step(api, appeal, "take", token=agent)
    unknown = await _step(api, appeal, "pass", 409, token=agent, transition="warp")
    assert "resolve, no_fault" in unknown["message"]
    resolved = await _step(api, appeal, "pass", token=agent, transition="no_fault")
    assert resolved["stage"] == "resolution"
    rejected = await _step(api, appeal, "reject", reason="not fixed yet")
    assert rejected["stage"] == "technical_check"
    assert rejected["status"] == "rejected_back"


async def test_deadline_moves_when_set_with_a_comment(api: Api) -> None:
    appeal = await new_complaint(api, await complaint_topic(api))
    moved = await _step(
        api, appeal, "deadline", deadline_at="2026-01-09T18:00:00+00:00",
        comment="customer away",
    )  # fmt: skip
    assert moved["deadline_at"].startswith("2026-01-09T18:00:00")
    history = await api.client.get(
        f"/api/v1/appeals/{appeal['id']}/history", headers=bearer(api.agent_token)
    )
    last = (await history.json())[-1]
    assert last["action"] == "set_deadline"
    assert last["comment"].endswith("customer away")

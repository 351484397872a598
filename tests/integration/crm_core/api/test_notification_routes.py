"""Overdue notices of queue administrators over HTTP."""

from __future__ import annotations

from typing import Any

from tests.integration.crm_core.api.conftest import Api
from tests.integration.crm_core.api.demo import bearer, complaint_topic, new_complaint


async def _overdue_notice(api: Api) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """An appeal in the admin's `front` queue, left past its 4-hour deadline."""
    patched = await api.client.patch(
        f"/api/v1/users/{api.admin_id}", json={"administered_queues": ["front"]},
        headers=bearer(api.admin_token),
    )  # fmt: skip
    assert patched.status == 200, await patched.text()
    appeal = await new_complaint(api, await complaint_topic(api))
    api.clock.advance(5 * 3600)
    assert len(await api.sla.check_overdue(api.clock.now())) == 1
    response = await api.client.get(
        "/api/v1/notifications", headers=bearer(api.admin_token)
    )
    assert response.status == 200
    notices: list[dict[str, Any]] = await response.json()
    return appeal, notices


async def test_overdue_appeal_is_listed_when_the_admin_reads_notices(
    api: Api,
) -> None:
    appeal, notices = await _overdue_notice(api)
    assert [(n["appeal_id"], n["kind"], n["read"]) for n in notices] == [
        (appeal["id"], "appeal_overdue", False)
    ]
    theirs = await api.client.get(
        "/api/v1/notifications", headers=bearer(api.agent_token)
    )
    assert await theirs.json() == []


async def test_notice_leaves_the_unread_list_when_marked_read(api: Api) -> None:
    _, notices = await _overdue_notice(api)
    url = f"/api/v1/notifications/{notices[0]['id']}/read"
    by_other = await api.client.post(url, headers=bearer(api.agent_token))
    assert by_other.status == 204
    still = await api.client.get(
        "/api/v1/notifications", headers=bearer(api.admin_token)
    )
    assert len(await still.json()) == 1
    marked = await api.client.post(url, headers=bearer(api.admin_token))
    assert marked.status == 204
    unread = await api.client.get(
        "/api/v1/notifications", headers=bearer(api.admin_token)
    )
    assert await unread.json() == []
    everything = await api.client.get(
        "/api/v1/notifications?unread=false", headers=bearer(api.admin_token)
    )
    assert [n["read"] for n in await everything.json()] == [True]


async def test_notices_are_refused_when_the_filter_is_not_a_boolean(
    api: Api,
) -> None:
    response = await api.client.get(
        "/api/v1/notifications?unread=perhaps", headers=bearer(api.admin_token)
    )
    assert response.status == 422
    assert (await response.json())["details"][0]["field"] == "unread"

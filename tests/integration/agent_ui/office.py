"""Work for the back office, made as integrations and people make it through the
API of the service as `serve` builds it: the demo's topics and routes (olga works
the technicians' and back-office queues, sveta administers every queue),
customers, and appeals waiting in olga's queues."""

from __future__ import annotations

from typing import Any

from crm_core.appeals.seed import DemoStaff, seed_appeals
from crm_core.clock import UtcClock
from tests.integration.agent_ui.site import Site


async def routes(site: Site) -> None:
    ids = site.user_ids
    staff = DemoStaff(
        front=[ids["anna"]], technicians=[ids["olga"]],
        bis_technicians=[ids["olga"]], administrators=[ids["sveta"]],
    )  # fmt: skip
    await seed_appeals(site.spine.app.sessions, UtcClock(), staff)


async def api(site: Site, method: str, path: str, body: dict[str, Any]) -> Any:
    """The API's answer to sveta (a supervisor, administrator of every queue)."""
    spine = site.spine
    async with spine.http.request(
        method, spine.base + "/api/v1" + path, json=body,
        headers={"Authorization": f"Bearer {spine.tokens['sveta']}"},
    ) as response:  # fmt: skip
        assert response.status in (200, 201), await response.text()
        return await response.json()


async def customer(site: Site, name: str, *, group: str = "moscow") -> str:
    card = await api(
        site, "POST", "/customers",
        {"name": name, "customer_group": group, "category": "mass"},
    )  # fmt: skip
    return str(card["id"])


async def topic_id(site: Site, code: str) -> str:
    topics = await site.spine.json("/api/v1/topics", "sveta")
    return str(next(t["id"] for t in topics if t["code"] == code))


async def waiting_termination(
    site: Site, customer_id: str, reason: str = "moving abroad"
) -> str:
    """A contract termination passed on to retention: it waits in the back-office
    queue (olga's), where closing is allowed."""
    made = await api(
        site, "POST", "/appeals",
        {"topic_id": await topic_id(site, "termination"), "customer_id": customer_id,
         "description": f"terminate: {reason}", "attributes": {"Reason": reason}},
    )  # fmt: skip
    appeal_id = str(made["id"])
    await api(site, "POST", f"/appeals/{appeal_id}/pass", {"transition": "retain"})
    return appeal_id


async def appeal(site: Site, appeal_id: str) -> Any:
    return await site.spine.json(f"/api/v1/appeals/{appeal_id}", "sveta")


async def history(site: Site, appeal_id: str) -> Any:
    return await site.spine.json(f"/api/v1/appeals/{appeal_id}/history", "sveta")


async def complaint_at_check(site: Site, customer_id: str) -> str:
    """A complaint passed on to the technical check: it waits in the
    technicians' queue (olga's), where closing is not allowed."""
    made = await api(
        site, "POST", "/appeals",
        {"topic_id": await topic_id(site, "complaint"), "customer_id": customer_id,
         "description": "no internet", "attributes": {"BrokenSince": "2026-01-02"}},
    )  # fmt: skip
    appeal_id = str(made["id"])
    await api(site, "POST", f"/appeals/{appeal_id}/pass", {"transition": "check"})
    return appeal_id

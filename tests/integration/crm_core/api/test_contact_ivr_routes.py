"""A call's contact through the API shows the IVR's record: flow, last node,
outcome and journal."""

from __future__ import annotations

from datetime import UTC, datetime

from crm_core.customers.contacts import ContactService
from crm_core.customers.model import ContactDirection, IvrVisit, WrapUp
from tests.integration.crm_core.api.conftest import Api

T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


async def test_contact_shows_the_ivr_record_when_the_ivr_let_the_call_go(
    api: Api,
) -> None:
    contacts = ContactService(api.sessions, api.clock)
    opened = await contacts.open_call_contact(
        "pbx1:9.1", "anonymous", dnis="100", direction=ContactDirection.IN,
        started_at=T0,
    )  # fmt: skip
    headers = {"Authorization": f"Bearer {api.agent_token}"}
    before = await api.client.get(f"/api/v1/contacts/{opened.id}", headers=headers)
    assert before.status == 200, await before.text()
    assert (await before.json())["ivr"] is None
    await contacts.record_ivr(
        "pbx1:9.1",
        IvrVisit(
            completed_at=T0, flow="main", outcome="caller_hung_up",
            last_node="menu", language="ru",
            journal=({"node": "menu", "kind": "entered", "detail": ""},),
            details={"handoff": {"menu_path": []}},
        ),
        ani="anonymous",
    )  # fmt: skip
    after = await api.client.get(f"/api/v1/contacts/{opened.id}", headers=headers)
    ivr = (await after.json())["ivr"]
    assert ivr["flow"] == "main"
    assert ivr["outcome"] == "caller_hung_up"
    assert ivr["last_node"] == "menu"
    assert ivr["journal"] == [{"node": "menu", "kind": "entered", "detail": ""}]
    assert ivr["details"] == {"handoff": {"menu_path": []}}
    assert datetime.fromisoformat(ivr["completed_at"]) == T0


async def test_contact_shows_the_disposition_when_the_agent_finished_wrap_up(
    api: Api,
) -> None:
    contacts = ContactService(api.sessions, api.clock)
    opened = await contacts.open_call_contact(
        "pbx1:9.2", "anonymous", dnis="100", direction=ContactDirection.IN,
        started_at=T0,
    )  # fmt: skip
    headers = {"Authorization": f"Bearer {api.agent_token}"}
    await contacts.record_wrap_up(
        "pbx1:9.2",
        WrapUp(finished_at=T0, agent="anna", disposition="resolved", notes="refund"),
    )
    got = await api.client.get(f"/api/v1/contacts/{opened.id}", headers=headers)
    assert got.status == 200, await got.text()
    assert (await got.json())["wrap_up"] == {
        "finished_at": T0.isoformat().replace("+00:00", "Z"),
        "agent": "anna",
        "disposition": "resolved",
        "notes": "refund",
    }

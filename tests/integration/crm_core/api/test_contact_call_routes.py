"""A call's contact through the API: its call log (DNIS, queues, the agents' chain,
wait, talk, hold, outcome, hangup cause and whether the PBX went away) on the
contact and in the customer's history, as the OpenAPI document describes them; the
IVR's record (flow, last node, outcome, journal) and the agent's wrap-up."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from crm_core.auth.model import system_actor
from crm_core.customers.call_log import CallEnd, CallStep, EndReason, StepKind
from crm_core.customers.contacts import ContactService
from crm_core.customers.model import CallLog, ContactDirection, IvrVisit, WrapUp
from crm_core.customers.service import CustomerService
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


def at(seconds: float) -> str:
    return (T0 + timedelta(seconds=seconds)).isoformat().replace("+00:00", "Z")


async def test_contact_and_history_show_the_call_log_when_the_call_ended(
    api: Api,
) -> None:
    card = await CustomerService(api.sessions, api.clock).create(
        system_actor(), {"name": "Orlova", "phones": [{"number": "+74951112233"}]}
    )
    contacts = ContactService(api.sessions, api.clock)
    call = "pbx1:9.3"
    opened = await contacts.open_call_contact(
        call, "+74951112233", dnis="8800", direction=ContactDirection.IN,
        started_at=T0,
    )  # fmt: skip
    steps = [
        CallStep(kind=StepKind.QUEUED, at=T0 + timedelta(seconds=5), queue="billing"),
        CallStep(kind=StepKind.CONNECTED, at=T0 + timedelta(seconds=12),
                 queue="billing", agent="anna", wait_s=7.0),
        CallStep(kind=StepKind.HANDED_OVER, at=T0 + timedelta(seconds=40),
                 queue="billing", agent="boris"),
    ]  # fmt: skip
    for step in steps:
        await contacts.record_call_step(call, step)
    end = CallEnd(
        ended_at=T0 + timedelta(seconds=100), reason=EndReason.PBX_SHUTDOWN,
        hangup_cause=0, hangup_cause_text="Unknown",
        bridged_at=T0 + timedelta(seconds=12), hold_s=8.0,
    )  # fmt: skip
    await contacts.close_call_contact(call, CallLog(end=end))
    headers = {"Authorization": f"Bearer {api.agent_token}"}

    got = await api.client.get(f"/api/v1/contacts/{opened.id}", headers=headers)
    listed = await api.client.get(
        f"/api/v1/customers/{card.id}/contacts", headers=headers
    )

    assert got.status == 200, await got.text()
    shown = await got.json()
    assert {k: shown[k] for k in CALL_LOG} == {
        "dnis": "8800",
        "queue": "billing",
        "queues": ["billing"],
        "agents": [
            {"agent": "anna", "user_id": str(api.agent_id), "taken_at": at(12),
             "queue": "billing"},
            {"agent": "boris", "user_id": None, "taken_at": at(40),
             "queue": "billing"},
        ],
        "wait_s": 7.0,
        "talk_s": 80.0,
        "hold_s": 8.0,
        "outcome": "answered",
        "hangup_cause": 0,
        "hangup_cause_text": "Unknown",
        "end_reason": "pbx_shutdown",
        "pbx_gone": True,
        "ended_at": at(100),
    }  # fmt: skip
    assert listed.status == 200, await listed.text()
    [item] = (await listed.json())["items"]
    assert {k: item[k] for k in CALL_LOG} == {k: shown[k] for k in CALL_LOG}
    document = await (await api.client.get("/api/v1/openapi.json")).json()
    schemas = document["components"]["schemas"]
    assert set(CALL_LOG) <= set(schemas["ContactOut"]["properties"])
    assert set(schemas["CallOutcome"]["enum"]) == {
        "answered", "abandoned_in_queue", "abandoned_in_ivr", "voicemail",
        "callback", "transferred_out", "served_in_ivr", "failed",
    }  # fmt: skip
    assert set(schemas["EndReason"]["enum"]) == {"hangup", "vanished", "pbx_shutdown"}
    assert set(schemas["CallAgentOut"]["properties"]) == {
        "agent", "user_id", "taken_at", "queue",
    }  # fmt: skip


CALL_LOG = (
    "dnis", "queue", "queues", "agents", "wait_s", "talk_s", "hold_s", "outcome",
    "hangup_cause", "hangup_cause_text", "end_reason", "pbx_gone", "ended_at",
)  # fmt: skip

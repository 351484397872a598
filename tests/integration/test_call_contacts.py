"""The call's events carried into the CRM through the bus, on SQLite and
PostgreSQL: the IVR's record lands on the call's contact, the ACD's steps and the
telephony end make its call log whatever order they come in and however often, and
the agents of the transfer chain are named by their users."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from acd.events import CallAbandoned, CallConnected, CallQueued, CallTransferred
from acd.model import AgentId, QueueId, TargetKind, TransferMode
from contactcentre.bus import Bus
from contactcentre.call_contacts import EVENTS, CallContacts, ivr_visit
from crm_core.auth.model import Role, system_actor
from crm_core.auth.service import AuthService, NewUser
from crm_core.customers import contact_rows
from crm_core.customers.call_log import CallOutcome, EndReason
from crm_core.customers.contacts import ContactService
from crm_core.customers.model import Contact, ContactDirection
from crm_core.customers.service import CustomerService
from crm_core.db import Sessions
from ivr.dialogue import EntryKind, HandoffData, JournalEntry, Queue, Recognised
from ivr.events import IvrCompleted
from ivr.handoff import Outcome, completed, completed_by
from ivr.model import Channel, FlowName, NodeId
from telephony.events import CallArrived, CallEnded
from telephony.model import CallId, Direction, PbxId
from telephony.model import EndReason as PbxEndReason
from tests.fakes import FakeClock
from tests.integration.recordings.accounts import FAST

T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
CALL = CallId("pbx1:1700.1")
BILLING, SUPPORT = QueueId("billing"), QueueId("support")


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def queued(*, customer_id: str | None = None) -> IvrCompleted:
    data = HandoffData(
        flow=FlowName("main"), version=3, customer_id=customer_id,
        menu_path=("billing",), values={"account": "100200"},
        recognised=(Recognised(name="menu", value="2", channel=Channel.SPEECH,
                               confidence=0.9),),
        last_node=NodeId("to_billing"),
    )  # fmt: skip
    journal = (
        JournalEntry(at=T0, node=NodeId("menu"), kind=EntryKind.ENTERED, detail=""),
        JournalEntry(
            at=T0 + timedelta(seconds=3), node=NodeId("menu"), kind=EntryKind.INPUT,
            detail="two", value="2", confidence=0.9, channel=Channel.SPEECH,
        ),
    )  # fmt: skip
    return completed_by(
        Queue(queue="billing", skills=("ru",), priority=1, data=data),
        at=T0 + timedelta(seconds=10), call_id=CALL, ani="4951234567",
        language="ru", journal=journal,
    )  # fmt: skip


def arrived() -> CallArrived:
    return CallArrived(
        occurred_at=T0, call_id=CALL, pbx_id=PbxId("pbx1"), linkedid="1700.1",
        direction=Direction.INBOUND, ani="4951234567", ani_name="", dnis="8800",
        channel="PJSIP/trunk-00000001",
    )  # fmt: skip


def ended(
    seconds: float, *, bridged: float | None, reason: PbxEndReason = PbxEndReason.HANGUP
) -> CallEnded:
    return CallEnded(
        occurred_at=at(seconds), call_id=CALL, pbx_id=PbxId("pbx1"),
        direction=Direction.INBOUND, ani="4951234567", dnis="8800", arrived_at=T0,
        answered_at=at(1), bridged_at=None if bridged is None else at(bridged),
        ended_at=at(seconds), hangup_cause=16, hangup_cause_text="Normal Clearing",
        reason=reason, hold_s=4.0,
    )  # fmt: skip


def in_queue(seconds: float, queue: QueueId = BILLING) -> CallQueued:
    return CallQueued(
        occurred_at=at(seconds), call_id=CALL, queue_id=queue, priority=1, position=1
    )


def answered(
    seconds: float, agent: str, queue: QueueId, waited_s: float
) -> CallConnected:
    return CallConnected(
        occurred_at=at(seconds), call_id=CALL, queue_id=queue,
        agent_id=AgentId(agent), waited_s=waited_s,
    )  # fmt: skip


async def deliver(sessions: Sessions, events: Sequence[object]) -> ContactService:
    """Publish `events` on a bus with the production handler subscribed."""
    contacts = ContactService(sessions, FakeClock())
    async with asyncio.timeout(10), Bus() as bus:
        bus.subscribe_all(EVENTS, CallContacts(contacts))
        for event in events:
            await bus.publish(event)
        await bus.drain()
    return contacts


async def contact_of(sessions: Sessions) -> Contact:
    async with sessions() as s:
        row = await contact_rows.contact_by_call(s, CALL)
        assert row is not None
        return contact_rows.contact_from(row)


def test_visit_carries_flow_node_and_journal_when_the_call_was_queued() -> None:
    visit = ivr_visit(queued())
    assert (visit.flow, visit.last_node, visit.outcome) == (
        "main",
        "to_billing",
        "queued",
    )
    assert visit.queue == "billing"
    assert visit.language == "ru"
    assert [e["kind"] for e in visit.journal] == ["entered", "input"]
    assert visit.journal[1]["confidence"] == 0.9
    assert "journal" not in visit.details
    assert isinstance(visit.details["handoff"], dict)


def test_visit_has_no_flow_when_no_flow_served_the_call() -> None:
    event = completed(
        at=T0, call_id=CALL, ani="", customer_id=None, outcome=Outcome.FALLBACK,
        language="en", queue="operator",
    )  # fmt: skip
    visit = ivr_visit(event)
    assert (visit.flow, visit.last_node) == (None, None)
    assert visit.journal == ()
    assert visit.outcome == "fallback"


async def test_ivr_completed_lands_on_the_call_contact_when_handled(
    sessions: Sessions,
) -> None:
    clock = FakeClock()
    contacts = ContactService(sessions, clock)
    opened = await contacts.open_call_contact(
        CALL, "anonymous", dnis="100", direction=ContactDirection.IN, started_at=T0
    )
    card = await CustomerService(sessions, clock).create(
        system_actor(), {"name": "Petrov"}
    )
    await CallContacts(contacts).on_ivr_completed(queued(customer_id=str(card.id)))
    stored = await contacts.get(system_actor(), opened.id)
    assert stored.customer_id == card.id
    assert stored.ivr is not None
    assert stored.ivr.last_node == "to_billing"
    assert [e["node"] for e in stored.ivr.journal] == ["menu", "menu"]


async def test_call_log_is_whole_when_the_end_comes_before_the_acd_and_the_ivr(
    sessions: Sessions,
) -> None:
    auth = AuthService(sessions, FakeClock(), passwords=FAST)
    anna = await auth.create_user(
        system_actor(),
        NewUser(login="anna", display_name="Anna", role=Role.AGENT, password="x" * 12),
    )
    transfer = CallTransferred(
        occurred_at=at(60), call_id=CALL, queue_id=BILLING, agent_id=AgentId("anna"),
        mode=TransferMode.BLIND, target_kind=TargetKind.QUEUE, target=SUPPORT,
    )  # fmt: skip
    acd = [
        in_queue(10),
        answered(20, "anna", BILLING, 10.0),
        transfer,
        in_queue(60, SUPPORT),
        answered(75, "boris", SUPPORT, 15.0),
    ]
    events = [ended(200, bridged=20), *acd, queued(), arrived(), *acd]

    await deliver(sessions, events)

    done = await contact_of(sessions)
    assert (done.address, done.dnis, done.started_at) == ("4951234567", "8800", T0)
    assert (done.queue, done.queues) == ("support", ("billing", "support"))
    assert [(a.agent, a.taken_at, a.queue, a.user_id) for a in done.agents] == [
        ("anna", at(20), "billing", anna.id),
        ("boris", at(75), "support", None),
    ]
    assert done.agent_id is None, "the last agent, boris, has no user"
    assert (done.wait_s, done.talk_s, done.hold_s) == (25.0, 161.0, 4.0)
    assert done.outcome is CallOutcome.ANSWERED
    assert (done.hangup_cause, done.hangup_cause_text) == (16, "Normal Clearing")
    assert (done.end_reason, done.pbx_gone) == (EndReason.HANGUP, False)
    assert done.ended_at == at(200)
    assert done.ivr is not None


async def test_caller_lost_to_a_pbx_restart_is_not_abandoned_when_the_acd_says_so(
    sessions: Sessions,
) -> None:
    gone = ended(40, bridged=None, reason=PbxEndReason.VANISHED)
    late = CallAbandoned(
        occurred_at=at(41), call_id=CALL, queue_id=BILLING, waited_s=31.0
    )

    await deliver(sessions, [arrived(), queued(), in_queue(10), gone, late])

    done = await contact_of(sessions)
    assert done.outcome is CallOutcome.FAILED
    assert (done.end_reason, done.pbx_gone) == (EndReason.VANISHED, True)
    assert done.ended_at == at(40)

"""A call's log from its events, table-driven: each row is what the telephony side,
the IVR and the ACD published about one call, and the log the CRM must make of it.
Every interleaving of the three publishers (each in its own order) gives the same
log: the telephony end before the ACD's last word, an ACD event before the call's
own, the IVR's record after the hang-up."""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest

from acd.events import (
    CallAbandoned,
    CallbackBooked,
    CallConnected,
    CallLeftQueue,
    CallQueued,
    CallTransferred,
)
from acd.model import (
    AgentId,
    ExitKind,
    ExitReason,
    QueueId,
    TargetKind,
    TransferMode,
)
from contactcentre.call_contacts import AcdStep, call_log, call_step, ivr_visit
from crm_core.customers.call_log import CallFacts, CallOutcome, CallSummary, summarise
from ivr.events import IvrCompleted
from ivr.handoff import Outcome, completed
from telephony.events import CallEnded
from telephony.model import CallId, Direction, EndReason, PbxId

T0 = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
CALL = CallId("pbx1:1.1")
BILLING, SUPPORT = QueueId("billing"), QueueId("support")
ANNA, BORIS = AgentId("anna"), AgentId("boris")
Out = CallOutcome

Event = CallEnded | IvrCompleted | AcdStep


def at(s: float) -> datetime:
    return T0 + timedelta(seconds=s)


def ended(
    s: float,
    *,
    bridged: float | None = None,
    reason: EndReason = EndReason.HANGUP,
    hold_s: float = 0.0,
) -> CallEnded:
    return CallEnded(
        occurred_at=at(s), call_id=CALL, pbx_id=PbxId("pbx1"),
        direction=Direction.INBOUND, ani="+74951234567", dnis="8800",
        arrived_at=T0, answered_at=at(0),
        bridged_at=None if bridged is None else at(bridged), ended_at=at(s),
        hangup_cause=16, hangup_cause_text="Normal Clearing", reason=reason,
        hold_s=hold_s,
    )  # fmt: skip


def ivr(s: float, outcome: Outcome, queue: QueueId | None = None) -> IvrCompleted:
    return completed(
        at=at(s), call_id=CALL, ani="+74951234567", customer_id=None,
        outcome=outcome, language="en", queue=queue,
    )  # fmt: skip


def queued(s: float, queue: QueueId = BILLING) -> CallQueued:
    return CallQueued(
        occurred_at=at(s), call_id=CALL, queue_id=queue, priority=0, position=1
    )


def connected(
    s: float, agent: AgentId = ANNA, queue: QueueId = BILLING, *, waited_s: float
) -> CallConnected:
    return CallConnected(
        occurred_at=at(s), call_id=CALL, queue_id=queue, agent_id=agent,
        waited_s=waited_s,
    )  # fmt: skip


def abandoned(s: float, queue: QueueId = BILLING, *, waited_s: float) -> CallAbandoned:
    return CallAbandoned(
        occurred_at=at(s), call_id=CALL, queue_id=queue, waited_s=waited_s
    )


def left(s: float, exit: ExitKind, *, waited_s: float) -> CallLeftQueue:
    reason = (
        ExitReason.MAX_WAIT if exit is not ExitKind.HANGUP else ExitReason.QUEUE_FULL
    )
    return CallLeftQueue(
        occurred_at=at(s), call_id=CALL, queue_id=BILLING, reason=reason, exit=exit,
        waited_s=waited_s,
    )  # fmt: skip


def booked(s: float) -> CallbackBooked:
    return CallbackBooked(occurred_at=at(s), call_id=CALL, queue_id=BILLING)


def sent(
    s: float,
    kind: TargetKind,
    target: str,
    *,
    mode: TransferMode = TransferMode.BLIND,
    by: AgentId = ANNA,
) -> CallTransferred:
    return CallTransferred(
        occurred_at=at(s), call_id=CALL, queue_id=BILLING, agent_id=by, mode=mode,
        target_kind=kind, target=target,
    )  # fmt: skip


@dataclass(frozen=True)
class Case:
    name: str
    telephony: Sequence[CallEnded]
    ivr: Sequence[IvrCompleted]
    acd: Sequence[AcdStep]
    outcome: CallOutcome | None
    agents: tuple[str, ...] = ()
    queues: tuple[str, ...] = ()
    wait_s: float | None = None
    talk_s: float | None = None


QUEUED = ivr(8, Outcome.QUEUED, BILLING)

CASES = [
    Case("answered", [ended(100, bridged=20, hold_s=10)], [QUEUED],
         [queued(8), connected(20, waited_s=12)],
         Out.ANSWERED, ("anna",), ("billing",), wait_s=12, talk_s=70),
    Case("caller hangs up in the queue", [ended(40)], [QUEUED],
         [queued(8), abandoned(40, waited_s=32)],
         Out.ABANDONED_IN_QUEUE, (), ("billing",), wait_s=32, talk_s=0),
    Case("end heard while still queued", [ended(40)], [QUEUED], [queued(8)],
         Out.ABANDONED_IN_QUEUE, (), ("billing",), wait_s=32),
    Case("caller hangs up in the IVR", [ended(6)],
         [ivr(6, Outcome.CALLER_HUNG_UP)], [],
         Out.ABANDONED_IN_IVR, wait_s=0, talk_s=0),
    Case("handed to a queue, gone before the ACD queued it", [ended(9)], [QUEUED],
         [], Out.ABANDONED_IN_QUEUE, (), ("billing",)),
    Case("voicemail from the IVR", [ended(60)], [ivr(59, Outcome.VOICEMAIL)], [],
         Out.VOICEMAIL),
    Case("voicemail exit of the queue", [ended(90)], [QUEUED],
         [queued(8), left(68, ExitKind.VOICEMAIL, waited_s=60)],
         Out.VOICEMAIL, (), ("billing",), wait_s=60),
    Case("callback exit, callback booked", [ended(75)], [QUEUED],
         [queued(8), left(68, ExitKind.CALLBACK, waited_s=60), booked(72),
          queued(72), connected(300, BORIS, waited_s=292)],
         Out.CALLBACK, ("boris",), ("billing",), wait_s=60, talk_s=0),
    Case("callback exit, declined (its voicemail)", [ended(90)], [QUEUED],
         [queued(8), left(68, ExitKind.CALLBACK, waited_s=60)], Out.VOICEMAIL),
    Case("callback booked while waiting", [ended(31)], [QUEUED],
         [queued(8), booked(30)], Out.CALLBACK, wait_s=22),
    Case("queue full: its exit hangs up", [ended(12)], [QUEUED],
         [left(8, ExitKind.HANGUP, waited_s=0)], Out.FAILED, (), ("billing",)),
    Case("agent sends the caller to a number", [ended(200, bridged=20)], [QUEUED],
         [queued(8), connected(20, waited_s=12),
          sent(50, TargetKind.NUMBER, "+74957654321")],
         Out.TRANSFERRED_OUT, ("anna",), ("billing",), talk_s=30),
    Case("IVR sends the caller to a number", [ended(40, bridged=12)],
         [ivr(10, Outcome.TRANSFERRED)], [], Out.TRANSFERRED_OUT, talk_s=0),
    Case("self-service: the flow ends the call", [ended(30)],
         [ivr(30, Outcome.FLOW_ENDED)], [], Out.SERVED_IN_IVR),
    Case("blind transfer to a queue, answered there", [ended(150, bridged=20)],
         [QUEUED],
         [queued(8), connected(20, waited_s=12), sent(50, TargetKind.QUEUE, SUPPORT),
          queued(50, SUPPORT), connected(60, BORIS, SUPPORT, waited_s=10)],
         Out.ANSWERED, ("anna", "boris"), ("billing", "support"), wait_s=22,
         talk_s=120),
    Case("blind transfer to a queue, caller hangs up there",
         [ended(80, bridged=20)], [QUEUED],
         [queued(8), connected(20, waited_s=12), sent(50, TargetKind.QUEUE, SUPPORT),
          queued(50, SUPPORT), abandoned(80, SUPPORT, waited_s=30)],
         Out.ABANDONED_IN_QUEUE, ("anna",), ("billing", "support"), wait_s=42,
         talk_s=30),
    Case("blind transfer to an agent", [ended(150, bridged=20)], [QUEUED],
         [queued(8), connected(20, waited_s=12), sent(50, TargetKind.AGENT, BORIS),
          queued(50), connected(55, BORIS, waited_s=5)],
         Out.ANSWERED, ("anna", "boris"), ("billing",), wait_s=17, talk_s=125),
    Case("attended transfer to an agent", [ended(150, bridged=20)], [QUEUED],
         [queued(8), connected(20, waited_s=12),
          sent(70, TargetKind.AGENT, BORIS, mode=TransferMode.ATTENDED)],
         Out.ANSWERED, ("anna", "boris"), ("billing",), wait_s=12, talk_s=130),
    Case("PBX restarts while the caller waits", [ended(40, reason=EndReason.VANISHED)],
         [QUEUED], [queued(8), abandoned(41, waited_s=33)], Out.FAILED),
    Case("PBX restarts while an agent talks",
         [ended(90, bridged=20, reason=EndReason.PBX_SHUTDOWN)], [QUEUED],
         [queued(8), connected(20, waited_s=12)], Out.ANSWERED, ("anna",)),
    Case("PBX restarts during the menu", [ended(5, reason=EndReason.VANISHED)],
         [ivr(5, Outcome.CALLER_HUNG_UP)], [], Out.FAILED),
    Case("a call the ACD never saw, bridged (a callback's own leg)",
         [ended(60, bridged=10)], [], [], Out.ANSWERED, talk_s=50),
    Case("a call that never reached the IVR", [ended(3)], [], [], Out.FAILED),
    Case("still going on", [], [QUEUED], [queued(8), connected(20, waited_s=12)],
         None, ("anna",), ("billing",)),
]  # fmt: skip


def fold(events: Sequence[Event]) -> CallSummary:
    """What the CRM makes of the events, heard in this order."""
    facts = CallFacts()
    for event in events:
        match event:
            case CallEnded():
                facts = facts.with_end(call_log(event).end)
            case IvrCompleted():
                visit = ivr_visit(event)
                facts = facts.with_ivr(visit.outcome, queue=visit.queue)
            case _:
                facts = facts.with_step(call_step(event))
    return summarise(facts)


def interleavings(*streams: Sequence[Event]) -> Iterator[list[Event]]:
    """Every order of the streams' events that keeps each stream's own order."""
    labels = [i for i, stream in enumerate(streams) for _ in stream]
    for order in set(itertools.permutations(labels)):
        cursors = [iter(stream) for stream in streams]
        yield [next(cursors[i]) for i in order]


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_call_log_is_the_same_whatever_order_the_events_arrive_in(case: Case) -> None:
    logs = {
        repr(fold(events))
        for events in interleavings(case.telephony, case.ivr, case.acd)
    }
    assert len(logs) == 1
    log = fold([*case.telephony, *case.ivr, *case.acd])
    assert log.outcome == case.outcome
    assert tuple(turn.agent for turn in log.agents) == case.agents
    if case.queues:
        assert log.queues == case.queues
        assert log.queue == case.queues[-1]
    if case.wait_s is not None:
        assert log.wait_s == case.wait_s
    if case.talk_s is not None:
        assert log.talk_s == case.talk_s


def test_call_log_is_unchanged_when_every_event_is_heard_twice() -> None:
    case = next(
        c for c in CASES if c.name == "blind transfer to a queue, answered there"
    )
    events = [*case.acd, *case.telephony, *case.ivr]
    assert fold([e for e in events for _ in (1, 2)]) == fold(events)


def test_agents_carry_when_and_where_they_took_the_call_when_transferred() -> None:
    case = next(c for c in CASES if c.name == "attended transfer to an agent")
    log = fold([*case.acd, *case.telephony])
    assert [(t.agent, t.taken_at, t.queue) for t in log.agents] == [
        ("anna", at(20), "billing"),
        ("boris", at(70), "billing"),
    ]
    assert log.hold_s == 0.0


def test_figures_wait_for_the_end_when_the_call_goes_on() -> None:
    log = fold([queued(8), connected(20, waited_s=12)])
    assert (log.wait_s, log.talk_s, log.hold_s, log.outcome) == (None,) * 4

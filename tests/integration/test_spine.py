"""The path of inbound calls through the whole service as `serve` composes it: the
simulator rings, the AMI bridge tracks the call, FastAGI greets the caller, the CRM
identifies them and opens a contact, the ACD routes them, and each call's contact
ends with its whole call log: an answered and recorded call, a caller who hangs up
in the queue, one who hangs up in the IVR, blind transfers to a queue and to
another agent, a queue's voicemail exit. Runs on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from acd.model import AgentState, TargetKind, TransferMode
from acd.transfers import TransferTarget
from crm_core.clock import UtcClock
from crm_core.customers.call_log import CallOutcome, EndReason
from crm_core.customers.model import Contact, Identified
from crm_core.customers.seed import demo_phone_numbers
from crm_core.customers.service import CustomerService
from telephony.sim.model import Caller
from telephony.sim.simulator import InboundCall
from tests.integration.spine import (
    ANNA,
    BORIS,
    FALLBACK_DNIS,
    SALES_MAX_WAIT_S,
    Spine,
    running,
)
from tests.waiting import eventually


@pytest.fixture
async def spine(database_url: str, tmp_path: Path) -> AsyncIterator[Spine]:
    async with running(database_url, tmp_path) as it:
        yield it


def waiting_caller(ani: str, digits: str = "9", **more: Any) -> Caller:
    """A caller of the default greeting who presses `digits` (9: general)."""
    return Caller(ani=ani, dnis=FALLBACK_DNIS, digits=digits, digit_delay_s=0.1, **more)


def ended_normally(spine: Spine, placed: InboundCall, contact: Contact) -> None:
    """The contact carries the PBX's hangup cause, and nobody says it went away."""
    cause = (contact.hangup_cause, contact.hangup_cause_text)
    assert cause == spine.hangup_cause(placed)
    assert (contact.end_reason, contact.pbx_gone) == (EndReason.HANGUP, False)


async def test_answered_call_has_its_call_log_and_recording_when_the_caller_hangs_up(
    spine: Spine,
) -> None:
    number = demo_phone_numbers(30)[5]
    await spine.logged_in(ANNA)
    placed, call = await spine.call(waiting_caller(number, patience_s=None, talk_s=1.5))

    done = await spine.settled(call, lambda c: c.outcome is CallOutcome.ANSWERED)

    known = await CustomerService(spine.app.sessions, UtcClock()).identify(number)
    assert isinstance(known, Identified)
    assert (done.address, done.dnis, done.customer_id) == (
        number,
        FALLBACK_DNIS,
        known.customer.id,
    )
    assert (done.queue, done.queues) == ("general", ("general",))
    [turn] = done.agents
    assert (turn.agent, turn.user_id, turn.queue) == (
        ANNA,
        spine.users[ANNA],
        "general",
    )
    assert done.started_at < turn.taken_at < (done.ended_at or turn.taken_at)
    assert done.agent_id == spine.users[ANNA]
    assert done.wait_s is not None
    assert 0 < done.wait_s < 30
    assert done.talk_s is not None
    assert 1.0 < done.talk_s < 30
    assert done.hold_s == 0
    ended_normally(spine, placed, done)
    shown = await spine.json(f"/api/v1/contacts/{done.id}", ANNA)
    assert [a["agent"] for a in shown["agents"]] == [ANNA]
    assert shown["outcome"] == "answered"

    await _heard_only_by_its_agent(spine, call, done)


async def _heard_only_by_its_agent(spine: Spine, call: str, contact: Contact) -> None:
    """The call's recording, ready and on its contact, plays for anna (she took
    the call) and not for boris, who does not even see it listed."""

    async def recorded() -> list[dict[str, Any]]:
        found = await spine.json(f"/api/v1/recordings?call_id={call}", "sveta")
        return [r for r in found["items"] if r["status"] == "ready"]

    [recording] = await eventually(recorded)
    assert recording["contact_id"] == str(contact.id)
    audio = f"/api/v1/recordings/{recording['id']}/audio"
    async with await spine.get(audio, ANNA) as heard:
        assert heard.status == 200
        assert (await heard.read())[:4] == b"RIFF"
    async with await spine.get(audio, BORIS) as refused:
        assert refused.status == 403
    theirs = await spine.json(f"/api/v1/recordings?call_id={call}", BORIS)
    assert theirs["items"] == []


async def test_caller_who_hangs_up_in_the_queue_is_abandoned_there_when_nobody_answers(
    spine: Spine,
) -> None:
    number = demo_phone_numbers(30)[3]
    placed, call = await spine.call(waiting_caller(number, patience_s=None))
    opened = await eventually(lambda: spine.contact(call))
    assert (opened.address, opened.dnis, opened.ended_at) == (
        number,
        FALLBACK_DNIS,
        None,
    )
    listed = await spine.json("/api/v1/calls", "sveta")
    [shown] = [c for c in listed["calls"] if c["call_id"] == call]
    assert (shown["direction"], shown["dnis"]) == ("inbound", FALLBACK_DNIS)

    await spine.queued(call)
    assert spine.sim.hangup(placed.uniqueid)

    done = await spine.settled(
        call, lambda c: c.outcome is CallOutcome.ABANDONED_IN_QUEUE
    )
    assert (done.queue, done.queues, done.agents) == ("general", ("general",), ())
    assert done.wait_s is not None
    assert done.wait_s > 0
    assert (done.talk_s, done.hold_s) == (0, 0)
    ended_normally(spine, placed, done)
    after = await spine.json("/api/v1/calls", "sveta")
    assert [c for c in after["calls"] if c["call_id"] == call] == []


async def test_caller_who_hangs_up_in_the_ivr_is_abandoned_there_when_asked_a_key(
    spine: Spine,
) -> None:
    placed, call = await spine.call(
        waiting_caller("+74990000002", digits="", patience_s=None)
    )

    async def asked() -> bool:
        return any(
            e.get("Event") == "AGIExecStart"
            and e.get("Uniqueid") == placed.ivr_uniqueid
            and e.get("Command", "").startswith("GET DATA")
            for e in map(dict, spine.sim.events)
        )

    await eventually(asked)
    assert spine.sim.hangup(placed.uniqueid)

    done = await spine.settled(call, lambda c: c.ivr is not None)
    assert done.outcome is CallOutcome.ABANDONED_IN_IVR
    assert done.ivr is not None
    assert done.ivr.outcome == "caller_hung_up"
    assert (done.queue, done.queues, done.agents) == (None, (), ())
    assert (done.wait_s, done.talk_s) == (0, 0)
    assert done.customer_id is None


async def test_agents_chain_is_two_when_sent_blind_to_a_queue_and_answered_there(
    spine: Spine,
) -> None:
    to_support = TransferTarget(kind=TargetKind.QUEUE, value="support")
    placed, done = await _transferred(spine, to_support)

    assert done.outcome is CallOutcome.ANSWERED
    assert (done.queue, done.queues) == ("support", ("general", "support"))
    assert [(a.agent, a.queue) for a in done.agents] == [
        (ANNA, "general"),
        (BORIS, "support"),
    ]
    assert done.agent_id == spine.users[BORIS]
    assert done.agents[0].taken_at < done.agents[1].taken_at
    ended_normally(spine, placed, done)


async def test_agents_chain_is_two_when_sent_blind_to_another_agent(
    spine: Spine,
) -> None:
    to_boris = TransferTarget(kind=TargetKind.AGENT, value=BORIS)
    placed, done = await _transferred(spine, to_boris)

    assert done.outcome is CallOutcome.ANSWERED
    assert (done.queue, done.queues) == ("general", ("general",))
    assert [a.agent for a in done.agents] == [ANNA, BORIS]
    assert [a.user_id for a in done.agents] == [spine.users[ANNA], spine.users[BORIS]]
    ended_normally(spine, placed, done)


async def _transferred(
    spine: Spine, target: TransferTarget
) -> tuple[InboundCall, Contact]:
    """anna answers a caller of the general queue and sends them blind to
    `target`; boris (ready only then) answers; the caller hangs up."""
    await spine.logged_in(ANNA)
    placed, call = await spine.call(
        waiting_caller("+74990000003", patience_s=None, talk_s=600)
    )
    await spine.until_state(ANNA, AgentState.ON_CALL)
    await spine.logged_in(BORIS)

    await spine.app.acd.transfers.transfer(ANNA, mode=TransferMode.BLIND, target=target)

    await spine.until_state(BORIS, AgentState.ON_CALL)
    assert spine.sim.hangup(placed.uniqueid)
    done = await spine.settled(
        call, lambda c: len(c.agents) == 2 and c.outcome is CallOutcome.ANSWERED
    )
    return placed, done


async def test_caller_leaves_a_voicemail_when_the_queue_sends_them_to_its_exit(
    spine: Spine,
) -> None:
    _, call = await spine.call(
        waiting_caller("+74990000004", digits="3", patience_s=None)
    )

    done = await spine.settled(
        call, lambda c: c.outcome is CallOutcome.VOICEMAIL, timeout_s=30
    )
    assert (done.queue, done.queues, done.agents) == ("sales", ("sales",), ())
    assert done.wait_s is not None
    assert done.wait_s >= SALES_MAX_WAIT_S
    assert done.talk_s == 0
    assert done.end_reason is EndReason.HANGUP


async def test_caller_lost_to_a_pbx_restart_is_failed_not_abandoned_when_waiting(
    spine: Spine,
) -> None:
    _, call = await spine.call(waiting_caller("+74990000005", patience_s=None))

    await spine.queued(call)
    await spine.sim.restart(down_s=0.3)

    done = await spine.settled(call, lambda c: c.outcome is not None)
    assert done.outcome is CallOutcome.FAILED
    assert (done.end_reason, done.pbx_gone) == (EndReason.VANISHED, True)
    assert done.hangup_cause_text
    assert (done.queue, done.agents) == ("general", ())


async def test_call_lost_to_a_pbx_restart_is_answered_when_an_agent_had_it(
    spine: Spine,
) -> None:
    await spine.logged_in(ANNA)
    _, call = await spine.call(
        waiting_caller("+74990000006", patience_s=None, talk_s=600)
    )
    await spine.until_state(ANNA, AgentState.ON_CALL)

    await spine.sim.restart(down_s=0.3)

    done = await spine.settled(call, lambda c: c.outcome is not None)
    assert done.outcome is CallOutcome.ANSWERED
    assert (done.end_reason, done.pbx_gone) == (EndReason.VANISHED, True)
    assert [a.agent for a in done.agents] == [ANNA]


async def test_stranger_gets_a_contact_without_a_customer_when_calling(
    spine: Spine,
) -> None:
    placed, call = await spine.call(waiting_caller("+74990000001"))
    opened = await eventually(lambda: spine.contact(call))
    assert opened.customer_id is None
    assert spine.sim.hangup(placed.uniqueid)

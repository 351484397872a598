"""The hand-off the IVR runner leaves: ACD channel variables and IvrCompleted with
the journal as JSON primitives, per way out of a flow."""

from __future__ import annotations

import dataclasses
import json
from datetime import UTC, datetime

import pytest

from ivr.dialogue import (
    EntryKind,
    Fallback,
    HandoffData,
    Hangup,
    HangupReason,
    JournalEntry,
    Queue,
    Recognised,
    Transfer,
    Voicemail,
)
from ivr.handoff import (
    Ending,
    Outcome,
    completed,
    completed_by,
    ending_of,
    outcome_of,
    queue_variables,
)
from ivr.model import Channel, FlowName, NodeId

AT = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
DATA = HandoffData(
    flow=FlowName("main-en"),
    version=3,
    customer_id="42",
    menu_path=("billing", "billing_agent"),
    values={"meter_reading": "1234", "account": "A-1"},
    recognised=(
        Recognised(
            name="main", value="billing", channel=Channel.SPEECH, confidence=0.82
        ),
        Recognised(
            name="billing_menu", value="1", channel=Channel.DTMF, confidence=None
        ),
    ),
    last_node=NodeId("billing_queue"),
)
JOURNAL = (
    JournalEntry(at=AT, node=NodeId("main"), kind=EntryKind.ENTERED, detail="main"),
    JournalEntry(
        at=AT,
        node=NodeId("main"),
        kind=EntryKind.CHOSEN,
        detail="billing",
        value="billing",
        confidence=0.82,
        channel=Channel.SPEECH,
    ),
)


@pytest.mark.parametrize(
    ("action", "outcome"),
    [
        (Queue(queue="billing", skills=("billing",), priority=5, data=DATA), "queued"),
        (
            Voicemail(topic="voicemail", prompts=(), max_duration_s=60, data=DATA),
            "voicemail",
        ),
        (Transfer(number="84951234567", data=DATA), "transferred"),
        (Hangup(reason=HangupReason.FLOW_ENDED, data=DATA), "flow_ended"),
        (Hangup(reason=HangupReason.CALLER_HUNG_UP, data=DATA), "caller_hung_up"),
    ],
)
def test_outcome_names_the_way_out_when_flow_reaches_a_terminal(
    action: Queue | Voicemail | Transfer | Hangup, outcome: str
) -> None:
    assert outcome_of(action) == Outcome(outcome)


def test_acd_variables_carry_queue_skills_and_priority_when_queueing() -> None:
    assert queue_variables("billing", ("billing", "en"), 7) == (
        ("CC_QUEUE", "billing"),
        ("CC_SKILLS", "billing,en"),
        ("CC_PRIORITY", "7"),
        ("CC_LANGUAGE", ""),
        ("CC_CATEGORY", ""),
    )


def test_acd_variables_carry_language_and_category_when_known() -> None:
    variables = dict(queue_variables("sales", (), 0, language="ru", category="vip"))
    assert (variables["CC_LANGUAGE"], variables["CC_CATEGORY"]) == ("ru", "vip")


def test_event_carries_queue_and_data_as_json_when_call_is_queued() -> None:
    action = Queue(queue="billing", skills=("billing", "en"), priority=5, data=DATA)

    event = completed_by(
        action,
        at=AT,
        call_id="1.2",
        ani="79161234567",
        language="en",
        journal=JOURNAL,
    )

    assert event.topic == "ivr.completed"
    assert (event.queue, event.skills, event.priority) == (
        "billing",
        ("billing", "en"),
        5,
    )
    assert (event.customer_id, event.outcome, event.language) == ("42", "queued", "en")
    assert json.loads(json.dumps(event.data)) == event.data
    assert event.data["handoff"] == {
        "flow": "main-en",
        "version": 3,
        "customer_id": "42",
        "menu_path": ["billing", "billing_agent"],
        "values": {"account": "A-1", "meter_reading": "1234"},
        "recognised": [
            {
                "name": "main",
                "value": "billing",
                "channel": "speech",
                "confidence": 0.82,
            },
            {
                "name": "billing_menu",
                "value": "1",
                "channel": "dtmf",
                "confidence": None,
            },
        ],
        "last_node": "billing_queue",
        "fallback": None,
    }
    assert event.data["journal"] == [
        {"at": AT.isoformat(), "node": "main", "kind": "entered", "detail": "main"},
        {
            "at": AT.isoformat(),
            "node": "main",
            "kind": "chosen",
            "detail": "billing",
            "value": "billing",
            "confidence": 0.82,
            "channel": "speech",
        },
    ]


def test_event_says_where_caller_left_when_they_hung_up() -> None:
    action = Hangup(reason=HangupReason.CALLER_HUNG_UP, data=DATA)

    event = completed_by(
        action,
        at=AT,
        call_id="1.2",
        ani="79161234567",
        language="en",
        journal=JOURNAL,
        details={"outage_heard": "o-1"},
    )

    assert event.queue is None
    assert event.data["hangup_reason"] == "caller_hung_up"
    assert (event.data["ended"], event.data["last_node"]) == (
        "hung_up",
        "billing_queue",
    )
    assert event.data["outage_heard"] == "o-1"
    handoff = event.data["handoff"]
    assert isinstance(handoff, dict)
    assert handoff["last_node"] == "billing_queue"


def test_event_names_transfer_number_when_call_is_transferred() -> None:
    event = completed_by(
        Transfer(number="84951234567", data=DATA),
        at=AT,
        call_id="1.2",
        ani="1",
        language="en",
        journal=(),
    )

    assert event.data["transfer_to"] == "84951234567"
    assert event.outcome == "transferred"


def test_event_has_no_handoff_when_no_flow_ran() -> None:
    event = completed(
        at=AT,
        call_id="1.2",
        ani="",
        customer_id=None,
        outcome=Outcome.FALLBACK,
        language="en",
        queue="general",
    )

    assert event.data == {
        "outcome": "fallback",
        "ended": "no_flow",
        "last_node": None,
        "journal": [],
    }
    assert event.queue == "general"


@pytest.mark.parametrize(
    ("fallback", "ended"),
    [
        (None, "flow"),
        (Fallback.NO_INPUT, "no_input"),
        (Fallback.INVALID_INPUT, "invalid_input"),
        (Fallback.ACTION_FAILED, "action_failed"),
    ],
)
def test_event_says_how_the_flow_ended_when_it_took_a_fallback_exit(
    fallback: Fallback | None, ended: str
) -> None:
    data = dataclasses.replace(DATA, fallback=fallback)

    event = completed_by(
        Queue(queue="general", skills=(), priority=0, data=data),
        at=AT,
        call_id="pbx-1:1.2",
        ani="1",
        language="en",
        journal=(),
    )

    assert event.data["ended"] == ended
    assert event.data["last_node"] == "billing_queue"
    assert ending_of(Queue(queue="general", skills=(), priority=0, data=data)) == (
        Ending(ended)
    )

"""Every event a journaled handler takes comes back from the journal's JSON exactly
(the shared event codec, through the JSON text the journal writes)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone

from hypothesis import given
from hypothesis import strategies as st

from acd.events import CallbackGaveUp, Disposition, WrapUpFinished
from acd.model import AgentId, QueueId
from contactcentre.redis_bridge import EventCodec
from ivr.events import IvrCompleted, JsonValue
from recordings.events import RecordingStarted
from telephony.events import CallArrived, CallEnded
from telephony.model import CallId, Direction, EndReason, PbxId

AT = datetime(2026, 3, 1, 9, 30, 15, 123456, tzinfo=UTC)
CALL = CallId("pbx1:1700000000.42")

JOURNALED = (
    CallArrived(
        occurred_at=AT, call_id=CALL, pbx_id=PbxId("pbx1"), linkedid="1700000000.42",
        direction=Direction.INBOUND, ani="+74951234567", ani_name="Иван «Петров»",
        dnis="8800", channel="PJSIP/trunk-0000002a",
    ),
    CallEnded(
        occurred_at=AT, call_id=CALL, pbx_id=PbxId("pbx1"),
        direction=Direction.OUTBOUND, ani="", dnis="2001",
        arrived_at=AT - timedelta(seconds=95.5), answered_at=None,
        bridged_at=AT.astimezone(timezone(timedelta(hours=3))), ended_at=AT,
        hangup_cause=None, hangup_cause_text="", reason=EndReason.PBX_SHUTDOWN,
        hold_s=12.25,
    ),
    WrapUpFinished(
        agent_id=AgentId("agent"), call_id=CALL, disposition=Disposition.FOLLOW_UP,
        notes="내일 다시\n«전화»", at=AT,
    ),
    WrapUpFinished(
        agent_id=AgentId("agent"), call_id=CALL, disposition=None, notes="", at=AT
    ),
    CallbackGaveUp(
        call_id=CALL, queue_id=QueueId("billing"), number="84957654321",
        attempts=3, at=AT,
    ),
    RecordingStarted(
        occurred_at=AT, recording_id="0b6c2f0e-54a4-4f5e-9d36-0c7a1f1f7a10",
        call_id=CALL, pbx_id="pbx1", channel="Local/2001@cc-inbound-00000004;2",
        file_name="pbx1_1700000000.42.wav", problem="MixMonitor refused: gone",
    ),
)  # fmt: skip


def through_the_journal(event: object) -> object:
    codec = EventCodec([type(event)])
    topic, fields = codec.to_json(event)
    text = json.dumps({"topic": topic, "event": fields}, ensure_ascii=False)
    stored = json.loads(text)
    return codec.from_json(stored["topic"], stored["event"])


def test_every_journaled_event_comes_back_exactly_when_read_again() -> None:
    for event in JOURNALED:
        back = through_the_journal(event)
        assert back == event
        assert type(back) is type(event)


json_values: st.SearchStrategy[JsonValue] = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=20,
)


@given(
    data=st.dictionaries(st.text(max_size=10), json_values, max_size=5),
    skills=st.lists(st.text(max_size=5), max_size=3),
    customer=st.none() | st.text(max_size=36),
)
def test_ivr_record_comes_back_exactly_when_its_data_is_any_json(
    data: dict[str, JsonValue], skills: list[str], customer: str | None
) -> None:
    event = IvrCompleted(
        occurred_at=AT, call_id=CALL, ani="+74951234567", customer_id=customer,
        outcome="queue", queue="billing", skills=tuple(skills), priority=2,
        language="ru", data=data,
    )  # fmt: skip
    assert through_the_journal(event) == event

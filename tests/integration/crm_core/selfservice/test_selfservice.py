"""Self-service on SQLite and PostgreSQL: meter readings checked against the previous
one, callback requests worked by attempts, survey answers, the open appeal a caller
hears, and voicemail becoming an appeal with its recording."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import pytest

from crm_core.appeals.attachments import AttachmentService
from crm_core.appeals.model import AppealStatus
from crm_core.appeals.service import AppealInput
from crm_core.customers.contacts import ContactService
from crm_core.customers.errors import CustomerNotFound
from crm_core.customers.model import ContactDirection
from crm_core.customers.service import CustomerService
from crm_core.db import Sessions
from crm_core.errors import FieldError
from crm_core.selfservice.errors import (
    CallbackFinished,
    ReadingRejected,
    TopicMissing,
)
from crm_core.selfservice.model import CallbackStatus, appeal_number, reading_problem
from crm_core.selfservice.seed import seed_voicemail_topic
from crm_core.selfservice.service import SelfService
from crm_core.selfservice.voicemail import VoicemailService
from tests.integration.crm_core.appeals.world import ANNA, World, build


@dataclass
class Desk:
    world: World
    service: SelfService
    voicemail: VoicemailService
    files: AttachmentService
    customers: CustomerService


@pytest.fixture
async def desk(sessions: Sessions, tmp_path: Path) -> Desk:
    world = await build(sessions)
    await seed_voicemail_topic(sessions, world.clock, members=[ANNA.user_id])
    files = AttachmentService(
        sessions, world.clock, directory=tmp_path / "files", max_bytes=1 << 20
    )
    return Desk(
        world=world,
        service=SelfService(sessions, world.clock),
        voicemail=VoicemailService(sessions, world.appeals, files),
        files=files,
        customers=CustomerService(sessions, world.clock),
    )


async def test_readings_are_kept_in_order_when_each_is_not_lower(desk: Desk) -> None:
    who = desk.world.mass_customer
    await desk.service.store_reading(who, value=Decimal("100.5"), call_id="c1")
    desk.world.clock.advance(60)
    await desk.service.store_reading(who, value=Decimal("100.5"), call_id="c2")
    desk.world.clock.advance(60)
    await desk.service.store_reading(who, value=Decimal(7), call_id="c3", meter="water")
    readings = await desk.service.readings(who)
    assert [(r.meter, r.value, r.call_id) for r in readings] == [
        ("main", Decimal("100.500"), "c1"),
        ("main", Decimal("100.500"), "c2"),
        ("water", Decimal("7.000"), "c3"),
    ]
    assert readings[0].taken_at.tzinfo is not None
    assert readings[2].taken_at - readings[0].taken_at == desk.world.clock.now() - (
        readings[0].taken_at
    )


async def test_reading_is_refused_when_lower_than_the_previous_unless_flagged(
    desk: Desk,
) -> None:
    who = desk.world.mass_customer
    await desk.service.store_reading(who, value=Decimal(500), call_id="c1")
    desk.world.clock.advance(60)
    with pytest.raises(ReadingRejected) as refused:
        await desk.service.store_reading(who, value=Decimal(499), call_id="c2")
    assert refused.value.reason == "lower"
    assert refused.value.errors[0].field == "value"
    flagged = await desk.service.store_reading(
        who, value=Decimal(3), call_id="c3", flagged=True
    )
    assert flagged.flagged
    desk.world.clock.advance(60)
    await desk.service.store_reading(who, value=Decimal(4), call_id="c4")
    assert [r.value for r in await desk.service.readings(who, meter="main")] == [
        Decimal(500), Decimal(3), Decimal(4),
    ]  # fmt: skip


async def test_reading_is_refused_when_out_of_range_or_customer_unknown(
    desk: Desk,
) -> None:
    who = desk.world.mass_customer
    for bad in (Decimal(-1), Decimal("100000000")):
        with pytest.raises(ReadingRejected) as refused:
            await desk.service.store_reading(who, value=bad, call_id="c")
        assert refused.value.reason == "range"
    with pytest.raises(CustomerNotFound):
        await desk.service.store_reading(uuid.uuid4(), value=Decimal(1), call_id="c")
    assert await desk.service.readings(who) == []


async def test_callback_is_done_when_reached_and_failed_after_three_misses(
    desk: Desk,
) -> None:
    first = await desk.service.register_callback(
        call_id="c1", ani="+79131112233", customer_id=desk.world.mass_customer,
        queue="billing", note="balance question",
    )  # fmt: skip
    desk.world.clock.advance(5)
    second = await desk.service.register_callback(
        call_id="c2", ani="+79130000000", customer_id=None, queue="support"
    )
    pending = await desk.service.pending_callbacks()
    assert [c.id for c in pending] == [first.id, second.id]
    assert [c.id for c in await desk.service.pending_callbacks(queue="support")] == [
        second.id
    ]
    done = await desk.service.record_callback_attempt(first.id, reached=True)
    assert (done.status, done.attempts) == (CallbackStatus.DONE, 1)
    with pytest.raises(CallbackFinished):
        await desk.service.record_callback_attempt(first.id, reached=False)
    for expected in (CallbackStatus.PENDING, CallbackStatus.PENDING):
        missed = await desk.service.record_callback_attempt(second.id, reached=False)
        assert missed.status is expected
    failed = await desk.service.record_callback_attempt(second.id, reached=False)
    assert (failed.status, failed.attempts) == (CallbackStatus.FAILED, 3)
    assert await desk.service.pending_callbacks() == []


async def test_survey_answers_are_stored_per_call_when_given(desk: Desk) -> None:
    who = desk.world.mass_customer
    await desk.service.store_survey_answer(
        call_id="c1", customer_id=who, question="satisfaction", answer="5"
    )
    desk.world.clock.advance(1)
    await desk.service.store_survey_answer(
        call_id="c1", customer_id=who, question="resolved", answer="yes",
        channel="speech",
    )  # fmt: skip
    await desk.service.store_survey_answer(
        call_id="c2", customer_id=None, question="satisfaction", answer="1"
    )
    answers = await desk.service.survey_answers(call_id="c1")
    assert [(a.question, a.answer, a.channel) for a in answers] == [
        ("satisfaction", "5", "dtmf"),
        ("resolved", "yes", "speech"),
    ]
    assert all(a.customer_id == who for a in answers)


async def test_open_appeal_is_the_latest_unclosed_when_customer_has_several(
    desk: Desk,
) -> None:
    who = desk.world.mass_customer
    assert await desk.service.open_appeal(who) is None
    complaint = await desk.world.appeals.create(
        ANNA,
        AppealInput(
            topic_id=desk.world.complaint.id, customer_id=who,
            attributes={"BrokenSince": "2026-01-02"},
        ),
    )  # fmt: skip
    desk.world.clock.advance(60)
    termination = await desk.world.appeals.create(
        ANNA,
        AppealInput(
            topic_id=desk.world.termination.id, customer_id=who,
            attributes={"Reason": "moving"},
        ),
    )  # fmt: skip
    latest = await desk.service.open_appeal(who)
    assert latest is not None
    assert latest.appeal_id == termination.id
    assert latest.number == appeal_number(termination.id)
    assert latest.topic_code == "termination"
    assert latest.status == AppealStatus.WAITING
    only_complaints = await desk.service.open_appeal(who, topics=["complaint"])
    assert only_complaints is not None
    assert only_complaints.appeal_id == complaint.id
    not_terminations = await desk.service.open_appeal(who, excluding=["termination"])
    assert not_terminations is not None
    assert not_terminations.appeal_id == complaint.id


async def test_voicemail_becomes_an_appeal_with_the_recording_when_caller_is_known(
    desk: Desk, tmp_path: Path
) -> None:
    who = desk.world.mass_customer
    contacts = ContactService(desk.world.sessions, desk.world.clock)
    contact = await contacts.open_call_contact(
        "call-7", "+79131112233", dnis="100", direction=ContactDirection.IN,
        started_at=desk.world.clock.now(),
    )  # fmt: skip
    recording = tmp_path / "vm-call-7.wav"
    recording.write_bytes(b"RIFF" + bytes(2000))
    appeal = await desk.voicemail.leave(
        call_id="call-7", ani="+79131112233", customer_id=who,
        recording=recording, topic_code="voicemail",
    )  # fmt: skip
    assert appeal.customer_id == who
    assert appeal.contact_id == contact.id
    assert "+79131112233" in appeal.description
    assert appeal.queue == "front"
    files = await desk.files.list(ANNA, appeal.id)
    assert [(f.name, f.media_type, f.size_bytes) for f in files] == [
        ("vm-call-7.wav", "audio/wav", 2004)
    ]
    _, stored = await desk.files.open(ANNA, files[0].id)
    assert stored.read_bytes() == recording.read_bytes()


async def test_voicemail_keeps_the_number_when_caller_is_a_stranger_without_audio(
    desk: Desk, tmp_path: Path
) -> None:
    appeal = await desk.voicemail.leave(
        call_id="call-8", ani="+79130000000", customer_id=None,
        recording=tmp_path / "never-written.wav", topic_code="unknown_topic",
        fallback_topic="voicemail",
    )  # fmt: skip
    assert appeal.customer_id is None
    assert "+79130000000" in appeal.description
    assert "missing or empty" in appeal.description
    assert await desk.files.list(ANNA, appeal.id) == []


async def test_voicemail_is_refused_when_no_topic_is_usable(
    desk: Desk, tmp_path: Path
) -> None:
    with pytest.raises(TopicMissing):
        await desk.voicemail.leave(
            call_id="call-9", ani="+7913", customer_id=None,
            recording=tmp_path / "x.wav", topic_code="nothing",
            fallback_topic="internet",  # a group: appeals cannot take it
        )  # fmt: skip


def test_reading_problem_names_the_previous_value_when_lower() -> None:
    assert reading_problem(Decimal(5), Decimal(6), flagged=False) == FieldError(
        "value", "lower than the previous reading 6"
    )
    assert reading_problem(Decimal(5), Decimal(6), flagged=True) is None
    assert reading_problem(Decimal("NaN"), None, flagged=False) is not None

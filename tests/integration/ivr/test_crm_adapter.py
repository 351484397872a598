"""The IVR's CRM port over the real CRM services, on SQLite and PostgreSQL: who is
calling, the lookups the flows declare, the writes a flow makes, and failures
turned into the port's errors."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from crm_core.appeals.attachments import AttachmentService
from crm_core.appeals.service import AppealInput
from crm_core.auth.model import system_actor
from crm_core.customers.service import CustomerService
from crm_core.db import Sessions, make_engine, make_sessions
from crm_core.outages.model import Area, OutageInput
from crm_core.outages.model import OutageKind as CrmOutageKind
from crm_core.outages.service import OutageService
from crm_core.selfservice.model import CallbackStatus
from crm_core.selfservice.seed import seed_voicemail_topic
from crm_core.selfservice.service import SelfService
from crm_core.selfservice.voicemail import VoicemailService
from ivr.crm_adapter import InProcessIvrCrm, IvrCrmOptions
from ivr.crm_port import CallerInfo, CrmUnavailable, IvrCrm, OutageKind, ReadingRefused
from ivr.flow import LOOKUP_FIELDS
from ivr.model import LookupKind
from tests.integration.crm_core.appeals.world import ANNA, VERA, World, build

ANI = "+7 913 111-22-33"


@dataclass
class Line:
    world: World
    crm: IvrCrm
    selfservice: SelfService
    outages: OutageService
    files: AttachmentService
    customer: uuid.UUID


def _crm(world: World, files: AttachmentService, **options: object) -> InProcessIvrCrm:
    sessions, clock = world.sessions, world.clock
    return InProcessIvrCrm(
        customers=CustomerService(sessions, clock),
        selfservice=SelfService(sessions, clock),
        outages=OutageService(sessions, clock),
        voicemail=VoicemailService(sessions, world.appeals, files),
        clock=clock,
        options=IvrCrmOptions(**options),  # type: ignore[arg-type]  # test overrides
    )


@pytest.fixture
async def line(sessions: Sessions, tmp_path: Path) -> Line:
    world = await build(sessions)
    await seed_voicemail_topic(sessions, world.clock, members=[ANNA.user_id])
    files = AttachmentService(
        sessions, world.clock, directory=tmp_path / "files", max_bytes=1 << 20
    )
    card = await CustomerService(sessions, world.clock).create(
        system_actor(),
        {
            "name": "Petr Ivanov", "category": "VIP", "account": "A-100",
            "balance": "-120.50", "phones": [{"number": ANI}], "city": "Omsk",
            "building": "12", "network_node": "N1",
        },
    )  # fmt: skip
    return Line(
        world=world,
        crm=_crm(world, files, order_topics=frozenset({"termination"})),
        selfservice=SelfService(sessions, world.clock),
        outages=OutageService(sessions, world.clock),
        files=files,
        customer=card.id,
    )


async def _outage(
    line: Line, kind: CrmOutageKind = CrmOutageKind.EMERGENCY
) -> uuid.UUID:
    now = line.world.clock.now()
    outage = await line.outages.create(
        VERA,
        OutageInput(
            kind=kind, area=Area(network_nodes=frozenset({"N1"})),
            starts_at=now - timedelta(minutes=5), expected_end=now + timedelta(hours=2),
            texts={"en": "Cable cut on your street."},
        ),
    )  # fmt: skip
    return outage.id


async def _complaint(line: Line) -> uuid.UUID:
    appeal = await line.world.appeals.create(
        ANNA,
        AppealInput(
            topic_id=line.world.complaint.id, customer_id=line.customer,
            attributes={"BrokenSince": "2026-01-02"},
        ),
    )  # fmt: skip
    return appeal.id


async def test_known_caller_comes_with_appeal_and_outage_when_number_matches(
    line: Line,
) -> None:
    outage_id = await _outage(line)
    appeal_id = await _complaint(line)
    caller = await line.crm.caller("+79131112233", call_id="c1")
    assert caller.customer_id == line.customer
    assert (caller.name, caller.vip, caller.account) == ("Petr Ivanov", True, "A-100")
    assert caller.balance == Decimal("-120.50")
    assert caller.network_node == "N1"
    assert caller.open_appeal is not None
    assert caller.open_appeal.appeal_id == appeal_id
    assert caller.open_appeal.status == "waiting"
    assert caller.outage is not None
    assert caller.outage.outage_id == outage_id
    assert caller.outage.kind is OutageKind.EMERGENCY
    assert caller.outage.text == "Cable cut on your street."
    assert caller.customer_fields()["name"] == "Petr Ivanov"


async def test_stranger_gets_only_the_number_when_ani_is_unknown(line: Line) -> None:
    await _outage(line)
    caller = await line.crm.caller("+79990000000", call_id="c2")
    assert caller == CallerInfo(ani="+79990000000")
    assert (await line.crm.caller("anonymous", call_id="c3")).customer_id is None
    params = {"call_id": "c2", "caller": "+79990000000"}
    balance = await line.crm.lookup(LookupKind.BALANCE, params, caller)
    assert not balance.found
    outage = await line.crm.lookup(LookupKind.OUTAGE, params, caller)
    assert (outage.found, outage.fields) == (True, {"active": False})


async def test_lookups_answer_with_the_flow_fields_when_caller_is_known(
    line: Line,
) -> None:
    await _complaint(line)
    caller = await line.crm.caller(ANI, call_id="c4")
    params = {"call_id": "c4", "caller": ANI, "customer_id": str(line.customer)}
    balance = await line.crm.lookup(LookupKind.BALANCE, params, caller)
    assert balance.found
    assert set(balance.fields) == LOOKUP_FIELDS[LookupKind.BALANCE]
    assert balance.fields["amount"] == Decimal("-120.50")
    assert balance.fields["currency"] == "RUB"
    appeal = await line.crm.lookup(LookupKind.APPEAL_STATUS, params, caller)
    assert appeal.found
    assert set(appeal.fields) == LOOKUP_FIELDS[LookupKind.APPEAL_STATUS]
    assert appeal.fields["topic"] == "Complaint"
    order = await line.crm.lookup(LookupKind.ORDER_STATUS, params, caller)
    assert not order.found
    quiet = await line.crm.lookup(LookupKind.OUTAGE, params, caller)
    assert quiet.fields == {"active": False}
    outage_id = await _outage(line, CrmOutageKind.PLANNED)  # started after entry
    noisy = await line.crm.lookup(LookupKind.OUTAGE, params, caller)
    assert noisy.fields["active"] is True
    assert noisy.fields["kind"] == "planned"
    assert noisy.fields["outage_id"] == str(outage_id)
    assert set(noisy.fields) - {"outage_id"} == LOOKUP_FIELDS[LookupKind.OUTAGE]


async def test_order_status_comes_from_order_topics_when_an_order_is_open(
    line: Line,
) -> None:
    order = await line.world.appeals.create(
        ANNA,
        AppealInput(
            topic_id=line.world.termination.id, customer_id=line.customer,
            attributes={"Reason": "moving"},
        ),
    )  # fmt: skip
    caller = await line.crm.caller(ANI, call_id="c5")
    assert caller.open_appeal is None  # orders are not appeals to the caller
    answer = await line.crm.lookup(LookupKind.ORDER_STATUS, {"call_id": "c5"}, caller)
    assert answer.found
    assert set(answer.fields) == LOOKUP_FIELDS[LookupKind.ORDER_STATUS]
    assert answer.fields["number"] == order.id.hex[:8].upper()
    assert answer.fields["expected_on"] is not None


async def test_meter_reading_is_refused_when_lower_or_customer_is_unknown(
    line: Line,
) -> None:
    now = line.world.clock.now()
    await line.crm.store_meter_reading(
        line.customer, value=Decimal(1500), call_id="c6", at=now
    )
    with pytest.raises(ReadingRefused) as refused:
        await line.crm.store_meter_reading(
            line.customer, value=Decimal(1499), call_id="c7", at=now + timedelta(1)
        )
    assert refused.value.reason == "lower"
    with pytest.raises(ReadingRefused) as unknown:
        await line.crm.store_meter_reading(
            uuid.uuid4(), value=Decimal(1), call_id="c8", at=now
        )
    assert unknown.value.reason == "customer"
    stored = await line.selfservice.readings(line.customer)
    assert [(r.value, r.call_id, r.taken_at) for r in stored] == [
        (Decimal(1500), "c6", now)
    ]


async def test_flow_writes_are_stored_when_a_call_asks_for_them(
    line: Line, tmp_path: Path
) -> None:
    outage_id = await _outage(line)
    callback_id = await line.crm.register_callback(
        call_id="c9", ani=ANI, customer_id=line.customer, queue="billing"
    )
    pending = await line.selfservice.pending_callbacks(queue="billing")
    assert [(c.id, c.status) for c in pending] == [
        (callback_id, CallbackStatus.PENDING)
    ]
    await line.crm.store_survey_answer(
        call_id="c9", customer_id=line.customer, question="satisfaction", answer="4",
        channel="speech",
    )  # fmt: skip
    answers = await line.selfservice.survey_answers(call_id="c9")
    assert [(a.question, a.answer, a.channel) for a in answers] == [
        ("satisfaction", "4", "speech")
    ]
    await line.crm.outage_heard(call_id="c9", outage_id=outage_id)
    assert await line.outages.heard_count(outage_id) == 1
    recording = tmp_path / "c9.wav"
    recording.write_bytes(b"RIFF" + bytes(100))
    appeal_id = await line.crm.leave_voicemail(
        call_id="c9", ani=ANI, customer_id=line.customer, recording=recording,
        topic_code="voicemail",
    )  # fmt: skip
    appeal = await line.world.appeals.get(ANNA, appeal_id)
    assert appeal.customer_id == line.customer
    assert [f.size_bytes for f in await line.files.list(ANNA, appeal_id)] == [104]


async def test_crm_is_unavailable_when_the_database_cannot_be_reached(
    line: Line, tmp_path: Path
) -> None:
    engine = make_engine(f"sqlite+aiosqlite:///{tmp_path}/missing/dir/crm.db")
    broken = make_sessions(engine)
    world = line.world
    crm = InProcessIvrCrm(
        customers=CustomerService(broken, world.clock),
        selfservice=SelfService(broken, world.clock),
        outages=OutageService(broken, world.clock),
        voicemail=VoicemailService(broken, world.appeals, line.files),
        clock=world.clock,
    )
    try:
        with pytest.raises(CrmUnavailable):
            await crm.caller(ANI, call_id="c10")
        with pytest.raises(CrmUnavailable):
            await crm.register_callback(
                call_id="c10", ani=ANI, customer_id=None, queue="billing"
            )
    finally:
        await engine.dispose()


async def test_crm_is_unavailable_when_an_answer_takes_longer_than_the_timeout(
    line: Line,
) -> None:
    slow = _crm(line.world, line.files, timeout_s=1e-9)
    with pytest.raises(CrmUnavailable, match="timed out"):
        await slow.caller(ANI, call_id="c11")

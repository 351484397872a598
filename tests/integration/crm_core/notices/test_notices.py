"""The notice outbox on SQLite and PostgreSQL: what closing an appeal queues for each
kind of customer card, the dispatcher's retries with back-off, and listing rights."""

from __future__ import annotations

import dataclasses
import uuid
from dataclasses import dataclass, field

import pytest

from crm_core.appeals.events import AppealChanged
from crm_core.appeals.model import Appeal
from crm_core.auth.model import Actor
from crm_core.db import Sessions
from crm_core.errors import Forbidden, NotFound
from crm_core.notices.dispatcher import NoticeDispatcher, held_reason
from crm_core.notices.model import NoticeChannel, NoticeReason, NoticeStatus
from crm_core.notices.ports import NoticeSendFailed, OutgoingMessage
from crm_core.webhooks.model import RetryPolicy
from tests.integration.crm_core.appeals.world import ANNA, VERA, build
from tests.integration.crm_core.incidents.town import (
    Town,
    build_town,
    complaint_from,
    customer,
)


@pytest.fixture
async def town(sessions: Sessions) -> Town:
    return await build_town(await build(sessions))


@dataclass
class FlakySender:
    """Refuses the first `failures` messages, then takes every one."""

    failures: int = 0
    taken: list[OutgoingMessage] = field(default_factory=list)

    async def send(self, message: OutgoingMessage, *, timeout_s: float) -> None:
        if self.failures > 0:
            self.failures -= 1
            raise NoticeSendFailed("gateway busy")
        self.taken.append(message)


async def close(town: Town, appeal: Appeal, comment: str) -> None:
    """Close as an agent and hand the AppealChanged events to the notice handler."""
    await town.world.appeals.take(ANNA, appeal.id)
    await town.world.appeals.close(ANNA, appeal.id, comment=comment)
    for event in town.world.events.of_type(AppealChanged):
        await town.notices.on_appeal_changed(event)


async def test_sms_is_queued_with_filled_text_when_appeal_is_closed(
    town: Town,
) -> None:
    petr = await customer(
        town, "Petr",
        phones=[{"number": "+7 383 200-00-00", "kind": "home", "primary": True},
                {"number": "8 913 111 22 33", "kind": "mobile"}],
    )  # fmt: skip
    appeal = await complaint_from(town, petr)
    await close(town, appeal, "Line repaired")
    [notice] = await town.notices.for_customer(VERA, petr)
    assert (notice.channel, notice.address, notice.status, notice.reason) == (
        NoticeChannel.SMS, "+79131112233", NoticeStatus.QUEUED,
        NoticeReason.APPEAL_CLOSED,
    )  # fmt: skip
    assert notice.appeal_id == appeal.id
    assert notice.body == (
        f"Your appeal {appeal.id.hex[:8].upper()} (Complaint) is closed: Line repaired"
    )
    assert town.wakes == ["wake"]


async def test_email_has_subject_and_name_when_customer_prefers_email(
    town: Town,
) -> None:
    olga = await customer(
        town, "Olga Ivanova", emails=["olga@example.org"],
        phones=[{"number": "+79131112233"}], preferred_channels=["email", "sms"],
    )  # fmt: skip
    await close(town, await complaint_from(town, olga), "Refund made")
    [notice] = await town.notices.for_customer(VERA, olga)
    assert (notice.channel, notice.address) == (
        NoticeChannel.EMAIL,
        "olga@example.org",
    )
    assert notice.subject.startswith("Your appeal ")
    assert notice.body.startswith("Dear Olga Ivanova,")
    assert "Refund made" in notice.body


async def test_call_back_request_waits_for_dialer_when_customer_prefers_calls(
    town: Town,
) -> None:
    ivan = await customer(
        town, "Ivan", phones=[{"number": "+73832000000", "kind": "home"}],
        preferred_channels=["phone"],
    )  # fmt: skip
    await close(town, await complaint_from(town, ivan), "Done")
    [notice] = await town.notices.for_customer(VERA, ivan)
    assert (notice.channel, notice.address, notice.next_attempt_at) == (
        NoticeChannel.CALL, "+73832000000", None,
    )  # fmt: skip
    assert [n.id for n in await town.notices.callbacks_waiting()] == [notice.id]
    sender = FlakySender()
    dispatcher = NoticeDispatcher(
        town.world.sessions, town.world.clock, {NoticeChannel.SMS: sender}
    )
    assert await dispatcher.run_once() == 0
    assert town.wakes == []


async def test_nothing_is_queued_when_customer_cannot_be_reached(town: Town) -> None:
    mute = await customer(
        town, "Mute", phones=[{"number": "+73832000000", "kind": "fax"}]
    )
    await close(town, await complaint_from(town, mute), "Done")
    assert await town.notices.for_customer(VERA, mute) == []


async def test_nothing_is_queued_when_appeal_is_only_taken(town: Town) -> None:
    petr = await customer(town, "Petr", phones=[{"number": "+79131112233"}])
    appeal = await complaint_from(town, petr)
    await town.world.appeals.take(ANNA, appeal.id)
    for event in town.world.events.of_type(AppealChanged):
        await town.notices.on_appeal_changed(event)
    assert await town.notices.for_customer(VERA, petr) == []


async def test_notice_is_sent_after_retries_when_gateway_fails_twice(
    town: Town,
) -> None:
    petr = await customer(town, "Petr", phones=[{"number": "+79131112233"}])
    await close(town, await complaint_from(town, petr), "Done")
    sender = FlakySender(failures=2)
    policy = RetryPolicy(first_delay_s=10, factor=2, max_attempts=5, timeout_s=1)
    dispatcher = NoticeDispatcher(
        town.world.sessions, town.world.clock, {NoticeChannel.SMS: sender},
        policy=policy,
    )  # fmt: skip
    assert await dispatcher.run_once() == 1
    [notice] = await town.notices.for_customer(VERA, petr)
    assert (notice.status, notice.attempts, notice.last_error) == (
        NoticeStatus.QUEUED, 1, "gateway busy",
    )  # fmt: skip
    assert await dispatcher.run_once() == 0  # not due before the back-off
    town.world.clock.advance(10)
    assert await dispatcher.run_once() == 1
    town.world.clock.advance(19)
    assert await dispatcher.run_once() == 0
    town.world.clock.advance(1)
    assert await dispatcher.run_once() == 1
    [notice] = await town.notices.for_customer(VERA, petr)
    assert (notice.status, notice.attempts, notice.sent_at) == (
        NoticeStatus.SENT, 3, town.world.clock.now(),
    )  # fmt: skip
    assert [m.address for m in sender.taken] == ["+79131112233"]


async def test_notice_fails_when_attempts_are_used_up(town: Town) -> None:
    petr = await customer(town, "Petr", phones=[{"number": "+79131112233"}])
    await close(town, await complaint_from(town, petr), "Done")
    policy = RetryPolicy(first_delay_s=1, max_attempts=2, timeout_s=1)
    sender = FlakySender(failures=10)
    dispatcher = NoticeDispatcher(
        town.world.sessions, town.world.clock, {NoticeChannel.SMS: sender},
        policy=policy,
    )  # fmt: skip
    await dispatcher.run_once()
    town.world.clock.advance(1)
    await dispatcher.run_once()
    town.world.clock.advance(3600)
    assert await dispatcher.run_once() == 0
    [notice] = await town.notices.for_customer(VERA, petr)
    assert (notice.status, notice.attempts, notice.last_error) == (
        NoticeStatus.FAILED, 2, "gateway busy",
    )  # fmt: skip


async def test_notice_waits_with_its_reason_when_its_channel_has_no_sender(
    town: Town,
) -> None:
    petr = await customer(town, "Petr", emails=["p@example.org"])
    await close(town, await complaint_from(town, petr), "Done")
    sms_only = NoticeDispatcher(
        town.world.sessions, town.world.clock, {NoticeChannel.SMS: FlakySender()}
    )
    assert sms_only.unsendable == [NoticeChannel.EMAIL]
    for _ in range(3):
        assert await sms_only.run_once() == 0
        town.world.clock.advance(3600)
    [waiting] = await town.notices.for_customer(VERA, petr)
    assert (waiting.status, waiting.attempts, waiting.sent_at) == (
        NoticeStatus.QUEUED, 0, None,
    )  # fmt: skip
    assert waiting.last_error == held_reason(NoticeChannel.EMAIL)
    mail = FlakySender()
    with_mail = NoticeDispatcher(
        town.world.sessions, town.world.clock, {NoticeChannel.EMAIL: mail}
    )
    assert await with_mail.run_once() == 1
    [sent] = await town.notices.for_customer(VERA, petr)
    assert (sent.status, sent.attempts, sent.last_error) == (
        NoticeStatus.SENT, 1, None,
    )  # fmt: skip
    assert [m.address for m in mail.taken] == ["p@example.org"]


async def test_listing_is_refused_when_customer_is_outside_actor_groups(
    town: Town,
) -> None:
    petr = await customer(town, "Petr", phones=[{"number": "+79131112233"}])
    outsider: Actor = dataclasses.replace(ANNA, customer_groups=frozenset({"vip"}))
    with pytest.raises(Forbidden):
        await town.notices.for_customer(outsider, petr)
    nobody: Actor = dataclasses.replace(ANNA, permissions=frozenset())
    with pytest.raises(Forbidden):
        await town.notices.for_customer(nobody, petr)
    with pytest.raises(NotFound):
        await town.notices.for_customer(VERA, uuid.uuid4())

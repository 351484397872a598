"""The ACD service takes callers out of the queue for real: voicemail and callback
exits run in the queue-exit context; failed callbacks are retried, then given up."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime

from acd.events import CallbackBooked, CallbackGaveUp, CallQueued, events_in
from acd.model import AgentId, AgentState, ExitKind, QueueConfig, QueueExit
from acd.service import EXIT_VAR, AcdSettings
from acd.stats import new_queue_stats, observe_all
from telephony.dialplan import QUEUE_EXIT_CONTEXT
from telephony.model import Call, CallId, ChannelId, Direction, Leg, PbxId
from tests.unit.acd.test_service import BILLING, PBX, Rig, _seat, running
from tests.waiting import eventually

ANNA = AgentId("anna")
NUMBER = "+74951112233"


def settings_with(config: QueueConfig, **extra: float) -> AcdSettings:
    return AcdSettings(
        pbx_id=PBX,
        queues=(config,),
        agents=(_seat("anna", "1001"),),
        stats_every_s=60,
        callback_attempts=int(extra.get("attempts", 3)),
        callback_retry_s=extra.get("retry_s", 300),
    )


async def test_caller_is_sent_to_the_queue_exit_when_the_maximum_wait_passes() -> None:
    for kind in (ExitKind.VOICEMAIL, ExitKind.CALLBACK):
        config = QueueConfig(
            queue_id=BILLING, max_wait_s=60, on_max_wait=QueueExit(kind=kind)
        )
        async with running(settings_with(config)) as rig:
            await rig.arrive(1)
            rig.clock.advance(60)
            await rig.service.poke()

            async def redirected() -> bool:
                return len(rig.pbx.redirects) == 1

            await eventually(redirected, timeout_s=2)
            channel = "Local/2001@cc-inbound-1;2"
            assert rig.pbx.redirects == [(channel, QUEUE_EXIT_CONTEXT, kind.value, 1)]
            assert rig.pbx.variables == [(channel, EXIT_VAR, kind.value)]
            assert rig.pbx.hangups == []


async def test_caller_is_hung_up_not_redirected_when_the_queue_is_full() -> None:
    config = QueueConfig(queue_id=BILLING, max_length=1)
    async with running(settings_with(config)) as rig:
        await rig.arrive(1)
        await rig.arrive(2)

        async def hung() -> bool:
            return rig.pbx.hangups == ["Local/2001@cc-inbound-2;2"]

        await eventually(hung, timeout_s=2)
        assert rig.pbx.redirects == []


@dataclass(slots=True)
class FakeCalls:
    """The bridge's tracker: the callback calls the test says are live."""

    live: dict[str, Call] = field(default_factory=dict)

    def call_of_channel(self, pbx_id: PbxId, channel_id: ChannelId) -> Call | None:
        return self.live.get(channel_id)

    def place(self, channel_id: str, *, customer_answered: bool) -> None:
        now = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
        legs = [leg("Local/1001@cc-agent-00000001;1", now)]
        if customer_answered:
            legs.append(leg("PJSIP/trunk-00000002", now))
        self.live[channel_id] = Call(
            call_id=CallId(f"{PBX}:{channel_id}"),
            pbx_id=PBX,
            linkedid=channel_id,
            direction=Direction.OUTBOUND,
            ani="",
            ani_name="",
            dnis="",
            legs=tuple(legs),
            arrived_at=now,
        )


def leg(channel: str, now: datetime) -> Leg:
    return Leg(
        channel_id=ChannelId(channel),
        channel=channel,
        state="Up",
        caller_num="",
        caller_name="",
        context="",
        exten="",
        created_at=now,
        answered_at=now,
    )


@asynccontextmanager
async def with_calls(settings: AcdSettings) -> AsyncIterator[tuple[Rig, FakeCalls]]:
    calls = FakeCalls()
    async with running(settings, calls=calls) as rig:
        yield rig, calls


async def callback_waiting(rig: Rig) -> CallId:
    """Anna is paused; call 1 asked for a callback and its caller hung up."""
    await rig.service.login(ANNA)
    await rig.service.pause(ANNA, reason="coffee")
    call = await rig.arrive(1)
    await rig.service.request_callback(call, number=NUMBER)
    await rig.end(call)
    return call


async def unanswered_try(rig: Rig, calls: FakeCalls, *, n: int) -> None:
    """The n-th try: Anna answers, the customer does not, the call ends."""
    ring = (await rig.rings(n))[n - 1]
    assert ring.exten == NUMBER
    calls.place(ring.channel_id, customer_answered=False)
    ring.outcome.set_result(True)
    await rig.until_state("anna", AgentState.ON_CALL)
    del calls.live[ring.channel_id]
    await rig.end(CallId(f"{PBX}:{ring.channel_id}"))
    await rig.service.finish_wrap_up(ANNA)


async def test_callback_is_tried_again_after_the_interval_when_nobody_answers() -> None:
    config = QueueConfig(queue_id=BILLING, wrap_up_s=5)
    async with with_calls(settings_with(config, attempts=2, retry_s=300)) as (
        rig,
        calls,
    ):
        call = await callback_waiting(rig)
        await rig.service.ready(ANNA)
        await unanswered_try(rig, calls, n=1)

        assert rig.state("anna") is AgentState.READY
        assert rig.service.engine.position(call) == 1  # still waiting, not offered
        rig.clock.advance(299)
        await rig.service.poke()
        assert len(rig.pbx.rings) == 1
        rig.clock.advance(1)
        await rig.service.poke()
        [_, again] = await rig.rings(2)
        assert again.exten == NUMBER


async def test_retried_callback_counts_one_arrival_when_queued_again() -> None:
    config = QueueConfig(queue_id=BILLING, wrap_up_s=5)
    async with with_calls(settings_with(config, attempts=2, retry_s=300)) as (
        rig,
        calls,
    ):
        call = await callback_waiting(rig)
        await rig.service.ready(ANNA)
        await unanswered_try(rig, calls, n=1)

        queued = [e for e in rig.published.of_type(CallQueued) if e.call_id == call]
        assert [e.returning for e in queued] == [False, True]
        start = {BILLING: new_queue_stats(BILLING, rig.clock.now())}
        book, _ = observe_all(start, events_in(rig.published.events))
        assert (book[BILLING].counts.offered, len(book[BILLING].waiting)) == (1, 1)


async def test_callback_is_given_up_after_the_last_try_when_nobody_answers() -> None:
    config = QueueConfig(queue_id=BILLING, wrap_up_s=5)
    async with with_calls(settings_with(config, attempts=2, retry_s=60)) as (
        rig,
        calls,
    ):
        call = await callback_waiting(rig)
        await rig.service.ready(ANNA)
        await unanswered_try(rig, calls, n=1)
        rig.clock.advance(60)
        await rig.service.poke()
        await unanswered_try(rig, calls, n=2)

        [booked] = rig.published.of_type(CallbackBooked)
        assert (booked.call_id, booked.queue_id) == (call, BILLING)
        [gave_up] = rig.published.of_type(CallbackGaveUp)
        assert (gave_up.call_id, gave_up.queue_id) == (call, BILLING)
        assert (gave_up.number, gave_up.attempts) == (NUMBER, 2)
        assert gave_up.at == rig.clock.now()
        assert rig.service.engine.call(call) is None
        rig.clock.advance(600)
        await rig.service.poke()
        assert len(rig.pbx.rings) == 2


async def test_callback_is_not_retried_when_the_customer_answers() -> None:
    async with with_calls(settings_with(QueueConfig(queue_id=BILLING))) as (
        rig,
        calls,
    ):
        call = await callback_waiting(rig)
        await rig.service.ready(ANNA)
        [ring] = await rig.rings(1)
        calls.place(ring.channel_id, customer_answered=True)
        ring.outcome.set_result(True)
        await rig.until_state("anna", AgentState.ON_CALL)

        async def reached() -> bool:
            cb = rig.service._callbacks.get(call)
            return cb is not None and cb.reached

        await eventually(reached, timeout_s=2)
        del calls.live[ring.channel_id]
        await rig.end(CallId(f"{PBX}:{ring.channel_id}"))

        assert rig.state("anna") is AgentState.WRAP_UP
        assert rig.service.engine.call(call) is None
        assert rig.published.of_type(CallbackGaveUp) == []


async def test_callback_waits_for_the_interval_when_the_pbx_cannot_ring() -> None:
    async with running(settings_with(QueueConfig(queue_id=BILLING))) as rig:
        call = await callback_waiting(rig)
        await rig.service.ready(ANNA)
        [ring] = await rig.rings(1)

        ring.outcome.set_result(None)  # the AMI connection is down
        await rig.until_state("anna", AgentState.READY)

        assert rig.service.engine.position(call) == 1
        rig.clock.advance(300)
        await rig.service.poke()
        await rig.rings(2)


async def test_caller_sent_to_the_callback_exit_is_queued_again_when_they_accept() -> (
    None
):
    config = QueueConfig(
        queue_id=BILLING, max_wait_s=60, on_max_wait=QueueExit(kind=ExitKind.CALLBACK)
    )
    async with running(settings_with(config)) as rig:
        await rig.service.login(ANNA)
        await rig.service.pause(ANNA, reason="coffee")
        call = await rig.arrive(1)
        rig.clock.advance(60)
        await rig.service.poke()
        assert rig.service.engine.call(call) is None

        await rig.service.request_callback(call, number=NUMBER)
        await rig.end(call)  # the queue-exit script says goodbye
        await rig.service.ready(ANNA)

        [ring] = await rig.rings(1)
        assert ring.exten == NUMBER
        [booked] = rig.published.of_type(CallbackBooked)
        assert (booked.call_id, booked.queue_id) == (call, BILLING)

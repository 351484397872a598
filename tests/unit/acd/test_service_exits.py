"""The ACD service takes callers out of the queue for real: voicemail and callback
exits run in the queue-exit context; failed callbacks are retried, then given up."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from acd.engine import AcdEngine
from acd.model import ExitKind, QueueConfig, QueueExit
from acd.service import EXIT_VAR, AcdService, AcdSettings
from telephony.dialplan import QUEUE_EXIT_CONTEXT
from tests.fakes import FakeClock, RecordingPublisher
from tests.unit.acd.test_service import BILLING, PBX, FakePbx, Rig, _seat
from tests.waiting import eventually


@asynccontextmanager
async def running(settings: AcdSettings) -> AsyncIterator[Rig]:
    clock, pbx, published = FakeClock(), FakePbx(), RecordingPublisher()
    service = AcdService(AcdEngine(), pbx, published, clock, settings=settings)
    task = asyncio.create_task(service.run())
    try:
        yield Rig(service, pbx, clock, published)
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


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

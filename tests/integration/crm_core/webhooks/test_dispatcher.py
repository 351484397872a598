"""Webhook deliveries to a real aiohttp receiver on a free port, on both databases."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from ipaddress import ip_network

import pytest
from aiohttp import web

from crm_core.auth.model import system_actor
from crm_core.db import Sessions
from crm_core.webhooks import model
from crm_core.webhooks.dispatcher import WebhookDispatcher
from crm_core.webhooks.http import AiohttpSender
from crm_core.webhooks.model import DeliveryStatus, RetryPolicy, WebhookKind
from crm_core.webhooks.service import NewSubscription, WebhookService
from crm_core.webhooks.targets import TargetPolicy
from tests.fakes import FakeClock
from tests.servers import free_port

SECRET = "s" * 32
POLICY = RetryPolicy(first_delay_s=10, factor=2, max_attempts=4, timeout_s=2)
LOOPBACK = TargetPolicy(
    allowed_networks=(ip_network("127.0.0.0/8"), ip_network("::1/128"))
)
"""The receivers here listen on loopback, which a deployment must allow."""


@dataclass(slots=True)
class Receiver:
    """Answers with the scripted statuses in turn (then 200); keeps what it got."""

    url: str
    statuses: list[int] = field(default_factory=list)
    received: list[tuple[dict[str, str], bytes]] = field(default_factory=list)
    hang: asyncio.Event | None = None
    arrived: asyncio.Event = field(default_factory=asyncio.Event)

    async def handle(self, request: web.Request) -> web.Response:
        self.received.append((dict(request.headers), await request.read()))
        self.arrived.set()
        if self.hang is not None:
            await self.hang.wait()
        return web.Response(status=self.statuses.pop(0) if self.statuses else 200)


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    port = free_port()
    got = Receiver(url=f"http://127.0.0.1:{port}/hook")
    app = web.Application()
    app.router.add_post("/hook", got.handle)
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    try:
        yield got
    finally:
        if got.hang is not None:
            got.hang.set()
        await runner.cleanup()


@pytest.fixture
async def sender() -> AsyncIterator[AiohttpSender]:
    sender = AiohttpSender(LOOPBACK)
    try:
        yield sender
    finally:
        await sender.close()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(datetime.now(UTC).replace(microsecond=0))


async def _subscribe(
    sessions: Sessions, clock: FakeClock, url: str, *kinds: WebhookKind
) -> WebhookService:
    service = WebhookService(sessions, clock, targets=LOOPBACK)
    chosen = frozenset(kinds or (WebhookKind.APPEAL_CREATED,))
    await service.subscribe(
        system_actor(), NewSubscription(url=url, kinds=chosen, secret=SECRET)
    )
    return service


async def test_delivery_is_signed_when_the_receiver_checks_it(
    sessions: Sessions, clock: FakeClock, receiver: Receiver, sender: AiohttpSender
) -> None:
    await _subscribe(sessions, clock, receiver.url)
    dispatcher = WebhookDispatcher(sessions, clock, sender, policy=POLICY)
    assert await dispatcher.notify(WebhookKind.APPEAL_CREATED, {"appeal": 7}) == 1
    assert await dispatcher.run_once() == 1
    [(headers, body)] = receiver.received
    assert model.verify(SECRET, body, headers, now=clock.now())
    assert not model.verify("another secret!!", body, headers, now=clock.now())
    assert headers[model.EVENT_HEADER] == "appeal.created"
    assert b'"data":{"appeal":7}' in body


async def test_three_attempts_are_logged_when_the_receiver_fails_twice(
    sessions: Sessions, clock: FakeClock, receiver: Receiver, sender: AiohttpSender
) -> None:
    service = await _subscribe(sessions, clock, receiver.url)
    receiver.statuses = [500, 503]
    dispatcher = WebhookDispatcher(sessions, clock, sender, policy=POLICY)
    await dispatcher.notify(WebhookKind.APPEAL_CREATED, {"appeal": 1})
    assert await dispatcher.run_once() == 1
    assert await dispatcher.run_once() == 0  # not due for 10 s
    clock.advance(10)
    assert await dispatcher.run_once() == 1
    clock.advance(19)
    assert await dispatcher.run_once() == 0  # the second wait is 20 s
    clock.advance(1)
    assert await dispatcher.run_once() == 1
    [subscription] = await service.subscriptions(system_actor())
    [delivery] = await service.deliveries(system_actor(), subscription.id, limit=10)
    assert delivery.status is DeliveryStatus.DELIVERED
    attempts = await service.attempts(system_actor(), delivery.id)
    assert [(a.number, a.status) for a in attempts] == [(1, 500), (2, 503), (3, 200)]
    assert attempts[0].error == "HTTP 500"
    assert len(receiver.received) == 3


async def test_pending_delivery_is_sent_when_a_new_dispatcher_starts(
    sessions: Sessions, clock: FakeClock, receiver: Receiver, sender: AiohttpSender
) -> None:
    await _subscribe(sessions, clock, receiver.url)
    receiver.statuses = [500]
    first = WebhookDispatcher(sessions, clock, sender, policy=POLICY)
    await first.notify(WebhookKind.APPEAL_CREATED, {"appeal": 1})
    await first.run_once()
    clock.advance(10)
    restarted = WebhookDispatcher(sessions, clock, sender, policy=POLICY)
    assert await restarted.run_once() == 1
    assert len(receiver.received) == 2


async def test_delivery_fails_when_attempts_run_out(
    sessions: Sessions, clock: FakeClock, sender: AiohttpSender
) -> None:
    nobody = f"http://127.0.0.1:{free_port()}/hook"
    service = await _subscribe(sessions, clock, nobody)
    dispatcher = WebhookDispatcher(sessions, clock, sender, policy=POLICY)
    await dispatcher.notify(WebhookKind.APPEAL_CREATED, {"appeal": 1})
    for _ in range(POLICY.max_attempts):
        assert await dispatcher.run_once() == 1
        clock.advance(POLICY.max_delay_s)
    assert await dispatcher.run_once() == 0
    [subscription] = await service.subscriptions(system_actor())
    [delivery] = await service.deliveries(system_actor(), subscription.id, limit=10)
    assert delivery.status is DeliveryStatus.FAILED
    assert delivery.attempts == POLICY.max_attempts
    assert delivery.last_error is not None
    assert "Connect" in delivery.last_error


async def test_attempt_times_out_when_the_receiver_hangs(
    sessions: Sessions, clock: FakeClock, receiver: Receiver, sender: AiohttpSender
) -> None:
    service = await _subscribe(sessions, clock, receiver.url)
    receiver.hang = asyncio.Event()
    quick = RetryPolicy(timeout_s=0.3)
    dispatcher = WebhookDispatcher(sessions, clock, sender, policy=quick)
    await dispatcher.notify(WebhookKind.APPEAL_CREATED, {"appeal": 1})
    await dispatcher.run_once()
    [subscription] = await service.subscriptions(system_actor())
    [delivery] = await service.deliveries(system_actor(), subscription.id, limit=10)
    assert delivery.status is DeliveryStatus.PENDING
    assert delivery.last_error == "no answer within 0.3 s"


async def test_only_active_subscribers_of_the_kind_get_it_when_notified(
    sessions: Sessions, clock: FakeClock, receiver: Receiver, sender: AiohttpSender
) -> None:
    service = await _subscribe(
        sessions, clock, receiver.url, WebhookKind.CONTACT_OPENED
    )
    await _subscribe(sessions, clock, receiver.url, WebhookKind.APPEAL_OVERDUE)
    paused = await service.subscribe(
        system_actor(),
        NewSubscription(
            url=receiver.url, kinds=frozenset({WebhookKind.CONTACT_OPENED})
        ),
    )
    await service.set_active(system_actor(), paused.subscription.id, False)
    dispatcher = WebhookDispatcher(sessions, clock, sender, policy=POLICY)
    assert await dispatcher.notify(WebhookKind.CONTACT_OPENED, {"contact": 1}) == 1


async def test_run_delivers_when_notified_while_running(
    sessions: Sessions, clock: FakeClock, receiver: Receiver, sender: AiohttpSender
) -> None:
    await _subscribe(sessions, clock, receiver.url)
    dispatcher = WebhookDispatcher(sessions, clock, sender, policy=POLICY, poll_s=30)
    task = asyncio.create_task(dispatcher.run())
    try:
        await dispatcher.notify(WebhookKind.APPEAL_CREATED, {"appeal": 1})
        async with asyncio.timeout(5):
            await receiver.arrived.wait()
    finally:
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
    assert len(receiver.received) == 1


async def test_delivery_is_refused_when_the_name_resolves_to_an_internal_address(
    sessions: Sessions, clock: FakeClock, receiver: Receiver
) -> None:
    # registered while the policy allowed loopback (or while the name pointed
    # outside); the sender checks the addresses it is about to connect to
    service = await _subscribe(
        sessions, clock, receiver.url.replace("127.0.0.1", "localhost")
    )
    await _subscribe(sessions, clock, receiver.url)
    strict = AiohttpSender()
    try:
        dispatcher = WebhookDispatcher(sessions, clock, strict, policy=POLICY)
        assert await dispatcher.notify(WebhookKind.APPEAL_CREATED, {"appeal": 1}) == 2
        assert await dispatcher.run_once() == 2
    finally:
        await strict.close()
    assert receiver.received == []
    subscriptions = await service.subscriptions(system_actor())
    errors = set()
    for subscription in subscriptions:
        [delivery] = await service.deliveries(system_actor(), subscription.id, limit=9)
        assert delivery.status is DeliveryStatus.PENDING
        assert delivery.last_status is None
        errors.add(delivery.last_error or "")
    assert len(errors) == 2, errors
    assert all("webhook target refused" in e and "loopback" in e for e in errors)
    assert any("localhost" in e for e in errors)

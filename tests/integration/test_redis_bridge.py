"""The Redis event bridge against a real Redis: the codec, two instances exchanging
events, and Redis stopping and starting under it."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import ClassVar

import pytest
import redis.asyncio as aioredis

from contactcentre.bus import Bus
from contactcentre.redis_bridge import (
    CodecError,
    EventCodec,
    RedisEventBridge,
    channel_of,
)
from telephony.backoff import Backoff
from telephony.events import (
    CallAnswered,
    CallArrived,
    CallBridged,
    CallEnded,
    PbxConnected,
    PbxDisconnected,
)
from telephony.model import CallId, ChannelId, Direction, EndReason, PbxId
from tests import servers

TIMEOUT_S = 5.0
T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
TELEPHONY_EVENTS: list[type[object]] = [
    CallArrived,
    CallAnswered,
    CallBridged,
    CallEnded,
    PbxConnected,
    PbxDisconnected,
]
FAST_BACKOFF = Backoff(initial_s=0.05, cap_s=0.2)


def arrived(n: int = 1) -> CallArrived:
    return CallArrived(
        occurred_at=T0 + timedelta(seconds=n),
        call_id=CallId(f"pbx1:{n}"),
        pbx_id=PbxId("pbx1"),
        linkedid=str(n),
        direction=Direction.INBOUND,
        ani="+74951234567",
        ani_name="Ivan Petrov",
        dnis="2001",
        channel="PJSIP/1001-00000001",
    )


def ended() -> CallEnded:
    return CallEnded(
        occurred_at=T0,
        call_id=CallId("pbx1:1"),
        pbx_id=PbxId("pbx1"),
        direction=Direction.OUTBOUND,
        ani="",
        dnis="+74957654321",
        arrived_at=T0 - timedelta(seconds=30),
        answered_at=None,
        bridged_at=T0 - timedelta(seconds=10),
        ended_at=T0,
        hangup_cause=None,
        hangup_cause_text="",
        reason=EndReason.VANISHED,
    )


async def eventually(
    predicate: Callable[[], bool], timeout_s: float = TIMEOUT_S
) -> None:
    async with asyncio.timeout(timeout_s):
        while not predicate():  # noqa: ASYNC110 - polling state, not awaiting a signal
            await asyncio.sleep(0.01)


@pytest.mark.parametrize(
    "event",
    [
        arrived(),
        ended(),
        CallBridged(
            occurred_at=T0,
            call_id=CallId("pbx1:1"),
            pbx_id=PbxId("pbx1"),
            bridge_id="b-1",
            caller_channel="PJSIP/trunk-1",
            caller_channel_id=ChannelId("1.1"),
            peer_channel="PJSIP/1001-2",
            peer_channel_id=ChannelId("1.2"),
        ),
        PbxConnected(occurred_at=T0, pbx_id=PbxId("pbx1"), live_calls=3),
    ],
)
def test_event_comes_back_equal_when_encoded_and_decoded(event: object) -> None:
    codec = EventCodec(TELEPHONY_EVENTS)
    remote = codec.decode(codec.encode(event, origin="a"))
    assert remote.origin == "a"
    assert remote.event == event
    assert type(remote.event) is type(event)


def test_encoding_uses_json_primitives_when_fields_are_rich() -> None:
    codec = EventCodec(TELEPHONY_EVENTS)
    text = codec.encode(ended(), origin="a").decode()
    assert '"reason":"vanished"' in text
    assert '"ended_at":"2026-01-05T09:00:00+00:00"' in text
    assert '"answered_at":null' in text


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"not json", "envelope"),
        (b'{"origin": "a"}', "envelope"),
        (b'{"origin": "a", "topic": "no.such", "event": {}}', "unknown topic"),
        (
            b'{"origin": "a", "topic": "pbx.connected", "event": '
            b'{"occurred_at": "2026-01-05T09:00:00+00:00", "pbx_id": "p", '
            b'"live_calls": "three"}}',
            "expected int",
        ),
        (
            b'{"origin": "a", "topic": "pbx.connected", "event": '
            b'{"occurred_at": "yesterday", "pbx_id": "p", "live_calls": 1}}',
            "pbx.connected",
        ),
        (b'{"origin": "a", "topic": "pbx.connected", "event": {}}', "pbx.connected"),
    ],
)
def test_decoding_is_refused_with_a_reason_when_the_message_is_bad(
    data: bytes, message: str
) -> None:
    with pytest.raises(CodecError, match=message):
        EventCodec(TELEPHONY_EVENTS).decode(data)


def test_channel_is_named_by_topic_when_the_class_has_one() -> None:
    assert channel_of(CallArrived) == "cc.call.arrived"

    @dataclass(frozen=True)
    class NoTopic:
        n: int

    with pytest.raises(TypeError, match="no topic"):
        channel_of(NoTopic)


@dataclass(frozen=True, slots=True, kw_only=True)
class Nested:
    topic: ClassVar[str] = "test.nested"
    tags: frozenset[str]
    pair: tuple[int, str]
    scores: dict[str, float]
    inner: PbxConnected | None


def test_nested_and_generic_fields_come_back_equal_when_round_tripped() -> None:
    codec = EventCodec([Nested])
    event = Nested(
        tags=frozenset({"a", "b"}),
        pair=(1, "x"),
        scores={"q": 1},
        inner=PbxConnected(occurred_at=T0, pbx_id=PbxId("p"), live_calls=0),
    )
    assert codec.decode(codec.encode(event, origin="a")).event == event


@dataclass
class Instance:
    bridge: RedisEventBridge
    seen: list[object]
    task: asyncio.Task[None]


@contextlib.asynccontextmanager
async def instance(
    url: str, *, on_remote_fails: bool = False
) -> AsyncIterator[Instance]:
    seen: list[object] = []

    async def on_remote(event: object) -> None:
        if on_remote_fails and not seen:
            seen.append("failed once")
            raise RuntimeError("handler bug")
        seen.append(event)

    bridge = RedisEventBridge(
        url,
        event_types=TELEPHONY_EVENTS,
        on_remote=on_remote,
        timeout_s=0.5,
        backoff=FAST_BACKOFF,
    )
    async with asyncio.TaskGroup() as group:
        task = group.create_task(bridge.run())
        try:
            async with asyncio.timeout(TIMEOUT_S):
                await bridge.subscribed.wait()
            yield Instance(bridge, seen, task)
        finally:
            task.cancel()


async def test_other_instance_receives_an_event_when_one_publishes(
    redis_url: str,
) -> None:
    async with instance(redis_url) as a, instance(redis_url) as b:
        await a.bridge.publish(arrived())
        await eventually(lambda: len(b.seen) == 1)
        assert b.seen == [arrived()]
        assert a.seen == []
        assert a.bridge.published == 1
        assert b.bridge.received == 1


async def test_event_reaches_redis_channel_as_json_when_published_on_the_bus(
    redis_url: str,
) -> None:
    client = aioredis.Redis.from_url(redis_url)
    pubsub = client.pubsub(ignore_subscribe_messages=True)
    try:
        async with asyncio.timeout(TIMEOUT_S):
            await pubsub.subscribe("cc.call.arrived")
        bridge = RedisEventBridge(redis_url, event_types=TELEPHONY_EVENTS)
        async with Bus() as bus:
            bus.subscribe(CallArrived, bridge.publish)
            await bus.publish(arrived(7))
            await bus.drain()
        async with asyncio.timeout(TIMEOUT_S):
            message = None
            while message is None:
                message = await pubsub.get_message(
                    ignore_subscribe_messages=True, timeout=0.5
                )
        assert message["channel"] == b"cc.call.arrived"
        assert bridge.codec.decode(message["data"]).event == arrived(7)
        await bridge.close()
    finally:
        async with asyncio.timeout(TIMEOUT_S):
            await pubsub.aclose()
            await client.aclose()


async def test_bad_messages_are_counted_and_later_ones_delivered_when_received(
    redis_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    client = aioredis.Redis.from_url(redis_url)
    try:
        async with instance(redis_url, on_remote_fails=True) as b:
            async with asyncio.timeout(TIMEOUT_S):
                await client.publish("cc.call.arrived", b"\xff garbage")
                await client.publish("cc.whatever", b'{"origin":"x","topic":"t"}')
            publisher = RedisEventBridge(redis_url, event_types=TELEPHONY_EVENTS)
            await publisher.publish(arrived(1))
            await publisher.publish(arrived(2))
            await eventually(lambda: len(b.seen) == 2)
            await publisher.close()
            assert b.seen == ["failed once", arrived(2)]
            assert b.bridge.rejected == 2
            assert "undecodable event from redis" in caplog.text
            assert "handling remote event" in caplog.text
    finally:
        async with asyncio.timeout(TIMEOUT_S):
            await client.aclose()


@contextlib.contextmanager
def restartable_redis() -> Iterator[list[contextlib.ExitStack]]:
    """A private redis-server; stack[0] owns the running one."""
    stacks = [contextlib.ExitStack()]
    try:
        yield stacks
    finally:
        for stack in stacks:
            stack.close()


async def test_service_survives_and_recovers_when_redis_stops_and_starts() -> None:
    with restartable_redis() as stacks:
        server = await asyncio.to_thread(stacks[0].enter_context, servers.redis())
        async with instance(server.url) as a, instance(server.url) as b:
            await a.bridge.publish(arrived(1))
            await eventually(lambda: len(b.seen) == 1)

            await asyncio.to_thread(stacks[0].close)
            async with asyncio.timeout(TIMEOUT_S):
                for n in range(2, 12):
                    await a.bridge.publish(arrived(n))
            assert a.bridge.dropped == 10
            await eventually(lambda: not b.bridge.subscribed.is_set())

            stacks.append(contextlib.ExitStack())
            await asyncio.to_thread(
                stacks[-1].enter_context, servers.redis(port=server.port)
            )
            async with asyncio.timeout(TIMEOUT_S):
                await b.bridge.subscribed.wait()
            # the publisher waits out its back-off before trying Redis again
            n = 100
            async with asyncio.timeout(TIMEOUT_S):
                while arrived(n - 1) not in b.seen:
                    await a.bridge.publish(arrived(n))
                    n += 1
                    await asyncio.sleep(0.02)
            assert arrived(1) in b.seen
            assert not any(arrived(k) in b.seen for k in range(2, 12))

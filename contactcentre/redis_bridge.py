"""Redis event bridge: republishes bus events that other instances need on Redis
channel `cc.<topic>` as JSON, and hands events from other instances to a handler.

Redis going away never stops the service: while it is down, events are dropped,
counted and logged (not queued), and both sides reconnect with telephony.backoff.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import json
import logging
import types
import typing
import uuid
from collections.abc import Awaitable, Callable, Iterable
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any

import redis.asyncio as aioredis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import RedisError

from telephony.backoff import Backoff

log = logging.getLogger(__name__)

CHANNEL_PREFIX = "cc."
_RAW_LOG_CHARS = 200
_FAILURES = (RedisError, OSError, TimeoutError)


class CodecError(ValueError):
    """A message that is not an event this instance knows; the text says why."""


def channel_of(event_type: type[Any]) -> str:
    """`cc.<topic>` for an event class with a `topic` ClassVar."""
    topic = getattr(event_type, "topic", None)
    if not isinstance(topic, str) or not topic:
        raise TypeError(f"{event_type.__qualname__} has no topic ClassVar")
    return CHANNEL_PREFIX + topic


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class RemoteEvent:
    origin: str
    """The instance that published it."""
    event: object


class EventCodec:
    """JSON for every event dataclass: datetimes as ISO-8601, enums as their values,
    tuples as lists; decoding rebuilds the typed event from its field annotations."""

    def __init__(self, event_types: Iterable[type[Any]]) -> None:
        self._by_topic: dict[str, type[Any]] = {}
        for event_type in event_types:
            if not dataclasses.is_dataclass(event_type):
                raise TypeError(f"{event_type.__qualname__} is not a dataclass")
            self._by_topic[channel_of(event_type)[len(CHANNEL_PREFIX) :]] = event_type
        self._hints: dict[type[Any], dict[str, Any]] = {}

    @property
    def topics(self) -> frozenset[str]:
        return frozenset(self._by_topic)

    def encode(self, event: object, *, origin: str) -> bytes:
        topic, fields = self.to_json(event)
        envelope = {"origin": origin, "topic": topic, "event": fields}
        return json.dumps(envelope, separators=(",", ":")).encode()

    def to_json(self, event: object) -> tuple[str, object]:
        """The event's topic and its fields as JSON-ready values."""
        return channel_of(type(event))[len(CHANNEL_PREFIX) :], _to_json(event)

    def from_json(self, topic: str, fields: object) -> object:
        """The typed event back from `to_json`'s values. Raises CodecError for an
        unknown topic or a field that does not fit its type."""
        event_type = self._by_topic.get(topic)
        if event_type is None:
            raise CodecError(f"unknown topic {topic!r}")
        try:
            return self._build(event_type, fields)
        except (ValueError, KeyError, TypeError) as exc:
            raise CodecError(f"{topic}: {exc}") from None

    def decode(self, data: bytes | str) -> RemoteEvent:
        """Raises CodecError for bad JSON, an unknown topic or a field that does not
        fit its type."""
        try:
            envelope = json.loads(data)
            origin, topic, fields = (
                envelope["origin"],
                envelope["topic"],
                envelope["event"],
            )
        except (ValueError, KeyError, TypeError) as exc:
            raise CodecError(f"not an event envelope: {exc}") from None
        return RemoteEvent(origin=str(origin), event=self.from_json(topic, fields))

    def _build(self, cls: type[Any], fields: object) -> object:
        if not isinstance(fields, dict):
            raise TypeError(f"{cls.__qualname__} needs an object")
        hints = self._hints.get(cls)
        if hints is None:
            hints = self._hints[cls] = typing.get_type_hints(cls)
        values = {
            f.name: self._convert(hints[f.name], fields[f.name])
            for f in dataclasses.fields(cls)
            if f.name in fields
        }
        return cls(**values)

    def _convert(self, hint: Any, value: Any) -> Any:
        origin = typing.get_origin(hint)
        if origin is typing.Union or origin is types.UnionType:
            return self._convert_union(typing.get_args(hint), value)
        supertype = getattr(hint, "__supertype__", None)  # a NewType
        if supertype is not None:
            return self._convert(supertype, value)
        if origin in (tuple, list, frozenset, set):
            return self._convert_sequence(hint, origin, value)
        if origin is dict:
            key_type, value_type = typing.get_args(hint)
            return {
                self._convert(key_type, k): self._convert(value_type, v)
                for k, v in value.items()
            }
        return self._convert_scalar(hint, value)

    def _convert_union(self, options: tuple[Any, ...], value: Any) -> Any:
        if value is None and type(None) in options:
            return None
        errors = []
        for option in options:
            if option is type(None):
                continue
            try:
                return self._convert(option, value)
            except (ValueError, TypeError, KeyError) as exc:
                errors.append(str(exc))
        raise ValueError(f"{value!r:.40} fits none of {options}: {errors}")

    def _convert_sequence(self, hint: Any, origin: Any, value: Any) -> Any:
        if not isinstance(value, list):
            raise TypeError(f"expected a list, got {value!r:.40}")
        args = typing.get_args(hint)
        if origin is tuple and args and args[-1] is not Ellipsis:
            return tuple(self._convert(a, v) for a, v in zip(args, value, strict=True))
        item = args[0] if args else Any
        return origin(self._convert(item, v) for v in value)

    def _convert_scalar(self, hint: Any, value: Any) -> Any:
        if hint is Any or hint is object:
            return value
        if not isinstance(hint, type):
            return value  # Literal and the like: JSON primitives as they are
        if issubclass(hint, Enum):
            return hint(value)
        if issubclass(hint, datetime):
            return datetime.fromisoformat(value)
        if issubclass(hint, date):
            return date.fromisoformat(value)
        if issubclass(hint, Decimal):
            return Decimal(value)
        if issubclass(hint, uuid.UUID):
            return uuid.UUID(value)
        if dataclasses.is_dataclass(hint):
            return self._build(hint, value)
        if hint is float and isinstance(value, int):
            return float(value)
        if not isinstance(value, hint):
            raise TypeError(f"expected {hint.__name__}, got {value!r:.40}")
        return value


def _to_json(value: object) -> object:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {
            f.name: _to_json(getattr(value, f.name)) for f in dataclasses.fields(value)
        }
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal | uuid.UUID):
        return str(value)
    if isinstance(value, tuple | list | set | frozenset):
        return [_to_json(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _to_json(v) for k, v in value.items()}
    return value


RemoteHandler = Callable[[object], Awaitable[None]]


class RedisEventBridge:
    """Publish side: subscribe `publish` to the bus for each bridged event type.
    Receive side: `run()` until cancelled hands every event another instance
    published to `on_remote` (events this instance published are skipped).

    Every Redis call has `timeout_s`; nothing here raises to the caller when Redis
    is down.
    """

    def __init__(
        self,
        url: str,
        *,
        event_types: Iterable[type[Any]],
        on_remote: RemoteHandler | None = None,
        instance_id: str | None = None,
        timeout_s: float = 2.0,
        backoff: Backoff | None = None,
    ) -> None:
        self.codec = EventCodec(event_types)
        self.instance_id = instance_id or uuid.uuid4().hex
        self._url = url
        self._on_remote = on_remote
        self._timeout_s = timeout_s
        self._backoff = backoff or Backoff()
        self._client: aioredis.Redis | None = None
        self._down_until = 0.0
        self._attempt = 0
        self._dropped_in_outage = 0
        self.published = 0
        self.dropped = 0
        """Events not sent because Redis was unreachable."""
        self.received = 0
        self.rejected = 0
        """Messages from Redis that did not decode."""
        self._listened = False
        self.subscribed = asyncio.Event()
        """Set while the receive side is subscribed."""

    async def publish(self, event: object) -> None:
        """Send `event` to `cc.<topic>`; count and drop it when Redis is down."""
        loop = asyncio.get_running_loop()
        if loop.time() < self._down_until:
            self._drop(event)
            return
        payload = self.codec.encode(event, origin=self.instance_id)
        try:
            async with asyncio.timeout(self._timeout_s):
                await self._publisher().publish(channel_of(type(event)), payload)
        except _FAILURES as exc:
            delay_s = self._backoff.delay_s(self._attempt)
            self._attempt += 1
            self._down_until = loop.time() + delay_s
            if self._dropped_in_outage == 0:
                log.warning(
                    "redis %s unreachable (%s): dropping events; retry in %.1fs",
                    self._url,
                    str(exc) or type(exc).__name__,
                    delay_s,
                )
            self._drop(event)
            return
        self.published += 1
        if self._attempt:
            log.info(
                "redis %s is back; %d events were dropped while it was down",
                self._url,
                self._dropped_in_outage,
            )
            self._attempt = 0
            self._dropped_in_outage = 0

    def _drop(self, event: object) -> None:
        self.dropped += 1
        self._dropped_in_outage += 1
        log.debug("dropped %s while redis is down", type(event).__qualname__)

    def _publisher(self) -> aioredis.Redis:
        if self._client is None:
            self._client = self._connect(socket_timeout=self._timeout_s)
        return self._client

    def _connect(self, *, socket_timeout: float | None) -> aioredis.Redis:
        # no hidden retries inside redis-py: the back-off here decides
        return aioredis.Redis.from_url(
            self._url,
            socket_connect_timeout=self._timeout_s,
            socket_timeout=socket_timeout,
            retry=Retry(NoBackoff(), 0),
        )

    async def run(self) -> None:
        """Receive other instances' events until cancelled, reconnecting as needed."""
        attempt = 0
        try:
            while True:
                try:
                    await self._listen()
                except _FAILURES as exc:
                    self.subscribed.clear()
                    delay_s = self._backoff.delay_s(attempt)
                    attempt = 0 if self._listened else attempt + 1
                    log.warning(
                        "redis subscription to %s lost (%s); retry in %.1fs",
                        self._url,
                        str(exc) or type(exc).__name__,
                        delay_s,
                    )
                    await asyncio.sleep(delay_s)
        finally:
            self.subscribed.clear()
            await self.close()

    async def _listen(self) -> None:
        self._listened = False
        client = self._connect(socket_timeout=None)
        pubsub = client.pubsub(ignore_subscribe_messages=True)
        try:
            async with asyncio.timeout(self._timeout_s):
                await pubsub.psubscribe(CHANNEL_PREFIX + "*")
            self.subscribed.set()
            self._listened = True
            log.info("receiving events from redis %s", self._url)
            while True:
                message = await pubsub.get_message(
                    ignore_subscribe_messages=True, timeout=1.0
                )
                if message is not None and message.get("type") == "pmessage":
                    await self._deliver(message["data"])
        finally:
            with contextlib.suppress(*_FAILURES):
                async with asyncio.timeout(self._timeout_s):
                    await pubsub.aclose()
            with contextlib.suppress(*_FAILURES):
                async with asyncio.timeout(self._timeout_s):
                    await client.aclose()

    async def _deliver(self, data: bytes) -> None:
        try:
            remote = self.codec.decode(data)
        except CodecError as exc:
            self.rejected += 1
            log.warning(
                "undecodable event from redis: %s; raw=%r", exc, data[:_RAW_LOG_CHARS]
            )
            return
        if remote.origin == self.instance_id:
            return
        self.received += 1
        if self._on_remote is None:
            return
        try:
            await self._on_remote(remote.event)
        except Exception:
            log.exception("handling remote event %r failed", remote.event)

    async def close(self) -> None:
        if self._client is not None:
            client, self._client = self._client, None
            with contextlib.suppress(*_FAILURES):
                async with asyncio.timeout(self._timeout_s):
                    await client.aclose()

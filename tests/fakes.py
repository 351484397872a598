"""Fakes that implement the product's Protocols, for service tests (no mocks)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TypeVar

from ivr.ports import TtsFailed

T = TypeVar("T")


@dataclass(slots=True)
class FakeClock:
    """A clock that moves only when told to."""

    now_: datetime = field(
        default_factory=lambda: datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
    )

    def now(self) -> datetime:
        return self.now_

    def advance(self, seconds: float) -> None:
        self.now_ += timedelta(seconds=seconds)


@dataclass(slots=True)
class RecordingPublisher:
    """A publisher that keeps what it was given, in order."""

    events: list[object] = field(default_factory=list)

    async def publish(self, event: object) -> None:
        self.events.append(event)

    def of_type(self, kind: type[T]) -> list[T]:
        return [e for e in self.events if isinstance(e, kind)]


class SilentTts:
    """A Synthesiser with no voice: only sound files can be played."""

    async def say(self, text: str, *, language: str) -> str:
        raise TtsFailed(f"no voice for {language!r}: {text[:40]!r}")

"""The ACD's watch for the supervisor's alerts: it hears each queue's figures
(published every second) and each agent's state changes, keeps when each agent's
state began, and raises and clears the alerts `acd.alerts` says hold, logging
each and publishing AlertRaised and AlertCleared. The rules are `acd.alerts`'s.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from acd.alerts import Alert, AlertBoard, AlertLimits, Pause, alerts_now, update
from acd.events import (
    AgentStateChanged,
    AlertCleared,
    AlertEvent,
    AlertRaised,
    QueueStatsUpdated,
)
from acd.model import AgentId, AgentState, QueueId
from acd.thresholds import Thresholds

log = logging.getLogger(__name__)


class AlertPublisher(Protocol):
    async def publish(self, event: AlertEvent) -> None: ...


@dataclass(frozen=True, slots=True, kw_only=True)
class StateSince:
    """An agent's state, its pause reason, and when it began."""

    state: AgentState
    reason: str
    since: datetime


WatchedEvent = QueueStatsUpdated | AgentStateChanged
WATCHED = (QueueStatsUpdated, AgentStateChanged)
"""Subscribe `AlertWatch.handle` to these."""


class AlertWatch:
    """Bus handler for `WATCHED`; `alerts()` are the open ones, oldest first."""

    def __init__(
        self,
        publisher: AlertPublisher,
        *,
        thresholds: Callable[[QueueId], Thresholds],
        limits: AlertLimits,
    ) -> None:
        self._publisher = publisher
        self._thresholds = thresholds
        self.limits = limits
        self._queues: dict[QueueId, QueueStatsUpdated] = {}
        self._states: dict[AgentId, StateSince] = {}
        self._board = AlertBoard()

    def thresholds(self, queue_id: QueueId) -> Thresholds:
        """The queue's limits as they are now (its target may be edited)."""
        return self._thresholds(queue_id)

    def state_since(self, agent_id: AgentId) -> StateSince | None:
        """The agent's state as last heard and when it began (None: not heard
        since the service started)."""
        return self._states.get(agent_id)

    def alerts(self) -> list[Alert]:
        return self._board.alerts()

    async def handle(self, event: WatchedEvent) -> None:
        match event:
            case AgentStateChanged():
                self._heard(event)
            case QueueStatsUpdated():
                self._queues[event.queue_id] = event
                await self._check(event.occurred_at)

    def _heard(self, event: AgentStateChanged) -> None:
        known = self._states.get(event.agent_id)
        if (
            known is not None
            and known.state is event.state
            and known.reason == event.reason
        ):
            return
        self._states[event.agent_id] = StateSince(
            state=event.state, reason=event.reason, since=event.occurred_at
        )

    async def _check(self, now: datetime) -> None:
        pauses = [
            Pause(agent_id=agent, reason=s.reason, since=s.since)
            for agent, s in self._states.items()
            if s.state is AgentState.PAUSED
        ]
        holding = alerts_now(
            queues=list(self._queues.values()),
            thresholds=self.thresholds,
            pauses=pauses,
            limits=self.limits,
            now=now,
        )
        change = update(self._board, holding)
        self._board = change.board
        for alert in change.raised:
            log.warning(
                "alert raised: %s %s since=%s value=%.2f limit=%.2f %s",
                alert.kind, alert.subject, alert.since.isoformat(), alert.value,
                alert.limit, alert.reason,
            )  # fmt: skip
            await self._publisher.publish(_raised(alert, now))
        for alert in change.cleared:
            log.info(
                "alert cleared: %s %s (since %s)",
                alert.kind, alert.subject, alert.since.isoformat(),
            )  # fmt: skip
            await self._publisher.publish(
                AlertCleared(
                    occurred_at=now,
                    kind=alert.kind,
                    subject=alert.subject,
                    since=alert.since,
                )
            )


def _raised(alert: Alert, now: datetime) -> AlertRaised:
    return AlertRaised(
        occurred_at=now, kind=alert.kind, subject=alert.subject, since=alert.since,
        value=alert.value, limit=alert.limit, reason=alert.reason,
    )  # fmt: skip

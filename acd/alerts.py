"""The supervisor's alerts: an agent paused too long, a queue's service level
breached, a caller waiting past the queue's limit. Which alerts hold now, and
how the board of open alerts changes (raised, still open, cleared). Pure.

A queue's limits are its thresholds' alarm levels (`acd.thresholds`); pause
limits are per pause reason, with one for any other reason.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from enum import StrEnum
from types import MappingProxyType

from acd.events import QueueStatsUpdated
from acd.model import AgentId, QueueId
from acd.thresholds import Figure, Level, Thresholds, judged


class AlertKind(StrEnum):
    LONG_PAUSE = "long_pause"
    SERVICE_LEVEL = "service_level"
    LONG_WAIT = "long_wait"


def _pause_defaults() -> Mapping[str, float]:
    return MappingProxyType(
        {
            "lunch": 3600.0,
            "training": 7200.0,
            "after_call_work": 300.0,
            "outbound_call": 1800.0,
            "no_answer": 120.0,
            "disconnected": 300.0,
        }
    )


@dataclass(frozen=True, slots=True, kw_only=True)
class AlertLimits:
    pause_s: float = 900.0
    """How long a pause may last before it alerts, for a reason not listed."""
    pause_by_reason_s: Mapping[str, float] = field(default_factory=_pause_defaults)

    def pause_limit_s(self, reason: str) -> float:
        return self.pause_by_reason_s.get(reason, self.pause_s)


@dataclass(frozen=True, slots=True, kw_only=True)
class Pause:
    """An agent paused since `since`, for `reason`."""

    agent_id: AgentId
    reason: str
    since: datetime


@dataclass(frozen=True, slots=True, kw_only=True)
class Alert:
    kind: AlertKind
    subject: str
    """The agent (a pause) or the queue (service level, waiting caller)."""
    since: datetime
    """When the condition began."""
    value: float
    """The figure now: seconds paused, the service level (0..1), seconds waiting."""
    limit: float
    reason: str = ""
    """The pause reason, for a pause."""

    @property
    def key(self) -> tuple[AlertKind, str]:
        return self.kind, self.subject


def pause_alerts(
    pauses: Iterable[Pause], limits: AlertLimits, now: datetime
) -> list[Alert]:
    found = []
    for pause in pauses:
        limit = limits.pause_limit_s(pause.reason)
        paused_s = (now - pause.since).total_seconds()
        if paused_s >= limit:
            found.append(
                Alert(
                    kind=AlertKind.LONG_PAUSE,
                    subject=pause.agent_id,
                    since=pause.since + timedelta(seconds=limit),
                    value=paused_s,
                    limit=limit,
                    reason=pause.reason,
                )
            )
    return found


def queue_alerts(stats: QueueStatsUpdated, thresholds: Thresholds) -> list[Alert]:
    """The queue's service level under its alarm limit (once enough calls were
    answered or abandoned), and a caller waiting past its longest-wait alarm."""
    found = []
    now, queue = stats.occurred_at, str(stats.queue_id)
    wait = thresholds.limit(Figure.LONGEST_WAIT)
    if wait is not None and wait.level(stats.longest_wait_s) is Level.ALARM:
        began = now - timedelta(seconds=stats.longest_wait_s - wait.alarm)
        found.append(
            Alert(
                kind=AlertKind.LONG_WAIT,
                subject=queue,
                since=began,
                value=stats.longest_wait_s,
                limit=wait.alarm,
            )
        )
    level = thresholds.limit(Figure.SERVICE_LEVEL)
    breached = level is not None and level.level(stats.service_level) is Level.ALARM
    if breached and judged(stats, thresholds) and level is not None:
        assert stats.service_level is not None
        found.append(
            Alert(
                kind=AlertKind.SERVICE_LEVEL,
                subject=queue,
                since=now,
                value=stats.service_level,
                limit=level.alarm,
            )
        )
    return found


def alerts_now(
    *,
    queues: Sequence[QueueStatsUpdated],
    thresholds: Callable[[QueueId], Thresholds],
    pauses: Iterable[Pause],
    limits: AlertLimits,
    now: datetime,
) -> list[Alert]:
    """Every alert that holds at `now`, given each queue's last figures."""
    found = pause_alerts(pauses, limits, now)
    for stats in queues:
        found += queue_alerts(stats, thresholds(stats.queue_id))
    return found


def _no_alerts() -> Mapping[tuple[AlertKind, str], Alert]:
    return MappingProxyType({})


@dataclass(frozen=True, slots=True, kw_only=True)
class AlertBoard:
    """The open alerts by (kind, subject)."""

    open: Mapping[tuple[AlertKind, str], Alert] = field(default_factory=_no_alerts)

    def alerts(self) -> list[Alert]:
        """Oldest first."""
        return sorted(self.open.values(), key=lambda a: (a.since, a.kind, a.subject))


@dataclass(frozen=True, slots=True, kw_only=True)
class BoardChange:
    board: AlertBoard
    raised: list[Alert]
    cleared: list[Alert]


def update(board: AlertBoard, holding: Iterable[Alert]) -> BoardChange:
    """The board once `holding` is every alert that holds now: new ones are
    raised, an open one keeps the time it began with the value now, the rest
    are cleared."""
    now_holding = {a.key: a for a in holding}
    kept: dict[tuple[AlertKind, str], Alert] = {}
    raised, cleared = [], []
    for key, alert in board.open.items():
        current = now_holding.pop(key, None)
        if current is not None:
            kept[key] = replace(current, since=alert.since)
        else:
            cleared.append(alert)
    for key, alert in now_holding.items():
        kept[key] = alert
        raised.append(alert)
    return BoardChange(
        board=AlertBoard(open=MappingProxyType(kept)), raised=raised, cleared=cleared
    )

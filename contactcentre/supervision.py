"""Wiring of the supervisor's tools (part of the composition root): each queue's
wallboard limits (the settings' over the target the queue is served with now) and
the pause limits from the settings, the alert watch on the bus, listening to calls
(both served to the API too), and the wallboard the pages use.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from aiohttp import web

from acd import supervision_http
from acd.alert_watch import WATCHED, AlertWatch
from acd.alerts import AlertLimits
from acd.model import QueueConfig, QueueId
from acd.monitoring import MonitorDesk, MonitorParts
from acd.service import AcdService
from acd.thresholds import Figure, Limit, Thresholds, default_thresholds, with_limits
from agent_ui.ports import CustomerCards
from agent_ui.supervisor.service import CallFacts, Wallboard, WallboardParts
from contactcentre.bus import Bus
from contactcentre.settings import AcdSettings, QueueSettings, ThresholdSettings
from crm_core.auth.audit import AuditTrail
from crm_core.auth.directory import UserNames
from crm_core.clock import Clock
from crm_core.db import Sessions
from telephony.pbx import TelephonyBridge

FIGURES: Mapping[str, tuple[Figure, bool]] = {
    "waiting": (Figure.WAITING, False),
    "longest_wait_s": (Figure.LONGEST_WAIT, False),
    "service_level": (Figure.SERVICE_LEVEL, True),
    "abandonment": (Figure.ABANDONMENT, False),
    "speed_of_answer_s": (Figure.SPEED_OF_ANSWER, False),
    "handle_time_s": (Figure.HANDLE_TIME, False),
    "occupancy": (Figure.OCCUPANCY, False),
}
"""Each threshold setting's figure, and whether it breaches by falling."""


def queue_thresholds(
    queue: QueueSettings | None, served: QueueConfig | None
) -> Thresholds:
    """The queue's limits: those its settings name, over the defaults of the
    target it is served with now (edited in the administration pages), else of
    its settings' target."""
    target = served or queue
    if target is None:
        return default_thresholds(service_level_s=20.0, target_level=0.8)
    base = default_thresholds(
        service_level_s=target.service_level_s, target_level=target.target_level
    )
    if queue is None:
        return base
    own: ThresholdSettings = queue.thresholds
    changes = {}
    for name, (figure, falling) in FIGURES.items():
        limit = getattr(own, name)
        if limit is not None:
            changes[figure] = Limit(
                warning=limit.warning, alarm=limit.alarm, low_is_bad=falling
            )
    found = with_limits(base, changes)
    return Thresholds(limits=found.limits, min_calls=own.min_calls)


def alert_watch(config: AcdSettings, bus: Bus, acd: AcdService) -> AlertWatch:
    """The watch, subscribed to the queues' figures and the agents' states."""
    settings = {QueueId(q.id): q for q in config.queues}

    def thresholds(queue_id: QueueId) -> Thresholds:
        return queue_thresholds(settings.get(queue_id), acd.queue_config(queue_id))

    watch = AlertWatch(
        bus,
        thresholds=thresholds,
        limits=AlertLimits(
            pause_s=config.alerts.pause_s,
            pause_by_reason_s=dict(config.alerts.pause_by_reason_s),
        ),
    )
    bus.subscribe_all(WATCHED, watch.handle)
    return watch


@dataclass(frozen=True, slots=True, kw_only=True)
class Supervision:
    watch: AlertWatch
    monitors: MonitorDesk


def supervise(
    config: AcdSettings,
    *,
    acd: AcdService,
    telephony: TelephonyBridge,
    bus: Bus,
    sessions: Sessions,
    clock: Clock,
    app: web.Application,
) -> Supervision:
    """The alert watch and the monitoring desk, served to the API on `app`."""
    monitors = MonitorDesk(
        MonitorParts(
            calls=acd, pbx=telephony.pbx, audit=AuditTrail(sessions, clock),
            locator=telephony.tracker, clock=clock,
        )
    )  # fmt: skip
    found = Supervision(watch=alert_watch(config, bus, acd), monitors=monitors)
    app[supervision_http.ALERTS] = found.watch
    app[supervision_http.MONITORS] = found.monitors
    return found


def wallboard(
    supervision: Supervision,
    *,
    acd: AcdService,
    sessions: Sessions,
    calls: CallFacts,
    cards: CustomerCards,
) -> Wallboard:
    return Wallboard(
        WallboardParts(
            acd=acd, watch=supervision.watch, monitors=supervision.monitors,
            calls=calls, cards=cards, names=UserNames(sessions),
        )
    )  # fmt: skip

"""What the wallboard's templates show, from the wallboard service's answers: a
tile per queue (each figure with its level and limits, the agents by state, the
last hour as a chart's geometry), the agents' lines, the open alerts as
sentences. Codes become words through `agent_ui.labels`; texts are catalogue
message ids the templates translate, except the alerts' sentences, made here in
the viewer's language (`translate`). Pure.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any

from acd.alerts import Alert, AlertKind
from acd.minutes import MinuteCounts
from acd.model import AgentState
from acd.monitoring import Monitoring, MonitorMode
from acd.thresholds import Figure, Level, Limit, figures, worst
from agent_ui import labels
from agent_ui.labels import N_
from agent_ui.supervisor.service import (
    AgentLine,
    AgentPage,
    QueueBoard,
    WaitingLine,
)

View = dict[str, Any]
Translate = Callable[[str], str]

CHART_W, CHART_H = 600.0, 110.0
"""The chart's drawing box (the SVG scales to its tile)."""

FIGURE_LABELS: Mapping[Figure, str] = {
    Figure.WAITING: N_("Waiting"),
    Figure.LONGEST_WAIT: N_("Longest wait"),
    Figure.SERVICE_LEVEL: N_("Service level"),
    Figure.ABANDONMENT: N_("Abandoned"),
    Figure.SPEED_OF_ANSWER: N_("Speed of answer"),
    Figure.HANDLE_TIME: N_("Handle time"),
    Figure.OCCUPANCY: N_("Occupancy"),
}
SECONDS = frozenset({Figure.LONGEST_WAIT, Figure.SPEED_OF_ANSWER, Figure.HANDLE_TIME})
SHARES = frozenset({Figure.SERVICE_LEVEL, Figure.ABANDONMENT, Figure.OCCUPANCY})
LEVEL_LABELS: Mapping[Level, str] = {
    Level.OK: N_("within limits"),
    Level.WARNING: N_("warning"),
    Level.ALARM: N_("alarm"),
}
MODE_LABELS: Mapping[str, str] = {
    MonitorMode.LISTEN: N_("Listen"),
    MonitorMode.WHISPER: N_("Whisper"),
    MonitorMode.BARGE: N_("Barge in"),
}
MODE_DOING: Mapping[str, str] = {
    MonitorMode.LISTEN: N_("listening"),
    MonitorMode.WHISPER: N_("whispering"),
    MonitorMode.BARGE: N_("barged in"),
}
MODE_SENTENCES: Mapping[str, str] = {
    MonitorMode.LISTEN: N_("You are listening to %(agent)s"),
    MonitorMode.WHISPER: N_("You are whispering to %(agent)s"),
    MonitorMode.BARGE: N_("You are on the call with %(agent)s"),
}
ALERT_TEXTS: Mapping[AlertKind, str] = {
    AlertKind.LONG_PAUSE: N_(
        "%(agent)s has been on a pause (%(reason)s) for %(value)s"
    ),
    AlertKind.SERVICE_LEVEL: N_("%(queue)s: service level %(value)s, under %(limit)s"),
    AlertKind.LONG_WAIT: N_("%(queue)s: a caller has been waiting %(value)s"),
}
ALERT_LIMITS: Mapping[AlertKind, str] = {
    AlertKind.LONG_PAUSE: N_("limit %(limit)s"),
    AlertKind.SERVICE_LEVEL: N_("alarm under %(limit)s"),
    AlertKind.LONG_WAIT: N_("limit %(limit)s"),
}


NO_VALUE = "\u2013"
"""An en dash: no figure yet."""


def percent(share: float | None) -> str:
    return NO_VALUE if share is None else f"{round(share * 100)} %"


def shown(figure: Figure, value: float | None) -> str:
    """A figure as people read it: `m:ss`, a percentage or a count."""
    if value is None:
        return NO_VALUE
    if figure in SECONDS:
        return labels.duration(value)
    if figure in SHARES:
        return percent(value)
    return str(round(value))


def limit_view(figure: Figure, limit: Limit | None) -> View | None:
    if limit is None:
        return None
    return {
        "warning": shown(figure, limit.warning),
        "alarm": shown(figure, limit.alarm),
        "below": limit.low_is_bad,
    }


# queue tiles ---------------------------------------------------------------------


def queue_tile(board: QueueBoard, now: datetime) -> View:
    stats = board.stats
    values = figures(stats)
    shown_figures = [
        {
            "key": figure.value,
            "label": FIGURE_LABELS[figure],
            "value": shown(figure, value),
            "level": board.levels[figure].value,
            "level_label": LEVEL_LABELS[board.levels[figure]],
            "limit": limit_view(figure, board.thresholds.limit(figure)),
        }
        for figure, value in values.items()
    ]
    by_state = dict(stats.agents_by_state)
    return {
        "queue_id": str(stats.queue_id),
        "name": labels.label(labels.QUEUES, str(stats.queue_id)),
        "level": worst(board.levels).value,
        "figures": shown_figures,
        "answered": stats.answered,
        "abandoned": stats.abandoned,
        "agents_needed": stats.agents_needed,
        "agents": [
            (labels.label(labels.AGENT_STATES, s.value), s.value, by_state[s.value])
            for s in AgentState
            if by_state.get(s.value)
        ],
        "chart": chart_view(board.hour),
        "at": now.isoformat(),
    }


def chart_view(hour: Sequence[MinuteCounts]) -> View:
    """The last hour's geometry: a stacked bar per minute (answered within the
    target, answered later, abandoned) and a line of the most callers waiting,
    on one scale; the y axis's top value."""
    if not hour:
        return {"bars": [], "line": "", "top": 0, "empty": True}
    top = max(
        max(m.answered + m.abandoned for m in hour),
        max(m.peak_waiting for m in hour),
        1,
    )
    step = CHART_W / len(hour)
    scale = (CHART_H - 4) / top
    bars, points = [], []
    for i, minute in enumerate(hour):
        x = round(i * step, 1)
        parts, base = [], CHART_H
        for kind, count in (
            ("in-target", minute.answered_in_target),
            ("late", minute.answered - minute.answered_in_target),
            ("abandoned", minute.abandoned),
        ):
            if count <= 0:
                continue
            height = round(count * scale, 1)
            base = round(base - height, 1)
            parts.append({"kind": kind, "y": base, "h": height})
        bars.append(
            {
                "x": x, "w": round(step * 0.8, 1), "parts": parts,
                "start": minute.start.isoformat(), "answered": minute.answered,
                "abandoned": minute.abandoned, "waiting": minute.peak_waiting,
            }
        )  # fmt: skip
        y = round(CHART_H - minute.peak_waiting * scale, 1)
        points.append(f"{round(x + step * 0.4, 1)},{y}")
    empty = not any(m.answered or m.abandoned or m.peak_waiting for m in hour)
    return {"bars": bars, "line": " ".join(points), "top": top, "empty": empty}


# callers waiting -------------------------------------------------------------------


def waiting_view(lines: Sequence[WaitingLine], total: int) -> View:
    return {
        "lines": [
            {
                "call_id": w.call_id,
                "queue_label": labels.label(labels.QUEUES, w.queue_id),
                "since": w.since.isoformat(),
                "position": w.position if w.position is not None else NO_VALUE,
                "expected": labels.duration(w.expected_wait_s) or NO_VALUE,
                "caller": w.caller or w.number or "",
                "number": w.number or "",
            }
            for w in lines
        ],
        "total": total,
        "more": max(0, total - len(lines)),
    }


# agents ---------------------------------------------------------------------------


def agent_line(
    line: AgentLine, *, viewer: str, may_monitor: bool, names: Mapping[str, str]
) -> View:
    view = line.agent
    state = view.state
    on_call = state is AgentState.ON_CALL
    return {
        "agent_id": str(view.agent_id),
        "name": line.name,
        "state": state.value,
        "state_label": labels.label(labels.AGENT_STATES, state.value),
        "reason_label": labels.label(labels.PAUSE_REASONS, view.reason)
        if state is AgentState.PAUSED
        else "",
        "since": line.since.isoformat() if line.since else None,
        "queue_label": labels.label(labels.QUEUES, line.queue_id)
        if line.queue_id
        else "",
        "customer": line.customer or "",
        "on_call": on_call,
        "can_monitor": may_monitor and on_call and str(view.agent_id) != viewer,
        "monitored": [
            {
                "by": names.get(m.supervisor, m.supervisor),
                "doing": MODE_DOING[m.mode],
                "mine": m.supervisor == viewer,
            }
            for m in line.monitored
        ],
    }


def agents_view(
    page: AgentPage, *, viewer: str, may_monitor: bool, names: Mapping[str, str]
) -> View:
    return {
        "lines": [
            agent_line(line, viewer=viewer, may_monitor=may_monitor, names=names)
            for line in page.lines
        ],
        "page": page.page,
        "pages": page.pages,
        "total": page.total,
        "previous": page.page - 1 if page.page > 1 else None,
        "next": page.page + 1 if page.page < page.pages else None,
        "modes": [(m.value, MODE_LABELS[m]) for m in MonitorMode],
    }


def monitoring_view(
    session: Monitoring | None, names: Mapping[str, str]
) -> View | None:
    if session is None:
        return None
    return {
        "agent": names.get(session.agent, session.agent),
        "sentence": MODE_SENTENCES[session.mode],
        "since": session.started_at.isoformat(),
    }


# alerts ---------------------------------------------------------------------------


def alert_view(alert: Alert, translate: Translate, names: Mapping[str, str]) -> View:
    """The alert as a sentence in the viewer's language, with its limit."""
    share = alert.kind is AlertKind.SERVICE_LEVEL
    value = percent(alert.value) if share else labels.duration(alert.value)
    limit = percent(alert.limit) if share else labels.duration(alert.limit)
    words = {
        "agent": names.get(alert.subject, alert.subject),
        "queue": translate(labels.label(labels.QUEUES, alert.subject)),
        "reason": translate(labels.label(labels.PAUSE_REASONS, alert.reason)),
        "value": value,
        "limit": limit,
    }
    return {
        "kind": alert.kind.value,
        "subject": alert.subject,
        "text": translate(ALERT_TEXTS[alert.kind]) % words,
        "limit": translate(ALERT_LIMITS[alert.kind]) % words,
        "since": alert.since.isoformat(),
        "level": "alarm",
    }


def alerts_view(
    alerts: Sequence[Alert], translate: Translate, names: Mapping[str, str]
) -> list[View]:
    return [alert_view(a, translate, names) for a in alerts]

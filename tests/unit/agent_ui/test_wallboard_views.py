"""The wallboard's views: a queue's tile (figures with levels and limits in
words, agents by state), the last hour's chart geometry, an agent's line, and an
alert as a sentence in the viewer's language."""

from __future__ import annotations

from datetime import timedelta

from acd.alerts import Alert, AlertKind
from acd.engine import AgentView
from acd.minutes import MinuteCounts
from acd.model import AgentId, AgentState
from acd.monitoring import Monitoring, MonitorMode
from acd.thresholds import Figure, Level, default_thresholds, levels
from agent_ui.supervisor import views
from agent_ui.supervisor.service import AgentLine, QueueBoard
from telephony.model import CallId, ChannelId, PbxId
from tests.unit.acd.test_thresholds import NOW, stats

THRESHOLDS = default_thresholds(service_level_s=20, target_level=0.8)


def board(**changes: object) -> QueueBoard:
    figures = stats(**changes)
    return QueueBoard(
        stats=figures, thresholds=THRESHOLDS, levels=levels(figures, THRESHOLDS),
        hour=[],
    )  # fmt: skip


def test_tile_shows_each_figure_with_its_level_when_a_limit_is_passed() -> None:
    tile = views.queue_tile(
        board(waiting=2, longest_wait_s=75, agents_by_state=(("on_call", 2),)), NOW
    )
    shown = {f["key"]: f for f in tile["figures"]}
    assert (tile["name"], tile["level"]) == ("Billing", "alarm")
    assert (shown["waiting"]["value"], shown["waiting"]["level"]) == ("2", "ok")
    wait = shown["longest_wait"]
    assert (wait["value"], wait["level"]) == ("1:15", "alarm")
    assert wait["limit"] == {"warning": "0:20", "alarm": "1:00", "below": False}
    assert shown["service_level"]["value"] == "90 %"
    assert shown["service_level"]["limit"]["below"] is True
    assert shown["handle_time"]["limit"] is None
    assert tile["agents"] == [("On a call", "on_call", 2)]


def test_figures_without_calls_show_a_dash_when_nothing_is_known() -> None:
    tile = views.queue_tile(board(service_level=None, answered=0), NOW)
    shown = {f["key"]: f["value"] for f in tile["figures"]}
    assert shown["service_level"] == views.NO_VALUE
    assert shown["abandonment"] == views.NO_VALUE


def minute(i: int, **counts: int) -> MinuteCounts:
    return MinuteCounts(start=NOW + timedelta(minutes=i), **counts)


def test_chart_stacks_each_minute_on_one_scale_when_drawn() -> None:
    chart = views.chart_view(
        [
            minute(0, answered=2, answered_in_target=1, abandoned=1, peak_waiting=4),
            minute(1),
        ]
    )
    assert chart["top"] == 4
    first, second = chart["bars"]
    assert [p["kind"] for p in first["parts"]] == ["in-target", "late", "abandoned"]
    heights = [p["h"] for p in first["parts"]]
    assert heights == [26.5, 26.5, 26.5]  # a quarter of the 106 drawn each
    assert first["parts"][-1]["y"] == round(views.CHART_H - 3 * 26.5, 1)
    assert second["parts"] == []
    assert chart["line"].split(" ")[0].endswith(f",{views.CHART_H - 106}")
    assert not chart["empty"]


def test_chart_says_so_when_the_hour_was_quiet() -> None:
    assert views.chart_view([minute(0), minute(1)])["empty"]
    assert views.chart_view([])["bars"] == []


def line(state: AgentState, *, monitored: list[Monitoring] | None = None) -> AgentLine:
    view = AgentView(
        agent_id=AgentId("anna"), state=state,
        reason="lunch" if state is AgentState.PAUSED else "",
        call_id=CallId("pbx1:1") if state is AgentState.ON_CALL else None,
    )  # fmt: skip
    return AgentLine(
        agent=view, name="Anna Petrova", since=NOW, queue_id="general",
        customer="Ivan Petrov", monitored=monitored or [],
    )  # fmt: skip


def test_agent_line_is_in_words_and_offers_listening_when_on_a_call() -> None:
    session = Monitoring(
        supervisor=AgentId("sveta"), agent=AgentId("anna"), call_id=CallId("pbx1:1"),
        mode=MonitorMode.WHISPER, started_at=NOW, pbx_id=PbxId("pbx1"),
        leg=ChannelId("spy-1"),
    )  # fmt: skip
    shown = views.agent_line(
        line(AgentState.ON_CALL, monitored=[session]), viewer="sveta",
        may_monitor=True, names={"sveta": "Svetlana"},
    )  # fmt: skip
    assert (shown["state_label"], shown["queue_label"]) == (
        "On a call",
        "General questions",
    )
    assert shown["can_monitor"]
    assert shown["monitored"] == [
        {"by": "Svetlana", "doing": "whispering", "mine": True}
    ]
    paused = views.agent_line(
        line(AgentState.PAUSED), viewer="sveta", may_monitor=True, names={}
    )
    assert (paused["reason_label"], paused["can_monitor"]) == ("Lunch", False)


def test_nobody_is_offered_their_own_call_or_without_the_right() -> None:
    own = views.agent_line(
        line(AgentState.ON_CALL), viewer="anna", may_monitor=True, names={}
    )
    assert not own["can_monitor"]
    barred = views.agent_line(
        line(AgentState.ON_CALL), viewer="sveta", may_monitor=False, names={}
    )
    assert not barred["can_monitor"]


def test_alert_reads_as_a_sentence_when_shown() -> None:
    pause = Alert(
        kind=AlertKind.LONG_PAUSE, subject="anna", since=NOW, value=1000,
        limit=900, reason="break",
    )  # fmt: skip
    shown = views.alert_view(pause, lambda m: m, {"anna": "Anna Petrova"})
    assert shown["text"] == "Anna Petrova has been on a pause (Break) for 16:40"
    assert shown["limit"] == "limit 15:00"
    level = Alert(
        kind=AlertKind.SERVICE_LEVEL, subject="general", since=NOW, value=0.55,
        limit=0.7,
    )  # fmt: skip
    words = {
        "General questions": "Общие вопросы",
        views.ALERT_TEXTS[AlertKind.SERVICE_LEVEL]: "%(queue)s: уровень %(value)s",
    }
    shown = views.alert_view(level, lambda m: words.get(m, m), {})
    assert shown["text"] == "Общие вопросы: уровень 55 %"
    assert shown["limit"] == "alarm under 70 %"


def test_level_words_cover_every_level_when_listed() -> None:
    assert set(views.LEVEL_LABELS) == set(Level)
    assert set(views.FIGURE_LABELS) == set(Figure)
    assert set(views.MODE_LABELS) == {m.value for m in MonitorMode}

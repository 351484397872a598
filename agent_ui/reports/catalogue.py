"""The reports the pages offer: each one's path, title, the filters that apply to
it, the rights it needs, and its columns as people see them (which column of the
service's table, under which words, shown how). Pure data and choices.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum

from agent_ui import labels
from agent_ui.labels import N_
from crm_core.auth.model import Actor, Permission


class Filter(StrEnum):
    """A filter beside the period."""

    TOPIC = "topic"
    GROUP = "group"
    QUEUE = "queue"
    AGENT = "agent"
    STEP = "step"
    WITHIN_DAYS = "within_days"


class Shown(StrEnum):
    """How a column's values are shown."""

    TEXT = "text"
    COUNT = "count"
    SECONDS = "seconds"
    """A duration: h:mm:ss in the page, a duration cell in a spreadsheet."""
    SHARE = "share"
    """A ratio 0..1 shown as a percentage."""
    MOMENT = "moment"
    """A UTC moment shown in the centre's time zone."""
    WORDS = "words"
    """A code shown in the words of `Column.words`."""
    PERSON = "person"
    """A login shown as the person's name."""
    APPEAL = "appeal"
    """An appeal id shown as its short number."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Column:
    source: str
    """The column of the service's table."""
    label: str
    """Catalogue message id."""
    shown: Shown = Shown.TEXT
    words: Mapping[str, str] | None = None
    fallback: str | None = None
    """Another column of the table to show when this one is empty."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Report:
    key: str
    title: str
    filters: frozenset[Filter]
    columns: tuple[Column, ...]
    needs: frozenset[Permission] = frozenset({Permission.REPORT_READ})

    @property
    def path(self) -> str:
        return f"/reports/{self.key}"


C, S, F = Column, Shown, Filter
CRM_FILTERS = frozenset({F.TOPIC, F.GROUP})
SUPERVISORS = frozenset({Permission.REPORT_READ, Permission.QUEUE_SUPERVISE})

BY_TOPIC = Report(
    key="by-topic", title=N_("Appeals by topic"), filters=CRM_FILTERS,
    columns=(
        C(source="name", label=N_("Topic")),
        C(source="total", label=N_("Appeals"), shown=S.COUNT),
        C(source="open", label=N_("Open"), shown=S.COUNT),
        C(source="closed", label=N_("Closed"), shown=S.COUNT),
        C(source="overdue", label=N_("Overdue"), shown=S.COUNT),
    ),
)  # fmt: skip
BY_OPERATOR = Report(
    key="by-operator", title=N_("Appeals by operator"), filters=CRM_FILTERS,
    columns=(
        C(source="name", label=N_("Operator"), fallback="login"),
        C(source="handled", label=N_("Appeals handled"), shown=S.COUNT),
        C(source="closed", label=N_("Closed"), shown=S.COUNT),
        C(source="avg_handling_s", label=N_("Average time to close"),
          shown=S.SECONDS),
    ),
)  # fmt: skip
REPEATS = Report(
    key="repeats", title=N_("Repeat appeals"),
    filters=CRM_FILTERS | {F.WITHIN_DAYS},
    columns=(
        C(source="customer", label=N_("Customer")),
        C(source="topic_name", label=N_("Topic")),
        C(source="appeals", label=N_("Appeals"), shown=S.COUNT),
        C(source="repeats", label=N_("Repeats"), shown=S.COUNT),
        C(source="last_at", label=N_("Last appeal"), shown=S.MOMENT),
    ),
)  # fmt: skip
SLA_BREACHES = Report(
    key="sla-breaches", title=N_("Missed deadlines"), filters=CRM_FILTERS,
    columns=(
        C(source="appeal_id", label=N_("Appeal No."), shown=S.APPEAL),
        C(source="topic_name", label=N_("Topic")),
        C(source="stage_name", label=N_("Stage"), fallback="stage"),
        C(source="queue", label=N_("Queue")),
        C(source="status", label=N_("Status"), shown=S.WORDS,
          words=labels.APPEAL_STATUSES),
        C(source="assignee_name", label=N_("Assignee")),
        C(source="deadline_at", label=N_("Deadline"), shown=S.MOMENT),
        C(source="late_s", label=N_("Late by"), shown=S.SECONDS),
    ),
)  # fmt: skip
QUEUES = Report(
    key="queues", title=N_("Queues"), filters=frozenset({F.QUEUE, F.STEP}),
    columns=(
        C(source="queue", label=N_("Queue"), shown=S.WORDS, words=labels.QUEUES),
        C(source="start", label=N_("From"), shown=S.MOMENT),
        C(source="offered", label=N_("Offered"), shown=S.COUNT),
        C(source="answered", label=N_("Answered"), shown=S.COUNT),
        C(source="abandoned", label=N_("Abandoned"), shown=S.COUNT),
        C(source="abandoned_short", label=N_("Short abandons"), shown=S.COUNT),
        C(source="left", label=N_("Voicemail or callback"), shown=S.COUNT),
        C(source="overflowed", label=N_("Overflowed"), shown=S.COUNT),
        C(source="service_level", label=N_("Service level, %"), shown=S.SHARE),
        C(source="abandon_rate", label=N_("Abandoned, %"), shown=S.SHARE),
        C(source="asa_s", label=N_("Average speed of answer"), shown=S.SECONDS),
        C(source="longest_wait_s", label=N_("Longest wait"), shown=S.SECONDS),
        C(source="handled", label=N_("Handled"), shown=S.COUNT),
        C(source="aht_s", label=N_("Average handle time"), shown=S.SECONDS),
        C(source="occupancy", label=N_("Occupancy, %"), shown=S.SHARE),
    ),
)  # fmt: skip
AGENTS = Report(
    key="agents", title=N_("Agents"), filters=frozenset({F.AGENT}), needs=SUPERVISORS,
    columns=(
        C(source="agent", label=N_("Agent"), shown=S.PERSON),
        C(source="logged_in_s", label=N_("Logged in"), shown=S.SECONDS),
        C(source="ready_s", label=N_("Ready"), shown=S.SECONDS),
        C(source="busy_s", label=N_("On calls"), shown=S.SECONDS),
        C(source="paused_s", label=N_("Paused"), shown=S.SECONDS),
        C(source="pauses", label=N_("Pauses"), shown=S.COUNT),
        C(source="offered", label=N_("Offered"), shown=S.COUNT),
        C(source="answered", label=N_("Answered"), shown=S.COUNT),
        C(source="missed", label=N_("Missed"), shown=S.COUNT),
        C(source="handled", label=N_("Handled"), shown=S.COUNT),
        C(source="talk_s", label=N_("Talk"), shown=S.SECONDS),
        C(source="avg_talk_s", label=N_("Average talk"), shown=S.SECONDS),
        C(source="wrap_up_s", label=N_("Wrap-up"), shown=S.SECONDS),
        C(source="avg_wrap_up_s", label=N_("Average wrap-up"), shown=S.SECONDS),
        C(source="occupancy", label=N_("Occupancy, %"), shown=S.SHARE),
    ),
)  # fmt: skip
PAUSES = Report(
    key="pauses", title=N_("Pauses"), filters=frozenset({F.AGENT}), needs=SUPERVISORS,
    columns=(
        C(source="agent", label=N_("Agent"), shown=S.PERSON),
        C(source="reason", label=N_("Reason"), shown=S.WORDS,
          words=labels.PAUSE_REASONS),
        C(source="pauses", label=N_("Pauses"), shown=S.COUNT),
        C(source="paused_s", label=N_("Time paused"), shown=S.SECONDS),
        C(source="avg_pause_s", label=N_("Average pause"), shown=S.SECONDS),
    ),
)  # fmt: skip

REPORTS: tuple[Report, ...] = (
    BY_TOPIC, BY_OPERATOR, REPEATS, SLA_BREACHES, QUEUES, AGENTS, PAUSES
)  # fmt: skip
"""In the order the page lists them."""


def allowed(report: Report, actor: Actor) -> bool:
    return all(actor.can(p) for p in report.needs)


def offered(actor: Actor) -> Sequence[Report]:
    """The reports `actor` may run, in order."""
    return [r for r in REPORTS if allowed(r, actor)]


def find(key: str) -> Report | None:
    return next((r for r in REPORTS if r.key == key), None)

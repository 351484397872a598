"""The reports page's service: what a report may be narrowed to, the filters read
and checked, and the report run by the module that owns it (appeals: the CRM;
queues and agents: the ACD), with the names of the people in it."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import tzinfo

from aiohttp import web

from acd.model import AgentId, QueueId
from acd.reporting import AcdReports
from agent_ui.reports import catalogue
from agent_ui.reports.catalogue import Filter, Report
from agent_ui.reports.forms import NOT_OFFERED, Offered, Parsed, ReportForm, parse
from crm_core.appeals.model import Topic
from crm_core.auth.model import Actor
from crm_core.clock import Clock
from crm_core.errors import Forbidden
from crm_core.reports.errors import BadFilter
from crm_core.reports.model import Table
from crm_core.reports.periods import Period
from crm_core.reports.reports import ReportScope, ReportService


@dataclass(frozen=True, slots=True, kw_only=True)
class Choices:
    """What the filters offer, with the words to show."""

    topics: Sequence[Topic] = ()
    groups: Sequence[str] = ()
    queues: Sequence[str] = ()
    agents: Mapping[str, str] = field(default_factory=dict)
    """Login -> name, in the order to offer them."""

    def offered(self) -> Offered:
        return Offered(
            topics={t.id for t in self.topics}, groups=set(self.groups),
            queues=set(self.queues), agents=set(self.agents),
        )  # fmt: skip


@dataclass(frozen=True, slots=True, kw_only=True)
class Outcome:
    """A report asked for: its filters as sent, and its table when they held."""

    report: Report
    parsed: Parsed
    choices: Choices
    period: Period | None = None
    table: Table | None = None
    names: Mapping[str, str] = field(default_factory=dict)
    """Login -> name of the people in the table."""


SERVICE_FIELDS = {"topic_ids": Filter.TOPIC, "customer_groups": Filter.GROUP}


@dataclass(frozen=True, slots=True, kw_only=True)
class ReportDesk:
    crm: ReportService
    acd: AcdReports
    queues: Sequence[str]
    """The ACD's queues."""
    agents: Sequence[str]
    """The ACD's agents (logins)."""
    zone: tzinfo
    """The centre's time zone: the calendar of periods and steps."""
    clock: Clock

    async def open(
        self, actor: Actor, report: Report, query: Mapping[str, str]
    ) -> Outcome:
        """`report` with the filters in `query`; no table when one is wrong.
        Raises Forbidden for a report outside the actor's rights."""
        if not catalogue.allowed(report, actor):
            raise Forbidden(f"report {report.key} needs {sorted(report.needs)}")
        choices = await self._choices(actor, report)
        parsed = parse(query, report, choices.offered())
        if parsed.form is None:
            return Outcome(report=report, parsed=parsed, choices=choices)
        period = parsed.form.resolve(now=self.clock.now(), zone=self.zone)
        try:
            table = await self._run(actor, report, parsed.form, period, choices)
        except BadFilter as bad:
            errors = {_field_of(e.field): NOT_OFFERED for e in bad.errors}
            refused = Parsed(values=parsed.values, form=None, errors=errors)
            return Outcome(report=report, parsed=refused, choices=choices)
        names = dict(choices.agents)
        if Filter.AGENT in report.filters:
            missing = {str(row[0]) for row in table.rows} - set(names)
            names |= await self.crm.names(actor, sorted(missing)) if missing else {}
        return Outcome(
            report=report, parsed=parsed, choices=choices, period=period,
            table=table, names=names,
        )  # fmt: skip

    async def _choices(self, actor: Actor, report: Report) -> Choices:
        filters = report.filters
        if Filter.TOPIC in filters or Filter.GROUP in filters:
            crm = await self.crm.choices(actor)
            return Choices(topics=crm.topics, groups=crm.customer_groups)
        if Filter.AGENT in filters:
            names = await self.crm.names(actor, self.agents)
            ordered = sorted(self.agents, key=lambda a: (names.get(a, a).lower(), a))
            return Choices(agents={a: names.get(a, a) for a in ordered})
        return Choices(queues=self.queues)

    async def _run(
        self,
        actor: Actor,
        report: Report,
        form: ReportForm,
        period: Period,
        choices: Choices,
    ) -> Table:
        since, until = period.since, period.until
        if Filter.TOPIC in report.filters:
            return await self._appeals(actor, report, form, period)
        if report.key == catalogue.QUEUES.key:
            queue = None if form.queue is None else QueueId(form.queue)
            return await self.acd.queues(
                actor, since=since, until=until, step=form.step, zone=self.zone,
                queue_id=queue,
            )  # fmt: skip
        return await self.acd.agents(
            actor, since=since, until=until,
            agent_id=None if form.agent is None else AgentId(form.agent),
            order=lambda login: choices.agents.get(login, login).lower(),
            by_reason=report.key == catalogue.PAUSES.key,
        )  # fmt: skip

    async def _appeals(
        self, actor: Actor, report: Report, form: ReportForm, period: Period
    ) -> Table:
        crm, since, until = self.crm, period.since, period.until
        scope = ReportScope(
            topic_ids=() if form.topic is None else (form.topic,),
            customer_groups=() if form.group is None else (form.group,),
        )
        match report.key:
            case catalogue.BY_TOPIC.key:
                return await crm.by_topic(actor, since=since, until=until, scope=scope)
            case catalogue.BY_OPERATOR.key:
                return await crm.by_operator(
                    actor, since=since, until=until, scope=scope
                )
            case catalogue.REPEATS.key:
                return await crm.repeats(
                    actor, since=since, until=until, scope=scope,
                    within_days=form.within_days,
                )  # fmt: skip
            case _:
                return await crm.sla_breaches(
                    actor, since=since, until=until, scope=scope
                )


def _field_of(service_field: str) -> str:
    """The form's field for a field a service named (`topic_ids[0]` -> topic)."""
    name = service_field.split("[", 1)[0]
    found = SERVICE_FIELDS.get(name)
    return found.value if found is not None else "period"


REPORT_DESK: web.AppKey[ReportDesk] = web.AppKey("agent_ui_report_desk", ReportDesk)

"""The composition root: builds every adapter from the settings and wires the handlers.

The only place that constructs adapters and subscribes handlers to the bus.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import sys
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass, field
from datetime import timedelta
from functools import partial
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncEngine

from acd import http as acd_http
from acd import supervision_http
from acd.administration import AcdAdministration, Served
from acd.configuration import (
    Configuration,
    QueueInput,
    SeatInput,
    queues_of,
    seats_of,
)
from acd.engine import AcdEngine
from acd.events import AgentStateChanged, CallbackGaveUp, WrapUpFinished
from acd.model import AgentId, QueueId
from acd.recovery import AcdRecovery
from acd.reporting import AcdReports
from acd.service import AcdService
from acd.service import AcdSettings as AcdConfig
from acd.sessions import JsonFileKept
from acd.tables import SqlConfigurationStore, SqlIntervalStore
from agent_ui import sockets
from agent_ui.admin.service import AdminDesk
from agent_ui.agent.controls import ControlParts, Controls
from agent_ui.agent.registration import Registration, RegistrationParts
from agent_ui.agent.screen import CallScreen, ScreenParts
from agent_ui.agent.service import AgentDesk
from agent_ui.app import PageServices, setup_agent_ui
from agent_ui.backoffice.appeal import AppealDesk, AppealDeskParts
from agent_ui.backoffice.customers import CustomerDesk
from agent_ui.backoffice.service import BackOffice
from agent_ui.backoffice.worklists import WorklistParts, Worklists
from agent_ui.call_log import CallLog
from agent_ui.events import AgentConnected, AgentDisconnected
from agent_ui.reports.service import ReportDesk
from contactcentre import migrate as migrations
from contactcentre import supervision
from contactcentre.bus import Bus
from contactcentre.call_contacts import EVENTS as CALL_CONTACT_EVENTS
from contactcentre.call_contacts import CallContacts
from contactcentre.calls_api import calls_routes
from contactcentre.crm_sinks import CrmSinks
from contactcentre.demo import (
    demo_password,
    log_in_simulated_agents,
    run_simulated_traffic,
    seed_demo,
    simulator_config,
    with_demo_pbx_secret,
    with_demo_seats,
    with_demo_speech,
)
from contactcentre.demo_history import seed_history
from contactcentre.journal import Journal
from contactcentre.readiness import (
    Readiness,
    journal_check,
    service_readiness,
    subscribed_check,
)
from contactcentre.redis_bridge import RedisEventBridge
from contactcentre.scripts import ScriptParts, load_recogniser, route_scripts
from contactcentre.settings import CrmSettings, Settings
from contactcentre.startup import (
    prepare_directories,
    report_missing_speech_tools,
    require_schema,
)
from contactcentre.users import run_command as users_command
from contactcentre.users import warn_if_no_users
from contactcentre.web import make_web_app, serve_http
from crm_core.api import incident_routes, kb_routes
from crm_core.api.app import ApiDeps, setup_api
from crm_core.api.context import CookiePolicy
from crm_core.api.report_routes import ReportApi
from crm_core.appeals.attachments import AttachmentService
from crm_core.appeals.events import AppealChanged, AppealCreated, AppealOverdue
from crm_core.appeals.service import AppealService
from crm_core.appeals.sla import SlaMonitor
from crm_core.appeals.topics import TopicService
from crm_core.auth.audit import AuditTrail
from crm_core.auth.directory import Directory
from crm_core.auth.events import SessionsEnded
from crm_core.auth.model import Role
from crm_core.auth.service import AuthService
from crm_core.clock import UtcClock
from crm_core.customers.contacts import ContactService
from crm_core.customers.events import CallerIdentified, ContactClosed, ContactOpened
from crm_core.customers.import_source import ImportFailed
from crm_core.customers.importer import import_customers
from crm_core.customers.service import CustomerService
from crm_core.db import Sessions, make_engine, make_sessions
from crm_core.incidents.service import IncidentService
from crm_core.kb.service import KnowledgeBase
from crm_core.notices.dispatcher import NoticeDispatcher
from crm_core.notices.model import NoticeChannel
from crm_core.notices.ports import NoticeSender
from crm_core.notices.service import NoticeService
from crm_core.notices.smtp import SmtpConfig, SmtpSender
from crm_core.outages.service import OutageService
from crm_core.reports.bulk import BulkOperations
from crm_core.reports.reports import ReportService
from crm_core.reports.search import AppealSearch
from crm_core.selfservice.failed_callbacks import FailedCallbackService
from crm_core.selfservice.preferred_agents import AppealOwners
from crm_core.selfservice.service import SelfService
from crm_core.selfservice.voicemail import VoicemailService
from crm_core.webhooks.dispatcher import WebhookDispatcher
from crm_core.webhooks.http import AiohttpSender
from crm_core.webhooks.model import WebhookKind
from crm_core.webhooks.service import WebhookService
from crm_core.webhooks.targets import TargetPolicy
from ivr import http as ivr_http
from ivr.asr import VoskRecogniser
from ivr.crm_adapter import InProcessIvrCrm, IvrCrmOptions
from ivr.flow_store import FlowStoreFailed, restore
from ivr.publishing import FlowPublishing
from ivr.tables import SqlFlowStore
from ivr.tts import TtsWorker
from recordings import http as recording_http
from recordings.events import RecordingReady
from recordings.retention import RetentionPolicy
from recordings.rows import EVENTS as RECORDING_ROW_EVENTS
from recordings.rows import RecordingRows
from recordings.service import EVENTS as RECORDING_EVENTS
from recordings.service import RecordingService
from recordings.storage import RecordingFiles, SqlCallContacts
from telephony.agi import AgiServer
from telephony.agi_peers import AgiPeers
from telephony.ami import AmiConfig
from telephony.events import (
    CallAnswered,
    CallArrived,
    CallBridged,
    CallEnded,
    PbxConnected,
    PbxDisconnected,
)
from telephony.journal import JsonLinesCallJournal
from telephony.model import PbxId
from telephony.pbx import TelephonyBridge
from telephony.sim.simulator import Simulator

log = logging.getLogger(__name__)

Job = Callable[[], Coroutine[Any, Any, None]]

SHARED_EVENTS: tuple[type[Any], ...] = (
    CallArrived,
    CallAnswered,
    CallBridged,
    CallEnded,
    PbxConnected,
    PbxDisconnected,
    CallerIdentified,
    ContactOpened,
    ContactClosed,
    AppealCreated,
    AppealChanged,
    AppealOverdue,
    RecordingReady,
    SessionsEnded,
)
"""Events other instances and browsers need: carried over Redis when it is set."""

ACD_STATE_FILE = "acd-state.json"
"""Where, under `data_dir`, the ACD keeps agents' sessions and the callbacks owed
across restarts."""
CALL_JOURNAL_FILE = "live-calls.jsonl"
"""Where, under `data_dir`, the telephony bridge keeps which calls are live."""

WEBHOOK_EVENTS: tuple[type[Any], ...] = (
    ContactOpened,
    ContactClosed,
    AppealCreated,
    AppealChanged,
    AppealOverdue,
)


@dataclass(eq=False)
class App:
    """Everything one running service holds; `run()` serves until cancelled."""

    settings: Settings
    bus: Bus
    engine: AsyncEngine
    sessions: Sessions
    web: web.Application
    telephony: TelephonyBridge
    agi: AgiServer
    acd: AcdService
    acd_setup: AcdAdministration
    """The ACD's queues and seats as kept in the database (`loaded` once read)."""
    recovery: AcdRecovery
    journal: Journal
    """Call records waiting for the database; `journal.backlog()` is its depth."""
    readiness: Readiness
    """What /readyz answers: add a part's check with `readiness.add(name, check)`."""
    jobs: list[Job] = field(default_factory=list)
    """Long-running tasks (each runs until cancelled), owned by `run()`."""

    async def run(self) -> None:
        """Serve until cancelled. Raises StartRefused (before serving anything)
        when the journal cannot be used."""
        try:
            await self.journal.open()
            await self._serve()
        finally:
            await self.engine.dispose()

    async def _serve(self) -> None:
        http = self.settings.http
        runner = await serve_http(self.web, host=http.host, port=http.port)
        log.info("serving http://%s:%d", http.host, http.port)
        try:
            async with self.bus, asyncio.TaskGroup() as group:
                for job in self.jobs:
                    group.create_task(job(), name=getattr(job, "__qualname__", None))
        finally:
            await runner.cleanup()


def build(
    settings: Settings,
    *,
    demo: bool = False,
    asr: VoskRecogniser | None = None,
    time_scale: float = 1.0,
) -> App:
    """Construct the service's parts from `settings` and wire them together;
    `asr` is the speech recogniser, loaded beforehand (see `load_recogniser`).
    `time_scale` runs the service's clock, and the ACD's timers by it, that many
    times faster than the wall clock: 1 in production, the simulator's speed in a
    time-compressed simulation (bench/busy_hour)."""
    clock = UtcClock(speed=time_scale)
    engine = make_engine(settings.database.url, echo=settings.database.echo)
    sessions = make_sessions(engine)
    bus = Bus()
    journal = Journal(
        settings.data_dir / "journal",
        serves=engine.url.render_as_string(hide_password=True),
        max_held=settings.journal.max_held,
        concurrency=settings.journal.concurrency,
    )
    # `records.subscribe` is `bus.subscribe` through the journal: for the handlers
    # that keep call records, retried in order per call until the database answers
    records = journal.on(bus)

    telephony = TelephonyBridge(
        [
            AmiConfig(
                pbx_id=PbxId(p.id),
                host=p.host,
                port=p.port,
                username=p.username,
                secret=p.secret.get_secret_value(),
                connect_timeout_s=p.connect_timeout_s,
                action_timeout_s=p.action_timeout_s,
            )
            for p in settings.pbxs
        ],
        bus,
        journal=JsonLinesCallJournal(settings.data_dir / CALL_JOURNAL_FILE),
    )
    agi = AgiServer(
        host=settings.agi.host,
        port=settings.agi.port,
        peers=AgiPeers(
            hosts=[p.host for p in settings.pbxs], networks=settings.agi.allow_from
        ),
    )

    country = settings.default_country
    crm = settings.crm
    customers = CustomerService(sessions, clock, default_country=country)
    contacts = ContactService(sessions, clock, default_country=country, publisher=bus)
    call_records = CallContacts(contacts)
    records.subscribe_all(CALL_CONTACT_EVENTS, call_records)
    appeals = AppealService(sessions, clock, bus)
    topics = TopicService(sessions, clock)
    search = AppealSearch(sessions)
    bulk = BulkOperations(appeals, search)
    crm_reports = ReportService(sessions, clock)
    sla = SlaMonitor(
        sessions, clock, bus, archive_after=timedelta(days=crm.archive_after_days)
    )

    acd_setup = _acd(settings, telephony, bus, clock, sessions)
    acd = acd_setup.acd
    recording_files = RecordingFiles(settings.recordings_dir)
    call_contacts = SqlCallContacts(sessions)
    recording_rows = RecordingRows(
        sessions, recording_files, clock, contacts=call_contacts, publisher=bus
    )
    recordings = RecordingService(
        sessions,
        telephony.pbx,
        recording_files,
        clock,
        contacts=call_contacts,
        publisher=bus,
        pbx_directory=settings.recording.pbx_directory,
        agents=AcdCallAgents(acd),
        keep=journal.durable(RECORDING_ROW_EVENTS, recording_rows.handle),
    )
    bus.subscribe_all(RECORDING_EVENTS, recordings.handle)

    notice_dispatcher = NoticeDispatcher(sessions, clock, _notice_senders(settings))
    notices = NoticeService(sessions, clock, wake=notice_dispatcher.wake)
    incidents = IncidentService(sessions, clock, appeals=appeals, notices=notices)
    bus.subscribe(AppealCreated, incidents.on_appeal_created)
    bus.subscribe(AppealChanged, notices.on_appeal_changed)

    attachments = AttachmentService(
        sessions,
        clock,
        directory=crm.attachments_dir,
        max_bytes=crm.attachment_max_bytes,
    )
    bus.subscribe(CallEnded, acd.on_call_ended)
    bus.subscribe(AgentConnected, acd.on_agent_connected)
    bus.subscribe(AgentDisconnected, acd.on_agent_disconnected)
    recovery = AcdRecovery(
        acd,
        pbx=telephony.pbx,
        channels=telephony.pbx,
        calls=telephony.tracker,
        store=JsonFileKept(settings.data_dir / ACD_STATE_FILE),
        configured=acd_setup.loaded,
    )
    bus.subscribe(PbxConnected, recovery.on_pbx_connected)
    bus.subscribe(AgentStateChanged, recovery.on_agent_state_changed)
    tts_worker = TtsWorker(job_timeout_s=settings.ivr.tts_job_timeout_s)
    ivr_crm = InProcessIvrCrm(
        customers=customers,
        selfservice=SelfService(sessions, clock),
        outages=OutageService(sessions, clock),
        voicemail=VoicemailService(sessions, appeals, attachments),
        clock=clock,
        options=IvrCrmOptions(currency=settings.ivr.currency),
    )
    scripts = route_scripts(
        agi,
        settings,
        ScriptParts(
            bus=bus,
            clock=clock,
            asr=asr,
            tts=tts_worker,
            crm=ivr_crm,
            acd=acd,
            calls=telephony.tracker,
            contacts=call_records,
            preferred=AppealOwners(sessions, customers),
        ),
    )
    flows = scripts.flows
    acd_setup.flows_from(flows.flows_sending_to)
    sinks = CrmSinks(contacts, FailedCallbackService(sessions, appeals, customers))
    records.subscribe(CallbackGaveUp, sinks.on_callback_gave_up)
    records.subscribe(WrapUpFinished, sinks.on_wrap_up_finished)

    targets = TargetPolicy(allowed_networks=tuple(crm.webhook_internal_networks))
    sender = AiohttpSender(targets)
    dispatcher = WebhookDispatcher(sessions, clock, sender)
    bus.subscribe_all(WEBHOOK_EVENTS, _webhook_forwarder(dispatcher))

    readiness = service_readiness(engine, telephony.clients.values(), agi)
    readiness.add("journal", journal_check(journal))
    app = make_web_app(readiness=readiness)
    app[recording_http.RECORDINGS] = recordings
    app[acd_http.ACD] = acd
    app[acd_http.EVENTS] = bus
    app[ivr_http.FLOWS] = flows
    flow_store = SqlFlowStore(sessions)
    flow_publishing = FlowPublishing(flows, flow_store, clock)
    app[ivr_http.FLOW_PUBLISHING] = flow_publishing
    app[incident_routes.INCIDENTS] = incidents
    app[incident_routes.NOTICES] = notices
    knowledge = KnowledgeBase(sessions, clock)
    app[kb_routes.KB] = knowledge
    auth = AuthService(sessions, clock, publisher=bus)
    supervisor = supervision.supervise(
        settings.acd, acd=acd, telephony=telephony, bus=bus, sessions=sessions,
        clock=clock, app=app,
    )  # fmt: skip
    setup_api(
        app,
        ApiDeps(
            auth=auth,
            webhooks=WebhookService(sessions, clock, targets=targets),
            customers=customers,
            contacts=contacts,
            appeals=appeals,
            topics=topics,
            attachments=attachments,
            notifications=sla,
            reports=ReportApi(
                search=search,
                bulk=bulk,
                reports=crm_reports,
            ),
            cookies=cookie_policy(crm, demo=demo),
            trusted_proxies=tuple(settings.http.trusted_proxies),
            routes=[
                calls_routes(telephony.live_calls, public=demo),
                recording_http.routes,
                incident_routes.routes,
                kb_routes.routes,
                acd_http.routes,
                supervision_http.routes,
                ivr_http.routes,
            ],
        ),
    )

    desktops = sockets.Desktops(
        sockets.make_server(),
        sessions=auth,
        cards=customers,
        publisher=bus,
        clock=clock,
    )
    bus.subscribe_all(sockets.EVENTS, desktops.handle)
    bus.subscribe(SessionsEnded, desktops.on_sessions_ended)  # not behind pops
    desk = AgentDesk(
        controls=Controls(
            ControlParts(
                acd=acd, calls=desktops, cards=customers, recordings=recordings,
                publisher=bus,
            )
        ),
        screen=CallScreen(
            ScreenParts(
                calls=desktops, customers=customers, contacts=contacts,
                search=search, recordings=recordings, topics=topics,
            )
        ),
        registration=Registration(
            RegistrationParts(calls=desktops, appeals=appeals, topics=topics)
        ),
        country=country,
    )  # fmt: skip
    board = supervision.wallboard(
        supervisor, acd=acd, sessions=sessions, calls=desktops, cards=customers
    )
    calls = CallLog(contacts, recordings)
    directory = Directory(sessions)
    office = BackOffice(
        worklists=Worklists(
            WorklistParts(
                search=search, bulk=bulk, topics=topics, customers=customers,
                directory=directory,
            )
        ),
        appeals=AppealDesk(
            AppealDeskParts(
                appeals=appeals, topics=topics, attachments=attachments,
                customers=customers, calls=calls, directory=directory,
            )
        ),
        customers=CustomerDesk(customers, calls, search, topics),
    )  # fmt: skip
    reports = ReportDesk(
        crm=crm_reports, acd=AcdReports(SqlIntervalStore(sessions)),
        queues=Served(acd_setup), agents=Served(acd_setup, seats=True),
        zone=ZoneInfo(settings.time_zone), clock=clock,
    )  # fmt: skip
    setup_agent_ui(
        app,
        PageServices(
            desktops=desktops,
            sessions=auth,
            desk=desk,
            back_office=office,
            wallboard=board,
            reports=reports,
            knowledge=knowledge,
            admin=AdminDesk(users=auth, acd=acd_setup, flows=flow_publishing),
        ),
    )

    async def check_sla() -> None:
        await sla.run(interval_s=crm.sla_check_interval_s)

    async def retain_recordings() -> None:
        await recordings.run_retention(
            RetentionPolicy(keep_days=settings.recording.keep_days),
            every_s=settings.recording.retention_check_s,
        )

    async def speech() -> None:
        try:
            await asyncio.Event().wait()
        finally:
            await tts_worker.close()
            if asr is not None:
                await asyncio.to_thread(asr.close)

    async def deliver_webhooks() -> None:
        try:
            await dispatcher.run()
        finally:
            await sender.close()

    async def answer_calls() -> None:
        try:
            restored = await restore(flows, flow_store)
            log.info("IVR flows restored from the database: %d", restored)
        except FlowStoreFailed as error:
            log.error("stored IVR flows not restored, the files serve: %s", error)
        async with asyncio.TaskGroup() as group:
            group.create_task(agi.run(), name="fastagi")
            group.create_task(scripts.provide_prompts(), name="ivr-prompts")

    jobs: list[Job] = [
        journal.run,
        telephony.run,
        acd.run,
        acd_setup.run,
        recovery.run,
        answer_calls,
        deliver_webhooks,
        notice_dispatcher.run,
        check_sla,
        retain_recordings,
        speech,
        desktops.run_sweeps,
    ]
    if settings.redis.url:
        redis = RedisEventBridge(settings.redis.url, event_types=SHARED_EVENTS)
        for event_type in SHARED_EVENTS:
            bus.subscribe(event_type, redis.publish)
        jobs.append(redis.run)
        readiness.add("redis", subscribed_check(redis.subscribed))
    return App(
        settings=settings,
        bus=bus,
        engine=engine,
        sessions=sessions,
        web=app,
        telephony=telephony,
        agi=agi,
        acd=acd,
        acd_setup=acd_setup,
        recovery=recovery,
        journal=journal,
        readiness=readiness,
        jobs=jobs,
    )


def cookie_policy(crm: CrmSettings, *, demo: bool) -> CookiePolicy:
    """The session cookie's policy: Secure unless the demo or a setting says no."""
    secure = crm.cookie_secure if crm.cookie_secure is not None else not demo
    if secure:
        log.info("session cookie: Secure, sent by browsers only over HTTPS")
    elif demo:
        log.info("session cookie: not Secure (the demo serves plain HTTP)")
    else:
        log.warning(
            "session cookie: not Secure (crm.cookie_secure=false), sent over plain "
            "HTTP where anyone on the path can read it"
        )
    return CookiePolicy(secure=secure)


MAX_TARGET_LEVEL = 0.99
"""A target of every call (1.0, which the settings allow) as the ACD can staff for."""


def acd_defaults(settings: Settings) -> Configuration:
    """The queues and seats of the settings (`CC_ACD__*`): what a first start
    keeps in the database; a seat naming no queue is in every queue."""
    config = settings.acd
    return Configuration(
        queues=tuple(
            QueueInput(
                queue_id=q.id,
                ring_timeout_s=q.ring_timeout_s,
                wrap_up_s=q.wrap_up_s,
                service_level_s=q.service_level_s,
                target_level=min(q.target_level, MAX_TARGET_LEVEL),
                max_wait_s=q.max_wait_s,
            )
            for q in config.queues
        ),
        seats=tuple(
            SeatInput(
                login=seat.login,
                endpoint=seat.endpoint,
                pbx=seat.pbx,
                skills=dict(seat.skills),
                languages=list(seat.languages),
                queues=dict.fromkeys(seat.queues or [q.id for q in config.queues], 0),
            )
            for seat in config.seats
        ),
    )


def _acd(
    settings: Settings,
    telephony: TelephonyBridge,
    bus: Bus,
    clock: UtcClock,
    sessions: Sessions,
) -> AcdAdministration:
    """The ACD with the settings' queues and seats, each seat on its PBX (the
    first one unless the seat names another; `pbx_id` is where a call with no
    PBX of its own goes), and what an administrator edits them through (the
    database's, once read, replace them)."""
    config = settings.acd
    pbx_id = PbxId(settings.pbxs[0].id)
    defaults = acd_defaults(settings)
    acd = AcdService(
        AcdEngine(),
        telephony.pbx,
        bus,
        clock,
        settings=AcdConfig(
            pbx_id=pbx_id,
            queues=queues_of(defaults),
            agents=seats_of(defaults, pbx_id),
            default_queue=QueueId(config.default_queue)
            if config.default_queue
            else None,
            announce_every_s=config.announce_every_s,
            presence_grace_s=config.presence_grace_s,
            callback_attempts=config.callback_attempts,
            callback_retry_s=config.callback_retry_s,
            time_scale=clock.speed,
        ),
        intervals=SqlIntervalStore(sessions),
        calls=telephony.tracker,
    )
    return AcdAdministration(
        acd,
        SqlConfigurationStore(sessions, clock),
        defaults=defaults,
        pbxs=[PbxId(p.id) for p in settings.pbxs],
        audit=AuditTrail(sessions, clock),
    )


@dataclass(frozen=True)
class AcdCallAgents:
    """Who is on a live call, as the ACD knows it (recordings' CallAgents)."""

    acd: AcdService

    def is_on_call(self, agent_login: str, call_id: str) -> bool:
        connected = self.acd.connected_call(AgentId(agent_login))
        return connected is not None and connected.call_id == call_id


def _notice_senders(settings: Settings) -> dict[NoticeChannel, NoticeSender]:
    """E-mail through the configured SMTP server; no SMS gateway exists, so SMS
    notices (and e-mail ones without a server) wait, saying why."""
    smtp = settings.smtp
    if not smtp.host or not smtp.from_address:
        return {}
    config = SmtpConfig(
        host=smtp.host,
        port=smtp.port,
        sender=smtp.from_address,
        starttls=smtp.starttls,
        login=smtp.login,
        password=smtp.password.get_secret_value() if smtp.password else None,
    )
    return {NoticeChannel.EMAIL: SmtpSender(config)}


def _webhook_forwarder(
    dispatcher: WebhookDispatcher,
) -> Callable[[Any], Awaitable[None]]:
    async def forward(event: Any) -> None:
        await dispatcher.notify(WebhookKind(event.topic), dataclasses.asdict(event))

    return forward


async def migrate(settings: Settings) -> None:
    await migrations.migrate(settings.database.url)
    log.info("database migrated to the newest schema")


async def serve(settings: Settings, *, demo: bool) -> None:
    """Check what a start needs (raises StartRefused), then serve until cancelled:
    `serve` on a database migrated beforehand, `demo` migrating its own."""
    if demo:
        settings = with_demo_pbx_secret(with_demo_speech(settings))
    log.info("settings: %s", settings.masked())
    prepare_directories(settings)
    report_missing_speech_tools()
    if not demo:
        await require_schema(settings)
        app = build(settings, asr=await load_recogniser(settings))
        await warn_if_no_users(app.sessions)
        await app.run()
        return
    await migrate(settings)
    await _serve_demo(settings, await load_recogniser(settings))


async def _serve_demo(settings: Settings, asr: VoskRecogniser | None) -> None:
    settings = with_demo_seats(settings)
    app = build(settings, demo=True, asr=asr)
    password = demo_password(settings)
    await seed_demo(app.sessions, UtcClock(), password)
    await seed_history(app.sessions, settings, UtcClock())
    log.info(
        "demo: sign in at http://%s:%d as agent, supervisor, backoffice, marketing "
        "or admin with the password %s",
        settings.http.host,
        settings.http.port,
        password,
    )
    bridge_up = asyncio.Event()

    async def connected(_event: PbxConnected) -> None:
        bridge_up.set()

    app.bus.subscribe(PbxConnected, connected)
    # listening before the bridge first dials, so the first attempt logs in
    async with Simulator(simulator_config(settings)) as sim:
        app.jobs.insert(
            0, partial(run_simulated_traffic, sim, settings, bridge_up=bridge_up)
        )
        app.jobs.append(partial(log_in_simulated_agents, app.acd_setup))
        await app.run()


async def users(
    settings: Settings,
    action: str,
    *,
    login: str | None,
    role: Role | None,
    name: str | None,
) -> None:
    """`contactcentre users ACTION` on the configured, migrated database."""
    await require_schema(settings, wait_s=0)
    said = await users_command(
        settings.database.url, action, login=login, role=role, name=name
    )
    if said:
        sys.stdout.write(said + "\n")


async def import_file(
    settings: Settings,
    kind: str,
    file: Path,
    *,
    encoding: str | None,
    report: Path | None,
) -> int:
    """`contactcentre import customers FILE`: 0 when every row went in, 1 when some
    were rejected (see the report), 2 when the file could not be read."""
    assert kind == "customers", kind
    await require_schema(settings, wait_s=0)
    engine = make_engine(settings.database.url)
    report_path = report or file.with_name(file.stem + ".rejected.csv")
    try:
        summary = await import_customers(
            make_sessions(engine),
            file,
            encoding=encoding,
            report_path=report_path,
            progress=_progress_bar,
            default_country=settings.default_country,
        )
    except ImportFailed as exc:
        sys.stderr.write(f"import failed: {exc}\n")
        return 2
    finally:
        await engine.dispose()
    sys.stderr.write(
        f"\n{summary.read} rows read ({summary.encoding}): {summary.imported} new, "
        f"{summary.updated} updated, {summary.rejected} rejected in "
        f"{summary.seconds:.1f} s ({summary.rows_per_s:.0f} rows/s)\n"
    )
    if summary.unknown_columns:
        sys.stderr.write(f"ignored columns: {', '.join(summary.unknown_columns)}\n")
    if summary.rejected:
        sys.stderr.write(f"rejected rows and their errors: {report_path}\n")
        return 1
    return 0


def _progress_bar(done: int, total: int) -> None:
    width = 40
    filled = width * done // total if total else width
    percent = 100 * done // total if total else 100
    sys.stderr.write(
        f"\r[{'#' * filled}{'.' * (width - filled)}] {percent:3d}% {done}/{total}"
    )
    sys.stderr.flush()

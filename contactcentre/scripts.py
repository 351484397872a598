"""The FastAGI scripts the service answers, wired from settings: `inbound` (the IVR,
handing queued callers to the ACD), and the waiting room's `announce` and
`queue-exit` (ivr.waiting)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, replace
from datetime import datetime

from acd.handoff import queue_on_hand_off
from acd.ports import PreferredAgents
from acd.service import AcdService
from contactcentre.bus import Bus
from contactcentre.call_contacts import CallContacts
from contactcentre.settings import Settings
from crm_core.clock import Clock
from ivr.asr import VoskRecogniser
from ivr.crm_adapter import InProcessIvrCrm
from ivr.loader import DEMO_FLOWS, FlowRegistry
from ivr.parts import IvrParts, RunnerConfig
from ivr.playing import SoundNotices
from ivr.session import dialled_number, run_flow
from ivr.sounds import SharedSoundsCheck, SoundDirectory, provide_flow_prompts
from ivr.tts import CachedTts, TtsWorker, Voice
from ivr.waiting import (
    QueueExitParts,
    WaitingConfig,
    announce_handler,
    queue_exit_handler,
)
from telephony import dialplan
from telephony.agi import AgiServer, AgiSession
from telephony.agi_calls import session_call
from telephony.calls import CallTracker
from telephony.events import CallArrived
from telephony.model import Direction, PbxId
from telephony.pbx_of import PbxOf, PbxResolver

log = logging.getLogger(__name__)

AgiHandler = Callable[[AgiSession], Awaitable[None]]


@dataclass(frozen=True, slots=True, kw_only=True)
class ScriptParts:
    """What the scripts use, made once by `bootstrap.build`."""

    bus: Bus
    clock: Clock
    asr: VoskRecogniser | None
    tts: TtsWorker
    crm: InProcessIvrCrm
    acd: AcdService
    calls: CallTracker
    contacts: CallContacts
    preferred: PreferredAgents | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Scripts:
    """What `route_scripts` serves calls from: the flow registry (new versions
    take the next call) and the sounds shared with Asterisk."""

    flows: FlowRegistry
    speech: CachedTts
    sounds: SoundDirectory

    async def provide_prompts(self) -> None:
        """Make the published flows' file prompts that nobody recorded from their
        text (see `ivr.sounds.provide_flow_prompts`)."""
        current = (self.flows.current(name) for name in self.flows.names())
        flows = [flow for flow in current if flow is not None]
        made = await provide_flow_prompts(flows, self.speech, self.sounds)
        if made:
            log.info("IVR prompts made from their text: %s", ", ".join(made))


@dataclass(frozen=True, slots=True, kw_only=True)
class Inbound:
    """What the `inbound` script needs around the IVR runner."""

    ivr: IvrParts
    calls: CallTracker
    pbx_of: PbxResolver
    contacts: CallContacts
    contact_wait_s: float
    sounds: SharedSoundsCheck


def route_scripts(agi: AgiServer, settings: Settings, parts: ScriptParts) -> Scripts:
    """Route every script in `telephony.dialplan.AGI_SCRIPTS` but the dialer's.
    The flows published at start come from `settings.ivr.flows_dir` (else the demo
    flows); prompts are written where Asterisk reads sounds; menus in a language
    with no speech model take keys only. Raises OSError when the sounds directory
    cannot be written."""
    ivr = settings.ivr
    pbx_id = PbxId(settings.pbxs[0].id)
    pbx_of = PbxOf([PbxId(p.id) for p in settings.pbxs], default=pbx_id)
    flows = FlowRegistry()
    loaded = flows.load_directory(ivr.flows_dir or DEMO_FLOWS)
    for refused in loaded.refused:
        log.warning("IVR flow not published: %s", refused)
    voices = {
        language: Voice(voice_id=voice_id, rate_wpm=ivr.tts_rate_wpm)
        for language, voice_id in ivr.tts_voices.items()
    }
    speech = CachedTts(parts.tts, sounds_dir=ivr.sounds_dir, voices=voices)
    sounds = SoundDirectory(ivr.sounds_dir)
    sounds.write_check_sound()
    log.info(
        "IVR prompts are written to %s (CC_IVR__SOUNDS_DIR): Asterisk must read it "
        "as its sounds directory, or at least its cc/ folder as sounds/cc",
        ivr.sounds_dir.resolve(),
    )
    notices = SoundNotices()
    recordings = settings.recordings_dir.resolve() / "ivr"
    inbound = on_own_pbx(
        Inbound(
            ivr=IvrParts(
                flows=flows,
                crm=parts.crm,
                tts=speech,
                asr=parts.asr,
                publish=parts.bus,
                clock=parts.clock,
                config=RunnerConfig(
                    recordings_dir=recordings,
                    notices=notices,
                    speech_languages=frozenset(ivr.asr_models),
                ),
            ),
            calls=parts.calls,
            pbx_of=pbx_of,
            contacts=parts.contacts,
            contact_wait_s=ivr.contact_wait_s,
            sounds=SharedSoundsCheck(sounds),
        )
    )
    agi.route(
        dialplan.INBOUND_SCRIPT,
        queue_on_hand_off(
            inbound,
            parts.acd,
            pbx_id=pbx_id,
            calls=parts.calls,
            preferred=parts.preferred,
            pbx_of=pbx_of,
        ),
    )
    room = WaitingConfig(recordings_dir=recordings, notices=notices)
    agi.route(dialplan.ANNOUNCE_SCRIPT, announce_handler(speech, config=room))
    agi.route(
        dialplan.QUEUE_EXIT_SCRIPT,
        queue_exit_handler(
            QueueExitParts(
                tts=speech,
                crm=parts.crm,
                callbacks=parts.acd,
                calls=parts.calls,
                pbx_id=pbx_id,
                config=room,
                pbx_of=pbx_of,
            )
        ),
    )
    return Scripts(flows=flows, speech=speech, sounds=sounds)


def on_own_pbx(inbound: Inbound) -> AgiHandler:
    """The IVR handler for a call on the PBX the session comes from (`PBX_ID`):
    its contact is written before the first prompt, its CRM writes and events
    carry its call id, and the PBX's first call checks the shared sounds."""

    async def handle(session: AgiSession) -> None:
        pbx_id = await inbound.pbx_of(session)
        now = inbound.ivr.clock.now()
        arrived = await arrival(session, inbound.calls, pbx_id, now=now)
        opening = contact_opened(
            inbound.contacts, arrived, wait_s=inbound.contact_wait_s
        )
        async with opening:
            await inbound.sounds.check(session, pbx_id)
            the_call = arrived.call_id
            own = replace(inbound.ivr, call_id_of=lambda _uniqueid, /: the_call)
            await run_flow(session, own)

    return handle


async def arrival(
    session: AgiSession, calls: CallTracker, pbx_id: PbxId, *, now: datetime
) -> CallArrived:
    """The call `session` serves, as CallArrived announces it: from the call
    tracker, or, when AMI has not told of the call yet, from the channel itself
    (`telephony.agi_calls.session_call`)."""
    request = session.request
    served = await session_call(session, calls, pbx_id)
    found = served.tracked
    if found is not None:
        return CallArrived(
            occurred_at=found.arrived_at,
            call_id=found.call_id,
            pbx_id=pbx_id,
            linkedid=found.linkedid,
            direction=found.direction,
            ani=found.ani,
            ani_name=found.ani_name,
            dnis=found.dnis,
            channel=found.legs[0].channel if found.legs else request.channel,
        )
    return CallArrived(
        occurred_at=now,
        call_id=served.call_id,
        pbx_id=pbx_id,
        linkedid=served.linkedid,
        direction=Direction.INBOUND,
        ani=_known(request.callerid),
        ani_name=_known(request.calleridname),
        dnis=dialled_number(session),
        channel=request.channel,
    )


def _known(caller_id: str) -> str:
    """Asterisk's AGI environment says `unknown` for an absent caller id."""
    return "" if caller_id.lower() == "unknown" else caller_id


@contextlib.asynccontextmanager
async def contact_opened(
    contacts: CallContacts, arrived: CallArrived, *, wait_s: float
) -> AsyncIterator[None]:
    """Enter once the call's contact is written (T1), or after `wait_s`: a slow
    database must not leave an answered caller in silence, and the contact is not
    lost, only late (CallArrived on the bus opens it too). The write is never cut
    short; leaving waits for it, unless the session is being cancelled."""
    opening = asyncio.create_task(
        contacts.on_call_arrived(arrived), name=f"contact:{arrived.call_id}"
    )
    try:
        done, _ = await asyncio.wait({opening}, timeout=wait_s)
        if not done:
            log.warning(
                "call=%s contact not written within %.1f s: the IVR starts, the "
                "contact follows",
                arrived.call_id,
                wait_s,
            )
        yield
    finally:
        task = asyncio.current_task()
        if task is not None and task.cancelling():
            opening.cancel()
        [failure] = await asyncio.gather(opening, return_exceptions=True)
        if isinstance(failure, Exception):
            log.error(
                "call=%s contact not opened by the inbound script (the call's "
                "arrival event opens it): %r",
                arrived.call_id,
                failure,
            )


async def load_recogniser(settings: Settings) -> VoskRecogniser | None:
    """The vosk models named in the settings, loaded once (seconds per model);
    None when none are set. Raises AsrModelMissing naming the path."""
    models = settings.ivr.asr_models
    if not models:
        log.info("no ASR models set: IVR menus take keys only")
        return None
    return await asyncio.to_thread(
        VoskRecogniser.load, models, max_concurrent=settings.ivr.asr_max_concurrent
    )
